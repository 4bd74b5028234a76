"""What guards the web server, as ASGI middleware around the whole app (Gradio's routes included).

From the outside in:

    ForwardedHeaders  believes X-Forwarded-* only from settings.trusted_proxies, else drops them
    SecurityHeaders   nosniff, no-referrer, and a CSP that lets only allowed portals frame us
                      (the operator's page: its own script and style only, never framed)
    (CORS)            Starlette's, for settings.allowed_origins only
    HostAndOrigin     400 for a Host not in the trusted list (DNS rebinding), 403 for an Origin
                      that is neither this server nor an allowed portal, 404 for uploads
    BodyLimit         413 past settings.max_body_bytes, counting the bytes as they arrive

docs/SECURITY.md says what each limit is for and where else limits apply.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings

log = logging.getLogger(__name__)

EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
# The operator's page (/admin): the widget's rules, and no site may frame it (clickjacking).
ADMIN_CSP = f"{EMBED_CSP}; frame-ancestors 'none'"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - listening on all addresses, not a name
# Read from a trusted proxy; every other forwarding header is dropped from every request.
PROXY_HEADERS = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host")
FORWARDED_HEADERS = (
    *PROXY_HEADERS,
    b"x-forwarded-port",
    b"x-forwarded-prefix",
    b"x-real-ip",
    b"forwarded",
)
# Gradio routes that take files. The UI has no file input, so they are turned off.
UPLOAD_PATHS = (
    "/gradio_api/upload",
    "/gradio_api/upload_progress",
    "/gradio_api/process_recording",
    "/gradio_api/stream/",
)


def error_response(
    status: int, message: str, retry_after: str | None = None, **extra: object
) -> JSONResponse:
    """The API's error shape: {"detail": message}, with Retry-After when there is one."""
    headers = {"Retry-After": retry_after} if retry_after else None
    return JSONResponse({"detail": message, **extra}, status_code=status, headers=headers)


def trusted_hosts(settings: Settings) -> frozenset[str]:
    """Host names this server answers to: loopback, the configured host, and trusted_hosts."""
    names = {*LOOPBACK_HOSTS, *settings.trusted_hosts}
    if settings.host not in WILDCARD_HOSTS:
        names.add(settings.host.lower())
    return frozenset(names)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _hostname(netloc: str) -> str:
    """'Example.org:8080' -> 'example.org'; '[::1]:7860' -> '::1'."""
    try:
        return (urlsplit(f"//{netloc}").hostname or "").lower()
    except ValueError:
        return ""


def normalised_request_origin(origin: str) -> str | None:
    try:
        return Settings.normalise_origin(origin)
    except ValueError:  # 'null', a path, a bad port: no origin we could ever allow
        return None


def _same_netloc(origin: str, host: str, scheme: str) -> bool:
    """Does origin name host (as the browser sees it), default ports being implicit?"""
    wanted = normalised_request_origin(f"{scheme}://{host}")
    if wanted is None:
        return False
    origin_parts, wanted_parts = urlsplit(origin), urlsplit(wanted)
    return (origin_parts.hostname, origin_parts.port) == (wanted_parts.hostname, wanted_parts.port)


class ForwardedHeaders:
    """Client address and scheme from a trusted reverse proxy's headers, none from anyone else.

    From a trusted proxy, the client is the right-most X-Forwarded-For address that is not a
    trusted proxy itself (the left part can be written by the client). From anyone else every
    forwarded header is removed, so neither the rate limit key nor Gradio's page root (which reads
    X-Forwarded-Host) can be chosen by a client.
    """

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[str]) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        from_proxy = peer is not None and self.trusted(str(peer[0]))
        dropped = FORWARDED_HEADERS[len(PROXY_HEADERS) :] if from_proxy else FORWARDED_HEADERS
        if any(k in dropped for k, _ in scope.get("headers", ())):
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in dropped]
        if from_proxy:
            scope = dict(scope)
            forwarded = _header(scope, b"x-forwarded-for")
            if forwarded:
                hops = [h.strip() for h in forwarded.split(",") if h.strip()]
                client = next((h for h in reversed(hops) if not self.trusted(h)), None)
                if client is None and hops:
                    client = hops[0]
                if client:
                    scope["client"] = (client, 0)
            proto = (_header(scope, b"x-forwarded-proto") or "").split(",")[0].strip().lower()
            if proto in {"http", "https"}:
                scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
        await self.app(scope, receive, send)


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
        admin = path.rstrip("/") == "/admin" or path.startswith("/admin/")
        if admin:
            csp = ADMIN_CSP

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
                if admin or path.startswith(("/api/", "/v1/")):
                    extra[b"cache-control"] = b"no-store"
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostAndOrigin:
    """Refuses requests for other host names, from other sites, and file uploads.

    * Host (or a trusted proxy's X-Forwarded-Host) must be a trusted host name: a page on
      ``rebind.attacker.example`` whose name now points at us gets 400, so DNS rebinding
      cannot make the attacker's page "same origin" with this server.
    * An Origin header, when sent, must be this server (same host and port as the Host header)
      or one of allowed_origins (compared after normalising case and default ports); else 403.
      Browsers send Origin on every cross-site request and on same-site POSTs, so this covers
      the API, Gradio's queue and its other routes alike.
    """

    def __init__(self, app: ASGIApp, hosts: Iterable[str], allowed_origins: Sequence[str]) -> None:
        self.app = app
        self.hosts = frozenset(h.lower() for h in hosts)
        self.allowed_origins = frozenset(allowed_origins)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        host = _header(scope, b"x-forwarded-host") or _header(scope, b"host") or ""
        host = host.split(",")[0].strip()
        if _hostname(host) not in self.hosts:
            return 400, (
                f"This server does not answer to the host name {_hostname(host)!r}. "
                "Its operator can add it to SQA_TRUSTED_HOSTS."
            )
        origin = _header(scope, b"origin")
        if origin is None:
            return None
        normal = normalised_request_origin(origin)
        scheme = "https" if scope.get("scheme") in {"https", "wss"} else "http"
        if normal is not None and (
            normal in self.allowed_origins or _same_netloc(normal, host, scheme)
        ):
            return None
        return 403, f"Requests from the origin {origin[:100]!r} are not allowed."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        refused = self.refusal(scope)
        if refused is None and scope["type"] == "http" and scope["path"].startswith(UPLOAD_PATHS):
            refused = 404, "This server accepts no file uploads."
        if refused is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await error_response(*refused)(scope, receive, send)


class BodyLimit:
    """413 (JSON) for a request body over max_bytes, on every route.

    A declared Content-Length over the limit is refused before the app runs. Otherwise the bytes
    are counted as they arrive: at the first byte over, the client gets the 413 at once, the app
    is told the client went away, and anything it does after that is dropped.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def too_large(self) -> JSONResponse:
        return error_response(413, f"The request body is too large (limit {self.max_bytes} bytes).")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > self.max_bytes):
            await self.too_large()(scope, receive, send)
            return
        received = 0
        started = refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self.too_large()(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # our 413 went out instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            log.debug("request refused for its size; the app's error is dropped", exc_info=True)
