"""The web server: one FastAPI app with the JSON/SSE API, the embeddable widget and the Gradio UI.

    /                Gradio chat UI (chatbot.ui)
    /embed           small hand-written widget for portals to frame (chatbot/static/embed.*)
    /api/ask         POST {"question", "history"} -> Answer JSON
    /api/ask/stream  the same as server-sent events: citations, token..., done
    /api/health      readiness and index facts
    /docs            OpenAPI docs (Swagger UI served locally: the server may be offline)

The answerer and its limits live in chatbot.service, the headers, body limit and Origin check in
chatbot.security; this module is the app, its routes and their JSON shapes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
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

from chatbot.security import BodyLimit, SecurityHeaders, error_response, origin_check
from chatbot.service import Refusal, Service, client_key
from ingest.settings import Settings

if TYPE_CHECKING:
    from chatbot.answer import Answerer

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 64 * 1024  # a question, plus a history of earlier turns
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
    router = APIRouter(
        prefix="/api",
        dependencies=[Depends(origin_check(service.settings.allowed_origins))],
        max_body_size=MAX_BODY_BYTES,
    )
    refusals: dict[int | str, dict[str, Any]] = {
        code: {"description": text}
        for code, text in [
            (400, "The body is not valid JSON."),
            (403, "The request's Origin is not an allowed portal."),
            (413, "The request body is too large."),
            (415, "The body is not sent as application/json."),
            (422, "The question is empty or too long, or the body has the wrong shape."),
            (429, "Too many questions from this client; see Retry-After."),
            (503, "The model is still loading; see Retry-After."),
        ]
    }

    @router.post(
        "/ask",
        response_model=AnswerOut,
        responses=refusals,
        summary="Answer a question with cited passages",
    )
    def ask(body: AskRequest, request: Request) -> Response:
        try:
            answerer, question = service.admit(body.question, client_key(request))
        except Refusal as r:
            return error_response(r.status, r.message, r.retry_after)
        return JSONResponse(answerer.ask(question, body.history).to_json())

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
    def ask_stream(body: AskRequest, request: Request) -> Response:
        try:
            answerer, question = service.admit(body.question, client_key(request))
        except Refusal as r:
            return error_response(r.status, r.message, r.retry_after)
        return StreamingResponse(
            _sse(answerer, question, body.history),
            media_type="text/event-stream",
            headers={"X-Accel-Buffering": "no"},  # let nginx pass tokens through at once
        )

    @router.get("/health", summary="Readiness, index build and models")
    def health() -> dict[str, object]:
        return service.health()

    return router


def _sse(
    answerer: Answerer, question: str, history: Sequence[tuple[str, str | None]]
) -> Iterator[str]:
    def event(kind: str, data: object) -> str:
        return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

    try:
        for ev in answerer.stream(question, history):
            if ev.kind == "citations":
                yield event("citations", {"citations": [c.to_json() for c in ev.citations]})
            elif ev.kind == "token":
                yield event("token", {"text": ev.text})
            elif ev.kind == "done" and ev.answer is not None:
                yield event("done", ev.answer.to_json())
    except Exception:  # the stream has started: report in-band, not as a 500
        log.exception("answering failed")
        yield event("error", {"detail": "Answering failed on the server; please try again."})


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


def create_app(settings: Settings, answerer_factory: Callable[[], Answerer]) -> FastAPI:
    """The whole web server as one ASGI app; the answerer is built by answerer_factory when the
    app starts (lifespan), in a background thread."""
    service = Service(settings, answerer_factory)

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
    # Middleware added last runs first: CORS answers preflights before anything else.
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeaders, allowed_origins=settings.allowed_origins)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        expose_headers=["Retry-After"],
        max_age=600,
    )

    from chatbot.ui import mount_ui  # Gradio is heavy: import it only when an app is built

    return mount_ui(app, service)


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
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
