"""What guards the web server: security headers, the body-size limit and the Origin check.

Only the portals in settings.allowed_origins (and our own pages) may frame the UI or call the API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'"
)


def error_response(status: int, message: str, retry_after: str | None = None) -> JSONResponse:
    """The API's error shape: {"detail": message}, with Retry-After when there is one."""
    headers = {"Retry-After": retry_after} if retry_after else None
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _origin_allowed(origin: str, request: Request, allowed: Sequence[str]) -> bool:
    # Same-origin pages (the UI, /embed inside a portal's iframe) send their own origin.
    return origin.rstrip("/") in allowed or urlsplit(origin).netloc == request.headers.get("host")


def origin_check(allowed: Sequence[str]) -> Callable[[Request], None]:
    """A route dependency: 403 for requests whose Origin is neither an allowed portal nor ours."""

    def check_origin(request: Request) -> None:
        origin = request.headers.get("origin")
        if origin is not None and not _origin_allowed(origin, request, allowed):
            raise HTTPException(403, f"Requests from the origin {origin!r} are not allowed.")

    return check_origin


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
                await error_response(413, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)
