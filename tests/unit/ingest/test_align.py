"""Variant alignment: order-preserving pairs, thresholds, unpaired paragraphs, split paragraphs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.chunks import Chunk
from ingest.align import align_all, align_document, monotonic_pairs


def test_diagonal_pairs() -> None:
    sim = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.1], [0.0, 0.3, 0.95]])
    assert monotonic_pairs(sim, 0.5) == [(0, 0), (1, 1), (2, 2)]


def test_order_is_preserved_even_when_a_crossing_pair_scores_higher() -> None:
    # Row 0's nearest column is 1, but taking (0, 1) would leave row 1 without a partner.
    sim = np.array([[0.80, 0.95], [0.20, 0.90]])
    assert monotonic_pairs(sim, 0.5) == [(0, 0), (1, 1)]
    # Two pairs that cross can never both be chosen.
    crossing = np.array([[0.1, 0.9], [0.9, 0.1]])
    pairs = monotonic_pairs(crossing, 0.5)
    assert len(pairs) == 1
    assert pairs[0] in {(0, 1), (1, 0)}


def test_below_threshold_is_never_paired() -> None:
    assert monotonic_pairs(np.full((3, 4), 0.49), 0.5) == []
    sim = np.array([[0.7, 0.2], [0.3, 0.45]])
    assert monotonic_pairs(sim, 0.5) == [(0, 0)]


def test_a_row_without_counterpart_stays_unpaired() -> None:
    # Reference rows: lede, A, B, bio; the other variant has only A and B.
    sim = np.array([[0.30, 0.20], [0.90, 0.35], [0.30, 0.85], [0.10, 0.20]])
    assert monotonic_pairs(sim, 0.5) == [(1, 0), (2, 1)]


def test_empty_matrices() -> None:
    assert monotonic_pairs(np.zeros((0, 3)), 0.5) == []
    assert monotonic_pairs(np.zeros((2, 0)), 0.5) == []


def _best_by_brute_force(sim: np.ndarray, min_sim: float) -> float:
    n, m = sim.shape
    best = 0.0
    for k in range(1, min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.combinations(range(m), k):
                gains = [sim[i, j] - min_sim for i, j in zip(rows, cols, strict=True)]
                if min(gains) >= 0:
                    best = max(best, sum(gains))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_pairs_are_monotonic_valid_and_optimal(seed: int) -> None:
    sim = np.random.default_rng(seed).uniform(0.0, 1.0, size=(4, 5))
    pairs = monotonic_pairs(sim, 0.5)
    rows, cols = [i for i, _ in pairs], [j for _, j in pairs]
    assert rows == sorted(set(rows)) and cols == sorted(set(cols))
    assert all(sim[i, j] >= 0.5 for i, j in pairs)
    total = sum(sim[i, j] - 0.5 for i, j in pairs)
    assert total == pytest.approx(_best_by_brute_force(sim, 0.5))


# --- align_document ------------------------------------------------------------------------


def chunk(variant: str, para: int, part: int = 1, of: int = 1, doc: str = "doc") -> Chunk:
    suffix = f".{part}" if of > 1 else ""
    return Chunk(
        chunk_id=f"{doc} [{variant}] ¶{para}{suffix}",
        doc_id=doc,
        variant=variant,
        lang="en",
        title="Doc",
        source=f"{doc}.{variant}.txt",
        location=f"¶{para}",
        page=None,
        paragraph=para,
        part=part,
        heading=None,
        text=f"{variant} paragraph {para} part {part}",
    )


def unit(*weights: tuple[int, float], dim: int = 8) -> np.ndarray:
    v = np.zeros(dim, dtype=np.float32)
    for axis, w in weights:
        v[axis] = w
    return v / np.linalg.norm(v)


def test_align_document_groups_counterparts_and_leaves_extras_alone() -> None:
    # Original: lede, A, B, C, bio. Translation: A, B, C (no lede, no bio).
    originals = [chunk("original", p) for p in range(1, 6)]
    translated = [chunk("ja-derived", p) for p in range(1, 4)]
    chunks = [*originals, *translated]
    original_vectors = [unit((axis, 1)) for axis in range(5)]
    translated_vectors = [unit((1, 1), (5, 0.3)), unit((2, 1), (5, 0.3)), unit((3, 1), (6, 0.3))]
    vectors = np.stack([*original_vectors, *translated_vectors])
    align_document(chunks, vectors)
    by_id = {c.chunk_id: c for c in chunks}
    for ja, original in [(1, 2), (2, 3), (3, 4)]:
        var = by_id[f"doc [ja-derived] ¶{ja}"]
        assert var.group_id == f"doc [original] ¶{original}"
        assert var.align_score == pytest.approx(
            float(vectors[ja + 4] @ vectors[original - 1]), 1e-4
        )
        assert by_id[f"doc [original] ¶{original}"].align_score == var.align_score
    for lonely in ("doc [original] ¶1", "doc [original] ¶5"):
        assert by_id[lonely].group_id == lonely
        assert by_id[lonely].align_score is None


def test_single_variant_document_gets_own_groups() -> None:
    chunks = [chunk("original", 1), chunk("original", 2)]
    chunks[0].group_id, chunks[0].align_score = "stale", 0.3  # reset on every alignment
    align_document(chunks, np.stack([unit((0, 1)), unit((0, 1))]))
    assert [c.group_id for c in chunks] == [c.chunk_id for c in chunks]
    assert all(c.align_score is None for c in chunks)


def test_split_paragraph_part_joins_its_neighbours_group() -> None:
    # The translation's paragraph 2 came out longer and was split in two parts; both parts are
    # about the original's paragraph 2, but only one can be its monotonic partner.
    chunks = [
        *(chunk("original", p) for p in (1, 2, 3)),
        chunk("ja-derived", 1),
        chunk("ja-derived", 2, part=1, of=2),
        chunk("ja-derived", 2, part=2, of=2),
        chunk("ja-derived", 3),
    ]
    original_vectors = [unit((0, 1)), unit((1, 1), (2, 0.2)), unit((3, 1))]
    translated_vectors = [unit((0, 1)), unit((1, 1)), unit((1, 0.8), (2, 0.6)), unit((3, 1))]
    vectors = np.stack([*original_vectors, *translated_vectors])
    align_document(chunks, vectors)
    groups = {c.chunk_id: c.group_id for c in chunks}
    assert groups["doc [ja-derived] ¶1"] == "doc [original] ¶1"
    assert groups["doc [ja-derived] ¶2.1"] == "doc [original] ¶2"
    assert groups["doc [ja-derived] ¶2.2"] == "doc [original] ¶2"
    assert groups["doc [ja-derived] ¶3"] == "doc [original] ¶3"


def test_unrelated_extra_chunk_does_not_join_a_neighbour() -> None:
    chunks = [
        chunk("original", 1),
        chunk("original", 2),
        chunk("ja-derived", 1),
        chunk("ja-derived", 2),  # a stranded fragment ("I aimed.") like nothing in the original
        chunk("ja-derived", 3),
    ]
    vectors = np.stack([unit((0, 1)), unit((1, 1)), unit((0, 1)), unit((7, 1)), unit((1, 1))])
    align_document(chunks, vectors)
    assert chunks[3].group_id == "doc [ja-derived] ¶2"
    assert chunks[3].align_score is None
    assert chunks[4].group_id == "doc [original] ¶2"


def test_align_all_aligns_each_document_separately_and_counts() -> None:
    a = [chunk("original", 1, doc="a"), chunk("original", 2, doc="a")]
    b = [chunk("original", 1, doc="b"), chunk("ja-derived", 1, doc="b")]
    solo = [chunk("original", 1, doc="c")]
    chunks = [a[0], b[0], solo[0], a[1], b[1]]  # interleaved on purpose
    vectors = np.stack([unit((0, 1)), unit((1, 1)), unit((1, 1)), unit((2, 1)), unit((1, 1))])
    # b's variant matches b's original; it must not be grouped with doc c (same vector).
    assert align_all(chunks, vectors, 0.5) == 1
    assert b[1].group_id == "b [original] ¶1"
    assert solo[0].group_id == "c [original] ¶1"
    assert [c.group_id for c in a] == [c.chunk_id for c in a]
