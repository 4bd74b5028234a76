"""The build's OCR time bound: a tesseract that never finishes (a stand-in script, so the test
takes a second) is stopped when the build's budget runs out, every later scanned page is
skipped without running it, the pages are named once, and the rest of the build goes on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core import store
from core.settings import OcrSettings, Settings
from ingest.build import run_build
from ingest.cli import app
from ingest.readers.ocr import OUT_OF_BUILD_TIME, build_ocr_budget, list_langs
from ingest.readers.pdf import read_pdf
from tests.unit.ingest.test_ocr import _pdf as scanned_and_text_pdf

TEXT = "The text layer of this page is read as it always was, without OCR. " * 4


def _pdf(pages: list[str | None]) -> bytes:
    return scanned_and_text_pdf(None, pages, scale=1)


@pytest.fixture
def stalling_tesseract(tmp_path: Path) -> str:
    """An executable that answers tesseract's questions but never finishes reading a page."""
    script = tmp_path / "bin" / "stalling-tesseract"
    script.parent.mkdir()
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        '  --list-langs) echo "List of available languages (1):"; echo eng ;;\n'
        '  --version) echo "tesseract 5.3.0 (stand-in)" ;;\n'
        "  *) exec sleep 30 ;;\n"  # exec: the timeout's kill reaches the sleep itself
        "esac\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    list_langs.cache_clear()
    yield str(script)
    list_langs.cache_clear()


def test_pages_past_the_builds_bound_are_skipped_without_running(
    stalling_tesseract: str,
) -> None:
    settings = Settings(_env_file=None, ocr=OcrSettings(tesseract=stalling_tesseract))
    started = time.monotonic()
    with build_ocr_budget(0.5) as budget:
        first = read_pdf(_pdf([TEXT, None, None]), settings)
        second = read_pdf(_pdf([None, TEXT]), settings)
    elapsed = time.monotonic() - started
    assert elapsed < 5  # one page stopped at the bound, no other page run (30 s each)
    assert budget.spent >= 0.5
    assert "text layer of this page" in first[0].text and "text layer" in second[1].text
    skipped = [p.ocr.skipped for p in first + second if p.ocr is not None]
    assert skipped == [OUT_OF_BUILD_TIME] * 3


def test_outside_a_build_only_the_page_bound_applies(stalling_tesseract: str) -> None:
    ocr = OcrSettings(tesseract=stalling_tesseract, page_timeout_s=0.3)
    (page,) = read_pdf(_pdf([None, TEXT]), Settings(_env_file=None, ocr=ocr))[:1]
    assert page.ocr is not None and page.ocr.skipped == "OCR took over 0.3 s"


def test_the_build_names_the_skipped_pages_once_and_indexes_the_rest(
    tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env, stalling_tesseract
) -> None:
    (tiny_corpus / "mixed.pdf").write_bytes(_pdf([TEXT, None, None, TEXT, None]))
    (tiny_corpus / "scan.pdf").write_bytes(_pdf([None]))
    monkeypatch.chdir(tmp_path)
    args = ["build", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "index"), "-q"]
    ocr_env = {"SQA_OCR__TESSERACT": stalling_tesseract, "SQA_OCR__BUILD_TIMEOUT_S": "0.5"}
    result = CliRunner().invoke(app, args, env=env.hashing | ocr_env)
    assert result.exit_code == 1  # scan.pdf has nothing else to index
    out = result.output
    assert out.count("warning: the build's OCR time") == 1
    assert (
        "warning: the build's OCR time (0.5 s, SQA_OCR__BUILD_TIMEOUT_S) ran out; scanned pages "
        "not read: mixed.pdf (p. 2–3, 5); scan.pdf; the rest was indexed"
    ) in out
    assert "indexed 4 files" in out  # the tiny corpus and mixed.pdf's text pages
    build = store.live_build_dir(tmp_path / "index")
    assert build is not None
    entry = store.load_manifest(build).files["mixed.pdf"]
    assert entry.parts == 5 and entry.ocr_pages == []
    assert entry.warnings == [f"p. 2–3, 5: not read ({OUT_OF_BUILD_TIME})"]


def test_the_bound_is_the_builds_own(tiny_corpus: Path, settings_factory, stalling_tesseract):
    """A build's budget ends with it: the next build has its own."""
    (tiny_corpus / "mixed.pdf").write_bytes(_pdf([TEXT, None]))
    ocr = OcrSettings(tesseract=stalling_tesseract, build_timeout_s=0.3)
    settings = settings_factory(ocr=ocr)
    report = run_build(settings, progress=False)
    assert report.ocr["mixed.pdf"].out_of_time == [2]
    assert report.ocr_out_of_time == {"mixed.pdf": [2]}
    (tiny_corpus / "mixed.pdf").write_bytes(_pdf([TEXT, None, TEXT]))
    started = time.monotonic()
    again = run_build(settings, progress=False)
    assert again.ocr["mixed.pdf"].out_of_time == [2]  # stopped again, after 0.3 s of trying
    assert time.monotonic() - started >= 0.3
