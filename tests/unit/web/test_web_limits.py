"""Every route is bounded: body size (Gradio's routes too), uploads off, the answer queue, the
questions one client may have unfinished, and /api/health fast while answers are stalled.

Issue 8, rows 1 (body limit), 2 (uploads) and 8 (queue flooding).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient

from chatbot.types import Answer, StreamEvent
from chatbot.web.api import create_app
from tests.unit.web.test_api import BASE, PORTAL, QUESTION, FakeAnswerer, LiveClients

LIMIT = 4096


class StalledAnswerer(FakeAnswerer):
    """Answers only once `release` is set (a stalled model), counting who is waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.started = 0

    def ask(self, question: str, history: Sequence[tuple[str, str | None]] = ()) -> Answer:
        self.started += 1
        self.release.wait(10)
        return super().ask(question, history)

    def stream(
        self, question: str, history: Sequence[tuple[str, str | None]] = ()
    ) -> Iterator[StreamEvent]:
        self.started += 1
        self.release.wait(10)
        yield from super().stream(question, history)


@pytest.fixture
def make(settings_factory: Callable[..., Any]) -> Iterator[Callable[..., TestClient]]:
    clients = LiveClients()

    def build(answerer: Any = None, client_ip: str = "127.0.0.1", **overrides: Any) -> TestClient:
        fake = answerer or FakeAnswerer()
        values = {"allowed_origins": [PORTAL], "max_body_bytes": LIMIT, **overrides}
        app = create_app(settings_factory(**values), cast(Any, lambda: fake))
        return clients.open(app, client_ip=client_ip, ready=True)

    yield build
    clients.close()


def gradio_blocks(client: TestClient) -> Any:
    for route in client.app.routes:  # type: ignore[attr-defined]
        get_blocks = getattr(getattr(route, "app", None), "get_blocks", None)
        if callable(get_blocks):
            return get_blocks()
    raise AssertionError("no Gradio app mounted")


def join_body(client: TestClient, session: str, fn_name: str = "respond") -> dict[str, Any]:
    """What Gradio's page posts to /gradio_api/queue/join to ask a question."""
    blocks = gradio_blocks(client)
    [fn_index] = [i for i, fn in blocks.fns.items() if fn.name == fn_name][:1]
    return {
        "data": [QUESTION, None],
        "fn_index": fn_index,
        "session_hash": session,
        "event_data": None,
        "trigger_id": None,
    }


# --- row 1: the body limit covers every route, Gradio's included ---------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/gradio_api/queue/join",
        "/gradio_api/run/predict",
        "/gradio_api/reset",
        "/api/ask",
        "/api/ask/stream",
        "/",
        "/embed",
        "/no/such/route",
    ],
)
def test_every_route_refuses_a_body_over_the_limit(
    make: Callable[..., TestClient], path: str
) -> None:
    client = make()
    big = b'{"data": ["' + b"x" * (LIMIT * 4) + b'"]}'
    r = client.post(path, content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413, (path, r.status_code, r.text[:200])
    assert "too large" in r.json()["detail"]


def test_a_streamed_body_is_counted_not_trusted(make: Callable[..., TestClient]) -> None:
    """No Content-Length (chunked): the bytes are counted as they arrive, on Gradio's routes."""
    client = make()
    sent = []

    def chunks() -> Iterator[bytes]:
        yield b'{"data": ["'
        for _ in range(64):
            sent.append(1024)
            yield b"x" * 1024
        yield b'"], "fn_index": 0, "session_hash": "s"}'

    for path in ("/gradio_api/queue/join", "/api/ask"):
        sent.clear()
        r = client.post(path, content=chunks(), headers={"content-type": "application/json"})
        assert "content-length" not in r.request.headers
        assert r.status_code == 413, (path, r.text[:200])
    assert len(gradio_blocks(client)._queue.event_ids_to_events) == 0


def test_a_body_within_the_limit_still_works(make: Callable[..., TestClient]) -> None:
    client = make()
    r = client.post("/api/ask", json={"question": QUESTION, "history": [["q" * 1000, None]]})
    assert r.status_code == 200
    assert client.post("/gradio_api/queue/join", json=join_body(client, "ok")).status_code == 200


# --- row 2: uploads are off ------------------------------------------------------------------


def _upload_dir(client: TestClient) -> Path:
    for route in client.app.routes:  # type: ignore[attr-defined]
        folder = getattr(getattr(route, "app", None), "uploaded_file_dir", None)
        if folder:
            return Path(folder)
    raise AssertionError("no Gradio app mounted")


@pytest.mark.parametrize("origin", [None, BASE, "https://evil.example"])
def test_gradio_upload_is_turned_off(make: Callable[..., TestClient], origin: str | None) -> None:
    client = make()
    folder = _upload_dir(client)
    before = set(folder.rglob("*")) if folder.exists() else set()
    headers = {"Origin": origin} if origin else {}
    files = {"files": ("note.txt", b"a small file", "text/plain")}
    for path in ("/gradio_api/upload", "/gradio_api/upload?upload_id=x"):
        r = client.post(path, files=files, headers=headers)
        assert r.status_code in {403, 404}, r.text
        assert "detail" in r.json()
        assert str(folder) not in r.text
    assert client.get("/gradio_api/upload_progress?upload_id=x", headers=headers).status_code in {
        403,
        404,
    }
    after = set(folder.rglob("*")) if folder.exists() else set()
    assert after == before  # nothing was written


# --- row 8: queue flooding -----------------------------------------------------------------


def test_one_client_cannot_flood_gradios_queue(make: Callable[..., TestClient]) -> None:
    """70 joins from one client: only max_in_flight_per_client are queued, the rest get 429;
    another client still gets in."""
    fake = StalledAnswerer()
    client = make(fake, trusted_proxies=["127.0.0.1"], max_in_flight_per_client=2)
    try:
        flood = [
            client.post(
                "/gradio_api/queue/join",
                json=join_body(client, f"s{i}"),
                headers={"X-Forwarded-For": "10.0.0.1"},
            )
            for i in range(70)
        ]
        codes = [r.status_code for r in flood]
        assert codes.count(200) == 2 and codes.count(429) == 68, codes
        refused = next(r for r in flood if r.status_code == 429)
        assert refused.headers["retry-after"] and "questions" in refused.json()["detail"]
        other = client.post(
            "/gradio_api/queue/join",
            json=join_body(client, "other"),
            headers={"X-Forwarded-For": "10.0.0.2"},
        )
        assert other.status_code == 200
    finally:
        fake.release.set()


def test_gradios_queue_is_bounded(make: Callable[..., TestClient]) -> None:
    fake = StalledAnswerer()
    client = make(fake, trusted_proxies=["127.0.0.1"], answer_queue_size=3)
    try:
        codes = [
            client.post(
                "/gradio_api/queue/join",
                json=join_body(client, f"s{i}"),
                headers={"X-Forwarded-For": f"10.0.1.{i}"},
            ).status_code
            for i in range(12)
        ]
        # Some run (2 at once), at most 3 wait; every other join is refused at once.
        assert 503 in codes and codes.count(200) <= 5, codes
    finally:
        fake.release.set()


def _post_all(client: TestClient, n: int, path: str = "/api/ask") -> list[httpx.Response]:
    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(client.post, path, json={"question": QUESTION}) for _ in range(n)]
        return [f.result(timeout=60) for f in futures]


def _health_time(client: TestClient) -> float:
    start = time.perf_counter()
    assert client.get("/api/health").status_code == 200
    return time.perf_counter() - start


def test_overload_is_refused_at_once_and_health_stays_fast(
    make: Callable[..., TestClient],
) -> None:
    """1 answer at a time, 2 waiting: of 6 stalled questions 3 are refused with 503 at once,
    health answers quickly meanwhile, and the 3 admitted are answered when the model resumes."""
    fake = StalledAnswerer()
    client = make(fake, max_concurrent_answers=1, answer_queue_size=2, max_in_flight_per_client=100)
    with ThreadPoolExecutor(6) as pool:
        futures = [
            pool.submit(client.post, "/api/ask", json={"question": QUESTION}) for _ in range(6)
        ]
        deadline = time.monotonic() + 10
        done: list[httpx.Response] = []
        while time.monotonic() < deadline and len(done) < 3:
            done = [f.result() for f in futures if f.done()]
            time.sleep(0.02)
        assert [r.status_code for r in done] == [503, 503, 503]
        assert all(r.headers["retry-after"] for r in done)
        assert "try again" in done[0].json()["detail"]
        assert max(_health_time(client) for _ in range(10)) < 2.0  # stalled answers: never waits
        assert client.get("/api/health").json()["in_flight"] == 3
        fake.release.set()
        codes = sorted(f.result(timeout=30).status_code for f in futures)
    assert codes == [200, 200, 200, 503, 503, 503]


def test_45_stalled_answers_do_not_slow_health(make: Callable[..., TestClient]) -> None:
    fake = StalledAnswerer()
    client = make(fake, max_in_flight_per_client=100, rate_limit_per_minute=100)
    with ThreadPoolExecutor(45) as pool:
        futures = [
            pool.submit(client.post, "/api/ask/stream", json={"question": QUESTION})
            for _ in range(45)
        ]
        try:
            deadline = time.monotonic() + 10
            while client.get("/api/health").json()["in_flight"] < 45:
                assert time.monotonic() < deadline, "the 45 questions were never all admitted"
                time.sleep(0.05)
            worst = max(_health_time(client) for _ in range(20))
        finally:
            fake.release.set()
        codes = [f.result(timeout=60).status_code for f in futures]
    # The answers stall until released, so a health check that waited for one would not return
    # at all: 2 s tells "never waits" from "waits" without failing on a loaded CI machine.
    assert worst < 2.0, f"/api/health took {worst:.2f} s with 45 stalled answers"
    assert codes == [200] * 45


def test_one_client_may_have_only_so_many_unfinished_questions(
    make: Callable[..., TestClient],
) -> None:
    fake = StalledAnswerer()
    client = make(fake, max_in_flight_per_client=2)
    with ThreadPoolExecutor(4) as pool:
        futures = [
            pool.submit(client.post, "/api/ask", json={"question": QUESTION}) for _ in range(4)
        ]
        deadline = time.monotonic() + 10
        while sum(f.done() for f in futures) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        refused = [f.result() for f in futures if f.done()]
        fake.release.set()
        codes = sorted(f.result(timeout=30).status_code for f in futures)
    assert codes == [200, 200, 429, 429]
    assert all(r.status_code == 429 and r.headers["retry-after"] for r in refused)
    assert "2 questions" in refused[0].json()["detail"]
