"""Shared fixtures: settings under tmp_path, a tiny corpus, and generated PDFs (good and bad).

Every path a test touches lives under ``tmp_path``; the real ``corpus/`` and ``index/`` are never
written. Unit tests use the ``hashing`` embedder (no model, deterministic, instant); integration
tests pass the real model names to ``settings_factory``. Nothing here changes the environment:
the CLI is given its settings per call (``HASHING_ENV``), and ingest never reads
``SQA_MODEL_CACHE_DIR`` (only the chatbot's LLM does), so it is left alone.

Helpers are handed out by fixtures (``pdfs``, ``write_corpus``, ``bad_files``) rather than
imported, so test files never import this module by name.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from core.settings import Settings
from scripts.milvus_lite import BINARY as MILVUS_LITE
from scripts.milvus_lite import MilvusLiteServer

REPO = Path(__file__).resolve().parent.parent
SEED_CORPUS = REPO / "corpus"

# Three short documents about different things, so the hashing embedder keeps them apart.
TINY_CORPUS: dict[str, str] = {
    "alpha.txt": (
        "Alpha Report\n\n"
        "The alpha project builds solar farms in the northern provinces. It started in 2019.\n\n"
        "Funding\n\n"
        "Funding comes from a regional bank and three private investors.\n"
    ),
    "beta.md": (
        "# Beta Notes\n\n"
        "Beta trains nurses in rural clinics, with a budget of 4.2 million.\n\n"
        "## Results\n\n"
        "Two thousand nurses finished the course in the first year.\n"
    ),
    "gamma.txt": (
        "Gamma studies river water quality. Samples are taken every week.\n\n"
        "The gamma team publishes open data on fish populations.\n"
    ),
}


class Env:
    """What subprocess and CLI tests need: the interpreter and per-call settings."""

    python = sys.executable
    repo = REPO
    hashing: ClassVar[dict[str, str]] = {
        "SQA_DENSE_MODEL": "hashing",
        "SQA_MULTILINGUAL_MODEL": "hashing",
    }

    @staticmethod
    def clean(**settings: str) -> dict[str, str]:
        """This process's environment without any SQA_* setting, plus the given ones."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("SQA_")}
        return base | settings


@pytest.fixture(scope="session")
def env() -> type[Env]:
    return Env


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    """``make(**overrides)`` -> Settings with corpus and index under tmp_path, hashing models.

    ``_env_file=None``: a developer's ``.env`` must not change what the tests see.
    """

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "corpus_dir": tmp_path / "corpus",
            "index_dir": tmp_path / "index",
            "dense_model": "hashing",
            "multilingual_model": "hashing",
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


def _write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def write_corpus() -> Callable[[Path, dict[str, str | bytes]], Path]:
    """``write_corpus(folder, {relative name: text or bytes})`` -> folder (created)."""
    return _write_corpus


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """Three small files (no manifest) in tmp_path/corpus, where settings_factory points."""
    return _write_corpus(tmp_path / "corpus", dict(TINY_CORPUS))


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    """A private copy of the real seed corpus (manifest and both variants) in tmp_path/corpus."""
    return Path(shutil.copytree(SEED_CORPUS, tmp_path / "corpus"))


# --- PDFs ------------------------------------------------------------------------------------


class Pdfs:
    """Generated PDFs as bytes: fpdf2 writes them, pypdf encrypts them."""

    multipage_pages: tuple[tuple[str, ...], ...] = (
        (
            "The harbour authority dredged the eastern channel in spring.",
            "Container traffic grew by a fifth after the work was finished.",
        ),
        ("Fishing boats moved to the western pier during the dredging.",),
        (
            "A new customs office opened next to the ferry terminal.",
            "It handles passenger luggage and small freight parcels.",
        ),
    )

    @staticmethod
    def text(pages: Sequence[Sequence[str]]) -> bytes:
        """One page per item; each page holds the given paragraphs (Latin-1 text)."""
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_font("Helvetica", size=11)
        for paragraphs in pages:
            pdf.add_page()
            for para in paragraphs:
                pdf.multi_cell(0, 6, para, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(6)  # a blank line's gap between paragraphs, as in a typeset page
        return bytes(pdf.output())

    @classmethod
    def multipage(cls) -> bytes:
        """Three pages with one or two paragraphs each: page numbers must reach the chunks."""
        return cls.text(cls.multipage_pages)

    @classmethod
    def encrypted(cls, user_password: str = "secret") -> bytes:
        """The multi-page PDF encrypted with AES-256; ``""`` opens without a password."""
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cls.multipage())))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    @staticmethod
    def scanned() -> bytes:
        """A 'scanned' page: a filled rectangle where the text would be, no text layer."""
        from fpdf import FPDF

        pdf = FPDF()
        pdf.add_page()
        pdf.set_fill_color(120, 120, 120)
        pdf.rect(20, 20, 170, 250, style="F")
        return bytes(pdf.output())

    @staticmethod
    def corrupt() -> bytes:
        """A PDF header followed by garbage: no objects, no cross-reference table."""
        return b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF"

    @classmethod
    def truncated(cls) -> bytes:
        """The first third of a real PDF, as left by an interrupted download."""
        data = cls.multipage()
        return data[: len(data) // 3]


@pytest.fixture(scope="session")
def pdfs() -> type[Pdfs]:
    return Pdfs


# Every way a corpus file can be unusable, with words its error must contain. The oversized one
# needs ``max_file_bytes=BAD_FILES_LIMIT``; every other file here is well under it.
BAD_FILES_LIMIT = 8000


@pytest.fixture(scope="session")
def bad_files() -> dict[str, tuple[bytes, str]]:
    """``{file name: (content, words the error names)}`` for every bad-input case."""
    return {
        "locked.pdf": (Pdfs.encrypted("secret"), "password"),
        "scan.pdf": (Pdfs.scanned(), "no extractable text"),
        "garbage.pdf": (Pdfs.corrupt(), "corrupt or unreadable PDF"),
        "cut.pdf": (Pdfs.truncated(), "corrupt or unreadable PDF"),
        "cafe.txt": ("café au lait".encode("latin-1"), "not valid UTF-8"),
        "empty.txt": (b"", "file is empty"),
        "blank.md": (b"  \n\n\t\n", "only whitespace"),
        "huge.txt": (b"Too many words here. " * 500, "limit"),
        "notes.rtf": (b"{\\rtf1 hi}", "unsupported file type '.rtf'"),
    }


@pytest.fixture(scope="session")
def bad_files_limit() -> int:
    return BAD_FILES_LIMIT


# --- Milvus ------------------------------------------------------------------------------------


class MilvusServer(MilvusLiteServer):
    """A real `milvus-lite server` (the gRPC protocol of a Milvus cluster) on a free port; the
    test is skipped where the milvus-lite package is not installed."""

    def __init__(self, data_dir: Path) -> None:
        if not MILVUS_LITE.exists():
            pytest.skip("milvus-lite is not installed (pip install -e .)")
        super().__init__(data_dir, log=data_dir.parent / "milvus.log")


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One milvus-lite server for the session; tests use their own collection prefixes."""
    server = MilvusServer(tmp_path_factory.mktemp("milvus") / "data")
    yield server
    server.stop()
