"""A per-client sliding-window rate limit on asking (in memory, one server process)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


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
