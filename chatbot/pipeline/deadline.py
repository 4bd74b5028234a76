"""Does an answer give a date that its passages set a deadline from as if it were the deadline?

Laws and policies set deadlines from a day: "Not later than 1 year after January 1, 2021, ...
the Advisory Committee shall submit ... a report". A 1.5B model answered "By January 1, 2021,
the Advisory Committee shall submit ... [1]": every word and figure is its passage's, so nothing
else in verification objects, yet the deadline is a year off. An answer sentence that states a
date which its passages write only as the day a deadline counts from ("not later than 1 year
after", "within 90 days following", "paling lama 6 (enam) bulan sejak tanggal"), and counts no
length of time from a day itself, is read here.

Only deadlines: a period that starts on a day ("valid for 3 years from 1 January 2020",
"selama 5 (lima) tahun sejak") may be answered with its first day. A date the passages also
state on its own (in any of the usual forms) may be what the answer restates, and is left
alone; so is a date the passages do not state (another check's work) and one the answer writes
in another script ("2021年1月1日" for "January 1, 2021").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chatbot.pipeline.citations import MARKER
from chatbot.pipeline.figure_kind import STATES_DATE, same_length, stated_lengths
from core.text import MONTH_NUMBER

# A deadline's bound, then its length, then what joins the length to the day, at the end of the
# text before the date: "not later than 1 year after ", "within 30 days of the ", "paling lama
# 6 (enam) bulan terhitung sejak tanggal ".
_BOUND = re.compile(
    r"\b(?:not|no)\s+later\s+than\b|\bwithin\b|\bby\s+the\s+end\s+of\b|\bpaling\s+(?:lama|lambat)\b"
    r"|\bdalam\s+(?:jangka\s+)?waktu\b|\bselambat-lambatnya\b",
    re.IGNORECASE,
)
_COUNTED_FROM = re.compile(
    r"\s(?:(?:kerja|kalender)\s+)?(?:after|from|following|before|prior\s+to|since|of"
    r"|sejak|setelah|sesudah|sebelum|terhitung\s+(?:sejak|mulai))\s+(?:the\s+|tanggal\s+)?$",
    re.IGNORECASE,
)
# An answer counting from a day itself, in words the length reader may not know ("ninety
# days after", "18 months of", "tiga puluh hari sejak").
_COUNTS = re.compile(
    r"\b(?:days?|weeks?|months?|years?|hari|minggu|bulan|tahun)\s+(?:(?:kerja|kalender)\s+)?"
    r"(?:after|from|following|before|prior\s+to|since|of|sejak|setelah|sesudah|sebelum"
    r"|terhitung)\b|日(?:以内|から|後)|天内|个月内|年以内|か月以内",
    re.IGNORECASE,
)
_BEFORE = 100  # characters before a date where its deadline's wording is looked for


def _day(date: str) -> tuple[int, ...] | str:
    """A date as (year, month, day) when it names its month ("January 1, 2021", "1 Januari
    2021", "Jan. 1st 2021") or is written year first ("2021-01-01"); else as written."""
    digits = [int(d) for d in re.findall(r"\d+", date)]
    month = next(
        (MONTH_NUMBER[w] for w in re.findall(r"[a-z]+", date.lower()) if w in MONTH_NUMBER), None
    )
    if month is not None and len(digits) == 2:
        day, year = sorted(digits)
        return (year, month, day)
    if len(digits) == 3 and digits[0] > 31:
        return tuple(digits)
    return " ".join(date.lower().split())


def _deadline_before(text: str) -> tuple[str, set[float]] | None:
    """The deadline's wording at the end of the text, from its length on ("1 year after "), and
    that length in hours, when the text ends by counting a bounded length of time from a day."""
    link = _COUNTED_FROM.search(text)
    if link is None:
        return None
    before = text[: link.start()].rstrip()
    lengths = stated_lengths(before[-60:])
    if not lengths or not before.endswith(lengths[-1][0]):
        return None
    written, hours = lengths[-1]
    start = len(before) - len(written)
    if not _BOUND.search(text[max(0, start - 40) : start]):
        return None  # a period starting on the day ("for 3 years from"), no deadline
    return text[start:], hours


def counted_from(sentence: str, texts: Iterable[str]) -> str | None:
    """The passages' wording ("1 year after January 1, 2021") of a date the answer sentence
    gives as if it were their deadline; None when the sentence counts from a day itself, or the
    passages also state the date on its own, or do not state it."""
    plain = " ".join(MARKER.sub(" ", sentence).split())
    if _COUNTS.search(plain):
        return None
    dates = sorted({_day(m.group(0)) for m in STATES_DATE.finditer(plain)}, key=str)
    if not dates:
        return None  # most sentences: the passages need not be read
    said = {h for _, hours in stated_lengths(plain) for h in hours}
    passages = [" ".join(t.split()) for t in texts]
    stated = [(t, m) for t in passages for m in STATES_DATE.finditer(t)]
    for date in dates:
        found = [
            (_deadline_before(t[max(0, m.start() - _BEFORE) : m.start()]), m.group(0))
            for t, m in stated
            if _day(m.group(0)) == date
        ]
        deadlines = [(d, written) for d, written in found if d is not None]
        if not found or len(deadlines) < len(found):
            continue  # not in the passages, or stated on its own somewhere
        if any(same_length(hours, said) for (_, hours), _ in deadlines):
            continue  # the answer gives the length too ("1 year, from January 1, 2021")
        (wording, _), written = deadlines[0]
        return f"{wording}{written}"
    return None
