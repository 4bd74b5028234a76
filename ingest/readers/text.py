"""Plain text and Markdown: the whole file is one :class:`Page`; the splitter reads its headings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.readers.page import LoadError, Page

if TYPE_CHECKING:
    from core.settings import Settings


def read_text(raw: bytes, settings: Settings) -> list[Page]:
    """The file as one page of UTF-8 text with Unix line ends; LoadError when it has no text."""
    text = decode_utf8(raw)
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
