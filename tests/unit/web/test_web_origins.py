"""Who the server believes: trusted host names (no DNS rebinding), the Origin check on every
route, allowed origins normalised and never '*', and forwarded headers only from trusted proxies.

Issue 8, rows 3 (trusted hosts, Origin on Gradio's routes) and 11 (client identity and leaks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from chatbot.web.api import create_app
from core.settings import Settings
from tests.unit.web.test_api import BASE, PORTAL, QUESTION, FakeAnswerer, LiveClients
from tests.unit.web.test_web_limits import join_body

REBIND = "rebind.attacker.example"
EVIL = "https://evil.example"


@pytest.fixture
def make(settings_factory: Callable[..., Any]) -> Iterator[Callable[..., TestClient]]:
    clients = LiveClients()

    def build(
        base: str = BASE, client_ip: str = "127.0.0.1", ready: bool = True, **overrides: Any
    ) -> TestClient:
        values = {"allowed_origins": [PORTAL], **overrides}
        app = create_app(settings_factory(**values), cast(Any, FakeAnswerer))
        return clients.open(app, base, client_ip=client_ip, ready=ready)

    yield build
    clients.close()


# --- row 3: trusted hosts and the Origin check on Gradio's routes ---------------------------

ROUTES = [
    ("post", "/api/ask"),
    ("get", "/api/health"),
    ("get", "/"),
    ("get", "/config"),
    ("get", "/embed"),
    ("post", "/gradio_api/queue/join"),
    ("get", "/gradio_api/info"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_dns_rebinding_is_refused_on_every_route(
    make: Callable[..., TestClient], method: str, path: str
) -> None:
    """A page on rebind.attacker.example whose name now resolves to us is same-origin with
    itself: the Host header is the only tell, and it is not a trusted host."""
    client = make()
    headers = {"Host": f"{REBIND}:7860", "Origin": f"http://{REBIND}:7860"}
    kwargs: dict[str, Any] = {"headers": headers}
    if method == "post":
        kwargs["json"] = join_body(client, "s") if "gradio" in path else {"question": QUESTION}
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == 400, (path, r.status_code)
    assert REBIND in r.json()["detail"] and "SQA_TRUSTED_HOSTS" in r.json()["detail"]
    assert "document" not in r.text.lower()


def test_trusted_hosts_come_from_settings(make: Callable[..., TestClient]) -> None:
    client = make(base="http://qa.example.org", trusted_hosts=["QA.example.org"])
    r = client.post(
        "/api/ask", json={"question": QUESTION}, headers={"Origin": "http://qa.example.org"}
    )
    assert r.status_code == 200
    configured = make(base="http://10.1.2.3:7860", host="10.1.2.3")
    assert configured.get("/api/health").status_code == 200  # the configured host itself
    for name in ("localhost", "127.0.0.1", "[::1]"):
        assert configured.get("/api/health", headers={"Host": f"{name}:7860"}).is_success


@pytest.mark.parametrize("path", ["/gradio_api/queue/join", "/gradio_api/run/predict"])
def test_gradio_routes_check_the_origin(make: Callable[..., TestClient], path: str) -> None:
    client = make()
    r = client.post(path, json=join_body(client, "s"), headers={"Origin": EVIL})
    assert r.status_code == 403
    assert EVIL in r.json()["detail"]
    assert "access-control-allow-origin" not in r.headers
    ok = client.post(
        "/gradio_api/queue/join", json=join_body(client, "t"), headers={"Origin": BASE}
    )
    assert ok.status_code == 200


def test_gradio_page_config_refuses_other_origins(make: Callable[..., TestClient]) -> None:
    client = make()
    assert client.get("/config", headers={"Origin": EVIL}).status_code == 403
    assert client.get("/config", headers={"Origin": "null"}).status_code == 403
    assert client.get("/config").status_code == 200


# --- row 11: client identity and small leaks -------------------------------------------------


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    make: Callable[..., TestClient],
) -> None:
    """By default no proxy is trusted: a client cannot pick its rate-limit key."""
    client = make(rate_limit_per_minute=2)
    codes = [
        client.post(
            "/api/ask", json={"question": QUESTION}, headers={"X-Forwarded-For": f"10.9.0.{i}"}
        ).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 429, 429]


def test_a_trusted_proxy_names_the_client(make: Callable[..., TestClient]) -> None:
    client = make(rate_limit_per_minute=1, trusted_proxies=["127.0.0.0/8"])

    def ask(forwarded: str) -> int:
        headers = {"X-Forwarded-For": forwarded}
        return client.post("/api/ask", json={"question": QUESTION}, headers=headers).status_code

    assert ask("10.9.0.1") == 200
    assert ask("10.9.0.2") == 200  # another user behind the proxy
    assert ask("10.9.0.1") == 429
    # The left part is written by the client; the proxy appends the address it saw.
    assert ask("10.9.0.77, 10.9.0.1") == 429
    untrusted = make(rate_limit_per_minute=1, trusted_proxies=["10.0.0.0/8"], client_ip="192.0.2.1")
    assert untrusted.post("/api/ask", json={"question": QUESTION}).status_code == 200
    again = untrusted.post(
        "/api/ask", json={"question": QUESTION}, headers={"X-Forwarded-For": "10.9.0.3"}
    )
    assert again.status_code == 429  # 192.0.2.1 is no trusted proxy


def test_allowed_origins_ignore_case_and_default_ports() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        allowed_origins="HTTPS://Portal.Example.ORG:443/, http://Intranet.example:8080",
    )
    assert settings.allowed_origins == [
        "https://portal.example.org",
        "http://intranet.example:8080",
    ]


def test_an_origin_differing_only_in_case_is_allowed(make: Callable[..., TestClient]) -> None:
    client = make(allowed_origins=["HTTPS://Portal.Example.org"])
    r = client.post("/api/ask", json={"question": QUESTION}, headers={"Origin": PORTAL})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == PORTAL


@pytest.mark.parametrize("value", ["*", "https://portal.example.org,*", "null", "portal.org/x"])
def test_wildcard_or_non_origins_are_refused_in_settings(value: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(_env_file=None, allowed_origins=value)  # type: ignore[call-arg]


def test_no_wildcard_cors_header_is_ever_sent(make: Callable[..., TestClient]) -> None:
    client = make()
    for origin in (PORTAL, EVIL, BASE):
        r = client.get("/api/health", headers={"Origin": origin})
        assert r.headers.get("access-control-allow-origin") != "*"


def test_x_forwarded_host_cannot_rewrite_gradios_root(make: Callable[..., TestClient]) -> None:
    client = make()
    r = client.get(
        "/config", headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    )
    assert r.status_code == 200
    assert "evil.example" not in r.text
    assert r.json()["root"].startswith(BASE)


def test_a_trusted_proxys_forwarded_host_must_be_trusted_too(
    make: Callable[..., TestClient],
) -> None:
    client = make(trusted_proxies=["127.0.0.1"], trusted_hosts=["qa.example.org"])
    headers = {"X-Forwarded-Host": "qa.example.org", "X-Forwarded-Proto": "https"}
    config = client.get("/config", headers=headers)
    assert config.status_code == 200
    assert config.json()["root"].startswith("https://qa.example.org")
    same_site = client.post(
        "/api/ask",
        json={"question": QUESTION},
        headers={**headers, "Origin": "https://qa.example.org"},
    )
    assert same_site.status_code == 200
    evil = client.get("/config", headers={"X-Forwarded-Host": "evil.example"})
    assert evil.status_code == 400


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(_env_file=None, trusted_proxies="proxy.internal")  # type: ignore[call-arg]
    assert Settings(_env_file=None, trusted_proxies="127.0.0.1, 10.0.0.0/8").trusted_proxies == [  # type: ignore[call-arg]
        "127.0.0.1",
        "10.0.0.0/8",
    ]


@pytest.mark.parametrize("peer", ["127.0.0.1", "192.0.2.9"])
def test_only_a_proxys_own_three_headers_get_through(peer: str) -> None:
    import asyncio
    import threading

    from chatbot.web.security import ForwardedHeaders

    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)

    headers = [
        (b"x-forwarded-for", b"10.1.1.1"),
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-host", b"qa.example.org"),
        (b"x-forwarded-port", b"444"),
        (b"x-forwarded-prefix", b"/evil"),
        (b"x-real-ip", b"10.6.6.6"),
        (b"forwarded", b"for=10.6.6.6"),
        (b"accept", b"*/*"),
    ]
    scope = {"type": "http", "client": (peer, 1), "headers": headers, "scheme": "http"}
    call = ForwardedHeaders(app, ["127.0.0.1"])(scope, None, None)  # type: ignore[arg-type]
    # A thread of its own: a session's browser tests keep an event loop running in this one.
    runner = threading.Thread(target=asyncio.run, args=(call,))
    runner.start()
    runner.join(10)
    [inner] = seen
    names = {k for k, _ in inner["headers"]}
    if peer == "127.0.0.1":
        assert names == {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"accept"}
        assert inner["client"] == ("10.1.1.1", 0) and inner["scheme"] == "https"
    else:
        assert names == {b"accept"}
        assert inner["client"] == (peer, 1) and inner["scheme"] == "http"


def test_uvicorn_believes_no_forwarded_header(
    settings_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's own proxy support trusts X-Forwarded-For from 127.0.0.1 by default, so a local
    proxy's clients could pick their rate-limit key: it is off, and ForwardedHeaders decides."""
    import uvicorn

    from chatbot.web.api import serve

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    serve(settings_factory(), cast(Any, FakeAnswerer))
    [kwargs] = calls
    assert kwargs["proxy_headers"] is False
