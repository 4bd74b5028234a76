"""Sentence vectors kept between questions (the evidence step's main cost)."""

from __future__ import annotations

import threading

import numpy as np
from langchain_core.embeddings import Embeddings


class SentenceCache:
    """Sentence vectors already computed, per embedder: the same passages answer many questions,
    and embedding their sentences is most of this step's time. Bounded: 20,000 384-d vectors
    are ~30 MB; when full it starts again (a warm cache refills in a few questions)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._vectors: dict[tuple[int, str], np.ndarray] = {}
        self._embedders: list[Embeddings] = []  # the index of an embedder is its cache key
        self._lock = threading.Lock()

    def vectors(self, embedder: Embeddings, sentences: list[str]) -> np.ndarray:
        with self._lock:
            key = next((i for i, e in enumerate(self._embedders) if e is embedder), None)
            if key is None:
                key = len(self._embedders)
                self._embedders.append(embedder)
            todo = list(dict.fromkeys(s for s in sentences if (key, s) not in self._vectors))
        if todo:
            fresh = np.asarray(embedder.embed_documents(todo), dtype=np.float32)
            with self._lock:
                if len(self._vectors) + len(todo) > self.size:
                    self._vectors.clear()
                self._vectors.update({(key, s): v for s, v in zip(todo, fresh, strict=True)})
        with self._lock:
            return np.stack([self._vectors[(key, s)] for s in sentences])
