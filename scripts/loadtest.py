"""A bounded load test of the web server, on this machine only (loopback).

    .venv/bin/python scripts/loadtest.py            # 50 clients, 60 s, /api/ask, --llm none
    .venv/bin/python scripts/loadtest.py --llm bundled --stream --clients 5
    .venv/bin/python scripts/loadtest.py --url http://127.0.0.1:7860 --pid 1234   # a running server

Without --url it builds a private index of corpus/ (real embedders) in a temporary folder and
starts `chatbot serve` on a free loopback port, trusting X-Forwarded-For from 127.0.0.1 only so
each simulated client gets its own address (10.77.x.y) and its own per-client limits. The rate
limit is raised for the run (--rate-limit): each client asks back to back, far faster than a
person would. Every request has a timeout and the run a deadline, so the test always ends.

It prints throughput, latency p50/p95/p99 (and time to first token when streaming), errors by
kind, and the server's resident memory (its process tree: the bundled model server included)
once it is ready, after the warm-up, and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

REPO = Path(__file__).resolve().parent.parent
QUESTIONS_FILE = REPO.parent / "shared" / "eval" / "dev_questions.jsonl"
FALLBACK_QUESTIONS = [
    "When did Indonesia release its National Artificial Intelligence Strategy?",
    "Which agency is responsible for cybersecurity in Indonesia?",
    "How can Indonesia and China cooperate on AI?",
    "Kapan Indonesia meluncurkan Strategi Nasional Kecerdasan Artifisial?",
    "What is the GDP of Brazil?",
]


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    first_tokens: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)  # answered, abstained, fallback...
    ok: int = 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def questions() -> list[str]:
    if QUESTIONS_FILE.exists():
        lines = QUESTIONS_FILE.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["question"] for line in lines if line.strip()]
    return FALLBACK_QUESTIONS


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(f"error: {url} is not on this machine; the load test runs against loopback only")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of pid and its descendants, in MB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo += children.get(current, [])
    return total / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(args: argparse.Namespace, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    index = args.index
    if index is None:
        index = workdir / "index"
        print(f"building a private index of {args.corpus} (real embedders) ...", flush=True)
        build = [sys.executable, "-m", "ingest", "build", "--corpus", str(args.corpus)]
        subprocess.run([*build, "--index", str(index), "-q"], check=True, cwd=REPO, timeout=900)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SQA_")},
        "SQA_TRUSTED_PROXIES": "127.0.0.1",
        "SQA_RATE_LIMIT_PER_MINUTE": str(args.rate_limit),
        "SQA_RELOAD_POLL_S": "0",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    command = [
        sys.executable,
        "-c",
        "import sys; from chatbot.cli import main; sys.argv[0] = 'chatbot'; main()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--llm",
        args.llm,
        "--index",
        str(index),
    ]
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


async def wait_ready(url: str, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                sys.exit(f"error: the server exited ({process.returncode}); see its log")
            try:
                health = (await client.get(f"{url}/api/health")).json()
                if health.get("ready"):
                    return
                if health.get("status") == "failed":
                    sys.exit(f"error: the server failed to load: {health.get('detail')}")
            except (httpx.HTTPError, ValueError):
                pass
            await asyncio.sleep(0.5)
    sys.exit(f"error: the server was not ready within {timeout:.0f} s")


async def one_client(
    n: int, url: str, qs: list[str], stream: bool, until: float, timeout: float, out: Results
) -> None:
    headers = {"X-Forwarded-For": f"10.77.{n // 250}.{n % 250 + 1}"}
    path = "/api/ask/stream" if stream else "/api/ask"
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout) as client:
        i = n
        while time.monotonic() < until:
            body = {"question": qs[i % len(qs)]}
            i += 1
            started = time.perf_counter()
            try:
                if stream:
                    await _stream_once(client, path, body, started, out)
                else:
                    r = await client.post(path, json=body)
                    if r.status_code != 200:
                        out.errors[f"HTTP {r.status_code}"] += 1
                        continue
                    out.outcomes[str(r.json().get("outcome", "answered"))] += 1
                    out.ok += 1
                    out.latencies.append(time.perf_counter() - started)
            except httpx.TimeoutException:
                out.errors["timeout"] += 1
            except (httpx.HTTPError, ValueError) as exc:
                out.errors[type(exc).__name__] += 1


async def _stream_once(
    client: httpx.AsyncClient, path: str, body: dict[str, str], started: float, out: Results
) -> None:
    async with client.stream("POST", path, json=body) as r:
        if r.status_code != 200:
            out.errors[f"HTTP {r.status_code}"] += 1
            return
        first = None
        kinds = []
        final: dict[str, object] = {}
        async for line in r.aiter_lines():
            if line.startswith("event: "):
                kinds.append(line[7:])
                if first is None and line[7:] in {"token", "done"}:
                    first = time.perf_counter() - started
            elif line.startswith("data: ") and kinds and kinds[-1] == "done":
                final = json.loads(line[6:])
        if "done" not in kinds:
            out.errors["error event" if "error" in kinds else "stream ended early"] += 1
            return
        out.outcomes[str(final.get("outcome", "answered"))] += 1
        out.ok += 1
        out.latencies.append(time.perf_counter() - started)
        if first is not None:
            out.first_tokens.append(first)


async def run_load(args: argparse.Namespace, url: str, seconds: float) -> tuple[Results, float]:
    qs = questions()
    out = Results()
    started = time.monotonic()
    until = started + seconds
    tasks = [
        one_client(n, url, qs, args.stream, until, args.timeout, out) for n in range(args.clients)
    ]
    # Every request has a timeout: the run ends at most one timeout after its deadline.
    await asyncio.wait_for(asyncio.gather(*tasks), seconds + args.timeout + 30)
    return out, time.monotonic() - started


def report(title: str, res: Results, elapsed: float, stream: bool) -> None:
    errors = sum(res.errors.values())
    print(f"\n{title}: {res.ok} answers, {errors} errors in {elapsed:.1f} s")
    print(f"  throughput      {res.ok / elapsed:.2f} answers/s")
    lat = res.latencies
    print(
        f"  latency         p50 {percentile(lat, 50):.2f} s   p95 {percentile(lat, 95):.2f} s   "
        f"p99 {percentile(lat, 99):.2f} s   max {max(lat, default=float('nan')):.2f} s"
    )
    if stream:
        ft = res.first_tokens
        print(
            f"  first token     p50 {percentile(ft, 50):.2f} s   p95 {percentile(ft, 95):.2f} s   "
            f"p99 {percentile(ft, 99):.2f} s"
        )
    print(f"  outcomes        {dict(res.outcomes)}")
    print(f"  errors          {dict(res.errors) or 0}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server on this machine (default: start one)")
    parser.add_argument("--pid", type=int, help="the running server's pid, for its memory")
    parser.add_argument("--llm", default="none", choices=["none", "bundled", "openai"])
    parser.add_argument("--stream", action="store_true", help="use /api/ask/stream")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of load first")
    parser.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    parser.add_argument("--rate-limit", type=int, default=600, help="per client per minute")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--index", type=Path, help="an existing index (default: build one)")
    args = parser.parse_args()
    if not 1 <= args.clients <= 200 or not 1 <= args.seconds <= 600:
        sys.exit("error: at most 200 clients and 600 s: this is a bounded test")

    with tempfile.TemporaryDirectory(prefix="sqa-load-") as tmp:
        process = None
        if args.url:
            require_loopback(args.url)
            url, pid = args.url.rstrip("/"), args.pid
        else:
            process, url = start_server(args, Path(tmp))
            pid = process.pid
        try:
            asyncio.run(wait_ready(url, process, 600))
            mode = f"{args.clients} {'streaming ' if args.stream else ''}clients, --llm {args.llm}"
            print(f"server ready at {url} ({mode})")
            rss = {"ready": tree_rss_mb(pid)} if pid else {}
            if args.warmup > 0:
                warm, took = asyncio.run(run_load(args, url, args.warmup))
                report("warm-up", warm, took, args.stream)
                if pid:
                    rss["after warm-up"] = tree_rss_mb(pid)
            res, took = asyncio.run(run_load(args, url, args.seconds))
            report(f"load ({args.seconds:.0f} s)", res, took, args.stream)
            if pid:
                time.sleep(1.0)
                rss["end"] = tree_rss_mb(pid)
                line = "   ".join(f"{k} {v:.0f} MB" for k, v in rss.items())
                print(f"\nserver memory (RSS)  {line}")
                if "after warm-up" in rss:
                    growth = rss["end"] / rss["after warm-up"] - 1
                    print(f"  end vs after warm-up: {growth:+.1%}")
        finally:
            if process is not None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


if __name__ == "__main__":
    main()
