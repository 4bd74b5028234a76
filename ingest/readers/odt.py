"""OpenDocument text (.odt) through the standard zipfile and lxml.

``content.xml`` holds the body: ``text:h`` headings (their ``outline-level``), ``text:p``
paragraphs, ``text:list`` items and ``table:table`` tables (passages of rows). It is parsed as
XML without entities, DTDs or network. The title comes from ``meta.xml`` (``dc:title``) when set.
odfpy was not used: its last release is from 2020 and it parses through minidom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ingest.readers.archive import open_archive, parse_xml, read_member
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

_KIND = "OpenDocument file"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def read_odt(raw: bytes, settings: Settings) -> list[Page]:
    """The document as one page of light Markdown; LoadError when unreadable or empty."""
    archive = open_archive(raw, settings, _KIND)
    with archive:
        content = parse_xml(read_member(archive, "content.xml", _KIND), _KIND)
        meta = archive.read("meta.xml") if "meta.xml" in archive.namelist() else b""
    title = ""
    if meta:
        found = next((e for e in parse_xml(meta, _KIND).iter() if _local(e) == "title"), None)
        title = clean("".join(found.itertext())) if found is not None else ""
    body = next(content.iter(f"{{{_OFFICE}}}text"), None)
    if body is None:
        raise LoadError(f"corrupt {_KIND}: no text body (a spreadsheet or slides saved as .odt?)")
    room = int(settings.chunk_size * settings.documents.table_passage_share)
    blocks = _blocks(body, room)
    if title:  # the title on top, every heading one level below it (as Word's are)
        deeper = [
            ("#" + b if b.startswith("#") and not b.startswith("######") else b) for b in blocks
        ]
        blocks = [heading(title, 1), *deeper]
    text = join_blocks(blocks)
    if not any(b and not b.startswith("#") for b in blocks):
        raise LoadError(f"{_KIND} has no text")
    return [Page(text, None, tables=count_tables(blocks))]


def _blocks(parent: Any, room: int) -> list[str]:
    blocks: list[str] = []
    tables = 0
    for child in parent:
        tag = child.tag
        if tag == f"{{{_TEXT}}}h":
            level = int(child.get(f"{{{_TEXT}}}outline-level", "1") or 1)
            blocks.append(heading(_text(child), level))
        elif tag == f"{{{_TEXT}}}p":
            blocks.append(paragraph(_text(child)))
        elif tag == f"{{{_TEXT}}}list":
            for item in child.iter(f"{{{_TEXT}}}list-item"):
                own = [p for p in item if p.tag in (f"{{{_TEXT}}}p", f"{{{_TEXT}}}h")]
                blocks.extend(list_item(_text(p)) for p in own)
        elif tag == f"{{{_TABLE}}}table":
            tables += 1
            rows = [
                Row(n, [_text(cell) for cell in row if _local(cell) == "table-cell"])
                for n, row in enumerate(child.iter(f"{{{_TABLE}}}table-row"), 1)
            ]
            name = str(child.get(f"{{{_TABLE}}}name") or f"Table {tables}")
            blocks.extend(table_blocks(rows, name, room))
        elif tag == f"{{{_TEXT}}}section":
            blocks.extend(_blocks(child, room))
    return [b for b in blocks if b]


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: Any) -> str:
    """A paragraph's text: ``text:s`` is a space, ``text:tab`` a tab, ``text:line-break`` a
    line break (all one space here); notes and annotations are left out."""
    parts = [element.text or ""]
    for child in element:
        name = _local(child)
        if name in ("s", "tab", "line-break"):
            parts.append(" ")
        elif name not in ("note", "annotation"):
            parts.append(_text(child))
        parts.append(child.tail or "")
    return clean("".join(parts))
