"""Answers served, the documents they cited, and votes.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("abstained", sa.Boolean(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("build_id", sa.String(100), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
    )
    op.create_index("ix_answers_created_at", "answers", ["created_at"])
    op.create_index("ix_answers_outcome", "answers", ["outcome"])
    op.create_table(
        "answer_citations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "answer_id",
            sa.String(64),
            sa.ForeignKey("answers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("doc_id", sa.String(300), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
    )
    op.create_index("ix_answer_citations_answer_id", "answer_citations", ["answer_id"])
    op.create_index("ix_answer_citations_doc_id", "answer_citations", ["doc_id"])
    op.create_table(
        "votes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("vote", sa.String(4), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("build_id", sa.String(100), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_votes_created_at", "votes", ["created_at"])
    op.create_index("ix_votes_vote", "votes", ["vote"])


def downgrade() -> None:
    op.drop_table("votes")
    op.drop_table("answer_citations")
    op.drop_table("answers")
