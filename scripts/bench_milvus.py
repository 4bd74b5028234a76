"""The index in Milvus beside FAISS files at 100k passages: build time, retrieval p50/p95 and
recall@10 against exact search.

    .venv/bin/python scripts/bench_milvus.py [--json PATH] [--quick] [--passages N] [--uri URL]

The store part only: passages are paragraphs of the seed and foreign corpora recombined (two a
passage); a passage's vector is the normalised sum of its two paragraphs' hashing-embedder
vectors (the hashing embedder adds its terms' vectors, so this is nearly its own vector; the
multilingual field holds the same vectors with their dimensions permuted). Build and search
times are those of the stores, not of the embedders. Retrieval runs
``Retriever.hits`` (both dense signals, BM25 and the fusion) with the hashing embedder for
queries, over the development questions. recall@10 is measured on queries made from stored
vectors plus noise, against exact inner-product search (faiss.knn). Without --uri it starts a
`milvus-lite server` in a temporary folder (the Milvus Lite engine: a Milvus cluster's figures
differ, the protocol is the same) and stops it at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import Figures, print_figures, write_figures  # noqa: E402
from milvus_lite import MilvusLiteServer  # noqa: E402

from chatbot.evaluation.evaluate import percentile  # noqa: E402
from chatbot.pipeline.retrieve import Retriever  # noqa: E402
from core import milvus_store, store  # noqa: E402
from core.chunks import Chunk  # noqa: E402
from core.embed import get_embedder  # noqa: E402
from core.lexical import bm25_matches, build_bm25  # noqa: E402
from core.settings import MilvusSettings, Settings  # noqa: E402

SHARED = ROOT.parent / "shared"
TEXTS = [ROOT / "corpus", SHARED / "corpora" / "foreign"]
QUESTION_FILES = [
    SHARED / "eval" / "dev_questions.jsonl",
    SHARED / "eval" / "foreign_dev_questions.jsonl",
]
RECALL_QUERIES = 200
QUERY_NOISE = 0.5  # noise norm added to a stored vector to make a query (then normalised)


def paragraphs() -> list[str]:
    out = []
    for folder in TEXTS:
        for path in sorted(folder.rglob("*")):
            if path.suffix in {".txt", ".md"}:
                text = path.read_text(encoding="utf-8", errors="replace")
                out += [p.strip() for p in text.split("\n\n") if len(p.strip()) > 80]
    return out


def make_chunks(n: int, rng: random.Random) -> tuple[list[Chunk], np.ndarray]:
    """The passages and, per passage, the indexes of its two paragraphs in paragraphs()."""
    pool = paragraphs()
    chunks = []
    pairs = np.zeros((n, 2), dtype=np.int64)
    for i in range(n):
        first, second = rng.randrange(len(pool)), rng.randrange(len(pool))
        pairs[i] = first, second
        text = (pool[first] + "\n\n" + pool[second])[:1500]
        doc = f"doc{i // 40}"
        chunks.append(
            Chunk(
                chunk_id=f"{doc} ¶{i % 40 + 1}",
                doc_id=doc,
                variant="original",
                lang="en",
                title=doc,
                source=f"{doc}.txt",
                location=f"¶{i % 40 + 1}",
                page=None,
                paragraph=i % 40 + 1,
                part=1,
                heading=None,
                text=text,
            )
        )
    return chunks, pairs


def passage_vectors(pairs: np.ndarray) -> np.ndarray:
    """Each passage's two paragraph vectors summed and normalised (hashing embedder)."""
    embedder = get_embedder("hashing")
    base = np.asarray(embedder.embed_documents(paragraphs()), dtype=np.float32)
    x = base[pairs[:, 0]] + base[pairs[:, 1]]
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)


def faiss_build(index_dir: Path, chunks: list[Chunk], vectors: list[np.ndarray], s: Settings):
    build_id = store.new_build_id()
    tmp = store.start_build(index_dir, build_id)
    store.write_chunks(tmp, chunks)
    store.write_vectors(tmp, store.DENSE_FILE, vectors[0], s.vector_index)
    store.write_vectors(tmp, store.MULTI_FILE, vectors[1], s.vector_index)
    manifest = {
        "schema_version": store.SCHEMA_VERSION,
        "build_id": build_id,
        "identity": s.index_identity(),
        "counts": {"chunks": len(chunks)},
    }
    store.finish_build(index_dir, tmp, manifest, build_bm25([c.text for c in chunks]))
    return store.live_build_dir(index_dir)


def questions() -> list[str]:
    out = []
    for path in QUESTION_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(str(json.loads(line)["question"]))
    return out


def hits_ms(retriever: Retriever, asked: list[str], passes: int) -> list[float]:
    took = []
    for _ in range(passes):
        for text in asked:
            t = time.perf_counter()
            retriever.hits([text], True)
            took.append((time.perf_counter() - t) * 1000)
    return took


def recall_at_10(index, base: np.ndarray, queries: np.ndarray) -> float:
    _, exact = faiss.knn(queries, base, 10, metric=faiss.METRIC_INNER_PRODUCT)
    found = np.vstack([index.search(q[None, :], 10)[1] for q in queries])
    return float(np.mean([len(set(e) & set(f)) / 10 for e, f in zip(exact, found, strict=True)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--quick", action="store_true", help="5k passages, one pass")
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--uri", help="a running Milvus (default: start a milvus-lite server)")
    args = parser.parse_args()
    n = 5_000 if args.quick else args.passages
    passes = 1 if args.quick else args.passes
    figures = Figures("bench_milvus")
    work = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    server = None
    try:
        uri = args.uri
        if uri is None:
            server = MilvusLiteServer(work / "milvus", max_workers=4)
            uri = server.uri
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            index_dir=work / "index",
            dense_model="hashing",
            multilingual_model="hashing",
            index_backend="milvus",
            milvus=MilvusSettings(uri=uri, collection_prefix="bench"),
        )
        chunks, pairs = make_chunks(n, random.Random(0))  # noqa: S311 - reproducible, not secret
        dense = passage_vectors(pairs)
        dim = dense.shape[1]
        vectors = [dense, np.ascontiguousarray(dense[:, np.random.default_rng(1).permutation(dim)])]

        t = time.perf_counter()
        build = faiss_build(settings.index_dir, chunks, vectors, settings)
        faiss_s = time.perf_counter() - t
        assert build is not None
        t = time.perf_counter()
        milvus_store.publish_build(settings, build)
        milvus_s = time.perf_counter() - t
        figures.add("faiss build (no embedding)", [faiss_s], "s")
        figures.add("milvus build (publish, no embedding)", [milvus_s], "s")

        t = time.perf_counter()
        faiss_index = store.load_index(settings.index_dir, settings.index_identity())
        figures.add("faiss load", [time.perf_counter() - t], "s")
        t = time.perf_counter()
        milvus_index = milvus_store.load_index(settings)
        figures.add("milvus load (chunks into the replica)", [time.perf_counter() - t], "s")

        asked = questions()
        for name, index in (("faiss", faiss_index), ("milvus", milvus_index)):
            retriever = Retriever(index, "hashing", "hashing")
            hits_ms(retriever, asked[:5], 1)  # warm up
            took = hits_ms(retriever, asked, passes)
            figures.add(f"{name} retrieval p50", [statistics.median(took)], "ms", "< 50")
            figures.add(f"{name} retrieval p95", [percentile(took, 0.95)], "ms")
            embedder = get_embedder("hashing")
            dense_ms, bm25_ms = [], []
            for text in asked:
                q = np.asarray([embedder.embed_query(text)], dtype=np.float32)
                t = time.perf_counter()
                index.dense.search(q, 30)
                dense_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                bm25_matches(index.bm25, text)
                bm25_ms.append((time.perf_counter() - t) * 1000)
            figures.add(f"{name} one dense search p50", [statistics.median(dense_ms)], "ms")
            figures.add(f"{name} BM25 matches p50", [statistics.median(bm25_ms)], "ms")
            if name == "milvus":  # what running a question's searches at once would give
                together = []
                with ThreadPoolExecutor(3) as pool:
                    for text in asked:
                        q = np.asarray([embedder.embed_query(text)], dtype=np.float32)
                        t = time.perf_counter()
                        calls = [
                            pool.submit(index.dense.search, q, 30),
                            pool.submit(index.multilingual.search, q, 30),
                            pool.submit(bm25_matches, index.bm25, text),
                        ]
                        for call in calls:
                            call.result()
                        together.append((time.perf_counter() - t) * 1000)
                figures.add(
                    "milvus three searches at once p50", [statistics.median(together)], "ms"
                )

        rng = np.random.default_rng(3)
        rows = rng.choice(n, size=min(RECALL_QUERIES, n), replace=False)
        noise = rng.standard_normal((len(rows), dim)).astype(np.float32)
        queries = vectors[0][rows] + QUERY_NOISE * noise / np.linalg.norm(noise, axis=1)[:, None]
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        figures.add(
            "faiss recall@10 vs exact", [recall_at_10(faiss_index.dense, vectors[0], queries)], ""
        )
        figures.add(
            "milvus recall@10 vs exact",
            [recall_at_10(milvus_index.dense, vectors[0], queries)],
            "",
        )
        kind = milvus_store.VectorSearch.for_count(n, settings.vector_index)
        figures.note(
            f"{n} passages recombined from paragraphs of the seed and foreign corpora, vectors "
            f"from their hashing-embedder vectors ({dim}-d, two fields); Milvus index "
            f"{kind.index_type}"
            + (f" (nlist {kind.lists}, nprobe {kind.probe})" if kind.lists else "")
            + f", engine: {'milvus-lite server' if server else uri}; query embedding: hashing"
        )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print_figures(figures)
    if args.json:
        write_figures(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
