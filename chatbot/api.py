"""The web server: one FastAPI app with the JSON/SSE API, the embeddable widget and the Gradio UI.

    /                Gradio chat UI (chatbot.ui)
    /embed           small hand-written widget for portals to frame (chatbot/static/embed.*)
    /api/ask         POST {"question", "history"} -> Answer JSON
    /api/ask/stream  the same as server-sent events: citations, token..., done
    /api/health      readiness and index facts
    /docs            OpenAPI docs (Swagger UI served locally: the server may be offline)

The answerer and its limits live in chatbot.service, the headers, body limit, trusted hosts and
Origin check in chatbot.security (middleware around the whole app, Gradio included); this module
is the app, its routes and their JSON shapes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from pydantic import BaseModel, Field, StrictStr, StringConstraints
from starlette.exceptions import HTTPException as StarletteHTTPException

from chatbot.security import (
    BodyLimit,
    ForwardedHeaders,
    HostAndOrigin,
    SecurityHeaders,
    error_response,
    trusted_hosts,
)
from chatbot.service import Refusal, Service, client_key
from core.settings import Settings

if TYPE_CHECKING:
    from chatbot.answer import Answerer
    from chatbot.types import StreamEvent

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
MAX_HISTORY_TURNS = 20
MAX_HISTORY_CHARS = 4000  # per question or answer of the history
EMBED_FILES = {"widget.js": "text/javascript", "widget.css": "text/css"}

HistoryText = Annotated[StrictStr, StringConstraints(max_length=MAX_HISTORY_CHARS)]


class AskRequest(BaseModel):
    question: StrictStr = Field(description="The question, in any language the index covers.")
    history: list[tuple[HistoryText, HistoryText | None]] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns, oldest first, as [question, answer-or-null] pairs.",
    )


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    variant: str = Field(description="e.g. original, ja-derived")
    location: str = Field(description="Paragraph (¶n) or page.")
    text: str
    score: float
    variants: list[dict[str, Any]] | None = Field(
        None, description="Other variants of the passage, and what differs from the original."
    )


class AnswerOut(BaseModel):
    answer: str = Field(description="The answer, with [n] markers pointing into citations.")
    abstained: bool = Field(description="True when the documents do not answer the question.")
    citations: list[CitationOut]
    latency_s: float
    standalone_question: str | None = Field(
        None, description="The question as retrieved, when a follow-up was rewritten."
    )


def _validation_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Bad JSON or wrong types: one readable message (4xx), never a 500."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "The request body is not valid JSON.")
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type and any(e.get("loc", ())[:1] == ("body",) for e in errors):
        return error_response(415, 'Send a JSON body with "Content-Type: application/json".')
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    message = 'Invalid request (expected {"question": str, "history": [[q, a|null], ...]}): '
    return JSONResponse({"detail": message + "; ".join(parts), "errors": parts}, status_code=422)


def _http_error_response(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _api_router(service: Service) -> APIRouter:
    router = APIRouter(prefix="/api")
    refusals: dict[int | str, dict[str, Any]] = {
        code: {"description": text}
        for code, text in [
            (400, "The body is not valid JSON, or the Host is not one this server answers to."),
            (403, "The request's Origin is not an allowed portal."),
            (413, "The request body is too large."),
            (415, "The body is not sent as application/json."),
            (422, "The question is empty or too long, or the body has the wrong shape."),
            (429, "Too many questions from this client (rate, or unfinished); see Retry-After."),
            (503, "Loading, overloaded, or the model is unavailable; see Retry-After."),
        ]
    }

    @router.post(
        "/ask",
        response_model=AnswerOut,
        responses=refusals,
        summary="Answer a question with cited passages",
    )
    async def ask(body: AskRequest, request: Request) -> Response:
        try:
            answer = await service.ask(body.question, body.history, client_key(request))
        except Refusal as r:
            return error_response(r.status, r.message, r.retry_after)
        return JSONResponse(answer.to_json())

    stream_doc: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "Server-sent events: `citations` ({citations: [...]}) first, then "
            "`token` ({text}) deltas, then `done` (the final Answer JSON, whose text replaces "
            "the streamed one), or `error` ({detail}).",
            "content": {"text/event-stream": {}},
        },
        **refusals,
    }

    @router.post("/ask/stream", responses=stream_doc, summary="Answer as server-sent events")
    async def ask_stream(body: AskRequest, request: Request) -> Response:
        try:
            events = service.astream(body.question, body.history, client_key(request))
            # The first event is awaited here, so a failure before it is a JSON 503 with
            # Retry-After, not a stream that starts and breaks.
            first = await anext(events)
        except Refusal as r:
            return error_response(r.status, r.message, r.retry_after)
        except StopAsyncIteration:  # pragma: no cover - an answer always has events
            return error_response(503, "The answer ended before it began; please try again.")
        return StreamingResponse(
            _sse(first, events),
            media_type="text/event-stream",
            headers={"X-Accel-Buffering": "no"},  # let nginx pass tokens through at once
        )

    # async, and Service.health takes no lock: health answers while every answer slot is busy.
    @router.get("/health", summary="Readiness, index build and models")
    async def health() -> dict[str, object]:
        return service.health()

    return router


def _event(kind: str, data: object) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _sse_text(ev: StreamEvent) -> str | None:
    if ev.kind == "citations":
        return _event("citations", {"citations": [c.to_json() for c in ev.citations]})
    if ev.kind == "token":
        return _event("token", {"text": ev.text})
    if ev.kind == "done" and ev.answer is not None:
        return _event("done", ev.answer.to_json())
    return None


async def _sse(first: StreamEvent, rest: AsyncIterator[StreamEvent]) -> AsyncIterator[str]:
    try:
        if (text := _sse_text(first)) is not None:
            yield text
        async for ev in rest:
            if (text := _sse_text(ev)) is not None:
                yield text
    except Refusal as r:  # the stream has started: report in-band, not as a 500
        yield _event("error", {"detail": r.message})
    except Exception:
        log.exception("answering failed")
        yield _event("error", {"detail": "Answering failed on the server; please try again."})
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()


def _docs_routes(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle-v2 package, so /docs works without internet."""
    local: Path | None
    try:
        from swagger_ui_bundle import swagger_ui_path

        local = Path(str(swagger_ui_path))
    except ImportError:  # fall back to FastAPI's CDN-hosted assets
        local = None
    assets = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if local is None:
            return get_swagger_ui_html(openapi_url="/openapi.json", title="strategy-qa API")
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="strategy-qa API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        if local is None or name not in assets:
            raise HTTPException(404, "Not found")
        return FileResponse(local / name)


def _embed_routes(app: FastAPI) -> None:
    """The widget portals frame: a small page of our own (no Gradio bundle inside the portal)."""

    @app.get("/embed", include_in_schema=False)
    def embed() -> FileResponse:
        return FileResponse(STATIC_DIR / "embed.html", media_type="text/html")

    @app.get("/embed/{name}", include_in_schema=False)
    def embed_asset(name: str) -> FileResponse:
        if name not in EMBED_FILES:
            raise HTTPException(404, "Not found")
        return FileResponse(STATIC_DIR / name, media_type=EMBED_FILES[name])


def create_app(
    settings: Settings,
    answerer_factory: Callable[[], Answerer],
    retriever_factory: Callable[[], Any] | None = None,
) -> FastAPI:
    """The whole web server as one ASGI app; the answerer is built by answerer_factory when the
    app starts (lifespan), in a background thread. retriever_factory (default: the live build's
    Retriever) loads a new build when the index's CURRENT pointer changes."""
    service = Service(settings, answerer_factory, retriever_factory)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start_loading()
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="strategy-qa",
        summary="Cited answers from the indexed strategy documents.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.add_exception_handler(RequestValidationError, _validation_response)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error_response)  # type: ignore[arg-type]
    app.include_router(_api_router(service))
    _docs_routes(app)
    _embed_routes(app)

    from chatbot.ui import mount_ui  # Gradio is heavy: import it only when an app is built

    app = mount_ui(app, service)
    # Middleware wraps the whole app, the Gradio UI included; the one added last runs first.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        HostAndOrigin, hosts=trusted_hosts(settings), allowed_origins=settings.allowed_origins
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    app.add_middleware(SecurityHeaders, allowed_origins=settings.allowed_origins)
    app.add_middleware(ForwardedHeaders, trusted_proxies=settings.trusted_proxies)
    return app


def serve(settings: Settings, answerer_factory: Callable[[], Answerer]) -> None:
    """Run the server on settings.host:settings.port until interrupted."""
    import uvicorn

    shown = "127.0.0.1" if settings.host in {"0.0.0.0", "::"} else settings.host  # noqa: S104
    base = f"http://{shown}:{settings.port}"

    def load_and_tell() -> Answerer:
        started = time.monotonic()
        answerer = answerer_factory()
        print(f"strategy-qa: ready after {time.monotonic() - started:.1f} s", flush=True)
        return answerer

    app = create_app(settings, load_and_tell)
    print(f"strategy-qa: chat UI at {base}/  (widget {base}/embed, API docs {base}/docs)")
    print("strategy-qa: loading the index and models in the background ...", flush=True)
    if settings.host in {"0.0.0.0", "::"} and not settings.trusted_hosts:  # noqa: S104
        print(
            "strategy-qa: listening on all addresses, but only localhost names are trusted: "
            "set SQA_TRUSTED_HOSTS to the name(s) users type (see docs/SECURITY.md)",
            flush=True,
        )
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from 127.0.0.1 by default;
    # chatbot.security.ForwardedHeaders believes it from settings.trusted_proxies only.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=5,
    )
