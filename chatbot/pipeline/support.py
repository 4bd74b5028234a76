"""How strong is the evidence? A calibrated probability that the documents answer the question.

The answerer uses it where one similarity threshold cannot decide: when the model says the
passages do not answer, they are quoted only above ``decline_threshold``. It reads features
that mean the same on any corpus: the best multilingual-e5 and MiniLM cosines with the question,
how much of the question's rare-term mass (squared IDF) the best passages hold, and how much of
the question the corpus knows at all (a question in another language shares no words with
English passages, so low term coverage means little there). A small logistic model maps them
to the probability that the documents answer the question. It was fitted by
``scripts/fit_support.py`` on the development questions of every corpus, validated leaving one
corpus out, and its numbers live in ``support_model.toml`` beside this file with how they were
fitted.

The model holds only for the embedders it was fitted with; with any other (a user's own model,
the tests' hashing embedder) the answerer falls back to ``answer.min_support`` on the e5 cosine.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.retrieve import Retrieval
from chatbot.pipeline.understand import Query
from core.text import tokens

FITTED = Path(__file__).with_name("support_model.toml")
FEATURES = ("top_multi", "top_dense", "coverage", "known")


@dataclass(frozen=True)
class SupportFeatures:
    top_multi: float  # best e5 cosine of any chunk with any wording of the question
    top_dense: float  # best MiniLM cosine (an English signal)
    coverage: float  # best share of the question's squared-IDF mass held by a top passage
    known: float  # share of the question's word stems that occur anywhere in the corpus

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in FEATURES]


def support_features(
    query: Query, retrieval: Retrieval, idf: IdfTable, passages: int
) -> SupportFeatures:
    """The features of one retrieval; ``passages``: how many top passages coverage looks at."""
    question = query.english or query.text
    top = retrieval.passages[:passages]
    coverage = max((idf.coverage(question, p.text) for p in top), default=0.0)
    stems = set(tokens(question))
    known = sum(idf.knows(t) for t in stems) / len(stems) if stems else 0.0
    return SupportFeatures(retrieval.top_multi, retrieval.top_dense, coverage, known)


@dataclass(frozen=True)
class SupportModel:
    """Logistic weights over :data:`FEATURES` and the two probability bars fitted with them."""

    weights: tuple[float, ...]
    bias: float
    answer_threshold: float  # below: abstain without trying to answer
    decline_threshold: float  # the model said the passages do not answer: quote only above
    dense_model: str
    multilingual_model: str

    @classmethod
    def load(cls, path: Path = FITTED) -> SupportModel:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        weights = data["weights"]
        return cls(
            weights=tuple(float(weights[name]) for name in FEATURES),
            bias=float(data["bias"]),
            answer_threshold=float(data["answer_threshold"]),
            decline_threshold=float(data["decline_threshold"]),
            dense_model=str(data["fitted_with"]["dense_model"]),
            multilingual_model=str(data["fitted_with"]["multilingual_model"]),
        )

    def applies_to(self, dense_model: str, multilingual_model: str) -> bool:
        return (dense_model, multilingual_model) == (self.dense_model, self.multilingual_model)

    def probability(self, features: SupportFeatures) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
