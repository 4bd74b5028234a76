"""The web layer with a fake answerer: routes, streaming, loading, limits, CORS and escaping."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from chatbot.types import Answer, Citation, StreamEvent
from chatbot.web.api import create_app
from chatbot.web.passage_cards import sources_html
from chatbot.web.ratelimit import SlidingWindowLimiter
from chatbot.web.ui import ChatTurn, answer_turns, chat_messages, chat_text
from core.settings import Settings

BASE = "http://localhost"  # a trusted host by default, as the server's own origin
PORTAL = "https://portal.example.org"
EVIL = "https://evil.example.com"
QUESTION = "When did Indonesia release its National Artificial Intelligence Strategy?"
XSS = '<script>window.__xss=1</script> <img src=x onerror="window.__xss=2"> [a](javascript:x)'

CITATION = Citation(
    1,
    "robust-ai-ecosystem",
    "A Robust AI Ecosystem",
    "original",
    "¶2",
    "The government released the National AI Strategy in 2020.",
    0.93,
    (
        {
            "variant": "ja-derived",
            "location": "¶1",
            "text": "... announced ... in 2020.",
            "only_in_original": ["Korika"],
            "only_in_variant": ["Corica"],
            "similarity": 0.91,
        },
    ),
)


class FakeAnswerer:
    """Answerer's methods; streams 'In 2020 [1] [9].', then answers 'In 2020 [1].'."""

    tokens = ("In 2020 ", "[1]", " [9].")

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str | None]]]] = []

    def answer(self) -> Answer:
        return Answer("In 2020 [1].", False, [CITATION], 0.01)

    def ask(self, question: str, history: Sequence[tuple[str, str | None]] = ()) -> Answer:
        self.calls.append((question, list(history)))
        return self.answer()

    def stream(
        self, question: str, history: Sequence[tuple[str, str | None]] = ()
    ) -> Iterator[StreamEvent]:
        self.calls.append((question, list(history)))
        yield StreamEvent("citations", citations=(CITATION,))
        for t in self.tokens:
            yield StreamEvent("token", text=t)
        yield StreamEvent("done", answer=self.answer())

    def health(self) -> dict[str, object]:
        return {"build_id": "b1", "documents": 1, "chunks": 24, "models": {}, "llm": "none"}


class LiveClients:
    """TestClients started with their app's lifespan running; ``close`` stops them all."""

    def __init__(self) -> None:
        self._open: list[TestClient] = []

    def open(
        self, app: Any, base: str = BASE, client_ip: str | None = None, ready: bool = False
    ) -> TestClient:
        """``client_ip``: the peer address the app sees (TestClient's own when None);
        ``ready``: wait until the answerer has loaded."""
        peer = {"client": (client_ip, 50000)} if client_ip else {}
        client = TestClient(app, base, **peer)
        client.__enter__()
        self._open.append(client)
        if ready:
            wait_ready(client)
        return client

    def close(self) -> None:
        for client in self._open:
            client.__exit__(None, None, None)


@pytest.fixture
def make_client(settings_factory: Callable[..., Any]) -> Iterator[Callable[..., TestClient]]:
    """``make_client(factory=None, **settings)`` -> a started TestClient (lifespan running)."""
    clients = LiveClients()

    def make(factory: Callable[[], Any] | None = None, **overrides: Any) -> TestClient:
        settings = settings_factory(**{"allowed_origins": [PORTAL], **overrides})
        return clients.open(create_app(settings, cast(Any, factory or FakeAnswerer)))

    yield make
    clients.close()


def wait_ready(client: TestClient) -> None:
    for _ in range(200):
        if client.get("/api/health").json()["ready"]:
            return
        time.sleep(0.01)
    raise AssertionError("answerer never became ready")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """One ready app shared by the tests that need no special settings (building one takes
    ~0.5 s, mostly Gradio). Its rate limit is high: the limit has its own test."""
    settings = Settings(_env_file=None, allowed_origins=[PORTAL], rate_limit_per_minute=10_000)  # type: ignore[call-arg]
    with TestClient(create_app(settings, cast(Any, FakeAnswerer)), BASE) as c:
        wait_ready(c)
        yield c


def answer_json() -> dict[str, Any]:
    """The fake's final answer as a client sees it (JSON has lists, not tuples)."""
    return json.loads(json.dumps(FakeAnswerer().answer().to_json()))


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


# --- asking ------------------------------------------------------------------------------------


def test_ask_returns_the_answer_json(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": QUESTION, "history": [["Hi?", None]]})
    assert r.status_code == 200
    assert r.json() == answer_json()
    assert r.json()["citations"][0]["variants"][0]["only_in_variant"] == ["Corica"]


def test_stream_sends_citations_then_tokens_then_done(client: TestClient) -> None:
    r = client.post("/api/ask/stream", json={"question": QUESTION})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    assert [kind for kind, _ in events] == ["citations", "token", "token", "token", "done"]
    assert events[0][1]["citations"][0]["n"] == 1
    assert "".join(data["text"] for kind, data in events if kind == "token") == "In 2020 [1] [9]."
    assert events[-1][1] == answer_json()  # final text, [9] removed


def test_history_reaches_the_answerer(make_client: Callable[..., TestClient]) -> None:
    fake = FakeAnswerer()
    client = make_client(lambda: fake)
    wait_ready(client)
    history = [("What is Korika?", "A research collaboration [1]."), ("And BSSN?", None)]
    assert client.post("/api/ask", json={"question": "  When?  ", "history": history}).is_success
    assert fake.calls == [("When?", history)]


def test_health_reports_readiness_and_index(client: TestClient) -> None:
    health = client.get("/api/health").json()
    assert health["ready"] is True and health["status"] == "ready"
    assert health["build_id"] == "b1" and health["chunks"] == 24
    assert health["max_question_chars"] == 500


def test_503_with_retry_after_while_loading(make_client: Callable[..., TestClient]) -> None:
    loaded = threading.Event()

    def slow_factory() -> FakeAnswerer:
        loaded.wait(10)
        return FakeAnswerer()

    client = make_client(slow_factory)
    assert client.get("/api/health").json()["status"] == "loading"  # the server answers at once
    for path in ("/api/ask", "/api/ask/stream"):
        r = client.post(path, json={"question": QUESTION})
        assert r.status_code == 503
        assert r.headers["retry-after"] == "5"
        assert "loading" in r.json()["detail"]
    loaded.set()
    wait_ready(client)
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200


def test_failed_loading_is_reported(make_client: Callable[..., TestClient]) -> None:
    def broken() -> FakeAnswerer:
        raise RuntimeError("no index in /nowhere")

    client = make_client(broken)
    for _ in range(200):
        if client.get("/api/health").json()["status"] == "failed":
            break
        time.sleep(0.01)
    assert "no index in /nowhere" in client.get("/api/health").json()["detail"]
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 503 and "no index in /nowhere" in r.json()["detail"]


# --- limits ------------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit_per_minute=2)
    wait_ready(client)
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
    assert client.post("/api/ask/stream", json={"question": QUESTION}).status_code == 200
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "2 per minute" in r.json()["detail"]


def test_sliding_window_is_per_client_and_slides() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.hit("a") is None
    now[0] = 30.0
    assert limiter.hit("a") is None
    assert limiter.hit("a") == pytest.approx(30.0)  # the first hit leaves the window at 60 s
    assert limiter.hit("b") is None  # other clients are not affected
    now[0] = 60.5
    assert limiter.hit("a") is None
    assert limiter.hit("a") == pytest.approx(29.5)
    assert limiter.retry_after_header(0.2) == "1"


def test_overlong_question_is_refused_with_the_limit(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "why " * 200})
    assert r.status_code == 422
    assert "too long" in r.json()["detail"] and "500" in r.json()["detail"]


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_empty_question_is_refused(client: TestClient, question: str) -> None:
    r = client.post("/api/ask", json={"question": question})
    assert r.status_code == 422
    assert "empty" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'{"question": "a"', "application/json", 400),
        (b"", "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b'"just a string"', "application/json", 422),
        (b'{"question": 42}', "application/json", 422),
        (b'{"question": null}', "application/json", 422),
        (b'{"question": ["a"]}', "application/json", 422),
        (b'{"q": "missing"}', "application/json", 422),
        (b'{"question": "ok", "history": "no"}', "application/json", 422),
        (b'{"question": "ok", "history": [["only one"]]}', "application/json", 422),
        (b'{"question": "ok", "history": [[1, 2]]}', "application/json", 422),
        (b'{"question": "ok", "history": [["q", "a", "c"]]}', "application/json", 422),
        (b'{"question": "hello"}', "text/plain", 415),
        (b"question=hello", "application/x-www-form-urlencoded", 415),
        (b'{"question": "\xff\xfe"}', "application/json", 400),
    ],
)
def test_bad_bodies_get_a_clear_4xx(
    client: TestClient, body: bytes, content_type: str, status: int
) -> None:
    for path in ("/api/ask", "/api/ask/stream"):
        r = client.post(path, content=body, headers={"content-type": content_type})
        assert r.status_code == status, r.text
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_too_large_body_is_413(client: TestClient) -> None:
    history = [["q" * 3000, "a" * 3000]] * 20
    r = client.post("/api/ask", json={"question": QUESTION, "history": history})
    assert r.status_code == 413
    assert "too large" in r.json()["detail"]


def test_too_long_history_is_refused(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": QUESTION, "history": [["q", "a"]] * 21})
    assert r.status_code == 422
    assert "history" in r.json()["detail"]


# --- origins, CORS and framing -----------------------------------------------------------------


def test_allowed_origin_gets_cors_headers(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": QUESTION}, headers={"Origin": PORTAL})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == PORTAL
    preflight = client.options(
        "/api/ask/stream",
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == PORTAL


def test_disallowed_origin_is_refused_without_cors_headers(client: TestClient) -> None:
    for method, path in (("post", "/api/ask"), ("post", "/api/ask/stream"), ("get", "/api/health")):
        kwargs: dict[str, Any] = {"headers": {"Origin": EVIL}}
        if method == "post":
            kwargs["json"] = {"question": QUESTION}
        r = getattr(client, method)(path, **kwargs)
        assert r.status_code == 403, path
        assert "access-control-allow-origin" not in r.headers
        assert EVIL in r.json()["detail"]
    preflight = client.options(
        "/api/ask", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code >= 400
    assert "access-control-allow-origin" not in preflight.headers
    assert (
        client.post("/api/ask", json={"question": "x"}, headers={"Origin": "null"}).status_code
        == 403
    )


def test_same_origin_pages_may_call_the_api(client: TestClient) -> None:
    # The UI and /embed (inside a portal's iframe) send the server's own origin.
    r = client.post("/api/ask", json={"question": QUESTION}, headers={"Origin": BASE})
    assert r.status_code == 200


@pytest.mark.parametrize("path", ["/", "/embed", "/api/health"])
def test_only_allowed_portals_may_frame_the_pages(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {PORTAL}" in csp
    assert EVIL not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_no_portals_means_only_self_may_frame(make_client: Callable[..., TestClient]) -> None:
    client = make_client(allowed_origins=[])
    assert (
        client.get("/embed").headers["content-security-policy"].endswith("frame-ancestors 'self'")
    )


def test_embed_page_forbids_inline_script(client: TestClient) -> None:
    csp = client.get("/embed").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert client.get("/embed/widget.js").status_code == 200
    assert client.get("/embed/widget.css").headers["content-type"].startswith("text/css")
    assert client.get("/embed/secret.py").status_code == 404


def test_openapi_docs_are_served_locally(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in docs.text
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"/api/ask", "/api/ask/stream", "/api/health", "/v1/chat/completions"} <= set(paths)
    assert "/metrics" not in paths
    # One answer JSON (chatbot.types), documented where /api/ask and /v1 use it.
    schemas = spec["components"]["schemas"]
    ask = paths["/api/ask"]["post"]["responses"]["200"]["content"]["application/json"]
    assert ask["schema"]["$ref"] == "#/components/schemas/Answer"
    assert set(schemas["Answer"]["properties"]) == {*answer_json(), "standalone_question"}
    assert schemas["Answer"]["properties"]["citations"]["items"]["$ref"].endswith("/Citation")
    citations = schemas["ChatCompletion"]["properties"]["citations"]
    assert citations["items"]["$ref"].endswith("/Citation") and "[n]" in citations["description"]
    assert "text/event-stream" in paths["/api/ask/stream"]["post"]["responses"]["200"]["content"]


def test_openai_route_refuses_while_loading(make_client: Callable[..., TestClient]) -> None:
    loaded = threading.Event()

    def slow_factory() -> FakeAnswerer:
        loaded.wait(10)
        return FakeAnswerer()

    client = make_client(slow_factory)
    messages = [{"role": "user", "content": QUESTION}]
    for stream in (False, True):
        r = client.post(
            "/v1/chat/completions", json={"model": "m", "messages": messages, "stream": stream}
        )
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert "loading" in r.json()["error"]["message"] and r.json()["error"]["code"] == 503
    loaded.set()


# --- the Gradio UI's rendering -----------------------------------------------------------------


def xss_citation() -> Citation:
    return Citation(
        1,
        "evil",
        f"Title {XSS}",
        "original",
        "¶1",
        f"Text {XSS}",
        0.5,
        (
            {
                "variant": "ja-derived",
                "location": "¶1",
                "text": XSS,
                "only_in_original": [XSS],
                "only_in_variant": [],
            },
        ),
    )


def test_passages_panel_escapes_document_text() -> None:
    panel = sources_html([xss_citation()])
    assert "<script" not in panel and "<img" not in panel
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in panel
    assert "variant (¶1) differs" in panel


def test_chat_messages_escape_html() -> None:
    text = chat_text(XSS)
    assert "<" not in text and "&lt;script&gt;" in text
    assert chat_text("In 2020 [1], “AI” & 'data'.") == "In 2020 [1], “AI” &amp; 'data'."
    (_, bot) = chat_messages([_turn_with(XSS)])
    assert "<script" not in bot["content"] and "<img" not in bot["content"]


def _turn_with(text: str) -> ChatTurn:
    return ChatTurn("q?", text, False, [xss_citation()])


class _Service:
    """Just what answer_turns uses of chatbot.web.service.Service."""

    def __init__(self, answerer: FakeAnswerer, max_chars: int = 500) -> None:
        self.answerer = answerer
        self.max_chars = max_chars

    def check_question(self, question: str) -> str:
        from chatbot.web.service import Refusal

        if not question.strip():
            raise Refusal(422, "The question is empty.")
        return question.strip()

    def stream(
        self, question: str, history: Sequence[tuple[str, str | None]], client: str
    ) -> Iterator[StreamEvent]:
        return self.answerer.stream(self.check_question(question), history)

    def served_index(self) -> None:
        return None  # the build id a vote records; no index behind this fake


def _answer_and_under(content: str) -> tuple[str, str]:
    """A chat answer's text, and the passages under it (shown on a phone)."""
    text, _, under = content.partition('<div class="sqa-inline-sources">')
    return text, under


def test_ui_streams_then_shows_the_final_answer() -> None:
    updates = list(answer_turns(_Service(FakeAnswerer()), QUESTION, [], "1.2.3.4"))  # type: ignore[arg-type]
    streamed = [_answer_and_under(u[1][-1]["content"])[0] for u in updates[1:-1]]
    marker = '<a class="sqa-marker" href="#sqa-cite-1-1">[1]</a>'
    assert f"In 2020 {marker} [9]." in streamed  # tokens appear as they come, [1] a link
    final_chat, final_sources, turns = updates[-1][1], updates[-1][2], updates[-1][4]
    text, under = _answer_and_under(final_chat[-1]["content"])
    assert text == f"In 2020 {marker}."  # [9] is gone
    assert "Sources" not in text  # the passages are listed apart, not in the answer's words
    assert 'id="sqa-cite-1-1"' in final_sources
    assert 'id="sqa-cite-1-1-inline"' in under and "Cited passages" in under
    assert turns[-1].answer == "In 2020 [1]." and updates[0][0] == ""  # the box is cleared


def test_earlier_answers_keep_their_passages() -> None:
    fake = FakeAnswerer()
    first = list(answer_turns(_Service(fake), "First?", [], "c"))[-1][4]  # type: ignore[arg-type]
    last = list(answer_turns(_Service(fake), "And then?", first, "c"))[-1]  # type: ignore[arg-type]
    panel = last[2]
    assert 'id="sqa-cite-1-1"' in panel and 'id="sqa-cite-2-1"' in panel
    assert panel.index("sqa-cite-2-1") < panel.index("sqa-cite-1-1")  # the latest first
    assert 'href="#sqa-cite-1-1"' in last[1][1]["content"]
    assert 'href="#sqa-cite-2-1"' in last[1][3]["content"]


def test_the_passages_under_an_answer_are_escaped_and_only_where_the_panel_has_them() -> None:
    (_, bot) = chat_messages([_turn_with("In 2020 [1].")])
    _, under = _answer_and_under(bot["content"])
    assert 'id="sqa-cite-1-1-inline"' in under and 'class="sqa-source"' in under
    assert "<script" not in under and "&lt;script&gt;" in under  # the passage is text
    abstained = ChatTurn("q?", "Not in the documents.", True, [xss_citation()])
    failed = ChatTurn("q?", None, False, [xss_citation()])
    for turn in (abstained, failed):
        (_, bot) = chat_messages([turn])
        assert _answer_and_under(bot["content"])[1] == ""


def test_ui_says_why_a_question_is_refused() -> None:
    (update,) = answer_turns(_Service(FakeAnswerer()), "  ", [], "1.2.3.4")  # type: ignore[arg-type]
    assert "empty" in update[3]
    assert update[4] == []


def test_ui_passes_earlier_turns_as_history() -> None:
    fake = FakeAnswerer()
    first = list(answer_turns(_Service(fake), "First?", [], "c"))[-1][4]  # type: ignore[arg-type]
    list(answer_turns(_Service(fake), "And then?", first, "c"))  # type: ignore[arg-type]
    assert fake.calls[-1] == ("And then?", [("First?", "In 2020 [1].")])
    assert [m["role"] for m in chat_messages(first)] == ["user", "assistant"]
