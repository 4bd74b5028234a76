"""Benchmark the answering path on this machine and print figures (no assertions).

    .venv/bin/python scripts/bench.py [--questions FILE] [--llm bundled|none] [--repeat N]

Prints retrieval latency p50/p95, time to first token and full answer time p50/p95 over the
questions, and peak resident memory of this process and of the LLM server child process.
The index must exist (`ingest build`).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chatbot.answer import Answerer  # noqa: E402
from chatbot.evaluate import percentile as pct  # noqa: E402
from chatbot.understand import understand  # noqa: E402
from core.settings import Settings  # noqa: E402


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident set size (VmHWM) of a process, in MB."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/dev_questions.jsonl"
    )
    parser.add_argument("--llm", default=None, help="bundled | openai | none (default: settings)")
    parser.add_argument("--repeat", type=int, default=5, help="Retrieval repetitions per question.")
    args = parser.parse_args()

    settings = Settings(**({"llm": args.llm} if args.llm else {}))
    items = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]

    started = time.perf_counter()
    answerer = Answerer.from_settings(settings)
    print(f"start-up (index, embedders, LLM server): {time.perf_counter() - started:.1f} s")
    try:
        retrieval_ms = []
        for item in items:
            history = [tuple(turn) for turn in item.get("history", [])]
            for _ in range(args.repeat):
                t = time.perf_counter()
                query = understand(
                    item["question"], history, settings.answer, settings.max_question_chars
                )
                answerer.retriever.search(query)
                retrieval_ms.append((time.perf_counter() - t) * 1000)
        print(
            f"retrieval ({len(retrieval_ms)} queries): p50 {pct(retrieval_ms, 0.5):.1f} ms, "
            f"p95 {pct(retrieval_ms, 0.95):.1f} ms"
        )

        first_token, total, abstained = [], [], 0
        for item in items:
            history = [tuple(turn) for turn in item.get("history", [])]
            t = time.perf_counter()
            first = None
            for event in answerer.stream(item["question"], history):
                if event.kind == "token" and first is None:
                    first = time.perf_counter() - t
                if event.kind == "done" and event.answer is not None:
                    abstained += event.answer.abstained
            total.append(time.perf_counter() - t)
            if first is not None:
                first_token.append(first)
        print(
            f"time to first token ({len(first_token)} answered): "
            f"p50 {pct(first_token, 0.5):.2f} s, p95 {pct(first_token, 0.95):.2f} s"
        )
        print(
            f"full answer ({len(total)} questions, {abstained} abstained): "
            f"p50 {statistics.median(total):.2f} s, p95 {pct(total, 0.95):.2f} s"
        )
        print(f"peak memory: chatbot process {peak_rss_mb():.0f} MB", end="")
        server = getattr(answerer, "llm_server", None)
        if server is not None and server.pid:
            print(f", LLM server {peak_rss_mb(server.pid):.0f} MB", end="")
        print()
    finally:
        answerer.close()


if __name__ == "__main__":
    main()
