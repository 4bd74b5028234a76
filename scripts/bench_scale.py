"""Benchmark the index at scale: 1k, 10k and 100k chunks of real-looking text, and 1M vectors.

    .venv/bin/python scripts/bench_scale.py [--json PATH] [--quick] [--passes N]

The text: sentences of the real corpora (../shared/seeds and ../shared/corpora/foreign, chunked
and embedded by a real ``ingest build``) recombined into new chunks, each from a run of one source
chunk's sentences and one or two of another's. The vectors: real embeddings of every chunk of the
smallest corpus; above it, each chunk's vector is made from the real vectors of its two source
chunks (weighted by their shares of its sentences) plus Gaussian noise, normalised, with the noise
chosen so that the neighbours of the made vectors are as close as those of real ones on the
smallest corpus. Embedding time above that corpus is extrapolated from the measured encode rate.

Per size it measures the build of everything but the embeddings (FAISS indexes of the type the
settings choose, BM25, chunks, manifest and checksums), the build's size on disk, the resident
memory of a fresh process that loads it, retrieval p50/p95 through ``Retriever.hits`` with the
real models (query embedding included) and recall@10 of the chosen FAISS index against exact
search. 1M: made vectors only (no text): FAISS build, size, search time and recall@10.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import Figures, print_figures, write_figures  # noqa: E402

from chatbot.evaluation.evaluate import percentile  # noqa: E402
from chatbot.pipeline.retrieve import Retriever  # noqa: E402
from core import store  # noqa: E402
from core.chunks import Chunk  # noqa: E402
from core.embed import embed_batches, embed_query, get_embedder  # noqa: E402
from core.lexical import build_bm25  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.text import passage_sentences  # noqa: E402
from ingest.build import run_build  # noqa: E402

SHARED = ROOT.parent / "shared"
SOURCES = (SHARED / "seeds", SHARED / "corpora" / "foreign")
QUESTION_FILES = (
    SHARED / "eval" / "dev_questions.jsonl",
    SHARED / "eval" / "foreign_dev_questions.jsonl",
)
# Noise levels tried for the made vectors (norm of the noise before normalising).
NOISE_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)
SENTENCE_QUERIES = 76  # source sentences searched besides the questions for recall@10
MAX_CHUNK_CHARS = 1500  # chunk_size's default


@dataclass
class Source:
    """The real corpus: its chunks' sentences and real vectors of both models."""

    sentences: list[list[str]]
    dense: np.ndarray
    multi: np.ndarray
    seconds: float


@dataclass
class Corpus:
    chunks: list[Chunk]
    major: np.ndarray  # source chunk of most of each chunk's sentences
    minor: np.ndarray  # source chunk of the rest
    share: np.ndarray  # the major source's share of the sentences


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def real_source(settings: Settings, work: Path, quick: bool) -> Source:
    """Build the real corpora with the real models; their chunks and vectors are the source."""
    corpus = work / "source-corpus"
    corpus.mkdir()
    for folder in SOURCES[:1] if quick else SOURCES:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                shutil.copy(path, corpus / path.name)
    source = settings.model_copy(update={"corpus_dir": corpus, "index_dir": work / "source-index"})
    started = time.perf_counter()
    report = run_build(source, progress=False)
    if report.build_id is None:
        raise SystemExit(f"the source corpus could not be built: {report.errors}")
    seconds = time.perf_counter() - started
    build = store.live_build_dir(source.index_dir)
    assert build is not None
    chunks = store.read_chunks(build)
    sentences = [passage_sentences(c.text, c.lang) or [c.text] for c in chunks]
    dense = store.read_vectors(build, store.DENSE_FILE)
    multi = store.read_vectors(build, store.MULTI_FILE)
    return Source(sentences, dense.astype(np.float32), multi.astype(np.float32), seconds)


def make_corpus(source: Source, n: int, seed: int) -> Corpus:
    """n chunks, each a run of 2-4 sentences of one source chunk and 1-2 of another."""
    rng = np.random.default_rng(seed)
    count = len(source.sentences)
    major = rng.integers(0, count, n)
    minor = rng.integers(0, count, n)
    share = np.empty(n, dtype=np.float32)
    chunks = []
    for i in range(n):
        a, b = source.sentences[major[i]], source.sentences[minor[i]]
        ka, kb = int(rng.integers(2, 5)), int(rng.integers(1, 3))
        sa = int(rng.integers(0, max(1, len(a) - ka + 1)))
        sb = int(rng.integers(0, max(1, len(b) - kb + 1)))
        first, second = a[sa : sa + ka], b[sb : sb + kb]
        share[i] = len(first) / (len(first) + len(second))
        text = " ".join(first + second)[:MAX_CHUNK_CHARS]
        doc, para = divmod(i, 40)
        chunks.append(
            Chunk(
                chunk_id=f"synthetic-{doc} [original] ¶{para + 1}",
                doc_id=f"synthetic-{doc}",
                variant="original",
                lang="en",
                title=f"Synthetic document {doc}",
                source=f"synthetic/{doc}.txt",
                location=f"¶{para + 1}",
                page=None,
                paragraph=para + 1,
                part=1,
                heading=None,
                text=text,
            )
        )
    return Corpus(chunks, major, minor, share)


def made_vectors(
    basis: np.ndarray,
    major: np.ndarray,
    minor: np.ndarray,
    share: np.ndarray,
    noise: float,
    seed: int,
) -> np.ndarray:
    """Each vector: its sources' real vectors by their shares, plus noise, normalised."""
    rng = np.random.default_rng(seed)
    n, dim = len(major), basis.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 50_000):
        s = slice(start, min(n, start + 50_000))
        w = share[s, None]
        x = w * basis[major[s]] + (1 - w) * basis[minor[s]]
        x += rng.standard_normal(x.shape, dtype=np.float32) * (noise / math.sqrt(dim))
        out[s] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def neighbour_cosine(x: np.ndarray) -> float:
    """Median cosine of each vector's 10th nearest other vector (how crowded the space is)."""
    sims = x @ x.T
    np.fill_diagonal(sims, -1)
    return float(np.median(np.sort(sims, axis=1)[:, -10]))


def calibrate_noise(
    basis: np.ndarray, corpus: Corpus, real: np.ndarray
) -> tuple[float, float, float]:
    """The noise whose made vectors are as crowded as the real ones of the same texts."""
    target = neighbour_cosine(real)
    scored = []
    for noise in NOISE_GRID:
        made = made_vectors(basis, corpus.major, corpus.minor, corpus.share, noise, 1)
        scored.append((abs(neighbour_cosine(made) - target), noise, neighbour_cosine(made)))
    _, noise, got = min(scored)
    return noise, target, got


def build_index(
    index_dir: Path, corpus: Corpus, dense: np.ndarray, multi: np.ndarray, settings: Settings
) -> dict[str, float]:
    """Write a complete build (as ingest would, embeddings given) and time its parts."""
    times: dict[str, float] = {}
    t = time.perf_counter()
    build_id = store.new_build_id()
    tmp = store.start_build(index_dir, build_id)
    store.write_chunks(tmp, corpus.chunks)
    times["chunks"] = time.perf_counter() - t
    t = time.perf_counter()
    store.write_vectors(tmp, store.DENSE_FILE, dense, settings.vector_index)
    store.write_vectors(tmp, store.MULTI_FILE, multi, settings.vector_index)
    times["faiss"] = time.perf_counter() - t
    t = time.perf_counter()
    bm25 = build_bm25([c.text for c in corpus.chunks])
    times["bm25"] = time.perf_counter() - t
    t = time.perf_counter()
    manifest = {
        "schema_version": store.SCHEMA_VERSION,
        "build_id": build_id,
        "identity": settings.index_identity(),
        "counts": {"chunks": len(corpus.chunks)},
    }
    store.finish_build(index_dir, tmp, manifest, bm25)
    times["finish"] = time.perf_counter() - t
    return times


def hold_index(index_dir: Path) -> None:
    """Child process: load the live build and report resident memory before and after."""
    before = rss_mb()
    settings = Settings(index_dir=index_dir)
    index = store.load_index(index_dir, settings.index_identity())
    print(json.dumps({"before": before, "after": rss_mb(), "chunks": len(index.chunks)}))


def held_rss(index_dir: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--hold", str(index_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def recall_at_10(index: Any, base: np.ndarray, queries: np.ndarray) -> float:
    _, exact = faiss.knn(queries, base, 10, metric=faiss.METRIC_INNER_PRODUCT)
    _, found = index.search(queries, 10)
    return float(np.mean([len(set(e) & set(f)) / 10 for e, f in zip(exact, found, strict=True)]))


class Recorded:
    """Answers the queries a real embedder already embedded, to time retrieval without them."""

    def __init__(self, model: Any, texts: list[str]) -> None:
        self.vectors = {t: model.embed_query(t) for t in texts}

    def embed_query(self, text: str) -> list[float]:
        return list(self.vectors[text])


def limit_threads(threads: int) -> None:
    """Run torch, FAISS and BLAS on ``threads`` threads: on a machine other jobs keep busy,
    OpenMP threads that spin waiting for each other cost far more than they give."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    faiss.omp_set_num_threads(threads)
    threadpool_limits(threads)


def search_ms(index: Any, queries: np.ndarray, k: int) -> float:
    """Median time of one query's search, in ms."""
    took = []
    for row in queries:
        t = time.perf_counter()
        index.search(row[None, :], k)
        took.append((time.perf_counter() - t) * 1000)
    return statistics.median(took)


def hits_ms(retriever: Retriever, asked: list[tuple[str, bool]]) -> list[float]:
    """Milliseconds of Retriever.hits for each question, in one pass."""
    took = []
    for text, english in asked:
        t = time.perf_counter()
        retriever.hits([text], english)
        took.append((time.perf_counter() - t) * 1000)
    return took


def questions() -> list[tuple[str, bool]]:
    out = []
    for path in QUESTION_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                out.append((str(item["question"]), item.get("lang", "en") == "en"))
    return out


def query_vectors(embedder: Any, texts: list[str]) -> np.ndarray:
    return np.vstack([embed_query(embedder, t) for t in texts]).astype(np.float32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here (bench interface)")
    parser.add_argument("--quick", action="store_true", help="small sizes, one pass")
    parser.add_argument("--passes", type=int, default=3, help="passes over the questions")
    parser.add_argument(
        "--sizes", help="chunk counts, comma-separated (the first is embedded for real)"
    )
    parser.add_argument("--vectors", type=int, help="size of the vectors-only index")
    parser.add_argument("--threads", type=int, help="threads for torch, FAISS and BLAS")
    parser.add_argument("--hold", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        limit_threads(args.threads)
    if args.hold:
        hold_index(args.hold)
        return 0
    sizes, vectors_only, passes = (
        ((100, 2_000), 30_000, 1)
        if args.quick
        else (
            (1_000, 10_000, 100_000),
            1_000_000,
            args.passes,
        )
    )
    if args.sizes:
        sizes = tuple(int(x) for x in args.sizes.split(","))
    vectors_only = args.vectors or vectors_only
    figures = Figures("bench_scale")
    load_before = os.getloadavg()[0]
    settings = Settings(llm="none")
    choice = settings.vector_index
    asked = questions()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        source = real_source(settings, work, args.quick)
        dense_model = get_embedder(settings.dense_model)
        multi_model = get_embedder(settings.multilingual_model)

        # Queries for recall: the evaluation questions and source sentences, embedded for real.
        rng = np.random.default_rng(7)
        pool = [s for sents in source.sentences for s in sents if len(s) > 40]
        picked = [pool[i] for i in rng.choice(len(pool), min(SENTENCE_QUERIES, len(pool)), False)]
        recall_texts = [q for q, _ in asked] + picked
        q_dense = query_vectors(dense_model, recall_texts)
        q_multi = query_vectors(multi_model, recall_texts)

        # The smallest corpus is embedded for real; it also calibrates the made vectors.
        smallest = make_corpus(source, sizes[0], seed=sizes[0])
        texts = [c.text for c in smallest.chunks]
        rates = {}
        real = {}
        for name, model in (("dense", dense_model), ("multi", multi_model)):
            t = time.perf_counter()
            real[name] = np.vstack(list(embed_batches(model, texts, settings.embed_batch_size)))
            rates[name] = len(texts) / (time.perf_counter() - t)
        noise = {}
        for name, basis in (("dense", source.dense), ("multi", source.multi)):
            noise[name], want, got = calibrate_noise(basis, smallest, real[name])
            figures.note(
                f"made {name} vectors: noise {noise[name]} gives a median 10th-neighbour "
                f"cosine of {got:.3f}; real embeddings of the same {sizes[0]} texts: {want:.3f}"
            )
        figures.add("encode_rate_dense_per_s", [rates["dense"]], "chunks/s")
        figures.add("encode_rate_multilingual_per_s", [rates["multi"]], "chunks/s")

        for n in sizes:
            corpus = smallest if n == sizes[0] else make_corpus(source, n, seed=n)
            if n == sizes[0]:
                dense, multi = real["dense"], real["multi"]
            else:
                dense, multi = (
                    made_vectors(basis, corpus.major, corpus.minor, corpus.share, noise[name], n)
                    for name, basis in (("dense", source.dense), ("multi", source.multi))
                )
            label = f"{n // 1000}k" if n >= 1000 else str(n)
            index_dir = work / f"index-{label}"
            times = build_index(index_dir, corpus, dense, multi, settings)
            build = store.live_build_dir(index_dir)
            assert build is not None
            manifest = store.read_manifest(build)
            kind = manifest["vector_indexes"][store.DENSE_FILE]
            figures.add(f"build_s_{label}", [sum(times.values())], "s")
            figures.add(f"build_faiss_s_{label}", [times["faiss"]], "s")
            figures.add(f"build_bm25_s_{label}", [times["bm25"]], "s")
            embed_s = n / rates["dense"] + n / rates["multi"]
            figures.add(f"embed_s_{label}", [embed_s], "s")
            disk = sum(p.stat().st_size for p in build.rglob("*") if p.is_file())
            figures.add(f"disk_mb_{label}", [disk / 2**20], "MB")
            held = held_rss(index_dir)
            figures.add(f"rss_mb_{label}", [held["after"]], "MB")
            figures.add(f"rss_index_mb_{label}", [held["after"] - held["before"]], "MB")

            t = time.perf_counter()
            retriever = Retriever.from_settings(
                settings.model_copy(update={"index_dir": index_dir})
            )
            figures.add(f"load_s_{label}", [time.perf_counter() - t], "s")
            retriever.hits(["warm up"], True)
            timed = [hits_ms(retriever, asked) for _ in range(passes)]
            runs50 = [statistics.median(took) for took in timed]
            runs95 = [percentile(took, 0.95) for took in timed]
            # The same path with the query vectors already made: what grows with the corpus.
            real_models = retriever.dense_embedder, retriever.multi_embedder
            retriever.dense_embedder, retriever.multi_embedder = (
                Recorded(model, [q for q, _ in asked]) for model in real_models
            )
            search50 = [statistics.median(hits_ms(retriever, asked)) for _ in range(passes)]
            target = "< 50" if n == 100_000 else None
            figures.add(f"retrieval_p50_ms_{label}", runs50, "ms", target)
            figures.add(f"retrieval_p95_ms_{label}", runs95, "ms")
            figures.add(f"retrieval_search_p50_ms_{label}", search50, "ms")
            recall = [
                recall_at_10(retriever.index.dense, dense, q_dense),
                recall_at_10(retriever.index.multilingual, multi, q_multi),
            ]
            figures.add(
                f"recall_at_10_{label}", [min(recall)], "ratio", ">= 0.95" if n >= 100_000 else None
            )
            # The threshold's measurement: one query's exact search against the chosen index's.
            exact = faiss.IndexFlatIP(dense.shape[1])
            exact.add(dense)
            k = settings.answer.candidates
            figures.add(f"faiss_exact_ms_{label}", [search_ms(exact, q_dense, k)], "ms")
            figures.add(
                f"faiss_chosen_ms_{label}", [search_ms(retriever.index.dense, q_dense, k)], "ms"
            )
            del exact
            figures.note(
                f"{label}: {kind['type']} index"
                + (f" ({kind['lists']} lists, {kind['probe']} probed)" if "lists" in kind else "")
                + f"; recall@10 MiniLM {recall[0]:.3f}, e5 {recall[1]:.3f}; embeddings "
                + ("measured" if n == sizes[0] else f"extrapolated ({embed_s:.0f} s)")
            )
            del retriever, dense, multi, corpus

        # 1M: made MiniLM-like vectors only; FAISS build, size, search time and recall.
        label = f"{vectors_only // 1000}k" if vectors_only < 1_000_000 else "1m"
        rng = np.random.default_rng(vectors_only)
        count = len(source.sentences)
        runs_a, runs_b = rng.integers(2, 5, vectors_only), rng.integers(1, 3, vectors_only)
        share = runs_a / (runs_a + runs_b)
        big = made_vectors(
            source.dense,
            rng.integers(0, count, vectors_only),
            rng.integers(0, count, vectors_only),
            share.astype(np.float32),
            noise["dense"],
            vectors_only,
        )
        t = time.perf_counter()
        index = store.vector_index(big, choice)
        figures.add(f"build_faiss_s_{label}", [time.perf_counter() - t], "s")
        path = work / "vectors.faiss"
        faiss.write_index(index, str(path))
        kind = store.describe_vectors(path)
        figures.add(f"disk_mb_{label}", [path.stat().st_size / 2**20], "MB")
        figures.add(
            f"faiss_chosen_ms_{label}",
            [search_ms(index, q_dense, settings.answer.candidates)],
            "ms",
        )
        recall_big = recall_at_10(index, big, q_dense)
        figures.add(f"recall_at_10_{label}", [recall_big], "ratio", ">= 0.95")
        figures.note(
            f"{label}: made vectors only (MiniLM-like, no text); {kind['type']} index"
            + (f" ({kind['lists']} lists, {kind['probe']} probed)" if "lists" in kind else "")
            + f"; search is one model's FAISS search of {settings.answer.candidates} candidates"
        )

    figures.note(
        f"recall@10: chosen index vs exact search over {len(recall_texts)} queries "
        f"({len(asked)} evaluation questions + source sentences), lower of MiniLM and e5"
    )
    figures.note(
        f"retrieval: Retriever.hits (both query embeddings, FAISS, BM25, fusion), "
        f"{len(asked)} questions x {passes} passes (retrieval_search: the same with the query "
        f"vectors made beforehand); rss: a fresh process after load_index "
        "(models not loaded; rss_index is the growth from loading)"
    )
    figures.note(
        f"source: real build of {len(source.sentences)} chunks in {source.seconds:.0f} s; "
        f"exact search up to {choice.exact_max} vectors; threads {args.threads or 'default'}; "
        f"machine load "
        f"{load_before:.1f} -> {os.getloadavg()[0]:.1f} (1-min average, 2 cores)"
    )
    print_figures(figures)
    if args.json:
        write_figures(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
