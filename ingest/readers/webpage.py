"""Web pages (.html, .htm) through trafilatura: the main text only, with its structure.

trafilatura finds the page's main content (menus, cookie banners, headers, footers, "next post"
links, forms, scripts and styles are left out; nothing on the page is ever run) and returns it as
XML: headings ``h1``-``h6``, paragraphs, lists and tables. That XML becomes light Markdown here:
headings as ``#`` lines, list items as ``-`` lines (nested items too), tables as passages of rows.
The page's single ``h1`` is its title; without one, the title trafilatura finds (``<title>``
or ``og:title`` without the site's name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ingest.readers.archive import one_line
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


def read_html(raw: bytes, settings: Settings) -> list[Page]:
    """The page's main content as one page of light Markdown; LoadError when there is none."""
    limit = settings.documents.html_max_bytes
    if len(raw) > limit:
        raise LoadError(
            f"web page is {len(raw):,} bytes, over the limit of {limit:,} "
            "(SQA_DOCUMENTS__HTML_MAX_BYTES); not indexed"
        )
    import trafilatura
    from lxml import etree

    try:
        extracted = trafilatura.extract(
            raw,
            output_format="xml",
            include_tables=True,
            include_comments=False,
            include_images=False,
            include_links=False,
            favor_recall=True,
            with_metadata=False,  # its date guessing is slow and the title is taken below
        )
        if not extracted:
            raise LoadError("web page has no main text (only navigation or scripts?)")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(extracted.encode("utf-8"), parser=parser)
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(f"web page cannot be read: {one_line(exc)}") from exc
    room = int(settings.chunk_size * settings.documents.table_passage_share)
    main = root.find("main")
    blocks = _blocks(main if main is not None else root, room)
    h1s = [b for b in blocks if b.startswith("# ")]
    if not h1s:
        title = _page_title(raw)
        if title:
            blocks.insert(0, heading(title, 1))
    text = join_blocks(blocks)
    if not text.strip():
        raise LoadError("web page has no main text (only navigation or scripts?)")
    return [Page(text, None, tables=count_tables(blocks))]


def _blocks(parent: Any, room: int) -> list[str]:
    blocks: list[str] = []
    tables = 0
    for element in parent:
        tag = element.tag
        if tag == "head":
            rend = str(element.get("rend", "h2"))
            level = int(rend[1]) if rend[:1] == "h" and rend[1:2].isdigit() else 2
            blocks.append(heading(_text(element), level))
        elif tag == "list":
            blocks.extend(_items(element))
        elif tag == "table":
            tables += 1
            rows = [
                Row(n, [_text(cell) for cell in row.iter("cell")])
                for n, row in enumerate(element.iter("row"), 1)
            ]
            blocks.extend(table_blocks(rows, f"Table {tables}", room))
        elif tag in ("p", "quote", "code"):
            blocks.append(paragraph(_text(element)))
        elif len(element):
            blocks.extend(_blocks(element, room))
        else:
            blocks.append(paragraph(_text(element)))
    return blocks


def _items(list_element: Any) -> list[str]:
    """A list's items in order, a nested list's items after their parent item."""
    out: list[str] = []
    for item in list_element.iter("item"):
        if item.getparent() is not list_element:
            continue
        own = "".join(_own_text(item))
        out.append(list_item(own))
        for nested in item.findall("list"):
            out.extend(_items(nested))
    return [item for item in out if item]


def _own_text(element: Any) -> list[str]:
    """An element's text without that of its nested lists."""
    parts = [element.text or ""]
    for child in element:
        if child.tag != "list":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return parts


def _text(element: Any) -> str:
    return clean("".join(element.itertext()))


def _page_title(raw: bytes) -> str:
    """The page's own title (trafilatura's choice among <title>, og:title and headings, with the
    site's name cut off), read without running or fetching anything."""
    from trafilatura.metadata import extract_title
    from trafilatura.utils import load_html

    try:
        tree = load_html(raw)
        title = extract_title(tree) if tree is not None else None
    except Exception:  # a page trafilatura could read but not title: no title, no harm
        return ""
    return clean(title or "")
