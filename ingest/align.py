"""Pair each chunk of a document's other variants with its counterpart in the reference variant.

Translations keep paragraph order, so the pairing is an order-preserving alignment (a weighted
longest-common-subsequence over cosine similarity) rather than a nearest-neighbour lookup: a
paragraph that exists in only one variant stays unpaired instead of being glued to a look-alike.
Paired chunks share a ``group_id``; ``align_score`` keeps the similarity of the pair.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from core.chunks import REFERENCE_VARIANT, Chunk

DEFAULT_MIN_SIMILARITY = 0.5


def monotonic_pairs(sim: np.ndarray, min_sim: float) -> list[tuple[int, int]]:
    """Order-preserving pairs (i, j) maximising the summed ``sim[i, j] - min_sim``.

    Only pairs with ``sim >= min_sim`` can be chosen; each row and column is used at most once.
    """
    n, m = sim.shape
    gain = sim - min_sim
    best = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            take = best[i - 1, j - 1] + gain[i - 1, j - 1] if gain[i - 1, j - 1] >= 0 else -1.0
            best[i, j] = max(best[i - 1, j], best[i, j - 1], take)
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        g = gain[i - 1, j - 1]
        if g >= 0 and np.isclose(best[i, j], best[i - 1, j - 1] + g):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif best[i, j] == best[i - 1, j]:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def align_document(
    chunks: list[Chunk], vectors: np.ndarray, min_sim: float = DEFAULT_MIN_SIMILARITY
) -> None:
    """Set ``group_id``/``align_score`` on the chunks of ONE document (in reading order).

    ``vectors[k]`` is the normalised embedding of ``chunks[k]``. Every chunk gets a group id;
    a chunk of a non-reference variant shares its counterpart's id when one is found.
    """
    by_variant: dict[str, list[int]] = defaultdict(list)
    for k, chunk in enumerate(chunks):
        chunk.group_id, chunk.align_score = chunk.chunk_id, None
        by_variant[chunk.variant].append(k)
    if len(by_variant) < 2:
        return
    ref_name = REFERENCE_VARIANT if REFERENCE_VARIANT in by_variant else next(iter(by_variant))
    ref = by_variant.pop(ref_name)
    for other in by_variant.values():
        sim = vectors[ref] @ vectors[other].T  # (len(ref), len(other))
        matched: dict[int, int] = {}  # other position -> ref position
        for i, j in monotonic_pairs(sim, min_sim):
            matched[j] = i
        # A paragraph split into two parts in one variant only: the extra part joins the group of
        # its matched neighbour when it is similar enough to that neighbour's counterpart.
        for j in range(len(other)):
            if j in matched:
                continue
            for nb in (j - 1, j + 1):
                if nb in matched and sim[matched[nb], j] >= min_sim:
                    matched[j] = matched[nb]
                    break
        for j, i in matched.items():
            ref_chunk, var_chunk = chunks[ref[i]], chunks[other[j]]
            ref_chunk.align_score = max(ref_chunk.align_score or 0.0, float(sim[i, j]))
            var_chunk.group_id = ref_chunk.group_id
            var_chunk.align_score = round(float(sim[i, j]), 4)
        for k in ref:
            score = chunks[k].align_score
            if score is not None:
                chunks[k].align_score = round(score, 4)


def align_all(chunks: list[Chunk], vectors: np.ndarray, min_sim: float) -> int:
    """Align every multi-variant document; return how many chunks found a counterpart."""
    by_doc: dict[str, list[int]] = defaultdict(list)
    for k, chunk in enumerate(chunks):
        by_doc[chunk.doc_id].append(k)
    for rows in by_doc.values():
        align_document([chunks[k] for k in rows], vectors[rows], min_sim)
    return sum(1 for c in chunks if c.variant != REFERENCE_VARIANT and c.group_id != c.chunk_id)
