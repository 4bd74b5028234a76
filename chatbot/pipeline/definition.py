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

from chatbot.pipeline.abbreviation import asked_abbreviation, spells_out
from core.text import normalize_spaces, stopwords

# A term longer than this is a description ("the maximum loan a platform may extend to one
# borrower"), not a term a document defines.
MAX_TERM_WORDS = 8
# A quoted term; a single quote opens and closes only outside a word ("the OECD's 'AI actors'").
_QUOTED = re.compile(r"(?:[\"“「『]|(?<!\w)['‘])([^\"“”「」『』]{2,80}?)(?:[\"”」』]|['’](?!\w))")
# Asking for a meaning: a quoted term is taken when one of these is in the question.
_MEANING_WORDS = re.compile(
    r"\b(mean|meaning|means|define|defines|defined|definition|terminology|refer|refers|"
    r"dimaksud|pengertian|arti|definisi|stand for|short for|acronym|abbreviation|singkatan|"
    r"kepanjangan)\b|とは|定義|意味|是指|定义|什么是|是什么|何の略|略称|略語|缩写|全称",
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
    r"|(?:[、，,]|において|における|では|根据|按照).*$",
    re.IGNORECASE,
)
# A quotation inside an unquoted term: "the total budget of 'Making Indonesia 4.0'" asks for
# a figure about a named thing, not what a term means.
_QUOTED_PART = re.compile(r"[\"“”「」『』]")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
# What opens a definition: the start of the text, a line, a sentence or a list item.
_OPENING = (
    r"(?:^|\n|(?<=[.;!?:。；\"”’]))\s*"
    # a list item's or an article's mark: "‒", "3.", "(b)", "（一）", "第二条"
    r"(?:[‒–—•*-]\s*|\(?[0-9a-z]{1,3}[.)]\s+|[（(][^)）\s]{1,4}[)）]\s*|第[^\s条]{1,6}条\s*)?"
)
_BREAK_RUN = re.compile(r"\s*\n\s*")
_SPACE_RUN = re.compile(r"[^\S\n]+")
# Chinese law defines "本办法所称X，是指 ...": "X as this instrument calls it".
_SO_CALLED = r"[^\s，。；]{0,8}所称"
_DEFINING = (
    r"(?:\s*[:：]|,?\s+(?:is|are|means?|refers?\s+to|shall\s+mean|(?:is|are)\s+defined\s+as|"
    r"adalah|yaitu|ialah|merupakan|berarti|yang\s+selanjutnya\s+disebut)\b|\s*[，,]?\s*(?:是指|系指|指的是|とは)|\s*[，,]\s*指|\s*是(?!否))"
)


def defined_term(question: str) -> str | None:
    """The term a question asks the meaning of; None for any other question."""
    text = normalize_spaces(question)
    quoted = list(_QUOTED.finditer(text))
    asking = [m.start() for m in _MEANING_WORDS.finditer(text)]
    if quoted and asking:
        # Of several quoted names, the one nearest the word asking for a meaning: "In the
        # 'X Measures', how is 'provider' defined?" asks about 'provider'.
        nearest = min(quoted, key=lambda q: min(_gap(q, at) for at in asking))
        term = nearest.group(1)
    else:
        # "What is Korika short for?" asks about "Korika", not "Korika short for"
        abbreviation = asked_abbreviation(text)
        if abbreviation is not None:
            term = abbreviation
        else:
            match = next((m for p in _TERM_QUESTION if (m := p.search(text))), None)
            if match is None:
                return None
            term = _CONTEXT.split(match.group("term"), maxsplit=1)[0]
    term = _ARTICLE.sub("", term.strip(" \"“”‘’'「」『』?？.。")).strip()
    if len(term) < 2 or len(term.split()) > MAX_TERM_WORDS or _QUOTED_PART.search(term):
        return None
    if all(w in stopwords() for w in term.lower().split()):
        return None  # "What is it?": a follow-up's pronoun, no term
    return term


def _gap(quoted: re.Match[str], at: int) -> int:
    """Characters between a quoted name and a position outside it."""
    return max(quoted.start() - at, at - quoted.end(), 0)


@lru_cache(maxsize=256)
def _definition_of(term: str) -> re.Pattern[str]:
    """The pattern of a sentence defining the term (compiled once per term)."""
    words = r"\s+".join(re.escape(w) for w in term.split())
    quote = r"[\"“”‘’'«»]?"
    return re.compile(
        rf"{_OPENING}(?:(?:the|a|an)\s+(?:terms?\s+)?|{_SO_CALLED})?"
        rf"{quote}{words}(?:s|es)?{quote}{_DEFINING}",
        re.IGNORECASE,
    )


def defines(text: str, term: str) -> bool:
    """Does the text define the term (it opens a line, sentence or item, and a defining word
    or a colon follows), or, for a one-word term, spell it out as an abbreviation ("Badan
    Siber dan Sandi Negara (BSSN)": chatbot.pipeline.abbreviation)?"""
    # Runs of blank space shrink first to one line break or space: a pattern tried at every
    # point of a long run would cost its length squared.
    compact = _SPACE_RUN.sub(" ", _BREAK_RUN.sub("\n", text))
    if _definition_of(term).search(compact) is not None:
        return True
    return " " not in term and spells_out(compact, term)
