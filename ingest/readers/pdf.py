"""Read a PDF into one :class:`~ingest.readers.page.Page` of light Markdown per page.

The layout is rebuilt from where pypdf places each run of text: paragraphs apart by blank lines,
headings (told by their font) as ``#`` lines, running headers, footers and page numbers removed,
words hyphenated across lines joined, and a sentence that runs on to the next page kept in one
paragraph.

pypdf parses untrusted bytes, so a PDF is read within limits (pages, characters, decompressed
bytes) and every failure becomes one :class:`~ingest.readers.page.LoadError` naming the reason.
"""

from __future__ import annotations

import io
import itertools
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ingest.readers.ocr import ocr_scanned_pages
from ingest.readers.page import LIST_MARKER, SENTENCE_END, LoadError, Page

if TYPE_CHECKING:
    from core.settings import Settings

# Layout thresholds: each value was checked on the OECD and World Bank PDFs and the generated ones.
# Running heads and feet sit in the outer inch of a page (1 in of an 11 in page is 9%); 12% leaves
# room for wider margins and stays clear of body text, which starts 13% or more from the edge.
MARGIN_BAND = 0.12
# A line in that band that recurs (digits ignored, so page numbers don't count) on this share of
# pages, and on at least RUNNING_MIN_PAGES of them, is a running header or footer. On two pages a
# repeated line is as likely a title on the cover and again on the title page.
RUNNING_SHARE = 0.3
RUNNING_MIN_PAGES = 3
# Lines in one paragraph are set 1.1-1.45 font sizes apart (typographic leading); a wider step is
# the gap between paragraphs (about 2 font sizes in both real PDFs).
PARAGRAPH_GAP = 1.6
# Two text runs belong to one line when their baselines are this many font sizes apart at most.
SAME_LINE = 0.5
# Headings are set at least this much larger than body text (the smallest heading step in the
# real PDFs is 12 pt over 10 pt), or in bold where body text is not.
HEADING_SIZE_RATIO = 1.15
# A heading is short (two lines of a page-wide column at most); a larger-type block of more
# lines is a pull quote or a display paragraph.
MAX_HEADING_CHARS = 160
MAX_HEADING_LINES = 3
# Type twice the body size or more is display type (a cover, a divider page, a pull quote), not a
# level of the document's structure: it is kept as text.
DISPLAY_SIZE_RATIO = 2.0
# A "heading" whose next block is a single line of fewer words than this labels a figure or a
# diagram (its neighbours are more labels), not a section: it is kept as text.
LABEL_WORDS = 4
# Weight words PostScript font names carry ("Arial-BoldMT", "NoahGrotesque-Black").
_BOLD_FONT = re.compile(r"bold|black|heavy|demi|semibold", re.IGNORECASE)


class _TooMuchText(Exception):
    """Raised from inside pypdf's text visitor to stop a page that extracts without end."""


def read_pdf(raw: bytes, settings: Settings, lang: str | None = None) -> list[Page]:
    """The PDF's pages, scanned ones read by OCR (in ``lang``, the manifest's, when given);
    LoadError when none has text."""
    pages = ocr_scanned_pages(raw, load_pdf(raw, settings), settings.ocr, lang)
    if not any(p.text.strip() for p in pages):
        raise LoadError("PDF has no extractable text (scanned images?); OCR it first")
    return pages


def load_pdf(raw: bytes, settings: Settings) -> list[Page]:
    """Pages of a PDF, or LoadError: any failure of pypdf on hostile or broken input is caught.

    pypdf parses untrusted bytes and can raise nearly anything (its own errors, including
    LimitReachedError, but also ValueError, KeyError, RecursionError, zlib errors ...), so every
    exception of the parse is turned into one line for this file, never a traceback.
    """
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import FileNotDecryptedError, LimitReachedError

    limit = settings.pdf_max_stream_bytes
    # pypdf logs what it repaired ("EOF marker not found") with no file name, between the build's
    # one-line-per-file errors; a file it cannot read still raises and is reported as ours.
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        with apply_configuration(
            maximum_declared_stream_length=limit,
            array_based_stream_maximum_output_length=limit,
            zlib_maximum_output_length=limit,
            lzw_maximum_output_length=limit,
            run_length_maximum_output_length=limit,
            brotli_maximum_output_length=limit,
            jbig2_maximum_output_length=limit,
            image_maximum_buffer_size=limit,
            stream_decoding_work_maximum_length=4 * limit,
        ):
            reader = PdfReader(io.BytesIO(raw))
            _decrypt(reader)
            return _pdf_pages(reader, settings)
    except LoadError:
        raise
    except FileNotDecryptedError as exc:
        raise LoadError("encrypted PDF: it needs a password; save an unencrypted copy") from exc
    except LimitReachedError as exc:
        raise LoadError(
            f"PDF goes over a safety limit while being read ({_one_line(exc)}); not indexed"
        ) from exc
    except MemoryError as exc:
        raise LoadError("PDF needs too much memory to read; not indexed") from exc
    except Exception as exc:
        raise LoadError(f"corrupt or unreadable PDF: {_one_line(exc)}") from exc
    finally:
        pypdf_log.setLevel(level)


def _one_line(exc: BaseException) -> str:
    # pypdf joins several complaints with newlines; the build reports one line per file.
    reason = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return reason[:300] or type(exc).__name__


def _decrypt(reader: Any) -> None:
    from pypdf.errors import DependencyError

    if not reader.is_encrypted:
        return
    # Many PDFs are "encrypted" with an empty user password only to restrict printing.
    try:
        ok = reader.decrypt("")
    except (NotImplementedError, DependencyError) as exc:
        raise LoadError(f"encrypted PDF that cannot be opened here: {_one_line(exc)}") from exc
    if not ok:
        raise LoadError("encrypted PDF: it needs a password; save an unencrypted copy")


@dataclass
class _Line:
    """One printed line: where it starts, its type size, how much of it is bold, its text."""

    x: float
    y: float  # baseline, in points above the bottom of the page
    size: float
    text: str = ""
    bold_chars: int = 0
    chars: int = 0
    margin: bool = False  # in the band at the top or bottom where running heads and feet sit

    @property
    def bold(self) -> bool:
        return self.chars > 0 and self.bold_chars >= 0.9 * self.chars


@dataclass
class _Block:
    lines: list[_Line]
    heading: bool = False
    level: int = 0

    @property
    def text(self) -> str:
        return _join_lines([line.text for line in self.lines])

    @property
    def size(self) -> float:
        return max(line.size for line in self.lines)


def _pdf_pages(reader: Any, settings: Settings) -> list[Page]:
    count = len(reader.pages)
    if count > settings.pdf_max_pages:
        raise LoadError(
            f"PDF has {count} pages, over the limit of {settings.pdf_max_pages} (SQA_PDF_MAX_PAGES)"
        )
    pages: list[list[_Line]] = []
    total = 0
    for number, page in enumerate(reader.pages, 1):
        lines = _page_lines(page, number, settings.pdf_max_page_chars)
        total += sum(len(line.text) for line in lines)
        if total > settings.pdf_max_chars:
            raise LoadError(
                f"PDF text is over {settings.pdf_max_chars:,} characters by page {number} "
                "(SQA_PDF_MAX_CHARS); not indexed"
            )
        pages.append(lines)
    return _layout(pages)


def _page_lines(page: Any, number: int, max_chars: int) -> list[_Line]:
    """The page's printed lines in content order, from pypdf's text runs and their positions."""
    box = page.mediabox
    bottom, height = float(box.bottom), float(box.height) or 1.0
    lines: list[_Line] = []
    current: _Line | None = None
    seen = 0

    def visit(text: str, cm: Any, tm: Any, font: Any, font_size: Any) -> None:
        nonlocal current, seen
        if not text:
            return
        seen += len(text)
        if seen > max_chars:
            raise _TooMuchText
        a, b, c, d, e, f = _matrix(tm, cm)
        size = float(font_size or 0) * math.sqrt(abs(a * d - b * c)) or 1.0
        y = f - bottom
        bold = _is_bold(font)
        for i, piece in enumerate(text.split("\n")):
            if i:
                # A run that goes on past a newline: the next line is one line lower.
                y = (current.y if current else y) - 1.2 * size
                current = None
            if not piece:
                continue
            visible = piece.strip()
            apart = current is not None and abs(y - current.y) > SAME_LINE * size
            if current is None or (visible and current.chars and apart):
                current = _Line(e, y, size)
                lines.append(current)
            elif visible and not current.chars:  # leading spaces: the line starts here
                current.x, current.y, current.size = e, y, size
            current.text += piece
            if visible:
                n = len(visible)
                current.size = max(current.size, size) if current.chars else size
                current.chars += n
                current.bold_chars += n if bold else 0

    try:
        page.extract_text(visitor_text=visit)
    except _TooMuchText:
        raise LoadError(
            f"page {number} extracts over {max_chars:,} characters (SQA_PDF_MAX_PAGE_CHARS): "
            "a hostile or broken PDF; not indexed"
        ) from None
    for line in lines:
        line.margin = line.y < MARGIN_BAND * height or line.y > (1 - MARGIN_BAND) * height
    return [line for line in lines if line.text.strip()]


def _matrix(tm: Any, cm: Any) -> tuple[float, float, float, float, float, float]:
    """tm x cm: the text position and scale on the page."""
    a, b, c, d, e, f = (float(v) for v in tm)
    p, q, r, s, t, u = (float(v) for v in cm)
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t,
            e * q + f * s + u)  # fmt: skip


def _is_bold(font: Any) -> bool:
    try:
        name = str(font.get("/BaseFont", "")) if font is not None else ""
    except Exception:  # a hostile font dictionary is no reason to lose the page
        return False
    return bool(_BOLD_FONT.search(name))


def _layout(pages: list[list[_Line]]) -> list[Page]:
    """Lines of every page -> Pages of light Markdown (see the module docstring)."""
    sizes: Counter[float] = Counter()
    bold = 0
    for line in (ln for lines in pages for ln in lines):
        sizes[round(line.size * 2) / 2] += line.chars
        bold += line.chars if line.bold else 0
    body_size = sizes.most_common(1)[0][0] if sizes else 0.0
    body_is_bold = bold > 0.5 * sum(sizes.values())
    running = _running_lines(pages, body_size)
    kept = [[ln for ln in lines if not _is_margin_noise(ln, running)] for lines in pages]
    blocks = [_blocks(lines) for lines in kept]
    _mark_headings(blocks, body_size, body_is_bold)
    _join_across_pages(blocks, body_size)
    return [Page(_page_text(page_blocks), n) for n, page_blocks in enumerate(blocks, 1)]


def _margin_key(text: str) -> str:
    """A line as it repeats from page to page: lower case, no digits, no edge punctuation."""
    text = re.sub(r"\d+", "", text.lower())
    return re.sub(r"\s+", " ", text).strip(" .,:;|·•-–—()[]")


def _running_lines(pages: list[list[_Line]], body_size: float) -> set[str]:
    """Keys of margin lines that recur on enough pages. Heading-sized lines never count: a
    "Chapter 1", "Chapter 2" at the top of each page is structure, not a running head."""
    counts: Counter[str] = Counter()
    small = HEADING_SIZE_RATIO * body_size
    for lines in pages:
        counts.update({_margin_key(ln.text) for ln in lines if ln.margin and ln.size < small})
    need = max(RUNNING_MIN_PAGES, math.ceil(RUNNING_SHARE * len(pages)))
    return {key for key, n in counts.items() if key and n >= need}


def _is_margin_noise(line: _Line, running: set[str]) -> bool:
    """A running header or footer, or a page number ("7", "- 7 -", "iv") in the margin."""
    if not line.margin:
        return False
    key = _margin_key(line.text)
    return key in running or not re.search(r"[^\W\d_]", key) or bool(re.fullmatch("[ivxlc]+", key))


def _blocks(lines: list[_Line]) -> list[_Block]:
    """Group a page's lines into paragraphs: a wide gap, a jump back up the page (another column
    or a box), a change of type size or weight, or a list marker starts a new one."""
    blocks: list[_Block] = []
    prev: _Line | None = None
    for line in lines:
        if prev is None or _starts_block(prev, line):
            blocks.append(_Block([line]))
        else:
            blocks[-1].lines.append(line)
        prev = line
    return blocks


def _starts_block(prev: _Line, line: _Line) -> bool:
    size = max(prev.size, line.size)
    return (
        prev.y - line.y > PARAGRAPH_GAP * size
        or line.y - prev.y > SAME_LINE * size
        or abs(line.size - prev.size) > (HEADING_SIZE_RATIO - 1) * size
        or line.bold != prev.bold
        or bool(LIST_MARKER.match(line.text))
    )


def _join_lines(lines: list[str]) -> str:
    """One paragraph from its printed lines: a word hyphenated at a line end is joined again."""
    out = ""
    for raw in lines:
        line = re.sub(r"\s+", " ", raw.replace("\u00ad", "-")).strip()
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out = out[:-1] + line  # "develop-" + "ment"
        elif out.endswith(("-", "/")):
            out += line  # "COVID-19-" + "related", "www.example.org/" + "path"
        else:
            out = f"{out} {line}" if out else line
    return out


def _mark_headings(pages: list[list[_Block]], body_size: float, body_is_bold: bool) -> None:
    """Blocks set larger than body text, or bold where body text is not, short and not ending
    like a sentence, are headings; larger type is a higher level (level 1 the largest).

    A "heading" followed by another of the same or a higher level, with no text of its own, or
    by a few words on one line, is a label (of a figure, a diagram, a QR code) and stays text.
    """
    order = [b for blocks in pages for b in blocks]
    for block in order:
        text = block.text
        larger = block.size >= HEADING_SIZE_RATIO * body_size
        bolder = not body_is_bold and all(line.bold for line in block.lines)
        block.heading = bool(
            (larger or bolder)
            and block.size < DISPLAY_SIZE_RATIO * body_size
            and len(block.lines) <= MAX_HEADING_LINES
            and len(text) <= MAX_HEADING_CHARS
            and re.search(r"[^\W\d_]", text)
            and not text.endswith((*SENTENCE_END, ","))
        )
    steps = sorted({_size_step(b) for b in order if b.heading}, reverse=True)
    for block in order:
        if block.heading:
            block.level = min(steps.index(_size_step(block)) + 1, 6)
    for block, after in itertools.pairwise(order):
        if not block.heading:
            continue
        if (after.heading and after.level <= block.level) or _is_label(after):
            block.heading = False


def _is_label(block: _Block) -> bool:
    """A few words on one line that neither head a section nor lead into what follows."""
    text = block.text
    return (
        not block.heading
        and len(block.lines) == 1
        and len(text.split()) < LABEL_WORDS
        and not text.endswith(":")
    )


def _size_step(block: _Block) -> float:
    return round(block.size * 2) / 2  # half points: sizes from one style differ by rounding


def _join_across_pages(pages: list[list[_Block]], body_size: float) -> None:
    """A paragraph whose sentence runs on over a page break stays whole, on its first page."""
    for before, after in itertools.pairwise(pages):
        if not after or after[0].heading or not after[0].text[:1].islower():
            continue
        body = [b for b in before if not b.heading and abs(b.size - body_size) <= 0.1 * body_size]
        if body and not body[-1].text.endswith(SENTENCE_END):
            body[-1].lines.extend(after.pop(0).lines)


def _page_text(blocks: list[_Block]) -> str:
    parts = []
    for block in blocks:
        text = block.text
        if block.heading:
            parts.append(f"{'#' * block.level} {text}")
        else:  # a line that only looks like a Markdown heading stays text
            parts.append("\\" + text if text.startswith("#") else text)
    return "\n\n".join(p for p in parts if p.strip())
