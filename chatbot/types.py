"""Small result types shared by retrieval, answering, the CLI and the web layer.

``Citation`` and ``Answer`` are the answer JSON of DESIGN.md, defined once: pydantic dataclasses,
so the answerer builds them positionally like any dataclass, while the HTTP API, the
OpenAI-compatible route and the OpenAPI docs take their schema (and descriptions) from here.
"""

from __future__ import annotations

from dataclasses import dataclass as plain_dataclass
from dataclasses import field
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    StrictStr,
    StringConstraints,
    TypeAdapter,
    field_serializer,
)
from pydantic.dataclasses import dataclass

# A chat turn as the eval format and the UI pass it: (question, answer or None).
Turn = tuple[str, str | None]

# What the web routes accept as history (/api/ask's pairs, /v1/chat/completions' messages).
MAX_HISTORY_TURNS = 20
MAX_HISTORY_CHARS = 4000  # per question or answer of the history
HistoryText = Annotated[StrictStr, StringConstraints(max_length=MAX_HISTORY_CHARS)]

# answered (generated and verified) | extracted (the passages' own sentences: no LLM, or the
# model declined or its answer did not verify on evidence that answers) | fallback (the
# passages' own sentences because the model failed: down, stalled) | abstained
OUTCOMES = ("answered", "extracted", "fallback", "abstained")


@plain_dataclass(frozen=True)
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
    """A passage an answer cites; ``n`` is the number of its ``[n]`` markers."""

    n: int = Field(description="The number used by the answer's [n] markers.")
    doc_id: str = Field(description="The document's id (one id for all its variants).")
    title: str = Field(description="The document's title.")
    variant: str = Field(description="The variant quoted, e.g. original, ja-derived.")
    location: str = Field(description="Where in the document: paragraph (¶n), page, section.")
    text: str = Field(description="The passage's text (plain text: escape it before HTML).")
    score: float = Field(description="Retrieval score of the passage, 0-1.")
    variants: tuple[dict[str, Any], ...] = Field(
        default=(),
        exclude_if=lambda v: not v,
        description="Other variants of the passage ({variant, location, text, "
        "only_in_original, only_in_variant, similarity}); left out when there are none.",
    )

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md citation object; ``variants`` only when there are some."""
        return _citation_json.dump_python(self, mode="json")

    @classmethod
    def from_passage(cls, n: int, p: Passage) -> Citation:
        return cls(
            n, p.doc_id, p.title, p.variant, p.location, p.text, round(p.score, 4), p.variants
        )


@dataclass
class Answer:
    """A cited answer, or an honest "not in the documents" (``abstained``)."""

    answer: str = Field(description="The answer, with [n] markers pointing into citations.")
    abstained: bool = Field(description="True when the documents do not answer the question.")
    citations: list[Citation] = field(default_factory=list)
    latency_s: float = Field(
        default=0.0, description="Seconds from question to answer on the server."
    )
    standalone_question: str | None = Field(
        default=None,
        exclude_if=lambda v: not v,
        description="What was searched, when a follow-up was read with the question it follows "
        "or the question was translated; left out otherwise.",
    )
    outcome: str = Field(
        default="answered",
        description="answered (generated, verified), extracted (the passages' own sentences: "
        "no LLM, or the model declined or its answer did not verify while the evidence "
        "answers), fallback (the passages' own sentences because the model failed: down, "
        "stalled), abstained.",
    )

    @field_serializer("latency_s")
    def _rounded(self, value: float) -> float:
        return round(value, 3)

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of DESIGN.md (plus optional extras that clients may ignore)."""
        return _answer_json.dump_python(self, mode="json")


_citation_json = TypeAdapter(Citation)
_answer_json = TypeAdapter(Answer)


@plain_dataclass(frozen=True)
class StreamEvent:
    """What a streaming answer yields: the citations first, then tokens, then the final answer."""

    kind: Literal["citations", "token", "done"]
    text: str = ""
    citations: tuple[Citation, ...] = ()
    answer: Answer | None = None
