"""Step 5, verify: a generated answer states only what its passages state.

Every link, number, date and proper name in an answer sentence must occur in a passage the
sentence cites (any variant of it), or, for a sentence without markers, in one of the evidence
passages; an English sentence must also share some of its rare words with them. A sentence that
fails is re-pointed to a passage that states it, or, when all it adds are the question's own
words, repaired from the passage sentence it restates; otherwise it is dropped. What is left
must still say something the question did not ("X is [1]." or the question echoed back says
nothing). A sentence giving a date that its passages only count a length of time from ("By
January 1, 2021" over "Not later than 1 year after January 1, 2021": deadline), or a yes-or-no
verdict its passage turns around (negation), is dropped too. A model that declines, with the
sentinel or in words of the same meaning, has refused.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from chatbot.pipeline.citations import (
    MARKER,
    MIN_RESTATEMENT,
    cited_numbers,
    remark,
    split_answer_sentences,
    with_marker,
)
from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.deadline import counted_from
from chatbot.pipeline.evidence import Evidence
from chatbot.pipeline.figure_kind import counts_only_numbered, lengths_unstated
from chatbot.pipeline.name_swap import (
    FUNCTION_WORDS,
    MAX_ANCHORS,
    coordinated,
    could_swap,
    other_year,
    sentences_of,
    swapped_name,
    unnamed_subject,
    years_in,
)
from chatbot.pipeline.negation import turned_around
from chatbot.pipeline.prompts import DOCUMENT_NOUNS, SENTINEL, SENTINEL_ANY_CASE
from chatbot.pipeline.understand import Query
from core.text import (
    LANGUAGE_NAMES,
    document_language,
    ends_with_abbreviation,
    links,
    months_named,
    name_is_stated,
    names,
    number_is_stated,
    number_is_stated_with,
    numbers,
    numbers_in_context,
    passage_sentences,
    says_words,
    tokens,
    without_named_months,
    words,
)

Outcome = Literal["answered", "refused", "unsupported"]
# A run of 20+ characters said three or more times in a row: a small model looping.
_LOOP = re.compile(r"(.{20,}?)(?:\1){2,}", re.DOTALL)
# The sentinel in capitals with spaces for underscores; in lower case it is prose ("assets not
# in documents filed with OJK").
_SPACED_SENTINEL = SENTINEL.replace("_", " ")
# A phrase of this many words said three times in one sentence, when its passages do not say it
# so often, is a loop inside a sentence ("activities prohibited by restriction on activities
# prohibited by restriction on ...").
LOOP_WORDS = 4
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9&]{1,}\b")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9&'-]*(?:\s+[A-Za-z][A-Za-z0-9&'-]*)*")
# A list item's number ("1. ...", "... benefits: 2) ...", "。 3."): at the start, or after a
# sentence's end (a Latin one after a word, with a space), never inside a figure ("4.5.",
# "3:1.", "08.00.") nor after an abbreviation ("Regulation No. 46.").
_LIST_NUMBER = re.compile(r"(?:^\s*|(?<=\D[.!?:])\s+|(?<=[。．！？：])\s*)\d{1,2}[.)](?!\d)")


def _list_numbers(sentence: str) -> list[re.Match[str]]:
    return [
        m
        for m in _LIST_NUMBER.finditer(sentence)
        if not ends_with_abbreviation(sentence[: m.start()].rstrip())
    ]


def without_list_numbers(sentence: str) -> str:
    """The sentence without its list items' numbers (they count items, they state nothing)."""
    for m in reversed(_list_numbers(sentence)):
        sentence = sentence[: m.start()] + " " + sentence[m.end() :]
    return sentence


def _without_next_item(sentence: str) -> str:
    """The sentence without the next list item's number left at its end ("... donasi. 2.")."""
    found = _list_numbers(sentence)
    if found and found[-1].start() > 0 and not sentence[found[-1].end() :].strip():
        return sentence[: found[-1].start()].rstrip()
    return sentence


@dataclass(frozen=True)
class Verdict:
    text: str  # the sentences that passed, markers kept
    outcome: Outcome
    dropped: list[str] = field(default_factory=list)  # sentences removed, with the reason
    # Dropped sentences that stated a number no passage states (without what says where the
    # answer was read: "page 7"), or said of what was asked what their passage says of a
    # neighbour or of another year (name_swap): the model made up the very thing asked for, so
    # the passages most likely do not hold it.
    made_up: list[str] = field(default_factory=list)

    @property
    def invented(self) -> bool:
        return bool(self.made_up)


_YEAR_DIGITS = r"(?:19|20)\d\d(?!\d)"
# A year and a document's noun a few words apart, with no preposition between ("the 2024
# memorandum", "2024年关于人工智能的国家安全备忘录", "Peraturan ... Tahun 2009"; not "in 2022
# under the Act", where the year is the figure's).
_DOCUMENT_YEAR = re.compile(
    rf"(?<!\d)(?P<year>{_YEAR_DIGITS})"
    rf"(?:(?P<between>(?:\s+[\w-]+){{0,3}}?)\s+|[^\d\s.?!。？]{{0,20}}?)(?:{DOCUMENT_NOUNS})"
    rf"|(?:{DOCUMENT_NOUNS})[^.?!。？]{{0,30}}?(?<!\d)(?P<year_after>{_YEAR_DIGITS})",
    re.IGNORECASE,
)


def document_years(question: str) -> set[str]:
    """The years by which the question names a document ("the 2024 memorandum", "PP 46 Tahun
    2009"), not those of the figure it asks ("in fiscal year 2022")."""
    out: set[str] = set()
    for m in _DOCUMENT_YEAR.finditer(question):
        between = (m.group("between") or "").split()
        if any(w.lower() in FUNCTION_WORDS for w in between):
            continue
        out |= {g for g in (m.group("year"), m.group("year_after")) if g}
    return out


def claims_to_check(sentence: str, lang: str) -> list[str]:
    """The names an answer sentence states: capitalised runs in English; in other languages the
    acronyms, and for Chinese or Japanese any Latin-script run (names left untranslated)."""
    if lang == "en":
        return sorted(names(sentence))
    if lang in {"zh", "ja"}:
        return sorted({m.group(0) for m in _LATIN_RUN.finditer(sentence)})
    return sorted(set(_ACRONYM.findall(sentence)))


def new_claims(sentence: str, lang: str, question: str) -> list[str]:
    """The numbers and names of an answer sentence that its question does not already say:
    what a passage must state for the sentence to be its claim."""
    plain = without_list_numbers(MARKER.sub(" ", sentence))
    asked = question.lower()
    asked_numbers = {n[0] for n in numbers(question)}  # whole numbers: "5" is not in "2025"
    found = [n[0] for n in numbers(plain) if n[0] not in asked_numbers]
    return found + [c for c in claims_to_check(plain, lang) if c.lower() not in asked]


# Fewer letters than this are not enough to tell a passage's language by (a list of sums reads
# as Nigerian Pidgin, a table row of shares as Volapük).
MIN_LANGUAGE_LETTERS = 200


@lru_cache(maxsize=4096)
def _in_another_language(text: str) -> bool:
    """Is the passage written in one of the answer languages other than English (told from
    enough of its letters)?"""
    if sum(ch.isalpha() for ch in text) < MIN_LANGUAGE_LETTERS:
        return False
    lang = document_language(text)
    return lang != "en" and lang in LANGUAGE_NAMES


def _over_another_language(cited: list[int], texts: list[str]) -> bool:
    """Does the sentence cite only passages written in another language than English?"""
    return bool(cited) and all(_in_another_language(t) for t in texts)


def unstated(sentence: str, texts: list[str], lang: str) -> list[str]:
    """Links, numbers and names in the sentence that none of the texts states."""
    plain = without_list_numbers(MARKER.sub(" ", sentence))
    joined = "\n".join(texts)
    found_links = links(plain)
    for link in found_links:  # a link's digits and words are checked as the link
        plain = plain.replace(link, " ")
    stems = set(tokens(joined))
    missing = [link for link in found_links if link.lower() not in joined.lower()]
    if lang == "en":  # the words around a number must match too (other languages: its value)
        # ... of an English passage; another language's states "20 days" by its value alone
        # ("20 (dua puluh) hari kerja")
        english = [not _in_another_language(text) for text in texts]
        stated = [
            n for t, en in zip(texts, english, strict=True) if en for n in numbers_in_context(t)
        ]
        values = [n for t, en in zip(texts, english, strict=True) if not en for n in numbers(t)]
        missing += [
            n.number[0]
            for n in numbers_in_context(plain)
            if not number_is_stated_with(n, stated) and not number_is_stated(n.number, values)
        ]
    else:
        stated_numbers = numbers(joined)
        # "2019年5月22日" over "22 May 2019": the month is stated by its name.
        said = without_named_months(plain, months_named(joined))
        missing += [n[0] for n in numbers(said) if not number_is_stated(n, stated_numbers)]
    missing += [
        name for name in claims_to_check(plain, lang) if not name_is_stated(name, joined, stems)
    ]
    return missing


def loops(sentence: str, texts: list[str]) -> bool:
    """Does the sentence say a phrase of ``LOOP_WORDS`` words three times, more often than
    its passages do?"""
    counts = _phrases(MARKER.sub(" ", sentence))
    looping = [phrase for phrase, n in counts.items() if n >= 3]
    if not looping:
        return False
    at = _phrases("\n".join(texts))
    return any(at[phrase] < counts[phrase] for phrase in looping)


def _phrases(text: str) -> Counter[tuple[str, ...]]:
    """How often the text says each run of ``LOOP_WORDS`` words."""
    said = words(text)
    return Counter(tuple(said[i : i + LOOP_WORDS]) for i in range(len(said) - LOOP_WORDS + 1))


# Where in the passages something is said ("p.6.", "pp. 4-5", "hal. 12", "paragraph 12",
# "passage 2", "Pasal 8", "第16節", "7ページ"): the kind of short tail that joins an echoed
# question into one sentence, and numbers a draft may make up without making up a figure.
_REFERENCE = re.compile(
    r"\b(?:pp?|pages?|hal|halaman|paragraphs?|paras?|sections?|sec|passages?|pasal|ayat|bab|"
    r"chapters?|articles?)\.?\s*\(?\d+\)?(?:\s*[-–]\s*\d+)?|[¶§]\s*\d+"
    r"|第\s*\d+(?:\.\d+)*(?:\s*\([a-zA-Z0-9]{1,4}\))*\s*[段节節页頁条條章款项項]|\d+\s*(?:ページ|頁|页)",
    re.IGNORECASE,
)


def echoes_question(sentence: str, question: str) -> bool:
    """Does the sentence ask the question back ("Menurut ..., berapa bagian ... [1]? p.6.")?
    What it says up to its question mark is all in the question, and what follows the mark
    (a page number that made it one sentence with it) says nothing new either: "What share
    owns a phone? About 74% [1]." answers."""
    parts = re.split(r"[?？]", MARKER.sub(" ", sentence), maxsplit=1)
    if len(parts) < 2:
        return False
    head, tail = parts
    tail = _REFERENCE.sub(" ", tail)
    return not says_something(head, question) and not says_something(tail, question)


def says_something(sentence: str, question: str) -> bool:
    """Does the sentence hold a word the question does not (beyond markers)?"""
    asked = set(tokens(question))
    return any(t not in asked for t in tokens(MARKER.sub(" ", sentence)))


def restates(sentence: str, texts: list[str], idf: IdfTable) -> float:
    """Share of the sentence's rare-word mass that the texts hold (0..1)."""
    plain = MARKER.sub(" ", sentence)
    return max((idf.coverage(plain, text) for text in texts), default=0.0)


def restatement(sentence: str, evidence: Evidence, cited: list[int], idf: IdfTable) -> str | None:
    """The evidence sentence that clearly restates ``sentence`` (one of a cited passage first;
    small models often cite the wrong number), with its marker; None when none does."""
    plain = MARKER.sub(" ", sentence)
    for pool in ([e for e in evidence.sentences if e.number in cited], evidence.sentences):
        best = max(pool, key=lambda e: idf.coverage(plain, e.text), default=None)
        if best is not None and idf.coverage(plain, best.text) >= MIN_RESTATEMENT:
            return with_marker(best.text, best.number, ".")
    return None


def states_claim(
    sentence: str, texts: list[str], lang: str, idf: IdfTable, min_share: float
) -> bool:
    """Do the texts state every link, number and name of the sentence and, for an English
    sentence, at least ``min_share`` of its rare-word mass?"""
    if unstated(sentence, texts, lang):
        return False
    return lang != "en" or restates(sentence, texts, idf) >= min_share


def _lend_markers_back(
    sentences: list[str],
    query: Query,
    evidence: Evidence,
    every: list[str],
    idf: IdfTable,
    min_overlap: float,
) -> tuple[list[str], list[str]]:
    """The sentences, a citation-only one ("X. This is recommended by [2].") folded into the
    unmarked sentence before it when that passage states it: its marker says where that
    sentence's claim comes from, its words say nothing (none beyond the question's, or, in
    English, almost none of ``every`` passage text holds). Also the folded sentences, as
    dropped."""
    out: list[str] = []
    folded: list[str] = []
    for sentence in sentences:
        markers = [n for n in cited_numbers(sentence) if n in evidence.passages]
        empty = not says_something(sentence, query.text) or (
            query.lang == "en" and restates(sentence, every, idf) < min_overlap
        )
        if markers and empty and out and not cited_numbers(out[-1]):
            texts = evidence.texts_of(markers[0])
            if states_claim(out[-1], texts, query.lang, idf, min_overlap):
                out[-1] = with_marker(out[-1], markers[0])
                folded.append(f"{sentence} (its marker given to the sentence before it)")
                continue
        out.append(sentence)
    return out, folded


def anchors(sentence: str, texts: list[str], query: Query, idf: IdfTable) -> list[str]:
    """The sentences of the texts that state the answer sentence's facts: those stating the most
    of its numbers (by value: the words around one may be what was swapped) and names the
    question does not say; without such claims, the sentence that restates its words best
    (when one clearly does)."""
    claims = new_claims(sentence, query.lang, query.text)
    candidates = sentences_of(texts)
    if claims:
        stated = {c: sum(_states(claim, c) for claim in claims) for c in candidates}
        most = max(stated.values(), default=0)
        return [c for c in candidates if most and stated[c] == most]
    plain = MARKER.sub(" ", sentence)
    best = max(candidates, key=lambda c: idf.coverage(plain, c), default=None)
    return [best] if best is not None and idf.coverage(plain, best) >= MIN_RESTATEMENT else []


def _states(claim: str, text: str) -> bool:
    """Does the text state the claim (a number by its value, a name in any of its forms)?"""
    if any(ch.isdigit() for ch in claim):
        wanted = numbers(claim)
        return bool(wanted) and number_is_stated(wanted[0], numbers(text), bare_digits=True)
    return name_is_stated(claim, text, set(tokens(text)))


def _document_names(evidence: Evidence, n: int, name: str) -> bool:
    """Does a passage of passage n's document among the evidence name it (no number): the
    words themselves, or for one word a form it derives from ("Indonesian" from "Indonesia",
    at most three letters longer; a shared first four letters, as ``name_is_stated`` allows
    elsewhere, would let "Singaporean" through on "single")?"""
    if any(ch.isdigit() for ch in name):
        return False
    wanted = " ".join(name.lower().split())
    doc_id = evidence.passages[n].doc_id
    for k, p in evidence.passages.items():
        if p.doc_id != doc_id:
            continue
        text = " ".join("\n".join(evidence.texts_of(k)).lower().split())
        if says_words(text, wanted):
            return True
        if " " not in wanted and any(
            len(word) >= max(4, len(wanted) - 3) and wanted.startswith(word)
            for word in set(re.findall(r"\w+", text))
        ):
            return True
    return False


# Where a sentence's clauses part: a year in one clause ("As of December 2022, it employed
# 1,200 staff") is not the year of another's figure.
_CLAUSE_END = re.compile(r"[,;:]\s+|[，；、：]\s*|\s+(?:and|dan)\s+")


def _dated(sentence: str, texts: list[str], query: Query, idf: IdfTable) -> str:
    """The answer sentence and, when it says no year and states a number, the clauses of the
    passage sentences stating its figures (one or two: more do not tell which it restates)
    that state them: a bare "$911,400,000 [1]" gives the year of "(2) $911,400,000 for fiscal
    year 2022;"."""
    figures = _figures(sentence, query)
    if years_in(sentence) or not figures:
        return sentence
    found = anchors(sentence, texts, query, idf)
    if len(found) > MAX_ANCHORS:
        return sentence
    clauses = [
        c for a in found for c in _CLAUSE_END.split(a) if any(_states(f, c) for f in figures)
    ]
    return " ".join([sentence, *clauses])


def _figures(sentence: str, query: Query) -> list[str]:
    """The numbers of an answer sentence that its question does not say."""
    return [c for c in new_claims(sentence, query.lang, query.text) if c[0].isdigit()]


def _stating(sentence: str, query: Query, evidence: Evidence) -> list[str]:
    """The texts of the evidence passages that state every number of the answer sentence that
    the question does not say; none when it states no such number, or when one of them is
    written in another language than English (it shares no words with the question's English
    wording: ``unnamed_subject`` cannot read it)."""
    figures = _figures(sentence, query)
    if not figures:
        return []
    out = []
    for n in evidence.passages:
        text = "\n".join(evidence.texts_of(n))
        if all(_states(figure, text) for figure in figures):
            out.append(text)
    return [] if any(map(_in_another_language, out)) else out


def _sentences_of(text: str, split: dict[str, list[str]]) -> list[str]:
    """A passage's sentences as the evidence step reads them (its heading path left out)."""
    if text not in split:
        split[text] = passage_sentences(text, document_language(text))
    return split[text]


def verify(
    text: str,
    query: Query,
    evidence: Evidence,
    is_refusal: Callable[[str], bool],
    idf: IdfTable,
    min_overlap: float,
    peers: set[frozenset[str]] | None = None,
) -> Verdict:
    """The answer's sentences that its passages state (see the module's docstring); ``peers``,
    the names the documents pair ("Indonesia and China": name_swap), are read from the
    evidence and its titles when not given."""
    if SENTINEL_ANY_CASE.search(text) or _SPACED_SENTINEL in text or is_refusal(text):
        return Verdict("", "refused")
    text = _LOOP.sub(r"\1", text)  # "phases involve: [1] phases involve: [1] ..." once
    kept: list[str] = []
    made_up: list[str] = []
    every = [t for n in evidence.passages for t in evidence.texts_of(n)]
    written = {n.digits for t in every for n in numbers(t)}  # every number's digits, any scale
    # ... and the years by which the question names a document: an answer repeating "2024年"
    # of "2024年的备忘录" made up nothing (its passage need not say the year)
    written |= document_years(query.text)
    titles = {p.title for p in evidence.passages.values()}
    if peers is None:
        peers = coordinated(every, titles)
    named = query.english or query.text  # the documents' names are English ones
    check_swaps = could_swap(named, peers)
    split: dict[str, list[str]] = {}  # a passage's sentences, split once per answer
    sentences, dropped = _lend_markers_back(
        split_answer_sentences(text, query.lang), query, evidence, every, idf, min_overlap
    )
    for sentence in sentences:
        sentence = _without_next_item(sentence)
        if not without_list_numbers(sentence).strip():
            continue  # a list item's number on its own
        cited = [n for n in cited_numbers(sentence) if n in evidence.passages]
        texts = [t for n in cited for t in evidence.texts_of(n)] if cited else every
        missing = unstated(sentence, texts, query.lang)
        if missing and cited:  # repair: another passage may state it; cite that one instead
            other = next(
                (
                    n
                    for n in evidence.passages
                    if not unstated(sentence, evidence.texts_of(n), query.lang)
                ),
                None,
            )
            if other is not None:
                sentence, missing = remark(sentence, other), []
                texts = evidence.texts_of(other)
        if missing and all(m.lower() in query.text.lower() for m in missing):
            # Only the question's own words are unstated ("The fourth opportunity between
            # Indonesia and China is ..." over a passage saying "both countries"): the claim
            # is the passage's; say it in the passage's words.
            restated = restatement(sentence, evidence, cited, idf)
            if restated is not None:
                sentence, missing = restated, []
                texts = evidence.texts_of(cited_numbers(sentence)[0])
            elif cited and all(_document_names(evidence, cited[0], m) for m in missing):
                # An English answer over an Indonesian passage says "Indonesian", as the
                # question did; the document names it in another passage, which the answer
                # then cites too (Answerer._with_name_sources).
                missing = []
        if missing:
            dropped.append(f"{sentence} (not in its passages: {', '.join(missing)})")
            # A made-up number, unless it only says where the answer was read ("page 7"), or
            # its digits are the passages' at another scale ("600亿美元" for "US$600
            # billion": a translation's slip, not an invention): kept without those
            # references, to tell what kind of figure it made up.
            figure = _REFERENCE.sub(" ", MARKER.sub(" ", sentence))
            invented = {m for m in missing if m.isdigit() and m not in written}
            if invented & {n.digits for n in numbers(figure)}:
                made_up.append(figure)
        elif MARKER.sub("", sentence).strip() in {MARKER.sub("", k).strip() for k in kept}:
            dropped.append(f"{sentence} (said already)")  # a small model can loop
        elif loops(sentence, texts):
            dropped.append(f"{sentence} (repeats a phrase: a loop)")
        elif not says_something(sentence, query.text) or echoes_question(sentence, query.text):
            dropped.append(f"{sentence} (says nothing the question does not)")
        elif (
            query.lang == "en"
            and restates(sentence, texts, idf) < min_overlap
            and not (
                _over_another_language(cited, texts) and new_claims(sentence, "en", query.text)
            )
        ):
            # "This is supported by passage [2]." restates nothing; an English answer shares
            # words with what it cites (other languages, and an English answer over a passage
            # in another language, are checked by names and numbers only: it must state one).
            dropped.append(f"{sentence} (shares almost no words with its passages)")
        elif check_swaps and (
            swap := swapped_name(
                # An answer in another language speaks of what was asked: its names are
                # read from the question's English.
                sentence if query.lang == "en" or not query.english else query.english,
                named,
                anchors(sentence, texts, query, idf),
                peers,
                {evidence.passages[n].title for n in cited or evidence.passages},
            )
        ):
            # The passage says it of a neighbour of what was asked: the documents most likely
            # do not say it of what was asked, as with a made-up number.
            dropped.append(f"{sentence} (its passage says this of {swap[1]}, not {swap[0]})")
            made_up.append(sentence)
        elif query.asks_quantity and (
            unnamed := unnamed_subject(
                named,
                _stating(sentence, query, evidence),
                every,
                titles,
            )
        ):
            # The figure comes from a passage that never names what was asked, beside one that
            # does and gives no figure: it is another thing's figure.
            dropped.append(f"{sentence} (its figure's passages never name {', '.join(unnamed)})")
            made_up.append(sentence)
        elif query.asks_for == "count" and (
            numbered := counts_only_numbered(
                MARKER.sub(" ", sentence), every, query.text, query.lang
            )
        ):
            # "How many members ...?" answered in Chinese with the 15 of "Title 15": no
            # passage counts anything by it (they number a clause, a year or a date by it),
            # like a made-up number. (An English answer's count is read in context: unstated.)
            dropped.append(f"{sentence} (its passages never count {', '.join(numbered)})")
            made_up.append(sentence)
        elif lengths := lengths_unstated(MARKER.sub(" ", sentence), every, query.text, query.lang):
            # "6个工作日" (6 working days) over "6 (enam) bulan" (6 months): the value is
            # stated, the length is not. (An English answer's number is read in context.)
            dropped.append(f"{sentence} (its passages never give {', '.join(lengths)})")
            if query.asks_quantity:
                made_up.append(sentence)
        elif counted := counted_from(sentence, every):
            # "By January 1, 2021, the Committee shall submit a report [1]" over "Not later
            # than 1 year after January 1, 2021, the Committee shall submit": a year off.
            dropped.append(f"{sentence} (its passages count from that date: {counted})")
        elif opposite := turned_around(
            # any passage: the model's marker may point at the wrong one (re-pointed later)
            sentence,
            (s for t in every for s in _sentences_of(t, split)),
            query.lang,
        ):
            # "Yes, FedRAMP treats every new code release as a significant change [1]" over
            # "Every new code release is not automatically considered a significant change."
            dropped.append(f"{sentence} (its passage says the opposite: {opposite})")
        elif query.asks_quantity and (
            year := other_year(
                _dated(sentence, texts, query, idf),
                query.text,
                texts,
                {evidence.passages[n].title for n in cited},
            )
        ):
            # "How much ... in fiscal year 2026?" answered with 2025's sum: the passages
            # never say 2026 (a year a question names beside no figure may name a document).
            dropped.append(f"{sentence} (gives {year[1]}'s figure, not {year[0]}'s)")
            made_up.append(sentence)
        else:
            kept.append(sentence)
    if not kept:
        return Verdict("", "unsupported", dropped, made_up)
    return Verdict(" ".join(kept), "answered", dropped, made_up)
