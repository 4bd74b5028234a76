"""The build manifest (``manifest.json`` of each build), typed.

``ingest`` writes it last, after every other file of the build; ``core.store`` checks its format
and checksums before a build is served, then hands it to the chatbot as a ``BuildManifest``.
Fields a build of an earlier version of this format may lack have defaults, so such a build
still loads; what nothing can do without (format, id, identity) is required.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class ModelInfo(_Part):
    name: str
    dim: int


class FileEntry(_Part):
    sha256: str
    size: int
    chunks: int
    parts: int | None = Field(
        None, description="Pages, slides, sheets or sections read; None in older builds."
    )
    part_unit: str = Field("", description="What a part is: page, slide, sheet or section.")
    tables: int | None = Field(None, description="Tables read as rows; None in older builds.")
    ocr_pages: list[int] = Field(default_factory=list, description="Pages read by OCR.")
    ocr_unread: list[int] = Field(
        default_factory=list,
        description="Scanned pages the build's OCR time ran out before: the next build reads "
        "the file again and goes on from there (the pages read are cached).",
    )
    ocr_confidence: float | None = Field(None, description="Their mean word confidence, 0-100.")
    ocr_seconds: float = 0.0
    warnings: list[str] = Field(
        default_factory=list, description="Pages skipped, empty or read with low confidence."
    )


class FileError(_Part):
    sha256: str | None = Field(None, description="None when the file was refused unread.")
    reason: str


class Counts(_Part):
    files: int = 0
    documents: int = 0
    chunks: int = 0
    aligned: int = 0


class EmbeddingCounts(_Part):
    new: int = 0
    reused: int = 0


class SentenceInfo(_Part):
    rules: str
    count: int = 0
    vectors: list[str] = Field(default_factory=list)
    chunks_reused: int = 0


class BuildManifest(_Part):
    schema_version: int
    build_id: str
    created_at: str = ""
    identity: dict[str, Any] = Field(description="Settings that decide the build's content.")
    chunking: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, ModelInfo | None] = Field(default_factory=dict)
    corpus_manifest_sha256: str | None = None
    examples: list[str] = Field(default_factory=list, description="From the corpus manifest.")
    files: dict[str, FileEntry] = Field(default_factory=dict, description="Indexed, by path.")
    errors: dict[str, FileError] = Field(default_factory=dict, description="Not indexed, why.")
    counts: Counts = Field(default_factory=Counts)
    embeddings: EmbeddingCounts = Field(default_factory=EmbeddingCounts)
    sentences: SentenceInfo | None = None
    build_seconds: float = 0.0
    vector_indexes: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="FAISS index type and size of each vector file."
    )
    checksums: dict[str, str] = Field(
        default_factory=dict, description="sha256 of every other file of the build."
    )
