"""Headless Chromium on the citation page viewer: a real PDF (the World Bank EdTech paper), a
Markdown file (US Code) and a scanned PDF read by tesseract (dev3's PP 46/2009), indexed with the
hashing embedders and served by the real server.

Screenshots: docs/screenshots/page_viewer.png (kept), test-output/screenshots/ (the rest;
SQA_UPDATE_SCREENSHOTS=1 copies page_viewer_scan.png into docs/screenshots/).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
FOREIGN = REPO.parent / "shared" / "corpora" / "foreign"
PDF = "worldbank-reimagining-human-connections-edtech-2020.pdf"
MARKDOWN = "us-code-15-ch119-national-ai-initiative-part1.md"
SCAN = (
    REPO.parent
    / "shared"
    / "corpora"
    / "dev3"
    / ("id-pp-46-2009-batas-pertanggungjawaban-kerugian-nuklir.pdf")
)
PDF_QUESTION = "Education is, at its heart, about human connections between whom?"
SCAN_QUESTION = (
    "Kecelakaan nuklir dapat menimbulkan kerugian nuklir yang sangat besar: mengapa perlu "
    "kepastian hukum bagi masyarakat maupun pengusaha instalasi nuklir?"
)
TEXT_QUESTION = "What does the term Interagency Committee mean?"
TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def viewer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (FOREIGN / PDF).exists():
        pytest.skip(f"needs the foreign corpus at {FOREIGN}")
    root = tmp_path_factory.mktemp("viewer")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in (PDF, MARKDOWN):
        shutil.copy(FOREIGN / name, corpus / name)
    if SCAN.exists():  # read by the real tesseract (make test installs it)
        shutil.copy(SCAN, corpus / SCAN.name)
    env = {
        **os.environ,
        "SQA_DENSE_MODEL": "hashing",
        "SQA_MULTILINGUAL_MODEL": "hashing",
        "SQA_CORPUS_DIR": str(corpus),
        "SQA_INDEX_DIR": str(root / "index"),
        "SQA_MODEL_CACHE_DIR": str(root / "cache"),
        "SQA_LLM": "none",
        "SQA_ANSWER__MIN_SUPPORT": "0.1",  # hashing vectors: the default bar would abstain
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    build = [sys.executable, "-m", "ingest", "build", "--corpus", str(corpus)]
    subprocess.run([*build, "--index", str(root / "index"), "-q"], check=True, env=env, cwd=root)
    port = _free_port()
    env |= {"SQA_HOST": "127.0.0.1", "SQA_PORT": str(port)}
    log = root / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("serve_app.py"))],
            env=env,
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/api/health", timeout=2).json().get("ready"):
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        else:
            raise TimeoutError(log.read_text())
        yield url
    finally:
        process.terminate()
        process.wait(10)


def cited_url(server: str, question: str, pdf: bool, doc: str = "", loc: str = "") -> str:
    """The viewer address of the first citation from a PDF (or a text file; whose document id
    holds `doc`, whose location starts with `loc`), built from the /api/ask answer JSON by the
    documented pattern."""
    answer = httpx.post(f"{server}/api/ask", json={"question": question}, timeout=60).json()
    for c in answer["citations"]:
        if c["location"].startswith(loc or "p. ") == pdf and doc in c["doc_id"]:
            query = {"doc": c["doc_id"], "variant": c["variant"], "loc": c["location"]}
            return f"{server}/source?{urlencode(query)}"
    raise AssertionError(f"no {'PDF' if pdf else 'text'} citation in {answer['citations']}")


def highlighted_share(png: bytes) -> float:
    """Share of pixels in the highlight's yellow (over white paper)."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return float(((r > 245) & (abs(g - 240) < 12) & (abs(b - 159) < 25)).mean())


def test_pdf_citation_opens_its_page_with_the_passage_highlighted(
    page: Page, viewer_server: str
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(cited_url(viewer_server, PDF_QUESTION, pdf=True))
    image = page.locator("img#page")
    page.wait_for_function(
        "() => document.querySelector('img#page')?.naturalWidth > 0", timeout=TIMEOUT_MS
    )
    # Named by its cover (a PDF with no manifest entry), not its file name.
    assert re.match(r"Page \d+ of REIMAGINING HUMAN CONNECTIONS", image.get_attribute("alt") or "")
    assert highlighted_share(image.screenshot()) > 0.002  # a few lines of text
    assert page.locator("nav.pages a[aria-current=page]").count() == 1
    header = page.locator("header").inner_text()
    assert PDF in header and "p. " in header
    assert errors == []
    shots = REPO / "docs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1000, "height": 1400})
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=shots / "page_viewer.png", full_page=False)


def test_text_citation_shows_the_passage_among_its_neighbours(
    page: Page, viewer_server: str
) -> None:
    page.goto(cited_url(viewer_server, TEXT_QUESTION, pdf=False))
    cited = page.locator("section.cited mark")
    assert cited.is_visible()
    assert page.locator("section.context").count() >= 1
    assert page.evaluate("() => document.querySelectorAll('script').length") == 0


def test_view_source_link_in_the_chat_ui_opens_the_viewer(page: Page, viewer_server: str) -> None:
    page.goto(viewer_server + "/")
    page.locator("#sqa-question textarea").fill(PDF_QUESTION)
    page.locator("#sqa-ask").click()
    link = page.locator("#sqa-sources a.sqa-source").first
    link.wait_for(timeout=TIMEOUT_MS)
    with page.context.expect_page() as opened:
        link.click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert viewer.url.startswith(viewer_server + "/source?")
    assert viewer.locator("header h1").is_visible()


def test_a_scanned_page_is_shown_as_its_image_with_the_passage_highlighted(
    page: Page, viewer_server: str
) -> None:
    """The page has no text layer: the highlight comes from the words tesseract read, with
    their boxes. The screenshot goes to test-output/screenshots/; with SQA_UPDATE_SCREENSHOTS=1
    also to docs/screenshots/page_viewer_scan.png (the README shows it)."""
    if not SCAN.exists():
        pytest.skip(f"needs the dev3 corpus at {SCAN}")
    page.goto(cited_url(viewer_server, SCAN_QUESTION, pdf=True, doc="pp-46-2009", loc="p. 3 "))
    image = page.locator("img#page")
    page.wait_for_function(
        "() => document.querySelector('img#page')?.naturalWidth > 0", timeout=TIMEOUT_MS
    )
    assert highlighted_share(image.screenshot()) > 0.002
    assert SCAN.name in page.locator("header").inner_text()
    page.set_viewport_size({"width": 1000, "height": 1400})
    page.evaluate("() => window.scrollTo(0, 0)")
    shot = REPO / "test-output" / "screenshots" / "page_viewer_scan.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=shot, full_page=False)
    if os.environ.get("SQA_UPDATE_SCREENSHOTS") == "1":  # the README's copy, 64 colours
        kept = Image.open(shot).convert("RGB").quantize(colors=64)
        kept.save(REPO / "docs" / "screenshots" / "page_viewer_scan.png", optimize=True)
