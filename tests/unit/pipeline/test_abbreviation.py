"""Questions asking what an abbreviation stands for, and sentences spelling one out."""

from __future__ import annotations

import pytest

from chatbot.pipeline.abbreviation import asked_abbreviation, spells_out
from chatbot.pipeline.definition import defined_term, defines


@pytest.mark.parametrize(
    ("question", "abbreviation"),
    [
        ("What is Korika short for?", "Korika"),
        ("What's Korika short for?", "Korika"),
        ("What does BSSN stand for?", "BSSN"),
        ("What does the OECD stand for?", "OECD"),
        ("What do the letters BSSN stand for?", "BSSN"),
        ("What does the acronym Korika stand for in Indonesia's AI strategy?", "Korika"),
        ("What does IADERN, the organisation of the author, stand for?", "IADERN"),
        ("What is the full name of OJK?", "OJK"),
        ("Apa kepanjangan dari BSSN?", "BSSN"),
        ("OJK itu singkatan dari apa?", "OJK"),
        ("BSSN merupakan singkatan dari apa?", "BSSN"),
        ("BSSNは何の略ですか？", "BSSN"),
        ("CAC是什么的缩写？", "CAC"),
        ("NIST的英文全称是什么？", "NIST"),
        ("CAC代表什么？", "CAC"),
        # The other way round: the abbreviation of a long name is asked, not its long form.
        ("Apa singkatan dari Badan Siber dan Sandi Negara?", None),
        ("国家サイバー暗号庁の略称は何ですか？", None),
        ("What is Korika?", None),
    ],
)
def test_the_abbreviation_a_question_asks_to_spell_out(
    question: str, abbreviation: str | None
) -> None:
    assert asked_abbreviation(question) == abbreviation


def test_an_abbreviation_question_asks_the_meaning_of_the_abbreviation() -> None:
    assert defined_term("What is Korika short for?") == "Korika"  # not "Korika short for"
    assert defined_term("「Korika」は、何の略称ですか？") == "Korika"
    # 戦略 (strategy) holds 略 (abbreviation): a quoted name beside it asks for no meaning.
    assert defined_term("「Korika」が関わった国家AI戦略は何年に発表されましたか？") is None


@pytest.mark.parametrize(
    ("text", "short"),
    [
        (
            "Through the Collaborative Research and Innovation in Artificial Intelligence "
            "(Korika), the government released the strategy",
            "Korika",  # a translated name: five capitalised words
        ),
        ("Badan Siber dan Sandi Negara (BSSN) menetapkan", "BSSN"),
        ("the BSSN (Badan Siber dan Sandi Negara) said", "BSSN"),
        ("Badan Siber dan Sandi Negara yang selanjutnya disingkat BSSN adalah", "BSSN"),
        ("the Cyberspace Administration of China (CAC) issued", "CAC"),
        ('Artificial Intelligence ("AI") systems', "AI"),
        ("国家互联网信息办公室（以下简称网信办）", "网信办"),
        ("個人情報保護委員会（以下「委員会」という。）", "委員会"),
    ],
)
def test_a_sentence_that_spells_out_an_abbreviation(text: str, short: str) -> None:
    assert spells_out(text, short)
    assert defines(text, short)


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("Data is shared with the Ministry (BSSN) every year.", "BSSN"),
        ("The Minister (Korika) decides.", "Korika"),
        ("BSSN (Republic of Indonesia) signed it.", "BSSN"),
        ("The strategy was released in 2020 (Korika).", "Korika"),
        ("We have used AI (2020) a lot.", "AI"),
        ("Korika (see above) released it.", "Korika"),
        ("我们（AI）", "AI"),  # two characters are no name
        ("Badan Siber dan Sandi Negara (bssn) menetapkan", "BSSN"),  # another word's case
    ],
)
def test_brackets_that_spell_nothing_out(text: str, short: str) -> None:
    assert not spells_out(text, short)
