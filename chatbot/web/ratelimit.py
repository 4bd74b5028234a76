"""Limits on asking, in memory (one server process): a per-client sliding-window rate, and
bounded answer slots (concurrency, queue and per-client in-flight)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class SlidingWindowLimiter:
    """At most ``limit`` hits per client in any ``window_s`` seconds.

    Every accepted hit is remembered for one window, so a client that spends its allowance
    waits until its oldest hit leaves the window, not until a fixed minute boundary.
    """

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def hit(self, client: str) -> float | None:
        """Count one hit; return None when allowed, else the seconds to wait before retrying."""
        now = self._clock()
        with self._lock:
            self._sweep(now)
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window_s - now, 0.0)
            hits.append(now)
            return None

    @staticmethod
    def retry_after_header(wait_s: float) -> str:
        """Retry-After takes whole seconds; round up so an obedient client is never early."""
        return str(max(1, math.ceil(wait_s)))

    def _sweep(self, now: float) -> None:
        # Forget idle clients once a window, so memory follows the active clients only.
        if now - self._last_sweep < self.window_s:
            return
        self._last_sweep = now
        idle = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window_s]
        for key in idle:
            del self._hits[key]


class AnswerSlots:
    """Bounded answering: ``workers`` answers at once, on threads of their own; at most
    ``queue_size`` more waiting; at most ``per_client`` unfinished per client.

    ``reserve`` decides at once (never waits): a request over a bound is refused, not queued
    without end. Answers run on this pool's few threads rather than the web server's, so the
    server's own threads stay free (health answers while every slot is busy) and only a few
    threads ever touch the models (memory stays flat under load).
    """

    def __init__(self, workers: int, queue_size: int, per_client: int) -> None:
        self.workers = workers
        self.capacity = workers + queue_size
        self.per_client = per_client
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="answer")
        self._lock = threading.Lock()
        self._total = 0
        self._by_client: dict[str, int] = {}

    def reserve(self, client: str) -> str | None:
        """Count one unfinished answer for client; None, or why not: 'client' or 'full'."""
        with self._lock:
            if self._by_client.get(client, 0) >= self.per_client:
                return "client"
            if self._total >= self.capacity:
                return "full"
            self._total += 1
            self._by_client[client] = self._by_client.get(client, 0) + 1
            return None

    def release(self, client: str) -> None:
        with self._lock:
            self._total -= 1
            left = self._by_client.get(client, 1) - 1
            if left > 0:
                self._by_client[client] = left
            else:
                self._by_client.pop(client, None)

    @property
    def in_flight(self) -> int:
        return self._total

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        return self._executor.submit(fn)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
