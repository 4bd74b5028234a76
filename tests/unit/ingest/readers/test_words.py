"""Broken words of a PDF's text layer, mended from the document's own vocabulary."""

from __future__ import annotations

import pytest

from core.settings import ReadingSettings
from ingest.readers.words import LINE_HYPHEN, mend_numbers, repair_words

READING = ReadingSettings()


def repair(*texts: str, **overrides: object) -> list[str]:
    return repair_words(list(texts), READING.model_copy(update=overrides))


def test_a_word_the_document_uses_elsewhere_is_joined() -> None:
    out = repair("We tho ught about A I and Pro cess.", "The thought, the AI, the process.")
    assert out[0] == "We thought about AI and Process."


def test_a_word_the_document_never_uses_whole_stays_apart() -> None:
    assert repair("We tho ught about it.")[0] == "We tho ught about it."


def test_two_common_words_are_a_real_pair_even_when_joined_elsewhere() -> None:
    text = "Go in to the hall. Walk into it. In the hall, in time, in to the yard, in it."
    out = repair(text, "to and to and to")
    assert out[0] == text  # "in" and "to" are both common words of this document


def test_a_pair_written_apart_as_often_as_closed_stays() -> None:
    text = "Kerja sama, bekerja sama and bekerja sama again; bekerjasama once."
    assert repair(text)[0] == text


def test_pieces_cased_like_two_words_stay_apart() -> None:
    text = "The Bank of Indonesia and ofIndonesia"
    assert repair(text)[0] == text


def test_spaced_hyphen_is_closed() -> None:
    assert repair("A near -term plan and self -assessed work, x -1.")[0] == (
        "A near-term plan and self-assessed work, x -1."
    )


def test_line_end_hyphen_follows_the_document() -> None:
    texts = [
        f"peraturan perundang{LINE_HYPHEN}undangan and develop{LINE_HYPHEN}ment",
        "peraturan perundang-undangan lain",
    ]
    assert repair(*texts)[0] == "peraturan perundang-undangan and development"


def test_repair_can_be_turned_off_but_line_hyphens_are_still_resolved() -> None:
    out = repair(f"tho ught, near -term, develop{LINE_HYPHEN}ment", "thought", word_repair=False)
    assert out[0] == "tho ught, near -term, development"


@pytest.mark.parametrize(
    ("text", "mended"),
    [
        (
            "Rp. 4.000.000. 000. 000,00 (empat triliun rupiah)",
            "Rp. 4.000.000.000.000,00 (empat triliun rupiah)",
        ),
        ("US$1,000, 000 in 2020", "US$1,000,000 in 2020"),
        ("in 2019. 200 people came", "in 2019. 200 people came"),  # a year, not a grouped number
        ("version 1.2. 300 items", "version 1.2. 300 items"),
        ("1.500.000 and 2.000", "1.500.000 and 2.000"),
        ("Rp.-4.000.000. 000. 000),00", "Rp.-4.000.000.000.000),00"),
        ("Of the 1,000, 250 were rejected.", "Of the 1,000, 250 were rejected."),
        ("Sebanyak 4.000. 150 sekolah", "Sebanyak 4.000. 150 sekolah"),
        ("1.250. 000. 000 orang", "1.250.000.000 orang"),
    ],
)
def test_numbers_with_spaced_digit_groups_are_closed_up(text: str, mended: str) -> None:
    assert mend_numbers(text) == mended
    assert repair_words([text], ReadingSettings()) == [mended]
