"""The chunk: one indexed passage and everything needed to cite it (written by ingest, read by
chatbot)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# The variant a citation shows when a passage exists in several (the others are noted beside it).
REFERENCE_VARIANT = "original"


def text_sha(text: str) -> str:
    """The key of a passage's text (the build reuses vectors and sentences by it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Chunk:
    """One indexed passage with everything needed to cite it."""

    chunk_id: str  # stable, human-readable citation key: "doc [variant] ¶3", "... p. 2 ¶1.2"
    doc_id: str
    variant: str
    lang: str
    title: str
    source: str  # corpus-relative path
    # Where a reader finds it: "¶5", "¶1–2", "§ 9413(d) ¶2", "Results ¶2", "p. 3 ¶2 (Section)".
    location: str
    page: int | None  # the (first) PDF page; None in a text file
    paragraph: int  # its first paragraph's number through the file: rises in reading order
    part: int  # 1-based part of a passage too long for one chunk (each part keeps the location)
    heading: str | None  # the heading path ("§ 9413. ... > (d) Responsibilities"); opens the text
    text: str
    group_id: str | None = None  # shared by aligned passages of the variants of one document
    align_score: float | None = None

    @property
    def text_sha(self) -> str:
        return text_sha(self.text)
