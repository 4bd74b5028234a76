"""Step 2, retrieve: weighted RRF over three signals and one or more wordings, variant collapse,
the English-only coverage re-rank, and the chunks next to a passage.

The fusion tests replace the three raw signals with fixed scores, so the expected order follows
from the RRF arithmetic alone; the other tests run the hashing embedder on tiny corpora, one
with a manifest and two variants, like the seed corpus (Korika vs Corica).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chatbot.pipeline.retrieve import RRF_K, Candidates, Retriever, rrf
from chatbot.pipeline.understand import Query, understand
from core.settings import AnswerSettings
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
EN = AnswerSettings().english_weights
OTHER = AnswerSettings().other_weights

Signals = tuple[list[float], list[float], list[float]]  # MiniLM, e5, BM25: one score per row


@pytest.fixture
def build(settings_factory, write_corpus, tmp_path: Path) -> Callable[..., Retriever]:
    """``build(files, **answer_settings)`` -> a Retriever over a fresh hashing index, one chunk
    per paragraph."""

    def make(files: dict[str, str], **answer: Any) -> Retriever:
        settings = settings_factory(min_chunk_chars=0, answer=AnswerSettings(**answer))
        write_corpus(tmp_path / "corpus", files)
        assert run_build(settings, progress=False).build_id is not None
        return Retriever.from_settings(settings)

    return make


def fix_signals(
    monkeypatch: pytest.MonkeyPatch, retriever: Retriever, signals: Callable[[str], Signals]
) -> None:
    """Make the three raw signals of a query text return ``signals(text)``: every row is a
    candidate of every signal, scored as given; the cross-language sentence signal is off."""

    def every_row(scores: list[float]) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(len(scores)), np.asarray(scores, dtype=np.float32)

    def signal(faiss_index: Any, embedder: Any, text: str) -> Candidates:
        dense, multi, _ = signals(text)
        return Candidates(*every_row(dense if faiss_index is retriever.index.dense else multi))

    def lexical(index: Any, text: str) -> tuple[np.ndarray, np.ndarray]:
        return every_row(signals(text)[2])

    monkeypatch.setattr(retriever, "_signal", signal)
    monkeypatch.setattr("chatbot.pipeline.retrieve.bm25_matches", lexical)
    monkeypatch.setattr(retriever, "_sentences", None)  # the three signals only


def same(dense: list[float], multi: list[float], lexical: list[float]) -> Callable[[str], Signals]:
    """The same signals whatever the wording."""
    return lambda text: (dense, multi, lexical)


def credit(weight: float, rank: int) -> float:
    return weight / (RRF_K + rank)


# --- weighted reciprocal rank fusion ----------------------------------------------------------


def test_rrf_credits_the_best_candidates_by_rank_and_no_others() -> None:
    scores = rrf(np.arange(4), np.array([0.2, 0.9, 0.5, 0.1]), 2.0, candidates=3, floor=-1.0)
    assert scores == pytest.approx({0: credit(2.0, 3), 1: credit(2.0, 1), 2: credit(2.0, 2)})
    ties = rrf(np.array([7, 3]), np.array([0.5, 0.5]), weight=1.0, candidates=2, floor=-1.0)
    assert ties[3] > ties[7]  # a tie keeps the row order


def test_agreement_of_several_signals_beats_one_signal_alone(
    tiny_corpus, build, monkeypatch
) -> None:
    retriever = build({})
    assert len(retriever.chunks) == 6
    # Row 0 is BM25's top hit but last for both embeddings; row 1 is second everywhere.
    fix_signals(
        monkeypatch,
        retriever,
        same(
            dense=[0.0, 0.8, 0.9, 0.7, 0.6, 0.5],
            multi=[0.0, 0.8, 0.9, 0.7, 0.6, 0.5],
            lexical=[9.0, 5.0, 4.0, 3.0, 2.0, 1.0],
        ),
    )
    hits, top_dense, top_multi, top_lexical = retriever.hits(["anything"], True)
    fused = {h.row: h.fused for h in hits}
    assert fused[1] == pytest.approx(credit(sum(EN), 2))
    assert fused[0] == pytest.approx(credit(EN[0] + EN[1], 6) + credit(EN[2], 1))
    assert fused[1] > fused[0]
    assert hits[0].row == 2  # top for both embeddings, third for BM25
    # Each hit keeps its raw signals, and the best raw ones are reported for the support check.
    assert (hits[0].dense, hits[0].multi, hits[0].lexical) == pytest.approx((0.9, 0.9, 4.0))
    assert (top_dense, top_multi, top_lexical) == pytest.approx((0.9, 0.9, 9.0))


def test_weights_come_from_settings(tiny_corpus, build, monkeypatch) -> None:
    # Row 0 is BM25's top hit, row 1 the embeddings'; the weights decide which leads.
    signals = same(
        dense=[0.1, 0.9, 0.2, 0.2, 0.2, 0.2],
        multi=[0.1, 0.9, 0.2, 0.2, 0.2, 0.2],
        lexical=[9.0, 0.1, 0.1, 0.1, 0.1, 0.1],
    )
    lexical_led = build({}, english_weights=(0.1, 0.1, 5.0))
    fix_signals(monkeypatch, lexical_led, signals)
    assert lexical_led.hits(["q"], True)[0][0].row == 0
    dense_led = build({}, english_weights=(1.0, 1.0, 0.1))
    fix_signals(monkeypatch, dense_led, signals)
    assert dense_led.hits(["q"], True)[0][0].row == 1


def test_other_languages_give_minilm_no_weight(tiny_corpus, build, monkeypatch) -> None:
    retriever = build({})
    assert OTHER[0] == 0.0 and OTHER[1] > OTHER[2] > 0
    multi = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    lexical = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    fused = {}
    for name, dense in (("up", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), ("down", multi)):
        fix_signals(monkeypatch, retriever, same(dense, multi, lexical))
        fused[name, "id"] = {h.row: h.fused for h in retriever.hits(["apa"], False)[0]}
        fused[name, "en"] = {h.row: h.fused for h in retriever.hits(["what"], True)[0]}
    # MiniLM's ranking changes nothing for Indonesian, and does for English.
    assert fused["up", "id"] == pytest.approx(fused["down", "id"])
    assert fused["up", "en"] != pytest.approx(fused["down", "en"])
    assert fused["down", "id"][0] == pytest.approx(credit(OTHER[1], 1) + credit(OTHER[2], 6))


def test_minilms_vote_on_a_chunk_not_in_english_goes_to_e5(tiny_corpus, build, monkeypatch) -> None:
    """An English question, an Indonesian chunk: MiniLM cannot read it, so e5's credit counts
    with MiniLM's weight added and MiniLM's own ranking of it counts for nothing."""
    retriever = build({})
    retriever._english[0] = False  # row 0 is in Indonesian, the others in English
    multi = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    lexical = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    fused = {}
    for name, dense in (("up", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), ("down", multi)):
        fix_signals(monkeypatch, retriever, same(dense, multi, lexical))
        fused[name] = {h.row: h.fused for h in retriever.hits(["what"], True)[0]}
    assert fused["up"][0] == pytest.approx(fused["down"][0])
    assert fused["up"][0] == pytest.approx(credit(EN[0] + EN[1], 1) + credit(EN[2], 6))
    assert fused["up"][1] != pytest.approx(fused["down"][1])  # English rows: as before


def test_bm25_weighs_fully_on_a_chunk_in_the_language_of_an_untranslated_question(
    tiny_corpus, build, monkeypatch
) -> None:
    """An Indonesian question without an English translation: BM25 reads all its words in an
    Indonesian chunk (weight as for English), only shared names and numbers in an English one
    (``other_weights``)."""
    retriever = build({})
    retriever._lang[0] = "id"
    retriever._english[0] = False
    lexical = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    flat = [0.5] * 6
    fix_signals(monkeypatch, retriever, same(flat, flat, lexical))
    fused = {h.row: h.fused for h in retriever.hits(["apa"], False, ["id"])[0]}
    e5 = {row: fused[row] - credit(OTHER[2], row + 1) for row in range(1, 6)}
    assert fused[0] == pytest.approx(credit(OTHER[1], 1) + credit(EN[2], 1))
    assert EN[2] > OTHER[2] and all(
        v == pytest.approx(credit(OTHER[1], r + 1)) for r, v in e5.items()
    )
    # Asked in another language (Japanese), the Indonesian chunk is no closer than the others.
    other = {h.row: h.fused for h in retriever.hits(["apa"], False, ["ja"])[0]}
    assert other[0] == pytest.approx(credit(OTHER[1], 1) + credit(OTHER[2], 1))
    # A passage's score is its share of the best its language's weights allow: the Indonesian
    # chunk first in both signals scores 1, the English chunk second in both less (not 1).
    retriever._languages = set(retriever._lang)
    passages = retriever.search(Query("apa", "id"), 6).passages
    best = credit(OTHER[1], 1) + credit(EN[2], 1)
    assert passages[0].score == pytest.approx(1.0)
    assert passages[1].score == pytest.approx((credit(OTHER[1], 2) + credit(OTHER[2], 2)) / best)


def test_a_chunk_in_the_documents_language_is_ranked_by_that_wording_alone(
    tiny_corpus, build, monkeypatch
) -> None:
    """An English question and its Indonesian wording (Query.in_documents_language): an
    Indonesian chunk is ranked by the Indonesian wording only, with the same-language weights,
    and that counts as much as the other wordings together; English chunks by the others."""
    retriever = build({})
    retriever._lang[0], retriever._english[0] = "id", False
    asked, wording = "what share", "berapa persen"
    english_order = [0.1, 0.9, 0.8, 0.7, 0.6, 0.5]  # the English wording ranks row 0 last
    own_order = [0.9, 0.8, 0.1, 0.2, 0.3, 0.4]  # the Indonesian wording ranks it first
    fix_signals(
        monkeypatch,
        retriever,
        lambda text: (english_order,) * 3 if text == asked else (own_order,) * 3,
    )
    fused = {h.row: h.fused for h in retriever.hits([asked, wording], True, ["en", "id"], "id")[0]}
    assert fused[0] == pytest.approx(credit(EN[0] + EN[1], 1) + credit(EN[2], 1))
    assert fused[1] == pytest.approx(credit(sum(EN), 1))  # the English wording alone
    # Without the documents' language both wordings rank every chunk: row 0 falls behind.
    both = {h.row: h.fused for h in retriever.hits([asked, wording], True, ["en", "id"])[0]}
    assert both[0] < both[1]


def test_the_sentence_signal_ranks_passages_in_another_language_than_the_wording(
    tiny_corpus, build, monkeypatch
) -> None:
    """An English wording: the Indonesian passages are ranked by their best sentence, and
    the first of them gets the first rank's credit however many English ones score higher."""
    retriever = build({})
    signal = retriever._sentences
    assert signal is not None
    flat = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    fix_signals(monkeypatch, retriever, same(flat, flat, flat))  # the sentence signal off
    before = {h.row: h.fused for h in retriever.hits(["What does the team publish?"], True)[0]}
    assert not signal.reads_other_than("en")  # one language: nothing to score
    retriever._lang[2] = retriever._lang[4] = "id"
    monkeypatch.setattr(retriever, "_sentences", replace(signal, langs=np.array(retriever._lang)))
    after = {h.row: h.fused for h in retriever.hits(["What does the team publish?"], True)[0]}
    weight = AnswerSettings().sentence_multi_weight
    credited = {r for r in after if after[r] != pytest.approx(before[r])}
    assert credited == {2, 4}
    assert sorted(after[r] - before[r] for r in credited) == pytest.approx(
        [credit(weight, 2), credit(weight, 1)]
    )
    # The wording's language is the caller's when given: read as Indonesian, the English
    # passages are the other language.
    as_indonesian = retriever.hits(["What does the team publish?"], True, ["id"])[0]
    assert {h.row for h in as_indonesian if h.fused != pytest.approx(before[h.row])} == {0, 1, 3, 5}


def test_sentence_signal_ranks_passages_by_their_best_sentence() -> None:
    from chatbot.pipeline.sentence_signal import SentenceSignal
    from core.chunks import Chunk
    from core.sentences import SentenceTable

    def chunk(text: str) -> Chunk:
        return Chunk(text, "d", "original", "en", "T", "d.txt", "¶1", None, 1, 1, None, text)

    chunks = [chunk("long"), chunk("short"), chunk("empty"), chunk("long")]  # rows 0 and 3 alike
    table = SentenceTable(
        shas=[c.text_sha for c in chunks[:3]],
        sentences=[["a", "b", "c"], ["d"], []],
        vectors={"multilingual": np.array([[0, 1], [1, 0], [0.6, 0.8], [0.8, 0.6]], np.float32)},
    )
    langs = ["zh", "zh", "zh", "id"]
    signal = SentenceSignal.build(table, "multilingual", chunks, langs)
    assert signal is not None and SentenceSignal.build(table, "dense", chunks, langs) is None
    query = np.array([[1.0, 0.0]], np.float32)
    rows, scores = signal.best(query, limit=3, skip_lang="en")
    # Rows 0 and 3 hold sentence "b" (cosine 1), row 1 only "d" (0.8); row 2 has no sentence.
    assert rows.tolist() == [0, 3, 1] and scores.tolist() == pytest.approx([1.0, 1.0, 0.8])
    assert signal.best(query, limit=1, skip_lang="en")[0].tolist() == [0]
    assert signal.best(query, limit=3, skip_lang="zh")[0].tolist() == [3]  # in another language
    assert signal.reads_other_than("en") and not SentenceSignal.build(
        table, "multilingual", chunks, ["en"] * 4
    ).reads_other_than("en")  # type: ignore[union-attr]


def test_several_wordings_are_fused_and_keep_their_best_raw_signals(
    tiny_corpus, build, monkeypatch
) -> None:
    retriever = build({})
    # The question alone finds row 0; with the question it follows, row 1.
    alone: Signals = ([0.9, 0.5, 0, 0, 0, 0], [0.9, 0.5, 0, 0, 0, 0], [3.0, 1.0, 0, 0, 0, 0])
    joined: Signals = ([0.4, 0.8, 0, 0, 0, 0], [0.3, 0.8, 0, 0, 0, 0], [1.0, 4.0, 0, 0, 0, 0])
    fix_signals(monkeypatch, retriever, lambda text: joined if "alpha" in text else alone)
    one = {h.row: h.fused for h in retriever.hits(["Who funds it?"], True)[0]}
    other = {h.row: h.fused for h in retriever.hits(["Who funds it? What is alpha?"], True)[0]}
    hits, top_dense, _, top_lexical = retriever.hits(
        ["Who funds it?", "Who funds it? What is alpha?"], True
    )
    assert {h.row: h.fused for h in hits} == pytest.approx({r: one[r] + other[r] for r in one})
    by_row = {h.row: h for h in hits}
    assert (by_row[1].dense, by_row[1].lexical) == pytest.approx((0.8, 4.0))  # from the joined
    assert (by_row[0].dense, by_row[0].lexical) == pytest.approx((0.9, 3.0))  # from the alone
    assert (top_dense, top_lexical) == pytest.approx((0.9, 4.0))


def test_a_follow_up_is_searched_in_both_wordings(tiny_corpus, build, monkeypatch) -> None:
    retriever = build({}, lexical_weight=0.0)
    seen: list[str] = []

    def signals(text: str) -> Signals:
        seen.append(text)
        top = [0.9, 0.1, 0.1, 0.1, 0.1, 0.1]
        return top, top, [5.0, 1.0, 1.0, 1.0, 1.0, 1.0]

    fix_signals(monkeypatch, retriever, signals)
    query = Query("Siapa yang mendanainya?", "id", previous="Kapan proyek alpha dimulai?")
    retrieval = retriever.search(query, 2)
    assert set(seen) == {"Siapa yang mendanainya?", query.retrieval_text}
    # Top of every signal in every wording is the best possible score.
    assert retrieval.passages[0].score == pytest.approx(1.0)
    assert retrieval.passages[1].score < 1.0


def test_a_signal_without_any_match_adds_nothing(tiny_corpus, build, monkeypatch) -> None:
    retriever = build({})
    fix_signals(
        monkeypatch,
        retriever,
        same(
            dense=[0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
            multi=[0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
            lexical=[0.0] * 6,  # no question word is in the BM25 vocabulary
        ),
    )
    hits, *_ = retriever.hits(["zzz"], False)
    assert hits[0].fused == pytest.approx(credit(OTHER[1], 1))
    # The best possible score counts every signal, so a passage BM25 does not see is < 1.
    assert retriever.search(Query("zzz", "id"), 1).passages[0].score < 1.0


def test_chunks_bm25_does_not_match_get_no_lexical_credit(tiny_corpus, build, monkeypatch) -> None:
    retriever = build({})
    # Only row 5 contains a question word; by both embeddings the order is 5, 4, 0, 3, 2, 1.
    fix_signals(
        monkeypatch,
        retriever,
        same(
            dense=[0.6, 0.1, 0.2, 0.3, 0.7, 0.9],
            multi=[0.6, 0.1, 0.2, 0.3, 0.7, 0.9],
            lexical=[0.0, 0.0, 0.0, 0.0, 0.0, 5.0],
        ),
    )
    hits, *_ = retriever.hits(["BSSN"], True)
    assert [h.row for h in hits[:3]] == [5, 4, 0]  # actual: [5, 0, 4]
    assert {h.row: h.fused for h in hits}[0] == pytest.approx(credit(EN[0] + EN[1], 3))


def test_the_best_passage_of_an_english_question_scores_one(
    tiny_corpus, build, monkeypatch
) -> None:
    retriever = build({}, lexical_weight=0.0)
    top = [0.9, 0.5, 0.4, 0.3, 0.2, 0.1]
    fix_signals(monkeypatch, retriever, same(top, top, [5.0, 4.0, 3.0, 2.0, 1.0, 0.5]))
    english = retriever.search(Query("When did the project start?", "en"), 2).passages
    assert english[0].score == pytest.approx(1.0)
    assert english[1].score == pytest.approx(61 / 62)


def test_the_best_passage_of_a_translated_question_scores_one(
    tiny_corpus, build, monkeypatch
) -> None:
    retriever = build({}, lexical_weight=0.0)
    top = [0.9, 0.5, 0.4, 0.3, 0.2, 0.1]
    fix_signals(monkeypatch, retriever, same(top, top, [5.0, 4.0, 3.0, 2.0, 1.0, 0.5]))
    query = Query("Kapan proyek dimulai?", "id", english="When did the project start?")
    assert retriever.search(query, 1).passages[0].score == pytest.approx(1.0)  # actual: 0.52


def test_search_reports_the_best_raw_signals(tiny_corpus, build) -> None:
    retriever = build({})
    retrieval = retriever.search(Query("When did the alpha project start?", "en"), 3)
    assert retrieval.passages[0].chunk_id == "alpha [original] ¶1"
    assert retrieval.top_lexical > 0
    assert retrieval.top_dense == pytest.approx(max(p.dense for p in retrieval.passages))
    assert 0.0 < retrieval.passages[0].score <= 1.0
    assert len(retrieval.passages) == 3


# --- variant collapse -------------------------------------------------------------------------


def test_a_variant_hit_collapses_into_the_original_with_the_differences(build) -> None:
    retriever = build(VARIANT_CORPUS)
    # The question uses the ja-derived spelling, so the ja-derived chunk is the best raw hit ...
    hits, *_ = retriever.hits(["What is Corica?"], True)
    assert retriever.chunks[hits[0].row].chunk_id == "ocean [ja-derived] ¶1"
    # ... but the citation shows the original, and names the variant and how it differs.
    top = retriever.search(Query("What is Corica?", "en"), 4).passages[0]
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
    passages = retriever.search(Query("Which agency protects port data?", "en"), 10).passages
    # Six chunks, four groups: each aligned pair is one passage, shown as its original.
    assert passages[0].chunk_id == "ocean [original] ¶2"
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


def test_a_corpus_without_manifest_is_one_original_per_file(tiny_corpus, build) -> None:
    retriever = build({})
    passages = retriever.search(Query("nurses in rural clinics", "en"), 6).passages
    assert {p.variant for p in passages} == {"original"}
    assert all(p.variants == () for p in passages)
    assert {p.doc_id for p in passages} == {"alpha", "beta", "gamma"}
    assert passages[0].doc_id == "beta"
    # Titled by a Markdown file's opening heading, else by the file name.
    assert {p.doc_id: p.title for p in passages} == {
        "alpha": "alpha",
        "beta": "Beta Notes",
        "gamma": "gamma",
    }


# --- neighbours -------------------------------------------------------------------------------


def test_neighbours_stay_within_one_file_and_variant(build) -> None:
    retriever = build(VARIANT_CORPUS)
    passages = {
        p.chunk_id: p
        for p in retriever.search(Query("ocean strategy port data", "en"), 10).passages
    }

    def around(chunk_id: str) -> list[str]:
        return [nb.chunk_id for nb in retriever.neighbours(passages[chunk_id])]

    # Rows: ja-derived ¶1, ¶2, original ¶1, ¶2, ¶3, river ¶1. The row before original ¶1 is
    # the ja-derived variant, the row after original ¶3 another file: neither is a neighbour.
    assert around("ocean [original] ¶1") == ["ocean [original] ¶2"]
    assert around("ocean [original] ¶2") == ["ocean [original] ¶1", "ocean [original] ¶3"]
    assert around("ocean [original] ¶3") == ["ocean [original] ¶2"]
    assert around("river [original] ¶1") == []
    middle = passages["ocean [original] ¶2"]
    before, after = retriever.neighbours(middle)
    assert before.score == after.score == pytest.approx(middle.score / 2)
    assert [v["variant"] for v in before.variants] == ["ja-derived"]  # still collapsed
    assert before.group_id == "ocean [original] ¶1"


def test_a_passage_the_index_does_not_hold_has_no_neighbours(tiny_corpus, build) -> None:
    retriever = build({})
    passage = retriever.search(Query("solar farms", "en"), 1).passages[0]
    assert retriever.neighbours(replace(passage, chunk_id="nowhere [original] ¶9")) == []
    assert [nb.chunk_id for nb in retriever.neighbours(passage)] == ["alpha [original] ¶2"]


# --- coverage re-rank -------------------------------------------------------------------------


def test_coverage_rerank_applies_to_english_and_translated_questions_only(
    build, monkeypatch
) -> None:
    retriever = build(OPPORTUNITIES)
    assert [c.text.split()[1] for c in retriever.chunks[:3]] == ["first", "fourth", "second"]
    # Fusion puts "first opportunity" ahead of "fourth opportunity" on every signal.
    fix_signals(
        monkeypatch,
        retriever,
        same([0.9, 0.8, 0.7, 0.1], [0.9, 0.8, 0.7, 0.1], [3.0, 2.0, 1.0, 0.0]),
    )
    question = "What is the fourth opportunity?"
    # English: the passage whose sentence holds the rare, decisive word "fourth" moves up.
    english = retriever.search(Query(question, "en"), 1).passages
    assert english[0].text.startswith("The fourth opportunity")
    translated = retriever.search(Query("Apa peluang keempat?", "id", english=question), 1)
    assert translated.passages[0].text.startswith("The fourth opportunity")
    # Other languages: the question's words are not the passages' words, so no re-rank.
    other = retriever.search(Query(question, "id"), 2).passages
    assert [p.text.split()[1] for p in other] == ["first", "fourth"]
    assert other[0].score == pytest.approx(1.0)
    assert other[1].score == pytest.approx((RRF_K + 1) / (RRF_K + 2))


# --- best-sentence signal ---------------------------------------------------------------------

BUDGETS = {
    "budgets.txt": (
        "Solar farms are built in the northern provinces by a regional company.\n\n"
        "Fish counts rise every spring in the river. The river team has a budget of 4.2 million "
        "a year.\n"
    )
}


def test_the_passage_with_the_matching_sentence_rises_by_sentence_weight(
    build, monkeypatch
) -> None:
    question = Query("What budget does the river team have a year?", "en")
    # MiniLM and e5 disagree and BM25 finds nothing, so the passage signals tie (row order).
    signals = same([0.9, 0.8], [0.8, 0.9], [0.0, 0.0])
    plain = build(BUDGETS, lexical_weight=0.0, sentence_weight=0.0)
    fix_signals(monkeypatch, plain, signals)
    assert plain.search(question, 2).passages[0].text.startswith("Solar farms")
    weighted = build(BUDGETS, lexical_weight=0.0, sentence_weight=1.0)
    fix_signals(monkeypatch, weighted, signals)
    passages = weighted.search(question, 2).passages
    assert passages[0].text.startswith("Fish counts")
    assert 0.0 < passages[1].score < passages[0].score <= 1.0
    # Other languages: MiniLM's sentences mean nothing to the question, so no sentence signal.
    other = Query(question.text, "id")
    assert weighted.search(other, 2).passages == plain.search(other, 2).passages


def test_a_longer_search_keeps_the_order_of_a_shorter_one(tiny_corpus, build) -> None:
    retriever = build({}, sentence_weight=1.0, rerank_pool=2)
    query = Query("Who funds the alpha project and when did it start?", "en")
    short = [p.chunk_id for p in retriever.search(query, 2).passages]
    assert [p.chunk_id for p in retriever.search(query, 6).passages][:2] == short


@pytest.mark.parametrize(
    ("code", "base"),
    [("en-GB", "en"), ("en_US", "en"), (None, "en"), ("", "en"), ("zh_CN", "zh"), ("ID", "id")],
)
def test_language_codes_are_read_by_their_base(code: str | None, base: str) -> None:
    from chatbot.pipeline.retrieve import base_language, is_english

    assert base_language(code) == base
    assert is_english(code) is (base == "en")


def test_a_passage_defining_the_term_asked_about_goes_first(build) -> None:
    # The passage using "port data" twice outranks the definitions list by every signal; a
    # question asking what the term means gets the definition first.
    retriever = build(
        {
            "use.txt": "Port data\n\nPort data from every port data system feeds the port data "
            "dashboard of the port data office.\n",
            "terms.txt": "Terms\n\n‒ Port data: records of ships, cargo and crews kept by a "
            "harbour master.\n",
            "river.txt": RIVER,
        }
    )
    query = understand('What does the plan mean by "port data"?', [], AnswerSettings(), 500)
    assert query.defines == ("port data",)
    assert retriever.search(query).passages[0].doc_id == "terms"
    plain = understand('Where does "port data" come from?', [], AnswerSettings(), 500)
    assert plain.defines == ()
    assert retriever.search(plain).passages[0].doc_id == "use"
