"""Reading real documents well (``../shared/corpora/dev3`` and a scraped Markdown fixture):
paragraphs from layout, running page numbers gone, broken words mended, no HTML in chunks.

Loader and splitter only, with the default settings: no models are needed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.chunks import Chunk
from core.settings import Settings
from ingest.load import CorpusFile, default_info, load_file, text_language
from ingest.readers.page import Page
from ingest.split import document_title, split_pages

pytestmark = pytest.mark.integration

DEV3 = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "dev3"
POJK = "id-pojk-77-2016-pinjam-meminjam-uang-berbasis-ti.pdf"
RPA = "us-state-of-federal-rpa-2021.pdf"
SCRAPED = Path(__file__).resolve().parents[1] / "data" / "documents" / "scraped-order.md"
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


def read(path: Path) -> tuple[list[Page], list[Chunk]]:
    if not path.exists():
        pytest.skip(f"not here: {path} (the dev3 corpus lives in ../shared)")
    file = CorpusFile(path, path.name, "0" * 64, path.stat().st_size)
    pages = load_file(file, SETTINGS)
    chunks = split_pages(
        pages, default_info(path.name), path.name,
        chunk_size=SETTINGS.chunk_size, chunk_overlap=SETTINGS.chunk_overlap,
        min_chars=SETTINGS.min_chunk_chars,
    )  # fmt: skip
    return pages, chunks


@pytest.fixture(scope="module")
def pojk() -> tuple[list[Page], list[Chunk]]:
    return read(DEV3 / POJK)


def test_a_sentence_over_printed_lines_is_one_paragraph(pojk) -> None:
    """The regulation is set with every line 1.76 type sizes apart, paragraph or not."""
    pages, _ = pojk
    paragraphs = [p for page in pages for p in page.text.split("\n\n")]
    sentence = (
        "1. Otoritas Jasa Keuangan yang selanjutnya disingkat OJK adalah lembaga yang "
        "independen, yang mempunyai fungsi, tugas, dan wewenang pengaturan, pengawasan, "
        "pemeriksaan, dan penyidikan sebagaimana dimaksud dalam Undang-Undang Nomor 21 Tahun "
        "2011 tentang Otoritas Jasa Keuangan."
    )
    assert sentence in paragraphs
    # Paragraphs, not printed lines: the 31 pages hold ~900 lines, ~400 paragraphs.
    assert len(paragraphs) < 500
    # A hyphen the document writes ("perundang-undangan") is kept across a line end.
    assert "perundangundangan" not in " ".join(paragraphs)
    assert any("peraturan perundang-undangan." in p for p in paragraphs)


def test_the_definitions_stay_with_their_lead_in(pojk) -> None:
    _, chunks = pojk
    # 15 definitions do not fit one chunk: each part starts with the lead-in.
    parts = [c for c in chunks if "Dalam Peraturan Otoritas Jasa Keuangan ini, yang" in c.text]
    assert len(parts) >= 2
    assert "dimaksud dengan:\n1. Otoritas Jasa Keuangan" in parts[0].text
    assert all(re.search(r"dimaksud dengan:\n\d+\. ", part.text) for part in parts)
    # A sub-list's own lead-in ("10. Direksi:") is never cut from its first item.
    assert any("10. Direksi:\na. bagi Penyelenggara" in part.text for part in parts)


def test_no_chunk_holds_a_running_page_number(pojk) -> None:
    _, chunks = pojk
    for chunk in chunks:
        assert not re.search(r"(^|\n)- ?\d{1,3} ?-($|\n)", chunk.text), chunk.chunk_id


def test_words_broken_in_the_text_layer_are_mended() -> None:
    pages, _ = read(DEV3 / RPA)
    text = "\n".join(page.text for page in pages)
    for broken, whole in (("Matur ity", "Maturity"), ("Annua lized", "Annualized")):
        assert broken not in text and whole in text
    assert "end -to-end" not in text and "end-to-end" in text


def test_no_html_reaches_a_chunk_of_a_scraped_markdown_file() -> None:
    pages, chunks = read(SCRAPED)
    text = "\n".join(c.text for c in chunks)
    for markup in ("<span", "</", "<br", "<a ", "&nbsp;", "&amp;", "trackPage", "scraped footer"):
        assert markup not in text
    assert "Sec. 2. Policy. It is the policy of the authority to:" in text
    assert "- keep the ferry running throughout the works;" in text
    assert "| Harbour master | opens and closes the lock |" in text
    assert document_title(pages) == "Executive Order on Safe Harbour Operations"


def test_a_pdf_is_named_by_its_cover_and_read_in_its_language(pojk) -> None:
    """No manifest names these files: the RPA report's cover type gives its title (its file
    name did before), the regulation set all in one size has none and keeps its file name,
    and the regulation's language is Indonesian, not the English default."""

    pages, _ = pojk
    assert document_title(pages) is None
    assert text_language(pages, SETTINGS.documents.language_sample_chars) == "id"
    rpa, _ = read(DEV3 / RPA)
    assert document_title(rpa) == "The State of Federal RPA"
    assert text_language(rpa, SETTINGS.documents.language_sample_chars) == "en"


def test_a_chinese_web_page_is_read_as_chinese() -> None:

    pages, _ = read(DEV3 / "cn-cac-generative-ai-interim-measures-2023.htm")
    assert text_language(pages, SETTINGS.documents.language_sample_chars) == "zh"
