"""The index in Milvus, against a real `milvus-lite server`: the same retrieval as the FAISS
files of the same build, an alias switched only when a build is complete, incremental builds."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chatbot.pipeline.retrieve import Retriever
from chatbot.pipeline.understand import Query
from core import milvus_store, store
from core.backend import live_pointer, load_live_index
from core.lexical import bm25_matches, document_frequencies
from core.settings import MilvusSettings, Settings
from ingest.build import run_build

_prefixes = itertools.count()


@pytest.fixture
def milvus_settings(
    settings_factory: Callable[..., Settings], milvus_server: Any
) -> Callable[..., Settings]:
    prefix = f"t{next(_prefixes)}"

    def make(**overrides: Any) -> Settings:
        milvus = MilvusSettings(uri=milvus_server.uri, collection_prefix=prefix)
        return settings_factory(index_backend="milvus", milvus=milvus, **overrides)

    return make


QUESTIONS = [
    "What does the article say about the role of the government and of universities?",
    "How do Indonesia and China cooperate on artificial intelligence?",
    "What is BSSN?",
    "Korika talent programme",
    "Apa peran Korika?",
    "the",
]


def test_milvus_serves_the_same_retrieval_as_faiss(
    milvus_settings: Callable[..., Settings], seed_corpus: Path
) -> None:
    settings = milvus_settings()
    report = run_build(settings, progress=False)
    assert report.published == live_pointer(settings)
    faiss_index = store.load_index(settings.index_dir, settings.index_identity())
    milvus_index = load_live_index(settings)
    assert isinstance(milvus_index.dense, milvus_store.MilvusVectors)
    assert milvus_index.build_id == faiss_index.build_id
    assert milvus_index.chunks == faiss_index.chunks
    # The build's other files (the sentence table and both roles' vectors: several base64
    # parts) come back whole.
    copied = [p for p in sorted(faiss_index.path.iterdir()) if p.name.startswith("sentence")]
    assert len(copied) == 3 and max(p.stat().st_size for p in copied) > milvus_store._PART_BYTES
    for path in copied:
        assert (milvus_index.path / path.name).read_bytes() == path.read_bytes()
    assert document_frequencies(milvus_index.bm25) == document_frequencies(faiss_index.bm25)
    lexical = milvus_index.bm25
    assert isinstance(lexical, milvus_store.MilvusLexical)
    few = milvus_store.MilvusLexical(lexical.mc, lexical.collection, lexical.stats, limit=5)
    for question in QUESTIONS:
        rows, scores = bm25_matches(faiss_index.bm25, question)
        for search in (lexical, few):
            m_rows, m_scores = bm25_matches(search, question)
            assert len(m_rows) == min(search.limit, len(rows))  # the best, with the same scores
            np.testing.assert_allclose(m_scores, scores[np.searchsorted(rows, m_rows)], rtol=1e-5)
            if len(rows) > search.limit:
                assert m_scores.min() >= np.sort(scores)[-search.limit] - 1e-5
    faiss_retriever = Retriever(faiss_index, settings.dense_model, settings.multilingual_model)
    milvus_retriever = Retriever(milvus_index, settings.dense_model, settings.multilingual_model)
    for question in QUESTIONS:
        query = Query(question, "en")
        want = faiss_retriever.search(query, 10)
        got = milvus_retriever.search(query, 10)
        assert [p.chunk_id for p in got.passages] == [p.chunk_id for p in want.passages]
        np.testing.assert_allclose(
            [p.score for p in got.passages], [p.score for p in want.passages], rtol=1e-5
        )
        assert got.top_lexical == pytest.approx(want.top_lexical, rel=1e-5)
        assert got.top_dense == pytest.approx(want.top_dense, rel=1e-5)


def test_a_crash_before_the_switch_leaves_the_alias_and_the_next_build_redoes_it(
    milvus_settings: Callable[..., Settings],
    tiny_corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = milvus_settings()
    first = run_build(settings, progress=False)
    live = live_pointer(settings)
    assert live == first.published
    (tiny_corpus / "delta.txt").write_text(
        "Delta maps coral reefs along the eastern coast with divers and drones.\n",
        encoding="utf-8",
    )

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies between writing the rows and the switch

    monkeypatch.setattr(milvus_store, "_write_files", crash)
    with pytest.raises(KeyboardInterrupt):
        run_build(settings, progress=False)
    assert live_pointer(settings) == live  # Milvus still serves the first build
    assert "delta" not in " ".join(c.text for c in load_live_index(settings).chunks)
    monkeypatch.undo()
    # The local build is live and unchanged, so the next build only publishes it.
    again = run_build(settings, progress=False)
    assert again.up_to_date and again.published is not None and again.published != live
    assert "coral" in " ".join(c.text for c in load_live_index(settings).chunks)
    mc = milvus_store.client(settings.milvus)
    ours = [n for n in mc.list_collections() if n.startswith(settings.milvus.collection_prefix)]
    assert len(ours) == 2 * settings.keep_builds  # chunks + files of two builds, no leftover


def test_incremental_build_reembeds_only_the_changed_file(
    milvus_settings: Callable[..., Settings], tiny_corpus: Path
) -> None:
    settings = milvus_settings()
    first = run_build(settings, progress=False)
    (tiny_corpus / "gamma.txt").write_text(
        "Gamma now studies lake water. Samples are taken every month.\n", encoding="utf-8"
    )
    second = run_build(settings, progress=False)
    assert second.reused_embeddings > 0
    assert second.new_embeddings == 2  # one new chunk, two embedders
    assert second.published != first.published == milvus_store.prune_collections(settings, 1)[0]
    retriever = Retriever(load_live_index(settings), "hashing", "hashing")
    top = retriever.search(Query("lake water samples", "en"), 1).passages[0]
    assert "lake water" in top.text


def test_no_build_in_milvus_says_what_to_do(milvus_settings: Callable[..., Settings]) -> None:
    settings = milvus_settings()
    assert live_pointer(settings) is None
    with pytest.raises(store.IndexUnavailable, match="ingest build"):
        load_live_index(settings)


def test_a_fresh_ingest_machine_reuses_the_live_milvus_build(
    milvus_settings: Callable[..., Settings], tiny_corpus: Path, tmp_path: Path
) -> None:
    settings = milvus_settings()
    first = run_build(settings, progress=False)
    fresh = settings.model_copy(update={"index_dir": tmp_path / "another-machine"})
    unchanged = run_build(fresh, progress=False)  # the live build, written back: nothing to do
    assert unchanged.up_to_date and unchanged.build_id == first.build_id
    assert unchanged.published == first.published
    (tiny_corpus / "gamma.txt").write_text(
        "Gamma now studies lake water. Samples are taken every month.\n", encoding="utf-8"
    )
    other = settings.model_copy(update={"index_dir": tmp_path / "a-third-machine"})
    second = run_build(other, progress=False)
    assert second.new_embeddings == 2 and second.reused_embeddings > 0
    retriever = Retriever(load_live_index(settings), "hashing", "hashing")
    assert "lake water" in retriever.search(Query("lake water samples", "en"), 1).passages[0].text


def test_an_unreachable_milvus_is_named(settings_factory: Callable[..., Settings]) -> None:
    from scripts.milvus_lite import free_port

    milvus = MilvusSettings(uri=f"http://127.0.0.1:{free_port()}", timeout_s=2)
    settings = settings_factory(index_backend="milvus", milvus=milvus)
    assert live_pointer(settings) is None
    with pytest.raises(store.IndexUnavailable, match="cannot be reached"):
        load_live_index(settings)


def test_status_names_what_milvus_serves(
    milvus_settings: Callable[..., Settings], tiny_corpus: Path
) -> None:
    from typer.testing import CliRunner

    from ingest.cli import app

    settings = milvus_settings()
    report = run_build(settings, progress=False)
    env = {
        "SQA_INDEX_BACKEND": "milvus",
        "SQA_MILVUS_URI": settings.milvus.uri,  # the name; SQA_MILVUS__URI works too
        "SQA_MILVUS__COLLECTION_PREFIX": settings.milvus.collection_prefix,
        "SQA_DENSE_MODEL": "hashing",
        "SQA_MULTILINGUAL_MODEL": "hashing",
    }
    args = ["status", "--corpus", str(tiny_corpus), "--index", str(settings.index_dir)]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert f"serves {report.published}" in result.output


def test_the_flat_and_nested_milvus_names_agree_or_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SQA_MILVUS_URI", "http://milvus-a:19530")
    monkeypatch.setenv("SQA_MILVUS_TOKEN", "root:secret")
    flat = Settings(_env_file=None)  # type: ignore[call-arg]
    assert flat.milvus.uri == "http://milvus-a:19530"
    assert flat.milvus.token is not None and flat.milvus.token.get_secret_value() == "root:secret"
    assert "milvus_uri" not in flat.model_dump()  # a dump rebuilds the same settings
    assert Settings.model_validate(flat.model_dump()).milvus.uri == "http://milvus-a:19530"
    # A MilvusSettings given in code wins over the environment (tests, benchmarks).
    given = Settings(_env_file=None, milvus=MilvusSettings(uri="http://here:1"))  # type: ignore[call-arg]
    assert given.milvus.uri == "http://here:1"
    monkeypatch.setenv("SQA_MILVUS__URI", "http://milvus-a:19530/")
    assert Settings(_env_file=None).milvus.uri == "http://milvus-a:19530"  # type: ignore[call-arg]
    monkeypatch.setenv("SQA_MILVUS__URI", "http://milvus-b:19530")
    with pytest.raises(ValueError, match="SQA_MILVUS_URI and SQA_MILVUS__URI"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("SQA_MILVUS_URI", "")  # empty: unset
    assert Settings(_env_file=None).milvus.uri == "http://milvus-b:19530"  # type: ignore[call-arg]


def test_the_lexical_stats_are_the_same_in_every_process() -> None:
    """Term ids do not follow the process's hash seed: the same build published again into a
    new Milvus writes the ids a replica's cached stats (milvus-cache-2/<collection>) hold."""
    import os
    import subprocess
    import sys

    code = (
        "import json; from core.lexical import LexicalStats; "
        "terms = [LexicalStats.chunk_terms(t) for t in ['Harbour cranes and quays', "
        "'The quay fund pays cranes', 'Dana pelabuhan membayar derek']]; "
        "print(json.dumps(LexicalStats.from_terms(terms).to_json()))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[3],
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


def test_a_restarted_milvus_serves_the_live_build(
    settings_factory: Callable[..., Settings], tiny_corpus: Path, tmp_path: Path
) -> None:
    """Milvus Lite's server comes back with every collection released; a replica loading the
    live build then loads them instead of failing every search."""
    from scripts.milvus_lite import BINARY, MilvusLiteServer

    if not BINARY.exists():
        pytest.skip("milvus-lite is not installed (pip install -e .)")
    data = tmp_path / "milvus-data"
    with MilvusLiteServer(data, log=tmp_path / "first.log") as first:
        milvus = MilvusSettings(uri=first.uri, collection_prefix="restart")
        run_build(settings_factory(index_backend="milvus", milvus=milvus), progress=False)
    milvus_store._clients.pop((first.uri, "")).close()  # the stopped server's connection
    with MilvusLiteServer(data, log=tmp_path / "second.log") as second:
        milvus = MilvusSettings(uri=second.uri, collection_prefix="restart")
        settings = settings_factory(index_backend="milvus", milvus=milvus)
        retriever = Retriever(load_live_index(settings), "hashing", "hashing")
        assert retriever.search(Query("lake water samples", "en"), 1).passages
