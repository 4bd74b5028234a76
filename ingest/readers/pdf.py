"""Read a PDF into one :class:`~ingest.readers.page.Page` of light Markdown per page.

The layout is rebuilt from where pypdf places each run of text: paragraphs apart by blank lines,
headings (told by their font) as ``#`` lines, running headers, footers and page numbers removed,
words hyphenated across lines joined, and a sentence that runs on to the next page kept in one
paragraph.

pypdf parses untrusted bytes, so a PDF is read within limits (pages, characters, decompressed
bytes) and every failure becomes one :class:`~ingest.readers.page.LoadError` naming the reason.
"""

from __future__ import annotations

import bisect
import io
import itertools
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ingest.readers.ocr import ocr_scanned_pages
from ingest.readers.page import LIST_MARKER, SENTENCE_END, LoadError, Page, join_lines
from ingest.readers.pdf_tables import LineFilter, find_tables
from ingest.readers.words import LINE_HYPHEN, repair_words

if TYPE_CHECKING:
    from core.settings import ReadingSettings, Settings

# Layout thresholds: each value was checked on the OECD and World Bank PDFs and the generated ones.
# The numbers a document's own statistics are compared with live in ReadingSettings.
# Two text runs belong to one line when their baselines are this many font sizes apart at most.
SAME_LINE = 0.5
# Headings are set at least this much larger than body text (the smallest heading step in the
# real PDFs is 12 pt over 10 pt), or in bold where body text is not.
HEADING_SIZE_RATIO = 1.15
# A cover's display type: a title and its series line differ in size by a fifth at most (the
# World Bank cover: 32.6 and 40.4 pt), its authors' names and dates are set far smaller.
TITLE_SIZE_SHARE = 0.75
MAX_TITLE_CHARS = 200
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
# Typographic default leading (1.2 type sizes), for a document with no two lines in a row to
# measure its own line step from.
DEFAULT_STEP = 1.2
# Gaps wider than this many type sizes are a jump (a figure, a page part) and say nothing about
# the leading: they are left out when the typical line step is measured.
MAX_STEP = 4.0
# A share of occurrences that makes a number in a repeated line constant, or in step with the
# page number; a few pages (a cover, a blank page) may break the pattern.
RUNNING_PATTERN_SHARE = 0.8
# Weight words PostScript font names carry ("Arial-BoldMT", "NoahGrotesque-Black").
_BOLD_FONT = re.compile(r"bold|black|heavy|demi|semibold", re.IGNORECASE)


class _TooMuchText(Exception):
    """Raised from inside pypdf's text visitor to stop a page that extracts without end."""


def read_pdf(raw: bytes, settings: Settings, lang: str | None = None) -> list[Page]:
    """The PDF's pages, scanned ones read by OCR (in ``lang``, the manifest's, when given);
    LoadError when none has text."""
    pages = load_pdf(raw, settings)
    tables = find_tables(raw, settings)  # on a PDF read within the limits above
    if tables:  # laid out again without the printed lines inside the tables, their rows added
        pages = tables.add_to(load_pdf(raw, settings, tables.drop_lines))
    pages = ocr_scanned_pages(raw, pages, settings.ocr, lang)
    if not any(p.text.strip() for p in pages):
        raise LoadError("PDF has no extractable text (scanned images?); OCR it first")
    return pages


def load_pdf(raw: bytes, settings: Settings, skip: LineFilter | None = None) -> list[Page]:
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
            return _pdf_pages(reader, settings, skip)
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
        return join_lines([line.text for line in self.lines], LINE_HYPHEN)

    @property
    def size(self) -> float:
        return max(line.size for line in self.lines)


def _pdf_pages(reader: Any, settings: Settings, skip: LineFilter | None = None) -> list[Page]:
    count = len(reader.pages)
    if count > settings.pdf_max_pages:
        raise LoadError(
            f"PDF has {count} pages, over the limit of {settings.pdf_max_pages} (SQA_PDF_MAX_PAGES)"
        )
    pages: list[list[_Line]] = []
    total = 0
    for number, page in enumerate(reader.pages, 1):
        lines = _page_lines(page, number, settings.pdf_max_page_chars, settings.reading.margin_band)
        if skip is not None:  # a table's lines: its rows are written apart
            lines = skip(number, lines)
        total += sum(len(line.text) for line in lines)
        if total > settings.pdf_max_chars:
            raise LoadError(
                f"PDF text is over {settings.pdf_max_chars:,} characters by page {number} "
                "(SQA_PDF_MAX_CHARS); not indexed"
            )
        pages.append(lines)
    return _layout(pages, settings.reading)


def _page_lines(page: Any, number: int, max_chars: int, margin_band: float) -> list[_Line]:
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
        line.margin = line.y < margin_band * height or line.y > (1 - margin_band) * height
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


def _layout(pages: list[list[_Line]], reading: ReadingSettings) -> list[Page]:
    """Lines of every page -> Pages of light Markdown (see the module docstring)."""
    sizes: Counter[float] = Counter()
    bold = 0
    for line in (ln for lines in pages for ln in lines):
        sizes[round(line.size * 2) / 2] += line.chars
        bold += line.chars if line.bold else 0
    body_size = sizes.most_common(1)[0][0] if sizes else 0.0
    body_is_bold = bold > 0.5 * sum(sizes.values())
    running = _running_lines(pages, body_size, reading)
    kept = [[ln for ln in lines if id(ln) not in running] for lines in pages]
    step = _line_steps(kept)
    measures = _Measures(step, body_size, body_is_bold, reading)
    blocks = [_blocks(lines, measures) for lines in kept]
    _mark_headings(blocks, body_size, body_is_bold)
    _join_across_pages(blocks, body_size)
    texts = repair_words([_page_text(page_blocks) for page_blocks in blocks], reading)
    title = _cover_title(kept[0], body_size) if kept else None
    return [Page(text, n, title=title if n == 1 else None) for n, text in enumerate(texts, 1)]


def _cover_title(lines: list[_Line], body_size: float) -> str | None:
    """The first page's display type, when it is larger than a heading's least size: every
    line set within ``TITLE_SIZE_SHARE`` of the largest size, top to bottom, a change of size
    marked with ": " ("REIMAGINING HUMAN CONNECTIONS: TECHNOLOGY AND INNOVATION IN EDUCATION
    AT THE WORLD BANK"). A PDF's own Title field is often a file name or a generic label
    ("World Bank Document", "OECD-LEGAL-0449-en-2faedcefa4d54e98")."""
    printed = [line for line in lines if not line.margin and any(c.isalpha() for c in line.text)]
    if not printed:
        return None
    largest = max(line.size for line in printed)
    if largest < HEADING_SIZE_RATIO * body_size:
        return None
    display = sorted(
        (line for line in printed if line.size >= TITLE_SIZE_SHARE * largest),
        key=lambda line: -line.y,
    )
    groups: list[list[str]] = []
    size = 0.0
    for line in display:
        if not groups or abs(line.size - size) > 0.5:
            groups.append([])
            size = line.size
        groups[-1].append(line.text)
    title = ": ".join(join_lines(group).rstrip(" :") for group in groups)
    return title if 3 <= len(title) <= MAX_TITLE_CHARS else None


def _margin_key(text: str) -> str:
    """A line as it repeats from page to page: lower case, no digits, no edge punctuation."""
    text = re.sub(r"\d+", "", text.lower())
    return re.sub(r"\s+", " ", text).strip(" .,:;|·•-–—()[]")


def _running_lines(
    pages: list[list[_Line]], body_size: float, reading: ReadingSettings
) -> set[int]:
    """Ids of the running headers and footers and the page numbers, to be dropped.

    In the margin band: a line that recurs (digits ignored) on ``running_share`` of the pages, a
    line with no letters ("7", "- 7 -") and a roman page number. Anywhere on the page: a short
    line that recurs on ``running_body_share`` of the pages with its numbers constant or in step
    with the page number ("2020, No.1375 -4-", "Page 3 of 28"), which "Pasal 5" is not.
    Heading-sized lines never count: a "Chapter 1", "Chapter 2" at the top of each page is
    structure, not a running head.
    """
    small = HEADING_SIZE_RATIO * body_size
    margin_keys: Counter[str] = Counter()
    seen: dict[str, list[tuple[int, list[int], _Line]]] = {}
    for number, lines in enumerate(pages, 1):
        margin_keys.update({_margin_key(ln.text) for ln in lines if ln.margin and ln.size < small})
        for ln in lines:
            text = " ".join(ln.text.lower().split())
            if ln.size < small and len(text) <= reading.running_max_chars:
                numbers = [int(d) for d in re.findall(r"\d{1,9}", text)]
                seen.setdefault(re.sub(r"\d{1,9}", "#", text), []).append((number, numbers, ln))
    need = max(reading.running_min_pages, math.ceil(reading.running_share * len(pages)))
    margin = {key for key, n in margin_keys.items() if key and n >= need}
    running = {
        id(ln)
        for lines in pages
        for ln in lines
        if ln.margin and _is_margin_noise(_margin_key(ln.text), margin)
    }
    need = max(reading.running_min_pages, math.ceil(reading.running_body_share * len(pages)))
    for occurrences in seen.values():
        if len({page for page, _, _ in occurrences}) >= need:
            running.update(id(ln) for ln in _in_step(occurrences, need))
    return running


def _is_margin_noise(key: str, running: set[str]) -> bool:
    """A running header or footer, or a page number ("7", "- 7 -", "iv") in the margin."""
    return key in running or not re.search(r"[^\W\d_]", key) or bool(re.fullmatch("[ivxlc]+", key))


def _in_step(occurrences: list[tuple[int, list[int], _Line]], need: int) -> list[_Line]:
    """The occurrences of one line pattern that are a running line: every number is the
    pattern's constant or the page number plus the pattern's offset (none when the numbers
    follow neither, as a section number such as "Pasal 5" does not), and the line stands where
    it stands on the other pages (body text that happens to repeat moves about the page).
    Empty unless ``need`` pages remain."""
    fits = [True] * len(occurrences)
    for slot in range(len(occurrences[0][1])):
        values = [nums[slot] for _, nums, _ in occurrences]
        offsets = [value - page for value, (page, _, _) in zip(values, occurrences, strict=True)]
        best: list[bool] | None = None
        for series in (values, offsets):
            common, n = Counter(series).most_common(1)[0]
            if n >= RUNNING_PATTERN_SHARE * len(series) and (series is values or n > 1):
                best = [v == common for v in series]
                break
        if best is None:
            return []
        fits = [a and b for a, b in zip(fits, best, strict=True)]
    heights = [ln.y / ln.size for _, _, ln in occurrences]
    usual = Counter(round(h) for h in heights).most_common(1)[0][0]
    fits = [ok and abs(h - usual) <= 1 for ok, h in zip(fits, heights, strict=True)]
    kept = [(page, ln) for ok, (page, _, ln) in zip(fits, occurrences, strict=True) if ok]
    return [ln for _, ln in kept] if len({page for page, _ in kept}) >= need else []


def _line_steps(pages: list[list[_Line]]) -> float:
    """The document's typical line step (baseline to baseline, in type sizes): the most common
    gap between two lines of one size where the first does not end a sentence, so the second
    goes on with it (the gap inside a paragraph). Paragraph gaps are judged against it, so a
    document set with wide spacing is read by its own measure, and one whose every paragraph is
    a single line is not taken for one with wide spacing. One step for the whole document: a
    size used only for a few labels has too few pairs to measure its own."""
    gaps: Counter[float] = Counter()
    for lines in pages:
        for prev, line in itertools.pairwise(lines):
            step = (prev.y - line.y) / line.size
            runs_on = not prev.text.strip().endswith(SENTENCE_END)
            same_size = abs(prev.size - line.size) <= 0.1 * line.size
            if runs_on and same_size and SAME_LINE < step <= MAX_STEP:
                gaps[round(step, 1)] += 1
    return gaps.most_common(1)[0][0] if gaps else DEFAULT_STEP


def _size_key(size: float) -> float:
    return round(size * 2) / 2


@dataclass(frozen=True)
class _Measures:
    """The document's own measures that a page's lines are grouped by."""

    step: float  # the typical line step, in type sizes
    body_size: float
    body_is_bold: bool
    reading: ReadingSettings

    def styled(self, line: _Line) -> bool:
        """Set apart from body text (larger, or bold where body text is not): a heading's
        line, whose breaks a designer chooses."""
        larger = line.size >= HEADING_SIZE_RATIO * self.body_size
        return larger or (line.bold and not self.body_is_bold)


def _blocks(lines: list[_Line], measures: _Measures) -> list[_Block]:
    """Group a page's lines into paragraphs (see :func:`_starts_block`)."""
    full = _full_lengths(lines, measures.reading)
    blocks: list[_Block] = []
    prev: _Line | None = None
    for line in lines:
        if prev is None or _starts_block(prev, line, measures, full[id(prev)]):
            blocks.append(_Block([line]))
        else:
            blocks[-1].lines.append(line)
        prev = line
    return blocks


def _full_lengths(lines: list[_Line], reading: ReadingSettings) -> dict[int, float]:
    """How wide a full line is where each line starts (by line id), in characters x type size
    (:func:`_width`: a title in larger type holds fewer characters in the same measure).

    Lines that start at one indent (three or more) give the 90th percentile of their widths,
    unless those are short themselves: then they are centred titles or labels, measured like a
    line starting where few do, against all lines that start at or left of it (the text column
    it sits in; for a second column, both)."""
    by_start: dict[float, list[float]] = {}
    for line in lines:
        by_start.setdefault(round(line.x / line.size), []).append(_width(line.text, line.size))
    at_start = {key: _p90(sorted(n)) for key, n in by_start.items() if len(n) >= 3}
    full: dict[int, float] = {}
    seen: list[float] = []
    ordered = sorted(lines, key=lambda ln: ln.x)
    j = 0
    for line in ordered:
        reach = line.x + reading.indent_ems * line.size
        while j < len(ordered) and ordered[j].x <= reach:
            bisect.insort(seen, _width(ordered[j].text, ordered[j].size))
            j += 1
        column = _p90(seen)
        own = at_start.get(round(line.x / line.size), 0)
        full[id(line)] = own if own >= reading.short_line_share * column else column
    return full


def _p90(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def _width(text: str, size: float) -> float:
    """A line's printed width, estimated from its characters (pypdf gives where a run starts,
    not where it ends): characters x type size."""
    return len(text.strip()) * size


def _starts_block(prev: _Line, line: _Line, measures: _Measures, full: float) -> bool:
    """A new paragraph starts at a gap wider than the document's line step, a jump back up the
    page (another column or a box), a change of type size or weight, or a list marker; and,
    where the gap says nothing (a document set with even spacing), after a sentence that ends
    on a short line or before an indented or outdented line, and after a short line that the
    next does not continue (a title, a label). ``full`` is the width of a full line where
    ``prev`` stands."""
    reading = measures.reading
    size = max(prev.size, line.size)
    if (
        prev.y - line.y > reading.paragraph_gap_ratio * measures.step * size
        or line.y - prev.y > SAME_LINE * size
        or abs(line.size - prev.size) > (HEADING_SIZE_RATIO - 1) * size
        or line.bold != prev.bold
        or LIST_MARKER.match(line.text)
    ):
        return True
    if measures.styled(prev):  # a heading wraps where its designer balanced it
        return False
    before, after = prev.text.strip(), line.text.strip()
    room = reading.short_line_share * full
    if before.endswith(SENTENCE_END):
        return _width(before, prev.size) < room or abs(line.x - prev.x) > reading.indent_ems * size
    # A line that stopped although the next one's first word would have fitted was ended by
    # its author (a title, a label), unless the next line plainly goes on with it.
    ended = _width(before, prev.size) + (len(after.split(" ", 1)[0]) + 1) * line.size < room
    continues = before.endswith((",", "-", "–", "/", "(")) or after[:1].islower()
    return ended and not continues


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
    return _size_key(block.size)  # half points: sizes from one style differ by rounding


def _join_across_pages(pages: list[list[_Block]], body_size: float) -> None:
    """A paragraph whose sentence runs on over a page break stays whole, on its first page."""
    for before, after in itertools.pairwise(pages):
        if not after or after[0].heading or not after[0].text[:1].islower():
            continue
        if LIST_MARKER.match(after[0].text):  # "b. bagi ...": the next item, not a run-on
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
