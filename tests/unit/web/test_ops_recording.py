"""Every answer served is recorded in the operator's database: /api/ask, its stream, the
OpenAI-compatible route."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from fastapi.testclient import TestClient
from sqlalchemy import select

from chatbot.ops.tables import AnswerRow, CitedRow
from chatbot.web.api import create_app
from tests.unit.web.test_admin import Answerer as AdminAnswerer

BASE = "http://localhost"


class Answerer(AdminAnswerer):
    @staticmethod
    def abstains(question: str) -> bool:
        return "unknown" in question


def test_each_route_records_its_answers(settings_factory: Callable[..., Any]) -> None:
    settings = settings_factory(ops={"log_questions": True})
    with TestClient(create_app(settings, cast(Any, Answerer)), BASE) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        while not service.health()["ready"]:
            time.sleep(0.01)
        assert client.post("/api/ask", json={"question": "Where is it?"}).status_code == 200
        assert client.post("/api/ask", json={"question": "unknown thing"}).status_code == 200
        streamed = client.post("/api/ask/stream", json={"question": "Di mana?"})
        assert streamed.status_code == 200
        chat = {"model": "strategy-qa", "messages": [{"role": "user", "content": "どこですか"}]}
        assert client.post("/v1/chat/completions", json=chat).status_code == 200
        service.recorder.flush()
        with service.ops_db.session() as session:
            rows = session.scalars(select(AnswerRow).order_by(AnswerRow.created_at)).all()
            cited = session.scalars(select(CitedRow.doc_id)).all()
    assert [(r.question, r.outcome, r.language) for r in rows] == [
        ("Where is it?", "extracted", "en"),
        ("unknown thing", "abstained", "en"),
        ("Di mana?", "extracted", "id"),
        ("どこですか", "extracted", "ja"),
    ]
    assert cited == ["doc-a"] * 3
    assert all(r.latency_s > 0 for r in rows)


def test_a_database_that_cannot_be_opened_never_stops_answers(
    settings_factory: Callable[..., Any], tmp_path: Any
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder would be", encoding="utf-8")
    settings = settings_factory(ops={"database_url": f"sqlite:///{blocker}/ops.sqlite3"})
    with TestClient(create_app(settings, cast(Any, Answerer)), BASE) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        while not service.health()["ready"]:
            time.sleep(0.01)
        assert client.post("/api/ask", json={"question": "Where is it?"}).status_code == 200
        health = client.get("/api/health").json()
        assert health["status"] == "degraded" and "operator's database" in health["degraded"]
        vote = {"vote": "up", "question": "q", "answer": "a", "citations": []}
        assert client.post("/api/feedback", json=vote).status_code == 503
