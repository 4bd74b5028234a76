"""Two app replicas (real `chatbot serve` processes) reading one Milvus (a real
`milvus-lite server`): a new build is served by both without a restart, and with one replica
killed under load the other keeps answering, and both record answers and votes in one operator's
database (SQA_OPS__DATABASE_URL). Hashing embedders and no LLM keep it quick."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from chatbot.ops.database import make_engine
from chatbot.ops.tables import VoteRow
from core.settings import MilvusSettings, Settings
from ingest.build import run_build
from scripts.milvus_lite import free_port

pytestmark = pytest.mark.integration

NEW_FILE = (
    "Delta Survey\n\nThe delta survey maps coral reefs along the eastern coast with divers "
    "and underwater drones. It counted 412 reef sites in its first season.\n"
)


class Replica:
    def __init__(
        self, repo: Path, workdir: Path, milvus_uri: str, prefix: str, database_url: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SQA_")} | {
            "PYTHONPATH": str(repo),
            "SQA_DENSE_MODEL": "hashing",
            "SQA_MULTILINGUAL_MODEL": "hashing",
            "SQA_ANSWER__MIN_SUPPORT": "0.1",  # hashing vectors are far less similar than e5's
            "SQA_INDEX_BACKEND": "milvus",
            "SQA_MILVUS__URI": milvus_uri,
            "SQA_MILVUS__COLLECTION_PREFIX": prefix,
            "SQA_INDEX_DIR": str(workdir / "index"),  # only the cache of the build's files
            "SQA_RELOAD_POLL_S": "0.5",
            "SQA_RATE_LIMIT_PER_MINUTE": "100000",
            "SQA_MAX_IN_FLIGHT_PER_CLIENT": "8",
            "SQA_FEEDBACK__DIR": str(workdir / "data"),
            "SQA_CHAT_UI__STATE_SECRET_FILE": str(workdir / "ui-state.key"),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "SQA_OPS__DATABASE_URL": database_url,  # one database for both replicas
        }
        self.log = workdir / "server.log"
        with self.log.open("wb") as out:
            serve = [sys.executable, "-c", "from chatbot.cli import main; main()", "serve"]
            self.proc = subprocess.Popen(
                [*serve, "--llm", "none", "--port", str(self.port)],
                env=env,
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/api/health", timeout=10) as reply:
            return dict(json.load(reply))

    def wait_for(self, check: Callable[[dict[str, Any]], bool], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                last = self.health()
                if check(last):
                    return
            except (OSError, ValueError) as exc:
                last = exc
            time.sleep(0.3)
        raise AssertionError(f"{self.url}: {last!r}\n{self.log.read_text()[-3000:]}")

    def ask(self, question: str) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url + "/api/ask",
            data=json.dumps({"question": question}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            return dict(json.load(reply))

    def vote(self, answer: dict[str, Any], vote: str) -> int:
        body = {
            "vote": vote,
            "question": "Who funds it?",
            "answer": answer["answer"][:500],
            "citations": [],
        }
        request = urllib.request.Request(
            self.url + "/api/feedback",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            return int(reply.status)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)


@pytest.fixture
def replicas(tmp_path: Path, milvus_server: Any, env: Any) -> Iterator[list[Replica]]:
    started: list[Replica] = []
    yield started
    for replica in started:
        replica.stop()


def test_two_replicas_follow_one_milvus_and_survive_a_killed_peer(
    tmp_path: Path,
    milvus_server: Any,
    env: Any,
    replicas: list[Replica],
    settings_factory: Callable[..., Settings],
    tiny_corpus: Path,
) -> None:
    prefix = "replicas"
    settings = settings_factory(
        index_backend="milvus",
        milvus=MilvusSettings(uri=milvus_server.uri, collection_prefix=prefix),
    )
    first = run_build(settings, progress=False)
    database = f"sqlite:///{tmp_path / 'shared' / 'ops.sqlite3'}"
    replicas += [
        Replica(env.repo, tmp_path / name, milvus_server.uri, prefix, database)
        for name in ("a", "b")
    ]
    for replica, vote in zip(replicas, ("up", "down"), strict=True):
        replica.wait_for(lambda h: h.get("build_id") == first.build_id)
        answer = replica.ask("Who funds the alpha project?")
        assert answer["citations"] and answer["citations"][0]["doc_id"] == "alpha"
        assert replica.vote(answer, vote) == 201
    engine = make_engine(database)
    with engine.connect() as c:  # votes are written at once, answers by a writer thread
        votes = sorted(c.scalars(select(VoteRow.vote)))
    engine.dispose()
    assert votes == ["down", "up"]  # one vote from each replica, in the one database

    # A new build is served by both, without a restart and without a failed question while
    # it is published and switched to.
    asked: list[object] = []
    switching = threading.Event()

    def keep_asking() -> None:
        while not switching.is_set():
            for replica in replicas:
                try:
                    asked.append(replica.ask("Who funds the alpha project?")["citations"][0])
                except (OSError, http.client.HTTPException) as exc:  # refused, or cut mid-reply
                    asked.append(exc)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    (tiny_corpus / "delta.txt").write_text(NEW_FILE, encoding="utf-8")
    second = run_build(settings, progress=False)
    assert second.published and second.build_id != first.build_id
    for replica in replicas:
        replica.wait_for(lambda h: h.get("build_id") == second.build_id, timeout=60)
    switching.set()
    asker.join(60)
    assert asked and all(isinstance(c, dict) and c["doc_id"] == "alpha" for c in asked), asked
    for replica in replicas:
        answer = replica.ask("What does the delta survey map along the eastern coast?")
        assert answer["citations"][0]["doc_id"] == "delta", answer

    # Under load, replica a is killed; b answers every question it gets.
    a, b = replicas
    results: dict[str, list[object]] = {"a": [], "b": []}
    stop = threading.Event()

    def load(name: str, replica: Replica) -> None:
        while not stop.is_set():
            try:
                reply = replica.ask("What does the gamma team publish?")
                results[name].append(reply["citations"][0]["doc_id"])
            except (OSError, http.client.HTTPException) as exc:  # refused, or cut mid-reply
                results[name].append(exc)

    threads = [
        threading.Thread(target=load, args=(name, r)) for name, r in (("a", a), ("b", b), ("b", b))
    ]
    for thread in threads:
        thread.start()
    time.sleep(2)
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(10)
    answered_before_kill = len(results["b"])
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(60)
    assert results["a"] and any(isinstance(r, Exception) for r in results["a"])  # a is gone
    assert len(results["b"]) > answered_before_kill  # b kept answering after a died
    assert results["b"] == ["gamma"] * len(results["b"])  # every one of b's answers, no error
    assert b.health()["build_id"] == second.build_id
