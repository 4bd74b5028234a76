"""An answer sentence that says the opposite of the passage sentence it restates is dropped by
verification (chatbot/pipeline/negation.py), whatever the document."""

from __future__ import annotations

import pytest

from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.negation import negations, turned_around
from chatbot.pipeline.understand import Query
from chatbot.pipeline.verify import verify
from core.settings import AnswerSettings
from tests.unit.pipeline.one_passage import one_passage

RELEASE = (
    "For FedRAMP, every new code release is not automatically considered a significant change. "
    "The CSP "
    "must perform a security impact analysis (SIA) for each release."
)


def _verify(answer: str, question: str, text: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    idf = IdfTable([text, "Nurses train.", "Funding comes from a regional bank."])
    return verify(
        answer,
        Query(question, lang),
        one_passage(text),
        lambda _: False,
        idf,
        AnswerSettings().min_overlap,
    )


def test_a_yes_over_a_passage_that_says_not_is_dropped() -> None:
    verdict = _verify(
        "Yes, FedRAMP treats every new code release as a significant change [1].",
        "Does FedRAMP treat every new code release as a significant change?",
        RELEASE,
    )
    assert verdict.outcome == "unsupported"
    assert "says the opposite" in verdict.dropped[0]
    assert not verdict.invented  # the passages hold the answer: they are quoted, not abstained


@pytest.mark.parametrize(
    "answer",
    [
        "No, every new code release is not automatically considered a significant change [1].",
        "The CSP must perform a security impact analysis (SIA) for each release [1].",
    ],
)
def test_an_answer_that_keeps_the_passages_polarity_is_kept(answer: str) -> None:
    verdict = _verify(answer, "Is every new code release a significant change?", RELEASE)
    assert verdict.outcome == "answered", verdict.dropped


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # Only a sentence opening with a verdict is judged: rephrasing a bound is faithful.
        (
            "The Director shall report within 90 days [1].",
            "The Director shall report not later than 90 days after enactment.",
        ),
        ("Grants are capped at $5 million [1].", "Grants shall not exceed $5 million."),
        # Bounds, numbers and lists are no denial, after a verdict too.
        (
            "Yes, grants are awarded up to $5 million each year [1].",
            "Grants are awarded, not to exceed $5 million each year.",
        ),
        (
            "Yes, the plan covers ports, roads and rail [1].",
            "The plan covers, but is not limited to, ports, roads and rail.",
        ),
        (
            "Yes, the Minister may revoke the licence at once [1].",
            "Without prejudice to Article 7, the Minister may revoke the licence at once.",
        ),
        (
            "Yes, PP 46 of 2009 limits the liability to Rp 4 trillion [1].",
            "PP No. 46 of 2009 limits the liability to Rp 4 trillion.",
        ),
        # "No." of a number is no verdict.
        (
            "No. 46/2009 sets the liability of each operator [1].",
            "No. 46/2009 sets the liability of each operator.",
        ),
        # A clause that denies in other words is not judged.
        (
            "Yes, the agency is prohibited from using the data for marketing [1].",
            "The agency must not use the data for marketing.",
        ),
        (
            "Ya, penyelenggara dilarang memberikan pinjaman tanpa izin [1].",
            "Penyelenggara tidak boleh memberikan pinjaman tanpa izin.",
        ),
        # Two denials in a passage clause are still one denied clause.
        (
            "No, records shall not be destroyed before review [1].",
            "Records shall not be destroyed before review and shall not be altered.",
        ),
        (
            "No, neither the contractor nor the agency may disclose the data [1].",
            "Neither the contractor nor the agency may disclose the data.",
        ),
    ],
)
def test_faithful_answers_are_kept(answer: str, passage: str) -> None:
    assert turned_around(answer, [passage], "en") is None


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Yes, FedRAMP treats every new code release as a significant change [1].", RELEASE),
        (
            "No, the article does not say China uses face recognition at train stations [1].",
            "China uses face recognition at train stations and in hospitals.",
        ),
        (
            "Yes, the contractor may disclose the data to the agency [1].",
            "Neither the contractor nor the agency may disclose the data.",
        ),
        (
            "Yes. The permit is required for small vessels [1].",
            "The permit is no longer required for small vessels.",
        ),
        (
            "No: members are not paid for their service on the board [1].",
            "Members are paid for their service on the board.",
        ),
    ],
)
def test_a_verdict_the_passage_contradicts_is_found(answer: str, passage: str) -> None:
    assert turned_around(answer, [passage], "en") is not None


def test_the_clause_restating_the_question_is_the_one_compared() -> None:
    passage = "A new code release is not automatically a significant change, but an SIA is due."
    answer = "No, not every new code release is a significant change, but an SIA is due [1]."
    assert turned_around(answer, [passage], "en") is None


def test_negations_are_counted_as_denials() -> None:
    assert negations("Members shall serve without compensation and may not be paid.") == 2
    assert negations("not later than 90 days; No. 46; not to exceed 5%; not only ports") == 0
    assert negations("tidak hanya bank, tetapi juga koperasi") == 0
    assert negations("The plan doesn’t apply") == 1


def test_indonesian_verdicts_are_read() -> None:
    text = "Penyelenggara tidak wajib memiliki kantor di luar negeri."
    assert turned_around(
        "Ya, penyelenggara wajib memiliki kantor di luar negeri [1].", [text], "id"
    )
    assert not turned_around(
        "Tidak, penyelenggara tidak wajib memiliki kantor di luar negeri [1].", [text], "id"
    )


def test_languages_that_negate_inside_words_are_not_read() -> None:
    answer = "Yes, FedRAMP treats every new code release as a significant change [1]."
    assert turned_around(answer, [RELEASE], "en") is not None
    assert turned_around(answer, [RELEASE], "ja") is None


def test_a_sentence_sharing_few_words_with_any_passage_clause_is_not_judged() -> None:
    assert turned_around("Yes, the agency reviews cloud vendors [1].", [RELEASE], "en") is None
