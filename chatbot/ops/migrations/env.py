"""Alembic's environment: always run from chatbot.ops.database.migrate, on the connection it
passes (never from a URL in a config file, so no password is ever written to one)."""

from __future__ import annotations

from alembic import context

from chatbot.ops.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
)
with context.begin_transaction():
    context.run_migrations()
