"""Run the real server for the browser tests: ``python serve_app.py [LOAD_DELAY_S]``.

Settings come from the SQA_* environment the fixture sets; the optional delay holds the answerer
back so the "model is loading" state can be seen.
"""

from __future__ import annotations

import sys
import time

from chatbot.answer import Answerer
from chatbot.api import serve
from core.settings import Settings


def main() -> None:
    delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    def factory() -> Answerer:
        time.sleep(delay)
        return Answerer.from_settings(settings)

    serve(settings, factory)


if __name__ == "__main__":
    main()
