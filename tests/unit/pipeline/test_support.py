"""The calibrated answer/abstain model: its features, its file and when it applies."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.retrieve import Retrieval
from chatbot.pipeline.support import (
    FEATURES,
    FITTED,
    SupportFeatures,
    SupportModel,
    support_features,
)
from chatbot.pipeline.understand import Query

CORPUS = [
    "The solar farm project started in 2019 with a regional bank loan.",
    "The wind park opened in 2021 on the northern coast.",
    "Fisheries policy sets quotas for each season.",
]


def _retrieval(*texts: str, multi: float = 0.9, dense: float = 0.6) -> Retrieval:
    passages = [SimpleNamespace(text=t) for t in texts]
    return Retrieval(passages, dense, multi, 1.0)  # type: ignore[arg-type]


def test_coverage_reads_the_best_of_the_top_passages_only() -> None:
    idf = IdfTable(CORPUS)
    query = Query("When did the solar farm project start?", "en")
    in_first = support_features(query, _retrieval(CORPUS[0], CORPUS[1]), idf, passages=1)
    in_second = support_features(query, _retrieval(CORPUS[1], CORPUS[0]), idf, passages=1)
    assert in_first.coverage > 0.9
    assert in_second.coverage < 0.5
    assert support_features(query, _retrieval(CORPUS[1], CORPUS[0]), idf, 2).coverage > 0.9


def test_a_question_in_words_the_corpus_never_uses_has_no_known_share() -> None:
    idf = IdfTable(CORPUS)
    english = support_features(Query("solar farm loan", "en"), _retrieval(CORPUS[0]), idf, 3)
    other = support_features(Query("kapan proyek dimulai", "id"), _retrieval(CORPUS[0]), idf, 3)
    assert english.known == 1.0
    assert other.known == 0.0
    # The English translation, when there is one, is what is read.
    translated = Query("kapan proyek dimulai", "id", english="When did the solar farm start?")
    assert support_features(translated, _retrieval(CORPUS[0]), idf, 3).known > 0.5


def _model(**overrides: float) -> SupportModel:
    weights = {"top_multi": 20.0, "top_dense": 0.0, "coverage": 4.0, "known": 0.0} | overrides
    return SupportModel(tuple(weights[f] for f in FEATURES), -19.0, 0.3, 0.6, "d", "m")


def test_probability_rises_with_the_evidence() -> None:
    model = _model()
    weak = model.probability(SupportFeatures(0.75, 0.3, 0.2, 1.0))
    strong = model.probability(SupportFeatures(0.9, 0.6, 0.9, 1.0))
    assert 0.0 < weak < model.answer_threshold < strong < 1.0


def test_the_model_applies_only_to_the_embedders_it_was_fitted_with() -> None:
    model = _model()
    assert model.applies_to("d", "m")
    assert not model.applies_to("hashing", "hashing")


def test_the_shipped_file_loads_and_names_every_feature(tmp_path: Path) -> None:
    model = SupportModel.load(FITTED)
    assert len(model.weights) == len(FEATURES)
    assert 0.0 < model.answer_threshold <= model.decline_threshold < 1.0
    broken = tmp_path / "m.toml"
    broken.write_text(FITTED.read_text().replace("known =", "unknown ="))
    with pytest.raises(KeyError):
        SupportModel.load(broken)
