"""The answering service the web layer talks to: the answerer, its readiness and the limits.

The answerer loads in a background thread, so the server answers at once; until it is ready,
asking gets 503 + Retry-After and the UI shows a "loading" notice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import Request

from chatbot.ratelimit import SlidingWindowLimiter
from ingest.settings import Settings

if TYPE_CHECKING:
    from chatbot.answer import Answerer

log = logging.getLogger(__name__)

LOADING_RETRY_S = 5


class Refusal(Exception):
    """A request the server will not answer now, with the HTTP status and a message for people."""

    def __init__(self, status: int, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class Service:
    """What the API and the UI share: the answerer (loaded in the background) and the limits."""

    def __init__(self, settings: Settings, factory: Callable[[], Answerer]) -> None:
        self.settings = settings
        self.limiter = SlidingWindowLimiter(settings.rate_limit_per_minute)
        self._factory = factory
        self._answerer: Answerer | None = None
        self._error: str | None = None
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()

    def start_loading(self) -> None:
        if self._thread is None:
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._load, name="load-answerer", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            self._answerer = self._factory()
        except Exception as exc:  # any failure is reported to users and health
            log.exception("loading the answerer failed")
            self._error = str(exc) or type(exc).__name__
        else:
            log.info("answerer ready after %.1f s", time.monotonic() - self._started)

    @property
    def state(self) -> str:
        if self._answerer is not None:
            return "ready"
        return "failed" if self._error is not None else "loading"

    def health(self) -> dict[str, object]:
        limits = {"max_question_chars": self.settings.max_question_chars}
        if self._answerer is not None:
            return {"ready": True, "status": "ready", **self._answerer.health(), **limits}
        out: dict[str, object] = {"ready": False, "status": self.state, **limits}
        if self._error is not None:
            out["detail"] = f"The index or models could not be loaded: {self._error}"
        else:
            out["loading_s"] = round(time.monotonic() - self._started, 1)
        return out

    def check_question(self, question: str) -> str:
        """The question with spaces tidied, or a Refusal saying what is wrong with it."""
        question = question.strip()
        if not question:
            raise Refusal(422, "The question is empty: type a question about the documents.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise Refusal(
                422,
                f"The question is too long ({len(question)} characters); "
                f"the limit is {limit}. Please shorten it.",
            )
        return question

    def admit(self, question: str, client: str) -> tuple[Answerer, str]:
        """Check the question, readiness and the client's rate; count the question."""
        question = self.check_question(question)
        if self._answerer is None:
            if self._error is not None:
                raise Refusal(503, f"The index or models could not be loaded: {self._error}")
            raise Refusal(
                503,
                "The model is still loading; please try again in a few seconds.",
                str(LOADING_RETRY_S),
            )
        wait = self.limiter.hit(client)
        if wait is not None:
            retry = self.limiter.retry_after_header(wait)
            raise Refusal(
                429,
                f"Too many questions: the limit is {self.settings.rate_limit_per_minute} per "
                f"minute. Please wait {retry} s.",
                retry,
            )
        return self._answerer, question

    def close(self) -> None:
        close = getattr(self._answerer, "close", None)
        if callable(close):
            close()


def client_key(request: Request) -> str:
    # uvicorn rewrites request.client from X-Forwarded-For only for trusted proxies.
    return request.client.host if request.client else "unknown"
