"""Find corpus files, read the corpus manifest, and load each file into located text blocks.

A text or Markdown file yields its paragraphs; a PDF yields one block per page, numbered as in the
file. Anything that cannot be read raises :class:`LoadError` naming the reason, so the build can
report it and go on with the other files.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".pdf"}


class LoadError(Exception):
    """A corpus file that cannot be indexed; the message says why, for the person who added it."""


@dataclass(frozen=True)
class DocumentInfo:
    """What the corpus manifest says about one file (or the defaults for a file it doesn't name)."""

    doc_id: str
    variant: str
    lang: str
    title: str
    author: str | None = None


@dataclass(frozen=True)
class Page:
    """A located piece of raw text: a whole text file (page None) or one PDF page."""

    text: str
    page: int | None


@dataclass(frozen=True)
class CorpusFile:
    path: Path  # absolute
    rel: str  # path relative to the corpus folder, with forward slashes: the file's key
    sha256: str
    size: int


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(corpus_dir: Path, manifest_name: str) -> list[CorpusFile]:
    """Every non-hidden file below corpus_dir except the manifest, sorted by relative path."""
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    files = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir).as_posix()
        if not path.is_file() or rel == manifest_name:
            continue
        if any(part.startswith(".") for part in path.relative_to(corpus_dir).parts):
            continue
        files.append(CorpusFile(path.resolve(), rel, sha256_file(path), path.stat().st_size))
    return files


def read_manifest(corpus_dir: Path, manifest_name: str) -> dict[str, DocumentInfo]:
    """Map relative file path -> DocumentInfo from ``[[documents]]`` tables in the manifest.

    Each document lists its variants as ``{file, variant, lang}``; a file the manifest does not
    name becomes a one-variant document of its own (see :func:`default_info`).
    """
    path = corpus_dir / manifest_name
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(f"{path}: manifest is not valid TOML: {exc}") from exc
    infos: dict[str, DocumentInfo] = {}
    for doc in data.get("documents", []):
        try:
            doc_id, title = str(doc["id"]), str(doc["title"])
            for var in doc["variants"]:
                infos[str(var["file"])] = DocumentInfo(
                    doc_id=doc_id,
                    variant=str(var.get("variant", "original")),
                    lang=str(var.get("lang", "en")),
                    title=title,
                    author=doc.get("author"),
                )
        except (KeyError, TypeError) as exc:
            raise LoadError(f"{path}: each document needs id, title and variants: {exc}") from exc
    return infos


def default_info(rel: str) -> DocumentInfo:
    """A file without a manifest entry: one document, variant 'original', titled by its name."""
    stem = Path(rel).stem
    return DocumentInfo(
        doc_id=Path(rel).with_suffix("").as_posix(),
        variant="original",
        lang="en",
        title=stem.replace("_", " ").replace("-", " ").strip() or rel,
    )


def load_file(file: CorpusFile, max_bytes: int) -> list[Page]:
    """Read one corpus file into pages of text; raise LoadError with a human reason."""
    suffix = file.path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(f"unsupported file type '{suffix or '(none)'}' (supported: {supported})")
    if file.size > max_bytes:
        raise LoadError(
            f"file is {_size(file.size)}, over the limit of {_size(max_bytes)} (SQA_MAX_FILE_BYTES)"
        )
    if file.size == 0:
        raise LoadError("file is empty")
    pages = _load_pdf(file.path) if suffix == ".pdf" else [Page(_read_text(file.path), None)]
    if not any(p.text.strip() for p in pages):
        if suffix == ".pdf":
            raise LoadError("PDF has no extractable text (scanned images?); OCR it first")
        raise LoadError("file has no text (only whitespace)")
    return pages


def _size(n: int) -> str:
    # Binary units, so the default limit of 25 * 1024 * 1024 bytes reads "25.0 MB".
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    return f"{n / (1 << 10):.1f} KB" if n >= 1 << 10 else f"{n} bytes"


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8"
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_pdf(path: Path) -> list[Page]:
    # pypdf logs what it repaired ("EOF marker not found") with no file name, between the build's
    # one-line-per-file errors; a file it cannot read still raises and is reported as ours.
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        return _read_pdf(path)
    finally:
        pypdf_log.setLevel(level)


def _read_pdf(path: Path) -> list[Page]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password only to restrict printing.
            try:
                ok = reader.decrypt("")
            except (NotImplementedError, DependencyErrorTypes) as exc:
                raise LoadError(f"encrypted PDF that cannot be opened here: {exc}") from exc
            if not ok:
                raise LoadError("encrypted PDF: it needs a password; save an unencrypted copy")
        return [Page(_page_text(page), i) for i, page in enumerate(reader.pages, 1)]
    except LoadError:
        raise
    except FileNotDecryptedError as exc:
        raise LoadError("encrypted PDF: it needs a password; save an unencrypted copy") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        # pypdf joins several complaints with newlines; the build reports one line per file.
        reason = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise LoadError(f"corrupt or unreadable PDF: {reason or type(exc).__name__}") from exc


def _page_text(page: Any) -> str:  # a pypdf PageObject
    """The page's text with blank lines where the layout has gaps, so paragraphs stay apart.

    Plain extraction puts every line break as a single newline, which glues headings and all
    paragraphs of a page into one block; layout mode keeps vertical gaps as blank lines.
    """
    try:
        return page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode is stricter about odd fonts; plain extraction still works
        return page.extract_text() or ""


try:  # pypdf raises DependencyError when the 'cryptography' package is missing for AES.
    from pypdf.errors import DependencyError as DependencyErrorTypes
except ImportError:  # pragma: no cover - older pypdf
    DependencyErrorTypes = ImportError  # type: ignore[misc, assignment]
