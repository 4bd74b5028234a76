"""Evidence of one passage, for the verification tests."""

from __future__ import annotations

from chatbot.pipeline.evidence import Evidence
from chatbot.types import Passage


def one_passage(text: str, title: str = "Change Policy", location: str = "¶1") -> Evidence:
    passage = Passage(
        chunk_id="c1",
        doc_id="d1",
        title=title,
        variant="original",
        location=location,
        text=text,
        score=0.5,
        group_id="c1",
    )
    return Evidence(passages={1: passage})
