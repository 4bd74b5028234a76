"""Writing the light Markdown every reader returns: headings, paragraphs, list items and tables.

A table becomes passages of rows (``Header: value; Header: value.``), each passage opening with
the table's name and the rows it holds, so a question about one row finds that row with its
headers, and the passage says which table and rows it is. Rows are grouped up to a size the
splitter never has to cut; a table of one row or one column is layout, and is written as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.readers.page import SENTENCE_END


def clean(text: str) -> str:
    """One line of text: every run of whitespace (line breaks, \\x0b, NBSP) one space."""
    return re.sub(r"\s+", " ", text).strip()


def heading(text: str, level: int) -> str:
    return f"{'#' * min(max(level, 1), 6)} {clean(text)}" if clean(text) else ""


def paragraph(text: str) -> str:
    """A paragraph as one block; one that only looks like a Markdown heading stays text."""
    text = clean(text)
    return "\\" + text if text.startswith("#") else text


def list_item(text: str) -> str:
    return f"- {clean(text)}" if clean(text) else ""


class TablePassage(str):
    """A passage of a table's rows (a str like any block), marked so a reader can say how many
    tables it found: ``opens_table`` on the first passage of each table."""

    opens_table: bool = False


def count_tables(blocks: Sequence[str]) -> int:
    """Tables read as rows among a reader's blocks (a layout table read as text is not one)."""
    return sum(1 for b in blocks if isinstance(b, TablePassage) and b.opens_table)


@dataclass(frozen=True)
class Row:
    number: int  # as the document counts it: a sheet's row number, a table's row from 1
    cells: list[str]


def table_blocks(
    rows: Sequence[Row],
    name: str,
    max_chars: int,
    *,
    layout_as_text: bool = True,
    first_row_is_header: bool = True,
) -> list[str]:
    """A table as blocks of light Markdown: passages of rows under their header (see above).

    ``name`` opens each passage ("Table 2, rows 3–9:"); a sheet, whose rows are data whatever
    their shape, passes ``layout_as_text=False``; a reader that knows the first row is data
    passes ``first_row_is_header=False``.
    """
    rows = [Row(r.number, [clean(c) for c in r.cells]) for r in rows]
    rows = [r for r in rows if any(r.cells)]
    width = max((sum(1 for c in r.cells if c) for r in rows), default=0)
    if layout_as_text and (len(rows) < 2 or width < 2):  # layout, not data: cells are text
        return [paragraph(c) for r in rows for c in r.cells if c]
    has_header = first_row_is_header and len(rows) > 1
    header, body = (rows[0], rows[1:]) if has_header else (Row(0, []), rows)
    titles = {c for c in header.cells if c}
    if len(titles) == 1 and body:  # one cell across the table: its title, not column headers
        title = titles.pop()
        name = name if title in name else f"{name}: {title}" if name else title
        header = Row(0, [])
    lines = [(row.number, _row_line(header.cells, row.cells)) for row in body]
    blocks: list[str] = []  # TablePassage each
    group: list[tuple[int, str]] = []

    def flush() -> None:
        if group:
            span = f"{group[0][0]}–{group[-1][0]}" if len(group) > 1 else f"{group[0][0]}"
            label = "rows" if len(group) > 1 else "row"
            lead = f"{name}, {label} {span}:" if name else f"{label.capitalize()} {span}:"
            passage = TablePassage("\n".join([lead, *(line for _, line in group)]))
            passage.opens_table = not blocks
            blocks.append(passage)
            group.clear()

    for number, line in lines:
        size = sum(len(text) + 1 for _, text in group) + len(line) + len(name) + 20
        if group and size > max_chars:
            flush()
        group.append((number, line))
    flush()
    return blocks


def _row_line(header: list[str], cells: list[str]) -> str:
    """'Header: value; Header: value.' (a cell without a header, or repeating it, alone)."""
    parts = []
    for i, cell in enumerate(cells):
        if not cell or (i and cell == cells[i - 1]):  # empty, or one cell merged across columns
            continue
        head = header[i] if i < len(header) else ""
        parts.append(f"{head}: {cell}" if head and head != cell else cell)
    line = "; ".join(parts)
    # Each row ends like a sentence, so a row is a sentence of its own to the answerer.
    return line if line.endswith(SENTENCE_END) else f"{line}."


def join_blocks(blocks: Sequence[str]) -> str:
    return "\n\n".join(b for b in blocks if b.strip())
