"""Score answers against a questions file (format: ../shared/eval/README.md).

answer correct: every ``expect`` group has an alternative in the answer (case-insensitive);
citation hit: a cited passage contains ``source_contains`` (MRR by its rank among citations),
compared after NFKC, lower case and collapsed whitespace, as the questions' README specifies
(a phrase may cross a line break of a PDF);
abstention: unanswerable questions must come back ``abstained: true``;
unsupported facts: numbers and names in an answer that none of its cited passages states
(counted per answer; the target is 0).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from chatbot.pipeline.citations import MARKER, split_answer_sentences
from chatbot.pipeline.prompts import EXTRACTED_NOTICE, MODEL_UNAVAILABLE_NOTICE
from chatbot.pipeline.verify import unstated
from chatbot.types import Answer
from core.text import detect_language


class EvalError(ValueError):
    """The questions file is malformed; the message names the line."""


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-quantile of values (0.0 for none)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


@dataclass
class Summary:
    answerable: int = 0
    correct: int = 0
    cited: int = 0
    reciprocal_ranks: list[float] = field(default_factory=list)
    unanswerable: int = 0
    abstained_ok: int = 0
    false_abstentions: int = 0
    unsupported_answers: int = 0  # answers stating a number or name no cited passage states
    latencies: list[float] = field(default_factory=list)
    first_tokens: list[float] = field(default_factory=list)
    # Seconds until the user sees answer text: the first streamed token, else the whole answer.
    first_visible: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)  # answered, extracted, ... -> count

    def line(self) -> str:
        mrr = statistics.fmean(self.reciprocal_ranks) if self.reciprocal_ranks else 0.0
        p50 = statistics.median(self.latencies) if self.latencies else 0.0
        p95 = percentile(self.latencies, 0.95)
        return (
            f"answer accuracy {self.correct}/{self.answerable} | "
            f"citation hit {self.cited}/{self.answerable} | MRR {mrr:.3f} | "
            f"abstention {self.abstained_ok}/{self.unanswerable} "
            f"(false abstentions {self.false_abstentions}) | "
            f"unsupported facts in {self.unsupported_answers} answers | "
            f"latency p50 {p50:.2f} s p95 {p95:.2f} s | "
            f"first token p50 {percentile(self.first_tokens, 0.5):.2f} s | "
            f"first text p50 {percentile(self.first_visible, 0.5):.2f} s | "
            f"outcomes {self.outcome_line()}"
        )

    def outcome_line(self) -> str:
        return ", ".join(f"{name} {n}" for name, n in sorted(self.outcomes.items())) or "none"


def read_questions(path: Path) -> list[dict[str, Any]]:
    items = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{path}:{no}: not JSON: {exc}") from exc
        if not isinstance(item, dict) or "id" not in item or "question" not in item:
            raise EvalError(f"{path}:{no}: each line needs at least 'id' and 'question'")
        items.append(item)
    return items


def is_correct(answer: Answer, expect: list[list[str]]) -> bool:
    text = answer.answer.lower()
    return not answer.abstained and all(any(a.lower() in text for a in g) for g in expect)


def normalised(text: str) -> str:
    """NFKC, lower case, whitespace collapsed: how ``source_contains`` is matched."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def holds_source(text: str, source_contains: str) -> bool:
    return normalised(source_contains) in normalised(text)


def citation_rank(answer: Answer, source_contains: str | None) -> int | None:
    if not source_contains:
        return None
    for rank, citation in enumerate(answer.citations, 1):
        if holds_source(citation.text, source_contains):
            return rank
    return None


def unsupported_facts(answer: Answer, question: str | None = None) -> list[str]:
    """Numbers and names in a (non-abstained) answer that no cited passage states, checked by
    the rules of the answer's language: the question's, which the answer is written in (an
    Indonesian answer followed by an English quote is still Indonesian), else the answer's."""
    if answer.abstained:
        return []
    texts = [c.text for c in answer.citations]
    texts += [str(v.get("text", "")) for c in answer.citations for v in c.variants]
    lang = detect_language(question or MARKER.sub("", answer.answer))
    said = answer.answer
    for label in (*EXTRACTED_NOTICE.values(), *MODEL_UNAVAILABLE_NOTICE.values()):
        said = said.replace(label, " ")  # our own labels ("The passages say:") state nothing
    return [
        fact
        for sentence in split_answer_sentences(said, lang)
        for fact in unstated(sentence, texts, lang)
    ]


def ask_timed(answerer: Any, question: str, history: list[Any]) -> tuple[Answer, float | None]:
    """The answer, and the seconds to its first streamed token (None if nothing streamed)."""
    if not hasattr(answerer, "stream"):
        return answerer.ask(question, history), None
    started = time.perf_counter()
    first = None
    for event in answerer.stream(question, history):
        if event.kind == "token" and first is None:
            first = time.perf_counter() - started
        if event.kind == "done" and event.answer is not None:
            return event.answer, first
    raise RuntimeError("answer stream ended without an answer")  # pragma: no cover


def question_kind(item: dict[str, Any]) -> str:
    """What sort of question an eval item is: its own ``kind`` when the file gives one, else
    unanswerable, follow-up (it has a history) or answerable."""
    if isinstance(item.get("kind"), str) and item["kind"]:
        return str(item["kind"])
    if not item.get("answerable", True):
        return "unanswerable"
    return "follow-up" if item.get("history") else "answerable"


Progress = Callable[[dict[str, Any], dict[str, Any]], None]


def run_eval(
    answerer: Any,
    questions: Path,
    out: Path | None,
    *,
    on_result: Progress | None = None,
    progress: bool = False,
) -> Summary:
    """Ask every question; write results as JSON lines when ``out`` is given.

    ``on_result(item, record)`` is called after each question with its line of the questions
    file and its result; ``progress`` shows a progress bar on stderr.
    """
    items = read_questions(questions)
    summary = Summary()
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
    sink = out.open("w", encoding="utf-8") if out else None
    bar = tqdm(items, desc="eval", unit="q", disable=not progress, file=sys.stderr)
    try:
        for item in bar:
            history = [(q, a) for q, a in item.get("history", [])]
            answer, first = ask_timed(answerer, item["question"], history)
            summary.latencies.append(answer.latency_s)
            summary.outcomes[answer.outcome] += 1
            if first is not None:
                summary.first_tokens.append(first)
            summary.first_visible.append(first if first is not None else answer.latency_s)
            facts = unsupported_facts(answer, item["question"])
            summary.unsupported_answers += bool(facts)
            record = {"id": item["id"], **answer.to_json(), "unsupported_facts": facts}
            if item.get("answerable", True):
                summary.answerable += 1
                ok = is_correct(answer, item.get("expect", []))
                rank = citation_rank(answer, item.get("source_contains"))
                summary.correct += ok
                summary.cited += rank is not None
                summary.reciprocal_ranks.append(1 / rank if rank else 0.0)
                summary.false_abstentions += answer.abstained
                record["eval"] = {"correct": ok, "citation_rank": rank}
            else:
                summary.unanswerable += 1
                summary.abstained_ok += answer.abstained
                record["eval"] = {"abstained_ok": answer.abstained}
            if sink:
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                sink.flush()
            if on_result is not None:
                on_result(item, record)
            bar.set_postfix_str(
                f"correct {summary.correct}/{summary.answerable} "
                f"abstained {summary.abstained_ok}/{summary.unanswerable}",
                refresh=False,
            )
    finally:
        bar.close()
        if sink:
            sink.close()
    return summary
