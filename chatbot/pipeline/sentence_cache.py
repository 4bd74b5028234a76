"""Passage sentences and their vectors for the answer path: precomputed at ingest, else made
when first asked for (vectors are then kept between questions)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from core.chunks import text_sha
from core.sentences import SentenceTable, read_table
from core.text import passage_sentences

log = logging.getLogger(__name__)


class SentenceCache:
    """Sentence vectors per embedder. The build's table (core.sentences) answers for every
    sentence of the indexed passages; anything else (another embedder, text not in the index)
    is embedded once and kept. That part is bounded: 20,000 384-d vectors are ~30 MB; when full
    it starts again (a warm cache refills in a few questions)."""

    def __init__(
        self,
        size: int = 20_000,
        precomputed: list[tuple[Embeddings, dict[str, np.ndarray]]] | None = None,
        splits: dict[str, list[str]] | None = None,
        sentence_table: SentenceTable | None = None,
    ) -> None:
        self.size = size
        self.table = sentence_table  # the build's, as read (the sentence retrieval signal's)
        self._splits = splits or {}  # text sha -> the passage's sentences, from the build
        self._vectors: dict[tuple[int, str], np.ndarray] = {}
        self._embedders: list[Embeddings] = []  # the index of an embedder is its cache key
        self._tables: list[dict[str, np.ndarray]] = []  # precomputed, by the same key
        self._lock = threading.Lock()
        for embedder, table in precomputed or []:
            self._tables[self._key(embedder)].update(table)

    @classmethod
    def for_index(
        cls, build_dir: Path, embedders: dict[str, Embeddings | None], size: int = 20_000
    ) -> SentenceCache:
        """A cache holding the build's precomputed sentence vectors for the given embedder
        roles ("dense", "multilingual"). The build was verified against its checksums when it
        was loaded; a table this program cannot read is skipped (vectors are computed)."""
        roles = [role for role, e in embedders.items() if e is not None]
        try:
            table = read_table(build_dir, roles)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("sentence table of build %s not used: %s", build_dir.name, exc)
            table = None
        if table is None:
            return cls(size)
        pairs = [
            (embedder, table.lookup(role))
            for role, embedder in embedders.items()
            if embedder is not None and role in table.vectors
        ]
        return cls(size, pairs, dict(zip(table.shas, table.sentences, strict=True)), table)

    def split(self, text: str, lang: str) -> list[str]:
        """A passage's sentences: the split ingest made with the same rule
        (core.text.passage_sentences), or made now for a text the build does not hold."""
        found = self._splits.get(text_sha(text))
        return found if found is not None else passage_sentences(text, lang)

    def precomputed(self, embedder: Embeddings) -> int:
        """How many sentence vectors the build supplied for this embedder."""
        with self._lock:
            return len(self._tables[self._key(embedder)])

    def _key(self, embedder: Embeddings) -> int:
        key = next((i for i, e in enumerate(self._embedders) if e is embedder), None)
        if key is None:
            key = len(self._embedders)
            self._embedders.append(embedder)
            self._tables.append({})
        return key

    def vectors(self, embedder: Embeddings, sentences: list[str]) -> np.ndarray:
        with self._lock:
            key = self._key(embedder)
            table = self._tables[key]
            todo = list(
                dict.fromkeys(
                    s for s in sentences if s not in table and (key, s) not in self._vectors
                )
            )
        if todo:
            fresh = np.asarray(embedder.embed_documents(todo), dtype=np.float32)
            with self._lock:
                if len(self._vectors) + len(todo) > self.size:
                    self._vectors.clear()
                self._vectors.update({(key, s): v for s, v in zip(todo, fresh, strict=True)})
        with self._lock:
            return np.stack(
                [table[s] if s in table else self._vectors[(key, s)] for s in sentences]
            ).astype(np.float32, copy=False)
