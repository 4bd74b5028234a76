"""PowerPoint (.pptx) through python-pptx: one :class:`Page` per slide, labelled "slide N".

The slide's title is its heading (the first slide's is the deck's title), then the text of its
shapes top to bottom, left to right (grouped shapes included), tables as passages of rows, and
the speaker notes last. Pictures, charts and embedded objects carry no text here and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def read_pptx(raw: bytes, settings: Settings) -> list[Page]:
    """The deck's slides as pages; LoadError when it is not a readable, bounded .pptx."""
    open_archive(raw, settings, "PowerPoint file").close()
    import io

    from pptx import Presentation

    try:
        deck = Presentation(io.BytesIO(raw))
        pages = [_slide(slide, n, settings) for n, slide in enumerate(deck.slides, 1)]
    except LoadError:
        raise
    except Exception as exc:  # python-pptx on a damaged part raises KeyError, ValueError, ...
        raise LoadError(f"corrupt PowerPoint file: {one_line(exc)}") from exc
    pages = [p for p in pages if p.text.strip()]
    if not pages:
        raise LoadError("PowerPoint file has no text on any slide")
    return pages


def _slide(slide: Any, number: int, settings: Settings) -> Page:
    title_shape = slide.shapes.title
    title = clean(title_shape.text_frame.text) if title_shape is not None else ""
    blocks = [heading(title, 1 if number == 1 else 2)] if title else []
    room = int(settings.chunk_size * settings.documents.table_passage_share)
    tables = 0
    for shape in _reading_order(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if getattr(shape, "has_table", False) and shape.has_table:
            tables += 1
            rows = [
                Row(i, [cell.text for cell in row.cells])
                for i, row in enumerate(shape.table.rows, 1)
            ]
            name = f"Slide {number} table" + (f" {tables}" if tables > 1 else "")
            blocks.extend(table_blocks(rows, name, room))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            blocks.extend(_text_frame(shape.text_frame))
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        text = clean(notes.text) if notes is not None else ""
        if text:
            blocks.append(paragraph(f"Speaker notes: {text}"))
    return Page(join_blocks(blocks), None, label=f"slide {number}", tables=count_tables(blocks))


def _reading_order(shapes: Any) -> Iterator[Any]:
    """Shapes top to bottom, then left to right; a group's shapes in its place."""

    def place(shape: Any) -> tuple[int, int]:
        return (shape.top or 0, shape.left or 0)

    for shape in sorted(shapes, key=place):
        if hasattr(shape, "shapes"):  # a group shape
            yield from _reading_order(shape.shapes)
        else:
            yield shape


def _text_frame(frame: Any) -> list[str]:
    """A text box's paragraphs; indented ones (level > 0) and short bullet lines as list items."""
    out = []
    for para in frame.paragraphs:
        text = clean(para.text)
        if text:
            out.append(list_item(text) if para.level > 0 else paragraph(text))
    return out
