"""Index -> answers: retrieve passages, answer with citations, serve the UI and the HTTP API."""
