"""Unanswered questions grouped by topic, each group named by its most telling words.

Questions are embedded with the multilingual e5 model the index already uses (core.embed), so an
Indonesian, Japanese or Chinese question lands beside its English paraphrase; scikit-learn's
agglomerative clustering (average linkage on cosine distance, cut at ``ops.group_distance``)
makes the groups without being told how many there are. A group's label is its top words by
class-based TF-IDF (c-TF-IDF, as BERTopic names topics): a word's share of the group's words,
times how rare it is across all groups, so words every group uses ("what", "yang", "の") sink.
Han and kana carry no spaces, so Han runs count as character bigrams, katakana runs as words,
and hiragana runs (particles, endings) not at all; other scripts are split into words and
English stopwords are dropped.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from core.embed import embed_query
from core.text import stopwords, words

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_KATAKANA = re.compile(r"[\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]+")
_HIRAGANA = re.compile(r"[\u3040-\u309f]+")
_CJK = re.compile(
    r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"
)
MAX_SHOWN = 100  # distinct questions listed per group (count still says how many were asked)


@dataclass(frozen=True)
class QuestionGroup:
    label: str
    count: int  # questions asked, repeats included
    questions: list[str]  # distinct questions, the most typical first

    def to_json(self) -> dict[str, object]:
        return {"label": self.label, "count": self.count, "questions": self.questions}


def label_terms(text: str) -> list[str]:
    """The words of a question that may name its group (see the module docstring)."""
    terms: list[str] = []
    for run in _HAN.findall(text):
        terms.extend([run] if len(run) <= 2 else [run[i : i + 2] for i in range(len(run) - 1)])
    terms.extend(_KATAKANA.findall(text))
    rest = _HIRAGANA.sub(" ", _KATAKANA.sub(" ", _HAN.sub(" ", text)))
    stop = stopwords()
    terms.extend(w for w in words(rest) if w not in stop and not _CJK.search(w) and len(w) > 1)
    return terms


def ctfidf_labels(groups: Sequence[Sequence[str]], top: int) -> list[list[str]]:
    """The ``top`` most telling terms of each group of texts (c-TF-IDF)."""
    counts = [Counter(t for text in g for t in label_terms(text)) for g in groups]
    total = Counter[str]()
    for c in counts:
        total.update(c)
    average = sum(total.values()) / max(len(groups), 1)
    labels = []
    for c in counts:
        size = sum(c.values()) or 1
        scored = {t: (n / size) * math.log(1 + average / total[t]) for t, n in c.items()}
        # ties: the longer term first (a whole katakana word over a bigram), then alphabetical
        labels.append(sorted(scored, key=lambda t: (-round(scored[t], 9), -len(t), t))[:top])
    return labels


class QuestionGrouper:
    """Groups questions; each distinct question is embedded once per process (kept in a
    bounded cache, so the operator's page recomputes groups in milliseconds)."""

    def __init__(self, embedder: Embeddings, distance: float, label_words: int, cache: int) -> None:
        self.embedder = embedder
        self.distance = distance
        self.label_words = label_words
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache
        self._lock = threading.Lock()

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        out = []
        for text in texts:
            with self._lock:
                vector = self._cache.get(text)
                if vector is not None:
                    self._cache.move_to_end(text)
            if vector is None:
                vector = embed_query(self.embedder, text)[0]
                with self._lock:
                    self._cache[text] = vector
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
            out.append(vector)
        return np.vstack(out).astype(np.float32)

    def group(self, questions: Sequence[str]) -> list[QuestionGroup]:
        """Groups of the questions, largest first."""
        asked = Counter(q.strip() for q in questions if q and q.strip())
        distinct = sorted(asked)
        if not distinct:
            return []
        vectors = self._vectors(distinct)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)
        members = cluster(vectors, self.distance)
        groups: list[list[int]] = [[] for _ in range(int(members.max()) + 1)]
        for i, g in enumerate(members):
            groups[int(g)].append(i)
        texts = [[distinct[i] for i in g] for g in groups]
        labels = ctfidf_labels(texts, self.label_words)
        out = []
        for g, label in zip(groups, labels, strict=True):
            centre = vectors[g].mean(axis=0)
            order = sorted(g, key=lambda i: (-float(vectors[i] @ centre), distinct[i]))
            shown = [distinct[i] for i in order]
            out.append(
                QuestionGroup(
                    label=" · ".join(label) if label else shown[0][:60],
                    count=sum(asked[q] for q in shown),
                    questions=shown[:MAX_SHOWN],
                )
            )
        return sorted(out, key=lambda grp: (-grp.count, grp.label))


def cluster(vectors: np.ndarray, distance: float) -> np.ndarray:
    """Group number of each (unit) vector: average linkage on cosine distance, cut at
    ``distance``."""
    if len(vectors) == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average"
    )
    return np.asarray(model.fit_predict(vectors), dtype=int)
