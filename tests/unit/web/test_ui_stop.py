"""Stop in the chat UI: the answer ends, says so, and its answer slot stops generating."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from chatbot.types import Answer, StreamEvent
from chatbot.web.service import Service
from chatbot.web.ui import ChatTurn, answer_turns


class SlowAnswerer:
    """Streams one token every 50 ms for up to 100 tokens, then the answer."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.closed = threading.Event()

    def stream(self, question: str, history: Sequence[Any] = ()) -> Iterator[StreamEvent]:
        try:
            yield StreamEvent("citations", citations=())
            for i in range(100):
                time.sleep(0.05)
                self.made.append(f"t{i}")
                yield StreamEvent("token", text=f"t{i} ")
            self.made.append("done")
            yield StreamEvent("done", answer=Answer("all of it", False))
        finally:
            self.closed.set()

    def health(self) -> dict[str, object]:
        return {}


def test_stop_ends_the_answer_and_frees_its_slot(settings_factory: Callable[..., Any]) -> None:
    answerer = SlowAnswerer()
    service = Service(settings_factory(), lambda: answerer)  # type: ignore[arg-type, return-value]
    service.start_loading()
    for _ in range(200):
        if service.state == "ready":
            break
        time.sleep(0.01)
    stop = threading.Event()
    outputs = answer_turns(service, "A question?", [], "client", stop)
    updates = [next(outputs), next(outputs), next(outputs)]  # started, citations, a token
    stop.set()
    updates += list(outputs)
    turns: list[ChatTurn] = updates[-1][4]
    assert turns[-1].stopped and turns[-1].answer is None
    # The text written so far stays, marked as stopped.
    assert updates[-1][1][-1]["content"].startswith("t0")
    assert updates[-1][1][-1]["content"].endswith('<em class="sqa-stopped">[stopped]</em>')
    assert answerer.closed.wait(5)  # the slot closed the answerer's stream
    assert "done" not in answerer.made and len(answerer.made) < 10
    for _ in range(100):
        if service.slots.in_flight == 0:
            break
        time.sleep(0.02)
    assert service.slots.in_flight == 0
    service.close()
