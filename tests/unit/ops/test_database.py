"""The operator's database: migrated at open, answers and votes written as the settings allow,
old rows deleted, the old feedback file imported once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select

from chatbot.ops.database import OpsDatabase, now_utc
from chatbot.ops.recorder import AnswerRecorder, answer_record
from chatbot.ops.tables import AnswerRow, CitedRow, VoteRow
from chatbot.types import Answer, Citation

SECRET_QUESTION = "Is my neighbour Siti Rahayu on the benefits list?"
CITED = [
    Citation(1, "strategy", "National AI Strategy", "original", "¶3", "text", 0.9),
    Citation(2, "strategy", "National AI Strategy", "original", "¶4", "text", 0.8),
    Citation(3, "law", "Data Protection Law", "original", "p. 2", "text", 0.7),
]


def database(settings_factory: Callable[..., Any], **ops: Any) -> OpsDatabase:
    return OpsDatabase(settings_factory(ops=ops))


def count(db: OpsDatabase, table: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_the_database_is_migrated_to_head_in_the_index_folder(
    settings_factory: Callable[..., Any], tmp_path: Path
) -> None:
    db = database(settings_factory)
    assert db.url.endswith("/index/ops.sqlite3")
    assert {"answers", "answer_citations", "votes", "alembic_version"} <= set(
        inspect(db.engine).get_table_names()
    )
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    OpsDatabase(db.settings)  # opening it again finds it at head and changes nothing


def test_an_answer_row_keeps_outcome_latency_language_build_and_documents(
    settings_factory: Callable[..., Any],
) -> None:
    db = database(settings_factory, log_questions=True)
    answer = Answer("Yes [1][2], see [3].", False, CITED, latency_s=1.23456, outcome="answered")
    db.add_answers([answer_record(answer, "Kapan strategi AI nasional dirilis?", "b1")])
    with db.session() as session:
        row = session.scalars(select(AnswerRow)).one()
        cited = sorted((c.n, c.doc_id) for c in session.scalars(select(CitedRow)))
    assert (row.outcome, row.abstained, row.build_id, row.language) == (
        "answered",
        False,
        "b1",
        "id",
    )
    assert row.latency_s == 1.2346 and row.question == "Kapan strategi AI nasional dirilis?"
    assert cited == [(1, "strategy"), (3, "law")]  # each document once, by its first marker


def test_nothing_of_the_question_is_stored_when_logging_is_off(
    settings_factory: Callable[..., Any],
) -> None:
    db = database(settings_factory)  # log_questions defaults to off
    answer = Answer("Not in the documents.", True, [], latency_s=0.1, outcome="abstained")
    db.add_answers([answer_record(answer, SECRET_QUESTION, "b1")])
    db.add_vote("down", SECRET_QUESTION, "Not in the documents.", [], "b1", "api")
    with db.session() as session:
        assert session.scalars(select(AnswerRow.question)).all() == [None]
        assert session.scalars(select(VoteRow.question)).all() == [None]
        assert session.scalars(select(AnswerRow.language)).one() == "en"
    db.engine.dispose()
    files = Path(db.settings.index_dir).glob("ops.sqlite3*")
    raw = b"".join(p.read_bytes() for p in files)
    assert raw and b"Siti" not in raw and b"Rahayu" not in raw


def test_no_answer_row_at_all_when_recording_is_off(settings_factory: Callable[..., Any]) -> None:
    db = database(settings_factory, record_answers=False, log_questions=True)
    recorder = AnswerRecorder(db)
    recorder.record(Answer("x", True, [], outcome="abstained"), SECRET_QUESTION, None)
    recorder.close()
    assert count(db, AnswerRow) == 0


def test_retention_deletes_old_rows_and_keeps_new_ones(
    settings_factory: Callable[..., Any],
) -> None:
    db = database(settings_factory, retention_days=30)
    now = now_utc()
    old, new = (
        answer_record(Answer("a [1]", False, CITED, outcome="answered"), "q", "b") for _ in range(2)
    )
    db.add_answers([old, new])
    db.add_vote("up", "q", "a", [], None, "api")
    with db.session() as session, session.begin():
        session.get_one(AnswerRow, old.id).created_at = now - timedelta(days=31)
        for vote in session.scalars(select(VoteRow)):
            vote.created_at = now - timedelta(days=45)
    deleted = db.delete_older_than(30, now)
    assert deleted == 1 + 2 + 1  # the old answer, its two cited documents, the old vote
    with db.session() as session:
        assert session.scalars(select(AnswerRow.id)).all() == [new.id]
        assert {c.answer_id for c in session.scalars(select(CitedRow))} == {new.id}
    assert count(db, VoteRow) == 0


def test_the_recorder_deletes_old_rows_when_it_starts(settings_factory: Callable[..., Any]) -> None:
    db = database(settings_factory, retention_days=1)
    record = answer_record(Answer("a", False, [], outcome="extracted"), "q", None)
    db.add_answers([record])
    with db.session() as session, session.begin():
        session.get_one(AnswerRow, record.id).created_at = now_utc() - timedelta(days=2)
    recorder = AnswerRecorder(db)
    recorder.record(Answer("b", False, [], outcome="answered"), "q", None)
    recorder.close()
    with db.session() as session:
        assert session.scalars(select(AnswerRow.outcome)).all() == ["answered"]


def test_the_old_feedback_file_is_imported_once_and_kept(
    settings_factory: Callable[..., Any], tmp_path: Path
) -> None:
    db = database(settings_factory, log_questions=True)
    old = tmp_path / "feedback.jsonl"
    votes = [
        {
            "id": "v1",
            "time": "2026-11-01T10:00:00Z",
            "vote": "down",
            "question": "Q1?",
            "answer": "A1 [1].",
            "citations": [{"n": 1, "doc_id": "d", "title": "T"}],
            "build_id": "b0",
        },
        {
            "id": "v2",
            "time": "2026-11-02T10:00:00Z",
            "vote": "up",
            "question": "Q2?",
            "answer": "A2.",
            "citations": [],
            "build_id": None,
        },
    ]
    text = "".join(json.dumps(v) + "\n" for v in votes) + "{broken\n"
    old.write_text(text, encoding="utf-8")
    first = db.import_feedback_file(old)
    assert (first.imported, first.skipped, len(first.errors)) == (2, 1, 1)
    assert not old.exists() and first.renamed_to is not None
    assert first.renamed_to.read_text(encoding="utf-8") == text  # every line is still there
    stored = db.votes(10)
    assert [(v["id"], v["vote"], v["question"], v["build_id"]) for v in stored] == [
        ("v1", "down", "Q1?", "b0"),
        ("v2", "up", "Q2?", None),
    ]
    assert stored[0]["time"] == "2026-11-01T10:00:00Z"
    # The same file put back (a restore from backup) and imported again adds nothing.
    old.write_text(text, encoding="utf-8")
    second = db.import_feedback_file(old)
    assert second.imported == 0 and count(db, VoteRow) == 2
    assert second.renamed_to is not None and second.renamed_to != first.renamed_to
    assert db.import_feedback_file(old).imported == 0  # no file: nothing to do


def test_the_server_imports_the_feedback_file_at_start(
    settings_factory: Callable[..., Any], tmp_path: Path
) -> None:
    from chatbot.web.service import Service

    folder = tmp_path / "fb"
    folder.mkdir()
    line = {
        "id": "old1",
        "time": "2026-10-01T00:00:00Z",
        "vote": "down",
        "question": "Q?",
        "answer": "A.",
        "citations": [],
        "build_id": None,
    }
    (folder / "feedback.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    settings = settings_factory(feedback={"dir": folder})
    service = Service(settings, lambda: None)  # type: ignore[arg-type,return-value]
    assert service.ops_db is not None and [v["id"] for v in service.ops_db.votes(5)] == ["old1"]
    assert (folder / "feedback.jsonl.imported").exists()
    service.close()
    again = Service(settings, lambda: None)  # type: ignore[arg-type,return-value]
    assert again.ops_db is not None and len(again.ops_db.votes(5)) == 1
    again.close()


def test_a_database_of_an_older_schema_is_upgraded_in_place(
    settings_factory: Callable[..., Any],
) -> None:
    from alembic import command
    from alembic.config import Config

    from chatbot.ops.database import MIGRATIONS, make_engine

    settings = settings_factory()
    engine = make_engine(f"sqlite:///{Path(settings.index_dir) / 'ops.sqlite3'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")  # a database made by the first release
        connection.exec_driver_sql(
            "INSERT INTO votes (id, created_at, vote, answer, citations, source) "
            "VALUES ('old', '2026-12-01 00:00:00', 'up', 'A.', '[]', 'api')"
        )
    assert "question_vectors" not in inspect(engine).get_table_names()
    engine.dispose()
    db = OpsDatabase(settings)
    assert "question_vectors" in inspect(db.engine).get_table_names()
    assert [v["id"] for v in db.votes(10)] == ["old"]  # rows survive the upgrade
