"""Property tests of the loaders and the splitter on random text and bytes (hypothesis).

- loading any bytes as any supported type, or a damaged PDF, Word, PowerPoint or Excel file,
  gives pages or a LoadError, never another exception;
- splitting any text gives chunks within the size limit, in reading order, that keep every letter
  and digit of the text in order (the file's own title heading aside: it becomes the title).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.settings import Settings
from ingest.load import SUPPORTED_SUFFIXES, CorpusFile, DocumentInfo, load_file
from ingest.readers.page import LoadError, Page
from ingest.split import document_title, split_pages

INFO = DocumentInfo(doc_id="doc", variant="original", lang="en", title="Doc")
FAST = settings(
    max_examples=60,
    deadline=None,
    database=None,  # no .hypothesis folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
LIMITS = Settings(_env_file=None, max_file_bytes=1 << 20)  # type: ignore[call-arg]


def _base_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(False)  # damage then lands in page text and structure, not only zlib
    pdf.set_font("Helvetica", size=11)
    for n, place in enumerate(["eastern channel", "western pier", "ferry terminal"]):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, f"Section {n}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, f"The harbour authority worked on the {place} in spring. " * 4)
        pdf.text(20, 290, f"{n + 1}   www.harbour.example")
    return bytes(pdf.output())


BASE_PDF = _base_pdf()


def _base_office() -> dict[str, bytes]:
    from docx import Document
    from openpyxl import Workbook
    from pptx import Presentation

    out: dict[str, bytes] = {}
    doc = Document()
    doc.add_heading("Harbour", level=1)
    doc.add_paragraph("The harbour authority worked on the pier in spring.")
    doc.add_table(rows=2, cols=2).cell(1, 1).text = "4 million"
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Harbour"
    slide.placeholders[1].text = "The ferry terminal opens in May."
    book = Workbook()
    book.active.append(["Year", "Amount"])
    book.active.append([2024, 6])
    for suffix, thing in ((".docx", doc), (".pptx", deck), (".xlsx", book)):
        buffer = io.BytesIO()
        thing.save(buffer)
        out[suffix] = buffer.getvalue()
    return out


BASE_OFFICE = _base_office()

words = st.text(alphabet="abcdefghij KLMNOP 0123 éü中文", min_size=1, max_size=40)
block = st.one_of(
    words,
    words.map(lambda w: w + "."),
    words.map(lambda w: w + ":"),
    st.tuples(st.integers(1, 6), words).map(lambda t: "#" * t[0] + " " + t[1]),
    st.tuples(st.sampled_from(["(a)", "(1)", "(A)", "(i)", "(ii)", "§ 12."]), words).map(
        lambda t: f"{t[0]} {t[1].strip().capitalize() or 'X'}"
    ),
    words.map(lambda w: "- " + w + ";"),
    words.map(lambda w: w + "\n===="),
    st.text(max_size=200),  # anything at all, markup characters included
)
document = st.lists(
    st.tuples(block, st.sampled_from(["\n\n", "\n", "\n\n\n", " "])), max_size=40
).map(lambda parts: "".join(b + sep for b, sep in parts))


def letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


@FAST
@given(
    text=st.one_of(document, st.text(max_size=3000)),
    pdf=st.booleans(),
    chunk_size=st.integers(200, 1600),
    overlap=st.integers(0, 300),
    min_chars=st.integers(0, 600),
)
def test_split_keeps_every_letter_in_order_within_the_size_limit(
    text: str, pdf: bool, chunk_size: int, overlap: int, min_chars: int
) -> None:
    pages = [Page(part, n + 1 if pdf else None) for n, part in enumerate(text.split("\f"))]
    if not pdf:
        pages = [Page(text, None)]
    chunks = split_pages(
        pages, INFO, "doc.md", chunk_size=chunk_size, chunk_overlap=overlap, min_chars=min_chars
    )
    assert all(0 < len(c.text) <= chunk_size for c in chunks)
    assert all(c.text.strip() == c.text for c in chunks)
    expected = letters(text)
    title = document_title(pages)
    if title:  # the opening heading is the document's title, not a chunk's text
        assert expected.startswith(letters(title))
        expected = expected[len(letters(title)) :]
    assert is_subsequence(expected, letters("".join(c.text for c in chunks)))
    paragraphs = [c.paragraph for c in chunks]
    assert paragraphs == sorted(paragraphs)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert all(c.part >= 1 for c in chunks)


@FAST
@given(data=st.binary(max_size=4000), suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)))
def test_loading_any_bytes_gives_pages_or_a_load_error(
    tmp_path: Path, data: bytes, suffix: str
) -> None:
    _load_or_load_error(tmp_path / f"x{suffix}", data)


@FAST
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(BASE_PDF) - 1), st.binary(min_size=1, max_size=8)),
        min_size=1,
        max_size=6,
    ),
    cut=st.one_of(st.none(), st.integers(0, len(BASE_PDF))),
)
def test_a_damaged_pdf_gives_pages_or_a_load_error(
    tmp_path: Path, edits: list[tuple[int, bytes]], cut: int | None
) -> None:
    data = bytearray(BASE_PDF)
    for offset, chunk in edits:
        data[offset : offset + len(chunk)] = chunk
    _load_or_load_error(tmp_path / "damaged.pdf", bytes(data[:cut]))


@FAST
@given(
    suffix=st.sampled_from(sorted(BASE_OFFICE)),
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=8)),
        min_size=1,
        max_size=6,
    ),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_a_damaged_office_file_gives_pages_or_a_load_error(
    tmp_path: Path, suffix: str, edits: list[tuple[float, bytes]], cut: float | None
) -> None:
    data = bytearray(BASE_OFFICE[suffix])
    for where, chunk in edits:
        offset = int(where * len(data))
        data[offset : offset + len(chunk)] = chunk
    end = None if cut is None else int(cut * len(data))
    _load_or_load_error(tmp_path / f"damaged{suffix}", bytes(data[:end]))


def _load_or_load_error(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    file = CorpusFile(path, path.name, "0" * 64, len(data))
    try:
        pages = load_file(file, LIMITS)
    except LoadError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert pages and all(isinstance(p.text, str) for p in pages)
    for page in pages:  # and whatever was read splits without trouble
        split_pages([page], INFO, path.name, chunk_size=500, chunk_overlap=50, min_chars=100)


def test_the_base_pdf_loads(tmp_path: Path) -> None:
    path = tmp_path / "base.pdf"
    path.write_bytes(BASE_PDF)
    pages = load_file(CorpusFile(path, "base.pdf", "0" * 64, len(BASE_PDF)), LIMITS)
    assert [p.page for p in pages] == [1, 2, 3]
    # Headings at the top of every page, alike but for a number, are not running heads.
    assert [p.text.split("\n\n")[0] for p in pages] == ["# Section 0", "# Section 1", "# Section 2"]
    assert pages[0].text.startswith("# Section 0\n\nThe harbour authority worked on the eastern")
    assert "www.harbour.example" not in "".join(p.text for p in pages)  # a running footer


@pytest.mark.parametrize("text", ["", " ", "\n\n", "#", "# ", "(a)", "\\#", "====", "-\n-"])
def test_degenerate_texts(text: str) -> None:
    split_pages([Page(text, None)], INFO, "d.md", chunk_size=200, chunk_overlap=0, min_chars=0)
    io.StringIO(text)  # nothing to assert beyond "no exception"
