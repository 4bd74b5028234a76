"""A retrieval signal read on sentences: a passage in another language than the question's
wording, scored by its best sentence's multilingual (e5) cosine with that wording, from the
build's precomputed sentence vectors.

A passage's vector blurs one sentence that answers among many about something else, and the
blur is worst across languages: an English question's answer in a Chinese regulation is a
clause in a long article. The best sentence keeps that clause's own similarity. Only passages
in another language than the wording are ranked (within a language the passage signals read
well); a build without sentence vectors has no signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.chunks import Chunk
from core.sentences import SentenceTable


@dataclass(frozen=True)
class _Part:
    """The chunk rows not in one language, and where their sentences are."""

    order: np.ndarray  # sentence indexes, grouped by row in the order of ``rows``
    starts: np.ndarray  # where each row's sentences begin in ``order``
    rows: np.ndarray


@dataclass(frozen=True)
class SentenceSignal:
    vectors: np.ndarray  # (sentences, dim): the table's vectors, in the table's order
    spans: list[tuple[int, int]]  # per row of ``rows``: its first sentence and how many
    rows: np.ndarray  # the chunk rows that have sentences
    langs: np.ndarray  # their languages (base codes)
    _parts: dict[str, _Part] = field(default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def build(
        cls, table: SentenceTable | None, role: str, chunks: Sequence[Chunk], langs: Sequence[str]
    ) -> SentenceSignal | None:
        """The signal over ``chunks`` (the index's rows, in ``langs``), or None when the table
        lacks them."""
        if table is None or role not in table.vectors:
            return None
        where: dict[str, tuple[int, int]] = {}
        start = 0
        for sha, group in zip(table.shas, table.sentences, strict=True):
            where[sha] = (start, len(group))
            start += len(group)
        rows = [r for r, c in enumerate(chunks) if where.get(c.text_sha, (0, 0))[1]]
        if not rows:
            return None
        return cls(
            table.vectors[role],
            [where[chunks[r].text_sha] for r in rows],
            np.array(rows, dtype=np.int64),
            np.array([langs[r] for r in rows]),
        )

    def _part(self, skip_lang: str) -> _Part:
        part = self._parts.get(skip_lang)
        if part is None:  # a few languages per index: made once each (a race makes it twice)
            keep = np.flatnonzero(self.langs != skip_lang)
            pieces = [np.arange(a, a + n, dtype=np.int64) for a, n in (self.spans[i] for i in keep)]
            sizes = np.array([len(p) for p in pieces], dtype=np.int64)
            part = _Part(
                np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64),
                np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64),
                self.rows[keep],
            )
            self._parts[skip_lang] = part
        return part

    def reads_other_than(self, lang: str) -> bool:
        """Does the index hold passages in another language than ``lang``?"""
        return bool(len(self._part(lang).rows))

    def best(self, query: np.ndarray, limit: int, skip_lang: str) -> tuple[np.ndarray, np.ndarray]:
        """The ``limit`` chunk rows not in ``skip_lang`` whose best sentence is closest to
        ``query`` (a (1, dim) vector), and those cosines, best first."""
        part = self._part(skip_lang)
        if not len(part.rows):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        similarity = self.vectors @ query.ravel()
        per_row = np.maximum.reduceat(similarity[part.order], part.starts)
        limit = min(limit, len(per_row))
        top = np.argpartition(-per_row, limit - 1)[:limit]
        top = top[np.lexsort((part.rows[top], -per_row[top]))]
        return part.rows[top].astype(np.int64), per_row[top].astype(np.float32)
