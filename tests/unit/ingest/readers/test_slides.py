from __future__ import annotations

import io

from pptx import Presentation
from pptx.util import Inches

from core.settings import Settings
from ingest.readers.slides import read_pptx

from .conftest import chunks_of


def _pptx() -> bytes:
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "Rules of Conduct\x0bfor Social Media"
    first.placeholders[1].text = "Presented by the ethics office"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Fundraising"
    body = second.placeholders[1].text_frame
    body.text = "Employees may not solicit political contributions at any time."
    item = body.add_paragraph()
    item.text, item.level = "Sharing or liking fundraising posts", 1
    second.notes_slide.notes_text_frame.text = "Say that this holds off duty too."
    third = deck.slides.add_slide(deck.slide_layouts[5])
    third.shapes.title.text = "Decisions"
    rows = [("Agency", "Decision"), ("EPA", "B-326944 violated"), ("DOE", "B-329373 did not")]
    shape = third.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            shape.table.cell(r, c).text = value
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def test_one_page_per_slide_with_its_title(settings: Settings) -> None:
    pages = read_pptx(_pptx(), settings)
    assert [p.label for p in pages] == ["slide 1", "slide 2", "slide 3"]
    assert pages[0].text.startswith("# Rules of Conduct for Social Media")  # \x0b is a space
    assert pages[1].text.startswith("## Fundraising")
    assert "- Sharing or liking fundraising posts" in pages[1].text
    assert "Speaker notes: Say that this holds off duty too." in pages[1].text
    assert "Agency: DOE; Decision: B-329373 did not." in pages[2].text
    assert [p.tables for p in pages] == [0, 0, 1]


def test_slides_are_cited_by_number_and_title(settings: Settings) -> None:
    chunks = chunks_of(read_pptx(_pptx(), settings), settings)
    assert {c.title for c in chunks} == {"Rules of Conduct for Social Media"}
    locations = [c.location for c in chunks]
    assert locations == ["slide 1", "slide 2 (Fundraising)", "slide 3 (Decisions)"]
    assert all(c.page is None for c in chunks)  # not a PDF page: the viewer shows the text
