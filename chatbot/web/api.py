"""The web server: one FastAPI app with the JSON/SSE API, the embeddable widget and the Gradio UI.

    /                Gradio chat UI (chatbot.web.ui)
    /embed           small hand-written widget for portals to frame (chatbot/web/static/embed.*)
    /api/ask         POST {"question", "history"} -> Answer JSON
    /api/ask/stream  the same as server-sent events: citations, token..., done
    /api/health      readiness and index facts
    /v1/...          the chatbot as an OpenAI-compatible model (chatbot.web.openai_api)
    /metrics         Prometheus metrics (chatbot.web.metrics)
    /admin           the operator's page and /api/admin/* (chatbot.web.admin; ops.admin_token)
    /docs            OpenAPI docs (Swagger UI served locally: the server may be offline)

The answerer and its limits live in chatbot.web.service, the headers, body limit, trusted hosts and
Origin check in chatbot.web.security (middleware around the whole app, Gradio included); this module
is the app and its routes. The answer JSON is chatbot.types' Answer (defined once, there).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
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
)
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from chatbot.types import MAX_HISTORY_TURNS, Answer, HistoryText, StreamEvent
from chatbot.web.admin import admin_router
from chatbot.web.examples import examples_router
from chatbot.web.feedback import feedback_router
from chatbot.web.metrics import instrument, metrics_router
from chatbot.web.openai_api import openai_router
from chatbot.web.security import (
    BodyLimit,
    ForwardedHeaders,
    HostAndOrigin,
    SecurityHeaders,
    error_response,
    trusted_hosts,
)
from chatbot.web.service import Refusal, Service, client_key
from core.settings import Settings

if TYPE_CHECKING:
    from chatbot.pipeline.answer import Answerer

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
EMBED_FILES = {
    "widget.js": "text/javascript",
    "widget.css": "text/css",
    "launcher.js": "text/javascript",  # the one-script-tag launcher portals include
}


class AskRequest(BaseModel):
    # The examples are what /docs "Try it out" sends: a question and a follow-up that work.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"question": "When did Indonesia release its National AI Strategy?"},
                {
                    "question": "Who released it?",
                    "history": [
                        [
                            "When did Indonesia release its National AI Strategy?",
                            "Indonesia released its National AI Strategy in 2020 [1].",
                        ]
                    ],
                },
            ]
        }
    )

    question: StrictStr = Field(
        description="The question, in any language the index covers.",
        examples=["When did Indonesia release its National AI Strategy?"],
    )
    history: list[tuple[HistoryText, HistoryText | None]] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns, oldest first, as [question, answer-or-null] pairs.",
        examples=[[]],
    )


def _error(
    request: Request, status: int, message: str, retry_after: str | None = None, **extra: object
) -> JSONResponse:
    """{"detail": message}; on /v1 also OpenAI's {"error": {...}}, which the openai SDK shows."""
    if request.url.path.startswith("/v1/"):
        kind = {429: "rate_limit_error", 503: "server_error"}.get(status, "invalid_request_error")
        extra["error"] = {"message": message, "type": kind, "code": status}
    return error_response(status, message, retry_after, **extra)


def _validation_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Bad JSON or wrong types: one readable message (4xx), never a 500."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return _error(request, 400, "The request body is not valid JSON.")
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type and any(e.get("loc", ())[:1] == ("body",) for e in errors):
        return _error(request, 415, 'Send a JSON body with "Content-Type: application/json".')
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    expected = (
        '{"model": str, "messages": [{"role", "content"}, ...], "stream": bool}'
        if request.url.path.startswith("/v1/")
        else '{"question": str, "history": [[q, a|null], ...]}'
    )
    message = f"Invalid request (expected {expected}): " + "; ".join(parts)
    return _error(request, 422, message, errors=parts)


def _http_error_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if not isinstance(exc.detail, str):  # a structured detail is passed on as it is
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
    response = _error(request, exc.status_code, exc.detail)
    response.headers.update(exc.headers or {})
    return response


def _refusal_response(request: Request, r: Refusal) -> JSONResponse:
    """A question the service will not answer now (any route): its status and Retry-After."""
    return _error(request, r.status, r.message, r.retry_after)


AnswerEvents = tuple[StreamEvent, AsyncIterator[StreamEvent]]


async def _admitted(body: AskRequest, request: Request) -> AsyncIterator[AnswerEvents]:
    """Admit the question and await its first event before the stream starts, so a refusal (or
    a failure before the answer begins) is a JSON error with Retry-After, not a stream that
    starts and breaks."""
    service: Service = request.app.state.service
    events = service.astream(body.question, body.history, client_key(request))
    try:
        first = await anext(events, None)
        if first is None:  # pragma: no cover - an answer always has events
            raise Refusal(503, "The answer ended before it began; please try again.")
        yield first, events
    finally:
        await events.aclose()  # type: ignore[attr-defined]


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
        response_model=Answer,
        responses=refusals,
        summary="Answer a question with cited passages",
    )
    async def ask(body: AskRequest, request: Request) -> Response:
        answer = await service.ask(body.question, body.history, client_key(request))
        return JSONResponse(answer.to_json())

    stream_doc: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "Server-sent events: `citations` ({citations: [...]}) first, then "
            "`token` ({text}) deltas, then `done` (the final Answer JSON, whose text replaces "
            "the streamed one), or `error` ({detail}).",
        },
        **refusals,
    }

    @router.post(
        "/ask/stream",
        response_class=EventSourceResponse,
        responses=stream_doc,
        summary="Answer as server-sent events",
    )
    async def ask_stream(
        answer: Annotated[AnswerEvents, Depends(_admitted)],
    ) -> AsyncIterator[ServerSentEvent]:
        first, rest = answer
        try:
            if (event := _sse_event(first)) is not None:
                yield event
            async for ev in rest:
                if (event := _sse_event(ev)) is not None:
                    yield event
        except Refusal as r:  # the stream has started: report in-band, not as a 500
            yield ServerSentEvent(event="error", data={"detail": r.message})
        except Exception:
            log.exception("answering failed")
            detail = "Answering failed on the server; please try again."
            yield ServerSentEvent(event="error", data={"detail": detail})

    # async, and Service.health takes no lock: health answers while every answer slot is busy.
    @router.get("/health", summary="Readiness, index build and models")
    async def health() -> dict[str, object]:
        return service.health()

    return router


def _sse_event(ev: StreamEvent) -> ServerSentEvent | None:
    if ev.kind == "citations":
        return ServerSentEvent(
            event="citations", data={"citations": [c.to_json() for c in ev.citations]}
        )
    if ev.kind == "token":
        return ServerSentEvent(event="token", data={"text": ev.text})
    if ev.kind == "done" and ev.answer is not None:
        return ServerSentEvent(event="done", data=ev.answer.to_json())
    return None


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
    app.add_exception_handler(Refusal, _refusal_response)  # type: ignore[arg-type]
    app.include_router(_api_router(service))
    app.include_router(openai_router(service, settings.ops.openai_model_id))
    app.include_router(metrics_router(service.metrics, settings.ops))
    app.include_router(feedback_router(service))  # votes: chatbot.web.feedback
    app.include_router(examples_router(service))  # example questions: chatbot.web.examples
    app.include_router(admin_router(service))  # the operator's view: chatbot.web.admin
    _docs_routes(app)
    _embed_routes(app)
    from chatbot.web.source_view import source_router  # the citation page viewer (/source)

    app.include_router(source_router(settings, service))

    from chatbot.web.ui import mount_ui  # Gradio is heavy: import it only when an app is built

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
    instrument(app, service.metrics)  # outermost: counts the requests refused above too
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
    # chatbot.web.security.ForwardedHeaders believes it from settings.trusted_proxies only.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=5,
    )
