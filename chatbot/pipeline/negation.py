"""Does a yes-or-no answer say the opposite of the passage clause it restates?

A 1.5B model asked "Does FedRAMP treat every new code release as a significant change?" over
"Every new code release is not automatically considered a significant change." answered "Yes,
FedRAMP treats every new code release as a significant change [1]": every word is its
passage's, so nothing else in verification objects. Only a sentence that opens with a verdict
("Yes,", "No,", "Ya,", "Tidak,") is read here: its first clause after the verdict restates what
was asked, and is set beside the evidence clause most like it (holding most of the answer
clause's content words, and much of its own). When one of the two is negated and the other is
not, the answer turned the passage around. Other answers are left alone: policy text bounds and
qualifies with negations ("not later than", "shall not exceed", "without prejudice to") that a
faithful answer rephrases without one.

Only where negation is a word: English and Indonesian (Japanese and Chinese negate inside the
word). A clause negating in other words ("prohibited", "dilarang", "failure to", "unless") is
not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chatbot.pipeline.citations import MARKER
from core.text import tokens

# English and Indonesian negations, read together: an answer in one language may restate a
# passage in the other ("tidak" and "no" are words of only one of them). "nor" continues a
# negation ("neither ... nor", "shall not ... nor"): it adds none.
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|none|nothing|nobody|cannot|without|\w+n[’']t"
    r"|tidak|tak|bukan|tanpa|belum|jangan)\b",
    re.IGNORECASE,
)
# Negations that bound, number or widen rather than deny: "not later than 90 days", "no more
# than 5", "No. 46", "including but not limited to", "not to exceed", "without delay", "not
# only", "tidak hanya", "tidak lebih dari".
_NOT_A_DENIAL = re.compile(
    r"\b(?:not|no)\s+(?:later|earlier|sooner|more|less|fewer|greater|longer|shorter)\s+than\b"
    r"|\bno\.?\s*(?=\d)|\bnot\s+(?:be\s+)?limited\s+to\b|\bnot\s+to\s+exceed\b"
    r"|\bnot\s+exceed(?:ing)?\b|\bwithout\s+(?:delay|prejudice|limitation)\b|\bnot\s+only\b"
    r"|\b(?:tidak|bukan)\s+(?:hanya|saja|lebih|kurang|melebihi|melampaui)\b",
    re.IGNORECASE,
)
# Words that deny without a negation word: a clause with one is not judged.
_DENYING_WORDS = re.compile(
    r"\b(?:prohibit\w*|forbid\w*|bar(?:s|red)?|fail\w*|unless|except\w*|lack\w*|absen\w*"
    r"|dilarang|larangan|kecuali|gagal|un\w+able)\b",
    re.IGNORECASE,
)
# A leading verdict answers the question ("Yes, ...", "Tidak. ..."); not "No. 46/2009".
_VERDICT = re.compile(r"^\W*(?:yes|no|ya|tidak|bukan)\s*[,.:;](?!\s*\d)\s*", re.IGNORECASE)
_CLAUSES = re.compile(
    r"[,;:]\s+|(?<=[.!?])\s+|\s+(?:but|however|whereas|although|tetapi|namun|sedangkan|meskipun)\s+",
    re.IGNORECASE,
)
READ_IN = frozenset({"en", "id"})  # answer languages whose negations are words
MIN_OF_ANSWER = 0.6  # of the answer clause's content words, the passage clause holds
MIN_OF_PASSAGE = 0.4  # ... and of the passage clause's, the answer clause holds
MIN_WORDS = 3  # a shorter clause restates nothing to judge


def negations(text: str) -> int:
    """How many times the text denies, in English or Indonesian words."""
    return len(_NEGATION.findall(_NOT_A_DENIAL.sub(" ", text)))


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSES.split(text) if len(set(tokens(c))) >= MIN_WORDS]


def turned_around(sentence: str, passage_sentences: Iterable[str], lang: str) -> str | None:
    """The passage clause that a verdict-led answer sentence restates with the opposite
    polarity, if any."""
    plain = MARKER.sub(" ", sentence).strip()
    verdict = _VERDICT.match(plain)
    if lang not in READ_IN or verdict is None:
        return None
    said = _clauses(plain[verdict.end() :])
    if not said or _DENYING_WORDS.search(said[0]):
        return None
    own = set(tokens(said[0]))
    best, alike = None, 0.0
    for text in passage_sentences:
        for clause in _clauses(text):
            theirs = set(tokens(clause))
            shared = len(own & theirs)
            if shared / len(own) >= MIN_OF_ANSWER and shared / max(1, len(theirs)) > alike:
                best, alike = clause, shared / max(1, len(theirs))
    if best is None or alike < MIN_OF_PASSAGE or _DENYING_WORDS.search(best):
        return None
    if (negations(said[0]) > 0) != (negations(best) > 0):
        return best
    return None
