"""See the source of a citation: the PDF page with the passage highlighted, or a text passage
among its neighbours.

    /source?doc=&variant=&loc=&sha=          HTML page for one cited passage
    /source/page.png?doc=&variant=&loc=&sha=&page=   the PDF page, passage highlighted
    /source/viewer.css                       the page's style sheet

A citation names its passage by ``doc`` (doc_id), ``variant`` and ``loc`` (location), as the
answer JSON has them; ``sha`` (the first 16 hex digits of the sha256 of the citation's text)
picks one part of a passage split in several, and may be left out. :func:`source_url` builds the
address from a citation.

Only the served index is read: the passage, its neighbours and its file come from the index's
chunk records, and a file is opened only when it lies inside ``settings.corpus_dir`` and still
has the sha256 the build recorded. Every document string is HTML-escaped; the pages carry a CSP
without scripts, and the viewer has its own per-client rate (settings.source_view).
"""

from __future__ import annotations

import hashlib
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response

from chatbot.web.page_render import PageCache, PageUnavailable, render_page
from chatbot.web.ratelimit import SlidingWindowLimiter
from chatbot.web.service import Service, client_key
from core.chunks import Chunk
from core.manifest import BuildManifest
from core.ocr_words import OcrPage, OcrWord, read_ocr_words
from core.settings import Settings
from core.store import LoadedIndex

STATIC_DIR = Path(__file__).parent / "static"
SHA_CHARS = 16
PAGE_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'"
)

DocParam = Annotated[str, Query(min_length=1, max_length=200, description="The citation's doc_id")]
VariantParam = Annotated[str, Query(min_length=1, max_length=100)]
LocParam = Annotated[str, Query(min_length=1, max_length=300, description="Its location")]
ShaParam = Annotated[str | None, Query(pattern=r"^[0-9a-f]{8,64}$")]
# Only the pages of the cited passage are served (see _Lookup.pages); this bounds the number.
PageParam = Annotated[int | None, Query(ge=1, le=100_000)]


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:SHA_CHARS]


def source_url(citation: Any) -> str:
    """The viewer's address for a citation (anything with doc_id, variant, location, text)."""
    query = {
        "doc": citation.doc_id,
        "variant": citation.variant,
        "loc": citation.location,
        "sha": text_sha(citation.text),
    }
    return "/source?" + urlencode(query)


@dataclass
class _Lookup:
    """The served index's chunks by citation key, and each file's chunks in reading order."""

    index: LoadedIndex
    by_key: dict[tuple[str, str, str], list[Chunk]] = field(default_factory=dict)
    by_file: dict[tuple[str, str], list[Chunk]] = field(default_factory=dict)
    position: dict[str, int] = field(default_factory=dict)  # chunk id -> place in its file
    _ocr: dict[tuple[str, int], OcrPage] | None = None

    def __post_init__(self) -> None:
        for chunk in self.index.chunks:
            key = (chunk.doc_id, chunk.variant, chunk.location)
            self.by_key.setdefault(key, []).append(chunk)
            self.by_file.setdefault((chunk.source, chunk.variant), []).append(chunk)
        for chunks in self.by_file.values():
            chunks.sort(key=lambda c: (c.paragraph, c.part))
            self.position.update((c.chunk_id, at) for at, c in enumerate(chunks))

    def find(self, doc: str, variant: str, loc: str, sha: str | None) -> Chunk:
        found = self.by_key.get((doc, variant, loc), [])
        if sha:
            found = [c for c in found if c.text_sha.startswith(sha)]
        if not found:
            raise HTTPException(404, "No such passage in the served index.")
        return found[0]

    def neighbours(self, chunk: Chunk, n: int) -> tuple[list[Chunk], list[Chunk]]:
        chunks = self.by_file[(chunk.source, chunk.variant)]
        at = self.position[chunk.chunk_id]
        return chunks[max(0, at - n) : at], chunks[at + 1 : at + 1 + n]

    def ocr_words(self, file_sha: str, page: int) -> tuple[OcrWord, ...] | None:
        """The words OCR read on a scanned page of the build (None on a page with text)."""
        if self._ocr is None:
            try:
                self._ocr = read_ocr_words(self.index.path)
            except (OSError, ValueError, KeyError, TypeError):  # a verified build: not expected
                self._ocr = {}
        found = self._ocr.get((file_sha, page))
        return found.words if found is not None else None

    def pages(self, chunk: Chunk) -> list[int]:
        """The pages a PDF passage may cover: its first, up to where the next passage starts."""
        if chunk.page is None:
            return []
        _, after = self.neighbours(chunk, 1)
        last = after[0].page if after and after[0].page is not None else chunk.page
        return list(range(chunk.page, max(chunk.page, last) + 1))


def _recorded_sha(manifest: BuildManifest, source: str) -> str | None:
    """The sha256 the build recorded for a corpus file."""
    entry = manifest.files.get(source)
    return entry.sha256 if entry is not None else None


class SourceFiles:
    """Corpus files of the served build, opened only inside corpus_dir and unchanged."""

    def __init__(self, corpus_dir: Path) -> None:
        self.root = corpus_dir.resolve()
        self._sha: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    def path(self, index: LoadedIndex, chunk: Chunk) -> tuple[Path, str]:
        """The file of a chunk and its sha256, or 404/409 saying why it cannot be shown."""
        recorded = _recorded_sha(index.manifest, chunk.source)
        path = (self.root / chunk.source).resolve()
        if not recorded or not path.is_relative_to(self.root) or not path.is_file():
            raise HTTPException(404, "The document is not in the corpus folder.")
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            sha = self._sha.get(key)
        if sha is None:
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
            sha = digest.hexdigest()
            with self._lock:
                self._sha[key] = sha
        if sha != recorded:
            raise HTTPException(409, "The document changed after the index was built.")
        return path, sha


def _body(chunk: Chunk) -> str:
    """The passage without the heading path ingest put before it."""
    if chunk.heading and chunk.text.startswith(chunk.heading):
        return chunk.text[len(chunk.heading) :].lstrip()
    return chunk.text


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _page_html(title: str, head: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(title)}</title><link rel="stylesheet" href="/source/viewer.css">'
        f"</head><body><header>{head}</header><main>{body}</main></body></html>"
    )


def viewer_html(chunk: Chunk, lookup: _Lookup, page: int | None, context: int) -> str:
    """The viewer page: a PDF page image with the passage text, or the passage among its
    neighbouring passages. Every document string is escaped."""
    head = (
        f"<h1>{html.escape(chunk.title)}</h1>"
        f'<p class="meta">{html.escape(chunk.variant)} · {html.escape(chunk.location)} · '
        f"{html.escape(Path(chunk.source).name)}</p>"
    )
    if chunk.heading:
        head += f'<p class="heading">{html.escape(chunk.heading)}</p>'
    key = {"doc": chunk.doc_id, "variant": chunk.variant, "loc": chunk.location}
    key["sha"] = chunk.text_sha[:SHA_CHARS]
    if page is not None:
        links = []
        for p in lookup.pages(chunk):
            href = html.escape("/source?" + urlencode({**key, "page": p}))
            current = ' aria-current="page"' if p == page else ""
            links.append(f'<a href="{href}"{current}>page {p}</a>')
        src = html.escape("/source/page.png?" + urlencode({**key, "page": page}))
        alt = html.escape(f"Page {page} of {chunk.title}, the cited passage highlighted")
        body = (
            f'<nav class="pages">{" ".join(links)}</nav>'
            f'<figure><img id="page" src="{src}" alt="{alt}"></figure>'
            f'<details><summary>Passage text (as indexed)</summary><blockquote class="cited">'
            f"{_paragraphs(_body(chunk))}</blockquote></details>"
        )
        return _page_html(f"{chunk.title}, page {page}", head, body)
    before, after = lookup.neighbours(chunk, context)
    parts = [f'<section class="context">{_paragraphs(_body(c))}</section>' for c in before]
    parts.append(f'<section class="cited" id="cited"><mark>{_paragraphs(_body(chunk))}</mark>')
    parts[-1] += "</section>"
    parts += [f'<section class="context">{_paragraphs(_body(c))}</section>' for c in after]
    return _page_html(f"{chunk.title}, {chunk.location}", head, "".join(parts))


def source_router(
    settings: Settings,
    service: Service,
    index_of: Callable[[], LoadedIndex | None] | None = None,
) -> APIRouter:
    """The viewer's routes; ``index_of`` (default: the service's served index) gives the index."""
    conf = settings.source_view
    router = APIRouter(prefix="/source", include_in_schema=False)
    limiter = SlidingWindowLimiter(conf.rate_limit_per_minute)
    files = SourceFiles(settings.corpus_dir)
    cache = PageCache(conf.cache_dir or settings.model_cache_dir / "pages", conf.cache_max_bytes)
    frame = " ".join(["'self'", *settings.allowed_origins])
    csp = f"{PAGE_CSP}; frame-ancestors {frame}"
    current = index_of or service.served_index
    lookups: dict[int, _Lookup] = {}

    def lookup(request: Request) -> _Lookup:
        wait = limiter.hit(client_key(request))
        if wait is not None:
            retry = limiter.retry_after_header(wait)
            raise HTTPException(429, f"Too many requests; wait {retry} s.", {"Retry-After": retry})
        index = current()
        if index is None:
            raise HTTPException(503, "The index is still loading.", {"Retry-After": "5"})
        if id(index) not in lookups:
            lookups.clear()  # one served build at a time
            lookups[id(index)] = _Lookup(index)
        return lookups[id(index)]

    def pdf_page(found: _Lookup, chunk: Chunk, page: int | None) -> int:
        pages = found.pages(chunk)
        if not pages:
            raise HTTPException(404, "This passage is not from a PDF.")
        if page is None:
            return pages[0]
        if page not in pages:
            raise HTTPException(404, f"The passage is on pages {pages[0]}-{pages[-1]}.")
        return page

    @router.get("", response_class=HTMLResponse)
    def view(
        request: Request,
        doc: DocParam,
        variant: VariantParam,
        loc: LocParam,
        sha: ShaParam = None,
        page: PageParam = None,
    ) -> HTMLResponse:
        found = lookup(request)
        chunk = found.find(doc, variant, loc, sha)
        text_file = chunk.page is None and page is None
        shown = None if text_file else pdf_page(found, chunk, page)
        return HTMLResponse(
            viewer_html(chunk, found, shown, conf.context_chunks),
            headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"},
        )

    @router.get("/page.png")
    async def page_png(
        request: Request,
        doc: DocParam,
        variant: VariantParam,
        loc: LocParam,
        sha: ShaParam = None,
        page: PageParam = None,
    ) -> Response:
        found = lookup(request)
        chunk = found.find(doc, variant, loc, sha)
        shown = pdf_page(found, chunk, page)
        path, file_sha = await run_in_threadpool(files.path, found.index, chunk)
        key = cache.key(found.index.build_id, file_sha, shown, chunk.text_sha, conf)
        png = await run_in_threadpool(cache.get, key)
        if png is None:
            try:
                words = await run_in_threadpool(found.ocr_words, file_sha, shown)
                rendered = await run_in_threadpool(
                    render_page, path, shown, _body(chunk), conf, settings.pdf_max_pages, words
                )
            except PageUnavailable as exc:
                raise HTTPException(404, str(exc)) from exc
            png = rendered.png
            await run_in_threadpool(cache.put, key, png)
        headers = {"Cache-Control": "private, max-age=3600", "Content-Security-Policy": csp}
        return Response(png, media_type="image/png", headers=headers)

    @router.get("/viewer.css")
    def viewer_css() -> FileResponse:
        return FileResponse(STATIC_DIR / "source_view.css", media_type="text/css")

    return router
