"""Word (.docx) through python-docx, in document order: paragraphs, headings and tables.

A paragraph styled Title is the document's title (``#``), one styled "Heading N" (or based on
it) a ``#`` heading one level below; the title falls back to the file's own metadata. List
paragraphs (Word numbering or a list style) become ``-`` items, since Word keeps their numbers
out of the text. Tables become passages of rows under their header (named by the caption just
before them, else "Table N"); a table of one row or column is layout and reads as paragraphs.
Tables of contents are skipped: they repeat the headings with page numbers.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from ingest.readers.archive import one_line, open_archive
from ingest.readers.markdown import (
    Row,
    clean,
    count_tables,
    heading,
    join_blocks,
    list_item,
    paragraph,
    table_blocks,
)
from ingest.readers.page import LoadError, Page

if TYPE_CHECKING:
    from core.settings import Settings

_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
# Word's built-in names for table-of-contents entries ("toc 1") and lists of tables/figures.
_CONTENTS_STYLE = re.compile(r"^(toc\b|table of figures)", re.IGNORECASE)


def read_docx(raw: bytes, settings: Settings) -> list[Page]:
    """The document as one page of light Markdown; LoadError when unreadable or empty."""
    open_archive(raw, settings, "Word file").close()
    from docx import Document

    try:
        document = Document(io.BytesIO(raw))
        blocks = _blocks(document, settings)
    except LoadError:
        raise
    except Exception as exc:  # python-docx on a damaged part raises KeyError, ValueError, ...
        raise LoadError(f"corrupt Word file: {one_line(exc)}") from exc
    text = join_blocks(blocks)
    if not text.strip():
        raise LoadError("Word file has no text")
    return [Page(text, None, tables=count_tables(blocks))]


def _blocks(document: Any, settings: Settings) -> list[str]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    room = int(settings.chunk_size * settings.documents.table_passage_share)
    blocks: list[str] = []
    has_title = False
    caption: str | None = None
    tables = 0
    for element in _body_elements(document.element.body):
        if element.tag.endswith("}tbl"):
            tables += 1
            table = Table(element, document)
            name = caption or f"Table {tables}"
            if caption and blocks and blocks[-1] == paragraph(caption):
                blocks.pop()  # the caption opens each passage of the table instead
            blocks.extend(table_blocks(_rows(table), name, room))
            caption = None
            continue
        para = Paragraph(element, document)
        text = clean(para.text)
        style = _style_names(para)
        if not text or any(_CONTENTS_STYLE.match(s) for s in style):
            continue
        level = _heading_level(style)
        if level == 0 and not has_title:
            blocks.append(heading(text, 1))
            has_title = True
        elif level is not None and level > 0:
            blocks.append(heading(text, level + 1))
        elif _is_list(para, style):
            blocks.append(list_item(text))
        else:
            blocks.append(paragraph(text))
        caption = text if any(s.lower() == "caption" for s in style) else None
    title = clean(document.core_properties.title or "")
    if not has_title and title:
        blocks.insert(0, heading(title, 1))
    return blocks


def _body_elements(body: Any) -> Any:
    """Paragraphs and tables of the body in order, looking inside content controls (w:sdt)."""
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag in ("p", "tbl"):
            yield child
        elif tag == "sdt":
            for content in child.iterchildren():
                if content.tag.endswith("}sdtContent"):
                    yield from _body_elements(content)


def _style_names(para: Any) -> list[str]:
    """The paragraph's style and the styles it is based on, nearest first."""
    names: list[str] = []
    style = para.style
    while style is not None and len(names) < 10:
        names.append(style.name or "")
        style = style.base_style
    return names


def _heading_level(styles: list[str]) -> int | None:
    """0 for the Title style, N for "Heading N" (or a style based on it), else None."""
    for name in styles:
        if name.lower() == "title":
            return 0
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
    return None


def _is_list(para: Any, styles: list[str]) -> bool:
    ppr = para._p.pPr
    numbered = ppr is not None and ppr.numPr is not None
    return numbered or any("list" in s.lower() for s in styles)


def _rows(table: Any) -> list[Row]:
    """Each row's cells by grid column (a merged cell repeats; the row line says it once)."""
    return [
        Row(number, [_cell_text(cell) for cell in row.cells])
        for number, row in enumerate(table.rows, 1)
    ]


def _cell_text(cell: Any) -> str:
    """A cell's paragraphs on one line: '; ' between lines that do not end a sentence."""
    out = ""
    for para in cell.paragraphs:
        text = clean(para.text)
        if not text:
            continue
        out = f"{out}{' ' if out.endswith(('.', ':', ';', ',')) else '; '}{text}" if out else text
    return out
