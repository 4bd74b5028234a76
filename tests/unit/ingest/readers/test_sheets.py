from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from core.settings import DocumentSettings, Settings
from ingest.readers.page import LoadError
from ingest.readers.sheets import read_csv, read_xlsx

from .conftest import chunks_of


def _xlsx(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Budget"
    sheet.append(["Year", "Programme", "Amount"])
    for n in range(rows):
        sheet.append([2000 + n, f"Programme {n}", n * 1.5])
    sheet["E1"] = "=SUM(C2:C5)"  # a formula is never evaluated: its cached value (none) is read
    other = book.create_sheet("Staff")
    other.append(["Role", "Count"])
    other.append(["Analyst", 216])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_rows_carry_their_header_and_pages_name_sheet_and_rows(settings: Settings) -> None:
    pages = read_xlsx(_xlsx(3), settings)
    assert [p.label for p in pages] == ["Budget rows 2–4", "Staff row 2"]
    assert [p.tables for p in pages] == [1, 1]  # each sheet is a table
    assert "Year: 2001; Programme: Programme 1; Amount: 1.5." in pages[0].text
    assert "SUM" not in pages[0].text
    chunks = chunks_of(pages, settings)
    assert [c.location for c in chunks] == ["Budget rows 2–4", "Staff row 2"]


def test_a_long_sheet_is_cut_into_row_groups(settings: Settings) -> None:
    pages = read_xlsx(_xlsx(200), settings)
    budget = [p for p in pages if p.label and p.label.startswith("Budget")]
    assert len(budget) > 3
    assert sum(p.tables for p in budget) == 1  # one table, however many passages
    assert budget[0].label == "Budget rows 2–" + budget[0].text.splitlines()[0].split("–")[1][:-1]
    chunks = chunks_of(pages, settings)
    assert all(len(c.text) <= settings.chunk_size for c in chunks)
    assert len(chunks) == len(pages)  # each row group is one passage, never cut or merged


def test_a_huge_sheet_is_refused(settings: Settings) -> None:
    bounded = settings.model_copy(update={"documents": DocumentSettings(sheet_max_cells=1000)})
    with pytest.raises(LoadError, match="over 1,000 cells"):
        read_xlsx(_xlsx(2000), bounded)
    with pytest.raises(LoadError, match="over 1,000 cells"):
        read_csv(("a,b\n" + "1,2\n" * 2000).encode(), bounded)


def test_csv_with_semicolons(settings: Settings) -> None:
    pages = read_csv(b"Kota;Penduduk\nJakarta;10.6 juta\nSurabaya;2.9 juta\n", settings)
    assert [p.label for p in pages] == ["Rows 2–3"]
    assert "Kota: Surabaya; Penduduk: 2.9 juta." in pages[0].text


def test_not_a_workbook(settings: Settings) -> None:
    with pytest.raises(LoadError, match="Excel"):
        read_xlsx(b"plain text", settings)
