"""Grouping and naming questions (a fake embedder here; the real e5 model in
tests/integration/test_grouping_real.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from chatbot.ops.charts import outcome_mix, questions_per_day
from chatbot.ops.grouping import QuestionGrouper, ctfidf_labels, label_terms
from chatbot.ops.reports import safe_cell, to_csv


class TopicEmbedder(Embeddings):
    """Questions about the same topic get one direction (the topic's name is in the text)."""

    topics = ("budget", "school", "river")

    def embed_query(self, text: str) -> list[float]:
        vector = np.zeros(4)
        for i, topic in enumerate(self.topics):
            if topic in text.lower():
                vector[i] = 1.0
        vector[3] = 0.05 * (len(text) % 3)  # a little noise inside a topic
        return (vector / np.linalg.norm(vector)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]


def test_questions_group_by_meaning_and_repeats_count() -> None:
    grouper = QuestionGrouper(TopicEmbedder(), distance=0.15, label_words=2, cache=10)
    groups = grouper.group(
        [
            "What is the budget?",
            "budget for 2030?",
            "What is the budget?",
            "Which school opens?",
            "Is the river clean?",
            "  ",
        ]
    )
    assert [(g.count, len(g.questions)) for g in groups] == [(3, 2), (1, 1), (1, 1)]
    assert "budget" in groups[0].label
    assert grouper.group([]) == []


def test_cjk_text_gives_label_terms() -> None:
    assert label_terms("生成式人工智能服务") == [
        "生成",
        "成式",
        "式人",
        "人工",
        "工智",
        "智能",
        "能服",
        "服务",
    ]
    # Katakana words are kept whole; hiragana (particles, endings) is not a term.
    assert label_terms("スライドはどの規定を挙げていますか") == ["規定", "挙", "スライド"]
    assert label_terms("Berapa bunga per hari?") == ["berapa", "bunga", "per", "hari"]


def test_ctfidf_prefers_the_words_of_one_group() -> None:
    labels = ctfidf_labels(
        [
            ["interest rate loans", "loans interest per day"],
            ["nuclear liability law", "law signed"],
        ],
        top=2,
    )
    assert labels == [["interest", "loans"], ["law", "liability"]]
    zh = ctfidf_labels([["核损害赔偿", "核损害责任"], ["网络借贷利息", "借贷利息上限"]], top=1)
    # Han bigrams the group's texts repeat together are joined back into their run
    assert zh == [["核损害"], ["借贷利息"]]
    (label,) = ctfidf_labels(
        [["巴西的国内生产总值是多少？", "巴西国内生产总值增长了多少？"]], top=1
    )
    assert label == ["国内生产总值"]
    (single,) = ctfidf_labels([["巴西的国内生产总值是多少？"]], top=2)
    assert all(len(t) == 2 for t in single)  # one question: no sentence-long "term"


def test_csv_cells_never_start_a_formula() -> None:
    assert [safe_cell(v) for v in ["=1+1", "+A1", "-2", "@SUM(A1)", "\tx", "plain", 3, -2.5]] == [
        "'=1+1",
        "'+A1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "plain",
        3,
        -2.5,
    ]
    text = to_csv(("a", "b"), [{"a": "=cmd|' /C calc'!A0", "b": ["x", "y"]}])
    assert text.splitlines()[1] == "'=cmd|' /C calc'!A0,x; y"


def test_charts_are_plain_svg_with_escaped_text() -> None:
    svg = questions_per_day([("2026-12-01", 3), ("2026-12-02", 0)])
    assert svg.startswith("<svg") and svg.count("<rect") == 2 and "<script" not in svg
    mix = outcome_mix({"answered": 2, "<b>odd</b>": 1})
    assert "&lt;b&gt;odd&lt;/b&gt;" in mix and "<b>" not in mix


class CountingEmbedder(TopicEmbedder):
    def __init__(self) -> None:
        self.calls = 0

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return super().embed_query(text)


def test_each_question_is_embedded_once_and_kept_in_the_database(
    settings_factory: Any,
) -> None:
    from chatbot.ops.database import OpsDatabase

    db = OpsDatabase(settings_factory())
    questions = ["What is the budget?", "budget for 2030?", "Which school opens?"]
    first = CountingEmbedder()
    before = QuestionGrouper(first, 0.15, 2, cache=10, model_name="m", store=db).group(questions)
    assert first.calls == 3
    again = CountingEmbedder()  # a restart or another replica: nothing in memory
    after = QuestionGrouper(again, 0.15, 2, cache=10, model_name="m", store=db).group(questions)
    assert again.calls == 0 and after == before
    other_model = CountingEmbedder()
    QuestionGrouper(other_model, 0.15, 2, cache=10, model_name="m2", store=db).group(questions)
    assert other_model.calls == 3  # a vector belongs to its model


def test_a_request_embeds_for_its_budget_and_the_rest_wait() -> None:
    embedder = CountingEmbedder()
    grouper = QuestionGrouper(embedder, 0.15, 2, cache=10)
    groups, waiting = grouper.group_within(["budget?", "school?", "river?"], budget_s=0.0)
    assert embedder.calls == 1 and waiting == 2 and sum(g.count for g in groups) == 1
    groups, waiting = grouper.group_within(["budget?", "school?", "river?"], budget_s=None)
    assert waiting == 0 and embedder.calls == 3 and len(groups) == 3
