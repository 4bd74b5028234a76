"""The citation page viewer: passage matching, PDF page rendering with a highlight, text context,
escaping, and its limits (only indexed files inside the corpus, unchanged; rate; bad input)."""

from __future__ import annotations

import dataclasses
import io
import re
import time
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from chatbot.types import Citation
from chatbot.web.page_render import PageCache, matching_spans, render_page
from chatbot.web.service import Service
from chatbot.web.source_view import source_router, source_url
from core.settings import AnswerSettings, Settings, SourceViewSettings
from core.store import LoadedIndex, load_index
from ingest.build import run_build

HOSTILE = (
    "Harbour Charter\n\n"
    # The reader drops HTML tags but keeps text: an escaped tag is document text, shown as is.
    "The port office wrote &lt;script&gt;window.__xss=1&lt;/script&gt; a charter in 2031.\n\n"
    "Ferries leave the old port every morning for the outer islands.\n\n"
    "The customs hall closes at noon on public holidays.\n"
)


@pytest.fixture
def built(
    settings_factory: Callable[..., Settings], write_corpus: Any, pdfs: Any, tmp_path: Path
) -> tuple[Settings, LoadedIndex]:
    settings = settings_factory(min_chunk_chars=0, model_cache_dir=tmp_path / "cache")
    write_corpus(tmp_path / "corpus", {"harbour.pdf": pdfs.multipage(), "charter.txt": HOSTILE})
    assert run_build(settings, progress=False).build_id is not None
    return settings, load_index(settings.index_dir, settings.index_identity())


def viewer(settings: Settings, index: LoadedIndex | Callable[[], LoadedIndex]) -> TestClient:
    app = FastAPI()
    provider = index if callable(index) else (lambda: index)
    app.include_router(source_router(settings, Service(settings, cast(Any, None)), provider))
    return TestClient(app)


def chunk_with(index: LoadedIndex, words: str) -> Any:
    return next(c for c in index.chunks if words in c.text)


def yellow_pixels(png: bytes) -> int:
    """Pixels of the highlight over white paper (255, 240, 159), give or take."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 248) & (abs(g - 240) < 8) & (abs(b - 159) < 12)).sum())


def test_matching_spans_align_words_across_layout_differences() -> None:
    page = "Annual Report 2020\r\nThe harbour author-\r\nity dredged the eastern channel. Page 4"
    passage = "The harbour authority dredged the eastern channel."
    spans = matching_spans(page, passage, min_words=3)
    assert [page[a:b] for a, b in spans] == [
        "The harbour author-\r\nity dredged the eastern channel"
    ]
    # A common pair of words elsewhere on the page is no match.
    assert matching_spans("in the spring of the year", passage, min_words=3) == []


def test_pdf_page_has_the_passage_highlighted_and_nothing_else(
    built: tuple[Settings, LoadedIndex], tmp_path: Path
) -> None:
    settings, index = built
    pdf = tmp_path / "corpus" / "harbour.pdf"
    conf = settings.source_view
    hit = render_page(pdf, 3, chunk_with(index, "customs office").text, conf, 10)
    miss = render_page(pdf, 3, "words that this page never prints anywhere", conf, 10)
    assert hit.page_count == 3
    assert hit.highlights >= 1 and miss.highlights == 0
    assert yellow_pixels(hit.png) > 1000 and yellow_pixels(miss.png) == 0
    size = Image.open(io.BytesIO(hit.png)).size  # A4 at 1.5 px/pt
    assert size == (round(595.28 * conf.render_scale), round(841.89 * conf.render_scale))
    small = SourceViewSettings(max_pixels=200_000)
    shrunk = Image.open(io.BytesIO(render_page(pdf, 1, "", small, 10).png)).size
    assert shrunk[0] * shrunk[1] <= 200_000


def test_viewer_page_links_the_highlighted_pdf_page(built: tuple[Settings, LoadedIndex]) -> None:
    settings, index = built
    client = viewer(settings, index)
    chunk = chunk_with(index, "customs office")
    page = client.get(source_url(chunk))
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "script" not in page.headers["content-security-policy"]
    src = unescape(re.search(r'<img id="page" src="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    image = client.get(src)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert yellow_pixels(image.content) > 1000
    cached = list((settings.model_cache_dir / "pages").glob("*.png"))
    assert len(cached) == 1 and cached[0].read_bytes() == image.content
    # Only the passage's own pages are served.
    assert client.get(src.replace("page=3", "page=1")).status_code == 404


def test_text_passage_is_shown_escaped_among_its_neighbours(
    built: tuple[Settings, LoadedIndex],
) -> None:
    settings, index = built
    client = viewer(settings, index)
    page = client.get(source_url(chunk_with(index, "Ferries leave")))
    assert page.status_code == 200
    cited = re.search(r'<section class="cited" id="cited">(.*?)</section>', page.text, re.S)
    assert cited and "Ferries leave the old port" in cited.group(1)
    before, _, after = page.text.partition('id="cited"')
    assert "charter in 2031" in before and "customs hall closes" in after
    assert "<script>" not in page.text and "&lt;script&gt;window.__xss=1" in page.text
    assert client.get(source_url(chunk_with(index, "Ferries")) + "&page=1").status_code == 404


def test_unknown_or_malformed_citations_are_refused(built: tuple[Settings, LoadedIndex]) -> None:
    settings, index = built
    client = viewer(settings, index)
    chunk = chunk_with(index, "Ferries leave")
    url = source_url(chunk)
    assert client.get(url.replace("sha=", "sha=0000")).status_code == 404
    assert client.get(url.replace("doc=", "doc=x")).status_code == 404
    assert client.get(url + "&sha=not-hex").status_code == 422
    assert client.get("/source?doc=" + "a" * 500 + "&variant=original&loc=x").status_code == 422
    assert client.get("/source").status_code == 422


def test_only_unchanged_files_inside_the_corpus_are_opened(
    built: tuple[Settings, LoadedIndex], tmp_path: Path
) -> None:
    settings, index = built
    outside = tmp_path / "secret.pdf"
    outside.write_bytes((tmp_path / "corpus" / "harbour.pdf").read_bytes())
    chunk = chunk_with(index, "customs office")
    moved = dataclasses.replace(chunk, source="../secret.pdf")
    files = dict(index.manifest.files)
    files["../secret.pdf"] = files[chunk.source]
    escaped = dataclasses.replace(
        index, chunks=[moved], manifest=index.manifest.model_copy(update={"files": files})
    )
    png = source_url(moved).replace("/source?", "/source/page.png?")
    assert viewer(settings, escaped).get(png).status_code == 404
    # The file changed after the build: its page may no longer hold the passage.
    client = viewer(settings, index)
    (tmp_path / "corpus" / "harbour.pdf").write_bytes(b"%PDF-1.4 changed")
    response = client.get(source_url(chunk).replace("/source?", "/source/page.png?"))
    assert response.status_code == 409


def test_viewer_has_its_own_rate_limit(
    built: tuple[Settings, LoadedIndex], settings_factory: Callable[..., Settings]
) -> None:
    _, index = built
    settings = settings_factory(source_view=SourceViewSettings(rate_limit_per_minute=2))
    client = viewer(settings, index)
    url = source_url(chunk_with(index, "Ferries leave"))
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert int(client.get(url).headers["retry-after"]) >= 1


def test_page_cache_stays_within_its_bound(tmp_path: Path) -> None:
    cache = PageCache(tmp_path / "pages", max_bytes=3000)
    for i in range(5):
        cache.put(cache.key("build", i), bytes(1000))
    kept = list((tmp_path / "pages").glob("*.png"))
    assert len(kept) == 3 and sum(p.stat().st_size for p in kept) <= 3000
    assert cache.get(cache.key("build", 4)) == bytes(1000)
    assert cache.get(cache.key("build", 0)) is None


def test_the_served_app_links_citations_to_the_viewer_under_its_guards(
    built: tuple[Settings, LoadedIndex], settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    """Through create_app: the UI's "view source" link of a real answer opens the viewer, with
    the viewer's CSP; another site's Origin is refused as on /api/*."""
    from chatbot.pipeline.answer import Answerer
    from chatbot.web.api import create_app
    from chatbot.web.passage_cards import sources_html

    settings = settings_factory(
        min_chunk_chars=0,
        model_cache_dir=tmp_path / "cache",
        llm="none",
        answer=AnswerSettings(min_support=0.0),  # hashing vectors: the default bar abstains
        allowed_origins=["https://portal.example.org"],
    )
    app = create_app(settings, lambda: Answerer.from_settings(settings))
    with TestClient(app, "http://localhost") as client:
        for _ in range(500):
            if client.get("/api/health").json()["ready"]:
                break
            time.sleep(0.02)
        answer = client.post("/api/ask", json={"question": "Where did the customs office open?"})
        citations = [Citation(**c) for c in answer.json()["citations"]]
        hrefs = re.findall(r'class="sqa-source" href="([^"]+)"', sources_html(citations))
        assert len(hrefs) == len(citations) >= 1
        for href in hrefs:
            page = client.get(unescape(href))
            assert page.status_code == 200, page.text
            csp = page.headers["content-security-policy"]
            assert csp.startswith("default-src 'none'")
            assert "frame-ancestors 'self' https://portal.example.org" in csp
        evil = client.get(unescape(hrefs[0]), headers={"Origin": "https://evil.example.com"})
        assert evil.status_code == 403


def test_ocr_words_of_a_scanned_page_locate_the_passage_in_pixels() -> None:
    from chatbot.web.page_render import ocr_boxes
    from core.ocr_words import OcrWord

    line = "Batas pertanggungjawaban pengusaha instalasi nuklir ditetapkan".split()
    words = [OcrWord(w, (0.1 * i, 0.5, 0.1 * i + 0.08, 0.52), 90.0) for i, w in enumerate(line)]
    boxes = ocr_boxes(words, "pengusaha instalasi nuklir, sebagaimana", 3, (1000, 2000))
    assert boxes == [(200, 1000, 280, 1040), (300, 1000, 380, 1040), (400, 1000, 480, 1040)]
    assert ocr_boxes(words, "sesuatu yang lain sama sekali", 3, (1000, 2000)) == []
