"""Hybrid retrieval over the live index: dense MiniLM + multilingual e5 + BM25, fused by
weighted reciprocal rank, then variants of one passage collapsed into one citation.

English questions weigh the three signals equally; for other languages the English-only MiniLM
and BM25 rankings are mostly noise, so the multilingual e5 ranking carries the weight.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from chatbot.evidence import IdfTable, sentences
from chatbot.types import Passage
from ingest.align import REFERENCE_VARIANT
from ingest.embed import embed_query, get_embedder
from ingest.lexical import bm25_scores
from ingest.settings import Settings
from ingest.split import Chunk
from ingest.store import LoadedIndex, load_index

RRF_K = 60
CANDIDATES = 30  # per signal, before fusion
# Terms worth noting when two variants differ: capitalised words, acronyms, numbers.
_NAME = re.compile(
    r"\b(?:[A-Z][\w&-]*(?:\s+(?:(?:and|of|for|in|the)\s+)?[A-Z][\w&-]*)*|\d+(?:[.,]\d+)*%?)"
)
WEIGHTS = {  # dense (MiniLM), multilingual (e5), lexical (BM25)
    "en": (0.5, 1.0, 1.0),
    "other": (0.25, 1.0, 0.5),
}
RERANK_POOL = 8  # passage groups re-scored by sentence-level coverage (English questions)
COVERAGE_WEIGHT = 0.5


@dataclass(frozen=True)
class Hit:
    """A fused chunk with its raw signals, before variants are collapsed."""

    row: int
    fused: float
    dense: float
    multi: float
    lexical: float


@dataclass(frozen=True)
class Retrieval:
    passages: list[Passage]
    top_dense: float  # best MiniLM cosine among all chunks (English support signal)
    top_multi: float  # best e5 cosine among all chunks (cross-lingual support signal)
    top_lexical: float  # best BM25 score


def _names(text: str) -> set[str]:
    # Sentence-initial capitals are not names; drop the first word of each sentence.
    found = set()
    for m in _NAME.finditer(text):
        start = m.start()
        before = text[max(0, start - 2) : start]
        if start == 0 or before.endswith((". ", "\n", "? ", "! ")):
            continue
        found.add(m.group(0))
    return found


def variant_note(original: Chunk, other: Chunk) -> dict[str, Any]:
    """How another variant of a passage differs in names and numbers (e.g. Korika vs Corica)."""
    a, b = _names(original.text), _names(other.text)
    lowered_a = {x.lower() for x in a}
    lowered_b = {x.lower() for x in b}
    return {
        "variant": other.variant,
        "location": other.location,
        "text": other.text,
        "similarity": other.align_score,
        "only_in_original": sorted(x for x in a - b if x.lower() not in lowered_b)[:8],
        "only_in_variant": sorted(x for x in b - a if x.lower() not in lowered_a)[:8],
    }


class Retriever:
    def __init__(self, index: LoadedIndex, dense_model: str, multilingual_model: str) -> None:
        self.index = index
        self.chunks = index.chunks
        self.dense_embedder = get_embedder(dense_model)
        self.multi_embedder = (
            get_embedder(multilingual_model) if index.multilingual is not None else None
        )
        self.idf = IdfTable(c.text for c in self.chunks)
        self._groups: dict[str, list[int]] = defaultdict(list)
        for row, chunk in enumerate(self.chunks):
            self._groups[chunk.group_id or chunk.chunk_id].append(row)

    @classmethod
    def from_settings(cls, settings: Settings) -> Retriever:
        index = load_index(settings.index_dir, settings.index_identity())
        return cls(index, settings.dense_model, settings.multilingual_model)

    def warm_up(self) -> None:
        """Run one query so the first user does not pay for lazy model initialisation."""
        self.search("warm up", 1, "en")

    def _signal(self, faiss_index: Any, embedder: Any, query: str) -> np.ndarray:
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        if faiss_index is None or embedder is None or not len(self.chunks):
            return scores
        k = min(CANDIDATES, len(self.chunks))
        sims, rows = faiss_index.search(embed_query(embedder, query), k)
        scores[:] = -1.0
        scores[rows[0][rows[0] >= 0]] = sims[0][rows[0] >= 0]
        return scores

    def hits(self, query: str, lang: str) -> tuple[list[Hit], np.ndarray, np.ndarray, np.ndarray]:
        dense = self._signal(self.index.dense, self.dense_embedder, query)
        multi = self._signal(self.index.multilingual, self.multi_embedder, query)
        lexical = bm25_scores(self.index.bm25, query)
        weights = WEIGHTS["en" if lang == "en" else "other"]
        fused = np.zeros(len(self.chunks))
        for weight, signal, present in (
            (weights[0], dense, True),
            (weights[1], multi, self.multi_embedder is not None),
            (weights[2], lexical, bool(lexical.any())),
        ):
            if not present:
                continue
            order = np.argsort(-signal, kind="stable")[:CANDIDATES]
            for rank, row in enumerate(order):
                fused[row] += weight / (RRF_K + rank + 1)
        rows = np.argsort(-fused, kind="stable")
        hits = [
            Hit(int(r), float(fused[r]), float(dense[r]), float(multi[r]), float(lexical[r]))
            for r in rows
            if fused[r] > 0
        ]
        return hits, dense, multi, lexical

    def search(self, query: str, k: int, lang: str = "en") -> Retrieval:
        """The k best passage groups for a query, each shown as its original variant.

        For English questions the best few groups are re-ranked by how much of the question's
        rare vocabulary their best sentence contains: paragraph-level signals blur a decisive
        word such as "fourth" in a long paragraph about something else.
        """
        pool = max(k, RERANK_POOL) if lang == "en" else k
        hits, dense, multi, lexical = self.hits(query, lang)
        best_possible = sum(WEIGHTS["en" if lang == "en" else "other"]) / (RRF_K + 1)
        passages: list[Passage] = []
        seen: set[str] = set()
        for hit in hits:
            chunk = self.chunks[hit.row]
            group = chunk.group_id or chunk.chunk_id
            if group in seen:
                continue
            seen.add(group)
            members = [self.chunks[r] for r in self._groups[group]]
            shown = next((c for c in members if c.variant == REFERENCE_VARIANT), chunk)
            others = tuple(variant_note(shown, c) for c in members if c is not shown)
            passages.append(
                Passage(
                    chunk_id=shown.chunk_id,
                    doc_id=shown.doc_id,
                    title=shown.title,
                    variant=shown.variant,
                    location=shown.location,
                    text=shown.text,
                    score=min(1.0, hit.fused / best_possible),
                    group_id=group,
                    variants=others,
                    dense=hit.dense,
                    multi=hit.multi,
                    lexical=hit.lexical,
                )
            )
            if len(passages) == pool:
                break
        if lang == "en":
            passages = self._rerank_by_coverage(query, passages)
        return Retrieval(
            passages[:k],
            float(dense.max(initial=0.0)),
            float(multi.max(initial=0.0)),
            float(lexical.max(initial=0.0)),
        )

    def _rerank_by_coverage(self, query: str, passages: list[Passage]) -> list[Passage]:
        rescored = []
        for p in passages:
            coverage = max((self.idf.coverage(query, s) for s in sentences(p.text)), default=0.0)
            score = (p.score + COVERAGE_WEIGHT * coverage) / (1 + COVERAGE_WEIGHT)
            rescored.append(replace(p, score=score))
        return sorted(rescored, key=lambda p: p.score, reverse=True)
