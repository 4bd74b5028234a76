"""Spreadsheets: Excel (.xlsx) through openpyxl, and CSV through the standard library.

Each sheet's first non-empty row is its header; the rows below become passages of rows that
repeat it (``Header: value; ...``), one :class:`Page` per passage labelled with the sheet and
its rows ("Budget rows 2–14"), so a citation says where to look. openpyxl reads in read-only
mode and takes cached values, never formulas; cells are counted as they are read, and a file
over the bound is refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from ingest.readers.archive import one_line, open_archive
from ingest.readers.markdown import Row, count_tables, table_blocks
from ingest.readers.page import LoadError, Page
from ingest.readers.text import decode_utf8

if TYPE_CHECKING:
    from core.settings import Settings


def read_xlsx(raw: bytes, settings: Settings) -> list[Page]:
    """One page per passage of rows of every sheet; LoadError when unreadable or empty."""
    open_archive(raw, settings, "Excel file").close()
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:
        raise LoadError(f"corrupt Excel file: {one_line(exc)}") from exc
    try:
        counter = _CellCounter(settings.documents.sheet_max_cells)
        pages: list[Page] = []
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            pages.extend(_sheet_pages(sheet.title, counter.rows(rows), settings))
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(f"corrupt Excel file: {one_line(exc)}") from exc
    finally:
        book.close()
    if not pages:
        raise LoadError("Excel file has no rows of text")
    return pages


def read_csv(raw: bytes, settings: Settings) -> list[Page]:
    """A CSV file (UTF-8, delimiter sniffed) as pages of rows; LoadError when it has none."""
    text = decode_utf8(raw)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    counter = _CellCounter(settings.documents.sheet_max_cells)
    try:
        rows = counter.rows(csv.reader(io.StringIO(text), dialect))
        pages = _sheet_pages("", rows, settings)
    except csv.Error as exc:
        raise LoadError(f"malformed CSV: {one_line(exc)}") from exc
    if not pages:
        raise LoadError("CSV file has no rows of text")
    return pages


class _CellCounter:
    """Counts cells across a file's sheets and refuses the file past the bound."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen = 0

    def rows(self, rows: Iterable[Iterable[Any]]) -> Iterator[Row]:
        for number, values in enumerate(rows, 1):
            cells = []
            for value in values:
                self.seen += 1
                if self.seen > self.limit:
                    raise LoadError(
                        f"spreadsheet has over {self.limit:,} cells "
                        "(SQA_DOCUMENTS__SHEET_MAX_CELLS); not indexed"
                    )
                cells.append(_cell(value))
            yield Row(number, cells)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet_pages(name: str, rows: Iterable[Row], settings: Settings) -> list[Page]:
    """A sheet's passages of rows, each a page labelled with the sheet and the rows it holds."""
    kept = [row for row in rows if any(c.strip() for c in row.cells)]
    room = int(settings.chunk_size * settings.documents.table_passage_share)
    pages = []
    for block in table_blocks(kept, name, room, layout_as_text=False):
        lead = block.split("\n", 1)[0]  # "Budget, rows 2–14:" -> cited as "Budget rows 2–14"
        sheet, _, span = lead.removesuffix(":").rpartition(", ")
        label = f"{sheet} {span}" if sheet else span
        pages.append(Page(block, None, label=label, tables=count_tables([block])))
    return pages
