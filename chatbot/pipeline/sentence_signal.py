"""A retrieval signal read on sentences: each passage scored by its best sentence's multilingual
(e5) cosine with the question, from the build's precomputed sentence vectors.

A passage's vector blurs one sentence that answers among many about something else, and the
blur is worst across languages: an English question's answer in a Chinese regulation is a
clause in a long article. The best sentence keeps that clause's own similarity. Every sentence
of the index is scored (one matrix product); a build without sentence vectors has no signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.chunks import Chunk
from core.sentences import SentenceTable


@dataclass(frozen=True)
class SentenceSignal:
    vectors: np.ndarray  # (sentences, dim): the table's vectors, in the table's order
    order: np.ndarray  # sentence indexes, grouped by chunk row in the order of ``rows``
    starts: np.ndarray  # where each of ``rows``' sentences begin in ``order``
    rows: np.ndarray  # the chunk rows that have sentences

    @classmethod
    def build(
        cls, table: SentenceTable | None, role: str, chunks: Sequence[Chunk]
    ) -> SentenceSignal | None:
        """The signal over ``chunks`` (the index's rows), or None when the table lacks them."""
        if table is None or role not in table.vectors:
            return None
        spans: dict[str, tuple[int, int]] = {}
        start = 0
        for sha, group in zip(table.shas, table.sentences, strict=True):
            spans[sha] = (start, len(group))
            start += len(group)
        rows: list[int] = []
        pieces: list[np.ndarray] = []
        for row, chunk in enumerate(chunks):
            first, count = spans.get(chunk.text_sha, (0, 0))
            if count:
                rows.append(row)
                pieces.append(np.arange(first, first + count, dtype=np.int64))
        if not rows:
            return None
        sizes = np.array([len(p) for p in pieces], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        return cls(table.vectors[role], np.concatenate(pieces), starts, np.array(rows))

    def best(self, query: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``limit`` chunk rows whose best sentence is closest to ``query`` (a (1, dim)
        vector), and those cosines, best first."""
        similarity = self.vectors @ query.ravel()
        per_row = np.maximum.reduceat(similarity[self.order], self.starts)
        limit = min(limit, len(per_row))
        top = np.argpartition(-per_row, limit - 1)[:limit]
        top = top[np.lexsort((self.rows[top], -per_row[top]))]
        return self.rows[top].astype(np.int64), per_row[top].astype(np.float32)
