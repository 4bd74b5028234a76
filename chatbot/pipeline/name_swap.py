"""A fact the passages state of one entity must not answer a question about its neighbour.

"How large is China's population?" over "Indonesia, a nation with a population of over 270
million, ..." draws "China's population is over 270 million [1]" from a small model: every
number and name of that sentence is in its passage (which names China elsewhere), so the
claim check passes. What gives it away is the passage sentence that states the figure: it
names Indonesia, not China, and the documents pair the two ("Indonesia and China"), so they
are things of one kind and one cannot stand for the other.

Entities are "of one kind" when the texts coordinate them ("A and B", "A, B or C", "A dan B"):
a country with a country, a ministry with a ministry. That holds for any document without a
list of kinds, and a name the texts never pair with the question's (a title, a programme, a
law) is no substitute for it: an answer may well name the law its passage cites.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

from core.text import name_is_stated, passage_sentences, tokens

# A capitalised run without "and"/"or" inside it ("Ministry of Finance", "China"); a
# possessive ends it ("Indonesia's GDP" is Indonesia, then GDP).
_RUN = re.compile(r"\b[A-Z][\w&-]*(?:\s+(?:(?:of|for|the|on|in)\s+)?[A-Z][\w&-]*)*(?:['’]s\b)?")
# What joins two coordinated names: a comma, "and", "or", their Indonesian forms, "&", "/",
# "versus", with an optional article after it.
_JOIN = re.compile(
    r"\s*(?:,\s*(?:(?:and|or|dan|atau|serta)\s+)?|\s(?:and|or|dan|atau|serta|&|/|vs\.?|versus)\s)"
    r"\s*(?:the\s+)?$",
    re.IGNORECASE,
)
# More passage sentences than this stating an answer's facts equally well do not tell which
# one it restates.
MAX_ANCHORS = 2
_YEAR = re.compile(r"(?<![\d.,])(?:19|20)\d\d(?![\d.,]\d)")
_POSSESSIVE = re.compile(r"['’]s$")


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """English function words ("both", "in", "the"): a capital on one is the sentence's.
    (Importing them takes ~1 s: the retriever does it when it loads, not a first question.)"""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _plain(name: str) -> str:
    """The name without a possessive and without leading function words ("Both Indonesia",
    "The OECD", "In China")."""
    parts = _POSSESSIVE.sub("", name.strip()).split()
    while parts and parts[0].lower() in function_words():
        parts = parts[1:]
    return " ".join(parts)


def _runs(text: str) -> list[re.Match[str]]:
    """The capitalised runs of the text, but a lone function word ("In", "The", "Both")."""
    return [m for m in _RUN.finditer(text) if _plain(m.group(0))]


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def coordinated(texts: Iterable[str]) -> set[frozenset[str]]:
    """Pairs of names the texts join as equals ("Indonesia and China", "the OECD, the EU and
    UNESCO"), lower-cased; a list's members pair with each other. In title case a run goes on
    past the name ("How Indonesia and China Can Achieve It"), so a run's first word stands for
    it after the join, and its last word before it."""
    pairs: set[frozenset[str]] = set()
    for text in texts:
        runs = _runs(text)
        chain: list[list[str]] = []
        for before, after in pairwise(runs):
            if _JOIN.fullmatch(text[before.end() : after.start()]):
                chain = chain or [[f.lower() for f in _forms(before.group(0), last=True)]]
                chain.append([f.lower() for f in _forms(after.group(0), last=False)])
                continue
            pairs |= _pairs(chain)
            chain = []
        pairs |= _pairs(chain)
    return pairs


def _forms(run: str, last: bool) -> list[str]:
    """The run, and its word nearest the join."""
    name = _plain(run)
    parts = name.split()
    return list(dict.fromkeys([name, parts[-1] if last else parts[0]]))


def _pairs(chain: list[list[str]]) -> set[frozenset[str]]:
    return {
        frozenset((a, b))
        for i, forms in enumerate(chain)
        for other in chain[i + 1 :]
        for a in forms
        for b in other
        if a != b
    }


def swapped_name(
    answer_sentence: str,
    question: str,
    anchors: list[str],
    peers: set[frozenset[str]],
    titles: Iterable[str] = (),
) -> tuple[str, str] | None:
    """(the question's name, the name its passage says instead) when the answer says of a name
    the question asks about what the ``anchors`` (the passage sentences that state the answer's
    facts) say of another: no anchor names the question's name, and one names something the
    texts pair with it (``peers``) that neither the question nor the answer names.

    More than ``MAX_ANCHORS`` anchors do not tell where the fact is. A name in the title of
    the passages' document (``titles``) is what the document is about: its sentences need not
    repeat it ("the AO's decision" in a FedRAMP policy is FedRAMP's), unless the title names
    the other one too ("How Indonesia and China Can ...")."""
    if not anchors or len(anchors) > MAX_ANCHORS:
        return None
    titled = " ".join(titles)
    year = _year_swapped(answer_sentence, question, anchors, titled)
    if year is not None:
        return year
    asked = {_plain(run.group(0)) for run in _runs(question)}
    said = [n for n in asked if name_is_stated(n, answer_sentence, set(tokens(answer_sentence)))]
    for name in said:
        if any(name_is_stated(name, a, set(tokens(a))) for a in anchors):
            continue
        for anchor in anchors:
            for run in _runs(anchor):
                other = _plain(run.group(0))
                if frozenset((name.lower(), other.lower())) not in peers:
                    continue
                if _mentions(question, other) or _mentions(answer_sentence, other):
                    continue
                if _mentions(titled, name) and not _mentions(titled, other):
                    continue
                return name, other
    return None


def about_neighbour(
    sentence: str, question: str, peers: set[frozenset[str]], titles: Iterable[str] = ()
) -> tuple[str, str] | None:
    """(the question's name, the sentence's) when a passage sentence speaks of a neighbour of
    what the question asks about, and not of it: "3.7% of the country's GDP" said of China does
    not tell "what share of Indonesia's GDP"."""
    return swapped_name(question, question, [sentence], peers, titles)


def _year_swapped(
    answer_sentence: str, question: str, anchors: list[str], titled: str
) -> tuple[str, str] | None:
    """A year is a name of one kind with every other year: "What was the budget in 2025?"
    answered "In 2025 it was $5 million [1]" from "In 2024 the budget was $5 million" (but a
    year in the document's title is what it is about, as with names)."""
    for year in dict.fromkeys(_YEAR.findall(question)):
        if year not in _YEAR.findall(answer_sentence) or year in _YEAR.findall(titled):
            continue
        if any(year in _YEAR.findall(a) for a in anchors):
            continue
        other = next((y for a in anchors for y in _YEAR.findall(a)), None)
        if other is not None:
            return year, other
    return None


def sentences_of(texts: Iterable[str]) -> list[str]:
    return [s for text in texts for s in passage_sentences(text)]
