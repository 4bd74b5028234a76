"""What was read in each file: counted from the reader's pages, kept in the build manifest, and
printed as one table by `ingest build` and `ingest status`."""

from __future__ import annotations

from pathlib import Path

from core import store
from core.manifest import FileEntry
from core.ocr_words import OcrPage, OcrWord
from ingest.build import run_build
from ingest.inventory import entry_with, file_read, page_ranges, read_table
from ingest.readers.ocr import MISSING, OUT_OF_BUILD_TIME
from ingest.readers.page import Page

WORD = OcrWord("kata", (0.1, 0.1, 0.2, 0.12), 90.0)


def test_a_pdf_is_counted_in_pages_with_its_ocr() -> None:
    pages = [
        Page("A text page.", 1),
        Page("Read by OCR.", 2, ocr=OcrPage(2, "ind", 84.0, 2.0, (WORD,))),
        Page("Unsure.", 3, ocr=OcrPage(3, "ind", 40.0, 1.0, (WORD,))),
        Page("", 4, ocr=OcrPage(4, skipped=OUT_OF_BUILD_TIME)),
        Page("", 5, ocr=OcrPage(5, skipped=OUT_OF_BUILD_TIME)),
    ]
    read = file_read("reports/Plan.PDF", pages, low_confidence=60)
    assert (read.parts, read.part_unit, read.tables) == (5, "page", 0)
    assert read.ocr.pages == [2, 3] and read.ocr.confidence == 62.0
    assert read.ocr.out_of_time == [4, 5]
    entry = entry_with(FileEntry(sha256="s", size=1, chunks=3), read)
    assert entry.parts == 5 and entry.part_unit == "page" and entry.ocr_pages == [2, 3]
    assert entry.warnings == [
        "p. 3: OCR confidence 40 is low",
        f"p. 4–5: not read ({OUT_OF_BUILD_TIME})",  # a range, not a line per page
    ]


def test_slides_sheets_and_one_page_formats_name_their_parts() -> None:
    slides = [Page("# Title", None, "slide 1"), Page("x", None, "slide 2", tables=2)]
    read = file_read("deck.pptx", slides, 60)
    assert (read.parts, read.part_unit, read.tables) == (2, "slide", 2)
    sheets = [
        Page("Budget, rows 2–9:", None, "Budget rows 2–9", tables=1),
        Page("Budget, rows 10–14:", None, "Budget rows 10–14"),
        Page("Staff, row 2:", None, "Staff row 2", tables=1),
    ]
    read = file_read("book.xlsx", sheets, 60)
    assert (read.parts, read.part_unit, read.tables) == (2, "sheet", 2)
    word = [Page("# Plan\n\nText.\n\n## Funding\n\nMore.\n\n\\# not a heading", None, tables=1)]
    read = file_read("plan.docx", word, 60)
    assert (read.parts, read.part_unit, read.tables) == (2, "section", 1)
    assert file_read("notes.txt", [Page("Just text.", None)], 60).parts == 1


def test_page_ranges() -> None:
    assert page_ranges([9, 1, 2, 3, 5, 10]) == "1–3, 5, 9–10"
    assert page_ranges([]) == ""


def test_the_table_aligns_columns_and_marks_what_an_older_build_did_not_record() -> None:
    entries = {
        "scans/pp-46.pdf": FileEntry(
            sha256="a",
            size=1,
            chunks=8,
            parts=4,
            part_unit="page",
            tables=0,
            ocr_pages=[1, 2, 3, 4],
            ocr_confidence=79.9,
            warnings=[f"p. 4: not read ({MISSING})"],
        ),
        "deck.pptx": FileEntry(sha256="b", size=1, chunks=19, parts=1, part_unit="slide", tables=3),
        "old.md": FileEntry(sha256="c", size=1, chunks=2),  # built before parts were recorded
    }
    lines = read_table(entries)
    assert [line.split() for line in lines[1:]] == [
        ["deck.pptx", "1", "slide", "-", "-", "3", "19", "-"],
        ["old.md", "?", "-", "-", "?", "2", "-"],
        ["scans/pp-46.pdf", "4", "pages", "4", "80", "0", "8", "1"],
    ]
    assert len({len(line) for line in lines[1:]}) <= 2  # right-aligned columns end together
    assert lines[0].index("tables") < lines[0].index("chunks")
    assert read_table({}) == []
    long = read_table({"a/" + "x" * 80 + ".pdf": entries["deck.pptx"]})[1]
    assert "…" in long and long.split()[0].endswith("x.pdf") and len(long.split()[0]) <= 48


def test_the_manifest_keeps_what_each_file_held(tiny_corpus: Path, settings_factory) -> None:
    (tiny_corpus / "budget.csv").write_text(
        "Year,Amount\n2023,4 million\n2024,6 million\n", encoding="utf-8"
    )
    settings = settings_factory()
    report = run_build(settings, progress=False)
    assert set(report.read) == {"alpha.txt", "beta.md", "budget.csv", "gamma.txt"}
    build = store.live_build_dir(settings.index_dir)
    assert build is not None
    files = store.load_manifest(build).files
    assert (files["budget.csv"].parts, files["budget.csv"].part_unit) == (1, "sheet")
    assert files["budget.csv"].tables == 1
    assert (files["beta.md"].parts, files["beta.md"].part_unit, files["beta.md"].tables) == (
        2,
        "section",
        0,
    )
    (tiny_corpus / "alpha.txt").write_text("Alpha changed its name.\n", encoding="utf-8")
    again = run_build(settings, progress=False)
    assert set(again.read) == {"alpha.txt"}  # only what this build read
    build = store.live_build_dir(settings.index_dir)
    assert build is not None
    assert store.load_manifest(build).files["budget.csv"].tables == 1  # kept from the last build
