"""The per-client rate limit shared by replicas through a real redis-server (skipped when
Debian's redis-server is not installed: `make test` installs it)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.web.ratelimit import RedisWindowLimiter, SlidingWindowLimiter, make_limiter


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("Debian's redis-server is not installed (scripts/install-redis)")
    port = _free_port()
    folder: Path = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def test_two_replicas_share_one_allowance(redis_url: str) -> None:
    one = RedisWindowLimiter(redis_url, limit=3, prefix="test:share:")
    two = RedisWindowLimiter(redis_url, limit=3, prefix="test:share:")
    assert one.hit("10.0.0.1") is None
    assert two.hit("10.0.0.1") is None
    assert one.hit("10.0.0.1") is None
    wait = two.hit("10.0.0.1")  # the fourth hit, on the other replica
    assert wait is not None and 0 < wait <= 60
    assert one.retry_after_header(wait) == str(max(1, round(wait + 0.4999)))
    assert one.hit("10.0.0.2") is None  # another client has its own allowance


def test_the_window_slides(redis_url: str) -> None:
    limiter = RedisWindowLimiter(redis_url, limit=1, window_s=0.3, prefix="test:slide:")
    assert limiter.hit("c") is None
    assert limiter.hit("c") is not None
    time.sleep(0.35)
    assert limiter.hit("c") is None


def test_unreachable_redis_allows_and_no_url_counts_in_process() -> None:
    port = _free_port()  # nothing listens there
    limiter = RedisWindowLimiter(f"redis://127.0.0.1:{port}/0", limit=1)
    assert limiter.hit("c") is None and limiter.hit("c") is None
    assert isinstance(make_limiter(5, None), SlidingWindowLimiter)
    assert isinstance(make_limiter(5, f"redis://127.0.0.1:{port}/0"), RedisWindowLimiter)
