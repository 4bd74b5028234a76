"""Turn loaded pages into located chunks: one chunk per paragraph, headings kept with it.

A paragraph longer than ``chunk_size`` is cut by LangChain's recursive splitter at sentence
boundaries; every part keeps the paragraph's heading and location. Locations are what a reader
can find in the source: ``¶5`` in a text file, ``p. 3 ¶2`` in a PDF.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.load import DocumentInfo, Page

_BLOCK_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = (".", "!", "?", ":", ";", ",", "…", "。", "！", "？", '"', "”", ")")
MAX_HEADING_CHARS = 120


@dataclass
class Chunk:
    """One indexed passage with everything needed to cite it."""

    chunk_id: str  # stable, human-readable handle; doubles as the citation key
    doc_id: str
    variant: str
    lang: str
    title: str
    source: str  # corpus-relative path
    location: str  # "¶5" or "p. 3 ¶2"
    page: int | None
    paragraph: int
    part: int  # 1-based part of a long paragraph
    heading: str | None
    text: str
    group_id: str | None = None  # shared by aligned passages of the variants of one document
    align_score: float | None = None

    @property
    def text_sha(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def _is_heading(block: str) -> bool:
    if block.startswith("#"):
        return True
    single_line = "\n" not in block
    return single_line and len(block) <= MAX_HEADING_CHARS and not block.endswith(_SENTENCE_END)


def _clean(block: str, from_pdf: bool) -> str:
    block = block.strip()
    if from_pdf:  # PDF text breaks lines inside paragraphs; join them (and end-of-line hyphens).
        block = re.sub(r"-\n(?=[a-z])", "", block)
        block = re.sub(r"\s*\n\s*", " ", block)
    return re.sub(r"[ \t]+", " ", block)


def paragraphs(page: Page) -> list[tuple[str | None, str]]:
    """The (heading, paragraph) pairs of one page, in order; a heading joins the next paragraph."""
    from_pdf = page.page is not None
    blocks = [_clean(b, from_pdf) for b in _BLOCK_BREAK.split(page.text)]
    out: list[tuple[str | None, str]] = []
    heading: str | None = None
    for block in filter(None, blocks):
        if _is_heading(block):
            block = block.lstrip("#").strip()
            heading = f"{heading} — {block}" if heading else block
            continue
        out.append((heading, block))
        heading = None
    if heading:  # a trailing heading with nothing under it still is text a reader may ask about
        out.append((None, heading))
    return out


def split_pages(
    pages: list[Page], info: DocumentInfo, source: str, chunk_size: int, chunk_overlap: int
) -> list[Chunk]:
    """Chunks of a file, in reading order."""
    chunks: list[Chunk] = []
    para_no = 0
    for page in pages:
        if page.page is not None:
            para_no = 0  # PDF paragraphs are numbered within their page
        for heading, para in paragraphs(page):
            para_no += 1
            prefix = f"{heading}\n\n" if heading else ""
            budget = max(chunk_size - len(prefix), chunk_size // 2)
            parts = [para] if len(para) <= budget else _split_long(para, budget, chunk_overlap)
            location = f"p. {page.page} ¶{para_no}" if page.page is not None else f"¶{para_no}"
            for part_no, part in enumerate(parts, 1):
                suffix = f".{part_no}" if len(parts) > 1 else ""
                chunks.append(
                    Chunk(
                        chunk_id=f"{info.doc_id} [{info.variant}] {location}{suffix}",
                        doc_id=info.doc_id,
                        variant=info.variant,
                        lang=info.lang,
                        title=info.title,
                        source=source,
                        location=location,
                        page=page.page,
                        paragraph=para_no,
                        part=part_no,
                        heading=heading,
                        text=prefix + part.strip(),
                    )
                )
    return chunks


def _split_long(text: str, budget: int, overlap: int) -> list[str]:
    """Cut at sentence ends first, then clauses, then words; budget leaves room for the heading."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=budget,
        chunk_overlap=min(overlap, budget // 2),
        separators=["\n", ". ", "。", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
    )
    return [p for p in splitter.split_text(text) if p.strip()]
