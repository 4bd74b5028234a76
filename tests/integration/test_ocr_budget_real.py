"""The build's OCR bound and its summary with the real tesseract, on a real scanned PDF (three
image-only A5 pages, tests/data/documents/scanned-notice.pdf): read whole within the default
bound and listed by `ingest build` and `ingest status`; stopped past a bound too small for one
page, named once, and the rest of the corpus indexed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core import store
from ingest.cli import app
from ingest.readers.ocr import OUT_OF_BUILD_TIME, installed_languages, list_langs

pytestmark = pytest.mark.integration

SCAN = Path(__file__).resolve().parents[1] / "data" / "documents" / "scanned-notice.pdf"
NOTE = "The council meets on Tuesdays in the harbour office.\n"


@pytest.fixture(autouse=True)
def _tesseract() -> None:
    list_langs.cache_clear()
    if "eng" not in installed_languages("tesseract"):
        pytest.fail("tesseract with eng is not installed: run scripts/install-ocr")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SCAN, folder / SCAN.name)
    (folder / "note.txt").write_text(NOTE, encoding="utf-8")
    return folder


def _run(tmp_path: Path, corpus: Path, command: str, **env: str):  # type: ignore[no-untyped-def]
    hashing = {"SQA_DENSE_MODEL": "hashing", "SQA_MULTILINGUAL_MODEL": "hashing"}
    args = [command, "--corpus", str(corpus), "--index", str(tmp_path / "index")]
    return CliRunner().invoke(app, args + (["-q"] if command == "build" else []), env=hashing | env)


def test_a_scan_read_within_the_bound_is_listed_with_its_pages_and_confidence(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    built = _run(tmp_path, corpus, "build")
    assert built.exit_code == 0, built.output
    assert "OCR: 3 pages in 1 file" in built.output
    build = store.live_build_dir(tmp_path / "index")
    assert build is not None
    entry = store.load_manifest(build).files[SCAN.name]
    assert (entry.parts, entry.part_unit, entry.tables) == (3, "page", 0)
    assert entry.ocr_pages == [1, 2, 3] and (entry.ocr_confidence or 0) > 80
    assert entry.warnings == []
    chunks = " ".join(c.text for c in store.read_chunks(build))
    assert "yearly permit costs 35 dollars" in chunks
    for output in (built.output, _run(tmp_path, corpus, "status").output):
        row = next(line for line in output.splitlines() if line.strip().startswith(SCAN.name))
        cells = row.split()
        assert cells[1:5] == ["3", "pages", "3", f"{entry.ocr_confidence:.0f}"]


def test_past_the_builds_bound_the_scan_is_named_and_the_rest_indexed(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    built = _run(tmp_path, corpus, "build", SQA_OCR__BUILD_TIMEOUT_S="0.05")
    assert built.exit_code == 1  # the scan has no other text: it is not indexed
    assert built.output.count("warning: the build's OCR time (0.05 s") == 1
    assert f"scanned pages not read: {SCAN.name}; the rest was indexed" in built.output
    assert f"{SCAN.name}: {OUT_OF_BUILD_TIME}" in built.output
    build = store.live_build_dir(tmp_path / "index")
    assert build is not None
    manifest = store.load_manifest(build)
    assert list(manifest.files) == ["note.txt"]
    assert manifest.errors[SCAN.name].reason == OUT_OF_BUILD_TIME


def test_a_scan_the_time_ran_out_on_is_read_by_the_next_build(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file did not change, but it was not read: the next build tries it again (before,
    it was 'failed before and unchanged since' and never read until it changed)."""
    monkeypatch.chdir(tmp_path)
    assert _run(tmp_path, corpus, "build", SQA_OCR__BUILD_TIMEOUT_S="0.05").exit_code == 1
    again = _run(tmp_path, corpus, "build")
    assert again.exit_code == 0, again.output
    assert "OCR: 3 pages in 1 file" in again.output
    build = store.live_build_dir(tmp_path / "index")
    assert build is not None
    manifest = store.load_manifest(build)
    assert manifest.files[SCAN.name].ocr_pages == [1, 2, 3] and not manifest.errors


def test_pages_read_once_cost_no_ocr_time_in_a_later_build(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page is cached as tesseract read it: a full rebuild with no OCR time left to
    speak of still reads every page, and a changed file's pages leave the cache."""
    monkeypatch.chdir(tmp_path)
    assert _run(tmp_path, corpus, "build").exit_code == 0
    cache = tmp_path / "index" / "ocr-cache"
    assert len(list(cache.glob("*.json"))) == 3
    hashing = {"SQA_DENSE_MODEL": "hashing", "SQA_MULTILINGUAL_MODEL": "hashing"}
    args = ["build", "--full", "-q", "--corpus", str(corpus), "--index", str(tmp_path / "index")]
    rebuilt = CliRunner().invoke(app, args, env=hashing | {"SQA_OCR__BUILD_TIMEOUT_S": "0.05"})
    assert rebuilt.exit_code == 0, rebuilt.output
    build = store.live_build_dir(tmp_path / "index")
    assert build is not None
    assert store.load_manifest(build).files[SCAN.name].ocr_pages == [1, 2, 3]
    assert "yearly permit costs 35 dollars" in " ".join(c.text for c in store.read_chunks(build))
    (corpus / SCAN.name).unlink()
    assert _run(tmp_path, corpus, "build").exit_code == 0
    assert list(cache.glob("*.json")) == []
