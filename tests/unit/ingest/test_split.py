"""Pages -> located chunks: sections and their paths, lists with their lead-ins, short blocks
merged, long ones cut, locations a reader can follow, ids, reading order."""

from __future__ import annotations

import hashlib

from ingest.load import DocumentInfo
from ingest.readers.page import Page
from ingest.split import document_title, split_pages

INFO = DocumentInfo(doc_id="report", variant="original", lang="en", title="Report")

# Paragraphs long enough (over min_chars) to stay chunks of their own.
WATER = "First paragraph about water. " + "It has several sentences about rivers and wells. " * 4
SECOND = "Second paragraph,\nwritten over two lines, " + "about dams and reservoirs. " * 6
FUNDING = (
    "Funding comes from a regional bank. " + "The bank lends at a low rate for ten years. " * 4
)
TEXT = f"{WATER}\n\n{SECOND}\n\nFunding\n\n{FUNDING}\n"


def split(
    text: str,
    page: int | None = None,
    chunk_size: int = 1500,
    overlap: int = 200,
    min_chars: int = 0,
    source: str = "report.txt",
):
    return split_pages(
        [Page(text, page)],
        INFO,
        source,
        chunk_size=chunk_size,
        chunk_overlap=overlap,
        min_chars=min_chars,
    )


def test_one_chunk_per_paragraph_with_text_locations() -> None:
    chunks = split(TEXT)
    assert [c.location for c in chunks] == ["¶1", "¶2", "¶3"]
    assert [c.paragraph for c in chunks] == [1, 2, 3]
    assert chunks[0].text == WATER.strip()
    # A text file keeps its own line breaks inside a paragraph.
    assert chunks[1].text == SECOND.strip()
    assert all(c.page is None and c.part == 1 for c in chunks)
    assert all(
        (c.doc_id, c.variant, c.lang, c.title) == ("report", "original", "en", "Report")
        for c in chunks
    )
    assert all(c.source == "report.txt" for c in chunks)


def test_a_heading_is_carried_by_every_paragraph_of_its_section() -> None:
    text = f"Funding\n\n{FUNDING}\n\n{FUNDING.replace('bank', 'fund')}\n\nRisks\n\n{WATER}"
    chunks = split(text)
    assert [c.heading for c in chunks] == ["Funding", "Funding", "Risks"]
    assert chunks[1].text == "Funding\n\n" + FUNDING.replace("bank", "fund").strip()
    assert split(TEXT)[0].heading is None


def test_markdown_heading_path_nests_and_the_opening_title_stays_out() -> None:
    md = (
        "# Beta Notes\n\n"
        "## Results\n\nTwo thousand nurses finished.\n\n"
        "### Costs\n\nLow, so far.\n\n"
        "## Plans\n\nMore clinics next year.\n"
    )
    chunks = split(md, source="beta.md")
    assert [c.heading for c in chunks] == ["Results", "Results > Costs", "Plans"]
    assert chunks[1].text == "Results > Costs\n\nLow, so far."
    # A Markdown section is named in the location, with the paragraph's place in it.
    assert [c.location for c in chunks] == ["Results ¶1", "Costs ¶1", "Plans ¶1"]
    # The file's one top-level heading, first in it, is its title, not a section.
    assert document_title([Page(md, None)]) == "Beta Notes"
    assert document_title([Page("Intro.\n\n# Beta Notes\n\nBody.", None)]) is None
    assert document_title([Page("Beta Notes\n==========\n\nBody.", None)]) == "Beta Notes"
    assert document_title([Page("# A\n\nx.\n\n# B\n\ny.", None)]) is None


def test_markdown_heading_ending_in_punctuation_is_still_a_heading() -> None:
    chunks = split("# Why now?\n\nBecause the data is ready.\n\n# Next\n\nMore.\n")
    assert [c.heading for c in chunks] == ["Why now?", "Next"]


def test_a_heading_with_nothing_under_it_is_kept_as_text() -> None:
    chunks = split("Some text here.\n\nAppendix\n")
    assert [c.text for c in chunks] == ["Some text here.", "Appendix"]
    assert chunks[1].heading is None
    md = split("## Part one\n\n## Part two\n\nBody of part two.\n")
    assert [c.text for c in md] == ["Part one", "Part two\n\nBody of part two."]


LEGAL = """# Widget Act

### § 101. Definitions

In this chapter:

(1) Widget

The term "widget" means a small mechanical device.

(2) Gadget

The term "gadget" means a widget with a battery.

### § 102. Widget Office

#### (a) In general

The Secretary shall establish a Widget Office.

#### (b) Duties

The Office shall

(1) count the widgets;

(2) report the count, including

(A) widgets in use; and

(B) widgets in storage; and

(3) publish the report.

#### (c) Funding

(1) In general

There are authorized to be appropriated such sums as may be necessary.

(2) Limitation

No funds shall be used for gadgets.
"""


def test_legal_text_carries_its_section_path_and_cites_it() -> None:
    chunks = split(LEGAL, source="widget.md")
    by_location = {c.location: c for c in chunks}
    assert list(by_location) == [
        "§ 101(1)",
        "§ 101(2) ¶1",
        "§ 102(a) ¶1",
        "§ 102(b) ¶1–6",
        "§ 102(c)(1) ¶1",
        "§ 102(c)(2) ¶1",
    ]
    duties = by_location["§ 102(b) ¶1–6"]
    assert duties.heading == "§ 102. Widget Office > (b) Duties"
    # The lead-in and all its items, nested ones too, are one chunk.
    assert duties.text == (
        "§ 102. Widget Office > (b) Duties\n\nThe Office shall\n(1) count the widgets;\n"
        "(2) report the count, including\n(A) widgets in use; and\n(B) widgets in storage; and\n"
        "(3) publish the report."
    )
    limitation = by_location["§ 102(c)(2) ¶1"]
    assert limitation.heading == "§ 102. Widget Office > (c) Funding > (2) Limitation"
    assert limitation.text.endswith("(2) Limitation\n\nNo funds shall be used for gadgets.")
    # The definitions' lead-in "In this chapter:" stays with the first definition after it.
    definitions = by_location["§ 101(1)"]
    assert definitions.text == (
        '§ 101. Definitions\n\nIn this chapter:\n\n(1) Widget\n\nThe term "widget" means a small '
        "mechanical device."
    )


def test_short_subsections_merge_and_the_location_spans_them() -> None:
    chunks = split(LEGAL, source="widget.md", min_chars=250)
    # Each chunk is short of 250 characters until its short neighbours have joined it.
    assert [c.location for c in chunks] == ["§ 101(1)–(2)", "§ 102(a)–(c)"]
    funding = chunks[-1]
    assert funding.heading == "§ 102. Widget Office"
    assert "(a) In general\n\nThe Secretary" in funding.text
    assert "(c) Funding\n\n(1) In general" in funding.text
    # The subsection headings inside a merged chunk stand where each part begins.
    assert "(1) In general\n\nThere are authorized" in funding.text
    assert "(2) Limitation\n\nNo funds" in funding.text
    assert [c.paragraph for c in chunks] == sorted(c.paragraph for c in chunks)


def test_roman_numerals_and_letters_are_told_apart() -> None:
    text = (
        "## (h) Eighth\n\nText of h.\n\n## (i) Ninth\n\nText of i.\n\n"
        "## (j) Tenth\n\n(1) Scope\n\nThe scope.\n\n(A) Part\n\nA part.\n\n"
        "(i) Clause\n\nA clause.\n\n(ii) Second clause\n\nAnother.\n"
    )
    chunks = split(text, source="law.md")
    assert [c.location for c in chunks] == [
        "(h) ¶1",
        "(i) ¶1",
        "(j)(1) ¶1",
        "(j)(1)(A) ¶1",
        "(j)(1)(A)(i) ¶1",
        "(j)(1)(A)(ii) ¶1",
    ]


def test_list_with_lead_in_stays_together_and_a_long_one_repeats_the_lead_in() -> None:
    lead = "The authority set itself these goals for the coming decade:"
    items = [
        f"- goal number {i}: deepen channel {i} to fourteen metres and keep it so;"
        for i in range(12)
    ]
    text = "\n\n".join(["Plans", lead, *items, "After the list, a closing paragraph."])
    [whole, after] = split(text, min_chars=0)
    assert whole.text == "Plans\n\n" + "\n".join([lead, *items])
    assert after.text.endswith("a closing paragraph.")
    parts = split(text, chunk_size=400, min_chars=0)[:-1]
    assert len(parts) >= 3
    assert [c.part for c in parts] == list(range(1, len(parts) + 1))
    assert {c.location for c in parts} == {"¶1–13"}
    for part in parts:
        assert part.text.startswith(f"Plans\n\n{lead}\n- goal number")
        assert len(part.text) <= 400
    seen = [line for c in parts for line in c.text.split("\n") if line.startswith("- goal")]
    assert seen == items  # every item once, in order, none cut


def test_a_colon_keeps_the_next_block_even_without_list_markers() -> None:
    text = "The five principles are, namely:\n\ninclusive growth; fairness; transparency.\n\nNext."
    chunks = split(text, min_chars=0)
    assert (
        chunks[0].text
        == "The five principles are, namely:\ninclusive growth; fairness; transparency."
    )
    assert chunks[0].location == "¶1–2"


def test_short_blocks_join_a_neighbour_in_their_section() -> None:
    cover = "Annual Report 2023\n\nHarbour Authority of the North\n\n"
    text = cover + f"{WATER}\n\nA stray line.\n\nFunding\n\n{FUNDING}\n\nThe end."
    chunks = split(text, min_chars=200)
    assert [c.location for c in chunks] == ["¶1–3", "¶4–5"]
    # Two heading-like cover lines: the first heads nothing (text), the second a section that
    # the first opens; the stray line joins the paragraph before it, "The end." its section's.
    assert chunks[0].text.startswith("Annual Report 2023\n\nHarbour Authority of the North\n\n")
    assert "A stray line." in chunks[0].text
    assert chunks[1].heading == "Funding" and chunks[1].text.endswith("The end.")
    assert all(len(c.text) >= 200 for c in chunks)


def test_short_blocks_never_cross_into_another_section() -> None:
    text = f"Water\n\n{WATER}\n\nFunding\n\n{FUNDING}\n\nRisks\n\n{WATER}"
    chunks = split(text, min_chars=10_000)  # everything is "short"
    assert [c.heading for c in chunks] == ["Water", "Funding", "Risks"] or len(chunks) < 3
    for chunk in chunks:  # merged sections are siblings, each heading written where it starts
        for name in ("Water", "Funding", "Risks"):
            assert chunk.text.count(f"{name}\n\n") <= 1


def test_pdf_locations_count_paragraphs_within_each_page_and_name_the_section() -> None:
    pages = [
        Page("Harbour dredging began.\n\nTraffic grew.", 1),
        Page("Fishing boats moved.", 2),
        Page("# Customs\n\nA new office opened.\n\nIt handles parcels.", 3),
    ]
    chunks = split_pages(
        pages, INFO, "harbour.pdf", chunk_size=1500, chunk_overlap=200, min_chars=0
    )
    assert [c.location for c in chunks] == [
        "p. 1 ¶1",
        "p. 1 ¶2",
        "p. 2 ¶1",
        "p. 3 ¶1 (Customs)",
        "p. 3 ¶2 (Customs)",
    ]
    assert [c.page for c in chunks] == [1, 1, 2, 3, 3]
    assert [c.paragraph for c in chunks] == [1, 2, 3, 4, 5]  # through the file
    assert chunks[3].heading == "Customs"
    assert chunks[3].chunk_id == "report [original] p. 3 ¶1"
    merged = split_pages(pages, INFO, "h.pdf", chunk_size=1500, chunk_overlap=200, min_chars=100)
    # All short: they join up, over the page breaks, the first section opening the second.
    assert [c.location for c in merged] == ["p. 1 ¶1–p. 3 ¶2"]
    assert merged[0].text == (
        "Harbour dredging began.\n\nTraffic grew.\n\nFishing boats moved.\n\nCustoms\n\n"
        "A new office opened.\n\nIt handles parcels."
    )


def test_an_escaped_hash_from_a_pdf_is_text() -> None:
    [chunk] = split("\\#1 priority is safety at sea.", page=1)
    assert chunk.text == "#1 priority is safety at sea." and chunk.heading is None


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


def test_a_long_heading_path_keeps_its_inner_end_and_shows_the_rest_once() -> None:
    outer = "Part One: A Very Long Title for the Outer Part of This Document, Which Goes On"
    inner = "Chapter Two: Another Rather Long Title for the Inner Chapter"
    text = f"# {outer}\n\nIntro.\n\n## {inner}\n\nFirst.\n\nSecond.\n\n# Other\n\nEnd."
    chunks = split(text, source="long.md")
    assert chunks[1].heading == inner  # the path would not fit one heading line
    assert chunks[1].text.startswith(f"{inner}\n\nFirst.")
    assert chunks[0].text.startswith(f"{outer}\n\nIntro.")  # the outer one was shown before
    assert all(outer not in c.text for c in chunks[1:3])


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
    [chunk] = split_pages(
        [Page("Some text.", None)],
        info,
        "r.ja.txt",
        chunk_size=1500,
        chunk_overlap=200,
        min_chars=0,
    )
    assert chunk.chunk_id == "report [ja-derived] ¶1"


def test_text_sha_is_sha256_of_text() -> None:
    chunk = split(TEXT)[0]
    assert chunk.text_sha == hashlib.sha256(chunk.text.encode("utf-8")).hexdigest()


def test_empty_page_gives_no_chunks() -> None:
    assert split("  \n\n  ") == []


def test_a_list_item_going_on_with_a_semicolon_is_no_heading() -> None:
    """A plain text's short line that does not end like a sentence is a heading, but not a list
    item that goes on ("c. ...; dan"): read as a heading it cut an Indonesian regulation's list
    of sanctions from its lead-in and cited items c and d under a section of their own."""
    text = (
        "Sanksi\n\n"
        "OJK berwenang mengenakan sanksi administratif terhadap Penyelenggara berupa:\n\n"
        "a. peringatan tertulis;\n\nb. denda;\n\n"
        "c. pembatasan kegiatan usaha; dan\n\nd. pencabutan izin."
    )
    chunks = split(text)
    assert len(chunks) == 1
    assert chunks[0].heading == "Sanksi"
    assert "berupa:" in chunks[0].text and "d. pencabutan izin." in chunks[0].text
