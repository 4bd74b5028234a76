"""How much of a question's rare vocabulary a piece of text contains (IDF-weighted, stemmed).

Embeddings blur one decisive word ("fourth", "BSSN", "2016") in a paragraph about something
else; coverage does not. It scores sentences beside embedding similarity, and decides which
passage an answer sentence restates.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

from core.text import tokens


class IdfTable:
    """Inverse document frequencies of stems over the indexed chunks."""

    def __init__(self, texts: Iterable[str]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            df.update(set(tokens(text)))
            n += 1
        self._set(n, df)

    @classmethod
    def from_counts(cls, n: int, df: Mapping[str, int]) -> IdfTable:
        """From document frequencies already counted with the same tokenizer (the BM25 index
        holds them), so a large index is not tokenized a second time when it is loaded."""
        table = cls(())
        table._set(n, df)
        return table

    def _set(self, n: int, df: Mapping[str, int]) -> None:
        self.n = max(n, 1)
        self._idf = {
            t: math.log(1 + (self.n - k + 0.5) / (k + 0.5)) for t, k in df.items() if t and k > 0
        }

    def knows(self, stem: str) -> bool:
        return stem in self._idf

    def coverage(self, question: str, text: str) -> float:
        """Share of the question's squared-IDF mass whose stems occur in the text (0..1).

        Stems the corpus never uses are left out (no sentence can hold them), and squaring the
        IDF lets one rare, decisive word outweigh several common ones.
        """
        wanted = {t for t in tokens(question) if t in self._idf}
        if not wanted:
            return 0.0
        present = set(tokens(text))
        total = sum(self._idf[t] ** 2 for t in wanted)
        return sum(self._idf[t] ** 2 for t in wanted & present) / total
