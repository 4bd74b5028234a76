"""Query vectors remembered between steps and between questions.

A question's wordings are embedded by retrieval (MiniLM and e5) and again by the evidence step
(the sentence scorer's model), and many users ask the same few questions: a query vector is a
pure function of its model and text, so each is computed once and kept in a small LRU.
Passages (``embed_documents``) pass through unchanged: the sentence cache keeps those.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import overload

import numpy as np
from langchain_core.embeddings import Embeddings


class RememberedQueries(Embeddings):
    """An embedder whose ``embed_query`` results are kept, least recently used dropped first.

    One lock per model: a Hugging Face fast tokenizer must not be entered by two threads at
    once ("Already borrowed"), while another model or the rest of an answer may run meanwhile.
    """

    def __init__(self, inner: Embeddings, size: int) -> None:
        self.inner = inner
        self.size = size
        # An array, not the list of floats: ~3 KB a vector rather than ~12 KB (same values).
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # guards _kept
        self._model_lock = threading.Lock()  # one call into the model at a time

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            kept = self._kept.get(text)
            if kept is not None:
                self._kept.move_to_end(text)
                return list(kept.tolist())
        with self._model_lock:
            vector = self.inner.embed_query(text)
        if self.size > 0:
            with self._lock:
                self._kept[text] = np.asarray(vector)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return vector

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._model_lock:
            return self.inner.embed_documents(texts)

    @property
    def remembered(self) -> int:
        return len(self._kept)


@overload
def remembering(embedder: Embeddings, size: int) -> Embeddings: ...
@overload
def remembering(embedder: None, size: int) -> None: ...
def remembering(embedder: Embeddings | None, size: int) -> Embeddings | None:
    """``embedder`` with its query vectors remembered (already wrapped: itself)."""
    if embedder is None or isinstance(embedder, RememberedQueries):
        return embedder
    return RememberedQueries(embedder, size)
