"""Hostile PDFs and files (issue 8, rows 4 and 5): each is refused in one line, never read past a
limit, and the rest of the corpus is built (exit code 1).

The PDFs are written by hand here, a few KB each: a deflate bomb, a stream that declares an
absurd length, and one content stream shared by many pages that extracts far more text than the
file's size suggests.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.settings import Settings
from ingest.build import run_build
from ingest.cli import app
from ingest.load import CorpusFile, load_file, sha256_file
from ingest.readers.page import LoadError

MiB = 1024 * 1024


def raw_pdf(content: bytes, pages: int = 1, stream_dict: bytes | None = None) -> bytes:
    """A minimal PDF whose ``pages`` pages all draw the same content stream (object 4)."""
    kids = b" ".join(b"%d 0 R" % (10 + i) for i in range(pages))
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: (stream_dict or b"<< /Length %d >>" % len(content))
        + b"\nstream\n"
        + content
        + b"\nendstream",
    }
    for i in range(pages):
        objects[10 + i] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>"
        )
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        if number in offsets:
            out += b"%010d 00000 n \n" % offsets[number]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def text_stream(text: str, repeat: int) -> bytes:
    line = b"(" + text.encode("latin-1") + b") Tj T* "
    return b"BT /F1 10 Tf 12 TL 72 720 Td " + line * repeat + b"ET"


def deflate_bomb(decompressed: int) -> bytes:
    """A content stream of a few KB that inflates to ``decompressed`` bytes of spaces."""
    data = zlib.compress(text_stream("Hello", 1) + b" " * decompressed, 9)
    return raw_pdf(data, stream_dict=b"<< /Length %d /Filter /FlateDecode >>" % len(data))


def shared_stream(pages: int, chars_per_page: int) -> bytes:
    """Every page draws one compressed stream: a tiny file that extracts pages x chars."""
    data = zlib.compress(text_stream("A" * 100, chars_per_page // 100), 9)
    stream_dict = b"<< /Length %d /Filter /FlateDecode >>" % len(data)
    return raw_pdf(data, pages=pages, stream_dict=stream_dict)


def declared_length(length: int) -> bytes:
    """A stream that claims to be ``length`` bytes long: pypdf's LimitReachedError."""
    return raw_pdf(text_stream("Hi", 1), stream_dict=b"<< /Length %d >>" % length)


@pytest.fixture
def load(tmp_path: Path) -> Callable[..., object]:
    """``load(name, data, **settings)`` -> pages of a file written to tmp_path."""

    def run(name: str, data: bytes, **overrides: int) -> object:
        path = tmp_path / name
        path.write_bytes(data)
        settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
        return load_file(CorpusFile(path, name, sha256_file(path), len(data)), settings)

    return run


def test_the_generated_pdfs_are_small_and_sane(load) -> None:
    assert len(deflate_bomb(4 * MiB)) < 10_000
    assert len(shared_stream(100, 200_000)) < 25_000  # 20 M characters of text
    pages = load("ok.pdf", shared_stream(2, 300))
    assert [p.page for p in pages] == [1, 2]  # type: ignore[attr-defined]
    assert "AAAA" in pages[0].text  # type: ignore[index]


def test_a_deflate_bomb_stops_at_the_stream_limit(load) -> None:
    with pytest.raises(LoadError) as info:
        load("report.pdf", deflate_bomb(4 * MiB), pdf_max_stream_bytes=MiB)
    message = str(info.value)
    assert "safety limit" in message and "not indexed" in message and "\n" not in message


def test_pypdfs_own_limit_errors_are_caught(load) -> None:
    """LimitReachedError is not a PdfReadError: it once escaped as a traceback."""
    with pytest.raises(LoadError, match="safety limit"):
        load("declared.pdf", declared_length(10**12))


def test_a_page_that_extracts_without_end_is_refused(load) -> None:
    with pytest.raises(LoadError) as info:
        load("shared.pdf", shared_stream(100, 200_000), pdf_max_page_chars=50_000)
    assert str(info.value).startswith("page 1 extracts over 50,000 characters")


def test_a_file_that_extracts_too_much_text_is_refused(load) -> None:
    with pytest.raises(LoadError) as info:
        load("shared.pdf", shared_stream(60, 3_000), pdf_max_chars=100_000)
    assert "PDF text is over 100,000 characters by page 34 (SQA_PDF_MAX_CHARS)" in str(info.value)


def test_too_many_pages_are_refused(load) -> None:
    with pytest.raises(LoadError, match=r"PDF has 60 pages, over the limit of 50"):
        load("long.pdf", shared_stream(60, 200), pdf_max_pages=50)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 1 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>",
        raw_pdf(b"BT /F1 10 Tf (unclosed Tj ET"),
        raw_pdf(b"q " * 5000 + b"BT /F1 10 Tf (deep) Tj ET"),
        raw_pdf(b"", pages=0),
    ],
    ids=["page-tree-loop", "bad-operator", "deep-nesting", "no-pages"],
)
def test_broken_pdfs_raise_load_error_only(load, data: bytes) -> None:
    try:
        load("broken.pdf", data)
    except LoadError as exc:
        assert "\n" not in str(exc)


def test_a_hostile_pdf_does_not_stop_the_build(tmp_path: Path, write_corpus, env) -> None:
    """Through the CLI: one line per refused file, the rest built, exit code 1."""
    outside = tmp_path / "outside.txt"
    outside.write_text("Private notes that must never be indexed.", encoding="utf-8")
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "alpha.txt": "The alpha project builds solar farms in the northern provinces.\n",
            "report.pdf": deflate_bomb(4 * MiB),
            "declared.pdf": declared_length(10**12),
            "shared.pdf": shared_stream(100, 200_000),
            "movie.mp4": b"\x00" * 64,
        },
    )
    (corpus / "link.txt").symlink_to(outside)
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "index")]
    settings_env = env.hashing | {"SQA_PDF_MAX_STREAM_BYTES": str(MiB)}
    result = CliRunner().invoke(app, ["build", *args], env=settings_env)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 5, result.output
    for name in ("report.pdf", "declared.pdf", "shared.pdf", "movie.mp4", "link.txt"):
        assert sum(f"/{name}: " in line for line in errors) == 1, name
    assert "indexed 1 files (1 documents) into 1 chunks" in result.output
    assert "Traceback" not in result.output

    status = CliRunner().invoke(app, ["status", *args], env=settings_env)
    assert "failed    link.txt: symlink to" in status.output
    assert "failed    movie.mp4: unsupported file type '.mp4'" in status.output

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        dense_model="hashing",
        multilingual_model="hashing",
        pdf_max_stream_bytes=MiB,
    )
    again = run_build(settings, progress=False)
    assert again.up_to_date
    assert sorted(again.errors) == [
        "declared.pdf",
        "link.txt",
        "movie.mp4",
        "report.pdf",
        "shared.pdf",
    ]
