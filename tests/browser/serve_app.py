"""The real server for browser tests: ``python serve_app.py [LOAD_DELAY_S [EVENT_DELAY_S]]``.

Settings come from the SQA_* environment the fixture sets; the optional load delay holds the
answerer back so the "model is loading" state can be seen, and the event delay paces the real
answer's events after the first (as a slow model would), so Stop can be pressed mid-answer;
the paced answerer writes each event it makes to ``events.log`` (one answer: "start", then the
event kinds), so a test sees whether Stop ended the answer on the server too.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from chatbot.pipeline.answer import Answerer
from chatbot.types import StreamEvent, Turn
from chatbot.web.api import serve
from core.settings import Settings


def paced(answerer: Answerer, delay: float, log: Path) -> Answerer:
    """The same answerer, its stream slowed to one event per ``delay`` seconds."""
    real = answerer.stream

    def note(line: str) -> None:
        with log.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    def stream(question: str, history: Sequence[Turn] = ()) -> Iterator[StreamEvent]:
        note("start")
        for i, event in enumerate(real(question, history)):
            if i:
                time.sleep(delay)
            note(event.kind)
            yield event

    answerer.stream = stream  # type: ignore[method-assign]
    return answerer


def main() -> None:
    delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    event_delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    def factory() -> Answerer:
        time.sleep(delay)
        answerer = Answerer.from_settings(settings)
        return paced(answerer, event_delay, Path("events.log")) if event_delay else answerer

    serve(settings, factory)


if __name__ == "__main__":
    main()
