from __future__ import annotations

import io

import pytest
from docx import Document

from core.settings import Settings
from ingest.readers.page import LoadError
from ingest.readers.word import read_docx

from .conftest import chunks_of


def _docx() -> bytes:
    doc = Document()
    doc.core_properties.title = "Metadata title"
    doc.add_paragraph("Harbour Strategy", style="Title")
    doc.add_heading("Funding", level=1)
    doc.add_paragraph("The harbour fund pays for the new quay and its cranes over five years.")
    doc.add_paragraph("The fund pays for:")
    doc.add_paragraph("dredging the channel", style="List Bullet")
    doc.add_paragraph("new cranes", style="List Number")
    doc.add_heading("Budget", level=2)
    doc.add_paragraph("Table 3. Budget by year", style="Caption")
    table = doc.add_table(rows=3, cols=2)
    for r, (year, amount) in enumerate(
        [("Year", "Amount"), ("2023", "4 million"), ("2024", "6 million")]
    ):
        table.cell(r, 0).text, table.cell(r, 1).text = year, amount
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def test_headings_lists_and_tables_become_markdown(settings: Settings) -> None:
    (page,) = read_docx(_docx(), settings)
    blocks = page.text.split("\n\n")
    assert blocks[:3] == ["# Harbour Strategy", "## Funding", blocks[2]]
    assert "- dredging the channel" in blocks and "- new cranes" in blocks
    assert "### Budget" in blocks
    table = next(b for b in blocks if b.startswith("Table 3. Budget by year"))
    assert "Year: 2024; Amount: 6 million." in table.splitlines()
    assert "Table 3. Budget by year" not in blocks  # the caption opens the table instead
    assert page.tables == 1


def test_chunks_cite_the_heading_path_and_the_title_is_the_documents(settings: Settings) -> None:
    chunks = chunks_of(
        read_docx(_docx(), settings), settings.model_copy(update={"min_chunk_chars": 0})
    )
    assert {c.title for c in chunks} == {"Harbour Strategy"}
    row = next(c for c in chunks if "Amount: 6 million" in c.text)
    assert row.location.startswith("Budget ¶")
    assert row.text.startswith("Funding > Budget")


def test_metadata_title_when_no_title_paragraph(settings: Settings) -> None:
    doc = Document()
    doc.core_properties.title = "From the metadata"
    doc.add_heading("Intro", level=1)
    doc.add_paragraph("Some text of the introduction, long enough to be a paragraph.")
    buffer = io.BytesIO()
    doc.save(buffer)
    (page,) = read_docx(buffer.getvalue(), settings)
    assert page.text.startswith("# From the metadata\n\n## Intro")


def test_empty_document_is_refused(settings: Settings) -> None:
    buffer = io.BytesIO()
    Document().save(buffer)
    with pytest.raises(LoadError, match="no text"):
        read_docx(buffer.getvalue(), settings)
