"""Ingest with the embedders in this process against worker processes (SQA_EMBED_PROCESSES).

    .venv/bin/python scripts/bench_embed_processes.py [--corpus DIR] [--processes 1,2] [--runs 2]

Each run is a full `ingest build` of the corpus (default ../shared/corpora/foreign) into a new
temporary index with the real models, as a command (a fresh process: worker start-up and model
loading count, as for a user); the settings alternate run by run so load from other jobs falls
on both alike. Prints the median wall seconds of each setting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from bench import Figures, print_figures, write_figures  # noqa: E402

FOREIGN = ROOT.parent / "shared" / "corpora" / "foreign"


def build_seconds(corpus: Path, processes: int) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-embed-") as index:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SQA_")}
        env |= {"PYTHONPATH": str(ROOT), "SQA_EMBED_PROCESSES": str(processes)}
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ingest",
                "build",
                "--corpus",
                str(corpus),
                "--index",
                index,
                "--full",
                "--quiet",
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=FOREIGN)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--quick", action="store_true", help="one run each")
    args = parser.parse_args()
    counts = [int(p) for p in args.processes.split(",")]
    runs: dict[int, list[float]] = {p: [] for p in counts}
    for _ in range(1 if args.quick else args.runs):
        for processes in counts:
            runs[processes].append(build_seconds(args.corpus, processes))
            print(f"processes {processes}: {runs[processes][-1]:.1f} s", flush=True)
    figures = Figures("bench_embed_processes")
    for processes, seconds in runs.items():
        figures.add(f"full build, {processes} embedding process(es) per model", seconds, "s")
    base = statistics.median(runs[counts[0]])
    for processes in counts[1:]:
        figures.add(
            f"speed-up, {processes} vs {counts[0]}",
            [base / statistics.median(runs[processes])],
            "x",
        )
    figures.note(f"corpus {args.corpus.name}, {os.cpu_count()} CPUs, real models, fresh process")
    print_figures(figures)
    if args.json:
        write_figures(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
