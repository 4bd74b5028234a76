"""The model failing: a JSON 503 with Retry-After (never a 500 text/plain), health "degraded",
a stall given up in seconds, and a dead bundled model server restarted (with its own API key).

Issue 8, row 7 (and row 11's model-server key). The model servers here are small fakes: a
stalling OpenAI-compatible endpoint, and a child process standing in for llama_cpp.server.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from chatbot.llm.client import make_chat_model
from chatbot.llm.server import BundledLlmServer
from chatbot.types import Answer, StreamEvent
from chatbot.web.api import create_app
from chatbot.web.ui import answer_turns
from tests.unit.web.test_api import CITATION, QUESTION, FakeAnswerer, LiveClients, sse_events

SECRET_PATH = "/home/operator/models/x.gguf"


class UnreachableModel(FakeAnswerer):
    """Retrieval works, the model does not: ask fails, stream fails before or after citations."""

    def __init__(self, after_citations: bool = False) -> None:
        super().__init__()
        self.after_citations = after_citations

    def ask(self, question: str, history: Sequence[tuple[str, str | None]] = ()) -> Answer:
        raise ConnectionError(f"Connection refused: {SECRET_PATH}")

    def stream(
        self, question: str, history: Sequence[tuple[str, str | None]] = ()
    ) -> Iterator[StreamEvent]:
        if self.after_citations:
            yield StreamEvent("citations", citations=(CITATION,))
        raise ConnectionError(f"Connection refused: {SECRET_PATH}")


@pytest.fixture
def make(settings_factory: Callable[..., Any]) -> Iterator[Callable[..., TestClient]]:
    clients = LiveClients()

    def build(answerer: Any) -> TestClient:
        settings = settings_factory(rate_limit_per_minute=100)
        return clients.open(create_app(settings, cast(Any, lambda: answerer)), ready=True)

    yield build
    clients.close()


# --- the web layer ---------------------------------------------------------------------------


def test_a_failing_model_gets_json_503_with_retry_after(make: Callable[..., TestClient]) -> None:
    client = make(UnreachableModel())
    for path in ("/api/ask", "/api/ask/stream"):
        r = client.post(path, json={"question": QUESTION})
        assert r.status_code == 503, (path, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert r.headers["retry-after"] == "10"
        assert "try again" in r.json()["detail"]
        assert SECRET_PATH not in r.text
    health = client.get("/api/health").json()
    assert health["status"] == "degraded"
    assert "answering failed" in health["degraded"] and "ConnectionError" in health["degraded"]
    assert SECRET_PATH not in json.dumps(health)


def test_a_model_failing_mid_stream_ends_it_with_an_error_event(
    make: Callable[..., TestClient],
) -> None:
    client = make(UnreachableModel(after_citations=True))
    r = client.post("/api/ask/stream", json={"question": QUESTION})
    assert r.status_code == 200
    kinds = [kind for kind, _ in sse_events(r.text)]
    assert kinds == ["citations", "error"]
    assert "try again" in sse_events(r.text)[-1][1]["detail"]


def test_health_recovers_after_a_good_answer(make: Callable[..., TestClient]) -> None:
    flaky = UnreachableModel()
    client = make(flaky)
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 503
    assert client.get("/api/health").json()["status"] == "degraded"
    flaky.ask = FakeAnswerer().ask  # type: ignore[method-assign]
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
    assert client.get("/api/health").json()["status"] == "ready"


class ReportsDegraded(FakeAnswerer):
    def health(self) -> dict[str, object]:
        return {**super().health(), "degraded": "the model is unreachable; answers are extractive"}


def test_health_shows_what_the_answerer_reports(make: Callable[..., TestClient]) -> None:
    health = make(ReportsDegraded()).get("/api/health").json()
    assert health["ready"] is True and health["status"] == "degraded"
    assert health["degraded"] == "the model is unreachable; answers are extractive"


class DeadServer:
    def __init__(self) -> None:
        self.alive = False

    def status(self) -> dict[str, object]:
        return {"alive": self.alive, "restarts": 3, "last_exit_code": -9, "last_error": None}

    def stop(self) -> None:
        pass


def test_health_shows_a_dead_model_server_and_its_restarts(
    make: Callable[..., TestClient],
) -> None:
    answerer = FakeAnswerer()
    answerer.llm_server = server = DeadServer()  # type: ignore[attr-defined]
    client = make(answerer)
    health = client.get("/api/health").json()
    assert health["status"] == "degraded" and "model server" in health["degraded"]
    assert health["llm_server"]["restarts"] == 3
    server.alive = True
    assert client.get("/api/health").json()["status"] == "ready"


def test_the_ui_says_answering_failed_and_to_try_again(
    make: Callable[..., TestClient],
) -> None:
    client = make(UnreachableModel(after_citations=True))
    service = client.app.state.service  # type: ignore[attr-defined]
    updates = list(answer_turns(service, QUESTION, [], "1.2.3.4"))
    assert "try again" in updates[-1][3]
    assert SECRET_PATH not in updates[-1][3]


# --- a stalled model: the client gives up in seconds ----------------------------------------

CHUNK = {
    "id": "c1",
    "object": "chat.completion.chunk",
    "created": 0,
    "model": "m",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "In"}}],
}


class _StallingHandler(http.server.BaseHTTPRequestHandler):
    mode = "silent"
    stop = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.mode == "silent":  # never answers at all
            self.stop.wait(30)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        while not self.stop.is_set():
            self.wfile.write(f"data: {json.dumps(CHUNK)}\n\n".encode())
            self.wfile.flush()
            if self.mode == "one-token":
                self.stop.wait(30)  # one token, then nothing
            else:
                self.stop.wait(0.2)  # a token every 0.2 s, forever

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stalling_model() -> Iterator[Callable[[str], str]]:
    servers: list[http.server.ThreadingHTTPServer] = []
    _StallingHandler.stop = threading.Event()

    def start(mode: str) -> str:
        handler = type("Handler", (_StallingHandler,), {"mode": mode})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    _StallingHandler.stop.set()
    for server in servers:
        server.shutdown()


@pytest.mark.parametrize(
    ("mode", "stall", "total"),
    [
        ("silent", 0.5, 60.0),  # connected, but no reply: the stall timeout
        ("one-token", 0.5, 60.0),  # one token, then silence: the stall timeout
        ("dripping", 1.0, 1.5),  # a token every 0.2 s forever: the whole-answer timeout
    ],
)
def test_a_stalled_model_is_given_up_in_seconds(
    stalling_model: Callable[[str], str], mode: str, stall: float, total: float
) -> None:
    chat = make_chat_model(stalling_model(mode), "m", "k", 64, total, stall_timeout=stall)
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        for _ in chat.stream([("human", "When?")]):
            pass
    waited = time.monotonic() - started
    assert waited < max(stall, total) + 1.5, f"gave up after {waited:.1f} s"
    assert "timeout" in type(info.value).__name__.lower() or "timed out" in str(info.value).lower()


def test_the_stall_timeout_is_a_setting(settings_factory: Callable[..., Any]) -> None:
    assert settings_factory().llm_stall_timeout_s == 20.0
    assert settings_factory().llm_stall_timeout_s < settings_factory().llm_timeout_s


# --- the bundled server: restarted when it dies, and keyed ------------------------------------

FAKE_LLAMA_SERVER = """
import http.server, os, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
key = os.environ["API_KEY"]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.headers.get("Authorization") == "Bearer " + key
        self.send_response(200 if ok else 401)
        self.end_headers()
        self.wfile.write(b'{"data": []}')
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


class FakeLlamaServer(BundledLlmServer):
    """BundledLlmServer with a tiny stand-in for llama_cpp.server as its child."""

    def command(self) -> list[str]:
        return [sys.executable, "-c", FAKE_LLAMA_SERVER, "--port", str(self.port)]

    def _require_runtime(self) -> None:
        pass


def _status_code(url: str, key: str | None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_dead_model_server_is_restarted(tmp_path: Path) -> None:
    server = FakeLlamaServer(tmp_path / "model.gguf", watchdog_interval_s=0.2).start()
    try:
        first = server.pid
        assert first is not None
        assert server.status() == {
            "alive": True,
            "restarts": 0,
            "last_exit_code": None,
            "last_error": None,
        }
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while not (server.status()["restarts"] == 1 and server.alive()):
            assert time.monotonic() < deadline, f"never restarted: {server.status()}"
            time.sleep(0.1)
        assert server.pid != first
        assert server.status()["last_exit_code"] == -signal.SIGKILL
        assert _status_code(f"{server.base_url}/models", server.api_key) == 200  # same port
    finally:
        server.stop()
    assert not server.alive()
    time.sleep(0.5)
    assert server.status()["restarts"] == 1  # stop() is not a crash: no restart after it


def test_the_model_server_needs_its_random_key(tmp_path: Path) -> None:
    server = FakeLlamaServer(tmp_path / "model.gguf").start()
    other = FakeLlamaServer(tmp_path / "model.gguf")
    try:
        assert len(server.api_key) >= 32 and server.api_key != other.api_key
        assert server.api_key not in " ".join(server.command())  # not visible in `ps`
        assert _status_code(f"{server.base_url}/models", None) == 401
        assert _status_code(f"{server.base_url}/models", "not-needed") == 401
        assert _status_code(f"{server.base_url}/models", server.api_key) == 200
        # A client made for this server uses its key, whatever the caller passed.
        chat = make_chat_model(server.base_url, "m", "not-needed", 16, 30)
        assert chat.openai_api_key is not None  # type: ignore[attr-defined]
        assert chat.openai_api_key.get_secret_value() == server.api_key  # type: ignore[attr-defined]
    finally:
        server.stop()
