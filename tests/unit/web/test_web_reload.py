"""The server follows the index's CURRENT pointer: a finished build is served within seconds,
with no dropped request; a damaged new build is not switched to, and health says so.

Issue 8, row 12. Builds are written with core.store (test_store_integrity.write_build); the
answerer is a fake with ``use_retriever``, the retriever a loaded index.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from chatbot.web.api import create_app
from core.store import load_index
from tests.unit.core.test_store_integrity import write_build
from tests.unit.web.test_api import QUESTION, FakeAnswerer, LiveClients


class SwitchingAnswerer(FakeAnswerer):
    def __init__(self, retriever: Any) -> None:
        super().__init__()
        self.retriever = retriever
        self.switched: list[str] = []

    def use_retriever(self, retriever: Any) -> None:
        self.retriever = retriever
        self.switched.append(retriever.index.build_id)

    def health(self) -> dict[str, object]:
        return {**super().health(), "build_id": self.retriever.index.build_id}


class FixedAnswerer(FakeAnswerer):
    """An answerer from before use_retriever existed."""

    def __init__(self, retriever: Any) -> None:
        super().__init__()
        self.retriever = retriever


@pytest.fixture
def served(settings_factory: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    clients = LiveClients()

    def start(answerer_type: type = SwitchingAnswerer) -> tuple[Any, TestClient, Any]:
        settings = settings_factory(reload_poll_s=0.1, rate_limit_per_minute=10_000)
        write_build(settings, ["Solar farms in the north.", "Gamma counts fish."])

        def retriever() -> Any:
            return SimpleNamespace(index=load_index(settings.index_dir, settings.index_identity()))

        answerer = answerer_type(retriever())
        app = create_app(settings, cast(Any, lambda: answerer), retriever)
        return settings, clients.open(app, ready=True), answerer

    yield start
    clients.close()


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_new_build_is_served_without_a_restart_or_a_dropped_request(
    served: Callable[..., Any],
) -> None:
    settings, client, answerer = served()
    before = client.get("/api/health").json()["build_id"]
    codes: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            codes.append(client.post("/api/ask", json={"question": QUESTION}).status_code)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        time.sleep(0.2)
        started = time.monotonic()
        new = write_build(settings, ["Solar farms in the north.", "Gamma counts birds."])
        _wait_for(lambda: client.get("/api/health").json()["build_id"] == new)
        took = time.monotonic() - started
        time.sleep(0.2)
    finally:
        stop.set()
        asker.join()
    assert new != before and answerer.switched == [new]
    assert took < 5, f"the new build was served after {took:.1f} s"
    assert len(codes) > 5 and set(codes) == {200}
    assert client.get("/api/health").json()["status"] == "ready"


def test_a_damaged_new_build_is_not_switched_to(served: Callable[..., Any]) -> None:
    settings, client, answerer = served()
    before = client.get("/api/health").json()["build_id"]
    new = write_build(settings, ["Solar farms in the north.", "Gamma counts birds."], False)
    # Damaged before it goes live: the watcher sees CURRENT change, then finds it damaged.
    (settings.index_dir / "builds" / new / "chunks.jsonl").write_text("{}\n")
    (settings.index_dir / "CURRENT").write_text(new + "\n")
    _wait_for(lambda: client.get("/api/health").json()["status"] == "degraded")
    health = client.get("/api/health").json()
    assert health["build_id"] == before and answerer.switched == []
    assert new in health["degraded"] and "damaged" in health["degraded"]
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
    # The next good build is served again, and health recovers.
    newer = write_build(settings, ["Solar farms in the north.", "Gamma counts whales."])
    _wait_for(lambda: client.get("/api/health").json()["build_id"] == newer)
    assert client.get("/api/health").json()["status"] == "ready"


def test_an_answerer_that_cannot_switch_says_restart(served: Callable[..., Any]) -> None:
    settings, client, _ = served(FixedAnswerer)
    new = write_build(settings, ["Other text.", "More text."])
    _wait_for(lambda: client.get("/api/health").json()["status"] == "degraded")
    assert f"build {new} is ready; restart" in client.get("/api/health").json()["degraded"]


def test_the_default_loader_is_the_retriever_of_the_live_build(
    settings_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatbot.pipeline import retrieve
    from chatbot.web.service import Service

    seen: list[Any] = []
    monkeypatch.setattr(
        retrieve.Retriever, "from_settings", classmethod(lambda cls, s: seen.append(s) or "r")
    )
    settings = settings_factory()
    assert Service(settings, FakeAnswerer)._retriever_factory() == "r"  # type: ignore[arg-type]
    assert seen == [settings]
