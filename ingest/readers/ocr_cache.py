"""What tesseract read on each scanned page, kept between builds so no page is read twice.

A build's OCR time is bounded (``SQA_OCR__BUILD_TIMEOUT_S``); a scan too long for one build is
read further by the next one, which finds the pages already read here and spends its time on
the rest; a full rebuild (new chunking, new embedders) reads no scan again. One JSON file per
page under the index folder's ``ocr-cache/``, named by the sha256 of the file's bytes and a
sha256 of the page, the OCR identity (tesseract's version, models and resolution) and the
language asked for: any change to those reads the page again. Never pickle; an entry that is
too large or malformed is a miss. A finished build removes the pages of files no longer in
the corpus as they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_DIR = "ocr-cache"
# A page of dense small print is ~3,000 words of ~80 bytes of JSON each.
MAX_ENTRY_BYTES = 2_000_000


Word = tuple[int, int, int, int, int, int, int, float, str]


@dataclass(frozen=True)
class CachedPage:
    """A page as tesseract read it: the model used, the image's size, and the TSV words
    (block, paragraph, line, left, top, width, height, confidence, text)."""

    lang: str
    width: int
    height: int
    words: tuple[Word, ...]


def _word(row: Any) -> Word:
    b, p, ln, left, top, w, h = (int(v) for v in row[:7])
    return (b, p, ln, left, top, w, h, float(row[7]), str(row[8]))


@dataclass
class OcrPageCache:
    folder: Path
    hits: int = 0  # pages taken from the cache

    @staticmethod
    def key(file_sha256: str, page_index: int, identity: str, lang: str | None) -> str:
        """``<file sha256>-<sha256 of the page, identity and language>``."""
        text = json.dumps([file_sha256, page_index, identity, lang or ""])
        return f"{file_sha256}-{hashlib.sha256(text.encode()).hexdigest()}"

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> CachedPage | None:
        path = self._path(key)
        try:
            if path.stat().st_size > MAX_ENTRY_BYTES:
                return None
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            page = CachedPage(
                str(data["lang"]),
                int(data["width"]),
                int(data["height"]),
                tuple(_word(w) for w in data["words"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("OCR cache entry %s is unreadable (%s); the page is read again", key, exc)
            return None
        self.hits += 1
        return page

    def put(self, key: str, page: CachedPage) -> None:
        """Write one page atomically (a crash leaves no half-written entry)."""
        data = {"lang": page.lang, "width": page.width, "height": page.height}
        data["words"] = [list(w) for w in page.words]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self._path(key))
        except OSError as exc:  # a read-only or full disk costs a re-read, not the build
            log.warning("OCR cache entry %s could not be written: %s", key, exc)
            return

    def keep_files(self, file_sha256s: set[str]) -> int:
        """Remove the pages of every file not among ``file_sha256s`` (deleted or changed
        since); the number removed."""
        removed = 0
        for path in self.folder.glob("*.json") if self.folder.is_dir() else []:
            if path.stem.split("-")[0] not in file_sha256s:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
