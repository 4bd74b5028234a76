"""The operator's database schema (SQLAlchemy 2.x declarative). A change here needs a new
Alembic revision in ``migrations/versions`` (the start-up migration creates and upgrades).

What a row holds is what docs/SECURITY.md promises: never a client address; a question's text
only when ``ops.log_questions`` is on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ID_CHARS = 64
BUILD_CHARS = 100
NAME_CHARS = 300


class Base(DeclarativeBase):
    pass


class AnswerRow(Base):
    """One answer served (web UI, /api/ask, /v1/chat/completions)."""

    __tablename__ = "answers"

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC, naive
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    abstained: Mapped[bool] = mapped_column(Boolean)
    latency_s: Mapped[float] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(16))
    build_id: Mapped[str | None] = mapped_column(String(BUILD_CHARS))
    question: Mapped[str | None] = mapped_column(Text)  # only when ops.log_questions
    citations: Mapped[list[CitedRow]] = relationship(
        back_populates="answer", cascade="all, delete-orphan", passive_deletes=True
    )


class CitedRow(Base):
    """A document one answer cited (its [n] marker and the document's id and title)."""

    __tablename__ = "answer_citations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    doc_id: Mapped[str] = mapped_column(String(NAME_CHARS), index=True)
    title: Mapped[str] = mapped_column(String(NAME_CHARS))
    answer: Mapped[AnswerRow] = relationship(back_populates="citations")


class VoteRow(Base):
    """A like or dislike of an answer, with what was rated."""

    __tablename__ = "votes"

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    vote: Mapped[str] = mapped_column(String(4), index=True)  # up | down
    question: Mapped[str | None] = mapped_column(Text)  # only when ops.log_questions
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    build_id: Mapped[str | None] = mapped_column(String(BUILD_CHARS))
    source: Mapped[str] = mapped_column(String(16))  # api | ui | import


class QuestionVectorRow(Base):
    """A question's embedding for grouping, kept so each is computed once across restarts and
    replicas. Keyed by a hash of the model and the text (the text itself is in ``answers``);
    derived from a question, so it is deleted with the rows of its age (retention)."""

    __tablename__ = "question_vectors"

    key: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
