"""BM25 over chunk texts (bm25s), with one tokenizer shared by indexing and querying
(``core.text.tokens``: stopwords out, Porter2 stems, so "cooperate" finds "cooperation").

Lexical matching catches what embeddings blur: names, acronyms and numbers (BSSN, IADERN, 3.7%).
The state is saved as bm25s' ``.npy`` arrays and JSON, and loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.text import tokens


def build_bm25(texts: list[str]) -> Any:  # bm25s.BM25; imported lazily to keep start-up light
    import bm25s

    index = bm25s.BM25()
    index.index([tokens(t) or [""] for t in texts], show_progress=False)
    return index


def save_bm25(index: Any, folder: Path) -> None:
    index.save(str(folder), allow_pickle=False)


def load_bm25(folder: Path) -> Any:
    import bm25s

    return bm25s.BM25.load(str(folder), load_corpus=False, allow_pickle=False)


def bm25_scores(index: Any, query: str) -> np.ndarray:
    """A BM25 score for every chunk (zeros when no query word is in the vocabulary)."""
    query_tokens = [t for t in tokens(query) if t in index.vocab_dict]
    if not query_tokens:
        return np.zeros(int(index.scores["num_docs"]), dtype=np.float32)
    return np.asarray(index.get_scores(query_tokens), dtype=np.float32)
