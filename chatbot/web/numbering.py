"""Each answer's markers numbered from [1], in the order the answer first cites them.

The pipeline numbers passages by its evidence ranking, so an answer that cites only its second
and fifth passages reads "[2] ... [5]". People read that as missing sources; the web layer
(API, chat UI, widget alike) renumbers the final answer and its citations together.
"""

from __future__ import annotations

import re
from dataclasses import replace

from chatbot.types import Answer, StreamEvent

_MARKER = re.compile(r"\[(\d+)\]")


def numbered_from_one(answer: Answer) -> Answer:
    """The answer with markers and citations renumbered 1, 2, ... by first appearance; a
    citation the text never marks keeps its place after the marked ones."""
    order = list(dict.fromkeys(int(n) for n in _MARKER.findall(answer.answer)))
    known = {c.n for c in answer.citations}
    order = [n for n in order if n in known]
    order += [c.n for c in answer.citations if c.n not in order]
    new = {old: i for i, old in enumerate(order, start=1)}
    if all(old == n for old, n in new.items()):
        return answer
    text = _MARKER.sub(
        lambda m: f"[{new[int(m.group(1))]}]" if int(m.group(1)) in new else m.group(0),
        answer.answer,
    )
    citations = sorted((replace(c, n=new[c.n]) for c in answer.citations), key=lambda c: c.n)
    return replace(answer, answer=text, citations=citations)


def renumbered_event(event: StreamEvent) -> StreamEvent:
    """A "done" event's answer numbered from one; other events as they are."""
    if event.kind == "done" and event.answer is not None:
        return replace(event, answer=numbered_from_one(event.answer))
    return event
