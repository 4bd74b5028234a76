"""Votes on answers: written to the operator's database by the API and the UI, bounded, read
back by the operator only."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from chatbot.ops.database import OpsDatabase
from chatbot.types import Answer, Citation, StreamEvent
from chatbot.web.api import create_app
from chatbot.web.feedback import FeedbackFull, FeedbackStore
from chatbot.web.ui import ChatTurn, record_vote

BASE = "http://localhost"
EVIL = "https://evil.example.com"
CITATION = Citation(1, "doc", "A Title", "original", "¶2", "Passage text " * 100, 0.9)
VOTE = {
    "vote": "down",
    "question": "When was the strategy released?",
    "answer": "In 2020 [1].",
    "citations": [CITATION.to_json()],
    "build_id": "20260101T000000Z-abc123",
}


class Answerer:
    def stream(self, question: str, history: Sequence[Any] = ()) -> Iterator[StreamEvent]:
        yield StreamEvent("done", answer=Answer("In 2020 [1].", False, [CITATION]))

    def health(self) -> dict[str, object]:
        return {"build_id": "b1", "documents": 1, "chunks": 1, "models": {}, "llm": "none"}


@pytest.fixture
def make_client(
    settings_factory: Callable[..., Any], tmp_path: Path
) -> Iterator[Callable[..., Any]]:
    opened: list[TestClient] = []

    def make(**feedback: Any) -> tuple[TestClient, OpsDatabase]:
        folder = tmp_path / "feedback"
        settings = settings_factory(
            feedback={"dir": folder, **feedback}, ops={"log_questions": True}
        )
        client = TestClient(create_app(settings, cast(Any, Answerer)), BASE)
        client.__enter__()
        opened.append(client)
        return client, client.app.state.service.ops_db  # type: ignore[attr-defined]

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def lines(db: OpsDatabase) -> list[dict[str, Any]]:
    return db.votes(1000)


def test_a_vote_is_one_bounded_row(make_client: Callable[..., Any]) -> None:
    client, path = make_client(citation_chars=50)
    r = client.post("/api/feedback", json=VOTE)
    assert r.status_code == 201, r.text
    r2 = client.post("/api/feedback", json={**VOTE, "vote": "up", "build_id": None})
    assert r2.status_code == 201
    first, second = lines(path)
    assert first["id"] == r.json()["id"] and second["id"] == r2.json()["id"] != first["id"]
    assert first["vote"] == "down" and second["vote"] == "up"
    assert first["question"] == VOTE["question"] and first["answer"] == "In 2020 [1]."
    assert first["build_id"] == VOTE["build_id"]
    assert second["build_id"] is None  # this fake answerer serves no index build
    cited = first["citations"][0]
    assert (cited["n"], cited["doc_id"], cited["location"]) == (1, "doc", "¶2")
    assert len(cited["text"]) == 50 and cited["text"].endswith("…")
    assert first["time"].endswith("Z")


def test_votes_outside_the_limits_are_refused(make_client: Callable[..., Any]) -> None:
    client, path = make_client(votes_per_minute=3)
    too_long = client.post("/api/feedback", json={**VOTE, "question": "Why? " * 200})
    assert too_long.status_code == 422
    assert client.post("/api/feedback", json={**VOTE, "vote": "meh"}).status_code == 422
    bad_build = client.post("/api/feedback", json={**VOTE, "build_id": "../../etc"})
    assert bad_build.status_code == 422
    many = client.post("/api/feedback", json={**VOTE, "citations": [VOTE["citations"][0]] * 21})
    assert many.status_code == 422
    foreign = client.post("/api/feedback", json=VOTE, headers={"Origin": EVIL})
    assert foreign.status_code == 403
    assert lines(path) == []  # nothing was written by any of them
    assert [client.post("/api/feedback", json=VOTE).status_code for _ in range(4)] == [
        201,
        201,
        201,
        429,
    ]
    assert len(lines(path)) == 3


def test_reading_votes_is_off_unless_a_token_is_set(make_client: Callable[..., Any]) -> None:
    client, _ = make_client()
    assert client.post("/api/feedback", json=VOTE).status_code == 201
    assert client.get("/api/feedback").status_code == 404
    assert client.get("/api/feedback", headers={"Authorization": "Bearer x"}).status_code == 404


def test_the_operator_reads_the_latest_votes_with_the_token(
    make_client: Callable[..., Any],
) -> None:
    client, _ = make_client(read_token="s3cret")
    for vote in ("up", "down", "up"):
        assert client.post("/api/feedback", json={**VOTE, "vote": vote}).status_code == 201
    assert client.get("/api/feedback").status_code == 401
    assert client.get("/api/feedback", headers={"Authorization": "Bearer nope"}).status_code == 401
    auth = {"Authorization": "Bearer s3cret"}
    votes = client.get("/api/feedback?limit=2", headers=auth).json()["votes"]
    assert [v["vote"] for v in votes] == ["down", "up"]  # the last two, oldest first
    assert client.get("/api/feedback?limit=0", headers=auth).status_code == 422


def test_feedback_can_be_turned_off(make_client: Callable[..., Any]) -> None:
    client, path = make_client(enabled=False)
    assert client.post("/api/feedback", json=VOTE).status_code == 404
    assert lines(path) == []


def test_the_votes_table_stops_growing_at_its_bound(
    settings_factory: Callable[..., Any], tmp_path: Path
) -> None:
    store = FeedbackStore(settings_factory(ops={"max_vote_rows": 100}))
    for _ in range(100):
        store.record("up", "q?", "a " * 300, [], None)
    with pytest.raises(FeedbackFull):
        store.record("up", "q?", "a " * 300, [], None)
    assert len(store.read(1000)) == 100


def test_no_question_text_is_kept_unless_logging_allows_it(
    settings_factory: Callable[..., Any],
) -> None:
    settings = settings_factory()  # ops.log_questions is off by default
    store = FeedbackStore(settings)
    store.record("down", "Where does my cousin Budi live?", "Nowhere [1].", [], "b1")
    (vote,) = store.read(10)
    assert vote["question"] is None and vote["answer"] == "Nowhere [1]."
    raw = b"".join(p.read_bytes() for p in Path(settings.index_dir).glob("ops.sqlite3*"))
    assert b"Budi" not in raw


def test_a_like_in_the_ui_records_the_turn(
    settings_factory: Callable[..., Any], tmp_path: Path
) -> None:
    settings = settings_factory(feedback={"dir": tmp_path}, ops={"log_questions": True})

    class Service:
        pass

    service = Service()
    service.settings = settings  # type: ignore[attr-defined]
    turns = [
        ChatTurn("First?", "One [1].", citations=[CITATION], build_id="b7"),
        ChatTurn("Second?"),  # still streaming (or failed): nothing to rate
    ]
    ui_service = cast(Any, service)
    assert record_vote(ui_service, turns, 1, True) is None
    assert record_vote(ui_service, turns, [1, 0], False) is None
    assert record_vote(ui_service, turns, 1, "") is None  # a withdrawn vote writes nothing
    assert record_vote(ui_service, turns, 3, True) == "Only a finished answer can be rated."
    assert record_vote(ui_service, turns, 99, True) is None
    written = FeedbackStore(settings).read(10)
    assert [(v["vote"], v["question"], v["build_id"]) for v in written] == [
        ("up", "First?", "b7"),
        ("down", "First?", "b7"),
    ]
    assert written[0]["citations"][0]["title"] == "A Title"
