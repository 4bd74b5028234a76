"""Benchmark OCR: scanned pages read per second on this machine, and OCR's share of a build.

    .venv/bin/python scripts/bench_ocr.py [--corpus DIR] [--runs 3] [--json PATH] [--quick]

1. OCR speed: every PDF of the corpus with scanned pages (dev3: PP 46/2009, four pages without
   a text layer) is read ``runs`` times through the PDF reader with the default settings
   (PDFium renders each scanned page in grey at SQA_OCR__DPI, tesseract reads it on one
   thread). pages/s = scanned pages / the seconds OCR took on them (render + tesseract, as the
   build reports them); the reader's wall time over those files is given too.
2. OCR's share of a build: a full build of the corpus with the default models into a temporary
   index (as `ingest build --full` runs it), OCR seconds / build wall seconds. Reading a file
   and embedding the one before run at once, so OCR's seconds overlap embedding: the share is
   of the wall time OCR kept the reading busy, not time the build would lose without it.

--quick reads the committed 3-page scan (tests/data/documents/scanned-notice.pdf) once and
builds it with the 'hashing' embedder: a smoke test, not timings.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import Figures, print_figures, write_figures  # noqa: E402

from core.settings import Settings  # noqa: E402
from ingest.build import run_build  # noqa: E402
from ingest.readers.ocr import installed_languages  # noqa: E402
from ingest.readers.pdf import read_pdf  # noqa: E402

DEV3 = ROOT.parent / "shared" / "corpora" / "dev3"
FIXTURE = ROOT / "tests" / "data" / "documents" / "scanned-notice.pdf"


def _scanned_pdfs(corpus: Path, settings: Settings) -> list[tuple[Path, bytes]]:
    """The corpus's PDFs that have pages for OCR (found by one read of each PDF)."""
    found = []
    for path in sorted(corpus.rglob("*.pdf")):
        raw = path.read_bytes()
        if any(p.ocr is not None for p in read_pdf(raw, settings)):
            found.append((path, raw))
    return found


def ocr_speed(figures: Figures, corpus: Path, runs: int) -> None:
    settings = Settings()
    files = _scanned_pdfs(corpus, settings)
    if not files:
        figures.note(f"OCR speed: no scanned pages in {corpus}; not measured")
        return
    rates, per_page, walls = [], [], []
    for run in range(runs):
        pages = 0
        seconds = 0.0
        started = time.perf_counter()
        for _, raw in files:
            for page in read_pdf(raw, settings):
                if page.ocr is not None and page.ocr.skipped is None:
                    pages += 1
                    seconds += page.ocr.seconds
        wall = time.perf_counter() - started
        rates.append(pages / seconds)
        per_page.append(seconds / pages)
        walls.append(wall)
        print(
            f"run {run + 1}: {pages} scanned pages, OCR {seconds:.1f} s "
            f"({pages / seconds:.2f} pages/s), reader wall {wall:.1f} s",
            flush=True,
        )
    figures.add("ocr_pages_per_s", rates, "pages/s")
    figures.add("ocr_s_per_page", per_page, "s")
    figures.add("ocr_files_read_s", walls, "s")
    names = ", ".join(path.name for path, _ in files)
    figures.note(
        f"OCR speed: {pages} scanned pages of {names}; {settings.ocr.dpi} dpi, tesseract "
        f"{' '.join(installed_languages(settings.ocr.tesseract))} on one thread per page, "
        "pages read one after another (a second core would read a second page)"
    )


def ocr_share(figures: Figures, corpus: Path, runs: int, quick: bool) -> None:
    shares, builds, ocr_s = [], [], []
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
            models = {"dense_model": "hashing", "multilingual_model": "hashing"} if quick else {}
            settings = Settings(corpus_dir=corpus, index_dir=Path(tmp) / "index", **models)
            report = run_build(settings, progress=False)
        seconds = sum(o.seconds for o in report.ocr.values())
        pages = sum(len(o.pages) for o in report.ocr.values())
        shares.append(seconds / report.seconds)
        builds.append(report.seconds)
        ocr_s.append(seconds)
        print(
            f"build {run + 1}: {report.files} files, {report.chunks} chunks in "
            f"{report.seconds:.1f} s; OCR {pages} pages in {seconds:.1f} s "
            f"({seconds / report.seconds:.0%} of the build)",
            flush=True,
        )
    figures.add("ocr_share_of_build", shares, "share")
    figures.add("ocr_build_s", builds, "s")
    figures.add("ocr_in_build_s", ocr_s, "s")
    figures.note(
        f"OCR's share: full build of {corpus.name} ({report.files} files, {report.chunks} "
        f"chunks) with {'the hashing embedder' if quick else 'the default models'}; OCR "
        "overlaps the embedding of the file read before it"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEV3 if DEV3.is_dir() else None)
    parser.add_argument("--runs", type=int, default=3, help="Runs of the OCR speed test.")
    parser.add_argument("--build-runs", type=int, default=1, help="Full builds timed.")
    parser.add_argument("--json", type=Path, help="Write the figures here (bench.py format).")
    parser.add_argument("--quick", action="store_true", help="The 3-page fixture, one run.")
    args = parser.parse_args()
    figures = Figures("bench_ocr")
    if not installed_languages(Settings().ocr.tesseract):
        raise SystemExit("tesseract is not installed; run scripts/install-ocr")
    figures.note(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="bench-ocr-corpus-") as tmp:
        corpus = args.corpus
        if args.quick or corpus is None:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            shutil.copy(FIXTURE, corpus / FIXTURE.name)
        runs = 1 if args.quick else args.runs
        ocr_speed(figures, corpus, runs)
        ocr_share(figures, corpus, 1 if args.quick else args.build_runs, args.quick)
    figures.note(f"load average {os.getloadavg()[0]:.1f} at the end")
    print_figures(figures)
    if args.json:
        write_figures(figures, args.json)


if __name__ == "__main__":
    main()
