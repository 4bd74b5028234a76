"""OCR with the real tesseract: dev3's scanned Indonesian regulation (PP 46/2009, four pages with
no text layer) and a generated PDF with one text page and one image-only page are indexed, and
what the dev3 questions cite is found in the chunks; the page viewer highlights a passage on a
scanned page from the OCR'd word boxes."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from core import store
from core.ocr_words import read_ocr_words
from core.settings import Settings
from ingest.build import run_build
from ingest.readers.ocr import installed_languages, list_langs
from ingest.readers.ocr_lexicon import model_words

pytestmark = pytest.mark.integration

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SCAN = SHARED / "corpora" / "dev3" / "id-pp-46-2009-batas-pertanggungjawaban-kerugian-nuklir.pdf"
QUESTIONS = SHARED / "eval" / "dev3_questions.jsonl"
SCAN_QUESTIONS = {"d3-22", "d3-23", "d3-24", "d3-25", "d3-26"}
SENTENCE = "The harbour lights were repaired on the third of March by the river council."


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


@pytest.fixture(autouse=True)
def _tesseract() -> None:
    if not {"eng", "ind"} <= set(installed_languages("tesseract")):
        pytest.fail("tesseract with eng and ind is not installed: run scripts/install-ocr")


def _settings(tmp_path: Path, corpus: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        dense_model="hashing",  # the test is about reading the pages, not about retrieval
        multilingual_model="hashing",
    )


def test_the_scanned_regulation_is_read_and_its_cited_phrases_are_in_its_chunks(
    tmp_path: Path,
) -> None:
    if not SCAN.exists():
        pytest.skip(f"the dev3 corpus is not here: {SCAN}")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SCAN, corpus / SCAN.name)
    settings = _settings(tmp_path, corpus)
    report = run_build(settings, progress=False)
    assert report.errors == {}
    assert report.ocr[SCAN.name].pages == [1, 2, 3, 4]
    assert report.ocr_summary is not None and report.ocr_summary.startswith(
        "OCR: 4 pages in 1 file"
    )
    build = store.live_build_dir(settings.index_dir)
    assert build is not None
    chunks = store.read_chunks(build)
    text = _norm(" ".join(c.text for c in chunks))
    phrases = [
        json.loads(line)["source_contains"]
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
        if line.strip() and json.loads(line)["id"] in SCAN_QUESTIONS
    ]
    assert len(phrases) == 5
    missing = [p for p in phrases if _norm(p) not in text]
    assert not missing, missing
    # OCR spaces the amount's digit groups apart ("Rp.-4.000.000. 000. 000),00"): closed up.
    assert "4.000.000.000.000" in text
    # Misreads tesseract was unsure of are mended from its Indonesian word list and the words
    # the regulation itself uses: "LEMBARAN MEGARA" (the gazette a question asks for), "muklir".
    assert "lembaran negara republik indonesia tahun 2009 nomor 91" in text
    assert "megara" not in text and text.count("muklir") <= 1 < text.count("nuklir")
    assert report.ocr[SCAN.name].mended >= 10
    assert "misread words mended)" in report.ocr_summary
    manifest = store.load_manifest(build)
    entry = manifest.files[SCAN.name]
    assert entry.ocr_pages == [1, 2, 3, 4] and (entry.ocr_confidence or 0) > 60
    words = read_ocr_words(build)
    assert sorted(page for _, page in words) == [1, 2, 3, 4]
    assert all(p.lang == "ind" for p in words.values())  # told from the text, no manifest


def test_tesseract_s_own_word_lists_are_read_for_mending() -> None:
    tessdata, _ = list_langs("tesseract")
    indonesian = model_words(tessdata, "ind")
    assert indonesian is not None and {"nuklir", "pemerintah", "negara"} <= indonesian
    english = model_words(tessdata, "eng")
    assert english is not None and "transparency" in english
    assert model_words(tessdata, "no-such-model") is None


def _mixed_pdf() -> bytes:
    """Page 1 has a text layer; page 2 is only an image of a printed sentence."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (2480, 3508), 255)  # A4 at 300 dpi
    font = ImageFont.load_default(size=56)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(_wrap(SENTENCE, 60)):
        draw.text((200, 300 + 90 * i), line, fill=0, font=font)
    png = io.BytesIO()
    image.save(png, format="PNG")
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "The first page has a text layer. " * 12)
    pdf.add_page()
    pdf.image(png, x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + len(word) < width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def test_a_text_page_and_an_image_only_page_are_both_indexed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "mixed.pdf").write_bytes(_mixed_pdf())
    settings = _settings(tmp_path, corpus)
    report = run_build(settings, progress=False)
    assert report.errors == {}
    assert report.ocr["mixed.pdf"].pages == [2]
    build = store.live_build_dir(settings.index_dir)
    assert build is not None
    chunks = store.read_chunks(build)
    assert any("first page has a text layer" in c.text and c.page == 1 for c in chunks)
    assert any(_norm(SENTENCE) in _norm(c.text) and c.page in {1, 2} for c in chunks)
    assert 2 in {p for _, p in read_ocr_words(build)}


def test_the_viewer_highlights_a_passage_on_a_scanned_page(tmp_path: Path) -> None:
    from chatbot.web.page_render import render_page
    from core.settings import SourceViewSettings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "mixed.pdf").write_bytes(_mixed_pdf())
    settings = _settings(tmp_path, corpus)
    run_build(settings, progress=False)
    build = store.live_build_dir(settings.index_dir)
    assert build is not None
    words = next(iter(read_ocr_words(build).values())).words
    rendered = render_page(
        corpus / "mixed.pdf", 2, SENTENCE, SourceViewSettings(), 100, ocr_words=words
    )
    assert rendered.highlights >= 3
    plain = render_page(corpus / "mixed.pdf", 2, SENTENCE, SourceViewSettings(), 100)
    assert plain.highlights == 0  # without the OCR'd words the page has no text to find


CJK_FONT = Path(
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)  # scripts/install-chromium
CJK_PAGES = {
    # file -> (font face, printed lines, the tesseract model told from the page, phrases read)
    "ja.pdf": (
        "Noto Sans CJK JP",
        [
            "政府は人工知能の研究開発を推進するため、",
            "新しい基金を設立した。基金の規模は",
            "五百億円である。",
        ],
        "jpn",
        ["人工知能", "研究開発", "基金"],
    ),
    "zh.pdf": (
        "Noto Sans CJK SC",
        ["国家鼓励人工智能技术创新，", "支持企业开展数据资源建设，", "并加强个人信息保护。"],
        "chi_sim",
        ["人工智能", "技术创新", "个人信息保护"],
    ),
}


def _cjk_scan(face: str, lines: list[str]) -> bytes:
    """A PDF whose one page is only an image of printed Japanese or Chinese lines."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    if not CJK_FONT.exists():
        pytest.fail(f"{CJK_FONT} is missing: run scripts/install-chromium (fonts-noto-cjk)")
    font = next(
        f
        for f in (ImageFont.truetype(str(CJK_FONT), 72, index=i) for i in range(10))
        if f.getname()[0] == face
    )
    image = Image.new("L", (2480, 3508), 255)  # A4 at 300 dpi
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((200, 300 + 130 * i), line, fill=0, font=font)
    png = io.BytesIO()
    image.save(png, format="PNG")
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(png, x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def test_japanese_and_chinese_scans_are_read_in_their_own_script(tmp_path: Path) -> None:
    """No manifest names the language: English reads the page badly, and the most confident
    of the Japanese and Chinese models is kept; the chunks hold what the page says."""
    if not {"jpn", "chi_sim"} <= set(installed_languages("tesseract")):
        pytest.fail("tesseract's jpn and chi_sim models are not installed: run scripts/install-ocr")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, (face, lines, _, _) in CJK_PAGES.items():
        (corpus / name).write_bytes(_cjk_scan(face, lines))
    settings = _settings(tmp_path, corpus)
    report = run_build(settings, progress=False)
    assert report.errors == {}
    build = store.live_build_dir(settings.index_dir)
    assert build is not None
    chunks = store.read_chunks(build)
    words = read_ocr_words(build)
    for name, (_, _, model, phrases) in CJK_PAGES.items():
        assert report.ocr[name].pages == [1]
        page = words[(hashlib.sha256((corpus / name).read_bytes()).hexdigest(), 1)]
        assert page.lang == model, (name, page.lang)
        text = re.sub(r"\s+", "", " ".join(c.text for c in chunks if c.source == name))
        missing = [p for p in phrases if p not in text]
        assert not missing, (name, missing, text)
