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

# Postings above 1/8 of the corpus are summed into a corpus-length array instead of merged:
# sorting n postings costs more than clearing and scanning 8n floats.
_DENSE_SHARE = 8


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


def bm25_matches(index: Any, query: str) -> tuple[np.ndarray, np.ndarray]:
    """The chunks holding a query term and their BM25 scores: rows ascending, scores float32.

    Reads the posting lists of the query's terms (bm25s' sparse matrix, one column per term).
    Short lists are merged on their own; lists that together cover a good share of the corpus
    (common words) are summed into one corpus-length array, which is cheaper than sorting them.
    Either way the scores are summed term by term in query order, as ``BM25.get_scores`` does,
    so they are the same numbers.
    """
    term_ids = index.get_tokens_ids(tokens(query))
    if not term_ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    data, indices, indptr = (index.scores[k] for k in ("data", "indices", "indptr"))
    posted = [slice(int(indptr[t]), int(indptr[t + 1])) for t in term_ids]
    postings = sum(s.stop - s.start for s in posted)
    if index.nonoccurrence_array is not None:  # BM25L/BM25+ give every document a score
        scores = np.asarray(index.get_scores_from_ids(term_ids), dtype=np.float32)
        rows = np.flatnonzero(scores)
        return rows.astype(np.int64), scores[rows]
    if postings * _DENSE_SHARE > index.scores["num_docs"]:
        dense = np.zeros(int(index.scores["num_docs"]), dtype=np.dtype(index.dtype))
        for s in posted:  # a term's postings name each document once: no repeated index
            dense[indices[s]] += data[s]
        rows = np.flatnonzero(dense)
        return rows.astype(np.int64), dense[rows].astype(np.float32)
    docs = np.concatenate([indices[s] for s in posted])
    rows, slot = np.unique(docs, return_inverse=True)
    summed = np.zeros(len(rows), dtype=np.dtype(index.dtype))
    np.add.at(summed, slot, np.concatenate([data[s] for s in posted]))
    return rows.astype(np.int64), summed.astype(np.float32)


def document_frequencies(index: Any) -> tuple[int, dict[str, int]]:
    """The number of chunks and, per term, how many chunks hold it (from the posting lists)."""
    indptr = np.asarray(index.scores["indptr"])
    counts = np.diff(indptr)
    return int(index.scores["num_docs"]), {
        term: int(counts[i]) for term, i in index.vocab_dict.items() if i < len(counts)
    }
