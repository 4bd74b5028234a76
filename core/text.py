"""Text rules shared by ingest and chatbot: language, sentences, tokens, names and numbers.

Each rule comes from a well-kept library where one exists, so it is not tuned to one corpus:

- language: ``py3langid`` (langid.py's model as a numpy file, no pickle; ~0.2 ms a question);
  Malay is reported as Indonesian (the two are one written standard for our purpose), and the
  script decides Japanese (any kana) versus Chinese (Han without kana) for short questions.
- sentences: ``sentencex`` (Wikimedia's rule-based segmenter: abbreviations such as "U.S.",
  and "。" without a following space in Chinese and Japanese).
- stems: ``snowballstemmer`` (Porter2): "cooperate" and "cooperation" share a stem.
- stopwords: bm25s' English list, the same one its BM25 uses by default.
- tokens of Chinese and Japanese (no spaces between words; Hangul too): overlapping character
  bigrams, as Lucene's CJKAnalyzer indexes them, so "防止产生民族歧视" matches "歧视".
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

# A fragment shorter than this joins the sentence before it. Machine-translated text strands
# pieces such as "I aimed." or "is emphasized."; no real claim fits in under 25 characters.
MIN_SENTENCE_CHARS = 25
# Languages answered in their own words; any other detected language is answered in English.
LANGUAGE_NAMES = {
    "en": "English",
    "id": "Indonesian",
    "ja": "Japanese",
    "zh": "Chinese",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "pt": "Portuguese",
    "nl": "Dutch",
    "it": "Italian",
    "vi": "Vietnamese",
    "ko": "Korean",
    "th": "Thai",
}

# How a sentence that leads into a list ends ("... including advice on the following:").
LEAD_IN_ENDS = (":", "：")
# A line that starts a list item: a bullet, or an enumerator such as 1. 1) (a) a) iv. 2.1.
LIST_MARKER = re.compile(
    r"^\s*(?:[•◦▪▫●○■□‣⁃∙·*\-–—‒]|\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-zA-Z]|[ivxlcdmIVXLCDM]{1,6})"
    r"[.)]|\((?:\d{1,3}|[a-zA-Z]{1,6})\))\s+\S"
)
# A run-on lead-in has at least this many words: a short line before an item is a heading.
MIN_RUN_ON_WORDS = 5
# An item going on ("...; and", "...; atau") or a footnote mark ("... 50 U.S.C. 3003 ; 1").
_ITEM_GOES_ON = re.compile(r";\s*\S{0,6}$")
# A document is Chinese or Japanese when at least this share of its letters are Han or kana.
CJK_SHARE = 0.3
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*%?|\w+", re.UNICODE)
_LATIN_WORD = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ('en' when there is nothing to go on)."""
    if _KANA.search(text):
        return "ja"
    han = len(_HAN.findall(text))
    if han and han >= len(_LATIN_WORD.findall(text)):  # Han without kana, more than Latin
        return "zh"
    if not any(ch.isalpha() for ch in text):
        return "en"
    lang, _ = _identifier().classify(text)
    return "id" if lang == "ms" else str(lang)


def document_language(text: str) -> str:
    """The language of a document's text: as :func:`detect_language`, but Chinese or Japanese
    only when at least ``CJK_SHARE`` of its letters are Han or kana (one kana decides a
    question, not a report that quotes a Japanese name)."""
    cjk = len(_HAN.findall(text)) + len(_KANA.findall(text))
    letters = sum(ch.isalpha() for ch in text)
    if letters and cjk < CJK_SHARE * letters:
        text = _KANA.sub(" ", _HAN.sub(" ", text))
    return detect_language(text)


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, "English")


def normalize_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def text_width(text: str) -> int:
    """Length in Latin-letter terms: one Chinese or Japanese character says about as much as
    three letters, so a short CJK sentence is not taken for a stranded fragment."""
    return len(text) + 2 * len(_HAN.findall(text)) + 2 * len(_KANA.findall(text))


# Abbreviations written before a number ("Rp. 4.000", "No. 46", "Art. 5", "Sec. 3", "Hal. 2"):
# their full stop ends no sentence. A list, not any short word: "... the EU. 27 states ..."
# and "... in May. 2021 brought ..." do end one.
_ABBREVIATION_END = re.compile(
    r"(?:^|[\s(])(?:No|Nos|Nr|Rp|Rs|Art|Arts|Sec|Secs|Fig|Figs|Vol|Ch|Chap|Hal|Pt|Para|Par|Ref|"
    r"Tab|Eq|Ps|Kep|Pub|App|Ann|Stat|p|pp|para|no|art|sec|hal)\.$"
)


def ends_with_abbreviation(text: str) -> bool:
    """Does the text end with an abbreviation that a number follows ("... Regulation No.")?"""
    return bool(_ABBREVIATION_END.search(text))


def _abbreviates(before: str, piece: str) -> bool:
    return piece[:1].isdigit() and ends_with_abbreviation(before)


# A list's number that the splitter cut from its item, when a PDF ran the list into one
# paragraph: on its own ("2.", after "... the desired educational change.") or ending a lead-in
# or the item before ("... invest in EdTech: 1.", "... in the workplace, iii."). It opens the
# next sentence, as its item, when that starts with a word (in "on 5. 6. 2021" the numbers are a
# date's). After a colon only a list's first mark is ("1.", "a)", "i."): a table row's last cell
# ends "BTS towers built: 87." before the next row (one whose last cell is 1 is still cut, and a
# list going on after a colon, "... the page before: 3.", keeps its number there). After a comma
# only a letter or a Roman numeral is a list's number ("pages 12, 13." ends a list of figures).
_LETTER_MARK = r"\(?(?:[a-z]|[ivx]{1,4})[.)]"
_NUMBER_MARK = r"\(?\d{1,2}[.)]"
_FIRST_MARK = r"\(?(?:[ai1])[.)]"
_ENUMERATOR_ALONE = re.compile(f"{_LETTER_MARK}|{_NUMBER_MARK}")
_ENUMERATOR_AT_END = re.compile(
    rf"(?:(?<=:)\s+({_FIRST_MARK})|(?<=;)\s+({_LETTER_MARK}|{_NUMBER_MARK})"
    rf"|(?<=,)\s+({_LETTER_MARK}))$"
)


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """The sentences of a block of text; a stranded short fragment joins the one before it, and
    a list's number cut from its item opens the next one."""
    import sentencex

    out: list[str] = []
    number = ""  # a list's number waiting for its item
    for piece in sentencex.segment(lang or "en", normalize_spaces(text)):
        piece = piece.strip()
        if not piece:
            continue
        if number and piece[:1].isalpha():
            piece = f"{number} {piece}"
        elif number:  # no item after it: it stays where it was
            out[-1:] = [f"{out[-1]} {number}" if out else number]
        number = ""
        if _ENUMERATOR_ALONE.fullmatch(piece):
            number = piece
            continue
        if at_end := _ENUMERATOR_AT_END.search(piece):
            number = next(mark for mark in at_end.groups() if mark)
            piece = piece[: at_end.start()]
        if out and (text_width(piece) < MIN_SENTENCE_CHARS or _abbreviates(out[-1], piece)):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    if number:
        out[-1:] = [f"{out[-1]} {number}" if out else number]
    return out


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def words(text: str) -> list[str]:
    """Lower-cased word and number tokens, in order (numbers keep their '.', ',' and '%')."""
    return [m.lower() for m in _TOKEN.findall(text)]


_STEMMING = threading.Lock()  # the stemmer keeps its word in itself: one thread at a time


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """A word's stem, remembered: stemming was a tenth of an answer's CPU, over few words."""
    with _STEMMING:
        return str(_stemmer().stemWord(word))


# Scripts written without spaces between words: kana (full- and half-width), Han (with its
# extensions, compatibility ideographs and the marks 々 〆 〇 〻) and Hangul. A run of them is one
# \w+ "word" however long the clause. A change here changes settings.LEXICAL_TOKENIZER.
_CJK_RUN = re.compile(
    "[\u3005-\u3007\u303b\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff66-\uff9f\uac00-\ud7af\U00020000-\U0003134f]+"
)


# What a character of those scripts costs the model to read, in characters of English: Qwen's
# tokenizer takes ~1.4 Han or kana characters a token against ~4 letters of English, so 2,400
# characters of a Chinese regulation are ~1,700 tokens (~17 s of prompt reading on 2 cores).
CJK_READING_COST = 3


def reading_cost(text: str) -> int:
    """The text's length for a budget set in characters of English (the model's evidence): a
    character of a script written without spaces counts ``CJK_READING_COST`` times."""
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    return len(text) + (CJK_READING_COST - 1) * cjk


def _cjk_bigrams(run: str) -> list[str]:
    """A CJK run as its overlapping character bigrams (a lone character stays itself)."""
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def _split_cjk(word: str) -> list[str]:
    """A \\w+ word with CJK runs in it ("fedrampの重要な変更がjab") as its other parts, whole,
    and each run's bigrams, in order."""
    out: list[str] = []
    at = 0
    for m in _CJK_RUN.finditer(word):
        if m.start() > at:
            out.append(word[at : m.start()])
        out += _cjk_bigrams(m.group(0))
        at = m.end()
    if at < len(word):
        out.append(word[at:])
    return out


# A word written with hyphens ("start-ups", "e-commerce", "co-chairs"), letters only.
_HYPHENATED = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z]+(?:-[A-Za-z]+)+(?![A-Za-z0-9-])")


def tokens(text: str, joined: bool = True) -> list[str]:
    """Content tokens for matching: stopwords out, English words stemmed (Porter2), Chinese
    and Japanese as character bigrams. A hyphenated word is its parts and, after the text's
    other tokens (unless not ``joined``), the parts joined: "start-ups" finds "startups", and
    "startups" it."""
    stop = stopwords()
    kept = []
    for w in words(text):
        parts = _split_cjk(w) if _CJK_RUN.search(w) else [w]
        kept += [p for p in parts if p not in stop]
    kept += [
        m.group(0).replace("-", "").lower()
        for m in (_HYPHENATED.finditer(text) if joined else ())
        if not _CJK_RUN.search(m.group(0))
    ]
    return [w if w[0].isdigit() or _CJK_RUN.match(w) else _stem(w) for w in kept]


# --- names and numbers: what an answer may only state when a passage states it ---------------

_NAME = re.compile(r"\b(?:[A-Z][\w&'-]*(?:\s+(?:(?:and|of|for|in|the|on)\s+)?[A-Z][\w&'-]*)*)")
# A sentence may end inside a closing quote or bracket: '... Report (RAR)." This report ...'.
_SENTENCE_START = re.compile(r"(?:^|[.!?。！？:;][\"'”’)\]]*\s+|\n)\W*$")


def names(text: str) -> set[str]:
    """Capitalised word runs and acronyms. A run that starts a sentence counts only when it has
    a second capitalised word or is an acronym ("Indonesia and China", "OECD"), since a single
    capital there may be any word ("According ..."); a leading stopword is left out."""
    found: set[str] = set()
    for m in _NAME.finditer(text):
        run = m.group(0).split()
        if _SENTENCE_START.search(text[: m.start()]):
            if run[0].lower() in stopwords():
                run = run[1:]
            capitals = [w for w in run if w[:1].isupper()]
            if not run or (len(capitals) < 2 and not run[0].isupper()):
                continue
        found.add(" ".join(run))
    return found


_LINK = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.]+", re.IGNORECASE)


def links(text: str) -> list[str]:
    """Web addresses and e-mail addresses, without trailing punctuation."""
    return [m.group(0).rstrip(".,;:!?)]") for m in _LINK.finditer(text)]


# Digits not glued to a Latin word (Han and kana may touch them: "约9000亿", "は2020年"), an
# optional percent sign and an optional scale word.
# A number starts after no letter or digit ("COVID19" and "B-326944" name things), except
# after a currency code written against it ("Rp2.000.000.000,00", "Rp.4.000", "RM5", "USD10").
_CURRENCY_GLUED = ("Rp", "Rp.", "IDR", "USD", "EUR", "GBP", "RM", "MYR", "Rs", "INR", "RMB")
_NUMBER = re.compile(
    "(?:(?<![A-Za-z0-9_.])|"
    + "|".join(f"(?<=(?<![A-Za-z]){re.escape(code)})" for code in _CURRENCY_GLUED)
    + r")(\d+(?:[.,]\d+)*)(?:\s*(%))?(?:\s*([A-Za-z]+|[万萬亿億千百兆]+))?"
)
_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
    "ribu": 1e3,
    "juta": 1e6,
    "miliar": 1e9,
    "milyar": 1e9,
    "triliun": 1e12,
    "千": 1e3,
    "万": 1e4,
    "百万": 1e6,
    "亿": 1e8,
    "十亿": 1e9,
    "百亿": 1e10,
    "千亿": 1e11,
    "万亿": 1e12,
    "千万": 1e7,
    "億": 1e8,
    "萬": 1e4,
    "十億": 1e9,
    "百億": 1e10,
    "千億": 1e11,
    "兆": 1e12,
}


def _parse_number(
    digits: str, marks: tuple[tuple[str, str], ...] = ((",", "."), (".", ","))
) -> list[float]:
    """Readings of '1,234.5' / '3,7' / '270': English and Indonesian separators both. A
    thousands mark has three digits after it, every time, and none after the decimal mark:
    "1.5" is never 15 (then "15 million" passed as "1.5 million")."""
    readings = []
    for thousands, decimal in marks:
        head, _, tail = digits.partition(decimal)
        if thousands in tail or any(len(g) != 3 for g in head.split(thousands)[1:]):
            continue
        candidate = digits.replace(thousands, "").replace(decimal, ".")
        try:
            readings.append(float(candidate))
        except ValueError:
            continue
    return readings


class Number(NamedTuple):
    digits: str
    values: set[float]  # what it can mean: its readings, and those times its scale word
    scaled: set[float]  # the readings times its scale word ("600 billion": 6e11); empty: none


# Content words this close to a number say what it counts ("12 members", "strategy ... in
# 2020"): four on each side hold the noun and its verb in English policy prose.
NUMBER_CONTEXT_WORDS = 4


def _number(m: re.Match[str]) -> Number:
    digits, _, unit = m.groups()
    # Chinese and Japanese write a comma for thousands only ("6,000億"), never for decimals.
    cjk = bool(unit) and bool(_CJK_RUN.match(unit))
    values = set(_parse_number(digits, ((",", "."),) if cjk else ((",", "."), (".", ","))))
    scale = _SCALES.get((unit or "").lower())
    scaled = {v * scale for v in values} if scale else set()
    return Number(re.sub(r"\D", "", digits), values | scaled, scaled)


# Month names in the documents' languages, in calendar order (English, then Indonesian, then
# their abbreviations).
MONTH_NAMES = (
    ("january", "januari", "jan"),
    ("february", "februari", "feb"),
    ("march", "maret", "mar"),
    ("april", "apr"),
    ("may", "mei"),
    ("june", "juni", "jun"),
    ("july", "juli", "jul"),
    ("august", "agustus", "aug", "agu"),
    ("september", "sep", "sept"),
    ("october", "oktober", "oct", "okt"),
    ("november", "nopember", "nov"),
    ("december", "desember", "dec", "des"),
)
# A month's name, in English or Indonesian, in full or short, lower case -> its number (1-12).
MONTH_NUMBER = {name: i + 1 for i, names in enumerate(MONTH_NAMES) for name in names}
# Capitalised or in capitals, as a date writes it: the verb "may" never is ("4 may be ...").
_MONTH = "|".join(f"{m.capitalize()}|{m.upper()}" for m in MONTH_NUMBER)
# A month named beside a figure: a day before it and a year or a stop after ("22 May 2019",
# "3 Sept. 2020", "1 Januari sampai 31 Desember"), or a day or year after it ("May 22, 2019",
# "Mei 2009").
_NAMED_MONTH = re.compile(
    rf"(?<![\w.,-])\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?(?=\s+\d{{4}}|\s*[,.;:)]|\s*$)"
    rf"|\b({_MONTH})\b\.?\s+\d{{1,4}}\b"
)
# A month written with its number, as Chinese and Japanese do: "2019年5月22日".
_NUMBERED_MONTH = re.compile(r"(?<!\d)(\d{1,2})(\s*月)")


def months_named(text: str) -> set[int]:
    """The months (1-12) the text names beside a figure."""
    return {MONTH_NUMBER[(a or b).lower()] for a, b in _NAMED_MONTH.findall(text)}


def without_named_months(text: str, named: set[int]) -> str:
    """The text with the number of each month written by its number ("5" of "5月") taken out
    when that month is in ``named``: another text states it by its name."""

    def drop(m: re.Match[str]) -> str:
        return m.group(2) if int(m.group(1)) in named else m.group(0)

    return _NUMBERED_MONTH.sub(drop, text)


def numbers(text: str) -> list[Number]:
    """Each number in the text: its digits, and the values it can mean (scale words applied)."""
    return [_number(m) for m in _NUMBER.finditer(text)]


# A figure in a sentence: a digit not used as a list or clause number ("(2)", "3.", "a.").
_ENUMERATOR = re.compile(r"^\s*(\(?\w{1,3}[.)]\s+)+")
# A list run into one sentence ("shall be to (1) ensure ...; (2) lead ...; and (3) ..."): an
# item's mark after the separator of the item before it, and the first item's "(1)" when such
# a mark follows. A number's digits in brackets after its words ("two (2) deputy chairs",
# "lima (5) tahun") follow no separator: they are figures.
_INLINE_MARK = re.compile(r"(?<![\w)])\((\d{1,2})\)(?=\s)")
_AFTER_SEPARATOR = re.compile(r"[;:,]\s*(?:(?:and|or|dan|atau)\s+)?$", re.IGNORECASE)
# A bracketed part of a reference: "(a)", "(1)", "(iv)", "(A)"; not a year ("(2023)").
_REFERENCE_PART = r"(?:\s*\((?:\d{1,3}|(?-i:[a-z]{1,4}|[A-Z]))\))*"
# ... nor a reference to a part of a text ("(See Section 2.2.2)", "§ 9411(a)", "Pasal 5 ayat
# (2)", "第5条", "15 U.S.C. 9411", "pp. 12-15"): where something is said, not a figure it
# states. Abbreviations need their full stop ("hal." is a page; "dalam hal 2 pihak" a matter).
_REFERENCE_NUMBER = re.compile(
    r"\b(?:(?:sections?|subsections?|paragraphs?|articles?|chapters?|titles?|annex(?:es)?|"
    r"appendix|appendices|pages?|pasal|ayat|bab|huruf|halaman|lampiran)\.?|(?:sec|pp?|hal)\.)"
    rf"\s*\(?\d[\d.]*[a-z]?\)?{_REFERENCE_PART}(?:\s*[-–]\s*\d[\d.]*{_REFERENCE_PART})?"
    rf"|§+\s*\d[\w.–-]*{_REFERENCE_PART}"
    rf"|\b\d+\s*U\.\s?S\.\s?C\.\s*§*\s*\d[\w.–-]*{_REFERENCE_PART}"
    r"|第\s*\d+\s*[条條章节節款项項]",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"\d")


def _without_inline_marks(text: str) -> str:
    """The text without the marks of a list run into it (see _INLINE_MARK)."""
    marks = list(_INLINE_MARK.finditer(text))
    items = [m for m in marks if _AFTER_SEPARATOR.search(text[: m.start()])]
    if not any(m.group(1) != "1" for m in items):
        return text
    first = [m for m in marks if m.group(1) == "1"][:1]
    for m in sorted(items + first, key=lambda m: -m.start()):
        text = f"{text[: m.start()]} {text[m.end() :]}"
    return text


def without_references(sentence: str) -> str:
    """The sentence without its list or clause marks and references to parts of a text: what
    is left of its digits are its figures."""
    return _without_inline_marks(_ENUMERATOR.sub("", _REFERENCE_NUMBER.sub(" ", sentence)))


def states_figure(sentence: str) -> bool:
    """Does a sentence state a figure (a digit that is not its list or clause number, nor a
    reference to a part of a text)?"""
    return bool(_FIGURE.search(without_references(sentence)))


# What may stand between a number and the word it counts: nothing ("12 members"), or for a share
# its sign or "percent" and an "of" ("53% of teachers", "40 percent of all the firms").
_COUNT_GAP = re.compile(r"[\s$%]*$")
_SHARE_GAP = re.compile(
    r"[\s$]*(?:%|\bper ?cent)?\s*(?:\bof\s+(?:all\s+)?(?:(?:the|its|their)\s+)?)?$", re.I
)
_PERCENT = "percent"
_ALL = {"all"}
# English prepositions that follow a number without being what it counts ("$15,000,000 per
# year", "2022 through 2025"): a closed class of the language, beside the stopwords.
_NOT_COUNTED = (
    "per through from until till after before over under each every since during within "
    "between against about above below across toward towards via than plus up"
)
# A sum of money counts its currency, not the word after it.
_CURRENCY_BEFORE = re.compile(
    r"(?:[$€£¥₹]|\b(?:US\$|" + "|".join(re.escape(c) for c in _CURRENCY_GLUED) + r"))\s?$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _not_counted() -> frozenset[str]:
    return frozenset(_stem(w) for w in _NOT_COUNTED.split())


@dataclass(frozen=True)
class NumberInContext:
    number: Number
    near: frozenset[str]  # stems of the content words around it
    counts: str | None  # stem of the word right after it ("12 members"), if one follows


def numbers_in_context(text: str) -> list[NumberInContext]:
    """Each number with the content words around it and the word it counts."""
    stop = stopwords()
    spans = [(m.start(), m.group(0).lower()) for m in _TOKEN.finditer(text)]
    content = [(a, _stem(w)) for a, w in spans if w not in stop and not w[0].isdigit()]
    out = []
    for m in _NUMBER.finditer(text):
        start, end = m.span(1)  # the digits: a word after them is context, scale word or not
        before = [w for a, w in content if a < start]
        after = [(a, w) for a, w in content if a >= end]
        near = frozenset(
            before[-NUMBER_CONTEXT_WORDS:] + [w for _, w in after][:NUMBER_CONTEXT_WORDS]
        )
        # The word right after the digits is what they count, unless it is a scale word (a
        # value compared above: "600 billion" may be "600,000 million" or "6000亿").
        scale = (m.group(3) or "").lower() in _SCALES
        # A share counts the word after its "of": "53% of teachers", "40 percent of all firms".
        rest = after
        if rest and rest[0][1] == _PERCENT and not text[end : rest[0][0]].strip(" $"):
            rest = rest[1:]
        elif (
            len(rest) > 1
            and (rest[0][1], rest[1][1]) == ("per", "cent")
            and not text[end : rest[0][0]].strip(" $")
        ):
            rest = rest[2:]  # "53 per cent of teachers"
        share = rest is not after or text[end : end + 2].strip().startswith("%")
        if share and len(rest) > 1 and rest[0][1] in _ALL:
            rest = rest[1:]
        gap = text[end : rest[0][0]] if rest else ""
        follows = rest and (_SHARE_GAP if share else _COUNT_GAP).match(gap) and not scale
        follows = follows and rest[0][1] not in _not_counted()
        follows = follows and not _CURRENCY_BEFORE.search(text[:start])
        out.append(NumberInContext(_number(m), near, rest[0][1] if follows else None))
    return out


def number_is_stated_with(number: NumberInContext, stated: list[NumberInContext]) -> bool:
    """Stated with the same value and, where the answer says what the number counts (the word
    right after it), near that same word: "15 members" is not stated by "Title 15 (Commerce"."""
    return any(
        number_is_stated(number.number, [other.number])
        and (number.counts is None or number.counts in other.near)
        for other in stated
    )


def number_is_stated(number: Number, stated: list[Number], bare_digits: bool = False) -> bool:
    """Same digits, or the same value (600 billion = 6000亿 = 600,000 million); when both say a
    scale word, the scaled values must agree ("600亿", 6e10, is not "600 billion"), and when
    only the stating text says one, the number must have its scaled value ("17 negara", 17
    countries, is not "US$17 billion"; "1,000,000,000" is "1 billion"). A scale word the
    number says and the text does not may be in a header ("Table 2 (US$ billion): 600").
    ``bare_digits``: the number is a claim's digits, its scale word left behind, so the same
    digits state it whatever scale word the text says."""

    def same(a: set[float], b: set[float]) -> bool:
        return any(math.isclose(x, y, rel_tol=1e-6) for x in a for y in b)

    for other in stated:
        if other.scaled and not bare_digits:
            if same(number.scaled or number.values, other.scaled):
                return True
        elif number.digits == other.digits or same(number.values, other.values):
            return True
    return False


def says_words(text: str, words: str) -> bool:
    """Does the text say the words as whole words (not inside longer ones), in any case?"""
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text, re.IGNORECASE) is not None


def name_is_stated(name: str, text: str, text_stems: set[str]) -> bool:
    """Is a name from an answer in the text: verbatim, by stems, or as a derived form (a
    possessive's "'s" aside: "the Recommendation's" names the Recommendation)."""
    name = name.removesuffix("'s").removesuffix("’s")
    lowered = text.lower()
    if name.lower() in lowered:
        return True
    parts = tokens(name, joined=False)  # "Sub-Saharan" is stated by "Sub–Saharan" too
    if parts and all(p in text_stems for p in parts):
        return True
    # "Indonesian" for "Indonesia", "Chinese" for "China": the name extends a word of the text.
    content = [w for w in words(name) if w not in stopwords()]
    return bool(content) and all(
        len(w) >= 4 and any(s.startswith(w[:4]) for s in text_stems) for w in content
    )


# A heading: one short line that does not end like a sentence. 120 characters holds the longest
# section titles of the seed article, the US Code and the OECD and World Bank papers.
MAX_HEADING_CHARS = 120
_SENTENCE_ENDS = (".", "!", "?", ":", ";", "。", "！", "？", "…", '"', "”", ")")


def is_heading(block: str) -> bool:
    block = block.strip()
    if block.startswith("#"):
        return True
    one_line = "\n" not in block
    return one_line and len(block) <= MAX_HEADING_CHARS and not block.endswith(_SENTENCE_ENDS)


def is_list_item(text: str) -> bool:
    """Does the text start with a list item's mark ("(i) ", "a. ", "- ", "• ")?"""
    return LIST_MARKER.match(text) is not None


def list_items_after(
    lead_in: str, following: Sequence[str], room: int, size: Callable[[str], int] = len
) -> int:
    """How many of the sentences after a lead-in are its list, as far as ``room`` holds them
    (each taking ``size``): anything after a colon (a slide's lines), only items after a run-on
    lead-in (the next sentence of the passage is not)."""
    colon = lead_in.rstrip().endswith(LEAD_IN_ENDS)
    taken = 0
    for text in following:
        if not (colon or is_list_item(text)) or size(text) > room:
            break
        room -= size(text)
        taken += 1
    return taken


def leads_into_list(sentence: str, following: str | None) -> bool:
    """Does the sentence introduce the list that follows it: it ends with a colon, or it runs
    on without an end into a list item, the US Code's way ("The Task Force shall be composed of
    12 members ..., of whom" / "(i) 4 shall be ...")? An item is no lead-in (bullets without
    full stops, "(ii) ...; and" before "(iii)"), nor is a short line (a heading)."""
    text = sentence.rstrip()
    if text.endswith(LEAD_IN_ENDS):
        return True
    if following is None or not is_list_item(following) or is_list_item(text):
        return False
    if _ITEM_GOES_ON.search(text):
        return False
    if text.endswith((",", "—", "–")):  # "The Director shall—": no heading ends so
        return True
    return text[-1:].isalnum() and len(words(text)) >= MIN_RUN_ON_WORDS


def is_heading_line(text: str) -> bool:
    """A heading, and not a list item going on: a line with a semicolon ("c. pembatasan
    kegiatan usaha; dan", "(B) the design; and") continues a list, never heads a section."""
    return ";" not in text and is_heading(text)


def item_goes_on(text: str) -> bool:
    """A list item that runs on into the next ("(ii) $240,000,000 for fiscal year 2024;",
    "c. pembatasan kegiatan usaha; dan"): a piece of one enumeration, where the next item is a
    parallel one (another year's sum), unlike a numbered paragraph that states a whole rule
    ("(4) Permohonan perizinan otomatis berlaku apabila ...")."""
    return is_list_item(text) and _ITEM_GOES_ON.search(text.rstrip()) is not None


# How running text ends, inside any closing quote or bracket ('... "yes."', "(see Annex 2.)"):
# a line ending in a bracket alone ("... (CoP)") is a title's or a slide's.
_CLOSERS = "\"”’')）]"
_RUNNING_TEXT_ENDS = tuple(end for end in _SENTENCE_ENDS if end not in _CLOSERS)
# A footnote's mark after a sentence's end ("... in August 2020.[3]", "... in 2020.12").
_FOOTNOTE_MARK = re.compile(r"(?<=[.!?;:。])\s*(?:\[\d{1,3}\]|\d{1,3})$")


def heads_next_part(line: str, before: str) -> bool:
    """Is the line the title of what follows ``before``: a heading line ("2.1 Data Sources") after
    running text, or one marked ("# Funding") or in capitals anywhere. After a line that does not
    end like a sentence (a slide's line, a decision's title, a table's row, "Version 2.0 —
    Published by the Federal RPA Community of Practice (CoP)") an unended line is its sibling
    ("December 29, 2021"), not a title."""
    if not is_heading_line(line):
        return False
    marked = line.lstrip().startswith("#") or is_capitals_heading(line)
    return marked or ends_running_text(before)


def ends_running_text(text: str) -> bool:
    """Does the text end as a sentence of running text does (a full stop, a colon, a semicolon,
    inside any closing quote or bracket)?"""
    return _FOOTNOTE_MARK.sub("", text.rstrip()).rstrip(_CLOSERS).endswith(_RUNNING_TEXT_ENDS)


# A heading in capitals: at least this many cased letters, this share of them upper case (an
# acronym-heavy sentence such as "The CSP must notify the JAB and FedRAMP PMO" is far below).
HEADING_MIN_LETTERS = 12
HEADING_UPPER_SHARE = 0.8


def is_capitals_heading(text: str) -> bool:
    """A line written in capitals ("EXPLANATION OF GOVERNMENT REGULATION NUMBER 46"): in any
    cased script, running text is mostly lower case. Scripts without case never match."""
    letters = [c for c in text if c.isalpha() and (c.isupper() or c.islower())]
    if len(letters) < HEADING_MIN_LETTERS:
        return False
    return sum(c.isupper() for c in letters) >= HEADING_UPPER_SHARE * len(letters)


def passage_sentences(text: str, lang: str = "en") -> list[str]:
    """The sentences of a passage's blank-line-separated blocks, its headings left out: a
    Markdown heading, and the heading path a passage starts with. Any other short line is
    read: a date line under a signature, "LEVEL 4: 70-89 points", a slide's bullet or a line
    of a scanned page say what a reader asks about (taken for headings, 771 blocks of the dev3
    documents were never read)."""
    out: list[str] = []
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    for i, block in enumerate(blocks):
        if block.lstrip().startswith("#") or (i == 0 and is_heading(block)):
            continue
        for part in _at_lead_ins(block):
            out.extend(split_sentences(part, lang))
    return out


# A labelled line ("SCR field: ...; Included Information: ...", a table's row of cells).
_LABELLED = re.compile(r"^[^:：]{1,30}[:：]\s")
# A lead-in line has at least this many words: a shorter one is a label with its value on the
# next line ("Date of entry into force:" / "22 May 2019").
MIN_LEAD_IN_WORDS = 6


def _at_lead_ins(block: str) -> list[str]:
    """The block cut after each line of at least ``MIN_LEAD_IN_WORDS`` words that ends with a
    colon and is followed by an unmarked item: a capitalised line without a full stop. A
    slide's or a Word list's items have no marks ("Employees may not engage in political
    activity while:" / "On duty" / "Using a government vehicle"), and read on from the lead-in
    as one sentence, the first item would pass for its end. Marked items ("a. ...", "(1) ...")
    are cut by their marks already, a table's rows of labelled cells stay under their caption
    ("Table 3-1, rows 2–6:" / "SCR field: ...; Included Information: ..."), and a lead-in's
    running text, a date or a sentence stays with it."""
    parts: list[str] = []
    lines: list[str] = []
    given = block.split("\n")
    for i, line in enumerate(given):
        lines.append(line)
        following = given[i + 1].strip() if i + 1 < len(given) else ""
        if (
            line.rstrip().endswith(LEAD_IN_ENDS)
            and len(line.split()) >= MIN_LEAD_IN_WORDS
            and following[:1].isupper()
            and not ends_running_text(following)
            and not is_list_item(following)
            and not _LABELLED.search(following)
        ):
            parts.append("\n".join(lines))
            lines = []
    return [p for p in [*parts, "\n".join(lines)] if p.strip()]
