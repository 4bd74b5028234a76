"""What was read in each file, said for people: its pages or parts, the pages OCR read and their
mean confidence, the tables found, and warnings (a page skipped, empty after OCR, or unsure).

The build sums a file up from its reader's pages (:func:`file_read`), keeps it in the build
manifest's entry for the file, and ``ingest build`` and ``ingest status`` print those entries as
one table (:func:`read_table`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from core.manifest import FileEntry
from core.ocr_words import OcrPage
from ingest.readers.ocr import MISSING, OUT_OF_BUILD_TIME
from ingest.readers.page import Page

# What one Page of a reader is, by file suffix; a Word file, web page, EPUB, ODT or text file
# is one Page, counted in sections (its headings) instead.
_PART_UNITS = {".pdf": "page", ".pptx": "slide", ".xlsx": "sheet", ".csv": "sheet"}
_HEADING = re.compile(r"^#{1,6} \S", re.MULTILINE)


@dataclass
class FileOcr:
    """What OCR did in one file: pages read (mean confidence, seconds), pages skipped because
    tesseract is missing or the build's OCR time ran out, and warnings for people (a page
    skipped, empty or unsure)."""

    pages: list[int] = field(default_factory=list)
    confidence: float = 0.0
    seconds: float = 0.0
    missing: list[int] = field(default_factory=list)
    out_of_time: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    mended: int = 0  # words OCR misread, mended from the word lists (ingest/readers/ocr.py)


@dataclass
class FileRead:
    """One file as its reader gave it: ``parts`` counted in ``part_unit`` (pages of a PDF,
    slides, sheets, or sections of a one-page format), tables read as rows, and its OCR."""

    parts: int
    part_unit: str
    tables: int
    ocr: FileOcr


def file_ocr(pages: Sequence[OcrPage], low_confidence: float) -> FileOcr:
    """Sum up one file's OCR'd pages."""
    done = [p for p in pages if p.skipped is None]
    result = FileOcr(
        pages=[p.page for p in done],
        confidence=round(sum(p.confidence for p in done) / len(done), 1) if done else 0.0,
        seconds=round(sum(p.seconds for p in done), 2),
        missing=[p.page for p in pages if p.skipped == MISSING],
        out_of_time=[p.page for p in pages if p.skipped == OUT_OF_BUILD_TIME],
        mended=sum(p.mended for p in done),
    )
    for p in pages:
        if p.skipped is not None and p.skipped not in (MISSING, OUT_OF_BUILD_TIME):
            result.warnings.append(f"p. {p.page}: not read by OCR ({p.skipped})")
        elif p.skipped is None and not p.words:
            result.warnings.append(f"p. {p.page}: no text even after OCR")
        elif p.skipped is None and p.confidence < low_confidence:
            result.warnings.append(f"p. {p.page}: OCR confidence {p.confidence:.0f} is low")
    return result


def file_read(rel: str, pages: Sequence[Page], low_confidence: float) -> FileRead:
    """What the reader gave for the file at ``rel`` (its suffix names the parts)."""
    unit = _PART_UNITS.get(PurePosixPath(rel).suffix.lower(), "section")
    tables = sum(p.tables for p in pages)
    if unit == "sheet":  # a sheet is one table, however many passages of rows it gave
        parts = tables
    elif unit == "section":
        parts = max(1, sum(len(_HEADING.findall(p.text)) for p in pages))
    else:
        parts = len(pages)
    ocr = file_ocr([p.ocr for p in pages if p.ocr is not None], low_confidence)
    return FileRead(parts, unit, tables, ocr)


def page_ranges(pages: Sequence[int]) -> str:
    """'1–3, 5, 9–10' for [1, 2, 3, 5, 9, 10]."""
    spans: list[list[int]] = []
    for n in sorted(set(pages)):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}–{b}" if b > a else f"{a}" for a, b in spans)


def entry_with(entry: FileEntry, read: FileRead) -> FileEntry:
    """The manifest entry of a file read now, with what was read in it."""
    o = read.ocr
    warnings = list(o.warnings)
    if o.missing:
        warnings.append(f"p. {page_ranges(o.missing)}: not read ({MISSING})")
    if o.out_of_time:
        warnings.append(f"p. {page_ranges(o.out_of_time)}: not read ({OUT_OF_BUILD_TIME})")
    return entry.model_copy(
        update={
            "parts": read.parts,
            "part_unit": read.part_unit,
            "tables": read.tables,
            "ocr_pages": o.pages,
            "ocr_unread": o.out_of_time,
            "ocr_confidence": o.confidence if o.pages else None,
            "ocr_seconds": o.seconds,
            "warnings": warnings,
        }
    )


_COLUMNS = ("file", "read as", "OCR pages", "OCR conf.", "tables", "chunks", "warnings")
_MAX_NAME = 48  # a longer path is cut in the middle, so the columns stay readable


def read_table(entries: Mapping[str, FileEntry]) -> list[str]:
    """The files' entries as lines of an aligned plain-text table, a header first ([] when
    there are none; the warnings themselves are the entries' to print). A build from before
    these were recorded shows '?' where it did not record them."""
    if not entries:
        return []
    rows = [_COLUMNS] + [_row(rel, e) for rel, e in sorted(entries.items())]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if i == 0 or i == 1 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _row(rel: str, e: FileEntry) -> tuple[str, str, str, str, str, str, str]:
    name = rel if len(rel) <= _MAX_NAME else f"{rel[: _MAX_NAME // 2 - 1]}…{rel[-_MAX_NAME // 2 :]}"
    plural = "s" * (e.parts != 1)
    read_as = "?" if e.parts is None else f"{e.parts} {e.part_unit}{plural}"
    confidence = f"{e.ocr_confidence:.0f}" if e.ocr_confidence is not None else "-"
    tables = "?" if e.tables is None else str(e.tables)
    return (
        name,
        read_as,
        str(len(e.ocr_pages)) if e.ocr_pages else "-",
        confidence,
        tables,
        str(e.chunks),
        str(len(e.warnings)) if e.warnings else "-",
    )
