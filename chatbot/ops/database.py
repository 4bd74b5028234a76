"""The operator's database: opened once per process, migrated at start-up, written and pruned.

SQLite in the index folder by default (WAL mode, so the server's readers never wait for its
writer and two server processes can share the file), or any SQLAlchemy URL by
``ops.database_url`` (PostgreSQL for replicas on several machines). Alembic migrates it at
start-up: a file lock (SQLite) or an advisory lock (PostgreSQL) lets one process at a time do it.

What is written follows ``ops.log_questions``: with it off no question text reaches the
database; client addresses never do.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, delete, event, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chatbot.ops.tables import (
    BUILD_CHARS,
    NAME_CHARS,
    AnswerRow,
    CitedRow,
    QuestionVectorRow,
    VoteRow,
)
from core.settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0002"
SQLITE_FILE = "ops.sqlite3"
FEEDBACK_FILE = "feedback.jsonl"
IMPORTED_SUFFIX = ".imported"
# SQLite writers wait this long for another process's write to finish instead of failing.
SQLITE_BUSY_MS = 30_000
# A database server that does not answer fails start-up's open in seconds (the server then runs
# without recording, and says so in /api/health), never hangs it.
CONNECT_TIMEOUT_S = 10
PG_MIGRATION_LOCK = 0x5351_4F50  # "SQOP": one advisory lock id for this schema


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def cut(text: object, limit: int) -> str:
    s = str(text or "")
    return s if len(s) <= limit else s[: max(limit - 1, 0)] + "…"


def database_url(settings: Settings) -> str:
    """ops.database_url, or SQLite at index_dir/ops.sqlite3."""
    if settings.ops.database_url:
        return settings.ops.database_url
    return f"sqlite:///{(Path(settings.index_dir) / SQLITE_FILE).resolve()}"


def shown_url(url: str) -> str:
    """The URL without its password, for logs and the operator's page."""
    return make_url(url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class AnswerRecord:
    """What is kept of one answer served (built by the recorder, written in batches)."""

    id: str
    created_at: datetime
    outcome: str
    abstained: bool
    latency_s: float
    language: str
    build_id: str | None
    question: str | None
    cited: tuple[tuple[int, str, str], ...] = ()  # (n, doc_id, title)


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0  # already in the database (a second run) or not a vote
    renamed_to: Path | None = None
    errors: list[str] = field(default_factory=list)


class DatabaseFull(Exception):
    """A bound of ops.max_*_rows is reached."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = (
        {"connect_timeout": CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
    )
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


@contextlib.contextmanager
def _migration_lock(engine: Engine, connection: Connection) -> Iterator[None]:
    """One process migrates at a time; the others wait, then find the schema at head."""
    if engine.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({PG_MIGRATION_LOCK})")
        try:
            yield
        finally:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})")
        return
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        lock_path = Path(database + ".migrate.lock")
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    yield


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest Alembic revision shipped in this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection, _migration_lock(engine, connection):
        connection.commit()  # the lock query opened a transaction; Alembic opens its own
        if MigrationContext.configure(connection).get_current_revision() == HEAD:
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


class OpsDatabase:
    """The database of one server process: engine, sessions, and the writes the server makes."""

    def __init__(self, settings: Settings, url: str | None = None) -> None:
        self.settings = settings
        self.url = url or database_url(settings)
        self.engine = make_engine(self.url)
        migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._full_logged = False
        self._lock = threading.Lock()

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()

    # --- answers ------------------------------------------------------------------------------
    def add_answers(self, records: Sequence[AnswerRecord]) -> int:
        """Write a batch of answers (question text only when ops.log_questions); the number
        written (0 past ops.max_answer_rows)."""
        if not records:
            return 0
        keep_question = self.settings.ops.log_questions
        limit = self.settings.max_question_chars
        with self.session() as session, session.begin():
            rows = session.scalar(select(func.count()).select_from(AnswerRow)) or 0
            if rows + len(records) > self.settings.ops.max_answer_rows:
                if not self._full_logged:
                    log.warning("answers are not recorded: ops.max_answer_rows reached")
                    self._full_logged = True
                return 0
            for r in records:
                session.add(
                    AnswerRow(
                        id=r.id,
                        created_at=r.created_at,
                        outcome=r.outcome,
                        abstained=r.abstained,
                        latency_s=r.latency_s,
                        language=r.language,
                        build_id=cut(r.build_id, BUILD_CHARS) if r.build_id else None,
                        question=cut(r.question, limit) if keep_question and r.question else None,
                        citations=[
                            CitedRow(n=n, doc_id=cut(doc, NAME_CHARS), title=cut(t, NAME_CHARS))
                            for n, doc, t in r.cited
                        ],
                    )
                )
        return len(records)

    # --- votes --------------------------------------------------------------------------------
    def add_vote(
        self,
        vote: str,
        question: str,
        answer: str,
        citations: Sequence[Mapping[str, Any]],
        build_id: str | None,
        source: str,
    ) -> dict[str, Any]:
        """Record one vote (fields cut to settings.feedback's bounds); the vote as stored."""
        fb = self.settings.feedback
        row = VoteRow(
            id=uuid.uuid4().hex,
            created_at=now_utc(),
            vote=vote,
            question=self._question(question),
            answer=cut(answer, fb.max_answer_chars),
            citations=[
                {
                    "n": c.get("n"),
                    "doc_id": cut(c.get("doc_id"), NAME_CHARS),
                    "title": cut(c.get("title"), NAME_CHARS),
                    "variant": cut(c.get("variant"), NAME_CHARS),
                    "location": cut(c.get("location"), NAME_CHARS),
                    "text": cut(c.get("text"), fb.citation_chars),
                }
                for c in list(citations)[: fb.max_citations]
            ],
            build_id=cut(build_id, BUILD_CHARS) if build_id else None,
            source=source,
        )
        with self._lock, self.session() as session, session.begin():
            count = session.scalar(select(func.count()).select_from(VoteRow)) or 0
            if count >= self.settings.ops.max_vote_rows:
                raise DatabaseFull("ops.max_vote_rows reached")
            session.add(row)
        return vote_json(row)

    def votes(self, limit: int, vote: str | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` votes (only ``vote`` ones if given), oldest first."""
        query = select(VoteRow).order_by(VoteRow.created_at.desc(), VoteRow.id.desc())
        if vote is not None:
            query = query.where(VoteRow.vote == vote)
        with self.session() as session:
            rows = session.scalars(query.limit(limit)).all()
        return [vote_json(r) for r in reversed(rows)]

    def _question(self, question: str | None) -> str | None:
        if not self.settings.ops.log_questions or not question:
            return None
        return cut(question, self.settings.max_question_chars)

    # --- question vectors (grouping) ----------------------------------------------------------
    def vectors(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The kept vectors among ``keys``."""
        found: dict[str, bytes] = {}
        with self.session() as session:
            for start in range(0, len(keys), 500):  # bound the IN list
                part = list(keys[start : start + 500])
                query = select(QuestionVectorRow.key, QuestionVectorRow.vector).where(
                    QuestionVectorRow.key.in_(part)
                )
                found.update({k: bytes(v) for k, v in session.execute(query)})
        return found

    def add_vectors(self, vectors: Mapping[str, bytes]) -> None:
        """Keep new vectors (a key another process kept meanwhile is left as it is)."""
        if not vectors:
            return
        known = set(self.vectors(list(vectors)))
        try:
            with self.session() as session, session.begin():
                for key, vector in vectors.items():
                    if key not in known:
                        session.add(QuestionVectorRow(key=key, created_at=now_utc(), vector=vector))
        except IntegrityError:  # another replica kept one of them first: it is the same vector
            log.debug("question vectors kept by another process meanwhile", exc_info=True)

    # --- retention ----------------------------------------------------------------------------
    def delete_older_than(self, days: int, now: datetime | None = None) -> int:
        """Delete answers (and their citations) and votes older than ``days``; rows deleted."""
        cutoff = (now or now_utc()) - timedelta(days=days)
        with self.session() as session, session.begin():
            old = select(AnswerRow.id).where(AnswerRow.created_at < cutoff)
            cited = session.execute(delete(CitedRow).where(CitedRow.answer_id.in_(old)))
            answers = session.execute(delete(AnswerRow).where(AnswerRow.created_at < cutoff))
            votes = session.execute(delete(VoteRow).where(VoteRow.created_at < cutoff))
            vectors = session.execute(
                delete(QuestionVectorRow).where(QuestionVectorRow.created_at < cutoff)
            )
        deleted = sum(getattr(r, "rowcount", 0) or 0 for r in (cited, answers, votes, vectors))
        if deleted:
            log.info("retention: deleted %d rows older than %d days", deleted, days)
        return deleted

    # --- the old feedback file ----------------------------------------------------------------
    def import_feedback_file(self, path: Path) -> ImportResult:
        """Move the votes of an old ``feedback.jsonl`` into the database, once.

        Each line keeps its id (a line without one gets the hash of its text), so running it
        again imports nothing twice; the file is then renamed ``feedback.jsonl.imported`` (never
        deleted: it still holds every line, question text included, for the operator to keep
        or remove). A damaged line is skipped and named.
        """
        result = ImportResult()
        if not path.is_file():
            return result
        rows: list[VoteRow] = []
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, text in enumerate(lines, 1):
                if not text.strip():
                    continue
                try:
                    rows.append(self._imported_vote(json.loads(text), text))
                except (ValueError, TypeError, AttributeError) as exc:
                    result.errors.append(f"line {number}: {exc}")
                    result.skipped += 1
        with self._lock, self.session() as session, session.begin():
            known = set(session.scalars(select(VoteRow.id).where(VoteRow.source == "import")))
            for row in rows:
                if row.id in known or session.get(VoteRow, row.id) is not None:
                    result.skipped += 1
                    continue
                known.add(row.id)
                session.add(row)
                result.imported += 1
        target = path.with_name(path.name + IMPORTED_SUFFIX)
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}{IMPORTED_SUFFIX}.{n}")
        path.rename(target)
        result.renamed_to = target
        log.info(
            "feedback: %d votes imported from %s (%d skipped); the file is now %s",
            result.imported,
            path,
            result.skipped,
            target,
        )
        return result

    def _imported_vote(self, line: Any, text: str) -> VoteRow:
        if not isinstance(line, dict) or line.get("vote") not in {"up", "down"}:
            raise ValueError("not a vote")
        fb = self.settings.feedback
        vote_id = str(line.get("id") or "") or hashlib.sha256(text.encode()).hexdigest()[:32]
        when = str(line.get("time") or "")
        try:
            created = datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            created = now_utc()
        citations = line.get("citations") or []
        return VoteRow(
            id=cut(vote_id, 64),
            created_at=created,
            vote=line["vote"],
            question=self._question(line.get("question")),
            answer=cut(line.get("answer"), fb.max_answer_chars),
            citations=[c for c in citations if isinstance(c, dict)][: fb.max_citations],
            build_id=cut(line.get("build_id"), BUILD_CHARS) if line.get("build_id") else None,
            source="import",
        )


def vote_json(row: VoteRow) -> dict[str, Any]:
    """A vote as the API shows it (the shape feedback.jsonl had)."""
    return {
        "id": row.id,
        "time": row.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "vote": row.vote,
        "question": row.question,
        "answer": row.answer,
        "citations": row.citations,
        "build_id": row.build_id,
    }


_opened: dict[str, OpsDatabase] = {}
_opened_lock = threading.Lock()


def open_database(settings: Settings) -> OpsDatabase:
    """The process's database for these settings' URL: opened and migrated once, then shared
    (the API, the UI's votes and the recorder use one engine and pool)."""
    url = database_url(settings)
    with _opened_lock:
        db = _opened.get(url)
        if db is None or db.settings is not settings:
            db = OpsDatabase(settings, url)
            _opened[url] = db
        return db
