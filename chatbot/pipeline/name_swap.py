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
law) is no substitute for it: an answer may well name the law its passage cites. A neighbour
named for contrast ("Compared with China, the country ...") is not the sentence's subject.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

from core.text import name_is_stated, names, passage_sentences, says_words, tokens

# A capitalised run without "and"/"or" inside it ("Ministry of Finance", "China"), on one line;
# a possessive ends it ("Indonesia's GDP" is Indonesia, then GDP).
_RUN = re.compile(
    r"\b[A-Z][\w&-]*(?:[ \t]+(?:(?:of|for|the|on|in)[ \t]+)?[A-Z][\w&-]*)*(?:['’]s\b)?"
)
# What joins two names in a list: a comma, or "and", "or", their Indonesian forms, "&", "/",
# "versus" (after an optional comma), with an optional article after it. A list joined by
# commas alone is no list ("According to BPS, Indonesia ...", "Jakarta, Indonesia").
_COMMA = re.compile(r"\s*,\s*(?:the\s+)?", re.IGNORECASE)
_CONJUNCTION = re.compile(
    r"\s*,?\s+(?:and|or|dan|atau|serta|&|/|vs\.?|versus)\s+(?:the\s+)?", re.IGNORECASE
)
# Only the members this close in one list pair up (a long list would pair quadratically).
LIST_WINDOW = 8
# Words that capitalised at a sentence's start are not part of a name ("Both Indonesia and
# China", "The OECD", "In China", "Unlike China"): English closed-class words.
FUNCTION_WORDS = frozenset(
    """a an the this that these those both each every all any some either neither no another
    such other in on at by for from of to into onto with without within under over above below
    after before during since until about across against among around between beyond through
    toward towards upon via per like unlike compared than as and or but nor so yet if while
    whereas although though because when where whether how what which who whom whose why
    according also additionally furthermore moreover however meanwhile thus hence therefore
    today yesterday currently recently later finally first second third then now here there
    it its it's he she they their our his her we you your i my is are was were be been has
    have had do does did can could may might must shall should will would not
    explain describe summarize summarise list name tell give""".split()
)
# A word before a name that sets it apart from the sentence's subject.
_CONTRAST = re.compile(
    r"\b(?:unlike|compared\s+(?:with|to)|than|versus|vs\.?|whereas|relative\s+to|"
    r"in\s+contrast\s+to|as\s+opposed\s+to|besides|except|dibandingkan(?:\s+dengan)?|"
    r"daripada|berbeda\s+dengan)\s*(?:the\s+)?$",
    re.IGNORECASE,
)
# More passage sentences than this stating an answer's facts equally well do not tell which
# one it restates.
MAX_ANCHORS = 2
_POSSESSIVE = re.compile(r"['’]s$")
_YEAR = re.compile(r"(?<![\d.,/-])(?:19|20)\d\d(?![\d.,/-]?\d)")


def _plain(name: str) -> str:
    """The name without a possessive and without leading function words ("Both Indonesia",
    "The OECD", "In China"); an acronym is never one ("The US", "WHO")."""
    parts = _POSSESSIVE.sub("", name.strip()).split()
    while parts and parts[0].lower() in FUNCTION_WORDS and not parts[0].isupper():
        parts = parts[1:]
    return " ".join(parts)


def _runs(text: str) -> list[re.Match[str]]:
    """The capitalised runs of the text, but a lone function word ("In", "The", "Both")."""
    return [m for m in _RUN.finditer(text) if _plain(m.group(0))]


def _initials(name: str) -> str:
    """ "BI" for "Bank Indonesia" (an acronym names the same thing)."""
    return "".join(w[0] for w in name.split() if w[:1].isupper())


def coordinated(texts: Iterable[str], titles: Iterable[str] = ()) -> set[frozenset[str]]:
    """Pairs of names the texts join as equals ("Indonesia and China", "the OECD, the EU and
    UNESCO"), lower-cased; a list's near members pair with each other. In a title, a run goes
    on past the name ("How Indonesia and China Can Achieve It"), so there a run's first word
    stands for it after the join, and its last word before it."""
    pairs: set[frozenset[str]] = set()
    for text, titled in [*((t, False) for t in texts), *((t, True) for t in titles)]:
        runs = _runs(text)
        chain: list[list[str]] = []
        joined = False  # by a conjunction, not only commas
        for before, after in pairwise(runs):
            between = text[before.end() : after.start()]
            conjunction = _CONJUNCTION.fullmatch(between) is not None
            if conjunction or _COMMA.fullmatch(between):
                chain = chain or [_forms(before.group(0), titled, last=True)]
                chain.append(_forms(after.group(0), titled, last=False))
                joined = joined or conjunction
                if conjunction:  # a list ends at its "and"
                    pairs |= _pairs(chain)
                    chain, joined = [chain[-1]], False
                continue
            pairs |= _pairs(chain) if joined else set()
            chain, joined = [], False
        pairs |= _pairs(chain) if joined else set()
    return pairs


def _forms(run: str, titled: bool, last: bool) -> list[str]:
    """The run, lower-cased; in a title also its word nearest the join."""
    name = _plain(run).lower()
    if not titled:
        return [name]
    parts = name.split()
    return list(dict.fromkeys([name, parts[-1] if last else parts[0]]))


def _pairs(chain: list[list[str]]) -> set[frozenset[str]]:
    return {
        frozenset((a, b))
        for i, forms in enumerate(chain)
        for other in chain[i + 1 : i + 1 + LIST_WINDOW]
        for a in forms
        for b in other
        if a != b
    }


def asked_names(question: str) -> set[str]:
    """The names a question asks about: each capitalised run, and the words of a run of two
    ("Indonesian GDP" asks about Indonesia too) or of one word "in"/"of" another ("GDP in
    Indonesia"); a longer run is one proper name ("Personal Data Protection Law", "EU AI Act"),
    its words no names of their own."""
    out: set[str] = set()
    for run in _runs(question):
        name = _plain(run.group(0))
        out.add(name)
        parts = name.split()
        if len(parts) == 3 and parts[1] in ("in", "of"):
            parts = [parts[0], parts[2]]
        if len(parts) == 2:
            out |= {w for w in parts if w[:1].isupper() and w.lower() not in FUNCTION_WORDS}
    return out


# The endings English gives a word derived from a place's name ("Indonesian", "Japanese",
# "Pakistani", "European").
_DERIVED_ENDINGS = ("n", "an", "ian", "ese", "ean", "i")


def paired_form(name: str, paired: set[str]) -> str:
    """The name as the documents pair it, lower-cased: a one-word name derived from a paired
    one stands for it ("Indonesian economy" asks about Indonesia, "Chinese" about China: the
    paired name, its last vowel dropped or not, with such an ending); the longest such name
    ("Nigerian" is Nigeria's, not Niger's)."""
    lowered = name.lower()
    if lowered in paired or " " in lowered:
        return lowered
    derived = [
        other
        for other in paired
        if " " not in other
        and len(other) >= 4
        and any(
            lowered.startswith(stem) and lowered[len(stem) :] in _DERIVED_ENDINGS
            for stem in {other, other[:-1] if other[-1] in "aeiouy" else other}
        )
    ]
    return max(derived, key=lambda other: (len(other), other), default=lowered)


def _paired_names(peers: set[frozenset[str]]) -> set[str]:
    return {name for pair in peers for name in pair}


def could_swap(question: str, peers: set[frozenset[str]]) -> bool:
    """Does the question name something the documents pair with something else (otherwise
    there is nothing to check, and no anchor need be looked for)?"""
    paired = _paired_names(peers)
    return any(paired_form(name, paired) in paired for name in asked_names(question))


def swapped_name(
    answer_sentence: str,
    question: str,
    anchors: list[str],
    peers: set[frozenset[str]],
    titles: Iterable[str] = (),
) -> tuple[str, str] | None:
    """(the question's name, the name its passage says instead) when the answer says of a name
    the question asks about what the ``anchors`` (the passage sentences that state the answer's
    facts) say of another: no anchor names the question's name (nor its initials), and one
    names something the texts pair with it (``peers``), not for contrast, that neither the
    question nor the answer names.

    More than ``MAX_ANCHORS`` anchors tell where the fact is only when each names a neighbour.
    A name in the title of the passages' document (``titles``) is what the document is about:
    its sentences need not repeat it ("the AO's decision" in a FedRAMP policy is FedRAMP's),
    unless the title names the other one too ("How Indonesia and China Can ...")."""
    if not anchors:
        return None
    titled = " ".join(titles)
    stems = set(tokens(answer_sentence))
    said = [n for n in asked_names(question) if name_is_stated(n, answer_sentence, stems)]
    paired = _paired_names(peers)
    for name in said:
        form = paired_form(name, paired)
        if any(_names_it(a, name) or _names_it(a, form) for a in anchors):
            continue
        others = [
            _neighbour(anchor, name, form, (question, answer_sentence), titled, peers, paired)
            for anchor in anchors
        ]
        # Many anchors (the same sentence in two variants, or repeated) tell where the fact
        # is only when each names the neighbour.
        if len(anchors) > MAX_ANCHORS and not all(others):
            continue
        other = next((o for o in others if o), None)
        if other is not None:
            return name, other
    return None


def _neighbour(
    anchor: str,
    name: str,
    form: str,
    said: tuple[str, str],
    titled: str,
    peers: set[frozenset[str]],
    paired: set[str],
) -> str | None:
    """The name the anchor says that the texts pair with the asked one (``form``), in any of
    its forms ("Chinese economy" is China's), not for contrast, that neither the question nor
    the answer (``said``) names in any form, unless the title names the asked one and not it.
    ``paired``: every name of ``peers``."""
    for run in _runs(anchor):
        other = _plain(run.group(0))
        other_form = paired_form(other, paired)
        if frozenset((form, other_form)) not in peers:
            continue
        before = anchor[: run.start() + run.group(0).find(other)]
        if _CONTRAST.search(before):
            continue
        if any(says_words(text, other) for text in said) or any(
            paired_form(n, paired) == other_form for text in said for n in asked_names(text)
        ):
            continue
        titles_it = says_words(titled, other) or says_words(titled, other_form)
        if (says_words(titled, name) or says_words(titled, form)) and not titles_it:
            continue
        return other
    return None


def _names_it(sentence: str, name: str) -> bool:
    initials = _initials(name)
    if len(initials) >= 2 and says_words(sentence, initials):
        return True
    return name_is_stated(name, sentence, set(tokens(sentence)))


def about_neighbour(
    sentence: str, question: str, peers: set[frozenset[str]], titles: Iterable[str] = ()
) -> tuple[str, str] | None:
    """(the question's name, the sentence's) when a passage sentence speaks of a neighbour of
    what the question asks about, and not of it: "3.7% of the country's GDP" said of China does
    not tell "what share of Indonesia's GDP"."""
    return swapped_name(question, question, [sentence], peers, titles)


def other_year(
    answer_sentence: str, question: str, texts: Iterable[str], titles: Iterable[str] = ()
) -> tuple[str, str] | None:
    """(the question's year, the answer's) when the answer gives a figure for another year than
    the one asked and its passages never say the asked one: "How much ... in fiscal year
    2026?" answered "$1,055,060,000 for fiscal year 2025 [1]" from a list ending at 2025. A
    year in the document's title is what it is about; an answer that says the asked year too
    is not about another."""
    said = years_in(answer_sentence)  # full-width digits ("２０２４年度") too
    if not said:
        return None
    passages, titled = years_in("\n".join(texts)), years_in(" ".join(titles))
    for year in dict.fromkeys(years_in(question)):
        if year in said or year in titled or year in passages:
            continue
        return year, said[0]
    return None


def years_in(text: str) -> list[str]:
    """The years a text says ("2022", "２０２２年")."""
    return _YEAR.findall(_nfkc(text))


# A year a question compares with ("before 2025", "since 2019", "sejak 2019", "2020年以前")
# or a decade ("the 1990s"): no time of what it asks about. A deadline ("by 2030",
# "2030年までに") is not one: it dates a target, which a document for another year lacks.
_COMPARED_YEAR = re.compile(
    r"\b(?:before|after|since|prior\s+to|sebelum|sesudah|setelah|sejak)\s+"
    r"(?:(?:the\s+)?(?:end|start|beginning)\s+of\s+|akhir\s+|awal\s+)?"
    r"(?:(?:fiscal\s+)?year\s+|tahun\s+)?((?:19|20)\d\d)(?!\d)"
    r"|(?<!\d)((?:19|20)\d\d)\s*年?\s*(?:以前|以降|以后|之前|之后|以来)"
    r"|(?<!\d)((?:19|20)\d0)s\b",
    re.IGNORECASE,
)


def compared_years(question: str) -> set[str]:
    """The years a question compares with or names as a decade, not as the time of what it
    asks about ("Did it take effect before 2025?", "What has changed since 2019?")."""
    return {y for m in _COMPARED_YEAR.finditer(_nfkc(question)) for y in m.groups() if y}


# Any year a text names, also inside a range or a date ("2019-2020", "2026-01-15", "15.01.2026"),
# a fiscal year's two digits ("FY21") and a range's second year ("2020-21", "2020/21").
_ANY_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_FISCAL_YEAR = re.compile(r"\bFY\s?(\d\d)(?!\d)", re.IGNORECASE)
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s?[-–/]\s?(\d\d)(?!\d)")


def years_named(text: str) -> set[str]:
    """Every year a text names in any common form (a looser read than :func:`years_in`, for
    telling whether a document says a year at all): "2019-2020", "2026-01-15", "FY21" (read as
    this century's), "2020-21" (both years; "2026-01" is a month, not a range)."""
    plain = _nfkc(text)
    found = set(_ANY_YEAR.findall(plain)) | {f"20{yy}" for yy in _FISCAL_YEAR.findall(plain)}
    for year, yy in _YEAR_RANGE.findall(plain):
        if int(yy) == (int(year) + 1) % 100:
            found.add(f"{year[:2]}{yy}" if yy != "00" else str(int(year) + 1))
    return found


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def sentences_of(texts: Iterable[str]) -> list[str]:
    return [s for text in texts for s in passage_sentences(text)]


# An abbreviation in a title: "U.S.C.", "OECD", "POJK".
_ABBREVIATION = re.compile(r"\b(?:[A-Z]\.){2,}|\b[A-Z]{2,}\b")


def unnamed_subject(
    question: str, stating: list[str], every: list[str], titles: Iterable[str] = ()
) -> list[str]:
    """The question's names when the passages ``stating`` the answer's figure share nothing
    with the question (none of its names, none of its other words) while another evidence
    passage mentions one of its names: "In which year did Sam Altman receive the Golden Visa?"
    answered with the 2020 of a passage about the national strategy, beside the passage naming
    Sam Altman, which gives no year. A passage mentions a name by one of its words, its
    initials ("NSF"), or the name its initials stand for ("National Institute of Standards and
    Technology" for "NIST"). Words of a document's title (what all its passages are about:
    "Indonesia" in "How Indonesia and China ..."; a name the title abbreviates, "US Code" for
    "15 U.S.C."), words every evidence passage says, and words with digits ("FY2022" may be
    said in words) are not read."""
    if not stating or not every:
        return []
    said = [set(tokens(text)) for text in every]
    unread = set(tokens(" ".join(titles))) | set.intersection(*said)

    def read(text: str) -> set[str]:
        return {w for w in tokens(text) if not any(ch.isdigit() for ch in w)} - unread

    # A name a title abbreviates ("US Code" for "(15 U.S.C. 9401–9415)") is the document's own.
    abbreviated = {re.sub(r"\W", "", m).lower() for m in _ABBREVIATION.findall(" ".join(titles))}
    asked = {
        _POSSESSIVE.sub("", name): read(name)
        for name in names(question)
        if "".join(c for c in name if c.isupper()).lower() not in abbreviated
    }
    asked = {name: words for name, words in asked.items() if words}

    def mentions(text: str) -> bool:
        stems = set(tokens(text))
        initials = {_initials(run) for run in names(text)}
        for name, words in asked.items():
            if words & stems or (len(_initials(name)) >= 2 and says_words(text, _initials(name))):
                return True
            if {w for w in name.split() if w.isupper() and w.isalpha()} & initials:
                return True
        return False

    if not asked or not any(map(mentions, every)) or any(map(mentions, stating)):
        return []
    if read(question) & set().union(*(set(tokens(text)) for text in stating)):
        return []  # it shares a word of the question: it may speak of what was asked
    return sorted(asked)
