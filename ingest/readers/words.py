"""Words a PDF's text layer broke, mended from the document's own vocabulary.

A text layer often spaces a word apart ("tho ught", "A I", "pemb erian": each glyph run placed
on its own), spaces a hyphen off ("near -term"), and a line-end hyphen leaves it open whether the
word was "develop-ment" or "perundang-undangan". No dictionary decides these: the document does.
A run of pieces is joined when the joined word stands elsewhere in the same document, at least
as often as the pieces stand apart, and the pieces are not all words of the document themselves
(two words side by side, "in to", "IN ACTION", are a real pair). A hyphen at a line end stays when
the document writes the hyphenated word more often than the closed one.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.settings import ReadingSettings

# Put by the PDF line joiner where a line ended in a hyphen before a lower-case letter; every
# one is resolved here (to a hyphen or to nothing), so it never reaches a chunk.
LINE_HYPHEN = "\ue000"

_LETTERS = r"[^\W\d_]"
_WORD = re.compile(rf"{_LETTERS}+")
_COMPOUND = re.compile(rf"{_LETTERS}+(?:-{_LETTERS}+)+")
_OPEN_HYPHEN = re.compile(rf"({_LETTERS}+){LINE_HYPHEN}({_LETTERS}+)")
# "near -term", "self -assessed": a hyphen spaced off the word before it.
_SPACED_HYPHEN = re.compile(rf"(?<={_LETTERS}) -(?={_LETTERS})")
# Runs of letter-only pieces with single spaces between them: the candidates for joining.
_PIECES = re.compile(rf"{_LETTERS}+(?: {_LETTERS}+)+")
# A number whose digit groups a text layer or OCR spaced apart after their separator
# ("Rp. 4.000.000. 000. 000,00", "US$1,000, 000"): a group of three digits after a separator
# and a space continues the number grouped with that separator when a currency stands before
# it, another group or decimal part follows, or the number has two groups already ("Of the
# 1,000, 250 were rejected" stays).
_CURRENCY_BEFORE = r"(?:(?:Rp|IDR|USD|US\$|EUR|\$|€|£|¥)\.?[\s-]?)"
_SPACED_GROUP = re.compile(
    rf"(?<![\d.,])({_CURRENCY_BEFORE}?)(\d{{1,3}}(?:([.,])\d{{3}})+)\3 (\d{{3}})(?![\d])"
    r"(?=(\)?[.,]\s?\d)?)"
)


def repair_words(texts: list[str], reading: ReadingSettings) -> list[str]:
    """The texts of one document with broken words mended (see the module docstring)."""
    words: Counter[str] = Counter()
    compounds: Counter[str] = Counter()
    for text in texts:
        plain = text.replace(LINE_HYPHEN, " ")
        words.update(w.lower() for w in _WORD.findall(plain))
        compounds.update(c.lower() for c in _COMPOUND.findall(plain))
    spaced = _Phrases(" ".join(texts).replace(LINE_HYPHEN, " ").lower())
    out = []
    for text in texts:
        text = _OPEN_HYPHEN.sub(lambda m: _line_hyphen(m, words, compounds), text)
        text = text.replace(LINE_HYPHEN, "")
        if reading.word_repair:
            text = mend_numbers(text)
            text = _SPACED_HYPHEN.sub("-", text)
            text = _PIECES.sub(lambda m: _join_pieces(m.group(0), words, spaced, reading), text)
        out.append(text)
    return out


def mend_numbers(text: str) -> str:
    """Numbers whose digit groups were spaced apart, closed up again."""

    def mend(m: re.Match[str]) -> str:
        currency, number, separator, group, more = m.groups()
        if not currency and more is None and number.count(separator) < 2:
            return m.group(0)
        return f"{currency}{number}{separator}{group}"

    while True:
        mended = _SPACED_GROUP.sub(mend, text)
        if mended == text:
            return text
        text = mended


def _line_hyphen(match: re.Match[str], words: Counter[str], compounds: Counter[str]) -> str:
    head, tail = match.group(1), match.group(2)
    hyphenated = compounds[f"{head}-{tail}".lower()]
    closed = words[f"{head}{tail}".lower()]
    return f"{head}-{tail}" if hyphenated > closed else f"{head}{tail}"


class _Phrases:
    """How often a run of words stands in the document as written, spaces and all."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._counts: dict[str, int] = {}

    def count(self, phrase: str) -> int:
        key = phrase.lower()
        if key not in self._counts:
            pattern = rf"(?<!{_LETTERS}){re.escape(key)}(?!{_LETTERS})"
            self._counts[key] = len(re.findall(pattern, self._text))
        return self._counts[key]


def _join_pieces(run: str, words: Counter[str], spaced: _Phrases, reading: ReadingSettings) -> str:
    pieces = run.split(" ")
    out: list[str] = []
    i = 0
    while i < len(pieces):
        for k in range(min(reading.max_broken_parts, len(pieces) - i), 1, -1):
            part = pieces[i : i + k]
            broken = _is_broken_word(part, words, reading.common_word_count)
            # A spelling the document writes apart more often than closed is a real pair.
            if broken and spaced.count(" ".join(part)) <= words["".join(part).lower()]:
                out.append("".join(part))
                i += k
                break
        else:
            out.append(pieces[i])
            i += 1
    return " ".join(out)


def _is_broken_word(pieces: list[str], words: Counter[str], common: int) -> bool:
    """The pieces spell a word of the document, are cased like one word ("Pro cess", "A I",
    not "of Indonesia"), and are not all words of the document themselves: a piece of three
    letters or more that stands alone elsewhere too ("IN ACTION" beside "risks of action") is
    one, a shorter one only when common (a stray "A" or "I" is often half a broken word)."""
    joined = "".join(pieces)
    one_case = all(p.isupper() for p in pieces) or all(p.islower() for p in pieces[1:])
    if not one_case or words[joined.lower()] == 0:
        return False
    return not all(words[p.lower()] >= (common if len(p) <= 2 else 2) for p in pieces)
