"""Benchmark ingest on this machine and print figures (no assertions).

    .venv/bin/python scripts/bench_ingest.py [--corpus corpus]

Builds the corpus into a temporary index with the real bundled models, then prints chunks and
vectors, the full build time, the no-change rebuild time, and each model's embedding throughput
(passages per second) on the corpus' own chunks.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.embed import get_embedder  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.store import load_index  # noqa: E402
from ingest.build import run_build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(corpus_dir=args.corpus, index_dir=Path(tmp) / "index")
        # Load the models first so the build time is the pipeline's, not the import's.
        for name in (settings.dense_model, settings.multilingual_model):
            get_embedder(name).embed_query("warm up")
        full = run_build(settings, progress=False)
        again = run_build(settings, progress=False)
        index = load_index(settings.index_dir, settings.index_identity())
        texts = [c.text for c in index.chunks]
        print(f"corpus: {full.files} files, {full.documents} documents")
        print(
            f"index: {full.chunks} chunks, {index.dense.ntotal} dense + "
            f"{index.multilingual.ntotal if index.multilingual else 0} multilingual vectors "
            f"(dim {index.dense.d}), {full.aligned} variant passages aligned"
        )
        print(f"full build: {full.seconds:.2f} s ({full.new_embeddings} embeddings computed)")
        print(f"no-change rebuild: {again.seconds:.3f} s (up to date: {again.up_to_date})")
        mean_chars = sum(map(len, texts)) / max(len(texts), 1)
        for name in (settings.dense_model, settings.multilingual_model):
            embedder = get_embedder(name)
            started = time.perf_counter()
            embedder.embed_documents(texts)
            rate = len(texts) / (time.perf_counter() - started)
            print(f"throughput {name}: {rate:.1f} passages/s (mean {mean_chars:.0f} chars)")


if __name__ == "__main__":
    main()
