"""Sentence-level evidence inside retrieved passages.

Passages are whole paragraphs (what a reader is shown); the answer needs only the sentences that
carry it. Sentences are scored by meaning (embedding cosine with the question) and, for English
questions, by how much of the question's rare vocabulary they contain (IDF-weighted coverage).
The best ones become the extractive answer, or the compact context the LLM reads: on two CPU
cores every prompt token costs ~10 ms, so the model gets sentences, not paragraphs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from chatbot.types import Passage
from ingest.lexical import tokens

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
MIN_SENTENCE_CHARS = 25  # shorter pieces ("I aimed.", "is emphasized.") join their neighbour


def _is_heading(block: str) -> bool:
    return len(block) < 120 and "." not in block and not block.endswith(("!", "?", "。", "？"))


def sentences(text: str) -> list[str]:
    """Sentences of a passage, headings left out; a short fragment joins the sentence before it."""
    out: list[str] = []
    for block in text.split("\n\n"):
        block = " ".join(block.split())
        if _is_heading(block):  # shown with the passage, but it answers nothing by itself
            continue
        for piece in _SENTENCE_END.split(block):
            piece = piece.strip()
            if not piece:
                continue
            if out and len(piece) < MIN_SENTENCE_CHARS:
                out[-1] = f"{out[-1]} {piece}"
            else:
                out.append(piece)
    return out


def stem(token: str) -> str:
    """A light English suffix stripper: 'released'/'release', 'opportunities'/'opportunity'."""
    for suffix in ("ities", "ity", "ies", "ing", "ed", "es", "e", "s", "y"):
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


# Words that frame a question rather than name what it is about; they never count as coverage.
FRAMING_WORDS = frozenset(
    """about according among article behind between describe document documents example
    examples explain give list main mention mentioned role say says tell text""".split()
)


def stems(text: str) -> set[str]:
    return {stem(t) for t in tokens(text) if t not in FRAMING_WORDS}


class IdfTable:
    """Inverse document frequencies over the indexed chunks, for coverage scoring."""

    def __init__(self, texts: Iterable[str]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            df.update(stems(text))
            n += 1
        self.n = max(n, 1)
        self._idf = {t: math.log(1 + (self.n - k + 0.5) / (k + 0.5)) for t, k in df.items()}
        self.unseen_idf = math.log(1 + (self.n + 0.5) / 0.5)

    def idf(self, token: str) -> float:
        return self._idf.get(token, self.unseen_idf)

    def knows(self, token: str) -> bool:
        return stem(token) in self._idf

    def coverage(self, question: str, text: str) -> float:
        """Share of the question's squared-IDF mass whose words occur in the text (0..1).

        Words the corpus never uses are left out (no sentence can hold them), and squaring the
        IDF lets the one rare, decisive word ("fourth", "BSSN") outweigh several common ones.
        """
        wanted = {t for t in stems(question) if t in self._idf}
        if not wanted:
            return 0.0
        present = stems(text)
        total = sum(self._idf[t] ** 2 for t in wanted)
        return sum(self._idf[t] ** 2 for t in wanted & present) / total


# What kind of answer a question wants, and what a sentence holding one looks like.
_ANSWER_TYPES = (
    (
        re.compile(
            r"^\s*(when|what year|in which year|kapan|tahun berapa)\b|いつ|何年|什么时候|哪一年",
            re.IGNORECASE,
        ),
        re.compile(r"\b(1[89]|20)\d{2}\b|年"),
    ),
    (
        re.compile(
            r"\b(how (much|many|large|big)|what (is|was) the (number|population|value|size)|"
            r"berapa)\b|いくら|どのくらい|何人|多少|几",
            re.IGNORECASE,
        ),
        re.compile(r"\d"),
    ),
    (
        re.compile(
            r"\bwhich (body|agency|organi[sz]ation|institution|ministry|company|group)\b|"
            r"\blembaga\b|\bbadan\b|機関|组织|机构",
            re.IGNORECASE,
        ),
        re.compile(r"[A-Z][a-z]+(?: (?:and |of |in |for )?[A-Z][a-z]+)+ \(\w+\)"),
    ),
    (
        re.compile(r"^\s*(who|whom|siapa)\b|誰|谁", re.IGNORECASE),
        re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+ [A-Z][a-z]+"),
    ),
)
ANSWER_TYPE_BONUS = 0.3


def answer_type_match(question: str, sentence: str) -> bool | None:
    """Does the sentence hold the kind of thing the question asks for (None: no clear kind)?"""
    for asks, holds in _ANSWER_TYPES:
        if asks.search(question):
            return bool(holds.search(sentence))
    return None


@dataclass(frozen=True)
class Evidence:
    passage_index: int  # position in the retrieved passage list (0-based)
    sentence_index: int  # position within the passage, to keep reading order
    text: str
    score: float
    typed: bool | None = None  # holds the question's answer type (None: question has none)


def score_sentences(
    question: str,
    passages: Sequence[Passage],
    embedder: Embeddings,
    idf: IdfTable,
    english: bool,
) -> list[Evidence]:
    """Every sentence of the passages, scored against the question, best first."""
    items = [(i, j, s) for i, p in enumerate(passages) for j, s in enumerate(sentences(p.text))]
    if not items:
        return []
    vectors = np.asarray(embedder.embed_documents([s for _, _, s in items]), dtype=np.float32)
    query = np.asarray(embedder.embed_query(question), dtype=np.float32)
    semantic = vectors @ query
    scored = []
    for (i, j, text), sim in zip(items, semantic, strict=True):
        lexical = idf.coverage(question, text) if english else 0.0
        # Earlier-ranked passages get a small edge: retrieval already weighed the whole paragraph.
        prior = 0.05 * (len(passages) - i) / len(passages)
        typed = answer_type_match(question, text)
        bonus = ANSWER_TYPE_BONUS if typed else 0.0
        scored.append(Evidence(i, j, text, float(sim) + 0.5 * lexical + prior + bonus, typed))
    return sorted(scored, key=lambda e: e.score, reverse=True)


def select_evidence(
    scored: Sequence[Evidence], max_chars: int, keep_ratio: float
) -> list[Evidence]:
    """The best sentences within a character budget, dropping those far below the best one."""
    if not scored:
        return []
    floor = scored[0].score * keep_ratio
    chosen: list[Evidence] = []
    used = 0
    for ev in scored:
        if ev.score < floor or (used + len(ev.text) > max_chars and chosen):
            continue
        chosen.append(ev)
        used += len(ev.text)
    return sorted(chosen, key=lambda e: (e.passage_index, e.sentence_index))
