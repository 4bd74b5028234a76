from __future__ import annotations

import pytest

from core.settings import DocumentSettings, Settings
from ingest.readers.page import LoadError
from ingest.readers.webpage import read_html

from .conftest import chunks_of

_BODY = "The harbour authority publishes its plan every year and consults the public first. " * 3


def _page(extra: str = "") -> bytes:
    return f"""<!doctype html><html><head><title>Harbour plan | City portal</title>
<script>document.write('SCRIPT TEXT'); fetch('https://evil.example/x')</script>
<style>body {{ color: red }} .STYLE-TEXT {{}}</style></head>
<body><nav><a href="/">Home</a> <a href="/about">About us menu</a></nav>
<div id="cookie-banner" class="cookie-consent">We use cookies. Accept all cookies</div>
<header><p>City portal header</p></header>
<main><h1>Harbour Plan 2024</h1><p>{_BODY}</p>
<h2>Budget</h2><p>{_BODY}</p>
<table><tr><th>Year</th><th>Amount</th></tr><tr><td>2023</td><td>4 million</td></tr>
<tr><td>2024</td><td>6 million</td></tr></table>
<h2>Works</h2><ul><li>dredging the channel</li><li>new cranes<ul><li>two of them</li></ul></li></ul>
<p>{_BODY}</p>{extra}</main>
<footer><p>Copyright footer of the city portal</p></footer></body></html>""".encode()


def test_main_content_only_with_headings_lists_and_tables(settings: Settings) -> None:
    (page,) = read_html(_page(), settings)
    text = page.text
    for chrome in ("SCRIPT TEXT", "evil.example", "STYLE-TEXT", "About us menu", "footer"):
        assert chrome not in text
    blocks = text.split("\n\n")
    assert blocks[0] == "# Harbour Plan 2024"
    assert "## Budget" in blocks and "## Works" in blocks
    assert "- new cranes" in blocks and "- two of them" in blocks
    assert "Year: 2024; Amount: 6 million." in text
    assert page.tables == 1


def test_chunks_cite_heading_and_paragraph(settings: Settings) -> None:
    chunks = chunks_of(
        read_html(_page(), settings), settings.model_copy(update={"min_chunk_chars": 0})
    )
    assert {c.title for c in chunks} == {"Harbour Plan 2024"}
    row = next(c for c in chunks if "6 million" in c.text)
    assert row.location.startswith("Budget ¶")


def test_page_title_when_there_is_no_h1(settings: Settings) -> None:
    raw = _page().replace(b"<h1>Harbour Plan 2024</h1>", b"")
    (page,) = read_html(raw, settings)
    assert page.text.startswith("# Harbour plan\n")  # the site name cut off


def test_oversize_page_and_empty_page_are_refused(settings: Settings) -> None:
    small = settings.model_copy(update={"documents": DocumentSettings(html_max_bytes=64 * 1024)})
    with pytest.raises(LoadError, match="over the limit"):
        read_html(_page("<p>" + "x " * 40_000 + "</p>"), small)
    with pytest.raises(LoadError, match="no main text"):
        read_html(b"<html><script>alert(1)</script></html>", settings)
