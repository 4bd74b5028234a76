"""Question in, cited answer (or an honest "not in the documents") out.

    question -> guard (injection) -> standalone rewrite (follow-ups) -> hybrid retrieval
    -> support check -> evidence sentences -> LLM (streamed) or extractive -> marker clean-up

Citation numbers are the passages' retrieval ranks, so markers streamed to the user never change
meaning; the final answer keeps only the passages it actually cites.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from chatbot.citations import (
    attribute_unmarked,
    cited_numbers,
    clean_markers,
    verify_markers,
    with_marker,
)
from chatbot.evidence import Evidence, score_sentences, select_evidence
from chatbot.language import detect_language
from chatbot.prompts import (
    ANSWER_TEMPLATE,
    INJECTION_PATTERNS,
    LANGUAGE_NAMES,
    NOT_IN_DOCUMENTS,
    REFUSAL_PATTERNS,
    REWRITE_TEMPLATE,
    SENTINEL,
    SYSTEM_PROMPT,
)
from chatbot.retrieve import Retrieval, Retriever
from chatbot.types import Answer, Citation, Passage, StreamEvent, Turn
from ingest.lexical import tokens
from ingest.settings import Settings

# Evidence given to the LLM: ~120 tokens. Prompt reading runs at ~58 tokens/s on 2 cores, so
# this keeps the first token near 2.5 s once the system prompt is cached.
CONTEXT_CHARS = 500
EXTRACTIVE_POOL_CHARS = 900  # sentences the extractive answerer chooses from
EXTRACTIVE_CHARS = 500
EXTRACTIVE_KEEP = 0.85  # a second passage's sentence must score within 15% of the best
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][A-Za-z]+|[A-Z]{2,}[A-Za-z]*)\b")
_FOLLOW_UP = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|ini|itu|tersebut|"
    r"mereka|nya)\b|それ|その|これ|この|它|其|这|那",
    re.IGNORECASE,
)
_INJECTION = re.compile("|".join(INJECTION_PATTERNS), re.IGNORECASE)
_REFUSAL = re.compile("|".join(REFUSAL_PATTERNS), re.IGNORECASE)


def looks_like_injection(question: str) -> bool:
    return bool(_INJECTION.search(question))


def unknown_names(question: str, knows: Any) -> list[str]:
    """Capitalised names and acronyms in an English question that the corpus never mentions."""
    names = _NAME.findall(question.strip())
    return [n for n in names if not all(knows(t) for t in tokens(n))]


def heuristic_standalone(question: str, history: Sequence[Turn]) -> str:
    """Without an LLM: a follow-up is retrieved together with the question it follows."""
    if not history:
        return question
    is_follow_up = _FOLLOW_UP.search(question) or len(tokens(question)) <= 3
    # The follow-up goes first: answer types are read from the question's start ("When ..."),
    # and the previous question's type must not decide what this one asks for.
    return f"{question} {history[-1][0]}" if is_follow_up else question


def _yield_cpu_to_the_model() -> None:
    """One torch thread here: spinning torch threads starve llama.cpp on a 2-core machine.

    Query and sentence embeddings are small; the model's prompt reading is what the user waits on.
    """
    import torch

    torch.set_num_threads(1)


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
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Answerer:
        """Load the index and models; start the bundled LLM when configured (slow, ~10-40 s)."""
        retriever = Retriever.from_settings(settings)
        retriever.warm_up()
        if settings.llm == "none":
            return cls(settings, retriever)
        from chatbot.llm import LlmUnavailable, make_chat_model, start_bundled

        key = settings.llm_api_key.get_secret_value()
        if settings.llm == "openai":
            if not settings.llm_base_url:
                raise LlmUnavailable("SQA_LLM=openai needs SQA_LLM_BASE_URL (e.g. an Ollama URL)")
            model = make_chat_model(
                settings.llm_base_url,
                settings.llm_model,
                key,
                settings.llm_max_tokens,
                settings.llm_timeout_s,
            )
            return cls(
                settings, retriever, model, f"{settings.llm_model} at {settings.llm_base_url}"
            )
        # A child process (a model crash never kills the server), warmed with the system prompt
        # so the first question already finds it in the KV cache.
        server = start_bundled(settings, SYSTEM_PROMPT)
        _yield_cpu_to_the_model()
        model = make_chat_model(
            server.base_url,
            settings.llm_model,
            key,
            settings.llm_max_tokens,
            settings.llm_timeout_s,
        )
        label = f"{settings.llm_model} (bundled GGUF, llama.cpp)"
        return cls(settings, retriever, model, label, server)

    def close(self) -> None:
        """Stop the bundled model's server process, if this answerer started one."""
        if self.llm_server is not None:
            self.llm_server.stop()
            self.llm_server = None

    def health(self) -> dict[str, object]:
        manifest = self.retriever.index.manifest
        return {
            "build_id": manifest["build_id"],
            "documents": manifest["counts"]["documents"],
            "chunks": manifest["counts"]["chunks"],
            "models": {
                "dense": self.settings.dense_model,
                "multilingual": self.settings.multilingual_model,
                "llm": self.llm_label,
            },
            "llm": self.llm_label,
        }

    # --- public API -------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        for event in self.stream(question, history):
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise RuntimeError("answer stream ended without an answer")  # pragma: no cover

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        question = " ".join(question.split())[: self.settings.max_question_chars]
        lang = detect_language(question)

        def abstain(standalone: str | None = None) -> StreamEvent:
            rewritten = standalone if standalone != question else None
            answer = Answer(
                NOT_IN_DOCUMENTS[lang], True, [], time.perf_counter() - started, rewritten
            )
            return StreamEvent("done", answer=answer)

        if not question or looks_like_injection(question):
            yield abstain()
            return
        standalone = self.standalone_question(question, history)
        with self._lock:  # embedders are shared by the server's threads
            retrieval = self.retriever.search(standalone, self.settings.top_k, lang)
            supported = self.is_supported(retrieval, standalone, lang)
            budget = CONTEXT_CHARS if self.chat_model is not None else EXTRACTIVE_POOL_CHARS
            evidence = (
                self._evidence(standalone, retrieval.passages, lang, budget) if supported else []
            )
        if not supported:
            yield abstain(standalone)
            return
        # Passages are numbered by the strength of their best sentence, [1] strongest: a small
        # model leans on what it reads first, and readers check [1] first.
        best: dict[int, float] = {}
        for ev in evidence:
            best[ev.passage_index] = max(best.get(ev.passage_index, ev.score), ev.score)
        ranked = sorted(best, key=lambda i: best[i], reverse=True)
        numbers = {index: n for n, index in enumerate(ranked, 1)}
        by_number = {n: retrieval.passages[index] for index, n in numbers.items()}
        offered = sorted(by_number)
        yield StreamEvent(
            "citations", citations=tuple(Citation.from_passage(n, by_number[n]) for n in offered)
        )

        if self.chat_model is None:
            text = self._extractive(evidence, numbers)
            for piece in re.findall(r"\S+\s*", text):  # word by word, like a generated answer
                yield StreamEvent("token", text=piece)
        else:
            pieces: list[str] = []
            for piece in self._generate(standalone, evidence, numbers, lang):
                pieces.append(piece)
                if SENTINEL not in piece:  # _generate holds the sentinel back whole: never show it
                    yield StreamEvent("token", text=piece)
            text = "".join(pieces)
            if _REFUSAL.search(text) or SENTINEL[:8] in text or "Rules:" in text:
                yield abstain(standalone)
                return
        text = clean_markers(text, offered)
        if cited_numbers(text):
            text = verify_markers(text, evidence, numbers, self.retriever.idf)
        else:
            text = attribute_unmarked(text, evidence, numbers, self.retriever.idf)
        cited = [n for n in cited_numbers(text) if n in offered]
        answer = Answer(
            text,
            False,
            [Citation.from_passage(n, by_number[n]) for n in cited],
            time.perf_counter() - started,
            standalone if standalone != question else None,
        )
        yield StreamEvent("done", answer=answer)

    # --- steps --------------------------------------------------------------------------------
    def standalone_question(self, question: str, history: Sequence[Turn]) -> str:
        """A follow-up rewritten so it can be retrieved on its own."""
        fallback = heuristic_standalone(question, history)
        if not history or self.chat_model is None or fallback == question:
            return fallback
        conversation = "\n".join(f"Q: {q}\nA: {(a or '')[:200]}" for q, a in list(history)[-3:])
        prompt = REWRITE_TEMPLATE.format(conversation=conversation, question=question)
        try:
            reply = self.chat_model.invoke(
                [("system", SYSTEM_PROMPT), ("human", prompt)], max_tokens=48, stop=["\n"]
            )
            rewritten = str(reply.content).strip().strip('"')
        except Exception:
            return fallback
        ok = (
            3 <= len(rewritten) <= 2 * self.settings.max_question_chars
            and SENTINEL not in rewritten
        )
        return rewritten if ok else fallback

    def is_supported(self, retrieval: Retrieval, question: str, lang: str) -> bool:
        """Is there enough evidence to try answering? Otherwise the answer is an abstention."""
        if not retrieval.passages:
            return False
        if lang == "en" and unknown_names(question, self.retriever.idf.knows):
            return False  # e.g. "GDP of Brazil" over a corpus that never mentions Brazil
        has_multi = self.retriever.index.multilingual is not None
        top = retrieval.top_multi if has_multi else retrieval.top_dense
        return top >= self.settings.min_support

    def _evidence(
        self, question: str, passages: list[Passage], lang: str, max_chars: int
    ) -> list[Evidence]:
        english = lang == "en"
        embedder = self.retriever.dense_embedder
        if not english and self.retriever.multi_embedder is not None:
            embedder = self.retriever.multi_embedder
        scored = score_sentences(question, passages, embedder, self.retriever.idf, english)
        if any(e.typed for e in scored):  # "when" needs a date, "which agency" a name, ...
            scored = [e for e in scored if e.typed]
        return select_evidence(scored, max_chars, keep_ratio=0.75)

    def _extractive(self, evidence: list[Evidence], numbers: dict[int, int]) -> str:
        """The best sentence of each of the best passages, close to the top score, in order."""
        best = sorted(evidence, key=lambda e: e.score, reverse=True)
        chosen: list[Evidence] = []
        for ev in best:
            if any(e.passage_index == ev.passage_index for e in chosen):
                continue
            too_long = sum(len(e.text) for e in chosen) + len(ev.text) > EXTRACTIVE_CHARS
            if chosen and (too_long or ev.score < EXTRACTIVE_KEEP * best[0].score):
                continue
            chosen.append(ev)
        chosen.sort(key=lambda e: (numbers[e.passage_index], e.sentence_index))
        return " ".join(with_marker(ev.text, numbers[ev.passage_index], ".") for ev in chosen)

    def _generate(
        self, question: str, evidence: list[Evidence], numbers: dict[int, int], lang: str
    ) -> Iterator[str]:
        blocks: dict[int, list[str]] = {}
        for ev in evidence:
            blocks.setdefault(numbers[ev.passage_index], []).append(ev.text)
        context = "\n".join(f"[{n}] {' '.join(texts)}" for n, texts in sorted(blocks.items()))
        prompt = ANSWER_TEMPLATE.format(
            passages=context, question=question, language=LANGUAGE_NAMES.get(lang, "English")
        )
        messages = [("system", SYSTEM_PROMPT), ("human", prompt)]
        held = ""  # hold back text that may be the start of the sentinel
        assert self.chat_model is not None
        for chunk in self.chat_model.stream(messages, max_tokens=self.settings.llm_max_tokens):
            held += str(chunk.content)
            if SENTINEL.startswith(held.strip()) and len(held.strip()) < len(SENTINEL):
                continue
            if held:
                yield held
                held = ""
        if held:
            yield held
