import pytest

from chatbot.pipeline.byline import names_an_author

# Bylines, credits and short biographies in the answer languages.
AUTHORS = [
    "Tuhu Nugraha Tuhu Nugraha Digital Business & Metaverse Expert Principal of Indonesia "
    "Applied Economy & Regulatory Network (IADERN)",
    "By Jane Doe, Senior Fellow",
    "Jane Doe Professor of Economics, University of Indonesia",
    "Gerard Okafor, Chief Financial Officer, Harbour Agency.",
    "Gerard Okafor, Harbour Agency CFO, Sponsor.",
    "Jane Doe is a Senior Fellow at CSIS.",
    "Written by the Secretariat of the OECD.",
    "Author: Budi",
    "Oleh: Budi Santoso, Peneliti LIPI",
    "Ditulis oleh Soekarno.",
    "The principle authors of this paper are Robert Hawkins, Michael Trucano.",
    "This report was prepared by a team led by John Smith.",
    "Artikel ini ditulis oleh Budi Santoso.",
    "Gerard Bamidele Okafor signed this letter.",
    "作者：张伟",
    "執筆：山田太郎",
    "本文作者为张伟。",
    "文｜张伟",
    "执笔人：张伟",
    "作者简介：张伟，研究员",
    "著者 山田太郎",
]
# Sentences naming people, headings naming roles, places, addressees, acknowledgements.
OTHERS = [
    "The government granted a Golden Visa to Sam Altman, the founder of OpenAI.",
    "Sam Altman, the founder of OpenAI, received a Golden Visa.",
    "Jakarta, 11 Juni 2009",
    "A Robust AI Ecosystem: How Indonesia and China Can Achieve It Together",
    "THE DIRECTOR OF THE NATIONAL SCIENCE FOUNDATION",
    "Author",
    "All the errors are responsibility of the authors.",
    'It may be translated, with "This translation has been prepared by [NAME]".',
    "The Director of the National Science Foundation",
    "The Role of the University in Innovation",
    "National University Rankings",
    "Executive Director's Foreword",
    "Chairman's Statement",
    "Head Office, Jakarta",
    "Jakarta Selatan, Indonesia",
    "West Java, Central Java, East Java",
    "In Indonesia, Jakarta leads.",
    "The Director shall select topics for research under the pilot program as follows:",
    "Cost Avoidance Total Est, Labor Hour Savings",
    "Scan QR code to learn more about the program",
    "United States Code, Title 15 (Commerce and Trade), Chapter 119",
    "World Bank, Washington, DC: World Bank.",
    "The authors thank John Smith for helpful comments.",
    "The authors are grateful to Bank Indonesia for data.",
    "Indonesia signed the Paris Agreement in 2016.",
    "Director General of Informatics Applications",
]


@pytest.mark.parametrize("sentence", AUTHORS)
def test_a_byline_or_a_credit_names_an_author(sentence: str) -> None:
    assert names_an_author(sentence)


@pytest.mark.parametrize("sentence", OTHERS)
def test_other_sentences_name_no_author(sentence: str) -> None:
    assert not names_an_author(sentence)
