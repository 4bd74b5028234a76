"""The web server: one FastAPI app with the JSON/SSE API, the embeddable widget and the Gradio UI.

    /                Gradio chat UI (chatbot.ui)
    /embed           small hand-written widget for portals to frame (chatbot/static/embed.*)
    /api/ask         POST {"question", "history"} -> Answer JSON
    /api/ask/stream  the same as server-sent events: citations, token..., done
    /api/health      readiness and index facts
    /docs            OpenAPI docs (Swagger UI served locally: the server may be offline)

The answerer loads in a background thread, so the server answers at once; until it is ready,
asking gets 503 + Retry-After and the UI shows a "loading" notice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatbot.ratelimit import SlidingWindowLimiter
from chatbot.types import Citation
from ingest.settings import Settings

if TYPE_CHECKING:
    from chatbot.answer import Answerer

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 64 * 1024  # a question, plus a history of earlier turns
MAX_HISTORY_TURNS = 20
MAX_HISTORY_CHARS = 4000  # per question or answer of the history
LOADING_RETRY_S = 5
EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
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


class Refusal(Exception):
    """A request the server will not answer now, with the HTTP status and a message for people."""

    def __init__(self, status: int, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class Service:
    """What the API and the UI share: the answerer (loaded in the background) and the limits."""

    def __init__(self, settings: Settings, factory: Callable[[], Answerer]) -> None:
        self.settings = settings
        self.limiter = SlidingWindowLimiter(settings.rate_limit_per_minute)
        self._factory = factory
        self._answerer: Answerer | None = None
        self._error: str | None = None
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()

    def start_loading(self) -> None:
        if self._thread is None:
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._load, name="load-answerer", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            self._answerer = self._factory()
        except Exception as exc:  # any failure is reported to users and health
            log.exception("loading the answerer failed")
            self._error = str(exc) or type(exc).__name__
        else:
            log.info("answerer ready after %.1f s", time.monotonic() - self._started)

    @property
    def state(self) -> str:
        if self._answerer is not None:
            return "ready"
        return "failed" if self._error is not None else "loading"

    def health(self) -> dict[str, object]:
        limits = {"max_question_chars": self.settings.max_question_chars}
        if self._answerer is not None:
            return {"ready": True, "status": "ready", **self._answerer.health(), **limits}
        out: dict[str, object] = {"ready": False, "status": self.state, **limits}
        if self._error is not None:
            out["detail"] = f"The index or models could not be loaded: {self._error}"
        else:
            out["loading_s"] = round(time.monotonic() - self._started, 1)
        return out

    def check_question(self, question: str) -> str:
        """The question with spaces tidied, or a Refusal saying what is wrong with it."""
        question = question.strip()
        if not question:
            raise Refusal(422, "The question is empty: type a question about the documents.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise Refusal(
                422,
                f"The question is too long ({len(question)} characters); "
                f"the limit is {limit}. Please shorten it.",
            )
        return question

    def admit(self, question: str, client: str) -> tuple[Answerer, str]:
        """Check the question, readiness and the client's rate; count the question."""
        question = self.check_question(question)
        if self._answerer is None:
            if self._error is not None:
                raise Refusal(503, f"The index or models could not be loaded: {self._error}")
            raise Refusal(
                503,
                "The model is still loading; please try again in a few seconds.",
                str(LOADING_RETRY_S),
            )
        wait = self.limiter.hit(client)
        if wait is not None:
            retry = self.limiter.retry_after_header(wait)
            raise Refusal(
                429,
                f"Too many questions: the limit is {self.settings.rate_limit_per_minute} per "
                f"minute. Please wait {retry} s.",
                retry,
            )
        return self._answerer, question

    def close(self) -> None:
        close = getattr(self._answerer, "close", None)
        if callable(close):
            close()


def citation_json(c: Citation) -> dict[str, Any]:
    """One citation as in Answer.to_json() (variants only when there are some)."""
    return {k: v for k, v in asdict(c).items() if k != "variants" or v}


def client_key(request: Request) -> str:
    # uvicorn rewrites request.client from X-Forwarded-For only for trusted proxies.
    return request.client.host if request.client else "unknown"


def _error(status: int, message: str, retry_after: str | None = None) -> JSONResponse:
    headers = {"Retry-After": retry_after} if retry_after else None
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _origin_allowed(origin: str, request: Request, allowed: Sequence[str]) -> bool:
    # Same-origin pages (the UI, /embed inside a portal's iframe) send their own origin.
    return origin.rstrip("/") in allowed or urlsplit(origin).netloc == request.headers.get("host")


class SecurityHeaders:
    """Adds nosniff & co. to every response, and a CSP that only lets allowed portals frame us."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str]) -> None:
        self.app = app
        ancestors = " ".join(["'self'", *allowed_origins])
        self.frame_csp = f"frame-ancestors {ancestors}"
        self.embed_csp = f"{EMBED_CSP}; frame-ancestors {ancestors}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        csp = self.embed_csp if path.rstrip("/") == "/embed" else self.frame_csp

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = {
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                    b"content-security-policy": csp.encode(),
                }
                if path.startswith("/api/"):
                    extra[b"cache-control"] = b"no-store"
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """413 with a JSON message for /api/* bodies declared too large. Bodies without a
    Content-Length are still capped by the routes' max_body_size (plain-text 413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            length = dict(scope["headers"]).get(b"content-length", b"0")
            if not length.isdigit() or int(length) > self.max_bytes:
                message = f"The request body is too large (limit {self.max_bytes} bytes)."
                await _error(413, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _validation_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Bad JSON or wrong types: one readable message (4xx), never a 500."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return _error(400, "The request body is not valid JSON.")
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type and any(e.get("loc", ())[:1] == ("body",) for e in errors):
        return _error(415, 'Send a JSON body with "Content-Type: application/json".')
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    message = 'Invalid request (expected {"question": str, "history": [[q, a|null], ...]}): '
    return JSONResponse({"detail": message + "; ".join(parts), "errors": parts}, status_code=422)


def _http_error_response(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _api_router(service: Service) -> APIRouter:
    allowed = service.settings.allowed_origins

    def check_origin(request: Request) -> None:
        origin = request.headers.get("origin")
        if origin is not None and not _origin_allowed(origin, request, allowed):
            raise HTTPException(403, f"Requests from the origin {origin!r} are not allowed.")

    router = APIRouter(
        prefix="/api", dependencies=[Depends(check_origin)], max_body_size=MAX_BODY_BYTES
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
            return _error(r.status, r.message, r.retry_after)
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
            return _error(r.status, r.message, r.retry_after)
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
                yield event("citations", {"citations": [citation_json(c) for c in ev.citations]})
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

    from chatbot.ui import mount_ui  # the UI uses Service; import here to keep the cycle lazy

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
