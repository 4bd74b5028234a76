"""Plain text and Markdown: the whole file is one :class:`Page`; the splitter reads its headings.

Text scraped from a web page keeps inline HTML (``<span style=...>Sec</span>``, ``<br>``,
``<a href=...>``, ``&amp;``, ``&nbsp;``). Outside code, every tag is dropped and its text kept,
parsed by the standard library's HTML parser (not a pattern), so no tag text reaches a chunk;
block tags become the line breaks they stand for, and Markdown's own structure (headings, lists,
tables, code) is left as written.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from ingest.readers.page import LoadError, Page

if TYPE_CHECKING:
    from core.settings import Settings

# Tags that end a block: their text is set apart by a blank line, as Markdown paragraphs are.
_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr main nav ol p pre section summary table tbody tfoot "
    "thead tr ul".split()
)
# Tags whose content is not text a reader sees.
_HIDDEN_TAGS = frozenset("script style template noscript head title svg math".split())
# Fenced code (``` or ~~~ to the matching fence) and inline code spans stay as written.
_FENCE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1", re.DOTALL)
# Markdown autolinks <https://...> and <name@host>: a link's text, not a tag.
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>")
# What an HTML parser would read as markup: a tag, a comment, a declaration, an entity.
_MARKUP = re.compile(r"</?[a-zA-Z][^<>]*>|<!|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")
_TABLE_ROW = re.compile(r"^[ \t]*\|.*$", re.MULTILINE)
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


def read_text(raw: bytes, settings: Settings) -> list[Page]:
    """The file as one page of UTF-8 text with Unix line ends and no inline HTML; LoadError
    when it has no text."""
    text = strip_inline_html(decode_utf8(raw))
    if not text.strip():
        raise LoadError("file has no text (only whitespace)")
    return [Page(text, None)]


def decode_utf8(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8"
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_inline_html(text: str) -> str:
    """Text and Markdown without HTML tags, comments and entities outside code."""
    if not _MARKUP.search(text):
        return text
    out = "".join(piece if code else _outside_code(piece) for piece, code in _split(text, _FENCE))
    return re.sub(r"\n{3,}", "\n\n", out)


def _outside_code(text: str) -> str:
    return "".join(
        piece if code else _html_to_text(piece) for piece, code in _split(text, _CODE_SPAN)
    )


def _split(text: str, pattern: re.Pattern[str]) -> list[tuple[str, bool]]:
    """The text in pieces, each with whether the pattern matched it."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for match in pattern.finditer(text):
        pieces += [(text[at : match.start()], False), (match.group(0), True)]
        at = match.end()
    return [*pieces, (text[at:], False)]


def _html_to_text(text: str) -> str:
    if not _MARKUP.search(text):
        return text
    # A line break inside a Markdown table row would end the row: a space keeps the cell.
    text = _TABLE_ROW.sub(lambda m: _LINE_BREAK_TAG.sub(" ", m.group(0)), text)
    text = _AUTOLINK.sub(r"\1", text)
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts).replace("\xa0", " ")


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment; block tags become line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self._line_breaks(1)
            self.parts.append("- ")
        elif tag in _BLOCK_TAGS:
            self._line_breaks(2)
        elif tag in {"td", "th"}:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self._line_breaks(2)

    def _line_breaks(self, n: int) -> None:
        """End the text so far with n line breaks (a blank line for n=2), not more."""
        tail = "".join(self.parts[-4:])
        have = len(tail) - len(tail.rstrip("\n"))
        if have < n:
            self.parts.append("\n" * (n - have))

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)
