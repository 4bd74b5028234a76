"""Ruled tables in text PDFs become passages of rows under their header row; the page's printed
lines inside the table are not read again as text; a box of layout and a page that draws
nothing keep their text as it was."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from core.settings import DocumentSettings, Settings
from ingest.load import DocumentInfo
from ingest.readers.markdown import Row
from ingest.readers.page import Page
from ingest.readers.pdf import read_pdf
from ingest.readers.pdf_tables import PdfTable, PdfTables, _has_header, _ruled_pages, find_tables
from ingest.split import split_pages

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
OFF = SETTINGS.model_copy(update={"documents": DocumentSettings(pdf_tables=False)})
BEFORE = "The harbour budget grew every year; the table below gives the amounts by year."
AFTER = "After the table the text goes on about the cranes and the dredging of the channel."
ROWS = [
    ("Year", "Amount", "Quay share"),
    ("2022", "3 million", "40%"),
    ("2023", "4 million", "45%"),
    ("2024", "6 million", "50%"),
]


def _pdf(rows: list[tuple[str, ...]] | None, second_page: bool = False) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, BEFORE, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if rows is not None:
        with pdf.table(col_widths=tuple(40 for _ in rows[0])) as table:
            for row in rows:
                cells = table.row()
                for cell in row:
                    cells.cell(cell)
        pdf.ln(4)
    pdf.multi_cell(0, 6, AFTER, new_x="LMARGIN", new_y="NEXT")
    if second_page:
        pdf.add_page()
        pdf.multi_cell(0, 6, "A second page with text only and nothing drawn on it.")
    return bytes(pdf.output())


def test_a_ruled_table_becomes_rows_under_its_header() -> None:
    page, second = read_pdf(_pdf(ROWS, second_page=True), SETTINGS)
    blocks = page.text.split("\n\n")
    assert blocks[:2] == [BEFORE, AFTER]  # the table's cells are not read again as lines
    assert blocks[2].splitlines() == [
        "Table 1, rows 2–4:",
        "Year: 2022; Amount: 3 million; Quay share: 40%.",
        "Year: 2023; Amount: 4 million; Quay share: 45%.",
        "Year: 2024; Amount: 6 million; Quay share: 50%.",
    ]
    assert page.tables == 1 and second.tables == 0
    plain = read_pdf(_pdf(ROWS, second_page=True), OFF)
    assert "2023 4 million 45%" in plain[0].text.replace("\n", " ")  # how it read before
    assert second.text == plain[1].text


def test_a_row_is_cited_by_its_page() -> None:
    info = DocumentInfo(doc_id="budget", variant="original", lang="en", title="Budget")
    chunks = split_pages(
        read_pdf(_pdf(ROWS), SETTINGS),
        info,
        "budget.pdf",
        chunk_size=800,
        chunk_overlap=0,
        min_chars=0,
    )
    row = next(c for c in chunks if "Year: 2024; Amount: 6 million" in c.text)
    assert row.page == 1 and "Table 1, rows 2–4:" in row.text


def test_a_box_of_one_column_is_layout_and_keeps_its_text() -> None:
    boxed = [("A framed note on the budget.",), ("It is read as text.",)]
    assert read_pdf(_pdf(boxed), SETTINGS) == read_pdf(_pdf(boxed), OFF)
    assert not find_tables(_pdf(boxed), SETTINGS)


def test_pages_that_draw_nothing_are_never_searched() -> None:
    assert _ruled_pages(_pdf(None, second_page=True), 100) == []
    assert _ruled_pages(_pdf(ROWS, second_page=True), 100) == [1]
    assert _ruled_pages(b"not a pdf", 100) == []
    assert not find_tables(b"%PDF-1.4 broken", SETTINGS)  # unreadable: no tables, no error


@dataclass
class _Line:
    x: float
    y: float
    text: str


def _table(words: str) -> PdfTable:
    rows = [Row(1, ["Year", "Amount"]), Row(2, ["2024", "6 million"])]
    return PdfTable(1, (100, 100, 300, 200), rows, True, Counter(words.split()))


def test_lines_the_cells_restate_go_and_a_table_missing_words_is_not_trusted() -> None:
    lines = [
        _Line(100, 190, "Budget by year"),  # a heading over the grid: words of its own
        _Line(101, 180, "Year Amount"),
        _Line(101, 170, "2024 6 million"),
        _Line(50, 170, "2024 6 million"),  # outside the box
    ]
    trusted = PdfTables({1: [_table("year amount 2024 6 million")]})
    assert trusted.drop_lines(1, lines) == [lines[0], lines[3]]
    assert trusted.by_page[1] and trusted.drop_lines(2, lines) == lines
    # The same line printed twice but once in the cells: pdfplumber missed a cell.
    twice = [*lines[:3], _Line(150, 120, "2024 6 million")]
    doubtful = PdfTables({1: [_table("year amount 2024 6 million")]})
    assert doubtful.drop_lines(1, twice) == twice  # every line kept ...
    assert not doubtful and doubtful.add_to([]) == []  # ... and no passages for the table
    unrelated = PdfTables({1: [_table("other words entirely")]})
    assert unrelated.drop_lines(1, lines) == lines and not unrelated  # nothing it restates


def test_tables_are_numbered_among_those_kept() -> None:
    good = _table("year amount 2024 6 million")
    tables = PdfTables({1: [good], 2: [replace(good, page=2)]}, room=400)
    lines = [_Line(101, 180, "Year Amount"), _Line(101, 170, "2024 6 million")]
    tables.drop_lines(1, [*lines, _Line(150, 120, "2024 6 million")])  # misses a cell: not kept
    tables.drop_lines(2, lines)
    pages = tables.add_to([Page("Page one.", 1), Page("Page two.", 2)])
    assert pages[0] == Page("Page one.", 1)
    assert pages[1].text == "Page two.\n\nTable 1, row 2:\nYear: 2024; Amount: 6 million."
    assert pages[1].tables == 1


def test_a_first_row_whose_cells_recur_down_their_column_is_data() -> None:
    assert _has_header([Row(1, ["Year", "Amount"]), Row(2, ["2024", "6 million"])])
    rows = [Row(1, ["Community", "I No (0)", "Yes (5)"]), Row(2, ["Dashboard", "No (0)", ""])]
    assert not _has_header(rows)
