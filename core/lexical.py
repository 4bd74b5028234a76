"""BM25 over chunk texts (bm25s), with one tokenizer shared by indexing and querying
(``core.text.tokens``: stopwords out, Porter2 stems, so "cooperate" finds "cooperation").

Lexical matching catches what embeddings blur: names, acronyms and numbers (BSSN, IADERN, 3.7%).
The state is saved as bm25s' ``.npy`` arrays and JSON, and loaded with ``allow_pickle=False``.

An index held elsewhere (Milvus: core.milvus_store) hands the retriever an object with
``matches`` and ``frequencies`` instead of a bm25s.BM25; ``bm25_matches`` and
``document_frequencies`` serve both. ``LexicalStats`` scores candidates exactly as bm25s does,
so both backends give the same BM25 numbers.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

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


@runtime_checkable
class LexicalSearch(Protocol):
    """BM25 served by another store: the same answers as ``bm25_matches`` and
    ``document_frequencies`` give for a bm25s index."""

    def matches(self, query: str) -> tuple[np.ndarray, np.ndarray]: ...

    def frequencies(self) -> tuple[int, dict[str, int]]: ...


# bm25s' defaults, which build_bm25 uses (method "lucene").
BM25_K1, BM25_B = 1.5, 0.75


@dataclass(frozen=True)
class LexicalStats:
    """What BM25 needs beside a chunk's own terms: each term's id and document frequency, the
    number of chunks and their mean length in terms. Built from the same tokens as build_bm25
    (an empty chunk counts as one empty term, as there)."""

    vocabulary: dict[str, int]  # term -> id
    frequencies: list[int]  # by term id: chunks holding it
    chunks: int
    mean_length: float

    @classmethod
    def from_terms(cls, chunk_terms: list[list[str]]) -> LexicalStats:
        vocabulary: dict[str, int] = {}
        frequencies: list[int] = []
        for terms in chunk_terms:
            # In order of first use, never a set's order: that changes with each process's
            # hash seed, and a replica's cached copy of these stats must match the ids written
            # into Milvus when the same build is published again (a new or wiped server).
            for term in dict.fromkeys(terms):
                if term not in vocabulary:
                    vocabulary[term] = len(vocabulary)
                    frequencies.append(0)
                frequencies[vocabulary[term]] += 1
        lengths = [len(terms) for terms in chunk_terms]
        return cls(vocabulary, frequencies, len(lengths), sum(lengths) / max(1, len(lengths)))

    @staticmethod
    def chunk_terms(text: str) -> list[str]:
        """A chunk's terms as build_bm25 indexes them."""
        return tokens(text) or [""]

    def term_ids(self, query: str) -> list[int]:
        """The query's known terms' ids, in order, repeats kept (as bm25s.get_tokens_ids)."""
        return [self.vocabulary[t] for t in tokens(query) if t in self.vocabulary]

    def score(self, term_ids: list[int], chunk_ids: list[int]) -> np.float32:
        """BM25 (Lucene IDF, Robertson term weight) of one chunk given as term ids, summed term
        by term in float32 as bm25s does."""
        counts = Counter(chunk_ids)
        length, total = len(chunk_ids), np.float32(0.0)
        norm = BM25_K1 * ((1 - BM25_B) + BM25_B * length / self.mean_length)
        for term in term_ids:
            tf = counts.get(term, 0)
            if not tf:
                continue
            df = self.frequencies[term]
            idf = np.float32(math.log(1 + (self.chunks - df + 0.5) / (df + 0.5)))
            total = np.float32(total + np.float32(idf * np.float32(tf / (norm + tf))))
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "vocabulary": self.vocabulary,
            "frequencies": self.frequencies,
            "chunks": self.chunks,
            "mean_length": self.mean_length,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LexicalStats:
        return cls(
            {str(k): int(v) for k, v in data["vocabulary"].items()},
            [int(f) for f in data["frequencies"]],
            int(data["chunks"]),
            float(data["mean_length"]),
        )


def bm25_matches(index: Any, query: str) -> tuple[np.ndarray, np.ndarray]:
    """The chunks holding a query term and their BM25 scores: rows ascending, scores float32.

    Reads the posting lists of the query's terms (bm25s' sparse matrix, one column per term).
    Short lists are merged on their own; lists that together cover a good share of the corpus
    (common words) are summed into one corpus-length array, which is cheaper than sorting them.
    Either way the scores are summed term by term in query order, as ``BM25.get_scores`` does,
    so they are the same numbers.
    """
    if isinstance(index, LexicalSearch):
        return index.matches(query)
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
    if isinstance(index, LexicalSearch):
        return index.frequencies()
    indptr = np.asarray(index.scores["indptr"])
    counts = np.diff(indptr)
    return int(index.scores["num_docs"]), {
        term: int(counts[i]) for term, i in index.vocab_dict.items() if i < len(counts)
    }
