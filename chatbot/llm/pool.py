"""Several OpenAI-compatible model servers used as one chat model (SQA_LLM_BASE_URLS).

Each request goes to the healthy server with the fewest requests in flight from this process
(ties: the one used least recently), so a slow or busy server gets less. A server whose request
fails before its first token is marked down and the request goes to the next one; a down server
is skipped for ``retry_down_after_s``, and a background check of its ``/models`` brings it back
as soon as it answers. When every server is down the error reaches the answerer, which answers
extractively with a note (``"outcome": "fallback"``), as with one endpoint.

A request that fails after tokens have streamed is not repeated on another server (the reader
has seen part of an answer); the answerer falls back as for a single server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from chatbot.llm.model_file import LlmUnavailable
from core.settings import LlmPoolSettings

log = logging.getLogger(__name__)


@dataclass
class Endpoint:
    url: str
    model: Any  # a LangChain chat model for this server
    in_flight: int = 0
    down_until: float = 0.0  # monotonic time before which the server is skipped
    last_used: float = 0.0
    failures: int = 0
    answered: int = 0
    last_error: str | None = field(default=None)

    def up(self, now: float) -> bool:
        return now >= self.down_until


class ChatModelPool:
    """A chat model (``stream`` and ``invoke``, as LangChain's) over several servers."""

    def __init__(
        self,
        endpoints: Sequence[tuple[str, Any]],
        settings: LlmPoolSettings | None = None,
        api_key: str = "",
    ) -> None:
        if not endpoints:
            raise LlmUnavailable("the model server pool has no endpoints")
        self.settings = settings or LlmPoolSettings()
        self.endpoints = [Endpoint(url, model) for url, model in endpoints]
        self._api_key = api_key
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._checker: threading.Thread | None = None
        if self.settings.health_interval_s > 0:
            self._checker = threading.Thread(target=self._check_loop, name="llm-pool", daemon=True)
            self._checker.start()

    # --- choosing ---------------------------------------------------------------------------
    def _take(self, tried: set[str]) -> Endpoint | None:
        """The healthy, untried server with the fewest requests in flight, counted as busy."""
        now = time.monotonic()
        with self._lock:
            ready = [e for e in self.endpoints if e.url not in tried and e.up(now)]
            if not ready:
                return None
            chosen = min(ready, key=lambda e: (e.in_flight, e.last_used))
            chosen.in_flight += 1
            chosen.last_used = now
            return chosen

    def _release(self, endpoint: Endpoint, error: BaseException | None) -> None:
        with self._lock:
            endpoint.in_flight -= 1
            if error is None:
                endpoint.answered += 1
                endpoint.down_until = 0.0
                return
            endpoint.failures += 1
            endpoint.last_error = type(error).__name__
            endpoint.down_until = time.monotonic() + self.settings.retry_down_after_s
        log.warning("model server %s failed (%s); trying the next one", endpoint.url, error)

    def _all_down(self, last: BaseException | None) -> LlmUnavailable:
        urls = ", ".join(e.url for e in self.endpoints)
        error = LlmUnavailable(f"every model server is down or failed ({urls})")
        error.__cause__ = last
        return error

    # --- the chat-model interface -------------------------------------------------------------
    def stream(self, messages: Any, **options: Any) -> Iterator[Any]:
        tried: set[str] = set()
        last: BaseException | None = None
        while (endpoint := self._take(tried)) is not None:
            tried.add(endpoint.url)
            started = False
            try:
                for chunk in endpoint.model.stream(messages, **options):
                    started = True
                    yield chunk
            except GeneratorExit:  # the reader stopped early: not the server's fault
                self._release(endpoint, None)
                raise
            except Exception as exc:
                self._release(endpoint, exc)
                if started:
                    raise
                last = exc
                continue
            self._release(endpoint, None)
            return
        raise self._all_down(last)

    def invoke(self, messages: Any, **options: Any) -> Any:
        tried: set[str] = set()
        last: BaseException | None = None
        while (endpoint := self._take(tried)) is not None:
            tried.add(endpoint.url)
            try:
                reply = endpoint.model.invoke(messages, **options)
            except Exception as exc:
                self._release(endpoint, exc)
                last = exc
                continue
            self._release(endpoint, None)
            return reply
        raise self._all_down(last)

    # --- health -------------------------------------------------------------------------------
    def check(self) -> None:
        """Ask every server's /models once; a server that answers 200 is up, else down."""
        for endpoint in self.endpoints:
            headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
            try:
                reply = httpx.get(
                    endpoint.url.rstrip("/") + "/models",
                    headers=headers,
                    timeout=self.settings.health_timeout_s,
                )
                ok = reply.status_code == 200
            except httpx.HTTPError:
                ok = False
            with self._lock:
                if ok:
                    endpoint.down_until = 0.0
                elif endpoint.up(time.monotonic()):
                    endpoint.down_until = time.monotonic() + self.settings.retry_down_after_s
                    endpoint.last_error = "health check failed"

    def _check_loop(self) -> None:
        while not self._stop.wait(self.settings.health_interval_s):
            self.check()

    def status(self) -> list[dict[str, object]]:
        """Per server: up, in flight, answered, failures, last error (for health pages)."""
        now = time.monotonic()
        with self._lock:
            return [
                {
                    "url": e.url,
                    "up": e.up(now),
                    "in_flight": e.in_flight,
                    "answered": e.answered,
                    "failures": e.failures,
                    "last_error": e.last_error,
                }
                for e in self.endpoints
            ]

    def close(self) -> None:
        self._stop.set()
