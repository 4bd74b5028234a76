"""Step 2, retrieve: hybrid search over the live index (dense MiniLM + multilingual e5 + BM25),
fused by weighted reciprocal rank, then the variants of one passage collapsed into one citation.

English questions weigh the three signals as ``english_weights`` says; for other languages the
English-only MiniLM and BM25 rankings are mostly noise, so the multilingual e5 ranking carries
the weight. A question is searched in each of its wordings and the rankings are fused: a
follow-up alone and with the question it follows (which supplies what "it" refers to), and a
question in another language also in its English translation, when the model made one, and an
English question whose best passages are in another language also in that language (the chunks
in it are then ranked by that wording alone).

``search`` re-ranks only its head (``rerank_pool`` groups), so a longer list keeps the order of
a shorter one: recall@10 measured with k=20 is the order the answer path sees.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.definition import defines
from chatbot.pipeline.name_swap import coordinated, years_named
from chatbot.pipeline.sentence_cache import SentenceCache
from chatbot.pipeline.sentence_signal import SentenceSignal
from chatbot.pipeline.understand import Query
from chatbot.types import Passage
from core.backend import load_live_index
from core.chunks import REFERENCE_VARIANT, Chunk
from core.embed import embed_query, get_embedder
from core.lexical import bm25_matches, document_frequencies
from core.settings import AnswerSettings, Settings
from core.store import LoadedIndex
from core.text import detect_language, names, stopwords

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


_WORD = re.compile(r"\w+(?:[-'’&]\w+)*")


def base_language(lang: str | None) -> str:
    """'en' for 'en-GB', 'en_US' or no language given (the manifest's default); 'zh' for 'zh-CN'."""
    return (lang or "en").replace("_", "-").split("-")[0].lower()


def is_english(lang: str | None) -> bool:
    return base_language(lang) == "en"


def _name_words(text: str) -> tuple[str, ...]:
    """The words that carry a name, in order: case folded, without possessive 's or stopwords."""
    words = (w.removesuffix("'s").removesuffix("’s") for w in _WORD.findall(text.casefold()))
    skip = stopwords()
    return tuple(w for w in words if w not in skip)


def variant_note(original: Chunk, other: Chunk) -> dict[str, Any]:
    """How another variant of a passage differs in names (e.g. Korika vs Corica).

    A name is a difference only when the other passage lacks it as a whole name, compared by
    its words in any case and without stopwords or a possessive ("Golden Visa" and "a golden
    visa", "Indonesia" and "Indonesia's" agree). Names are read line by line from the body
    after the document title and heading, so a title or a line break never glues two names
    into a fragment ("... Together China"), and a one-letter word or a two-letter lower-case
    stub ("I", the "Co" of "McKinsey & Co") is no name.
    """

    def body(chunk: Chunk) -> str:
        text = chunk.text
        for opening in (chunk.title, chunk.heading):  # the same for every variant, or absent
            if opening and text.lstrip().startswith(opening):
                text = text.lstrip()[len(opening) :]
        return text

    def whole_names(text: str) -> dict[tuple[str, ...], str]:
        found: dict[tuple[str, ...], str] = {}
        for line in text.splitlines():
            for name in names(line):
                letters = sum(ch.isalpha() for ch in name)
                if letters < 2 or (" " not in name and letters < 3 and not name.isupper()):
                    continue
                if key := _name_words(name):
                    found.setdefault(key, name.removesuffix("'s").removesuffix("’s"))
        return found

    def missing_from(found: dict[tuple[str, ...], str], text: str) -> list[str]:
        words = _name_words(text)
        return sorted(
            name
            for key, name in found.items()
            if not any(words[i : i + len(key)] == key for i in range(len(words)))
        )

    a_text, b_text = body(original), body(other)
    return {
        "variant": other.variant,
        "location": other.location,
        "text": other.text,
        "similarity": other.align_score,
        "only_in_original": missing_from(whole_names(a_text), b_text)[:8],
        "only_in_variant": missing_from(whole_names(b_text), a_text)[:8],
    }


@dataclass(frozen=True)
class Candidates:
    """What one signal found for one query text: chunk rows and their raw scores."""

    rows: np.ndarray  # int64
    scores: np.ndarray  # float32

    def at(self, rows: np.ndarray, missing: float) -> np.ndarray:
        """The score of each of ``rows``, ``missing`` for rows this signal did not find."""
        out = np.full(len(rows), missing, dtype=np.float64)
        if not len(self.rows) or not len(rows):
            return out
        known, scores = self.rows, self.scores
        if np.any(known[1:] < known[:-1]):  # BM25 rows come sorted; FAISS rows by score
            order = np.argsort(known, kind="stable")
            known, scores = known[order], scores[order]
        slot = np.minimum(np.searchsorted(known, rows), len(known) - 1)
        found = known[slot] == rows
        out[found] = scores[slot[found]]
        return out


def ranked(rows: np.ndarray, scores: np.ndarray, limit: int, floor: float) -> np.ndarray:
    """The rows of the ``limit`` best scores above ``floor``, best first; equal scores in row
    order, as a stable sort over the whole corpus would give. Work grows with the candidates."""
    keep = scores > floor
    rows, scores = rows[keep], scores[keep]
    if len(rows) > limit:
        kth = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        top = scores >= kth
        rows, scores = rows[top], scores[top]
    return rows[np.lexsort((rows, -scores))][:limit]


# Passages a definition question moves to the front, at most: a definitions list has one.
MAX_DEFINING = 2


def defining_first(passages: list[Passage], terms: tuple[str, ...], k: int) -> list[Passage]:
    """The passages that define one of the terms a question asks the meaning of first (at
    most ``MAX_DEFINING``, of the documents among the first ``k``), then the rest: a
    definitions list uses the term once, so embeddings rank it below passages that use it
    often; a document retrieval did not rank near the top defines someone else's term."""
    documents = {p.doc_id for p in passages[:k]}
    defining = [
        i
        for i, p in enumerate(passages)
        if p.doc_id in documents and any(defines(p.text, t) for t in terms)
    ][:MAX_DEFINING]
    return [passages[i] for i in defining] + [
        p for i, p in enumerate(passages) if i not in defining
    ]


def rrf_credits(scores: np.ndarray) -> np.ndarray:
    """Reciprocal-rank credit (weight 1) of each score's rank among ``scores``, best first."""
    order = np.argsort(-scores, kind="stable")
    credits = np.zeros(len(scores))
    credits[order] = 1.0 / (RRF_K + 1 + np.arange(len(scores)))
    return credits


def rrf(
    rows: np.ndarray, scores: np.ndarray, weight: float, candidates: int, floor: float
) -> dict[int, float]:
    """Weighted reciprocal-rank credit of the best ``candidates`` rows of one signal; rows at or
    below ``floor`` (not found, no matching term) get nothing, not the leftover ranks."""
    best = ranked(rows, scores, candidates, floor)
    return {int(row): weight / (RRF_K + rank + 1) for rank, row in enumerate(best)}


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
        self.idf = IdfTable.from_counts(*document_frequencies(index.bm25))
        self._groups: dict[str, list[int]] = defaultdict(list)
        for row, chunk in enumerate(self.chunks):
            self._groups[chunk.group_id or chunk.chunk_id].append(row)
        self._row_of = {c.chunk_id: row for row, c in enumerate(self.chunks)}
        self._coordinated: dict[str, frozenset[frozenset[str]]] = {}
        self._years: dict[str, frozenset[str]] = {}
        self._rows_of_document: dict[str, list[int]] = defaultdict(list)
        for row, chunk in enumerate(self.chunks):
            self._rows_of_document[chunk.doc_id].append(row)
        self._lang = [base_language(c.lang) for c in self.chunks]
        self._languages = set(self._lang)
        self._english = [lang == "en" for lang in self._lang]
        # The build's passage sentences and their vectors (evidence step, coverage re-rank).
        self.sentence_cache = SentenceCache.for_index(
            index.path, {"dense": self.dense_embedder, "multilingual": self.multi_embedder}
        )
        self._sentences = (
            SentenceSignal.build(self.sentence_cache.table, "multilingual", self.chunks, self._lang)
            if self.multi_embedder is not None and self.settings.sentence_multi_weight
            else None
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Retriever:
        index = load_live_index(settings)  # FAISS files or Milvus (settings.index_backend)
        return cls(index, settings.dense_model, settings.multilingual_model, settings.answer)

    def coordinated_names(self, doc_ids: Iterable[str]) -> set[frozenset[str]]:
        """The pairs of names the documents join as equals, titles included (name_swap), each
        document's read once and remembered."""
        pairs: set[frozenset[str]] = set()
        for doc_id in doc_ids:
            if doc_id not in self._coordinated:  # two requests may both compute it: no harm
                chunks = self._chunks_of(doc_id)
                found = coordinated((c.text for c in chunks), {c.title for c in chunks})
                self._coordinated[doc_id] = frozenset(found)
            pairs |= self._coordinated[doc_id]
        return pairs

    def _chunks_of(self, doc_id: str) -> list[Chunk]:
        return [self.chunks[row] for row in self._rows_of_document.get(doc_id, [])]

    def years_said(self, doc_ids: Iterable[str]) -> set[str]:
        """The years the documents name anywhere ("2021", "２０２１年", "2019-2020", "FY21"),
        titles included, each document read once and remembered."""
        said: set[str] = set()
        for doc_id in doc_ids:
            if doc_id not in self._years:  # two requests may both read it: no harm
                chunks = self._chunks_of(doc_id)
                text = "\n".join([*(c.text for c in chunks), *{c.title for c in chunks}])
                self._years[doc_id] = frozenset(years_named(text))
            said |= self._years[doc_id]
        return said

    @property
    def build_id(self) -> str:
        return self.index.build_id

    def warm_up(self) -> None:
        """Run one query so the first user does not pay for lazy model initialisation."""
        self.search(Query("warm up", "en"), 1)

    def _signal(self, faiss_index: Any, embedder: Any, query: str) -> Candidates:
        """The signal's candidate chunks for a query text, with their cosines."""
        if faiss_index is None or embedder is None or not len(self.chunks):
            return Candidates(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        k = min(self.settings.candidates, len(self.chunks))
        sims, rows = faiss_index.search(embed_query(embedder, query), k)
        found = rows[0] >= 0  # an approximate index may return fewer than k
        return Candidates(rows[0][found].astype(np.int64), sims[0][found].astype(np.float32))

    def hits(
        self,
        texts: list[str],
        english: bool,
        langs: Sequence[str] | None = None,
        documents_lang: str | None = None,
    ) -> tuple[list[Hit], float, float, float]:
        """Chunks ranked by fused signals over one or more query texts, and the best raw ones.

        ``english``: the texts include an English wording, so the English-only signals count.
        ``langs``: each text's language (detected when not given; a short wording is often
        detected wrongly, so the answer path says which is the question and which its English).
        ``documents_lang``: one wording is in that language (``Query.in_documents_language``):
        a chunk in it is ranked by that wording alone, which counts as much as the others
        together (they read it across languages: an English question ranked an Indonesian
        regulation's answer 20th, its Indonesian wording 1st), and that wording ranks no other.
        Only the signals' candidates are scored and fused: the work per question follows
        ``candidates`` and the BM25 matches, not the size of the index.
        """
        weights = self.settings.english_weights if english else self.settings.other_weights
        floors = (NOT_FOUND, NOT_FOUND, 0.0)  # BM25 0: no query term in the chunk
        fused: dict[int, float] = defaultdict(float)
        found: list[tuple[Candidates, Candidates, Candidates]] = []
        for text, asked_in in zip(texts, langs or [detect_language(t) for t in texts], strict=True):
            three = (
                self._signal(self.index.dense, self.dense_embedder, text),
                self._signal(self.index.multilingual, self.multi_embedder, text),
                Candidates(*bm25_matches(self.index.bm25, text)),
            )
            credits = [
                rrf(signal.rows, signal.scores, 1.0, self.settings.candidates, floor)
                for signal, floor in zip(three, floors, strict=True)
            ]
            asked_in = base_language(asked_in)
            own = documents_lang is not None and asked_in == documents_lang
            times = max(1, len(texts) - 1) if own else 1
            for row in set().union(*credits):
                if documents_lang is not None and (self._lang[row] == documents_lang) != own:
                    continue
                chunk_weights = weights if self._english[row] else self._non_english(weights)
                if (own or not english) and self._lang[row] == asked_in:
                    chunk_weights = self._same_language(chunk_weights)
                for weight, credit in zip(chunk_weights, credits, strict=True):
                    fused[row] += times * weight * credit.get(row, 0.0)
            sentences = self._sentences
            if (
                not own
                and sentences
                and self.multi_embedder
                and sentences.reads_other_than(asked_in)
            ):
                query = embed_query(self.multi_embedder, text)
                best = sentences.best(query, self.settings.candidates, skip_lang=asked_in)
                by_sentence = rrf(*best, 1.0, self.settings.candidates, NOT_FOUND)
                for row, share in by_sentence.items():
                    if documents_lang is None or self._lang[row] != documents_lang:
                        fused[row] += self.settings.sentence_multi_weight * share
            found.append(three)
        rows = np.array(
            sorted((r for r, f in fused.items() if f > 0), key=lambda r: (-fused[r], r)),
            dtype=np.int64,
        )
        # Each hit's best raw signal over the wordings; -1 below any cosine: not a candidate.
        raw = np.full((3, len(rows)), -1.0)
        for three in found:
            for i, (signal, floor) in enumerate(zip(three, floors, strict=True)):
                raw[i] = np.maximum(raw[i], signal.at(rows, floor))
        hits = [
            Hit(int(r), fused[int(r)], float(raw[0, j]), float(raw[1, j]), float(raw[2, j]))
            for j, r in enumerate(rows)
        ]
        tops = [
            max([0.0] + [float(three[i].scores.max(initial=0.0)) for three in found])
            for i in range(3)
        ]
        return hits, tops[0], tops[1], tops[2]

    @staticmethod
    def _non_english(weights: tuple[float, float, float]) -> tuple[float, float, float]:
        """The weights for a chunk not in English: MiniLM reads English only, so its vote on
        such a chunk is noise and goes to e5, which reads both; BM25 keeps its own (names,
        numbers and acronyms are written alike in any language). Without this, an English
        question's answer in an Indonesian or Chinese document has one signal of three."""
        dense, multi, lexical = weights
        return (0.0, dense + multi, lexical)

    def _same_language(self, weights: tuple[float, float, float]) -> tuple[float, float, float]:
        """The weights for a chunk in the language of a question not in English: BM25 reads
        all of its words there, not only the names and numbers other languages share, and
        weighs as for English."""
        dense, multi, _ = weights
        return (dense, multi, self.settings.english_weights[2])

    def search(self, query: Query, k: int | None = None) -> Retrieval:
        """The k best passage groups for a query, each shown as its original variant.

        For English questions two sentence-level signals refine the passage-level order, which
        blurs one matching sentence in a long passage about something else: the groups the
        signals found are fused once more with their rank by best-sentence similarity
        (``sentence_weight``), and the best few are re-ranked by how much of the question's
        rare vocabulary their best sentence contains (``rerank_pool``). A longer ``k`` keeps
        the order of a shorter one: only the head is re-ranked.
        """
        k = k or self.settings.top_k
        texts = query.search_texts
        english = query.lang == "en" or query.english is not None
        langs = [query.language_of(t) for t in texts]
        documents_lang = query.documents_lang if query.in_documents_language else None
        hits, top_dense, top_multi, top_lexical = self.hits(texts, english, langs, documents_lang)
        weights = self.settings.english_weights if english else self.settings.other_weights
        sentence_weight = self.settings.sentence_weight if english else 0.0
        wanted = max(k, self.settings.rerank_pool if english else k)
        if sentence_weight:
            wanted = max(wanted, self.settings.sentence_pool)
        if query.defines:
            wanted = max(wanted, self.settings.definition_pool)
        best: list[tuple[str, Chunk, Hit]] = []
        seen: set[str] = set()
        for hit in hits:
            chunk = self.chunks[hit.row]
            group = chunk.group_id or chunk.chunk_id
            if group not in seen:
                seen.add(group)
                best.append((group, chunk, hit))
                if len(best) == wanted:
                    break
        fused = np.array([hit.fused for _, _, hit in best], dtype=np.float64)
        shown = [self._passage(group, chunk, 0.0, hit) for group, chunk, hit in best]
        if sentence_weight and shown:
            similarity = self._best_sentence_similarity(texts, shown)
            fused = fused + sentence_weight * len(texts) * rrf_credits(similarity)
        # The best a passage in the question's language can score, with the weights a chunk in
        # that language gets (the cross-language sentence signal's credit takes a passage in
        # another language up to the same 1.0). With a wording in the documents' language a
        # chunk is ranked by the other wordings, or by that one counting as much as they do.
        if not english and base_language(query.lang) in self._languages:
            weights = self._same_language(weights)
        ranking = max(1, len(texts) - 1) if documents_lang else len(texts)
        best_possible = (ranking * sum(weights) + len(texts) * sentence_weight) / (RRF_K + 1)
        order = sorted(range(len(shown)), key=lambda i: -fused[i])
        passages = [
            replace(shown[i], score=min(1.0, float(fused[i]) / best_possible)) for i in order
        ]
        if english:
            head = self.settings.rerank_pool
            passages = (
                self._rerank_by_coverage(query.retrieval_text, passages[:head]) + (passages[head:])
            )
        if query.defines:
            passages = defining_first(passages, query.defines, k)
        return Retrieval(passages[:k], top_dense, top_multi, top_lexical)

    def _best_sentence_similarity(self, texts: list[str], passages: list[Passage]) -> np.ndarray:
        """Each passage's best MiniLM cosine between one of its sentences and one wording of
        the question, from the build's precomputed sentence vectors."""
        queries = np.vstack([embed_query(self.dense_embedder, t) for t in texts])
        out = np.zeros(len(passages))
        for i, p in enumerate(passages):
            sentences = self.sentence_cache.split(p.text, p.lang) or [p.text]
            vectors = self.sentence_cache.vectors(self.dense_embedder, sentences)
            out[i] = float((vectors @ queries.T).max())
        return out

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
        """The head re-ranked by how much of the English question's rare vocabulary a
        passage's best sentence holds; a passage in another language cannot hold it, so it
        keeps its fused score."""
        weight = self.settings.lexical_weight
        rescored = []
        for p in passages:
            if not is_english(p.lang):
                rescored.append(p)
                continue
            coverage = max(
                (self.idf.coverage(query, s) for s in self.sentence_cache.split(p.text, p.lang)),
                default=0.0,
            )
            rescored.append(replace(p, score=(p.score + weight * coverage) / (1 + weight)))
        return sorted(rescored, key=lambda p: p.score, reverse=True)
