"""Questions asking what an abbreviation stands for, and the sentences that spell one out.

"What is Korika short for?" is answered by "Through the Collaborative Research and Innovation
in Artificial Intelligence (Korika), ...": the long form stands beside the abbreviation, in any
policy document and language ("Badan Siber dan Sandi Negara (BSSN)", "BSSN (Badan Siber dan
Sandi Negara)", "... yang selanjutnya disingkat BSSN", "国家互联网信息办公室（以下简称网信办）",
'Artificial Intelligence ("AI")'). A long form is a name: its letters hold the abbreviation's
in order, each run starting a word (Schwartz and Hearst's test), or, for a name translated
from the language its abbreviation comes from ("Korika" from Indonesian), three or more
capitalised words run up to the bracket. "the Ministry (BSSN)" spells nothing out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.text import normalize_spaces

# The abbreviation asked about: one token ("BSSN", "U.S.C", "Korika"), maybe after "the".
_ABBREVIATION = r"(?:the )?(?P<term>[^\s,，、?？]{2,24}?)"
_QUESTIONS = (
    # "What does BSSN stand for?", "What's Korika short for?", "What do the letters AI stand
    # for?", "What does IADERN, the author's organisation, stand for?"
    r"^what(?:'s| is| does| do)(?: the (?:acronym|abbreviation|letters))?\s+"
    rf"{_ABBREVIATION}(?:,[^?]{{1,80}}?,)?\s+"
    r"(?:short for|stand for|an (?:acronym|abbreviation) (?:of|for))\b",
    r"^what is the (?:full (?:name|form)|expansion|long form) of "
    rf"(?:the (?:acronym|abbreviation) )?{_ABBREVIATION}\s*(?:\?|$|\s+(?:in|under|according to)\b)",
    # "Apa kepanjangan (dari) BSSN?"; "singkatan dari X" asks the other way: X's abbreviation
    rf"^(?:apa )?kepanjangan (?:dari )?{_ABBREVIATION}\s*(?:\?|$)",
    rf"^{_ABBREVIATION}\s+(?:itu\s+|adalah\s+|merupakan\s+)?(?:kepanjangan|kependekan|singkatan)"
    r"\s+dari\s+apa\b",
    # "BSSNは何の略ですか", "BSSNの正式名称は" ("Xの略称" asks for X's abbreviation instead)
    rf"^{_ABBREVIATION}\s*(?:は|とは)?(?:何の略|の正式名称|の正式な名称)",
    # "CAC是什么的缩写", "CAC的全称", "CAC代表什么"
    rf"^{_ABBREVIATION}\s*(?:是什么的缩写|是哪个.{{0,8}}的缩写|的全称|的英文全称|代表什么)",
)
_QUESTION = tuple(re.compile(p, re.IGNORECASE) for p in _QUESTIONS)


def asked_abbreviation(question: str) -> str | None:
    """The abbreviation a question asks the long form of; None for any other question."""
    text = normalize_spaces(question)
    match = next((m for p in _QUESTION if (m := p.search(text))), None)
    if match is None:
        return None
    term = match.group("term").strip(" \"“”‘’'「」『』")
    return term if len(term) >= 2 else None


# A long form's words: as many as Schwartz and Hearst allow for the abbreviation's length.
def _most_words(abbreviation: str) -> int:
    return min(len(abbreviation) + 5, 2 * len(abbreviation))


# Words a name does not count as its own capitalised words when they open a sentence.
_OPENERS = frozenset({"the", "a", "an", "this", "that", "through", "under", "by", "in", "with"})
# A name translated from the abbreviation's own language names it with this many capitalised
# words ("Collaborative Research and Innovation in Artificial Intelligence (Korika)").
NAME_WORDS = 3
# The run of CJK characters a Chinese or Japanese long form has at least.
CJK_NAME = 4
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]+$")
_WORD = re.compile(r"[\w'’&.-]+")
_SENTENCE_END = re.compile(r"[.;:!?。；：()（）\n]\s")


def _initials_in_order(long: str, short: str) -> bool:
    """Schwartz and Hearst: each of the short form's letters and digits is in the long form,
    in order from the end, and its first one starts a word there."""
    letters = [c.lower() for c in short if c.isalnum()]
    text = long.lower()
    at = len(text) - 1
    for i in range(len(letters) - 1, -1, -1):
        while at >= 0 and (
            text[at] != letters[i] or (i == 0 and at > 0 and text[at - 1].isalnum())
        ):
            at -= 1
        if at < 0:
            return False
        at -= 1
    return bool(letters)


def _names_it(before: str, short: str) -> bool:
    """Do the words run up to a bracket holding the abbreviation spell it out?"""
    before = before.rstrip(" \"“”'‘’")
    if cjk := _CJK.search(before):
        return len(cjk.group(0)) >= CJK_NAME
    ends = list(_SENTENCE_END.finditer(before))
    clause = before[ends[-1].end() :] if ends else before
    words = _WORD.findall(clause)[-_most_words(short) :]
    if not words or not words[-1][:1].isupper():
        return False
    if _initials_in_order(" ".join(words), short):
        return True
    capitalised = [w for w in words if w[:1].isupper() and w.lower() not in _OPENERS]
    return len(capitalised) >= NAME_WORDS


@lru_cache(maxsize=256)
def _patterns(short: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    term = re.escape(short)
    quote_open, quote_close = r"[\"“'‘「]?", r"[\"”'’」]?"
    # "(Korika)", '("AI")', '(hereinafter "AI")', "（以下简称网信办）", "（以下「委員会」という。）"
    bracketed = re.compile(
        r"[(（]\s*(?:hereinafter(?:\s+referred\s+to\s+as)?\s+|the\s+|以下简称\s*|以下\s*)?"
        rf"{quote_open}{term}{quote_close}\s*(?:という。?)?\s*[)）]"
    )
    # "BSSN (Badan Siber dan Sandi Negara)"
    leading = re.compile(rf"(?<![\w-]){term}\s*[(（]([^()（）\n]{{3,160}})[)）]")
    # "Badan Siber dan Sandi Negara yang selanjutnya disingkat BSSN"
    statute = re.compile(rf"yang\s+selanjutnya\s+disingkat(?:\s+dengan)?\s+{term}(?![\w-])")
    return bracketed, leading, statute


def spells_out(text: str, short: str) -> bool:
    """Does the text spell out the abbreviation beside it (the module's docstring)?"""
    bracketed, leading, statute = _patterns(short)
    for m in bracketed.finditer(text):
        if _names_it(text[max(0, m.start() - 300) : m.start()], short):
            return True
    for m in leading.finditer(text):
        inside = m.group(1).strip(" \"“”'‘’")
        if len(_WORD.findall(inside)) >= 2 and _initials_in_order(inside, short):
            return True
    return statute.search(text) is not None
