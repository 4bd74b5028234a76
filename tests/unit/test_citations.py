"""Answer markers: unknown passages removed, grouped markers split, unmarked claims attributed."""

from __future__ import annotations

import pytest

from chatbot.citations import attribute_unmarked, cited_numbers, clean_markers, verify_markers
from chatbot.evidence import Evidence, IdfTable


def test_markers_to_unknown_passages_are_removed_and_spaces_tidied() -> None:
    text = "Released in 2020 [1] [7]. It names Korika [9] . Ok [2]."
    assert clean_markers(text, {1, 2}) == "Released in 2020 [1]. It names Korika. Ok [2]."


def test_grouped_markers_are_split_and_deduplicated() -> None:
    assert clean_markers("Both agree [1, 2].", {1, 2}) == "Both agree [1][2]."
    assert clean_markers("Both agree [2; 1, 2, 5].", {1, 2}) == "Both agree [2][1]."
    assert clean_markers("Both agree [ 3 ,4 ].", {1, 2}) == "Both agree."


def test_clean_leaves_text_without_markers_and_other_brackets_alone() -> None:
    assert clean_markers("  A list [a] of   things.  ", {1}) == "A list [a] of things."
    assert clean_markers("", {1}) == ""


def test_cited_numbers_in_order_of_first_appearance() -> None:
    assert cited_numbers("x [2] y [1][2] z [3, 1].") == [2, 1, 3]
    assert cited_numbers("no markers, [a] or [ ]") == []


EVIDENCE = [
    Evidence(0, 0, "Indonesia released its National Artificial Intelligence Strategy in 2020", 1.0),
    Evidence(1, 2, "The fourth opportunity is cooperation in cybersecurity.", 0.9),
]
IDF = IdfTable(
    [
        EVIDENCE[0].text,
        EVIDENCE[1].text,
        "China expects AI to add 600 billion dollars a year.",
        "Fintech and e-commerce companies in Indonesia already use AI.",
    ]
)
NUMBERS = {0: 2, 1: 1}  # passage index -> citation number


def test_a_sentence_restating_evidence_gets_its_passage_marker() -> None:
    text = "Indonesia released its AI strategy in 2020. The fourth opportunity is cybersecurity!"
    assert attribute_unmarked(text, EVIDENCE, NUMBERS, IDF) == (
        "Indonesia released its AI strategy in 2020 [2]. "
        "The fourth opportunity is cybersecurity [1]!"
    )


def test_a_sentence_restating_nothing_stays_unmarked() -> None:
    text = "China expects a large economic gain. I hope this helps."
    assert attribute_unmarked(text, EVIDENCE, NUMBERS, IDF) == text


def test_marked_sentences_are_not_touched_and_no_evidence_means_no_markers() -> None:
    text = "The fourth opportunity is cybersecurity [2]. Released in 2020 by Indonesia"
    assert attribute_unmarked(text, EVIDENCE, NUMBERS, IDF) == (
        "The fourth opportunity is cybersecurity [2]. Released in 2020 by Indonesia [2]"
    )
    assert attribute_unmarked("Released in 2020 by Indonesia.", [], NUMBERS, IDF) == (
        "Released in 2020 by Indonesia."
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("It was released in 2020. [1]", "It was released in 2020 [1]."),
        ("Over 270 million, as stated in passage [1].", "Over 270 million [1]."),
        ("It is cybersecurity. This can be found in passage [2].", "It is cybersecurity [2]."),
        ("Korika, which are supported by passage [1].", "Korika [1]."),
        ("An ellipsis stays [1]...", "An ellipsis stays [1]..."),
    ],
)
def test_markers_move_before_the_full_stop_and_pointer_phrases_go(raw: str, clean: str) -> None:
    assert clean_markers(raw, {1, 2}) == clean


def test_a_leading_marker_moves_to_the_end_of_its_sentence() -> None:
    assert clean_markers("[1] China uses AI daily. It grew [2].", {1, 2}) == (
        "China uses AI daily [1]. It grew [2]."
    )


def test_verify_markers_repoints_a_claim_to_the_passage_that_states_it() -> None:
    idf = IdfTable(["fourth opportunity cybersecurity", "partnership overview", "misc text"])
    evidence = [
        Evidence(0, 0, "The partnership overview covers many areas.", 1.0),
        Evidence(1, 0, "The fourth opportunity is cybersecurity policy.", 0.9),
    ]
    numbers = {0: 1, 1: 2}
    fixed = verify_markers("The fourth opportunity is cybersecurity [1].", evidence, numbers, idf)
    assert fixed == "The fourth opportunity is cybersecurity [2]."
    # A marker whose passage does state the claim is left alone.
    kept = verify_markers("The partnership overview covers areas [1].", evidence, numbers, idf)
    assert kept == "The partnership overview covers areas [1]."
