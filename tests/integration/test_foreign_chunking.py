"""Chunking the real foreign documents (``../shared/corpora/foreign``): two Markdown files of the
US Code (15 U.S.C. ch. 119), the OECD AI Recommendation and a World Bank paper (PDFs).

Loader and splitter only, with the default settings: no models are needed. What these files
taught the chunker: running footers and page numbers are not text, a list stays with its lead-in,
legal text keeps its section path, and chunks have a size retrieval can use.
"""

from __future__ import annotations

import itertools
import re
import statistics
from pathlib import Path

import pytest

from core.chunks import Chunk
from core.settings import Settings
from ingest.load import CorpusFile, default_info, load_file
from ingest.split import document_title, split_pages

pytestmark = pytest.mark.integration

FOREIGN = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "foreign"
WORLD_BANK = "worldbank-reimagining-human-connections-edtech-2020.pdf"
OECD = "oecd-recommendation-council-ai-2019.pdf"
US_CODE = ("us-code-15-ch119-national-ai-initiative-part1.md",
           "us-code-15-ch119-national-ai-initiative-part2.md")  # fmt: skip


@pytest.fixture(scope="module")
def chunks() -> dict[str, list[Chunk]]:
    if not FOREIGN.is_dir():
        pytest.skip(f"the foreign corpus is not here: {FOREIGN} (it lives in ../shared)")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    out: dict[str, list[Chunk]] = {}
    for path in sorted(FOREIGN.iterdir()):
        file = CorpusFile(path, path.name, "0" * 64, path.stat().st_size)
        pages = load_file(file, settings)
        out[path.name] = split_pages(
            pages,
            default_info(path.name, document_title(pages)),
            path.name,
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
            min_chars=settings.min_chunk_chars,
        )
    assert set(out) >= {WORLD_BANK, OECD, *US_CODE}
    return out


def body(chunk: Chunk) -> str:
    return chunk.text.removeprefix(f"{chunk.heading}\n\n") if chunk.heading else chunk.text


def containing(chunks: list[Chunk], words: str) -> Chunk:
    found = [c for c in chunks if words in c.text]
    assert found, words
    return found[0]


def test_the_world_bank_running_footer_and_header_are_gone(chunks) -> None:
    wb = chunks[WORLD_BANK]
    # "5    www.worldbank.org/en/topic/edutech" ran at the foot of every page.
    # (The same address, as the start of a longer one, is cited in the text: that one stays.)
    footer = re.compile(r"worldbank\.org/en/topic/edutech(?![/\w])")
    assert not any(footer.search(c.text) for c in wb)
    assert any("worldbank.org/en/topic/edutech/publication" in c.text for c in wb)
    # The running header repeats the cover's title; only the cover and title page keep it.
    header = "TECHNOLOGY AND INNOVATION IN EDUCATION AT THE WORLD BANK"
    assert {c.page for c in wb if header in c.text} <= {1, 2}


def test_no_chunk_is_only_a_page_number_or_a_fragment(chunks) -> None:
    for name, file_chunks in chunks.items():
        for chunk in file_chunks:
            assert not re.fullmatch(r"[\W\d_]*", body(chunk)), (name, chunk.location)
            assert len(chunk.text) >= 100, (name, chunk.location, chunk.text)


def test_a_list_stays_with_its_lead_in(chunks) -> None:
    oecd = chunks[OECD]
    namely = containing(
        oecd, "national policies and international co-operation for trustworthy AI, namely:"
    )
    assert "namely:\ninvesting in AI research and development;" in namely.text
    agrees = containing(oecd, "the following terms should be understood as follows:")
    assert "as follows:\n‒ AI system: An AI system is a machine-based system" in agrees.text
    wb = chunks[WORLD_BANK]
    principles = containing(wb, "five key principles when education systems invest in EdTech:")
    assert "invest in EdTech:\n1. ASK WHY: EdTech policies" in principles.text
    assert "5. BE DATA-DRIVEN" in principles.text  # all five items in one chunk
    law = chunks[US_CODE[0]]
    duties = containing(law, "The Interagency Committee shall\n(1) provide for interagency")
    assert duties.location.startswith("§\u202f9413(d)")


def test_a_long_list_repeats_its_lead_in_in_each_part(chunks) -> None:
    law = chunks[US_CODE[0]]
    parts = [c for c in law if c.location.startswith("§\u202f9414(d)")]
    assert len(parts) >= 2 and [c.part for c in parts] == list(range(1, len(parts) + 1))
    lead = "The Advisory Committee shall advise the President and the Initiative Office"
    assert all(body(c).startswith(lead) for c in parts)


def test_us_code_chunks_carry_their_section(chunks) -> None:
    for name in US_CODE:
        law = chunks[name]
        # The file's title is the document's title, not a heading on every chunk.
        assert law[0].title.startswith("National Artificial Intelligence Initiative — ")
        assert all("§" in c.location for c in law[1:]), [
            c.location for c in law if "§" not in c.location
        ]
        assert all(c.heading and "§" in c.heading for c in law[1:])
    part1 = chunks[US_CODE[0]]
    co_chairs = containing(part1, "shall be co-chaired by the Director")
    assert co_chairs.heading is not None and "§\u202f9413. Coordination" in co_chairs.heading
    assert co_chairs.location.startswith("§\u202f9413(")
    definition = containing(part1, "The term “machine learning” means")
    assert definition.location.startswith("§\u202f9401(")


def test_pdf_locations_name_page_paragraph_and_section(chunks) -> None:
    for name in (OECD, WORLD_BANK):
        for chunk in chunks[name]:
            assert re.match(r"p\. \d+ ¶\d+", chunk.location), chunk.location
    fairness = containing(chunks[OECD], "AI actors should respect the rule of law")
    assert fairness.location.endswith("(1.2. Human-centred values and fairness)")
    assert fairness.heading and fairness.heading.endswith("1.2. Human-centred values and fairness")


def test_words_hyphenated_at_line_ends_are_whole(chunks) -> None:
    text = " ".join(c.text for c in chunks[WORLD_BANK])
    assert "parents, caregivers, principals" in text  # "care-" / "givers" in the PDF
    assert not re.search(r"[a-z]-\n[a-z]", text)


def test_chunks_are_in_reading_order_with_unique_ids(chunks) -> None:
    for file_chunks in chunks.values():
        paragraphs = [c.paragraph for c in file_chunks]
        assert paragraphs == sorted(paragraphs)
        assert len({c.chunk_id for c in file_chunks}) == len(file_chunks)
        for a, b in itertools.pairwise(file_chunks):
            if a.paragraph == b.paragraph:  # parts of one long passage
                assert b.part == a.part + 1


def test_chunk_sizes_suit_retrieval(chunks) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    sizes = [len(c.text) for file_chunks in chunks.values() for c in file_chunks]
    assert max(sizes) <= settings.chunk_size
    assert sum(s < settings.min_chunk_chars for s in sizes) <= 0.05 * len(sizes)
    assert 400 <= statistics.median(sizes) <= 900
    for name, file_chunks in chunks.items():  # each file gives a sensible number of chunks
        assert 20 <= len(file_chunks) <= 80, (name, len(file_chunks))
