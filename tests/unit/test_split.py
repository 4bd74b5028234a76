"""Pages -> located chunks: paragraphs, headings kept with them, locations, long paragraphs, ids."""

from __future__ import annotations

import hashlib

from ingest.load import DocumentInfo, Page
from ingest.split import paragraphs, split_pages

INFO = DocumentInfo(doc_id="report", variant="original", lang="en", title="Report")

TEXT = (
    "First paragraph about water. It has two sentences.\n\n"
    "Second paragraph,\nwritten over two lines.\n\n"
    "Funding\n\n"
    "Funding comes from a regional bank.\n"
)


def split(text: str, page: int | None = None, chunk_size: int = 1500, overlap: int = 200):
    return split_pages([Page(text, page)], INFO, "report.txt", chunk_size, overlap)


def test_one_chunk_per_paragraph_with_text_locations() -> None:
    chunks = split(TEXT)
    assert [c.location for c in chunks] == ["¶1", "¶2", "¶3"]
    assert [c.paragraph for c in chunks] == [1, 2, 3]
    assert chunks[0].text == "First paragraph about water. It has two sentences."
    # A text file keeps its own line breaks inside a paragraph.
    assert chunks[1].text == "Second paragraph,\nwritten over two lines."
    assert all(c.page is None and c.part == 1 for c in chunks)
    assert all(
        (c.doc_id, c.variant, c.lang, c.title) == ("report", "original", "en", "Report")
        for c in chunks
    )
    assert all(c.source == "report.txt" for c in chunks)


def test_heading_is_kept_with_its_paragraph() -> None:
    funding = split(TEXT)[2]
    assert funding.heading == "Funding"
    assert funding.text == "Funding\n\nFunding comes from a regional bank."
    assert split(TEXT)[0].heading is None


def test_markdown_headings_lose_their_hashes_and_nest() -> None:
    md = (
        "# Beta Notes\n\n## Results\n\nTwo thousand nurses finished.\n\n### Costs\n\nLow, so far.\n"
    )
    chunks = split(md)
    assert [c.heading for c in chunks] == ["Beta Notes — Results", "Costs"]
    assert chunks[0].text == "Beta Notes — Results\n\nTwo thousand nurses finished."
    assert [c.location for c in chunks] == ["¶1", "¶2"]


def test_markdown_heading_ending_in_punctuation_is_still_a_heading() -> None:
    chunks = split("# Why now?\n\nBecause the data is ready.\n")
    assert len(chunks) == 1
    assert chunks[0].heading == "Why now?"


def test_trailing_heading_becomes_its_own_chunk() -> None:
    chunks = split("Some text here.\n\nAppendix\n")
    assert [c.text for c in chunks] == ["Some text here.", "Appendix"]
    assert chunks[1].heading is None


def test_paragraphs_pairs() -> None:
    assert paragraphs(Page("Title\n\nBody one.\n\n\n\nBody two.", None)) == [
        ("Title", "Body one."),
        (None, "Body two."),
    ]


def test_pdf_locations_count_paragraphs_within_each_page() -> None:
    pages = [
        Page("Harbour dredging began.\n\nTraffic grew.", 1),
        Page("Fishing boats moved.", 2),
        Page("Customs\n\nA new office opened.\n\nIt handles parcels.", 3),
    ]
    chunks = split_pages(pages, INFO, "harbour.pdf", 1500, 200)
    assert [c.location for c in chunks] == ["p. 1 ¶1", "p. 1 ¶2", "p. 2 ¶1", "p. 3 ¶1", "p. 3 ¶2"]
    assert [c.page for c in chunks] == [1, 1, 2, 3, 3]
    assert chunks[3].heading == "Customs"
    assert chunks[3].chunk_id == "report [original] p. 3 ¶1"


def test_pdf_line_breaks_and_hyphens_inside_a_paragraph_are_joined() -> None:
    chunk = split("The develop-\nment of  secure\n  data infrastructure.", page=4)[0]
    assert chunk.text == "The development of secure data infrastructure."
    assert chunk.location == "p. 4 ¶1"


def test_long_paragraph_is_split_into_parts_that_keep_heading_and_location() -> None:
    sentences = [f"Sentence number {i} talks about topic {i} at some length." for i in range(20)]
    text = "Intro paragraph.\n\nLong Section\n\n" + " ".join(sentences) + "\n\nAfter."
    chunks = split(text, chunk_size=300, overlap=50)
    long_parts = [c for c in chunks if c.paragraph == 2]
    assert len(long_parts) >= 3
    assert [c.part for c in long_parts] == list(range(1, len(long_parts) + 1))
    for c in long_parts:
        assert c.location == "¶2"
        assert c.heading == "Long Section"
        assert c.text.startswith("Long Section\n\n")
        assert len(c.text) <= 300
    assert [c.chunk_id for c in long_parts] == [
        f"report [original] ¶2.{n}" for n in range(1, len(long_parts) + 1)
    ]
    # Cut at sentence ends, and nothing lost.
    bodies = [c.text.removeprefix("Long Section\n\n") for c in long_parts]
    assert all(b.endswith(".") for b in bodies)
    for sentence in sentences:
        assert any(sentence in b for b in bodies), sentence
    # The paragraphs around it are untouched and numbered on.
    assert [c.location for c in chunks if c.paragraph != 2] == ["¶1", "¶3"]


def test_chunk_ids_are_human_readable_unique_and_stable() -> None:
    chunks = split(TEXT)
    ids = [c.chunk_id for c in chunks]
    assert ids == ["report [original] ¶1", "report [original] ¶2", "report [original] ¶3"]
    assert ids == [c.chunk_id for c in split(TEXT)]
    # Editing a paragraph's words changes its text hash, never its (or anyone's) id.
    edited = split(TEXT.replace("about water", "about rivers"))
    assert [c.chunk_id for c in edited] == ids
    assert edited[0].text_sha != chunks[0].text_sha
    assert [c.text_sha for c in edited[1:]] == [c.text_sha for c in chunks[1:]]


def test_chunk_id_names_the_variant() -> None:
    info = DocumentInfo(doc_id="report", variant="ja-derived", lang="en", title="Report")
    chunk = split_pages([Page("Some text.", None)], info, "r.ja.txt", 1500, 200)[0]
    assert chunk.chunk_id == "report [ja-derived] ¶1"


def test_text_sha_is_sha256_of_text() -> None:
    chunk = split(TEXT)[0]
    assert chunk.text_sha == hashlib.sha256(chunk.text.encode("utf-8")).hexdigest()


def test_empty_page_gives_no_chunks() -> None:
    assert split("  \n\n  ") == []
