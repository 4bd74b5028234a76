"""Limits on asking: a per-client sliding-window rate (in this process, or in Redis shared by
every replica when SQA_RATE_LIMIT_REDIS_URL is set), and bounded answer slots (concurrency,
queue and per-client in-flight; always per process: they guard this process's CPU)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    limit: int

    def hit(self, client: str) -> float | None: ...

    def retry_after_header(self, wait_s: float) -> str: ...


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


# One atomic step in Redis: forget hits older than the window, refuse when the window is full
# (returning the milliseconds until its oldest hit leaves), else record this hit. The clock is
# Redis's own, so replicas whose clocks differ still agree.
_HIT_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) + window - now, 0)
end
redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return -1
"""


class RedisWindowLimiter:
    """SlidingWindowLimiter's rule, counted in Redis: a client's hits on every replica count
    against one allowance. When Redis cannot be reached the hit is allowed (logged): a rate
    limit that fails closed would take the whole service down with its cache."""

    def __init__(self, url: str, limit: int, window_s: float = 60.0, prefix: str = "sqa:rate:"):
        import redis

        self.limit = limit
        self.window_ms = int(window_s * 1000)
        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._script: Any = self._redis.register_script(_HIT_SCRIPT)
        self._sequence = 0
        self._lock = threading.Lock()

    def hit(self, client: str) -> float | None:
        import redis

        with self._lock:
            self._sequence += 1
            unique = f"{id(self)}-{self._sequence}"
        try:
            wait_ms = int(
                self._script(keys=[self.prefix + client], args=[self.window_ms, self.limit, unique])
            )
        except redis.RedisError as exc:
            log.warning("rate limit not checked, Redis is unavailable: %s", exc)
            return None
        return None if wait_ms < 0 else wait_ms / 1000.0

    retry_after_header = staticmethod(SlidingWindowLimiter.retry_after_header)


def make_limiter(limit: int, redis_url: str | None) -> RateLimiter:
    """The shared limiter when a Redis URL is set, else this process's own."""
    if redis_url:
        return RedisWindowLimiter(redis_url, limit)
    return SlidingWindowLimiter(limit)
