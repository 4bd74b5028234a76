"""Hybrid retrieval: weighted RRF fusion, variant collapse, English-only coverage re-rank.

The fusion tests replace the three raw signals with fixed scores, so the expected order follows
from the RRF arithmetic alone; the variant tests run the hashing embedder on a tiny two-variant
corpus with a manifest, like the seed corpus (Korika vs Corica).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from chatbot.retrieve import RRF_K, WEIGHTS, Retriever
from ingest.build import run_build

MANIFEST = """
[[documents]]
id = "ocean"
title = "Ocean Strategy"
variants = [
    { file = "ocean.original.txt", variant = "original", lang = "en" },
    { file = "ocean.ja-derived.txt", variant = "ja-derived", lang = "en" },
]
"""
ORIGINAL = """Ocean Strategy

The national ocean strategy was drafted by Korika, a research collaboration of universities, \
in 2021.

Security

The plan names the National Cyber and Crypto Agency (BSSN) as the lead for protecting port data.

About the author

The author writes a weekly column about maritime policy and fisheries.
"""
# Through Japanese and back: another name, another agency name, a stranded fragment, and no
# author paragraph.
JA_DERIVED = """Ocean Strategy

The national ocean strategy was drafted by Corica, a research collaboration of universities, \
in 2021.

Security

The plan names the National Cyber Cryptography Service (BSSN) as the lead for protecting port \
data. I aimed.
"""
RIVER = "River Notes\n\nThe river team samples water quality every week and publishes open data.\n"

VARIANT_CORPUS = {
    "manifest.toml": MANIFEST,
    "ocean.original.txt": ORIGINAL,
    "ocean.ja-derived.txt": JA_DERIVED,
    "river.txt": RIVER,
}
OPPORTUNITIES = {
    "opportunities.txt": (
        "The first opportunity is trade between the two countries.\n\n"
        "The fourth opportunity is cooperation in cybersecurity.\n\n"
        "The second opportunity is research and education.\n\n"
        "Solar farms are built in the northern provinces.\n"
    )
}


@pytest.fixture
def build(settings_factory, write_corpus, tmp_path: Path) -> Callable[[dict[str, str]], Retriever]:
    """``build(files)`` -> a Retriever over a fresh hashing index of those files."""

    def make(files: dict[str, str]) -> Retriever:
        settings = settings_factory()
        write_corpus(tmp_path / "corpus", files)
        assert run_build(settings, progress=False).build_id is not None
        return Retriever.from_settings(settings)

    return make


def fix_signals(
    monkeypatch: pytest.MonkeyPatch,
    retriever: Retriever,
    dense: list[float],
    multi: list[float],
    lexical: list[float],
) -> None:
    """Make the three raw signals return these scores (one per chunk row)."""

    def signal(faiss_index, embedder, query: str) -> np.ndarray:
        chosen = dense if faiss_index is retriever.index.dense else multi
        return np.asarray(chosen, dtype=np.float32)

    monkeypatch.setattr(retriever, "_signal", signal)
    monkeypatch.setattr(
        "chatbot.retrieve.bm25_scores", lambda index, q: np.asarray(lexical, dtype=np.float32)
    )


def rrf(weight: float, rank: int) -> float:
    return weight / (RRF_K + rank)


# --- weighted reciprocal rank fusion ----------------------------------------------------------


def test_agreement_of_several_signals_beats_one_signal_alone(
    build, tiny_corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = build({})
    assert len(retriever.chunks) == 6
    # Row 0 is BM25's top hit but last for both embeddings; row 1 is second everywhere.
    fix_signals(
        monkeypatch,
        retriever,
        dense=[0.0, 0.8, 0.9, 0.7, 0.6, 0.5],
        multi=[0.0, 0.8, 0.9, 0.7, 0.6, 0.5],
        lexical=[9.0, 5.0, 4.0, 3.0, 2.0, 1.0],
    )
    hits, *_ = retriever.hits("anything", "en")
    fused = {h.row: h.fused for h in hits}
    dense_w, multi_w, lexical_w = WEIGHTS["en"]
    assert fused[1] == pytest.approx(rrf(dense_w + multi_w + lexical_w, 2))
    assert fused[0] == pytest.approx(rrf(dense_w + multi_w, 6) + rrf(lexical_w, 1))
    assert fused[1] > fused[0]
    assert hits[0].row == 2  # top for both embeddings, third for BM25
    # Each hit keeps its raw signals for the support check.
    assert (hits[0].dense, hits[0].lexical) == (pytest.approx(0.9), pytest.approx(4.0))


def test_english_trusts_minilm_and_bm25_other_languages_trust_e5(
    build, tiny_corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = build({})
    # Row 0: top for MiniLM and BM25, second for e5. Row 1: top for e5, second for the others.
    fix_signals(
        monkeypatch,
        retriever,
        dense=[0.9, 0.8, 0.1, 0.1, 0.1, 0.1],
        multi=[0.8, 0.9, 0.1, 0.1, 0.1, 0.1],
        lexical=[9.0, 8.0, 0.0, 0.0, 0.0, 0.0],
    )
    english, *_ = retriever.hits("anything", "en")
    indonesian, *_ = retriever.hits("apa saja", "id")
    assert [h.row for h in english[:2]] == [0, 1]
    assert [h.row for h in indonesian[:2]] == [1, 0]
    assert WEIGHTS["other"][1] > WEIGHTS["other"][0] and WEIGHTS["other"][1] > WEIGHTS["other"][2]


def test_a_signal_without_any_match_adds_nothing(
    build, tiny_corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = build({})
    fix_signals(
        monkeypatch,
        retriever,
        dense=[0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        multi=[0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        lexical=[0.0] * 6,  # no question word is in the BM25 vocabulary
    )
    hits, *_ = retriever.hits("zzz", "en")
    dense_w, multi_w, _ = WEIGHTS["en"]
    assert hits[0].fused == pytest.approx(rrf(dense_w + multi_w, 1))
    # The best possible score counts all three signals, so a passage nobody's BM25 sees is < 1.
    assert retriever.search("zzz", 1, "id").passages[0].score < 1.0


def test_search_reports_the_best_raw_signals(build, tiny_corpus) -> None:
    retriever = build({})
    retrieval = retriever.search("When did the alpha project start?", 3, "en")
    assert retrieval.passages[0].chunk_id == "alpha [original] ¶1"
    assert retrieval.top_lexical > 0
    assert retrieval.top_dense == pytest.approx(max(p.dense for p in retrieval.passages))
    assert 0.0 < retrieval.passages[0].score <= 1.0
    assert len(retrieval.passages) == 3


# --- variant collapse -------------------------------------------------------------------------


def test_a_variant_hit_collapses_into_the_original_with_the_differences(build) -> None:
    retriever = build(VARIANT_CORPUS)
    # The question uses the ja-derived spelling, so the ja-derived chunk is the best raw hit ...
    hits, *_ = retriever.hits("What is Corica?", "en")
    assert retriever.chunks[hits[0].row].chunk_id == "ocean [ja-derived] ¶1"
    # ... but the citation shows the original, and names the variant and how it differs.
    top = retriever.search("What is Corica?", 4, "en").passages[0]
    assert (top.chunk_id, top.variant, top.location) == ("ocean [original] ¶1", "original", "¶1")
    assert "Korika" in top.text and "Corica" not in top.text
    assert top.group_id == "ocean [original] ¶1"
    assert top.multi == pytest.approx(hits[0].multi)  # signals of the chunk that matched
    (note,) = top.variants
    assert note["variant"] == "ja-derived" and note["location"] == "¶1"
    assert "Corica" in note["text"]
    assert note["only_in_original"] == ["Korika"]
    assert note["only_in_variant"] == ["Corica"]
    assert 0.5 <= note["similarity"] <= 1.0


def test_one_citation_per_group(build) -> None:
    retriever = build(VARIANT_CORPUS)
    assert len(retriever.chunks) == 6  # 3 original + 2 ja-derived + 1 river
    passages = retriever.search("Which agency protects port data?", 10, "en").passages
    # Six chunks, four groups: each aligned pair is one passage, shown as its original.
    assert [p.chunk_id for p in passages][:1] == ["ocean [original] ¶2"]
    assert sorted(p.chunk_id for p in passages) == [
        "ocean [original] ¶1",
        "ocean [original] ¶2",
        "ocean [original] ¶3",
        "river [original] ¶1",
    ]
    assert len({p.group_id for p in passages}) == len(passages)
    by_id = {p.chunk_id: p for p in passages}
    # The agency names differ; the acronym both keep is no difference.
    (note,) = by_id["ocean [original] ¶2"].variants
    assert "National Cyber Cryptography Service" in note["only_in_variant"]
    assert "BSSN" not in note["only_in_original"] + note["only_in_variant"]
    # A paragraph only the original has, and a document without variants, have no notes.
    assert by_id["ocean [original] ¶3"].variants == ()
    assert by_id["river [original] ¶1"].variants == ()


def test_a_corpus_without_manifest_is_one_original_per_file(build, tiny_corpus) -> None:
    retriever = build({})
    passages = retriever.search("nurses in rural clinics", 6, "en").passages
    assert {p.variant for p in passages} == {"original"}
    assert all(p.variants == () for p in passages)
    assert passages[0].doc_id == "beta" and passages[0].title == "beta"


# --- coverage re-rank -------------------------------------------------------------------------


def test_coverage_rerank_applies_to_english_only(build, monkeypatch: pytest.MonkeyPatch) -> None:
    retriever = build(OPPORTUNITIES)
    assert [c.text.split()[1] for c in retriever.chunks[:3]] == ["first", "fourth", "second"]
    # Fusion puts "first opportunity" ahead of "fourth opportunity" on every signal.
    fix_signals(
        monkeypatch,
        retriever,
        dense=[0.9, 0.8, 0.7, 0.1],
        multi=[0.9, 0.8, 0.7, 0.1],
        lexical=[3.0, 2.0, 1.0, 0.0],
    )
    question = "What is the fourth opportunity?"
    # English: the passage whose sentence holds the rare, decisive word "fourth" moves up.
    english = retriever.search(question, 1, "en").passages
    assert english[0].text.startswith("The fourth opportunity")
    # Other languages: the question's words are not the passages' words, so no re-rank.
    other = retriever.search(question, 2, "id").passages
    assert [p.text.split()[1] for p in other] == ["first", "fourth"]
    assert other[0].score == pytest.approx(1.0)
    assert other[1].score == pytest.approx(
        sum(WEIGHTS["other"]) / (RRF_K + 2) / (sum(WEIGHTS["other"]) / (RRF_K + 1))
    )
