"""OCR decisions and the paragraph rebuilding, without tesseract: which pages need OCR, which
language they are read in, what a TSV becomes, and what happens where tesseract is missing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from core.ocr_words import OcrPage, OcrWord, read_ocr_words, write_ocr_words
from core.settings import OcrSettings, Settings
from ingest.build import BuildReport, file_ocr
from ingest.readers.ocr import (
    MISSING,
    OcrParagraph,
    TsvWord,
    choose_language,
    needs_ocr,
    page_markdown,
    paragraphs,
    parse_tsv,
    running_heads,
    tesseract_lang,
)
from ingest.readers.page import LoadError
from ingest.readers.pdf import read_pdf

HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


def _tsv(rows: list[tuple[int, int, int, str, float]]) -> str:
    """A TSV as tesseract writes it: (block, paragraph, line, text, confidence) per word, with
    the structure rows (levels 2-4, conf -1) that carry no text."""
    lines = [HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t1000\t1400\t-1\t"]
    for i, (block, par, line, text, conf) in enumerate(rows):
        lines.append(f"4\t1\t{block}\t{par}\t{line}\t0\t10\t{20 * i}\t500\t18\t-1\t")
        lines.append(
            f"5\t1\t{block}\t{par}\t{line}\t1\t10\t{20 * i}\t{10 * len(text)}\t18\t{conf}\t{text}"
        )
    return "\n".join(lines) + "\n"


SAMPLE = _tsv(
    [
        (1, 1, 1, "PERATURAN", 91.0),
        (1, 1, 1, "PEMERINTAH", 90.0),
        (2, 1, 1, "Batas", 88.0),
        (2, 1, 1, "pertanggung-", 80.0),
        (2, 1, 2, "jawaban", 85.0),
        (2, 1, 2, "nuklir.", 86.0),
        (2, 2, 1, "Cukup", 90.0),
        (2, 2, 1, "jelas.", 92.0),
        (3, 1, 1, "-", 40.0),
        (3, 1, 1, "2", 60.0),
        (3, 1, 1, "-", 40.0),
        (4, 1, 1, "#1", 70.0),
        (4, 1, 1, "priority", 70.0),
    ]
)


def test_tsv_words_keep_their_structure_boxes_and_confidence() -> None:
    words = parse_tsv(SAMPLE)
    assert [w.text for w in words[:3]] == ["PERATURAN", "PEMERINTAH", "Batas"]
    first = words[0]
    assert (first.block, first.paragraph, first.line) == (1, 1, 1)
    assert (first.left, first.top, first.width, first.height) == (10, 0, 90, 18)
    assert first.confidence == 91.0


def test_paragraphs_come_from_blocks_and_paragraphs_with_lines_joined() -> None:
    text = page_markdown(paragraphs(parse_tsv(SAMPLE), 1400))
    assert text.split("\n\n") == [
        "PERATURAN PEMERINTAH",
        "Batas pertanggungjawaban nuklir.",  # a word hyphenated at a line end joined again
        "Cukup jelas.",  # tesseract's second paragraph of the block
        "\\#1 priority",  # never read as a Markdown heading
    ]  # the page number "- 2 -" (no letters) is dropped


def test_paragraphs_know_where_they_sit_on_the_page() -> None:
    found = paragraphs(parse_tsv(SAMPLE), 1400)
    assert (found[0].top, round(found[0].bottom, 4)) == (0.0, round(38 / 1400, 4))


def test_running_heads_are_alike_margin_paragraphs_on_enough_pages() -> None:
    def page(head: str, body: str) -> list[OcrParagraph]:
        return [OcrParagraph(head, 0.03, 0.05), OcrParagraph(body, 0.3, 0.6)]

    pages = [
        page("PRESIDEN REPudLiK INGOMRESIA", "Menimbang bahwa batas pertanggungjawaban"),
        page("PRESIDEN REPUBLIK IND ORESIS", "Ditetapkan di Jakarta pada tanggal"),
        page(
            "PERATURAN PEMERINTAH REPUBLIK INDONESIA", "Tenaga nuklir memberikan manfaat"
        ),  # a title, not a head
        page("PRESICEN REPUBLiK INDOMESIA", "Cukup jelas."),
    ]
    assert running_heads(pages, OcrSettings()) == {(0, 0), (1, 0), (3, 0)}
    assert running_heads(pages[:2], OcrSettings()) == set()  # two pages are not enough
    # The same lines between other paragraphs are text, not a running head.
    moved = [
        [
            OcrParagraph(p[1].text, 0.1, 0.2),
            OcrParagraph(p[0].text, 0.4, 0.42),
            OcrParagraph(p[1].text[::-1], 0.8, 0.9),
        ]
        for p in pages
    ]
    assert running_heads(moved, OcrSettings()) == set()


def test_a_malformed_tsv_row_is_skipped_not_the_page() -> None:
    broken = SAMPLE + "5\t1\tx\t1\t1\t1\t0\t0\t0\t0\tnot-a-number\tjunk\n"
    assert [w.text for w in parse_tsv(broken)][-1] == "priority"


LETTER = (612.0, 792.0)


@pytest.mark.parametrize(
    ("chars", "image_share", "expected"),
    [
        (0, 1.0, True),  # a scan
        (30, 0.95, True),  # a scan with a stamp's few characters in a text layer
        (0, 0.0, False),  # a blank or vector-drawn page: nothing for OCR to read
        (0, 0.3, False),  # a cover with a logo
        (3000, 1.0, False),  # a text page over a background image
    ],
)
def test_which_pages_need_ocr(chars: int, image_share: float, expected: bool) -> None:
    assert needs_ocr("x" * chars, *LETTER, image_share, OcrSettings()) is expected


def test_the_manifest_language_maps_to_an_installed_model() -> None:
    installed = ("chi_sim", "eng", "ind", "jpn")
    assert tesseract_lang("id", installed) == "ind"
    assert tesseract_lang("zh-CN", installed) == "chi_sim"
    assert tesseract_lang("ja", installed) == "jpn"
    assert tesseract_lang("en", ("ind",)) is None  # not installed: detect instead
    assert tesseract_lang("fr", installed) is None
    assert tesseract_lang(None, installed) is None


def _words(text: str, confidence: float) -> list[TsvWord]:
    return [TsvWord(1, 1, 1, 0, 0, 1, 1, confidence, w) for w in text.split()]


def test_language_is_told_from_a_confident_first_pass() -> None:
    installed = ("chi_sim", "eng", "ind", "jpn")
    indonesian = "Batas pertanggungjawaban pengusaha instalasi nuklir untuk setiap kecelakaan"
    english = "The limit of liability of the operator of a nuclear installation for each accident"
    assert choose_language(_words(indonesian, 85), installed, OcrSettings()) == "ind"
    assert choose_language(_words(english, 85), installed, OcrSettings()) == "eng"
    assert choose_language(_words(indonesian, 85), ("eng",), OcrSettings()) == "eng"
    # English read it badly: another script, so the other models are tried.
    assert choose_language(_words("~ '' ,. ll1 =", 20), installed, OcrSettings()) is None


def _pdf(tmp_path: Path | None, pages: list[str | None], scale: int = 2) -> bytes:
    """A PDF with a text page for each string and an image-only page for each None (an A4
    scan at 75 dpi times ``scale``)."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    pdf = FPDF(format="A4")
    for text in pages:
        pdf.add_page()
        if text is None:
            image = Image.new("L", (620 * scale, 877 * scale), 255)
            ImageDraw.Draw(image).text((50 * scale, 50 * scale), "A scanned page.", fill=0)
            png = io.BytesIO()
            image.save(png, format="PNG")
            pdf.image(png, x=0, y=0, w=210, h=297)
        else:
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _no_tesseract() -> Settings:
    return Settings(ocr=OcrSettings(tesseract="no-such-tesseract-here"))


TEXT = "The text layer of this page is read as it always was, without OCR. " * 4


def test_without_tesseract_a_scanned_pdf_fails_naming_the_reason(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        read_pdf(_pdf(tmp_path, [None, None]), _no_tesseract())
    assert str(caught.value) == MISSING


def test_without_tesseract_the_text_pages_are_kept_and_the_scan_is_marked(tmp_path: Path) -> None:
    pages = read_pdf(_pdf(tmp_path, [TEXT, None]), _no_tesseract())
    assert "text layer of this page" in pages[0].text and pages[0].ocr is None
    assert pages[1].text == "" and pages[1].ocr == OcrPage(2, skipped=MISSING)
    summary = file_ocr([p.ocr for p in pages if p.ocr], low_confidence=60)
    assert summary.missing == [2] and summary.pages == []
    report = BuildReport("b", ocr={"mixed.pdf": summary})
    assert report.ocr_missing == {"mixed.pdf": [2]} and report.ocr_summary is None


def test_ocr_off_leaves_a_scan_refused_as_before(tmp_path: Path) -> None:
    settings = Settings(ocr=OcrSettings(enabled=False))
    with pytest.raises(LoadError, match="no extractable text"):
        read_pdf(_pdf(tmp_path, [None]), settings)


def test_the_build_summary_counts_ocr_pages_and_warns_on_doubtful_ones() -> None:
    word = OcrWord("kata", (0.1, 0.1, 0.2, 0.12), 90.0)
    pages = [
        OcrPage(1, "ind", 84.0, 2.0, (word,)),
        OcrPage(2, "ind", 40.0, 1.0, (word,)),
        OcrPage(3, "ind", 0.0, 0.5, ()),
        OcrPage(4, skipped="OCR took over 60 s"),
    ]
    summary = file_ocr(pages, low_confidence=60)
    assert summary.pages == [1, 2, 3] and summary.seconds == 3.5
    assert summary.warnings == [
        "p. 2: OCR confidence 40 is low",
        "p. 3: no text even after OCR",
        "p. 4: not read by OCR (OCR took over 60 s)",
    ]
    report = BuildReport("b", ocr={"scan.pdf": summary})
    assert report.ocr_summary == "OCR: 3 pages in 1 file (mean confidence 41, 1.2 s a page)"


def test_ocr_words_round_trip_as_json_lines(tmp_path: Path) -> None:
    words = (
        OcrWord("Pasal", (0.1, 0.2, 0.15, 0.22), 91.5),
        OcrWord("1", (0.16, 0.2, 0.17, 0.22), 80),
    )
    write_ocr_words(tmp_path, {"abc": [OcrPage(3, "ind", 85.0, 1.0, words), OcrPage(4)]})
    found = read_ocr_words(tmp_path)
    assert list(found) == [("abc", 3)]  # a page without words is not written
    assert found[("abc", 3)].words == words and found[("abc", 3)].lang == "ind"
    assert read_ocr_words(tmp_path / "no-build") == {}


def test_a_build_without_tesseract_says_so_once_and_indexes_the_rest(
    tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env
) -> None:
    from typer.testing import CliRunner

    from ingest.cli import app

    (tiny_corpus / "scan.pdf").write_bytes(_pdf(tmp_path, [None]))
    (tiny_corpus / "mixed.pdf").write_bytes(_pdf(tmp_path, [TEXT, None, None]))
    monkeypatch.chdir(tmp_path)
    args = ["build", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "index"), "-q"]
    result = CliRunner().invoke(
        app, args, env=env.hashing | {"SQA_OCR__TESSERACT": "no-such-tesseract-here"}
    )
    assert result.exit_code == 1  # one file could not be indexed
    out = result.output
    assert out.count(f"warning: {MISSING}") == 1
    assert "scanned pages not read: mixed.pdf (p. 2, 3); scan.pdf" in out
    assert f"scan.pdf: {MISSING}" in out  # the file's own error line
    assert "indexed 4 files" in out  # the three text files and mixed.pdf's text page
