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

e5 embeds a few questions a second on 2 busy cores, so each question's vector is computed once:
kept in memory, and in the operator's database when one is given (so a restart or another
replica does not compute it again), and a request embeds new questions for at most a time
budget; the ones left wait for the next request.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from core.text import stopwords, words

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_KATAKANA = re.compile(r"[\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]+")
_HIRAGANA = re.compile(r"[\u3040-\u309f]+")
_CJK = re.compile(
    r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"
)
# A label's Han terms may be lengthened by the next terms in the ranking: a phrase of n
# characters is n - 1 bigrams, and 10 covers the long names of laws and agencies.
JOIN_LOOKAHEAD = 10
MAX_SHOWN = 100  # distinct questions listed per group (count still says how many were asked)


class VectorStore(Protocol):
    def vectors(self, keys: Sequence[str]) -> dict[str, bytes]: ...
    def add_vectors(self, vectors: Mapping[str, bytes]) -> None: ...


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
    for group, c in zip(groups, counts, strict=True):
        size = sum(c.values()) or 1
        scored = {t: (n / size) * math.log(1 + average / total[t]) for t, n in c.items()}
        # ties: the longer term first (a whole katakana word over a bigram), then alphabetical
        ranked = sorted(scored, key=lambda t: (-round(scored[t], 9), -len(t), t))
        labels.append(_joined_terms(ranked, group, top))
    return labels


def _joined_terms(ranked: Sequence[str], texts: Sequence[str], top: int) -> list[str]:
    """The first ``top`` terms, each Han bigram grown back into the run the group's texts repeat
    it in ('国内', '内生', '生产', ... -> '国内生产总值'), using the terms ranked just below, so a
    label reads as words; a term inside one already chosen is skipped."""
    pool = list(ranked[: top + JOIN_LOOKAHEAD])
    chosen: list[str] = []
    for term in ranked:
        if len(chosen) >= top:
            break
        if any(term in c for c in chosen):
            continue
        grown, changed = term, True
        while changed:
            changed = False
            for other in pool:
                joined = _overlap_join(grown, other, texts) or _overlap_join(other, grown, texts)
                if joined is not None and joined != grown:
                    grown, changed = joined, True
        if not any(grown in c for c in chosen):
            chosen = [c for c in chosen if c not in grown] + [grown]
    return chosen


def _overlap_join(left: str, right: str, texts: Sequence[str]) -> str | None:
    """``left`` and ``right`` as one Han run when they overlap so in at least half the group's
    texts (and two of them): a phrase the group repeats, not one question's whole sentence."""
    if not (_HAN.fullmatch(left) and _HAN.fullmatch(right)):
        return None
    if right in left:
        return left
    needed = max(2, math.ceil(len(texts) / 2))
    for k in range(min(len(left), len(right)) - 1, 0, -1):
        joined = left + right[k:]
        if left.endswith(right[:k]) and sum(joined in t for t in texts) >= needed:
            return joined
    return None


class QuestionGrouper:
    """Groups questions; each distinct question is embedded once (see the module docstring)."""

    def __init__(
        self,
        embedder: Embeddings,
        distance: float,
        label_words: int,
        cache: int,
        model_name: str = "",
        store: VectorStore | None = None,
    ) -> None:
        self.embedder = embedder
        self.distance = distance
        self.label_words = label_words
        self.model_name = model_name or type(embedder).__name__
        self.store = store
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache
        self._lock = threading.Lock()

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_name}\0{text}".encode()).hexdigest()

    def _remember(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._cache[text] = vector
            self._cache.move_to_end(text)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _vectors(self, texts: Sequence[str], budget_s: float | None) -> dict[str, np.ndarray]:
        """Vectors of the texts: remembered, kept in the store, or embedded now while the
        budget lasts (None: no limit)."""
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                if (vector := self._cache.get(text)) is not None:
                    out[text] = vector
        missing = [t for t in texts if t not in out]
        if missing and self.store is not None:
            keys = {self.key(t): t for t in missing}
            for key, raw in self.store.vectors(list(keys)).items():
                vector = np.frombuffer(raw, dtype="<f4").copy()
                out[keys[key]] = vector
                self._remember(keys[key], vector)
            missing = [t for t in missing if t not in out]
        deadline = None if budget_s is None else time.monotonic() + budget_s
        new: dict[str, bytes] = {}
        for text in missing:
            if deadline is not None and new and time.monotonic() > deadline:
                break  # at least one a request, so every question is grouped in the end
            vector = np.asarray(self.embedder.embed_query(text), dtype="<f4").ravel()
            out[text] = vector
            self._remember(text, vector)
            new[self.key(text)] = vector.tobytes()
        if new and self.store is not None:
            self.store.add_vectors(new)
        return out

    def group(self, questions: Sequence[str]) -> list[QuestionGroup]:
        """Groups of the questions, largest first (every question embedded, however long)."""
        return self.group_within(questions, None)[0]

    def group_within(
        self, questions: Sequence[str], budget_s: float | None
    ) -> tuple[list[QuestionGroup], int]:
        """Groups of the questions that have a vector after at most ``budget_s`` seconds of
        embedding, largest first, and how many distinct questions wait for theirs."""
        asked = Counter(q.strip() for q in questions if q and q.strip())
        known = self._vectors(sorted(asked), budget_s)
        distinct = sorted(known)
        waiting = len(asked) - len(distinct)
        if not distinct:
            return [], waiting
        vectors = np.vstack([known[q] for q in distinct]).astype(np.float32)
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
        return sorted(out, key=lambda grp: (-grp.count, grp.label)), waiting


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
