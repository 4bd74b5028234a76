"""Read PDF pages that have no text layer (scans) with tesseract.

:func:`ocr_scanned_pages` is the PDF reader's hook: a page whose text layer is (nearly) empty
while images cover it is rendered by PDFium at a bounded resolution and read by the
``tesseract`` command (one thread, a time bound per page and per file). Its TSV output gives
blocks, paragraphs, lines and words with boxes; paragraphs become the same light Markdown the
PDF reader writes (blank-line separated), and the words keep their boxes (as fractions of the
page) for the page viewer's highlight. Words tesseract misread are mended once the file's pages
are read (:func:`mended`, ingest/readers/ocr_lexicon.py); the page cache keeps them as read.

The language is the manifest's ``lang`` for the document when it gives one; otherwise the first
scanned page is read with English, and the language of what it says (py3langid) picks the
model, or, when English reads it badly, the most confident of the Japanese and Chinese models.

Where tesseract is missing, scanned pages are kept empty and marked skipped with
:data:`MISSING`; a file with no other text fails with that reason. OCR time is bounded per page,
per file and per build (:func:`build_ocr_budget`, set by the build around its reading): pages
past the build's bound are marked :data:`OUT_OF_BUILD_TIME`, and the build goes on.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import astuple, dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.ocr_words import OcrPage, OcrWord
from core.text import detect_language
from ingest.readers.ocr_cache import CachedPage, OcrPageCache
from ingest.readers.ocr_lexicon import (
    MENDING_RULES,
    UNSPACED_MODELS,
    mend_misreads,
    model_words,
)
from ingest.readers.page import LoadError, Page, join_lines
from ingest.readers.words import mend_numbers

if TYPE_CHECKING:
    from core.settings import OcrSettings

MISSING = "tesseract is not installed; run scripts/install-ocr"
OUT_OF_BUILD_TIME = "the build's OCR time ran out (SQA_OCR__BUILD_TIMEOUT_S)"
# The manifest's language codes -> tesseract's models (Debian's tesseract-ocr-<lang> packages).
TESSERACT_LANGS = {"en": "eng", "id": "ind", "ja": "jpn", "zh": "chi_sim"}
# Models tried when English reads a page badly (another script).
OTHER_SCRIPTS = ("jpn", "chi_sim")
_POINTS_PER_INCH = 72.0
_TSV_WORD_LEVEL = 5
_QUOTED = re.compile(r'"([^"]+)"')


@dataclass(frozen=True)
class TsvWord:
    """One word of tesseract's TSV: where it sits in the page's structure, its box in pixels."""

    block: int
    paragraph: int
    line: int
    left: int
    top: int
    width: int
    height: int
    confidence: float
    text: str


def needs_ocr(
    text: str, width_pt: float, height_pt: float, image_share: float, s: OcrSettings
) -> bool:
    """A page needs OCR when its text layer is (nearly) empty for its area and images cover it."""
    area = max(width_pt * height_pt, 1.0) / (_POINTS_PER_INCH * _POINTS_PER_INCH)
    chars = len("".join(text.split()))
    return chars / area < s.max_chars_per_sq_inch and image_share >= s.min_image_share


def tesseract_lang(manifest_lang: str | None, installed: Sequence[str]) -> str | None:
    """The tesseract model for a manifest language code ('en', 'id-ID', 'zh'), when installed."""
    if not manifest_lang:
        return None
    model = TESSERACT_LANGS.get(manifest_lang.split("-")[0].lower())
    return model if model in installed else None


def parse_tsv(tsv: str) -> list[TsvWord]:
    """The words of tesseract's TSV output (level 5 rows with text), in reading order."""
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        try:
            if int(row["level"]) != _TSV_WORD_LEVEL or not (row.get("text") or "").strip():
                continue
            words.append(
                TsvWord(
                    int(row["block_num"]),
                    int(row["par_num"]),
                    int(row["line_num"]),
                    int(row["left"]),
                    int(row["top"]),
                    int(row["width"]),
                    int(row["height"]),
                    float(row["conf"]),
                    row["text"].strip(),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue  # a malformed row is skipped, not the page
    return words


@dataclass(frozen=True)
class OcrParagraph:
    text: str
    top: float  # fractions of the page's height, from its top
    bottom: float


def paragraphs(words: list[TsvWord], height: int) -> list[OcrParagraph]:
    """Paragraphs as tesseract found them (block, then paragraph), lines joined as the PDF reader
    joins printed lines (a word hyphenated at a line end is joined again), with where they sit
    on a page image ``height`` pixels high. A paragraph of no letters (a page number, "- 2 -",
    scan specks) is dropped."""
    grouped: dict[tuple[int, int], list[TsvWord]] = {}
    for word in words:
        grouped.setdefault((word.block, word.paragraph), []).append(word)
    out = []
    for group in grouped.values():
        lines: dict[int, list[str]] = {}
        for word in group:
            lines.setdefault(word.line, []).append(word.text)
        text = join_lines([" ".join(line) for line in lines.values()])
        if any(ch.isalpha() for ch in text):
            top = min(w.top for w in group) / max(height, 1)
            bottom = max(w.top + w.height for w in group) / max(height, 1)
            out.append(OcrParagraph("\\" + text if text.startswith("#") else text, top, bottom))
    return out


def running_heads(pages: list[list[OcrParagraph]], s: OcrSettings) -> set[tuple[int, int]]:
    """(page, paragraph) indexes of running heads and feet: a page's topmost or bottommost
    paragraph that recurs as another page's topmost or bottommost, as OCR read it (so alike,
    not equal: "PRESIDEN REPUBLIK INDONESIA" is also read "PRESIDEN REPUBLIK IND ORESIS"), on
    ``running_min_pages`` pages or more. Not a band of the page: on a scan the head may sit
    under a letterhead, a fifth of the way down."""
    edges = []
    for p, page in enumerate(pages):
        if page:
            top = min(range(len(page)), key=lambda i: page[i].top)
            bottom = max(range(len(page)), key=lambda i: page[i].bottom)
            edges += [(p, i, page[i].text.casefold()) for i in {top, bottom}]
    found = set()
    for p, i, text in edges:
        alike = {
            q
            for q, _, other in edges
            if q != p and SequenceMatcher(None, text, other).ratio() >= s.running_similarity
        }
        if len(alike) + 1 >= s.running_min_pages:
            found.add((p, i))
    return found


def page_markdown(page: list[OcrParagraph]) -> str:
    return "\n\n".join(par.text for par in page)


def mean_confidence(words: Sequence[TsvWord | OcrWord]) -> float:
    scores = [w.confidence for w in words if w.confidence >= 0]
    return sum(scores) / len(scores) if scores else 0.0


@functools.lru_cache(maxsize=8)
def list_langs(binary: str) -> tuple[Path | None, tuple[str, ...]]:
    """``tesseract --list-langs``, asked once per process: the folder its first line names
    (where the models are) and the installed models; (None, ()) when tesseract is not there."""
    path = shutil.which(binary)
    if path is None:
        return None, ()
    try:
        done = subprocess.run(
            [path, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None, ()
    lines = (done.stdout or "").splitlines()
    folder = _QUOTED.search(lines[0]) if lines else None
    models = sorted(ln.strip() for ln in lines[1:] if ln.strip() and ln.strip() != "osd")
    return (Path(folder.group(1)) if folder else None), tuple(models)


def installed_languages(binary: str) -> tuple[str, ...]:
    """tesseract's installed models, () when tesseract is not there."""
    return list_langs(binary)[1]


def word_lists(s: OcrSettings) -> dict[str, frozenset[str]]:
    """The word list of each installed model of a spaced script, by model (a model without
    one is left out): what misreads are mended from."""
    tessdata, models = list_langs(s.tesseract)
    return {
        m: listed
        for m in models
        if m not in UNSPACED_MODELS and (listed := model_words(tessdata, m))
    }


@functools.lru_cache(maxsize=8)
def _version(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        return ""
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    first = (done.stdout or done.stderr or "").splitlines()
    return first[0].strip() if first else ""


def ocr_identity(s: OcrSettings) -> str:
    """What decides OCR's text (a change re-reads the corpus): tesseract's version, its models
    and the resolution; "none" when it is off or missing, so installing it re-reads scans."""
    langs = installed_languages(s.tesseract)
    if not s.enabled or not langs:
        return "none"
    return f"{_version(s.tesseract)} ({' '.join(langs)}) {s.dpi} dpi"


def mending_identity(s: OcrSettings) -> str:
    """What decides how OCR's misreads are mended, and whether they can be: the rules, the bar
    and the models whose word lists were read (a change rebuilds the corpus; scanned pages come
    from the OCR page cache, which holds the words as tesseract read them)."""
    if not s.mend_misreads or ocr_identity(s) == "none":
        return "off"
    listed = " ".join(word_lists(s)) or "none"
    return f"{MENDING_RULES}, below {s.mend_below:g}, word lists: {listed}"


@dataclass
class OcrBudget:
    """OCR seconds one build may spend over all its files, and how many it has spent."""

    seconds: float
    spent: float = 0.0

    @property
    def left(self) -> float:
        return self.seconds - self.spent


# The build's budget while it reads its files (reading runs in the build's own thread); the PDF
# reader's OCR hook takes no build state, so it is found here. None outside a build: no bound.
_BUILD_BUDGET: ContextVar[OcrBudget | None] = ContextVar("ocr_build_budget", default=None)


@contextmanager
def build_ocr_budget(seconds: float) -> Iterator[OcrBudget]:
    """Bound the OCR time of everything read inside the block to ``seconds`` in all."""
    budget = OcrBudget(seconds)
    token = _BUILD_BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUILD_BUDGET.reset(token)


_PAGE_CACHE: ContextVar[OcrPageCache | None] = ContextVar("ocr_page_cache", default=None)


@contextmanager
def ocr_page_cache(cache: OcrPageCache) -> Iterator[OcrPageCache]:
    """Pages read by OCR inside the block are taken from, and added to, ``cache``."""
    token = _PAGE_CACHE.set(cache)
    try:
        yield cache
    finally:
        _PAGE_CACHE.reset(token)


class _OutOfTime(TimeoutError):
    """tesseract was stopped by what the file's or the build's OCR bound left, not the page's."""


class _Tesseract:
    """Runs tesseract on rendered page images: one thread (OpenMP threads only fight each other
    on a busy machine: 5 s against 30 s a page measured here), a timeout per page."""

    def __init__(self, s: OcrSettings) -> None:
        self.settings = s
        self.path = shutil.which(s.tesseract) or s.tesseract
        self.env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def read(self, png: bytes, lang: str, dpi: int, time_left: float) -> list[TsvWord]:
        """Words of one page image, stopped after the page's bound or ``time_left`` (what the
        file's and the build's bounds leave), whichever is less; raises TimeoutError or
        RuntimeError saying why not."""
        command = [self.path, "stdin", "stdout", "-l", lang, "--dpi", str(dpi), "tsv"]
        timeout = max(0.01, min(self.settings.page_timeout_s, time_left))
        try:
            done = subprocess.run(
                command,
                input=png,
                capture_output=True,
                timeout=timeout,
                env=self.env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            if timeout < self.settings.page_timeout_s:
                raise _OutOfTime from exc
            raise TimeoutError(f"OCR took over {self.settings.page_timeout_s:g} s") from exc
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"tesseract failed: {reason[-1][:200] if reason else 'no reason'}")
        return parse_tsv(done.stdout.decode("utf-8", "replace"))


@dataclass
class _Rendered:
    png: bytes
    width: int
    height: int
    dpi: int


def _render(page: Any, s: OcrSettings) -> _Rendered:
    """The page in grey at s.dpi, or smaller when that would pass s.max_pixels."""
    width, height = page.get_size()
    scale = s.dpi / _POINTS_PER_INCH
    if width * height * scale * scale > s.max_pixels:
        scale = 0.99 * (s.max_pixels / max(width * height, 1.0)) ** 0.5
    image = page.render(scale=scale, grayscale=True, may_draw_forms=False).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return _Rendered(out.getvalue(), image.width, image.height, round(scale * _POINTS_PER_INCH))


def _image_share(page: Any) -> float:
    """How much of the page its images cover (overlapping images count twice)."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    covered = 0.0
    for obj in page.get_objects(max_depth=2):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            left, bottom, right, top = obj.get_bounds()
            covered += max(0.0, right - left) * max(0.0, top - bottom)
    return covered / max(width * height, 1.0)


def _scanned(page: Page, pdf: Any, index: int, s: OcrSettings) -> bool:
    """Whether page ``index`` needs OCR; a page PDFium cannot load (a damaged PDF that pypdf
    could still read) does not."""
    import pypdfium2 as pdfium

    try:
        pdf_page = pdf[index]
        width, height = pdf_page.get_size()
        return needs_ocr(page.text, width, height, _image_share(pdf_page), s)
    except pdfium.PdfiumError:
        return False


def choose_language(
    first_pass: list[TsvWord], installed: Sequence[str], s: OcrSettings
) -> str | None:
    """After a first pass with English: the Latin-script model for the language the text is in
    (None when it is English), or None to try the other scripts (English read it badly)."""
    if mean_confidence(first_pass) < s.latin_confidence:
        return None
    detected = detect_language(" ".join(w.text for w in first_pass))
    model = TESSERACT_LANGS.get(detected, "eng")
    return model if model in installed and model not in OTHER_SCRIPTS else "eng"


def _words_with_boxes(words: list[TsvWord], width: int, height: int) -> tuple[OcrWord, ...]:
    w, h = float(width), float(height)
    return tuple(
        OcrWord(
            word.text,
            (
                round(word.left / w, 5),
                round(word.top / h, 5),
                round((word.left + word.width) / w, 5),
                round((word.top + word.height) / h, 5),
            ),
            round(word.confidence, 1),
        )
        for word in words
    )


@dataclass(frozen=True)
class PageRead:
    """One scanned page as tesseract read it (or why it was not: ``skipped``)."""

    number: int
    lang: str = ""
    width: int = 0
    height: int = 0
    words: list[TsvWord] = field(default_factory=list)
    seconds: float = 0.0  # 0 when it came from the cache
    skipped: str | None = None
    mended: int = 0  # words mended (:func:`mended`)

    def result(self) -> tuple[list[OcrParagraph], OcrPage]:
        """Its paragraphs and what the build reports and the page viewer highlights."""
        if self.skipped is not None:
            return [], OcrPage(self.number, skipped=self.skipped)
        confidence = round(mean_confidence(self.words), 1)
        boxes = _words_with_boxes(self.words, self.width, self.height)
        ocr = OcrPage(self.number, self.lang, confidence, self.seconds, boxes, mended=self.mended)
        return paragraphs(self.words, self.height), ocr


def mended(pages: list[PageRead], s: OcrSettings) -> list[PageRead]:
    """The file's pages with the words OCR misread mended (ingest/readers/ocr_lexicon.py), the
    words of all its pages read in one language together; a page's boxes stay."""
    groups: dict[str, list[int]] = {}
    for i, page in enumerate(pages):
        if page.words and page.lang not in UNSPACED_MODELS:
            groups.setdefault(page.lang, []).append(i)
    unsure = (w for same in groups.values() for i in same for w in pages[i].words)
    if not s.mend_misreads or not any(w.confidence < s.mend_below for w in unsure):
        return pages
    lists = word_lists(s)
    out = list(pages)
    for model, same in groups.items():
        if model not in lists:
            continue
        other = frozenset().union(*(listed for m, listed in lists.items() if m != model))
        words = [w for i in same for w in pages[i].words]
        texts = iter(
            mend_misreads(
                [w.text for w in words],
                [w.confidence for w in words],
                lists[model],
                s.mend_below,
                other,
            )
        )
        for i in same:
            fixed = [
                w if w.text == (t := next(texts)) else replace(w, text=t) for w in pages[i].words
            ]
            changed = sum(a is not b for a, b in zip(fixed, pages[i].words, strict=True))
            out[i] = replace(pages[i], words=fixed, mended=changed)
    return out


class _FileReader:
    """OCR of one file's scanned pages, in one language chosen once for the file."""

    def __init__(
        self, s: OcrSettings, installed: Sequence[str], lang: str | None, raw: bytes
    ) -> None:
        self.settings = s
        self.installed = installed
        self.lang = tesseract_lang(lang, installed)
        self.tesseract = _Tesseract(s)
        self.started = time.monotonic()
        self.cache = _PAGE_CACHE.get()
        # What names a page in the cache: the file's bytes, the OCR identity, the language.
        self.cache_name = (
            (hashlib.sha256(raw).hexdigest(), ocr_identity(s), lang)
            if self.cache is not None
            else None
        )

    def _cache_key(self, index: int) -> str | None:
        if self.cache_name is None:
            return None
        sha, identity, lang = self.cache_name
        return OcrPageCache.key(sha, index, identity, lang)

    def _from_cache(self, key: str | None, number: int) -> PageRead | None:
        page = self.cache.get(key) if self.cache is not None and key is not None else None
        if page is None:
            return None
        self.lang = self.lang or page.lang
        words = [TsvWord(*w) for w in page.words]
        return PageRead(number, page.lang, page.width, page.height, words)

    def _time_left(self) -> float:
        """Seconds the file's and the build's bounds leave for OCR."""
        left = self.settings.file_timeout_s - (time.monotonic() - self.started)
        budget = _BUILD_BUDGET.get()
        return left if budget is None else min(left, budget.left)

    @staticmethod
    def _spend(began: float) -> None:
        budget = _BUILD_BUDGET.get()
        if budget is not None:
            budget.spent += time.monotonic() - began

    def _out_of_time(self) -> str:
        budget = _BUILD_BUDGET.get()
        if budget is not None and budget.left <= 0:
            return OUT_OF_BUILD_TIME
        return f"the file's OCR time ({self.settings.file_timeout_s:g} s) ran out"

    def read(self, pdf: Any, index: int, number: int) -> PageRead:
        s = self.settings
        key = self._cache_key(index)
        cached = self._from_cache(key, number)
        if cached is not None:  # read by an earlier build: costs no OCR time
            return cached
        if self._time_left() <= 0:
            return PageRead(number, skipped=self._out_of_time())
        began = time.monotonic()
        try:
            image = _render(pdf[index], s)
            lang, words = self._read_in_language(image)
        except _OutOfTime:  # stopped by the file's or the build's bound, not the page's
            self._spend(began)
            return PageRead(number, skipped=self._out_of_time())
        except (TimeoutError, RuntimeError, OSError) as exc:  # PdfiumError is a RuntimeError
            self._spend(began)
            return PageRead(number, skipped=str(exc))
        self._spend(began)
        seconds = round(time.monotonic() - began, 2)
        if self.cache is not None and key is not None:
            rows = tuple(astuple(w) for w in words)
            self.cache.put(key, CachedPage(lang, image.width, image.height, rows))
        return PageRead(number, lang, image.width, image.height, words, seconds)

    def _read_in_language(self, image: _Rendered) -> tuple[str, list[TsvWord]]:
        if self.lang is not None:
            return self.lang, self.tesseract.read(
                image.png, self.lang, image.dpi, self._time_left()
            )
        first = self.tesseract.read(image.png, "eng", image.dpi, self._time_left())
        chosen = choose_language(first, self.installed, self.settings)
        if chosen is None:  # another script: the most confident model reads it
            tries = [(mean_confidence(first), "eng", first)]
            for model in (m for m in OTHER_SCRIPTS if m in self.installed):
                words = self.tesseract.read(image.png, model, image.dpi, self._time_left())
                tries.append((mean_confidence(words), model, words))
            _, chosen, best = max(tries, key=lambda t: t[0])
            self.lang = chosen
            return chosen, best
        self.lang = chosen
        if chosen == "eng":
            return chosen, first
        return chosen, self.tesseract.read(image.png, chosen, image.dpi, self._time_left())


def ocr_scanned_pages(
    raw: bytes, pages: list[Page], s: OcrSettings, lang: str | None = None
) -> list[Page]:
    """The pages, scanned ones read by OCR (each with its :class:`OcrPage`), or marked skipped
    when tesseract is missing or a bound is reached. LoadError when nothing has text and OCR
    could not run."""
    if not s.enabled or not pages:
        return pages
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError:
        return pages  # pypdf read it; PDFium cannot render it, so there is nothing to OCR
    try:
        scanned = [i for i, page in enumerate(pages) if i < len(pdf) and _scanned(page, pdf, i, s)]
        if not scanned:
            return pages
        installed = installed_languages(s.tesseract)
        out = list(pages)
        if not installed:
            for i in scanned:
                out[i] = replace(pages[i], ocr=OcrPage(pages[i].page or i + 1, skipped=MISSING))
        else:
            reader = _FileReader(s, installed, lang, raw)
            read = [
                page.result()
                for page in mended(
                    [reader.read(pdf, i, pages[i].page or i + 1) for i in scanned], s
                )
            ]
            heads = running_heads([pars for pars, _ in read], s)
            for n, (i, (pars, ocr)) in enumerate(zip(scanned, read, strict=True)):
                kept = [par for k, par in enumerate(pars) if (n, k) not in heads]
                text = mend_numbers(page_markdown(kept))
                out[i] = replace(pages[i], text=text or pages[i].text, ocr=ocr)
    finally:
        pdf.close()
    if not any(p.text.strip() for p in out):
        reasons = sorted({p.ocr.skipped for p in out if p.ocr and p.ocr.skipped})
        if reasons:
            raise LoadError("; ".join(reasons))
    return out
