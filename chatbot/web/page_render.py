"""A cited PDF page as a PNG with the passage highlighted, rendered by PDFium and cached on disk.

The passage is found by its words, not by its characters: ingest reads PDFs into light Markdown
(running heads dropped, hyphenated words joined, headings prefixed), so the chunk text is never
the page text verbatim. :func:`matching_spans` aligns the two word sequences (difflib) and keeps
runs of at least ``min_match_words`` words; PDFium then gives the rectangles of those characters.
A scanned page has no text layer: there the words ingest read by OCR, with their boxes, are
aligned instead (:func:`ocr_boxes`).

PDFium is not thread-safe: every call into it holds one lock.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import os
import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from core.ocr_words import OcrWord
from core.settings import SourceViewSettings

_PDFIUM_LOCK = threading.Lock()
# A word as the aligner sees it: letters and digits (any script), case-folded.
_WORD = re.compile(r"\w+", re.UNICODE)
# Matching runs at most this many words apart (on the page and in the passage) are joined.
MAX_GAP_WORDS = 2
HIGHLIGHT_FILL = (255, 214, 0, 96)  # translucent yellow: the text stays readable beneath it


class PageUnavailable(ValueError):
    """The page cannot be shown (no such page, unreadable file); the message is for people."""


@dataclass(frozen=True)
class RenderedPage:
    png: bytes
    highlights: int  # rectangles drawn (0: the passage was not found on this page)
    page_count: int


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(text)]


def matching_spans(page_text: str, passage: str, min_words: int) -> list[tuple[int, int]]:
    """Character spans [start, end) of page_text that are runs of the passage's words, in order.

    Pure, so it can be checked on plain strings: words are compared case-folded, and only runs
    of ``min_words`` or more count.
    """
    page_words = _words(page_text)
    passage_words = [w for *_, w in _words(passage)]
    matcher = SequenceMatcher(None, [w for *_, w in page_words], passage_words, autojunk=False)
    # Runs a word or two apart on both sides are one run: "care-givers" on the page is
    # "caregivers" in the passage, and a dropped page number splits a sentence.
    runs: list[list[int]] = []  # [page start, passage start, page end, passage end] in words
    for a, b, size in matcher.get_matching_blocks():
        if not size:
            continue
        if runs and a - runs[-1][2] <= MAX_GAP_WORDS and b - runs[-1][3] <= MAX_GAP_WORDS:
            runs[-1][2:] = [a + size, b + size]
        else:
            runs.append([a, b, a + size, b + size])
    return [
        (page_words[start][0], page_words[end - 1][1])
        for start, _, end, _ in runs
        if end - start >= min_words
    ]


def ocr_boxes(
    words: Sequence[OcrWord], passage: str, min_words: int, size: tuple[int, int]
) -> list[tuple[int, int, int, int]]:
    """Pixel boxes of the OCR'd words that are runs of the passage's words, on an image of
    ``size``: the words are aligned like a text layer (joined by spaces, spans mapped back)."""
    starts, text = [], ""
    for word in words:
        starts.append(len(text))
        text += word.text + " "
    boxes = []
    for start, end in matching_spans(text, passage, min_words):
        for at, word in zip(starts, words, strict=True):
            if at < end and at + len(word.text) > start:
                x0, y0, x1, y1 = word.box
                w, h = size
                boxes.append((round(x0 * w), round(y0 * h), round(x1 * w), round(y1 * h)))
    return boxes


def _page_text(textpage: object, count: int) -> str:
    """The page's text with one character per PDFium character index (so spans map back)."""
    import pypdfium2.raw as pdfium_c

    raw = textpage.raw  # type: ignore[attr-defined]
    return "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, i) or 32) for i in range(count))


def _to_device(
    page: object, size: tuple[int, int], x: float, y: float
) -> tuple[int, int]:  # pragma: no cover - exercised through render_page
    import pypdfium2.raw as pdfium_c

    dx, dy = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDF_PageToDevice(
        page.raw,  # type: ignore[attr-defined]
        0,
        0,
        size[0],
        size[1],
        0,
        x,
        y,
        ctypes.byref(dx),
        ctypes.byref(dy),
    )
    return dx.value, dy.value


def render_page(
    pdf_path: Path,
    page_no: int,
    passage: str,
    settings: SourceViewSettings,
    max_pages: int,
    ocr_words: Sequence[OcrWord] | None = None,
) -> RenderedPage:
    """Page ``page_no`` (1-based) of a PDF as PNG bytes, the passage's words highlighted: found
    in the page's text layer, or among ``ocr_words`` when ingest read the page by OCR."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    with _PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(pdf_path)
        except pdfium.PdfiumError as exc:
            raise PageUnavailable("The PDF could not be opened.") from exc
        try:
            count = len(pdf)
            if count > max_pages:
                raise PageUnavailable(f"The PDF has more than {max_pages} pages.")
            if not 1 <= page_no <= count:
                raise PageUnavailable(f"The PDF has no page {page_no}.")
            page = pdf[page_no - 1]
            width, height = page.get_size()
            scale = settings.render_scale
            if width * height * scale * scale > settings.max_pixels:
                # 0.99: the bitmap's sides are rounded up to whole pixels
                scale = 0.99 * (settings.max_pixels / max(width * height, 1.0)) ** 0.5
            bitmap = page.render(scale=scale, may_draw_forms=False)
            image = bitmap.to_pil().convert("RGBA")
            size = image.size
            textpage = page.get_textpage()
            text = _page_text(textpage, textpage.count_chars())
            boxes = []
            if ocr_words:
                boxes = ocr_boxes(ocr_words, passage, settings.min_match_words, size)
                text = ""  # the scan's words are the text; its own layer is a stamp at most
            for start, end in matching_spans(text, passage, settings.min_match_words):
                for i in range(textpage.count_rects(start, end - start)):
                    left, bottom, right, top = textpage.get_rect(i)
                    x0, y0 = _to_device(page, size, left, top)
                    x1, y1 = _to_device(page, size, right, bottom)
                    boxes.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        finally:
            pdf.close()
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for x0, y0, x1, y1 in boxes:
        draw.rectangle((x0 - 1, y0 - 1, x1 + 1, y1 + 1), fill=HIGHLIGHT_FILL)
    out = io.BytesIO()
    # Level 1: on a rendered page it is faster than the default 6 (~250 vs ~450 ms) and no larger.
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG", compress_level=1)
    return RenderedPage(out.getvalue(), len(boxes), count)


class PageCache:
    """Rendered pages on disk, keyed by what makes them (build, file sha, page, passage,
    scale), bounded in size: the oldest files go first when the folder grows past the bound."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    @staticmethod
    def key(*parts: object) -> str:
        return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()

    def get(self, key: str) -> bytes | None:
        try:
            return (self.folder / f"{key}.png").read_bytes()
        except OSError:
            return None

    def put(self, key: str, png: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{key}.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_bytes(png)
        os.replace(tmp, self.folder / f"{key}.png")  # readers never see half a file
        self._trim()

    def _trim(self) -> None:
        with self._lock:
            files = []
            for path in self.folder.glob("*.png"):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                files.append((stat.st_mtime, stat.st_size, path))
            total = sum(size for _, size, _ in files)
            for _, size, path in sorted(files):
                if total <= self.max_bytes:
                    break
                path.unlink(missing_ok=True)
                total -= size
