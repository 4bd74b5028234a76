"""Incremental rebuild with the real models: one changed paragraph, two new embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from core import store
from ingest.build import run_build

pytestmark = pytest.mark.integration

JA = "robust-ai-ecosystem.ja-derived.txt"
CHANGED = "robust-ai-ecosystem [ja-derived] ¶2"  # the chunk that holds the edited sentence


def test_changing_one_file_reembeds_only_its_changed_chunks(seed_build, seed_copy) -> None:
    settings = seed_copy()
    before = store.load_index(settings.index_dir, settings.index_identity())
    old_dense = store.read_vectors(before.path, store.DENSE_FILE)
    old_multi = store.read_vectors(before.path, store.MULTI_FILE)
    # The seed's own counts are pinned in test_seed_index; here they must only stay the same.
    n_chunks, n_aligned = len(before.chunks), before.manifest.counts.aligned
    assert CHANGED in {c.chunk_id for c in before.chunks} and n_aligned > 0

    unchanged = run_build(settings, progress=False)
    assert unchanged.up_to_date and unchanged.new_embeddings == 0

    path = settings.corpus_dir / JA
    text = path.read_text(encoding="utf-8")
    assert text.count("As mentioned earlier,") == 1
    path.write_text(text.replace("As mentioned earlier,", "As noted earlier,"), encoding="utf-8")

    report = run_build(settings, progress=False)
    assert report.errors == {} and report.full_reason is None
    assert report.chunks == n_chunks
    assert report.new_embeddings == 2  # ja-derived ¶2, once per model
    assert report.reused_embeddings == 2 * n_chunks - 2  # every other chunk, once per model
    assert report.aligned == n_aligned

    after = store.load_index(settings.index_dir, settings.index_identity())
    assert after.build_id == report.build_id != before.build_id
    new_dense = store.read_vectors(after.path, store.DENSE_FILE)
    new_multi = store.read_vectors(after.path, store.MULTI_FILE)
    for k, (old, new) in enumerate(zip(before.chunks, after.chunks, strict=True)):
        assert old.chunk_id == new.chunk_id
        if old.chunk_id == CHANGED:
            assert new.text.startswith("As noted earlier,")
            assert not np.array_equal(old_dense[k], new_dense[k])
            assert not np.array_equal(old_multi[k], new_multi[k])
            assert new.group_id == "robust-ai-ecosystem [original] ¶3"  # still aligned
        else:  # reused, bit for bit
            np.testing.assert_array_equal(old_dense[k], new_dense[k])
            np.testing.assert_array_equal(old_multi[k], new_multi[k])
            assert old.group_id == new.group_id
