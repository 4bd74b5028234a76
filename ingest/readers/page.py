"""What every reader returns and raises: located pages of text, and one error that says why a
file cannot be read. The sentence rule here and the list rule (core.text.LIST_MARKER, which
answers read too) are shared by the readers and the splitter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.ocr_words import OcrPage
from core.text import LIST_MARKER as LIST_MARKER  # the readers' and the splitter's too

if TYPE_CHECKING:
    from core.settings import Settings

# Ends of a sentence (or of a clause that a list or the next page cannot continue).
SENTENCE_END = (".", "!", "?", ";", ":", "…", "。", "！", "？", "．")


class LoadError(Exception):
    """A corpus file that cannot be indexed; the message says why, for the person who added it."""


@dataclass(frozen=True)
class Page:
    """A located piece of text as light Markdown: a whole text file (page None), one PDF page,
    or a part another format names (``label``: "slide 3", "Sheet1 rows 2–14"), cited by that
    label instead of a page number. A scanned page read by OCR (or skipped) carries what OCR
    made of it; a file's first page may carry the title its layout shows. ``tables``: how many
    tables the reader wrote as passages of rows here."""

    text: str
    page: int | None
    label: str | None = None
    ocr: OcrPage | None = None
    title: str | None = None  # the document's title as its layout shows it (a PDF's cover)
    tables: int = 0


def join_lines(lines: list[str], line_hyphen: str = "") -> str:
    """One paragraph from its printed lines: a word hyphenated at a line end is joined again,
    with ``line_hyphen`` left where the hyphen was (the PDF reader marks it, so the document's
    own words decide later between "develop-ment" -> "development" and "perundang-undangan")."""
    out = ""
    for raw in lines:
        line = re.sub(r"\s+", " ", raw.replace("\u00ad", "-")).strip()
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out = out[:-1] + line_hyphen + line  # "develop-" + "ment"
        elif out.endswith(("-", "/")):
            out += line  # "COVID-19-" + "related", "www.example.org/" + "path"
        else:
            out = f"{out} {line}" if out else line
    return out


# A reader turns a file's bytes (already size-checked) into pages, or raises LoadError.
Reader = Callable[[bytes, "Settings"], list[Page]]
