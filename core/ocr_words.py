"""Words read by OCR from scanned PDF pages, with their boxes: written by ingest, read by the
page viewer to highlight a cited passage on a page that has no text layer.

A build keeps them in ``ocr_words.jsonl`` beside ``chunks.jsonl``: one JSON line per OCR'd page,
keyed by the file's sha256 and the page number (never pickle). A box is ``(x0, y0, x1, y1)`` as
fractions of the page's width and height from its top-left corner, so any render scale maps it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

OCR_WORDS_FILE = "ocr_words.jsonl"


@dataclass(frozen=True)
class OcrWord:
    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1: fractions of the page, top-left
    confidence: float  # tesseract's, 0-100


@dataclass(frozen=True)
class OcrPage:
    """What OCR made of one page: its language, time, confidence and words, or why it was
    skipped (tesseract missing, a timeout) with no words."""

    page: int
    lang: str = ""
    confidence: float = 0.0  # mean word confidence, 0-100
    seconds: float = 0.0
    words: tuple[OcrWord, ...] = ()
    skipped: str | None = None
    mended: int = 0  # words OCR misread and the build mended (not kept in ocr_words.jsonl)


def write_ocr_words(folder: Path, pages: dict[str, list[OcrPage]]) -> None:
    """One line per page that has words: ``{"sha256", "page", "lang", "words": [[text, x0, y0,
    x1, y1, confidence], ...]}``; pages is keyed by file sha256."""
    with (folder / OCR_WORDS_FILE).open("w", encoding="utf-8") as fh:
        for sha, file_pages in sorted(pages.items()):
            for page in sorted(file_pages, key=lambda p: p.page):
                if not page.words:
                    continue
                words = [[w.text, *w.box, w.confidence] for w in page.words]
                line = {"sha256": sha, "page": page.page, "lang": page.lang, "words": words}
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def read_ocr_words(folder: Path) -> dict[tuple[str, int], OcrPage]:
    """(file sha256, page) -> the page's words (and language); {} for a build without OCR."""
    path = folder / OCR_WORDS_FILE
    if not path.exists():
        return {}
    found: dict[tuple[str, int], OcrPage] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            words = tuple(
                OcrWord(str(text), (float(x0), float(y0), float(x1), float(y1)), float(conf))
                for text, x0, y0, x1, y1, conf in item["words"]
            )
            page = int(item["page"])
            found[(str(item["sha256"]), page)] = OcrPage(page, str(item["lang"]), words=words)
    return found
