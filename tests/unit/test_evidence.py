"""Sentence-level evidence: splitting, IDF coverage, answer types, the evidence budget."""

from __future__ import annotations

import pytest

from chatbot.evidence import (
    Evidence,
    IdfTable,
    answer_type_match,
    select_evidence,
    sentences,
    stem,
)

# --- sentences --------------------------------------------------------------------------------


def test_headings_are_dropped_and_sentences_split() -> None:
    text = (
        "Cyber Security Cooperation\n\n"
        "The fourth opportunity is cooperation in cybersecurity. "
        "Both countries face growing threats online!"
    )
    assert sentences(text) == [
        "The fourth opportunity is cooperation in cybersecurity.",
        "Both countries face growing threats online!",
    ]


def test_stranded_fragments_join_the_sentence_before() -> None:
    # The Japanese round trip leaves fragments such as "I aimed." and "is emphasized.".
    text = "The strategy sets out five priority areas for the country. I aimed. is emphasized."
    assert sentences(text) == [
        "The strategy sets out five priority areas for the country. I aimed. is emphasized."
    ]


def test_fragment_may_join_across_blocks_and_line_breaks_are_flattened() -> None:
    text = "A sentence that is long enough\nto stand on its own.\n\nI aimed."
    assert sentences(text) == ["A sentence that is long enough to stand on its own. I aimed."]


def test_question_blocks_are_not_headings_and_cjk_punctuation_splits() -> None:
    assert sentences("Why does Indonesia need a national AI strategy?") == [
        "Why does Indonesia need a national AI strategy?"
    ]
    assert sentences("インドネシアは2020年に国家戦略を発表した。中国との協力も検討している。") == [
        "インドネシアは2020年に国家戦略を発表した。中国との協力も検討している。"
    ]  # no space after 。: one piece, as written
    assert sentences("") == []


# --- IDF coverage -----------------------------------------------------------------------------

TEXTS = [
    "The first opportunity is trade between the two countries.",
    "The second opportunity is research and education.",
    "The fourth opportunity is cybersecurity cooperation.",
    "Indonesia released its national strategy in 2020.",
    "Describe what the government says about talent.",
]


@pytest.fixture(scope="module")
def idf() -> IdfTable:
    return IdfTable(TEXTS)


def test_rare_words_weigh_more_than_common_ones(idf: IdfTable) -> None:
    assert idf.idf(stem("fourth")) > idf.idf(stem("opportunity"))
    question = "What is the fourth opportunity?"
    with_rare = idf.coverage(question, TEXTS[2])
    with_common_only = idf.coverage(question, TEXTS[0])
    assert with_rare == pytest.approx(1.0)
    assert 0.0 < with_common_only < 0.5


def test_words_the_corpus_never_uses_are_ignored(idf: IdfTable) -> None:
    # "zebra" could be in no sentence, so it must not lower the coverage of the best one.
    assert idf.coverage("What is the fourth zebra opportunity?", TEXTS[2]) == pytest.approx(1.0)
    assert idf.coverage("Zebra giraffe?", TEXTS[2]) == 0.0
    assert not idf.knows("zebra") and idf.knows("opportunities")  # lower-case tokens


def test_framing_words_are_ignored(idf: IdfTable) -> None:
    # "describe", "say" and "government"... only the first two frame the question.
    question = "Describe what the article says about the fourth opportunity"
    assert idf.coverage(question, TEXTS[2]) == pytest.approx(1.0)
    # The sentence that shares only the framing words covers nothing.
    assert idf.coverage(question, TEXTS[4]) == 0.0


def test_stemming_matches_inflections(idf: IdfTable) -> None:
    assert stem("released") == stem("release") == stem("releases")
    assert stem("opportunities") == stem("opportunity")
    assert idf.coverage("When was the strategy release?", TEXTS[3]) == pytest.approx(1.0)
    assert idf.coverage("Which opportunities exist?", TEXTS[1]) == pytest.approx(1.0)


# --- answer types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("When did Indonesia release its strategy?", "It was released in 2020.", True),
        ("When did Indonesia release its strategy?", "It was released recently.", False),
        ("Kapan Indonesia meluncurkan strategi nasional?", "The strategy came out in 2020.", True),
        ("Kapan Indonesia meluncurkan strategi nasional?", "The strategy is ambitious.", False),
        ("インドネシアはいつ戦略を発表しましたか？", "It was released in 2020.", True),
        ("How many people live in Indonesia?", "Indonesia has 270 million people.", True),
        ("How many people live in Indonesia?", "Indonesia has many people.", False),
        ("Berapa jumlah penduduk Indonesia?", "Indonesia has 270 million people.", True),
        ("Berapa jumlah penduduk Indonesia?", "Indonesia is populous.", False),
        (
            "Which agency could receive input on cyber risks?",
            "Input could go to the National Cyber and Crypto Agency (BSSN) on risks.",
            True,
        ),
        ("Which agency could receive input?", "An agency could receive input.", False),
        ("Who was granted a Golden Visa?", "The government granted one to Sam Altman.", True),
        ("Who was granted a Golden Visa?", "The government granted one to a founder.", False),
        ("Siapa yang mendapat visa?", "The visa went to Sam Altman last year.", True),
        ("Siapa yang mendapat visa?", "The visa went to a founder last year.", False),
    ],
)
def test_answer_type_match(question: str, sentence: str, expected: bool) -> None:
    assert answer_type_match(question, sentence) is expected


def test_a_name_at_the_start_of_a_sentence_is_not_a_who_answer() -> None:
    assert answer_type_match("Who leads it?", "Sam Altman is mentioned.") is False


def test_questions_without_a_clear_answer_type() -> None:
    assert answer_type_match("What is Korika?", "Korika is a collaboration.") is None
    assert answer_type_match("Why does AI matter?", "It was released in 2020.") is None


# --- select_evidence --------------------------------------------------------------------------


def ev(passage: int, sentence: int, score: float, chars: int = 100) -> Evidence:
    return Evidence(passage, sentence, "x" * chars, score)


def test_select_keeps_sentences_near_the_best_in_reading_order() -> None:
    scored = [ev(1, 2, 1.0), ev(0, 3, 0.9), ev(0, 1, 0.8), ev(2, 0, 0.5)]
    chosen = select_evidence(scored, max_chars=10_000, keep_ratio=0.75)
    # 0.5 < 0.75 * 1.0 is dropped; the rest come back in passage, then sentence, order.
    assert [(e.passage_index, e.sentence_index) for e in chosen] == [(0, 1), (0, 3), (1, 2)]


def test_select_respects_the_character_budget() -> None:
    scored = [ev(0, 0, 1.0, 300), ev(0, 1, 0.99, 300), ev(1, 0, 0.98, 100), ev(1, 1, 0.97, 300)]
    chosen = select_evidence(scored, max_chars=700, keep_ratio=0.5)
    # 300 + 300 + 100 fits; the last 300 would not; a shorter one after a skip still may.
    assert [(e.passage_index, e.sentence_index) for e in chosen] == [(0, 0), (0, 1), (1, 0)]
    assert sum(len(e.text) for e in chosen) <= 700


def test_select_always_keeps_the_best_even_over_budget() -> None:
    chosen = select_evidence([ev(0, 0, 1.0, 2000), ev(0, 1, 0.9, 50)], 900, 0.5)
    assert [e.sentence_index for e in chosen] == [0]  # the budget is spent by the best one
    assert select_evidence([], 900, 0.5) == []
