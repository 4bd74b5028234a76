"""Does an answer give a date its passages count a length of time from as if it were the time?

Laws and policies set deadlines from a day: "Not later than 1 year after January 1, 2021, ...
the Advisory Committee shall submit ... a report". A 1.5B model answered "By January 1, 2021,
the Advisory Committee shall submit ... [1]": every word and figure is its passage's, so nothing
else in verification objects, yet the deadline is a year off. An answer sentence that states a
date which its passages write only after a length of time counted from it ("1 year after",
"90 days following", "6 (enam) bulan sejak"), and says no such length itself, is read here.

A date the passages also state on its own (not counted from) may be what the answer restates,
and is left alone; so is a date written in another form than the passages' (an answer in
Chinese writes "2021年1月1日" for "January 1, 2021": no occurrence is found to judge).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from chatbot.pipeline.citations import MARKER
from chatbot.pipeline.figure_kind import STATES_DATE, stated_lengths

# What joins a length to the day it is counted from: "1 year after", "30 days of", "90 days
# following the", "6 (enam) bulan sejak tanggal", at the end of the text before the date.
_COUNTED_FROM = re.compile(
    r"\s(?:after|from|following|before|prior\s+to|since|of"
    r"|sejak|setelah|sesudah|sebelum|terhitung\s+sejak)\s+(?:the\s+|tanggal\s+)?$",
    re.IGNORECASE,
)
_BEFORE = 80  # characters before a date where its length is looked for


def _counted(text: str) -> tuple[set[float], str] | None:
    """The length of time (in hours) that the text ends by counting from, and its wording
    from the length on: "... not later than 1 year after " gives ({8760.0}, "1 year after ")."""
    link = _COUNTED_FROM.search(text)
    if link is None:
        return None
    before = text[: link.start()].rstrip()
    lengths = stated_lengths(before[-40:])
    if not lengths or not before.endswith(written := lengths[-1][0]):
        return None
    return lengths[-1][1], text[len(before) - len(written) :]


def _same(hours: set[float], said: set[float]) -> bool:
    return any(math.isclose(h, s, rel_tol=0.005) for h in hours for s in said)


def counted_from(sentence: str, texts: Iterable[str]) -> str | None:
    """The passages' wording ("1 year after January 1, 2021") of a date the answer sentence
    gives without the length of time they count from it; None when the sentence says that
    length too, or the passages also state the date on its own, or do not state it."""
    plain = " ".join(MARKER.sub(" ", sentence).split())
    passages = [" ".join(t.split()) for t in texts]
    said = {h for _, hours in stated_lengths(plain) for h in hours}
    for date in sorted({m.group(0) for m in STATES_DATE.finditer(plain)}):
        found = [
            (_counted(t[max(0, m.start() - _BEFORE) : m.start()]), m.group(0))
            for t in passages
            for m in re.finditer(re.escape(date), t, re.IGNORECASE)
        ]
        if not found or any(counted is None for counted, _ in found):
            continue  # not in the passages, or stated on its own somewhere
        if any(counted and _same(counted[0], said) for counted, _ in found):
            continue  # the answer counts from it too
        counted, written = found[0]
        assert counted is not None
        return f"{counted[1]}{written}"
    return None
