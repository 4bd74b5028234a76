"""The operator's records: answers served, abstentions and votes in a SQL database, and the
reports the operator's page shows from them.

``tables`` (the schema) and ``migrations/`` (Alembic, run at start-up) define the database;
``database`` opens it (SQLite in the index folder by default, any SQLAlchemy URL by setting),
writes rows, deletes old ones and imports the old ``feedback.jsonl``; ``recorder`` writes answer
rows off the request path; ``reports``, ``grouping`` and ``charts`` turn rows into the tables,
topic groups and SVG charts of ``/admin`` (chatbot.web.admin).

May import ``core`` and ``chatbot.types``; never ``chatbot.web`` or ``chatbot.pipeline``.
"""
