"""Each answer's markers start at [1] (issue 16, row 5)."""

from __future__ import annotations

from chatbot.types import Answer, Citation, StreamEvent
from chatbot.web.numbering import numbered_from_one, renumbered_event


def _citation(n: int) -> Citation:
    return Citation(n, "d", "Title", "original", f"¶{n}", f"passage {n}", 0.5)


def test_markers_and_citations_are_renumbered_by_first_appearance() -> None:
    answer = Answer("A [5] and B [2]. Again A [5].", False, [_citation(2), _citation(5)])
    fixed = numbered_from_one(answer)
    assert fixed.answer == "A [1] and B [2]. Again A [1]."
    assert [(c.n, c.text) for c in fixed.citations] == [(1, "passage 5"), (2, "passage 2")]


def test_an_answer_numbered_from_one_is_unchanged() -> None:
    answer = Answer("A [1] and B [2].", False, [_citation(1), _citation(2)])
    assert numbered_from_one(answer) is answer


def test_only_the_done_event_is_renumbered() -> None:
    token = StreamEvent("token", text="[3]")
    assert renumbered_event(token) is token
    done = renumbered_event(StreamEvent("done", answer=Answer("X [3].", False, [_citation(3)])))
    assert done.answer is not None and done.answer.answer == "X [1]."
