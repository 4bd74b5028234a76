"""The OCR page cache: a round trip, misses for anything malformed or too large (never an
error), and the pages of files gone from the corpus removed."""

from __future__ import annotations

from pathlib import Path

from ingest.readers import ocr_cache
from ingest.readers.ocr_cache import CachedPage, OcrPageCache

PAGE = CachedPage("eng", 1240, 1754, ((1, 1, 1, 10, 20, 30, 12, 91.5, "Harbour"),))


def test_a_page_round_trips_and_counts_as_a_hit(tmp_path: Path) -> None:
    cache = OcrPageCache(tmp_path / "ocr-cache")
    key = cache.key("a" * 64, 0, "tesseract 5.3 (eng) 300 dpi", None)
    assert cache.get(key) is None and cache.hits == 0
    cache.put(key, PAGE)
    assert cache.get(key) == PAGE and cache.hits == 1
    assert [p.name for p in (tmp_path / "ocr-cache").iterdir()] == [f"{key}.json"]


def test_the_key_changes_with_the_page_the_identity_and_the_language() -> None:
    base = OcrPageCache.key("a" * 64, 0, "tesseract 5.3 (eng) 300 dpi", None)
    assert base.startswith("a" * 64 + "-")
    assert base != OcrPageCache.key("a" * 64, 1, "tesseract 5.3 (eng) 300 dpi", None)
    assert base != OcrPageCache.key("a" * 64, 0, "tesseract 5.4 (eng) 300 dpi", None)
    assert base != OcrPageCache.key("a" * 64, 0, "tesseract 5.3 (eng) 300 dpi", "id")


def test_malformed_or_oversized_entries_are_misses(tmp_path: Path, monkeypatch) -> None:
    cache = OcrPageCache(tmp_path)
    (tmp_path / "bad.json").write_text('{"lang": "eng", "words": [[1, 2]]}', encoding="utf-8")
    (tmp_path / "junk.json").write_bytes(b"\x80not json")
    assert cache.get("bad") is None and cache.get("junk") is None
    cache.put("big", PAGE)
    monkeypatch.setattr(ocr_cache, "MAX_ENTRY_BYTES", 10)
    assert cache.get("big") is None and cache.hits == 0


def test_pages_of_files_no_longer_in_the_corpus_are_removed(tmp_path: Path) -> None:
    cache = OcrPageCache(tmp_path)
    kept = cache.key("a" * 64, 0, "id", None)
    gone = cache.key("b" * 64, 0, "id", None)
    cache.put(kept, PAGE)
    cache.put(gone, PAGE)
    assert cache.keep_files({"a" * 64}) == 1
    assert cache.get(kept) == PAGE and cache.get(gone) is None
