"""Passage sentences and their vectors precomputed at ingest (hashing embedder), and the answer
path's cache reading them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from chatbot.pipeline.sentence_cache import SentenceCache
from core import sentences as sentence_store
from core import store
from core.embed import HashingEmbeddings
from core.store import load_index
from core.text import passage_sentences
from ingest.build import make_plan, run_build


class Counting(HashingEmbeddings):
    """The hashing embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.seen += texts
        return super().embed_documents(texts)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Counting:
    embedder = Counting()
    monkeypatch.setattr("core.embed.get_embedder", lambda name: embedder)
    return embedder


def live(settings) -> Path:
    build = store.live_build_dir(settings.index_dir)
    assert build is not None
    return build


def test_build_writes_sentences_and_their_vectors(tiny_corpus: Path, settings_factory) -> None:
    settings = settings_factory(min_chunk_chars=0)
    run_build(settings, progress=False)
    build = live(settings)
    chunks = store.read_chunks(build)
    table = sentence_store.read_table(build)
    assert table is not None
    assert table.shas == [c.text_sha for c in chunks]
    assert table.sentences == [passage_sentences(c.text, c.lang) for c in chunks]
    assert sorted(table.vectors) == ["dense", "multilingual"]  # the default: both roles
    expected = np.asarray(HashingEmbeddings().embed_documents(table.flat()), dtype=np.float32)
    for role in table.vectors:
        np.testing.assert_allclose(table.vectors[role], expected, atol=1e-6)
    manifest = store.read_manifest(build)
    assert manifest["sentences"]["count"] == len(table.flat()) > 0
    files = {"sentences.jsonl", "sentences-dense.npy", "sentences-multilingual.npy"}
    assert files <= set(manifest["checksums"])


def test_a_change_of_sentence_roles_rebuilds_reusing_every_vector(
    tiny_corpus: Path, settings_factory, counting: Counting
) -> None:
    settings = settings_factory(min_chunk_chars=0, sentence_vectors=["dense"])
    run_build(settings, progress=False)
    table = sentence_store.read_table(live(settings))
    assert table is not None and sorted(table.vectors) == ["dense"]
    both = settings.model_copy(update={"sentence_vectors": ["dense", "multilingual"]})
    assert "sentence vectors changed" in str(make_plan(both).full_reason)
    counting.seen.clear()
    report = run_build(both, progress=False)
    table = sentence_store.read_table(live(both))
    assert table is not None and sorted(table.vectors) == ["dense", "multilingual"]
    # The passages and the dense sentences were embedded before: only e5's sentences are new.
    assert report.new_embeddings == 0 and sorted(set(counting.seen)) == sorted(set(table.flat()))


def test_incremental_build_reuses_unchanged_chunks_sentences(
    tiny_corpus: Path, settings_factory, counting: Counting
) -> None:
    settings = settings_factory(min_chunk_chars=0)
    run_build(settings, progress=False)
    before = sentence_store.read_table(live(settings))
    assert before is not None
    old = dict(zip(before.shas, before.vectors["dense"].tolist(), strict=False))
    (tiny_corpus / "gamma.txt").write_text(
        "Gamma now studies lake water. Samples are taken every month in summer.\n",
        encoding="utf-8",
    )
    counting.seen.clear()
    run_build(settings, progress=False)
    after = sentence_store.read_table(live(settings))
    assert after is not None
    new_sentences = ["Gamma now studies lake water.", "Samples are taken every month in summer."]
    assert new_sentences == after.sentences[-1]
    # Only the changed file's passage and its sentences were embedded, once per model.
    gamma = "Gamma now studies lake water. Samples are taken every month in summer."
    assert sorted(set(counting.seen)) == sorted({gamma, *new_sentences})
    manifest = store.read_manifest(live(settings))
    assert manifest["sentences"]["chunks_reused"] == 4  # alpha's and beta's paragraphs
    # Reused rows are the old vectors, unchanged.
    by_chunk = after.by_chunk("dense")
    for sha, first in old.items():
        if sha in by_chunk and len(by_chunk[sha][1]):
            assert by_chunk[sha][1][0].tolist() == first


def test_vectors_load_without_pickle(tmp_path: Path) -> None:
    table = sentence_store.SentenceTable(["a"], [["One sentence here."]], {})
    sentence_store.write_table(tmp_path, table)
    # An object array is stored pickled inside the .npy: reading it must refuse.
    np.save(tmp_path / "sentences-dense.npy", np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError):
        sentence_store.read_table(tmp_path)


def test_damaged_sentence_file_is_refused_like_any_build_file(
    tiny_corpus: Path, settings_factory
) -> None:
    settings = settings_factory(min_chunk_chars=0)
    run_build(settings, progress=False)
    build = live(settings)
    path = build / "sentences-dense.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    assert store.verify_build(build) == (
        f"build {build.name} is damaged: sentences-dense.npy does not match its checksum"
    )
    with pytest.raises(store.IndexUnavailable, match=r"sentences-dense\.npy"):
        load_index(settings.index_dir, settings.index_identity())
    assert "damaged" in (make_plan(settings).full_reason or "")
    lines = (build / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["sentences"]


def test_cache_answers_from_the_table_and_computes_the_rest(
    tiny_corpus: Path, settings_factory
) -> None:
    settings = settings_factory(min_chunk_chars=0, sentence_vectors=["dense"])
    run_build(settings, progress=False)
    build = live(settings)
    table = sentence_store.read_table(build)
    assert table is not None
    embedder, other = Counting(), Counting()
    cache = SentenceCache.for_index(build, {"dense": embedder, "multilingual": other})
    assert cache.precomputed(embedder) == len(set(table.flat()))
    assert cache.precomputed(other) == 0  # no multilingual sentence vectors in this build
    known = table.flat()[:3]
    vectors = cache.vectors(embedder, [*known, "A sentence no passage has."])
    assert embedder.seen == ["A sentence no passage has."]
    np.testing.assert_array_equal(vectors[:3], table.vectors["dense"][:3])
    cache.vectors(other, known)
    assert other.seen == known


def test_passages_are_split_once_at_ingest_not_per_question(
    tiny_corpus: Path, settings_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_factory(min_chunk_chars=0)
    run_build(settings, progress=False)
    build = live(settings)
    chunks = store.read_chunks(build)
    cache = SentenceCache.for_index(build, {"dense": Counting()})
    calls: list[str] = []
    monkeypatch.setattr(
        "chatbot.pipeline.sentence_cache.passage_sentences",
        lambda text, lang: calls.append(text) or passage_sentences(text, lang),
    )
    for chunk in chunks:  # the build's own split, and no splitting now
        assert cache.split(chunk.text, chunk.lang) == passage_sentences(chunk.text, chunk.lang)
    assert calls == []
    # A text the build does not hold (no table, or not a passage of it) is split when asked.
    other = "The fund opened in 2021. It lends to small farms in three provinces."
    assert cache.split(other, "en") == passage_sentences(other, "en")
    assert calls == [other]


def test_cache_without_a_table_computes(tmp_path: Path) -> None:
    embedder: Embeddings = Counting()
    cache = SentenceCache.for_index(tmp_path, {"dense": embedder})
    assert cache.vectors(embedder, ["Some sentence of a passage."]).shape == (1, 256)
