"""Retrieval that scales (issue 9): the FAISS index chosen by the number of vectors, its round
trip through a build, the recall of the approximate index, and candidate-based fusion that ranks
exactly as the former whole-corpus fusion did.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest

from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.retrieve import NOT_FOUND, RRF_K, Retriever
from core import store
from core.chunks import Chunk
from core.embed import embed_query
from core.lexical import bm25_matches, build_bm25, document_frequencies
from core.settings import AnswerSettings, VectorIndexSettings
from core.text import tokens
from ingest.build import run_build

SMALL = VectorIndexSettings(exact_max=100)


def clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 topics, as embeddings of a corpus are."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((40, dim)).astype(np.float32)
    x = topics[rng.integers(0, 40, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def write_build(settings: Any, texts: list[str], vectors: np.ndarray) -> Path:
    """A build written with core.store alone, as ingest writes one, with ``settings``' choice."""
    chunks = [
        Chunk(f"doc ¶{i}", "doc", "original", "en", "Doc", "doc.txt", f"¶{i}", None, i, 1, None, t)
        for i, t in enumerate(texts, 1)
    ]
    build_id = store.new_build_id()
    tmp = store.start_build(settings.index_dir, build_id)
    store.write_chunks(tmp, chunks)
    store.write_vectors(tmp, store.DENSE_FILE, vectors, settings.vector_index)
    store.write_vectors(tmp, store.MULTI_FILE, vectors, settings.vector_index)
    manifest = {
        "schema_version": store.SCHEMA_VERSION,
        "build_id": build_id,
        "identity": settings.index_identity(),
        "counts": {"documents": 1, "chunks": len(chunks)},
    }
    return store.finish_build(settings.index_dir, tmp, manifest, build_bm25(texts))


# --- the index type by size -------------------------------------------------------------------


def test_exact_search_up_to_the_threshold_and_ivf_above(tmp_path: Path) -> None:
    for n, kind in ((100, "flat-ip"), (101, "ivf-flat"), (3000, "ivf-flat")):
        store.write_vectors(tmp_path, f"{n}.faiss", clustered(n), SMALL)
        info = store.describe_vectors(tmp_path / f"{n}.faiss")
        assert (info["type"], info["vectors"], info["dim"]) == (kind, n, 64)
    ivf = store.describe_vectors(tmp_path / "3000.faiss")
    assert ivf["lists"] == round(3000**0.5) and ivf["probe"] == SMALL.ivf_min_probe
    assert faiss.read_index(str(tmp_path / "3000.faiss")).nprobe == ivf["probe"]
    # Too few vectors to train two IVF lists (39 each) stay exact whatever the threshold.
    store.write_vectors(tmp_path, "few.faiss", clustered(77), VectorIndexSettings(exact_max=0))
    assert store.describe_vectors(tmp_path / "few.faiss")["type"] == "flat-ip"
    # The default threshold keeps a corpus of a few thousand chunks exact.
    store.write_vectors(tmp_path, "default.faiss", clustered(3000))
    assert store.describe_vectors(tmp_path / "default.faiss")["type"] == "flat-ip"


def test_an_ivf_build_round_trips_through_write_read_and_verify(settings_factory) -> None:
    settings = settings_factory(vector_index=VectorIndexSettings(exact_max=10))
    vectors = clustered(400)
    texts = [f"passage {i} about topic {i % 7}" for i in range(400)]
    build = write_build(settings, texts, vectors)
    assert store.verify_build(build) is None
    manifest = store.read_manifest(build)
    assert manifest["vector_indexes"][store.DENSE_FILE]["type"] == "ivf-flat"
    assert manifest["vector_indexes"][store.MULTI_FILE]["vectors"] == 400
    # Every vector comes back, in row order (the build reuses them for unchanged chunks).
    np.testing.assert_array_equal(store.read_vectors(build, store.DENSE_FILE), vectors)
    loaded = store.load_index(settings.index_dir, settings.index_identity())
    assert loaded.dense.ntotal == 400 and len(loaded.chunks) == 400
    # A damaged IVF file is refused like any other.
    (build / store.DENSE_FILE).write_bytes((build / store.DENSE_FILE).read_bytes()[:-10])
    assert "dense.faiss does not match its checksum" in (store.verify_build(build) or "")


def test_the_approximate_index_finds_what_exact_search_finds() -> None:
    base, queries = clustered(4000, seed=1), clustered(100, seed=2)
    index = store.vector_index(base, SMALL)
    assert faiss.try_extract_index_ivf(index) is not None
    _, exact = faiss.knn(queries, base, 10, metric=faiss.METRIC_INNER_PRODUCT)
    _, found = index.search(queries, 10)
    recall = np.mean([len(set(e) & set(f)) / 10 for e, f in zip(exact, found, strict=True)])
    assert recall >= 0.95


def test_a_build_written_before_index_types_were_recorded_still_loads(
    settings_factory, write_corpus, tiny_corpus
) -> None:
    settings = settings_factory(min_chunk_chars=0)
    assert run_build(settings, progress=False).build_id is not None
    build = store.live_build_dir(settings.index_dir)
    assert build is not None
    manifest = store.read_manifest(build)
    del manifest["vector_indexes"]  # the manifest is not among the checksummed files
    (build / store.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    loaded = store.load_index(settings.index_dir, settings.index_identity())
    assert loaded.notice is None and len(loaded.chunks) == loaded.dense.ntotal


# --- BM25 over the matches only -----------------------------------------------------------------


TEXTS = [
    "Trade between the two countries grows every year.",
    "The fourth opportunity is cooperation in cybersecurity and trade.",
    "Solar farms are built in the northern provinces.",
    "",
    "Cooperation on trade, trade and more trade.",
]


def test_bm25_matches_are_the_nonzero_scores_of_the_whole_corpus() -> None:
    # Rare terms (solar, trade) are merged from their postings; a common one (harbour) and
    # a query mixing both are summed into a corpus-length array: both give the same numbers.
    corpus = TEXTS + [f"Ports and harbours, note {i}." for i in range(60)]
    index = build_bm25(corpus)
    for query in (
        "trade cooperation",
        "trade trade",
        "solar",
        "harbours",
        "solar trade harbour",
        "harbour notes and ports",
        "nothing known",
        "",
        "Trade?",
    ):
        rows, scores = bm25_matches(index, query)
        known = [t for t in tokens(query) if t in index.vocab_dict]
        full = index.get_scores(known) if known else np.zeros(len(corpus), dtype=np.float32)
        assert rows.tolist() == np.flatnonzero(full).tolist()
        np.testing.assert_array_equal(scores, full[rows])  # the same numbers, bit for bit


def test_idf_from_the_bm25_index_equals_idf_from_the_texts() -> None:
    from_texts = IdfTable(TEXTS)
    from_index = IdfTable.from_counts(*document_frequencies(build_bm25(TEXTS)))
    assert from_index.n == from_texts.n == len(TEXTS)
    for question in ("Which opportunity is cooperation?", "solar trade", "unknown words"):
        for text in TEXTS:
            assert from_index.coverage(question, text) == from_texts.coverage(question, text)
    assert not from_index.knows("")


# --- fusion over the candidates -----------------------------------------------------------------


def whole_corpus_hits(
    retriever: Retriever, texts: list[str], english: bool
) -> list[tuple[int, float, float, float, float]]:
    """The former fusion: arrays as long as the corpus per signal and text, sorted whole."""
    n, s = len(retriever.chunks), retriever.settings
    weights = s.english_weights if english else s.other_weights
    fused, best = np.zeros(n), np.full((3, n), -1.0)
    for text in texts:
        signals = []
        for index, embedder in (
            (retriever.index.dense, retriever.dense_embedder),
            (retriever.index.multilingual, retriever.multi_embedder),
        ):
            scores = np.full(n, NOT_FOUND, dtype=np.float32)
            sims, rows = index.search(embed_query(embedder, text), min(s.candidates, n))
            scores[rows[0][rows[0] >= 0]] = sims[0][rows[0] >= 0]
            signals.append(scores)
        known = [t for t in tokens(text) if t in retriever.index.bm25.vocab_dict]
        lexical = retriever.index.bm25.get_scores(known) if known else np.zeros(n, np.float32)
        signals.append(np.asarray(lexical, dtype=np.float32))
        for weight, signal, floor in zip(
            weights, signals, (NOT_FOUND, NOT_FOUND, 0.0), strict=True
        ):
            order = [
                r for r in np.argsort(-signal, kind="stable")[: s.candidates] if signal[r] > floor
            ]
            for rank, row in enumerate(order):
                fused[row] += weight / (RRF_K + rank + 1)
        best = np.maximum(best, np.stack(signals))
    return [
        (int(r), float(fused[r]), float(best[0, r]), float(best[1, r]), float(best[2, r]))
        for r in np.argsort(-fused, kind="stable")
        if fused[r] > 0
    ]


@pytest.mark.parametrize("candidates", [3, 30])
def test_candidate_fusion_ranks_as_the_whole_corpus_fusion_did(
    settings_factory, write_corpus, tmp_path: Path, candidates: int
) -> None:
    paragraphs = [
        f"Paragraph {i}: trade and cooperation in {topic}, funded in {2000 + i % 9}."
        for i, topic in enumerate(["ports", "schools", "clinics", "cyber security", "farms"] * 8)
    ]
    write_corpus(tmp_path / "corpus", {"doc.txt": "\n\n".join(paragraphs)})
    # The three passage signals, as whole_corpus_hits fuses them (not the sentence signal).
    answer = AnswerSettings(candidates=candidates, sentence_multi_weight=0.0)
    settings = settings_factory(min_chunk_chars=0, answer=answer)
    assert run_build(settings, progress=False).build_id is not None
    retriever = Retriever.from_settings(settings)
    assert len(retriever.chunks) == 40
    for texts, english in (
        (["trade in ports"], True),
        (["cooperation clinics 2003", "who funds the schools?"], True),
        (["apa kerja sama di sekolah"], False),
        (["zzz qqq"], True),
    ):
        hits, *tops = retriever.hits(texts, english)
        want = whole_corpus_hits(retriever, texts, english)
        assert [(h.row, h.fused, h.dense, h.multi, h.lexical) for h in hits] == want
        assert tops == [max(0.0, max((w[i] for w in want), default=0.0)) for i in (2, 3, 4)] or (
            not want
        )


def test_an_ivf_index_serves_the_same_hits_when_every_list_is_probed(
    settings_factory: Callable[..., Any],
) -> None:
    texts = [
        f"passage {i} on {('ports', 'schools', 'farms')[i % 3]} in year {i}" for i in range(120)
    ]
    hashing = Retriever.__init__.__globals__["get_embedder"]("hashing")
    vectors = np.asarray(hashing.embed_documents(texts), dtype=np.float32)
    results = []
    for exact_max in (1000, 0):
        settings = settings_factory(vector_index=VectorIndexSettings(exact_max=exact_max))
        write_build(settings, texts, vectors)
        retriever = Retriever.from_settings(settings)
        ivf = faiss.try_extract_index_ivf(retriever.index.dense)
        assert (ivf is None) == (exact_max == 1000)
        if ivf is not None:
            assert ivf.nprobe == ivf.nlist  # 120 vectors: 3 lists, all probed
        results.append([(h.row, h.fused) for h in retriever.hits(["schools in year 7"], True)[0]])
        store.prune_builds(settings.index_dir, 0)
    assert results[0] == results[1] and results[0]
