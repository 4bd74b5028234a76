"""Retrieval recall: the rank of the first passage holding the answer, and recall@k."""

from __future__ import annotations

import pytest

from chatbot.evaluation.recall import answer_rank, passage_texts, recall_at
from chatbot.types import Passage


def passage(text: str, *variants: str) -> Passage:
    return Passage(
        chunk_id=text[:10],
        doc_id="d",
        title="T",
        variant="original",
        location="¶1",
        text=text,
        score=1.0,
        variants=tuple({"text": v} for v in variants),
    )


def test_the_rank_is_the_first_passage_holding_the_answer() -> None:
    ranked = [["Nothing here."], ["The ｔａｓｋ\nforce SHALL meet."], ["The task force shall."]]
    assert answer_rank(ranked, "Task Force shall") == 2
    assert answer_rank(ranked, "not in any passage") is None


def test_another_variant_of_a_passage_counts_as_the_passage() -> None:
    found = passage("Drafted by Korika in 2021.", "Drafted by Corica in 2021.")
    assert passage_texts(found) == ["Drafted by Korika in 2021.", "Drafted by Corica in 2021."]
    assert answer_rank([["Other."], passage_texts(found)], "by Corica") == 2


def test_recall_at_k_counts_misses_as_misses() -> None:
    ranks = [1, 3, 5, None]
    assert recall_at(ranks, 1) == pytest.approx(0.25)
    assert recall_at(ranks, 4) == pytest.approx(0.5)
    assert recall_at(ranks, 20) == pytest.approx(0.75)
    assert recall_at([], 4) == 0.0
