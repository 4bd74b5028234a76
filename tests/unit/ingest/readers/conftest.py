"""Small documents the reader tests write themselves (python-docx, python-pptx, openpyxl)."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.settings import Settings
from ingest.load import DocumentInfo
from ingest.readers.page import Page
from ingest.split import document_title, split_pages


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def chunks_of(pages: list[Page], settings: Settings):  # type: ignore[no-untyped-def]
    info = DocumentInfo("doc", "original", "en", document_title(pages) or "doc")
    return split_pages(
        pages,
        info,
        "doc",
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        min_chars=settings.min_chunk_chars,
    )
