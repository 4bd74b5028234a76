"""Tables in text PDFs, found by their ruling lines, written as passages of rows.

pdfplumber (MIT; pdfminer.six underneath: pure Python, no model, nothing fetched) finds a table
where the lines drawn on a page make a grid of cells, and gives each cell's text.
:func:`~ingest.readers.markdown.table_blocks` writes the rows under their header row, as it
does a Word table's, so "what is the figure for 2023" finds the row and the passage names the
table and rows ("Table 2, rows 3–9:"). A grid that is layout (one row or one column: a frame
around a quote, a box of a cover) is left as the page's own text.

The PDF reader asks for the tables of a PDF it has already read within its limits, then lays
the pages out again without the printed lines inside a table's box that the table's cells
restate (read line by line they run the cells together; a line with words of its own, such as
a heading over the grid, stays), and puts the table's passages at the end of its page. A table
whose cells lack words its lines print (pdfplumber missed a cell of an irregular grid), or
whose lines none of its cells restate, is not trusted: its page keeps every line and gets no
passages for it, so nothing is lost and nothing said twice. A PDF
pdfplumber cannot read, or one past the search's time bound, keeps its text as it was.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, TypeVar

from ingest.readers.markdown import Row, count_tables, join_blocks, table_blocks
from ingest.readers.page import Page

if TYPE_CHECKING:
    from core.settings import Settings

# A printed line belongs to a table when it starts inside the table's box, give or take this
# many points: pypdf places a line at its baseline and its first glyph's left edge, which sit
# on or just past the cell's ruling lines.
_EDGE = 2.0
_WORD = re.compile(r"\w+")


class PrintedLine(Protocol):
    """What the PDF reader knows of a printed line: where it starts (points from the page's
    bottom-left) and its text."""

    x: float
    y: float
    text: str


_L = TypeVar("_L", bound=PrintedLine)
# (page number, the page's printed lines) -> the lines the reader lays out.
LineFilter = Callable[[int, list[_L]], list[_L]]


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


@dataclass(frozen=True)
class PdfTable:
    page: int
    box: tuple[float, float, float, float]  # x0, y0, x1, y1: points from the page's bottom-left
    rows: list[Row]
    header: bool  # whether its first row names the columns
    words: Counter[str]  # the words of its cells, case-folded, with how often each is printed

    def blocks(self, name: str, room: int) -> list[str]:
        return table_blocks(self.rows, name, room, first_row_is_header=self.header)

    def holds(self, line: PrintedLine) -> bool:
        """Whether the line starts inside the table's box."""
        x0, y0, x1, y1 = self.box
        return x0 - _EDGE <= line.x <= x1 + _EDGE and y0 - _EDGE <= line.y <= y1 + _EDGE


@dataclass
class PdfTables:
    """The data tables of one PDF, by page number (from 1)."""

    by_page: dict[int, list[PdfTable]] = field(default_factory=dict)
    room: int = 0  # the most characters a passage of rows may hold

    def __bool__(self) -> bool:
        return bool(self.by_page)

    def drop_lines(self, page: int, lines: list[_L]) -> list[_L]:
        """The page's lines without those its tables restate. A table whose cells lack words
        those lines print is dropped from the tables here (its lines stay): call this before
        :meth:`add_to`."""
        dropped: set[int] = set()
        trusted = []
        for table in self.by_page.get(page, []):
            restated = [
                i
                for i, line in enumerate(lines)
                if table.holds(line) and set(_words(line.text)) <= set(table.words)
            ]
            printed = Counter(w for i in restated for w in _words(lines[i].text))
            if not restated or printed - table.words:  # cells its lines do not print, or lines
                continue  # its cells miss (pdfplumber did not read a cell): the lines stay
            trusted.append(table)
            dropped.update(restated)
        if page in self.by_page:
            self.by_page[page] = trusted
            if not trusted:
                del self.by_page[page]
        return [line for i, line in enumerate(lines) if i not in dropped]

    def add_to(self, pages: list[Page]) -> list[Page]:
        """The pages with each table's passages after the page's own text."""
        out = []
        number = 0
        for page in pages:
            tables = self.by_page.get(page.page or 0, [])
            if tables:
                blocks = [page.text]
                for table in tables:  # numbered among the tables kept, in the document's order
                    number += 1
                    blocks += table.blocks(f"Table {number}", self.room)
                page = replace(page, text=join_blocks(blocks), tables=page.tables + len(tables))
            out.append(page)
        return out


def find_tables(raw: bytes, settings: Settings) -> PdfTables:
    """The ruled data tables of a PDF (one the PDF reader has read within its limits)."""
    found = PdfTables()
    if not settings.documents.pdf_tables:
        return found
    candidates = _ruled_pages(raw, settings.pdf_max_pages)
    if not candidates:
        return found
    import pdfplumber

    room = found.room = int(settings.chunk_size * settings.documents.table_passage_share)
    deadline = time.monotonic() + settings.documents.pdf_table_seconds
    quiet = logging.getLogger("pdfminer")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # pdfminer logs what it repairs, without the file's name
    try:
        with pdfplumber.open(io.BytesIO(raw), pages=candidates) as pdf:
            for page in pdf.pages:
                number = page.page_number
                if time.monotonic() > deadline:
                    break
                for table in page.find_tables():
                    rows = [
                        Row(i, [cell or "" for cell in cells])
                        for i, cells in enumerate(table.extract(), 1)
                    ]
                    if not rows:
                        continue
                    words = Counter(w for row in rows for c in row.cells for w in _words(c))
                    header = _has_header(rows)
                    if not count_tables(table_blocks(rows, "", room, first_row_is_header=header)):
                        continue  # layout: the page's text says it already
                    x0, top, x1, bottom = table.bbox
                    box = (x0, page.height - bottom, x1, page.height - top)
                    found.by_page.setdefault(number, []).append(
                        PdfTable(number, box, rows, header, words)
                    )
                page.close()
    except Exception:  # pdfminer on a PDF pypdf could read but it cannot: the text stays as is
        return PdfTables()
    finally:
        quiet.setLevel(level)
    return found


def _has_header(rows: list[Row]) -> bool:
    """Whether the first row names the columns: not when a value further down a column says
    nothing its first cell does not ("Community | No (0) | Yes (5)" over "Dashboard | No (0) |
    Yes (5)"), as a column's name never is its value. (pdfplumber leaves a merged cell empty,
    so a header merged down two rows does not repeat.)"""
    first, *body = rows
    for i, cell in enumerate(first.cells):
        head = set(_words(cell))
        for row in body:
            value = set(_words(row.cells[i])) if i < len(row.cells) else set()
            if head and value and value <= head:
                return False
    return True


def _ruled_pages(raw: bytes, max_pages: int) -> list[int]:
    """Numbers of the pages that draw anything (PDFium, in C: ~5 ms a page): a page without a
    drawn path has no ruling lines, so pdfminer (pure Python, ~0.3 s a page) never reads it."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError:
        return []
    try:
        found = []
        for index in range(min(len(pdf), max_pages)):
            objects = pdf[index].get_objects(max_depth=2)
            if any(o.type == pdfium_c.FPDF_PAGEOBJ_PATH for o in objects):
                found.append(index + 1)
        return found
    except pdfium.PdfiumError:
        return []
    finally:
        pdf.close()
