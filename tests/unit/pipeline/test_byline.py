import pytest

from chatbot.pipeline.byline import is_byline, names_an_author


@pytest.mark.parametrize(
    "sentence",
    [
        "Tuhu Nugraha Digital Business & Metaverse Expert Principal of Indonesia Applied Economy",
        "By Jane Doe, Senior Fellow",
        "Jane Doe Professor of Economics, University of Indonesia",
        "Gerard Okafor, Chief Financial Officer, Harbour Agency.",
    ],
)
def test_a_line_opening_with_a_name_and_giving_a_role_is_a_byline(sentence: str) -> None:
    assert is_byline(sentence) and names_an_author(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # a person the text speaks of, in a sentence
        "The government granted a Golden Visa to Sam Altman, the founder of OpenAI.",
        "Sam Altman, the founder of OpenAI, received a Golden Visa.",
        "Jakarta, 11 Juni 2009",
        "A Robust AI Ecosystem: How Indonesia and China Can Achieve It Together",  # a title
        "THE DIRECTOR OF THE NATIONAL SCIENCE FOUNDATION",  # a memorandum's addressee
        "Author",  # a table's heading
        "All the errors are responsibility of the authors.",  # no name
        'It may be translated, with "This translation has been prepared by [NAME]".',
    ],
)
def test_other_sentences_name_no_author(sentence: str) -> None:
    assert not names_an_author(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The principal authors of this paper are Robert Hawkins and Michael Trucano.",
        "This report was prepared by a team led by John Smith.",
        "Artikel ini ditulis oleh Budi Santoso.",
        "Gerard Bamidele Okafor signed this letter.",
        "作者：张伟",
        "執筆：山田太郎",
    ],
)
def test_words_of_authorship_with_a_name_name_an_author(sentence: str) -> None:
    assert names_an_author(sentence) and not is_byline(sentence)
