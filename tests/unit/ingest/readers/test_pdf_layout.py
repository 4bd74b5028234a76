"""PDF layout read by the document's own measures: paragraphs from line steps, short lines and
indents (not a fixed gap), running lines anywhere on the page, lists with their lead-ins."""

from __future__ import annotations

import re

from core.settings import Settings
from ingest.load import DocumentInfo
from ingest.readers.pdf import read_pdf
from ingest.split import split_pages

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
INFO = DocumentInfo(doc_id="reg", variant="original", lang="id", title="Reg")
# (indent in points, text): every line 1.8 type sizes below the last, paragraphs or not, as in
# a regulation set with wide line spacing. Lines that repeat on every page stay, as body text
# that repeats does, since they move about the page.
PAGE_LINES = [
    (0, "Pasal {pasal}"),
    (0, "Dalam Peraturan ini pada halaman {n} yang dimaksud dengan"),
    (0, "ketentuan berikut ini adalah sebagai berikut:"),
    (0, "1. Otoritas yang selanjutnya disingkat OJK adalah lembaga"),
    (20, "yang independen dan bebas dari campur tangan pihak lain"),
    (20, "dalam melaksanakan tugas di bidang jasa keuangan."),
    (0, "2. Penyelenggara adalah badan hukum Indonesia yang"),
    (20, "menyediakan dan mengelola layanan pinjam meminjam."),
    (0, "Ketentuan ini berlaku sejak tanggal diundangkan dan"),
    (0, "mengikat semua pihak yang disebut di atas tanpa"),
    (0, "kecuali."),  # a short line that ends a sentence ends its paragraph
    (0, "Penjelasan lebih lanjut ada pada lampiran."),
]


def wide_pdf(pages: int = 4, number_line: str = "- {n} -") -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")  # 595 x 842 pt
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=12)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.text(280, 160, number_line.format(n=n))  # well below the top margin band
        y = 200.0 + 30 * n  # the text moves about the page; running lines do not
        for indent, line in PAGE_LINES:
            x = 260 if line.startswith("Pasal") else 72 + indent
            pdf.text(x, y, line.format(n=n, pasal=2 * n + 1))
            y += 12 * 1.8
    return bytes(pdf.output())


def paragraphs(raw: bytes) -> list[list[str]]:
    return [page.text.split("\n\n") for page in read_pdf(raw, SETTINGS)]


def test_wide_line_spacing_does_not_make_each_line_a_paragraph() -> None:
    first = paragraphs(wide_pdf())[0]
    assert first == [
        "Pasal 3",
        "Dalam Peraturan ini pada halaman 1 yang dimaksud dengan ketentuan berikut ini adalah "
        "sebagai berikut:",
        "1. Otoritas yang selanjutnya disingkat OJK adalah lembaga yang independen dan bebas dari "
        "campur tangan pihak lain dalam melaksanakan tugas di bidang jasa keuangan.",
        "2. Penyelenggara adalah badan hukum Indonesia yang menyediakan dan mengelola layanan "
        "pinjam meminjam.",
        "Ketentuan ini berlaku sejak tanggal diundangkan dan mengikat semua pihak yang disebut di "
        "atas tanpa kecuali.",
        "Penjelasan lebih lanjut ada pada lampiran.",
    ]


def test_a_page_number_line_anywhere_is_dropped_but_section_numbers_stay() -> None:
    for number_line in ("- {n} -", "Page {n} of 4", "2020, No.1375 -{n}-"):
        pages = paragraphs(wide_pdf(number_line=number_line))
        text = "\n".join(p for page in pages for p in page)
        assert not re.search(r"^- \d -$|Page \d of|No\.1375", text, re.MULTILINE), number_line
        # "Pasal n" recurs on every page too, but its number does not follow the page's.
        assert [page[0] for page in pages] == ["Pasal 3", "Pasal 5", "Pasal 7", "Pasal 9"]


def test_a_repeated_line_whose_number_does_not_follow_the_page_is_kept() -> None:
    pages = paragraphs(wide_pdf(number_line="Tahun 2016"))  # a constant line: a running line
    assert all("Tahun 2016" not in p for page in pages for p in page)
    shifted = paragraphs(wide_pdf(number_line="Nomor {n}7"))  # 17, 27, 37: not in step
    assert all(page[0].startswith("Nomor") for page in shifted)


def test_the_lead_in_and_its_numbered_items_are_one_chunk() -> None:
    from ingest.readers.pdf import read_pdf as read

    chunks = split_pages(
        read(wide_pdf(pages=1), SETTINGS), INFO, "reg.pdf",
        chunk_size=1500, chunk_overlap=200, min_chars=0,
    )  # fmt: skip
    [listed] = [c for c in chunks if "yang dimaksud dengan" in c.text]
    assert "1. Otoritas" in listed.text and "2. Penyelenggara" in listed.text
