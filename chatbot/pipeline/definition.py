"""Questions that ask what a term means, and the sentences that define it.

"What does the Recommendation mean by 'AI actors'?" is answered by a definitions list ("AI
actors: AI actors are those who ..."), which embeddings rank below passages that use the term
often. A definition has the same shape in any policy document: the term opens a sentence, a
line or a list item, and a defining word follows ("means", "refers to", "is", a colon;
"adalah", "yang selanjutnya disebut"; "是指"; "とは"). The question side reads each language's
own ways of asking for a meaning; neither side knows any document's vocabulary.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A term longer than this is a description ("the maximum loan a platform may extend to one
# borrower"), not a term a document defines.
MAX_TERM_WORDS = 8
_QUOTED = re.compile(r"[\"“”‘’'「『]([^\"“”‘’'「」『』]{2,80})[\"“”‘’'」』]")
# Asking for a meaning: a quoted term is taken when one of these is in the question.
_MEANING_WORDS = re.compile(
    r"\b(mean|meaning|means|define|defines|defined|definition|terminology|refer|refers|"
    r"what (is|are)|dimaksud|pengertian|arti|definisi)\b|とは|定義|意味|是指|定义|什么是|是什么",
    re.IGNORECASE,
)
# The term asked about, unquoted, in the four question languages.
_TERM_QUESTIONS = (
    r"^what (?:is|are) (?:meant by |the (?:definition|meaning) of )?(?P<term>.+?)\s*\??$",
    r"^what does .{1,80}? mean by (?P<term>.+?)\s*\??$",
    r"^how (?:does|do) .{1,80}? define (?P<term>.+?)\s*\??$",
    r"^(?:define|what is the definition of|what is the meaning of) (?P<term>.+?)\s*\??$",
    r"^apa (?:yang )?(?:dimaksud dengan|itu|pengertian|arti(?:nya)?|definisi) (?P<term>.+?)\s*\??$",
    r"^apakah (?P<term>.+?) itu\s*\??$",
    r"^(?P<term>.+?)とは(?:何|なに|どういう|どのような)",
    r"^(?P<term>.+?)の(?:定義|意味)は",
    r"^什么是(?P<term>.+?)[？?]?$",
    r"^(?P<term>.+?)(?:是什么|指的是什么|的定义是什么)",
)
_TERM_QUESTION = tuple(re.compile(p, re.IGNORECASE) for p in _TERM_QUESTIONS)
# Where a question's own context starts after the term ("X in the OECD Recommendation").
_CONTEXT = re.compile(
    r"\s+(?:in|under|according to|for the purposes? of|as used in|within|dalam|menurut|pada)\s+"
    r"|(?:[、，,]|において|における|では|中|根据|按照).*$",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
# What opens a definition: the start of the text, a line, a sentence or a list item.
_OPENING = (
    r"(?:^|\n|(?<=[.;!?:。；\"”’])\s*)\s*"
    # a list item's or an article's mark: "‒", "3.", "(b)", "（一）", "第二条"
    r"(?:[‒–—•*-]\s*|\(?[0-9a-z]{1,3}[.)]\s+|[（(][^)）\s]{1,4}[)）]\s*|第[^\s条]{1,6}条\s*)?"
)
# Chinese law defines "本办法所称X，是指 ...": "X as this instrument calls it".
_SO_CALLED = r"[^\s，。；]{0,8}所称"
_DEFINING = (
    r"(?:\s*[:：]|,?\s+(?:is|are|means?|refers?\s+to|shall\s+mean|(?:is|are)\s+defined\s+as|"
    r"adalah|yaitu|ialah|merupakan|berarti|yang\s+selanjutnya\s+disebut)\b|\s*[，,]?\s*(?:是指|指|是|とは))"
)


def defined_term(question: str) -> str | None:
    """The term a question asks the meaning of; None for any other question."""
    text = " ".join(question.split()).strip()
    quoted = list(_QUOTED.finditer(text))
    asking = [m.start() for m in _MEANING_WORDS.finditer(text)]
    if quoted and asking:
        # Of several quoted names, the one nearest the word asking for a meaning: "In the
        # 'X Measures', how is 'provider' defined?" asks about 'provider'.
        nearest = min(quoted, key=lambda q: min(_gap(q, at) for at in asking))
        term = nearest.group(1)
    else:
        match = next((m for p in _TERM_QUESTION if (m := p.search(text))), None)
        if match is None:
            return None
        term = _CONTEXT.split(match.group("term"), maxsplit=1)[0]
    term = _ARTICLE.sub("", term.strip(" \"“”‘’'「」『』?？.。")).strip()
    if not term or len(term.split()) > MAX_TERM_WORDS:
        return None
    return term


def _gap(quoted: re.Match[str], at: int) -> int:
    """Characters between a quoted name and a position outside it."""
    return max(quoted.start() - at, at - quoted.end(), 0)


@lru_cache(maxsize=256)
def _definition_of(term: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(w) for w in term.split())
    quote = r"[\"“”‘’'«»]?"
    return re.compile(
        rf"{_OPENING}(?:(?:the|a|an)\s+(?:terms?\s+)?|{_SO_CALLED})?{quote}{words}(?:s|es)?{quote}{_DEFINING}",
        re.IGNORECASE,
    )


def defines(text: str, term: str) -> bool:
    """Does the text define the term (it opens a line, sentence or item, and a defining word
    or a colon follows)?"""
    return _definition_of(term).search(text) is not None
