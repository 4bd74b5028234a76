"""Step 2, retrieve: hybrid search over the live index (dense MiniLM + multilingual e5 + BM25),
fused by weighted reciprocal rank, then the variants of one passage collapsed into one citation.

English questions weigh the three signals as ``english_weights`` says; for other languages the
English-only MiniLM and BM25 rankings are mostly noise, so the multilingual e5 ranking carries
the weight. A question is searched in each of its wordings and the rankings are fused: a
follow-up alone and with the question it follows (which supplies what "it" refers to), and a
question in another language also in its English translation, when the model made one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from chatbot.coverage import IdfTable
from chatbot.sentence_cache import SentenceCache
from chatbot.types import Passage
from chatbot.understand import Query
from core.chunks import REFERENCE_VARIANT, Chunk
from core.embed import embed_query, get_embedder
from core.lexical import bm25_scores
from core.settings import AnswerSettings, Settings
from core.store import LoadedIndex, load_index
from core.text import names, passage_sentences

# A chunk a dense signal did not return among its candidates (cosines are >= -1).
NOT_FOUND = -2.0
# Reciprocal rank fusion's k, from Cormack et al. (2009); it damps the weight of the top ranks.
RRF_K = 60


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


def variant_note(original: Chunk, other: Chunk) -> dict[str, Any]:
    """How another variant of a passage differs in names and numbers (e.g. Korika vs Corica)."""
    a, b = names(original.text), names(other.text)
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


def rrf(signal: np.ndarray, weight: float, candidates: int, floor: float) -> np.ndarray:
    """Weighted reciprocal-rank scores of the best ``candidates`` rows of one signal; rows at or
    below ``floor`` (not found, no matching term) get nothing, not the leftover ranks."""
    fused = np.zeros(len(signal))
    order = [r for r in np.argsort(-signal, kind="stable")[:candidates] if signal[r] > floor]
    for rank, row in enumerate(order):
        fused[row] = weight / (RRF_K + rank + 1)
    return fused


class Retriever:
    def __init__(
        self,
        index: LoadedIndex,
        dense_model: str,
        multilingual_model: str,
        settings: AnswerSettings | None = None,
    ) -> None:
        self.index = index
        self.chunks = index.chunks
        self.settings = settings or AnswerSettings()
        self.dense_embedder = get_embedder(dense_model)
        self.multi_embedder = (
            get_embedder(multilingual_model) if index.multilingual is not None else None
        )
        self.idf = IdfTable(c.text for c in self.chunks)
        self._groups: dict[str, list[int]] = defaultdict(list)
        for row, chunk in enumerate(self.chunks):
            self._groups[chunk.group_id or chunk.chunk_id].append(row)
        self._row_of = {c.chunk_id: row for row, c in enumerate(self.chunks)}
        # Sentence vectors of this index's passages, filled as questions come (evidence step).
        self.sentence_cache = SentenceCache()

    @classmethod
    def from_settings(cls, settings: Settings) -> Retriever:
        index = load_index(settings.index_dir, settings.index_identity())
        return cls(index, settings.dense_model, settings.multilingual_model, settings.answer)

    @property
    def build_id(self) -> str:
        return self.index.build_id

    def warm_up(self) -> None:
        """Run one query so the first user does not pay for lazy model initialisation."""
        self.search(Query("warm up", "en"), 1)

    def _signal(self, faiss_index: Any, embedder: Any, query: str) -> np.ndarray:
        """Cosine of each chunk among the signal's candidates; NOT_FOUND for the others."""
        scores = np.full(len(self.chunks), NOT_FOUND, dtype=np.float32)
        if faiss_index is None or embedder is None or not len(self.chunks):
            return scores
        k = min(self.settings.candidates, len(self.chunks))
        sims, rows = faiss_index.search(embed_query(embedder, query), k)
        found = rows[0] >= 0
        scores[rows[0][found]] = sims[0][found]
        return scores

    def hits(self, texts: list[str], english: bool) -> tuple[list[Hit], float, float, float]:
        """Chunks ranked by fused signals over one or more query texts, and the best raw ones.

        ``english``: the texts include an English wording, so the English-only signals count.
        """
        weights = self.settings.english_weights if english else self.settings.other_weights
        fused = np.zeros(len(self.chunks))
        best = np.full((3, len(self.chunks)), -1.0)
        for text in texts:
            dense = self._signal(self.index.dense, self.dense_embedder, text)
            multi = self._signal(self.index.multilingual, self.multi_embedder, text)
            lexical = bm25_scores(self.index.bm25, text)
            for weight, signal, floor in (
                (weights[0], dense, NOT_FOUND),
                (weights[1], multi, NOT_FOUND),
                (weights[2], lexical, 0.0),  # BM25 0: no query term in the chunk
            ):
                fused += rrf(signal, weight, self.settings.candidates, floor)
            best = np.maximum(best, np.stack([dense, multi, lexical]))
        rows = np.argsort(-fused, kind="stable")
        hits = [
            Hit(int(r), float(fused[r]), float(best[0, r]), float(best[1, r]), float(best[2, r]))
            for r in rows
            if fused[r] > 0
        ]
        tops = best.max(axis=1, initial=0.0)
        return hits, float(tops[0]), float(tops[1]), float(tops[2])

    def search(self, query: Query, k: int | None = None) -> Retrieval:
        """The k best passage groups for a query, each shown as its original variant.

        For English questions the best few groups are re-ranked by how much of the question's
        rare vocabulary their best sentence contains: paragraph-level signals blur a decisive
        word such as "fourth" in a long paragraph about something else.
        """
        k = k or self.settings.top_k
        texts = query.search_texts
        english = query.lang == "en" or query.english is not None
        pool = max(k, self.settings.rerank_pool) if english else k
        hits, top_dense, top_multi, top_lexical = self.hits(texts, english)
        weights = self.settings.english_weights if english else self.settings.other_weights
        best_possible = len(texts) * sum(weights) / (RRF_K + 1)
        passages: list[Passage] = []
        seen: set[str] = set()
        for hit in hits:
            chunk = self.chunks[hit.row]
            group = chunk.group_id or chunk.chunk_id
            if group in seen:
                continue
            seen.add(group)
            passages.append(self._passage(group, chunk, min(1.0, hit.fused / best_possible), hit))
            if len(passages) == pool:
                break
        if english:
            passages = self._rerank_by_coverage(query.retrieval_text, passages)
        return Retrieval(passages[:k], top_dense, top_multi, top_lexical)

    def _passage(self, group: str, chunk: Chunk, score: float, hit: Hit | None = None) -> Passage:
        members = [self.chunks[r] for r in self._groups[group]]
        shown = next((c for c in members if c.variant == REFERENCE_VARIANT), chunk)
        others = tuple(variant_note(shown, c) for c in members if c is not shown)
        return Passage(
            chunk_id=shown.chunk_id,
            doc_id=shown.doc_id,
            title=shown.title,
            variant=shown.variant,
            location=shown.location,
            text=shown.text,
            score=score,
            group_id=group,
            variants=others,
            dense=hit.dense if hit else 0.0,
            multi=hit.multi if hit else 0.0,
            lexical=hit.lexical if hit else 0.0,
            lang=shown.lang,
        )

    def neighbours(self, passage: Passage) -> list[Passage]:
        """The chunks just before and after a passage in its file (same variant), as passages.

        Retrieval finds small passages; the answer may need the sentence that introduces a list,
        or the list a sentence introduces, which a chunk boundary put next door.
        """
        row = self._row_of.get(passage.chunk_id)
        if row is None:
            return []
        chunk = self.chunks[row]
        out = []
        for other_row in (row - 1, row + 1):
            if 0 <= other_row < len(self.chunks):
                other = self.chunks[other_row]
                if other.source == chunk.source and other.variant == chunk.variant:
                    group = other.group_id or other.chunk_id
                    out.append(self._passage(group, other, passage.score * 0.5))
        return out

    def _rerank_by_coverage(self, query: str, passages: list[Passage]) -> list[Passage]:
        weight = self.settings.lexical_weight
        rescored = []
        for p in passages:
            coverage = max(
                (self.idf.coverage(query, s) for s in passage_sentences(p.text, p.lang)),
                default=0.0,
            )
            rescored.append(replace(p, score=(p.score + weight * coverage) / (1 + weight)))
        return sorted(rescored, key=lambda p: p.score, reverse=True)
