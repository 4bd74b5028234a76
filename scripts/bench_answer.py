"""Benchmark our answering path on this machine and print figures (no assertions).

    .venv/bin/python scripts/bench_answer.py [--questions FILE] [--llm bundled|none] [--runs N]
                                             [--json PATH] [--quick]

Builds the corpus (default: corpus/) into a temporary index, then measures retrieval latency
(understand + hybrid search, p50 of each of N passes over the questions), time to first token and
full answer time (one pass, streamed), and peak resident memory of this process and of the LLM
server child process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import Figures, peak_rss_mb, print_figures, write_figures  # noqa: E402

from chatbot.evaluation.evaluate import percentile, read_questions  # noqa: E402
from chatbot.pipeline.answer import Answerer  # noqa: E402
from chatbot.pipeline.understand import understand  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest.build import run_build  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/dev_questions.jsonl"
    )
    parser.add_argument("--llm", default="bundled", help="bundled | openai | none")
    parser.add_argument("--runs", type=int, default=5, help="retrieval passes over the questions")
    parser.add_argument("--json", type=Path, help="write the figures here (bench interface)")
    parser.add_argument("--quick", action="store_true", help="extractive, 3 questions, one run")
    args = parser.parse_args()
    llm, runs, limit = ("none", 1, 3) if args.quick else (args.llm, args.runs, None)

    items = read_questions(args.questions)[:limit]
    figures = Figures("bench_answer")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(corpus_dir=args.corpus, index_dir=Path(tmp) / "index", llm=llm)
        report = run_build(settings, progress=False)
        if report.build_id is None:
            print(f"the index could not be built: {report.errors}", file=sys.stderr)
            return 1
        started = time.perf_counter()
        answerer = Answerer.from_settings(settings)
        figures.add("startup_s", [time.perf_counter() - started], "s")
        try:
            passes = []
            for _ in range(runs):
                times = []
                for item in items:
                    history = [(q, a) for q, a in item.get("history", [])]
                    t = time.perf_counter()
                    query = understand(
                        item["question"], history, settings.answer, settings.max_question_chars
                    )
                    answerer.retriever.search(query)
                    times.append((time.perf_counter() - t) * 1000)
                passes.append(times)
            figures.add("retrieval_p50_ms", [statistics.median(p) for p in passes], "ms")
            figures.add("retrieval_p95_ms", [percentile(p, 0.95) for p in passes], "ms")

            first_token, total, abstained, fallbacks = [], [], 0, 0
            for item in items:
                history = [(q, a) for q, a in item.get("history", [])]
                t = time.perf_counter()
                first = None
                for event in answerer.stream(item["question"], history):
                    if event.kind == "token" and first is None:
                        first = time.perf_counter() - t
                    if event.kind == "done" and event.answer is not None:
                        abstained += event.answer.abstained
                        # With a model, "extracted" means it declined or did not verify.
                        quoted = ("fallback", "extracted") if llm != "none" else ("fallback",)
                        fallbacks += event.answer.outcome in quoted
                total.append(time.perf_counter() - t)
                if first is not None:
                    first_token.append(first)
            if first_token and llm != "none":
                figures.add("first_token_p50_s", first_token, "s", "< 4.5")
            figures.add("answer_p50_s", total, "s", "< 8" if llm != "none" else None)
            figures.add("fallbacks", [fallbacks], "answers")
            figures.add("peak_rss_chatbot_mb", [peak_rss_mb()], "MB")
            server = getattr(answerer, "llm_server", None)
            if server is not None and server.pid:
                figures.add("peak_rss_llm_server_mb", [peak_rss_mb(server.pid)], "MB")
        finally:
            answerer.close()
    figures.note(
        f"{len(items)} questions from {args.questions.name} over {args.corpus.name}/ "
        f"({report.chunks} chunks), LLM {llm}; retrieval = understand + hybrid search, "
        f"p50 per pass over {runs} passes; first token and answer times are one streamed pass "
        f"(value = median over questions; {abstained} abstained; fallbacks: the model failed "
        "or its answer did not verify, so the passages' sentences were given)"
    )
    figures.note(f"load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    print_figures(figures)
    if args.json:
        write_figures(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
