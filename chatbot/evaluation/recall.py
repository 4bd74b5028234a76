"""Retrieval recall: at which rank the passage holding the answer comes back.

A question's ``source_contains`` is a piece of the passage that answers it. The rank of a
question is the 1-based position of the first retrieved passage (any of its variants) whose
text contains that piece, both read as ``chatbot eval`` matches citations (NFKC, lower case,
spaces collapsed), so a PDF's line breaks or full-width characters do not hide a hit.
recall@k is the share of questions ranked at k or better.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chatbot.evaluation.evaluate import normalised
from chatbot.types import Passage


def passage_texts(passage: Passage) -> list[str]:
    """The passage's text and those of its other variants (one citation holds them all)."""
    return [passage.text, *(str(v.get("text", "")) for v in passage.variants)]


def answer_rank(ranked: Iterable[Sequence[str]], source_contains: str) -> int | None:
    """1-based rank of the first entry (a passage's texts) holding ``source_contains``."""
    needle = normalised(source_contains)
    for rank, texts in enumerate(ranked, 1):
        if any(needle in normalised(t) for t in texts):
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose answer passage is in the top ``k`` (0 when there are none)."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)
