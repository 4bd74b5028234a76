"""EPUB through the standard zipfile and lxml: the book's chapters in reading (spine) order.

The container names the package file; its spine lists the chapters (XHTML). Each chapter is
parsed as XML without entities, DTDs or network, and its body written as light Markdown:
``h1``-``h6`` headings, paragraphs, list items and tables as passages of rows. Scripts, styles
and navigation are skipped. The book's title (Dublin Core ``dc:title``) opens the text.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

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

_KIND = "EPUB"
_SKIP = {"script", "style", "nav", "head", "noscript", "template", "svg", "math", "aside"}
_BLOCK = {"p", "div", "section", "article", "blockquote", "pre", "dd", "dt", "figcaption"}


def read_epub(raw: bytes, settings: Settings) -> list[Page]:
    """The book as one page of light Markdown; LoadError when unreadable or without text."""
    archive = open_archive(raw, settings, _KIND)
    with archive:
        container = parse_xml(read_member(archive, "META-INF/container.xml", _KIND), _KIND)
        rootfile = next((e for e in container.iter() if _local(e) == "rootfile"), None)
        if rootfile is None or not rootfile.get("full-path"):
            raise LoadError("corrupt EPUB: its container names no package file")
        opf_path = str(rootfile.get("full-path"))
        opf = parse_xml(read_member(archive, opf_path, _KIND), _KIND)
        base = posixpath.dirname(opf_path)
        items = {
            e.get("id"): e.get("href") for e in opf.iter() if _local(e) == "item" and e.get("href")
        }
        title = next((clean(_text(e)) for e in opf.iter() if _local(e) == "title"), "")
        blocks = [heading(title, 1)] if title else []
        room = int(settings.chunk_size * settings.documents.table_passage_share)
        limit = settings.documents.html_max_bytes
        for ref in (e for e in opf.iter() if _local(e) == "itemref"):
            href = items.get(ref.get("idref"))
            if not href:
                continue
            name = posixpath.normpath(posixpath.join(base, unquote(str(href))))
            data = read_member(archive, name, _KIND)
            if len(data) > limit:
                raise LoadError(
                    f"EPUB chapter {name} is over {limit:,} bytes "
                    "(SQA_DOCUMENTS__HTML_MAX_BYTES); not indexed"
                )
            body = next((e for e in parse_xml(data, _KIND).iter() if _local(e) == "body"), None)
            if body is not None:
                blocks.extend(xhtml_blocks(body, room, title_level=2 if title else 1))
    text = join_blocks(blocks)
    if not text.strip() or (title and text.strip() == heading(title, 1)):
        raise LoadError("EPUB has no text")
    return [Page(text, None, tables=count_tables(blocks))]


def xhtml_blocks(element: Any, room: int, title_level: int = 1) -> list[str]:
    """Light Markdown blocks of an (X)HTML element tree; ``h1`` becomes level ``title_level``."""
    blocks: list[str] = []
    tables = 0

    def walk(node: Any) -> None:
        nonlocal tables
        for child in node:
            tag = _local(child)
            if tag in _SKIP:
                continue
            if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
                blocks.append(heading(_text(child), int(tag[1]) + title_level - 1))
            elif tag == "li":
                own = [child.text or ""]
                for sub in child:
                    if _local(sub) not in ("ul", "ol"):
                        own.append(_text(sub))
                    own.append(sub.tail or "")
                blocks.append(list_item("".join(own)))
                for sub in child:
                    if _local(sub) in ("ul", "ol"):
                        walk(sub)
            elif tag == "table":
                tables += 1
                rows = [
                    Row(n, [_text(c) for c in tr if _local(c) in ("td", "th")])
                    for n, tr in enumerate((r for r in child.iter() if _local(r) == "tr"), 1)
                ]
                blocks.extend(table_blocks(rows, f"Table {tables}", room))
            elif tag in _BLOCK and not any(
                _local(c) in _BLOCK | {"table", "ul", "ol"} for c in child
            ):
                blocks.append(paragraph(_text(child)))
            else:
                if (child.text or "").strip() and tag in _BLOCK:
                    blocks.append(paragraph(child.text or ""))
                walk(child)

    walk(element)
    return [b for b in blocks if b]


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _text(element: Any) -> str:
    """An element's text, without that of scripts, styles and the like inside it."""
    parts = [element.text or ""]
    for child in element:
        if _local(child) not in _SKIP:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return clean("".join(parts))
