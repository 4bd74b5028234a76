"""Benchmark ingest: the whole pipeline against the embedders' raw speed, and no-change rebuilds.

    .venv/bin/python scripts/bench_ingest.py [--corpus DIR] [--runs 3] [--json PATH] [--quick]

1. Pipeline vs raw encode (same process, models loaded first, same run): a full build of the
   corpus into a temporary index (read, split, sentence split, embed, align, BM25, write,
   checksum), then each model's plain ``embed_documents`` over every text that build embedded
   (passages, and passage sentences for the models whose sentence vectors are precomputed),
   deduplicated as the build dedupes them. ratio = raw seconds / pipeline seconds; the target
   is >= 0.9. CPU-second figures are given too: on a shared machine wall time swings with
   the other processes, CPU time much less.
2. No-change rebuild at ~10k chunks: a synthetic corpus made of the corpus' own passages (each
   copy tagged so no two chunks are equal), built once with the 'hashing' embedder for both
   models (no model: 10k real embeddings take minutes; the files checked are the same kind,
   at 256 instead of 384 dimensions), then `ingest build` run again as a command (a new
   process, as a user runs it) and in-process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import Figures, print_figures, write_figures  # noqa: E402

from core import sentences as sentence_store  # noqa: E402
from core.embed import get_embedder  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.store import live_build_dir, read_chunks  # noqa: E402
from ingest.build import run_build  # noqa: E402

FOREIGN = ROOT.parent / "shared" / "corpora" / "foreign"


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, process CPU seconds, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def _embedded_texts(settings: Settings) -> dict[str, list[str]]:
    """Per model setting, every distinct text the live build embedded."""
    build = live_build_dir(settings.index_dir)
    assert build is not None
    passages = list(dict.fromkeys(c.text for c in read_chunks(build)))
    table = sentence_store.read_table(build, ())
    flat = table.flat() if table else []
    out: dict[str, list[str]] = {}
    roles = {"dense": settings.dense_model, "multilingual": settings.multilingual_model}
    for role, model in roles.items():
        if model == "none":
            continue
        extra = flat if role in settings.sentence_vectors else []
        out[model] = list(dict.fromkeys(passages + extra))
    return out


def pipeline_vs_raw(figures: Figures, corpus: Path, runs: int, limit: int | None) -> None:
    ratios, cpu_ratios, pipe_rates, raw_rates, pipe_s, raw_s = [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        if limit:  # --quick: a few files of the corpus
            small = Path(tmp) / "corpus"
            small.mkdir()
            for f in sorted(p for p in corpus.iterdir() if p.suffix in {".md", ".txt"})[:limit]:
                (small / f.name).write_bytes(f.read_bytes())
            corpus = small
        for name in (Settings().dense_model, Settings().multilingual_model):
            if name != "none":
                get_embedder(name).embed_documents(["warm up"])
        texts: dict[str, list[str]] = {}

        def raw() -> tuple[float, float]:
            raw_wall = raw_cpu = 0.0
            for model, batch in texts.items():
                w, c, _ = _timed(lambda m=model, b=batch: get_embedder(m).embed_documents(b))
                raw_wall, raw_cpu = raw_wall + w, raw_cpu + c
            return raw_wall, raw_cpu

        for run in range(runs):
            settings = Settings(corpus_dir=corpus, index_dir=Path(tmp) / f"index{run}")
            # Every other run times raw encoding first (the same texts as the run before), so
            # a machine getting busier or quieter during a run favours neither side.
            raw_first = run % 2 == 1
            if raw_first:
                raw_wall, raw_cpu = raw()
            wall, cpu, report = _timed(lambda s=settings: run_build(s, progress=False))
            texts = _embedded_texts(settings)
            if not raw_first:
                raw_wall, raw_cpu = raw()
            ratios.append(raw_wall / wall)
            cpu_ratios.append(raw_cpu / cpu)
            pipe_rates.append(report.chunks / wall)
            raw_rates.append(report.chunks / raw_wall)
            pipe_s.append(wall)
            raw_s.append(raw_wall)
            sizes = ", ".join(f"{m}: {len(b)}" for m, b in texts.items())
            print(
                f"run {run + 1}: {report.chunks} chunks; pipeline {wall:.1f} s ({cpu:.1f} CPU s), "
                f"raw encode {raw_wall:.1f} s ({raw_cpu:.1f} CPU s) of texts [{sizes}]; "
                f"ratio {raw_wall / wall:.2f}",
                flush=True,
            )
        figures.note(
            f"pipeline vs raw: {corpus.name}, {report.chunks} chunks, texts embedded per model "
            f"[{sizes}] (passages + precomputed sentence vectors {Settings().sentence_vectors}); "
            "models loaded before timing; raw = one embed_documents call per model"
        )
    figures.add("ingest_vs_raw_ratio", ratios, "ratio", ">= 0.9")
    figures.add("ingest_vs_raw_cpu_ratio", cpu_ratios, "ratio")
    figures.add("ingest_chunks_per_s", pipe_rates, "chunks/s")
    figures.add("raw_encode_chunks_per_s", raw_rates, "chunks/s")
    figures.add("ingest_full_build_s", pipe_s, "s")
    figures.add("raw_encode_s", raw_s, "s")


def _synthetic_corpus(source: Path, folder: Path, chunks: int) -> None:
    """~``chunks`` passages: the source corpus' chunks, copied into text files, each copy
    tagged so it is a distinct chunk (one passage per paragraph, 20 per file)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            corpus_dir=source,
            index_dir=Path(tmp),
            dense_model="hashing",
            multilingual_model="none",
        )
        run_build(settings, progress=False)
        build = live_build_dir(settings.index_dir)
        assert build is not None
        paragraphs = [c.text.replace("\n\n", " ") for c in read_chunks(build)]
    folder.mkdir(parents=True)
    per_file = 20
    for f in range((chunks + per_file - 1) // per_file):
        body = [
            f"{paragraphs[(f * per_file + j) % len(paragraphs)]} (Copy {f}.{j}.)"
            for j in range(per_file)
        ]
        (folder / f"part-{f:05d}.txt").write_text("\n\n".join(body) + "\n", encoding="utf-8")


def no_change_rebuild(figures: Figures, source: Path, chunks: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        _synthetic_corpus(source, corpus, chunks)
        env = {
            **os.environ,
            "SQA_DENSE_MODEL": "hashing",
            "SQA_MULTILINGUAL_MODEL": "hashing",
        }
        settings = Settings(
            corpus_dir=corpus, index_dir=index, dense_model="hashing", multilingual_model="hashing"
        )
        wall, _, first = _timed(lambda: run_build(settings, progress=False))
        print(
            f"synthetic corpus: {first.chunks} chunks in {first.files} files, built in {wall:.1f} s"
        )
        build = live_build_dir(index)
        assert build is not None
        size = sum(p.stat().st_size for p in build.rglob("*") if p.is_file())
        command = [sys.executable, "-m", "ingest", "build", "--corpus", str(corpus)]
        command += ["--index", str(index), "-q"]
        cli, inproc = [], []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
            cli.append(time.perf_counter() - started)
            assert "up to date" in done.stdout, done.stdout + done.stderr
            w, _, again = _timed(lambda: run_build(settings, progress=False))
            assert again.up_to_date
            inproc.append(w)
        print(
            f"no-change rebuild: command {statistics.median(cli):.2f} s, in-process "
            f"{statistics.median(inproc):.2f} s"
        )
    figures.add("no_change_rebuild_cli_s", cli, "s", "< 2")
    figures.add("no_change_rebuild_inprocess_s", inproc, "s")
    figures.note(
        f"no-change rebuild: synthetic corpus of {first.chunks} chunks ({first.files} files) "
        f"made of {source.name}'s passages, 'hashing' embedder for both models (256-d), "
        f"build folder {size / 1e6:.0f} MB; command = `python -m ingest build` in a new process"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=FOREIGN if FOREIGN.is_dir() else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale-chunks", type=int, default=10_000)
    parser.add_argument("--skip", choices=["raw", "scale"], action="append", default=[])
    parser.add_argument("--json", type=Path, help="Write the figures here (bench.py format).")
    parser.add_argument("--quick", action="store_true", help="Small sizes, one run (smoke test).")
    args = parser.parse_args()
    corpus = args.corpus or ROOT / "corpus"
    runs = 1 if args.quick else args.runs
    figures = Figures("bench_ingest")
    figures.note(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if "raw" not in args.skip:
        pipeline_vs_raw(figures, corpus, runs, limit=2 if args.quick else None)
    if "scale" not in args.skip:
        no_change_rebuild(figures, corpus, 300 if args.quick else args.scale_chunks, runs)
    figures.note(f"load average {os.getloadavg()[0]:.1f} at the end")
    print_figures(figures)
    if args.json:
        write_figures(figures, args.json)


if __name__ == "__main__":
    main()
