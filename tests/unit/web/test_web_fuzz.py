"""Property-based tests of /api/ask and /api/ask/stream: random JSON, text and bytes, with random
content types, never get a 500, a hang or a non-JSON error; every refusal says why in `detail`.

Bounded: a fixed number of examples per target (FUZZ_EXAMPLES), no deadline per example beyond
the client's timeout, and a fake answerer (as in test_api.py), so the whole file runs in seconds.
Run with ``--hypothesis-show-statistics`` for the counts per target.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot.web.api import create_app
from core.settings import Settings
from tests.unit.web.test_api import BASE, PORTAL, FakeAnswerer, wait_ready

FUZZ_EXAMPLES = 200
ALLOWED = {200, 400, 413, 415, 422}
PATHS = ("/api/ask", "/api/ask/stream")
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is a real regression
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
# Bodies shaped like a question, with every field possibly wrong.
ask_bodies = st.fixed_dictionaries(
    {},
    optional={
        "question": st.text(max_size=700) | json_values,
        "history": st.lists(
            st.lists(st.text(max_size=50) | st.none() | st.integers(), max_size=3), max_size=25
        )
        | json_values,
        "extra": json_values,
    },
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    values: dict[str, Any] = {
        "allowed_origins": [PORTAL],
        "rate_limit_per_minute": 1_000_000,
        "max_in_flight_per_client": 1_000,
        "reload_poll_s": 0,
    }
    app = create_app(Settings(_env_file=None, **values), cast(Any, FakeAnswerer))  # type: ignore[call-arg]
    with TestClient(app, BASE, raise_server_exceptions=False) as c:
        wait_ready(c)
        yield c


def _check(client: TestClient, path: str, content: bytes, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = client.post(path, content=content, headers=headers)
    assert r.status_code in ALLOWED, (r.status_code, content[:200], r.text[:300])
    if r.status_code != 200:
        detail = r.json()["detail"]
        assert isinstance(detail, str) and detail
        assert "Traceback" not in detail
    elif path.endswith("/stream"):
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "event: done" in r.text
    else:
        assert set(r.json()) >= {"answer", "abstained", "citations", "latency_s"}


@FUZZ
@given(body=ask_bodies, path=st.sampled_from(PATHS))
def test_fuzz_json_shaped_like_a_question(client: TestClient, body: Any, path: str) -> None:
    _check(client, path, json.dumps(body).encode(), "application/json")


@FUZZ
@given(body=json_values, path=st.sampled_from(PATHS))
def test_fuzz_any_json(client: TestClient, body: Any, path: str) -> None:
    _check(client, path, json.dumps(body).encode(), "application/json")


@FUZZ
@given(text=st.text(max_size=2000), content_type=content_types, path=st.sampled_from(PATHS))
def test_fuzz_any_text(client: TestClient, text: str, content_type: str, path: str) -> None:
    _check(client, path, text.encode("utf-8", "surrogatepass"), content_type)


@FUZZ
@given(data=st.binary(max_size=4096), content_type=content_types, path=st.sampled_from(PATHS))
def test_fuzz_any_bytes(client: TestClient, data: bytes, content_type: str, path: str) -> None:
    _check(client, path, data, content_type)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(size=st.integers(64 * 1024 + 1, 4 * 64 * 1024))
def test_fuzz_oversized_bodies(client: TestClient, size: int) -> None:
    r = client.post(
        "/api/ask", content=b"{" + b" " * size + b"}", headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and "too large" in r.json()["detail"]
