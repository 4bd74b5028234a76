"""Small result types shared by retrieval, answering, the CLI and the web layer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# A chat turn as the eval format and the UI pass it: (question, answer or None).
Turn = tuple[str, str | None]


@dataclass(frozen=True)
class Passage:
    """One retrieved passage group (variants of one paragraph collapsed), best variant first."""

    chunk_id: str
    doc_id: str
    title: str
    variant: str
    location: str
    text: str
    score: float
    group_id: str | None = None
    # Other variants of the same passage: [{"variant", "location", "text", "only_in_original",
    # "only_in_variant", "similarity"}].
    variants: tuple[dict[str, Any], ...] = ()
    # Raw signals of the best chunk of the group: MiniLM cosine, e5 cosine, BM25 score.
    dense: float = 0.0
    multi: float = 0.0
    lexical: float = 0.0
    lang: str = "en"  # the passage's language, for sentence splitting


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    variant: str
    location: str
    text: str
    score: float
    variants: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md citation object; ``variants`` only when there are some."""
        return {k: v for k, v in asdict(self).items() if k != "variants" or v}

    @classmethod
    def from_passage(cls, n: int, p: Passage) -> Citation:
        return cls(
            n, p.doc_id, p.title, p.variant, p.location, p.text, round(p.score, 4), p.variants
        )


@dataclass
class Answer:
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    latency_s: float = 0.0
    # What a follow-up was searched with (the question and the one it follows).
    standalone_question: str | None = None
    # answered (generated and verified) | extracted (no LLM) | fallback (the passages' own
    # sentences, after the model failed or its answer did not verify) | abstained
    outcome: str = "answered"

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of DESIGN.md (plus optional extras that clients may ignore)."""
        out: dict[str, Any] = {
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "latency_s": round(self.latency_s, 3),
            "outcome": self.outcome,
        }
        if self.standalone_question:
            out["standalone_question"] = self.standalone_question
        return out


@dataclass(frozen=True)
class StreamEvent:
    """What a streaming answer yields: the citations first, then tokens, then the final answer."""

    kind: Literal["citations", "token", "done"]
    text: str = ""
    citations: tuple[Citation, ...] = ()
    answer: Answer | None = None
