"""Step 6, cite: markers cleaned and placed, unmarked restatements attributed, markers that miss
re-pointed, and only cited sentences kept."""

from __future__ import annotations

import pytest

from chatbot.pipeline.citations import (
    attribute_and_repoint,
    attribute_by_claims,
    cited_numbers,
    clean_markers,
    keep_cited,
    numbered_by_first_use,
    remark,
    strip_source_lead_ins,
    with_marker,
)
from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.evidence import Sentence

# --- placing a marker -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "default_end", "marked"),
    [
        ("It grew in 2020.", "", "It grew in 2020 [1]."),
        ("Did it grow?  ", "", "Did it grow [1]?"),
        ("It grew in 2020", "", "It grew in 2020 [1]"),
        ("It grew in 2020", ".", "It grew in 2020 [1]."),
        ("印度尼西亚于2020年发布了战略。", ".", "印度尼西亚于2020年发布了战略 [1]。"),
    ],
)
def test_with_marker_puts_the_marker_before_the_closing_punctuation(
    sentence: str, default_end: str, marked: str
) -> None:
    assert with_marker(sentence, 1, default_end) == marked


def test_remark_replaces_every_marker_with_one() -> None:
    assert remark("Delta [1] started [2][3] in 2021 [1].", 4) == "Delta started in 2021 [4]."
    assert remark("Delta started in 2021.", 2) == "Delta started in 2021 [2]."


# --- cleaning the model's markers -------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("It was released in 2020. [1]", "It was released in 2020 [1]."),
        ("It was released in 2020.[1][2] It grew.", "It was released in 2020 [1][2]. It grew."),
        ("Did it grow? [2]", "Did it grow [2]?"),
        ("印度尼西亚于2020年发布了战略。[1]", "印度尼西亚于2020年发布了战略 [1]。"),
        ("An ellipsis stays [1]...", "An ellipsis stays [1]..."),
    ],
)
def test_markers_move_before_the_full_stop(raw: str, clean: str) -> None:
    assert clean_markers(raw, {1, 2}) == clean


def test_a_leading_marker_moves_to_the_end_of_its_sentence() -> None:
    assert clean_markers("[1] China uses AI daily. It grew [2].", {1, 2}) == (
        "China uses AI daily [1]. It grew [2]."
    )


def test_a_leading_marker_moves_to_the_end_of_a_chinese_sentence() -> None:
    assert clean_markers("[1] 印度尼西亚于2020年发布了战略。", {1}) == (
        "印度尼西亚于2020年发布了战略 [1]。"
    )


def test_cited_numbers_in_order_of_first_appearance() -> None:
    assert cited_numbers("x [2] y [1][2] z [3, 1].") == [2, 1, 3]
    assert cited_numbers("no markers, [a] or [ ]") == []


# --- numbering from [1] ------------------------------------------------------------------------


def test_markers_are_numbered_from_one_in_order_of_first_use() -> None:
    text, numbers = numbered_by_first_use("A [5] and B [2]. Again A [5].", [1, 2, 3, 5])
    assert text == "A [1] and B [2]. Again A [1]."
    # every offered passage gets a number: the marked ones first, the rest in their own order
    assert numbers == {5: 1, 2: 2, 1: 3, 3: 4}
    assert list(numbers.values()) == [1, 2, 3, 4]


def test_an_answer_already_numbered_from_one_is_unchanged() -> None:
    text, numbers = numbered_by_first_use("A [1] and B [2].", [1, 2])
    assert (text, numbers) == ("A [1] and B [2].", {1: 1, 2: 2})


def test_brackets_that_are_not_markers_of_offered_passages_are_left_alone() -> None:
    text, numbers = numbered_by_first_use("In [2019] and 0449 [07], X [3] [9].", [3])
    assert text == "In [2019] and 0449 [07], X [1] [9]."
    assert numbers == {3: 1}


def test_text_without_markers_keeps_the_passages_order() -> None:
    assert numbered_by_first_use("Nothing cited.", [4, 2]) == ("Nothing cited.", {4: 1, 2: 2})


# --- attributing and re-pointing --------------------------------------------------------------

STRATEGY = "Indonesia released its National Artificial Intelligence Strategy in 2020."
FOURTH = "The fourth opportunity is cooperation in cybersecurity."
EVIDENCE = [Sentence(2, 0, STRATEGY, 1.0), Sentence(1, 3, FOURTH, 0.9)]
IDF = IdfTable(
    [
        STRATEGY,
        FOURTH,
        "China expects AI to add 600 billion dollars a year.",
        "Fintech and e-commerce companies in Indonesia already use AI.",
    ]
)


def test_a_sentence_restating_evidence_gets_its_passage_marker() -> None:
    text = "Indonesia released its AI strategy in 2020. The fourth opportunity is cybersecurity!"
    assert attribute_and_repoint(text, EVIDENCE, IDF) == (
        "Indonesia released its AI strategy in 2020 [2]. "
        "The fourth opportunity is cybersecurity [1]!"
    )


def test_an_unmarked_sentence_joining_what_one_passage_says_in_three_sentences_is_marked() -> None:
    """No one sentence restates half of it; the passage's sentences read together do."""
    third = [
        Sentence(2, 0, "The third opportunity is joint products for the regional market.", 1.0),
        Sentence(2, 1, "It allows access to a broader market and resource optimization.", 0.9),
        Sentence(2, 2, "It also offers commercial benefits.", 0.8),
        Sentence(1, 0, STRATEGY, 0.7),
    ]
    idf = IdfTable([e.text for e in third] + ["Other text about the weather in Jakarta."])
    text = (
        "Joint products for the regional market give commercial benefits, "
        "access to a broader market and resource optimization."
    )
    assert attribute_and_repoint(text, third, idf) == f"{text[:-1]} [2]."
    # A marker is moved only for a passage one of whose sentences restates it better: the
    # model's own [1] stays although passage 2's sentences together restate the sentence.
    marked = f"{text[:-1]} [1]."
    assert attribute_and_repoint(marked, third, idf) == marked


def test_a_sentence_restating_nothing_stays_unmarked() -> None:
    text = "China expects a large economic gain. I hope this helps."
    assert attribute_and_repoint(text, EVIDENCE, IDF) == text


def test_a_marker_whose_passage_restates_the_sentence_is_kept() -> None:
    text = "The fourth opportunity is cybersecurity [1]. Indonesia released it in 2020 [2]."
    assert attribute_and_repoint(text, EVIDENCE, IDF) == text


def test_a_marker_that_misses_is_repointed_to_the_passage_that_restates_it() -> None:
    text = "The fourth opportunity is cybersecurity [2]."
    assert attribute_and_repoint(text, EVIDENCE, IDF) == (
        "The fourth opportunity is cybersecurity [1]."
    )


def test_a_marker_is_not_repointed_when_its_passage_restates_nearly_as_well() -> None:
    # [1] holds every word; [2] all but "fourth", which most of the corpus uses.
    evidence = [
        Sentence(1, 0, "Cybersecurity cooperation is the fourth opportunity.", 1.0),
        Sentence(2, 0, "Cybersecurity cooperation is an opportunity.", 0.9),
    ]
    idf = IdfTable([e.text for e in evidence] + ["The fourth one."] * 20 + ["Other words."] * 5)
    text = "Cybersecurity cooperation is the fourth opportunity [2]."
    assert attribute_and_repoint(text, evidence, idf) == text
    # Without [2]'s sentence among the evidence, [1] restates it clearly better and takes it.
    assert attribute_and_repoint(text, evidence[:1], idf) == (
        "Cybersecurity cooperation is the fourth opportunity [1]."
    )


def test_without_evidence_nothing_changes() -> None:
    text = "Released in 2020 by Indonesia. The fourth opportunity [2]."
    assert attribute_and_repoint(text, [], IDF) == text


# --- keeping cited sentences ------------------------------------------------------------------


def test_keep_cited_drops_unmarked_sentences() -> None:
    text = (
        "Indonesia released it in 2020 [2]. I hope this answer helps you a lot! "
        "The fourth is cybersecurity [1][2]."
    )
    assert (
        keep_cited(text) == "Indonesia released it in 2020 [2]. The fourth is cybersecurity [1][2]."
    )
    assert keep_cited("I hope this answer helps you a lot.") == ""
    assert keep_cited("") == ""


def test_a_marker_only_moves_to_a_passage_that_states_the_sentences_facts() -> None:
    evidence = [
        Sentence(1, 0, "The fourth opportunity is cooperation in cybersecurity.", 1.0),
        Sentence(2, 0, "Indonesia and China can cooperate in many fields.", 0.5),
    ]
    idf = IdfTable([e.text for e in evidence] + ["Other text about trade.", "More on ports."])
    text = "The fourth opportunity for Indonesia and China is cybersecurity [2]."

    def states(sentence: str, n: int) -> bool:  # passage 1 lacks the names
        return n == 2

    assert attribute_and_repoint(text, evidence, idf) == (
        "The fourth opportunity for Indonesia and China is cybersecurity [1]."
    )
    assert attribute_and_repoint(text, evidence, idf, states) == text


def test_an_unmarked_sentence_in_another_language_is_marked_by_the_passage_stating_its_claims() -> (
    None
):
    texts = {1: "The plan started in 2019.", 2: "The plan was revised in 2020.", 3: "In 2020 too."}

    def states(sentence: str, numbers: tuple[int, ...]) -> bool:
        return all(any(c in texts[n] for n in numbers) for c in claims(sentence))

    def claims(sentence: str) -> list[str]:
        return [c for c in ("2019", "2020") if c in sentence]

    def closeness(sentence: str, numbers: list[int]) -> list[float]:
        return [0.9 if n == 3 else 0.5 for n in numbers]  # passage 3 reads closest

    first = "この計画は北部の州で2019年に始まりました。"
    second = "その後、計画は2020年に大きく改訂されました。"
    rest = "この計画は地域にとって重要なものです。既に始まっている計画です [1]。"
    marked = attribute_by_claims(first + second + rest, "ja", texts, claims, states, closeness)
    # 2019: only passage 1 states it; 2020: passages 2 and 3, the closer one wins; a sentence
    # without a claim, or with a marker already, is left as it is.
    assert marked == (
        "この計画は北部の州で2019年に始まりました [1]。"
        "その後、計画は2020年に大きく改訂されました [3]。" + rest
    )


@pytest.mark.parametrize(
    ("text", "lang", "stripped"),
    [
        (
            "According to passage [1], the plan started in 2020.",
            "en",
            "The plan started in 2020 [1].",
        ),
        ("According to passage 2, X is Y.", "en", "X is Y [2]."),
        ("Based on the provided passages, Korika leads it [2].", "en", "Korika leads it [2]."),
        ("As stated in the text [3], it grew.", "en", "It grew [3]."),
        ("Berdasarkan kutipan [1], Korika memimpin.", "id", "Korika memimpin [1]."),
        ("根据段落[1]，计划于2020年开始。", "zh", "计划于2020年开始 [1]。"),
        ("文書[2]によると、計画は2020年に始まった。", "ja", "計画は2020年に始まった [2]。"),
        (
            "The population is over 270 million, as stated in [1].",
            "en",
            "The population is over 270 million [1].",
        ),
        ("The plan started in 2020 (passage [2]).", "en", "The plan started in 2020 [2]."),
        ("Korika is behind it. This is stated in [1].", "en", "Korika is behind it [1]."),
        (
            'This is supported by passage [1], which states that "Korika leads it." [1]',
            "en",
            "Korika leads it [1].",
        ),
        ("Passage [2] says that the fund is 5 million.", "en", "The fund is 5 million [2]."),
    ],
)
def test_a_lead_in_naming_the_passages_is_removed_and_its_marker_kept(
    text: str, lang: str, stripped: str
) -> None:
    assert strip_source_lead_ins(text, lang) == stripped


@pytest.mark.parametrize(
    "text",
    [
        "In 2020, the plan started [1].",
        "The passages list three members [1].",
        "From 2019 to 2021, it grew [2]. It stopped [1].",
        "According to the minister [1], the plan started in 2020.",
        "The documents mentioned in Article 5 must be submitted by the platform [1].",
        "The document reads like a plan [1].",
        'Passage [1] says " ".',
    ],
)
def test_sentences_without_such_a_lead_in_are_unchanged(text: str) -> None:
    assert strip_source_lead_ins(text) == text


def test_a_bracketed_value_is_kept_as_a_number_not_taken_for_a_marker() -> None:
    assert (
        clean_markers("Cite it as OECD/LEGAL/[0449] [1].", {1}) == "Cite it as OECD/LEGAL/0449 [1]."
    )
    assert clean_markers("It began in [2019] [2].", {1, 2}) == "It began in 2019 [2]."
    assert clean_markers("It began in 2019 [7].", {1, 2}) == "It began in 2019."
