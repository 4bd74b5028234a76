"""Find corpus files, read the corpus manifest, and load each file into located text.

Each document format has its reader in :mod:`ingest.readers` (:data:`READERS`, by suffix): a text
or Markdown file is one :class:`Page` of its own text; a PDF is one Page per page, a Word file or
web page one Page, a deck one Page per slide, a spreadsheet one Page per group of rows, all in the
same light Markdown (paragraphs apart by blank lines, headings as ``#`` lines).

Anything that cannot be read raises :class:`LoadError` naming the reason, so the build can report
it in one line and go on with the other files. Files are judged by name, type and size before a
byte of them is read, and a PDF is read within limits (pages, characters, decompressed bytes).
"""

from __future__ import annotations

import hashlib
import os
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.text import document_language
from ingest.readers.epub import read_epub
from ingest.readers.odt import read_odt
from ingest.readers.page import LoadError, Page, Reader
from ingest.readers.pdf import read_pdf
from ingest.readers.sheets import read_csv, read_xlsx
from ingest.readers.slides import read_pptx
from ingest.readers.text import read_text
from ingest.readers.webpage import read_html
from ingest.readers.word import read_docx

if TYPE_CHECKING:
    from core.settings import Settings

# One reader per document format (ingest/readers/): the file's suffix picks it.
READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
    ".pptx": read_pptx,
    ".xlsx": read_xlsx,
    ".csv": read_csv,
    ".epub": read_epub,
    ".odt": read_odt,
}
SUPPORTED_SUFFIXES = set(READERS)


@dataclass(frozen=True)
class DocumentInfo:
    """What the corpus manifest says about one file (or the defaults for a file it doesn't name)."""

    doc_id: str
    variant: str
    lang: str
    title: str
    author: str | None = None


@dataclass(frozen=True)
class CorpusFile:
    path: Path  # absolute
    rel: str  # path relative to the corpus folder, with forward slashes: the file's key
    sha256: str
    size: int


@dataclass(frozen=True)
class Discovery:
    """The corpus folder's files: those to read (hashed) and those refused unread, with why."""

    files: list[CorpusFile]
    refused: dict[str, str] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(corpus_dir: Path, manifest_name: str, max_bytes: int) -> Discovery:
    """Every non-hidden file below corpus_dir except the manifest, sorted by relative path.

    Type, size and symlink target are checked before a file is hashed: an unsupported or
    over-size file, and a symlink leading out of the corpus folder, are refused without being
    read. Symlinked folders are not walked into (their files are found where they live).
    """
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    root = corpus_dir.resolve()
    files: list[CorpusFile] = []
    refused: dict[str, str] = {}
    for path in _walk(corpus_dir):
        rel = path.relative_to(corpus_dir).as_posix()
        if rel == manifest_name:
            continue
        if path.is_symlink() and path.is_dir():
            if not path.resolve().is_relative_to(root):
                refused[rel] = "symlink to a folder outside the corpus folder; not followed"
            continue
        reason = _refusal(path, root, max_bytes)
        if reason:
            refused[rel] = reason
            continue
        size = path.stat().st_size
        files.append(CorpusFile(path.resolve(), rel, sha256_file(path), size))
    return Discovery(sorted(files, key=lambda f: f.rel), dict(sorted(refused.items())))


def _walk(corpus_dir: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(corpus_dir, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        for name in dirnames:
            if (here / name).is_symlink():
                yield here / name
        for name in sorted(filenames):
            if not name.startswith("."):
                yield here / name


def _refusal(path: Path, root: Path, max_bytes: int) -> str | None:
    """Why a file must not be read, decided from its name and metadata alone (or None)."""
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(root):
            return f"symlink to {target}, outside the corpus folder; not followed"
        if not target.exists():
            return "broken symlink: its target does not exist"
    try:
        info = path.stat()
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a pipe, socket or device); not read"
    return _type_or_size_problem(path, info.st_size, max_bytes)


def _type_or_size_problem(path: Path, size: int, max_bytes: int) -> str | None:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return f"unsupported file type '{suffix or '(none)'}' (supported: {supported})"
    if size > max_bytes:
        return f"file is {_size(size)}, over the limit of {_size(max_bytes)} (SQA_MAX_FILE_BYTES)"
    return None


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


def read_examples(corpus_dir: Path, manifest_name: str) -> list[str]:
    """The manifest's top-level ``examples`` (questions the UI offers), [] when it has none."""
    path = corpus_dir / manifest_name
    if not path.exists():
        return []
    try:
        examples = tomllib.loads(path.read_text(encoding="utf-8")).get("examples", [])
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(f"{path}: manifest is not valid TOML: {exc}") from exc
    if not isinstance(examples, list) or not all(isinstance(q, str) for q in examples):
        raise LoadError(f"{path}: examples must be a list of question strings")
    return [q.strip() for q in examples if q.strip()]


def default_info(rel: str, title: str | None = None, lang: str = "en") -> DocumentInfo:
    """A file without a manifest entry: one document, variant 'original', titled by its own
    title (a Markdown file's opening ``# Title``, a PDF's cover title) or else by its name, in
    the language its text is in (:func:`text_language`)."""
    stem = Path(rel).stem
    return DocumentInfo(
        doc_id=Path(rel).with_suffix("").as_posix(),
        variant="original",
        lang=lang,
        title=title or stem.replace("_", " ").replace("-", " ").strip() or rel,
    )


def text_language(pages: list[Page], sample_chars: int) -> str:
    """The language of a file's text, from its first ``sample_chars`` characters: an
    Indonesian regulation or a Chinese web page is split into sentences, quoted and labelled
    in its own language, not as English."""
    sample, used = [], 0
    for page in pages:
        if used >= sample_chars:
            break
        sample.append(page.text[: sample_chars - used])
        used += len(sample[-1])
    return document_language(" ".join(sample))


def load_file(file: CorpusFile, settings: Settings, lang: str | None = None) -> list[Page]:
    """Read one corpus file into pages of text; raise LoadError with a human reason. ``lang``
    (the manifest's, when it names the file) is the language scanned PDF pages are read in."""
    problem = _type_or_size_problem(file.path, file.size, settings.max_file_bytes)
    if problem:
        raise LoadError(problem)
    if file.size == 0:
        raise LoadError("file is empty")
    raw = _read_bounded(file.path, settings.max_file_bytes)
    reader = READERS[file.path.suffix.lower()]
    if reader is read_pdf:
        return read_pdf(raw, settings, lang)
    return reader(raw, settings)


def _size(n: int) -> str:
    # Binary units, so the default limit of 25 * 1024 * 1024 bytes reads "25.0 MB".
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    return f"{n / (1 << 10):.1f} KB" if n >= 1 << 10 else f"{n} bytes"


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing one that grew past the limit since it was measured."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError(f"cannot be read: {exc.strerror or exc}") from exc
    if len(raw) > max_bytes:
        raise LoadError(f"file grew past the limit of {_size(max_bytes)} (SQA_MAX_FILE_BYTES)")
    return raw
