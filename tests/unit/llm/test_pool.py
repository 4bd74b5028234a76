"""The model-server pool against small real HTTP servers (scripts/stub_llm_server.py run as
processes): spread by fewest in flight, failover when one dies, an error (so the extractive
fallback) when all are down, and a restarted server taken back."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatbot.llm.client import make_chat_model
from chatbot.llm.model_file import LlmUnavailable
from chatbot.llm.pool import ChatModelPool
from core.settings import LlmPoolSettings

STUB = Path(__file__).resolve().parents[3] / "scripts" / "stub_llm_server.py"
MESSAGES = [("user", "Passages:\n[1] (¶2) Solar farms grow in the north. More text.\nQuestion?")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stub:
    def __init__(self, name: str, token_delay: float = 0.0, port: int | None = None) -> None:
        self.name, self.port = name, port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(STUB),
                "--port",
                str(self.port),
                "--name",
                name,
                "--token-delay",
                str(token_delay),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("stub did not start")

    def served(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=5) as r:
            return int(json.load(r)["served"])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def stubs() -> Iterator[list[Stub]]:
    started: list[Stub] = []
    yield started
    for stub in started:
        stub.kill()


def _pool(urls: list[str], **settings: float) -> ChatModelPool:
    conf = LlmPoolSettings(**{"health_interval_s": 0, "retry_down_after_s": 30, **settings})
    pool = make_chat_model(",".join(urls), "stub", "key", 64, 20.0, 5.0, conf)
    assert isinstance(pool, ChatModelPool)
    return pool


def _answer(pool: ChatModelPool) -> str:
    return "".join(str(chunk.content) for chunk in pool.stream(MESSAGES))


def test_answers_are_spread_by_fewest_in_flight(stubs: list[Stub]) -> None:
    stubs += [Stub("a", token_delay=0.05), Stub("b", token_delay=0.05)]
    pool = _pool([s.url for s in stubs])
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(_answer(pool))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == ["Solar farms grow in the north. [1]"] * 6
    assert [s.served() for s in stubs] == [3, 3]
    assert [e["in_flight"] for e in pool.status()] == [0, 0]


def test_a_dead_server_fails_over_and_all_dead_raises(stubs: list[Stub]) -> None:
    stubs += [Stub("a"), Stub("b")]
    pool = _pool([s.url for s in stubs])
    stubs[0].kill()
    for _ in range(3):
        assert _answer(pool).startswith("Solar farms")
    assert stubs[1].served() == 3
    a, b = pool.status()
    assert not a["up"] and a["failures"] == 1 and b["up"]  # a is skipped after one failure
    assert pool.invoke(MESSAGES).content.startswith("Solar farms")
    stubs[1].kill()
    started = time.monotonic()
    with pytest.raises(LlmUnavailable, match="every model server"):
        _answer(pool)
    with pytest.raises(LlmUnavailable):  # both down now: no server is even tried
        _answer(pool)
    assert time.monotonic() - started < 10


def test_the_health_check_takes_a_restarted_server_back(stubs: list[Stub]) -> None:
    stubs.append(Stub("a"))
    port = stubs[0].port
    pool = _pool([stubs[0].url, f"http://127.0.0.1:{_free_port()}/v1"], health_interval_s=0.1)
    try:
        stubs[0].kill()
        with pytest.raises(LlmUnavailable):
            _answer(pool)
        stubs.append(Stub("a2", port=port))
        deadline = time.monotonic() + 10
        while not pool.status()[0]["up"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.status()[0]["up"] and not pool.status()[1]["up"]
        assert _answer(pool).startswith("Solar farms")
    finally:
        pool.close()


def test_service_health_names_the_pool_and_says_when_all_are_down(
    stubs: list[Stub], settings_factory: Any
) -> None:
    from chatbot.web.service import Service
    from tests.unit.web.test_api import FakeAnswerer

    stubs.append(Stub("a"))
    answerer = FakeAnswerer()
    answerer.chat_model = _pool([stubs[0].url, f"http://127.0.0.1:{_free_port()}/v1"])  # type: ignore[attr-defined]
    service = Service(settings_factory(reload_poll_s=0), lambda: answerer)  # type: ignore[arg-type,return-value]
    service._answerer = answerer  # type: ignore[assignment]
    assert _answer(answerer.chat_model).startswith("Solar farms")  # type: ignore[attr-defined]
    health = service.health()
    assert [s["up"] for s in health["llm_servers"]] == [True, True]  # type: ignore[index]
    assert health["status"] == "ready"
    stubs[0].kill()
    with pytest.raises(LlmUnavailable):
        _answer(answerer.chat_model)  # type: ignore[attr-defined]
    health = service.health()
    assert health["status"] == "degraded"
    assert "every model server is down" in str(health["degraded"])
    service.close()


def test_the_answerer_builds_the_pool_with_the_pool_settings(
    stubs: list[Stub], settings_factory: Any, tiny_corpus: Path
) -> None:
    """SQA_LLM_POOL__* reaches the pool the answerer talks to (it was built on the defaults)."""
    from chatbot.pipeline.answer import Answerer
    from ingest.build import run_build

    stubs += [Stub("a"), Stub("b")]
    settings = settings_factory(
        llm="openai",
        llm_base_urls=[stubs[0].url, stubs[1].url],
        llm_pool=LlmPoolSettings(health_interval_s=0, retry_down_after_s=42.0),
    )
    assert run_build(settings, progress=False).build_id is not None
    answerer = Answerer.from_settings(settings)
    try:
        pool = answerer.chat_model
        assert isinstance(pool, ChatModelPool)
        assert pool.settings.retry_down_after_s == 42.0
        assert [e.url for e in pool.endpoints] == [stubs[0].url, stubs[1].url]
    finally:
        answerer.close()
