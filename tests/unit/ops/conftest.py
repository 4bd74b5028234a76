"""The database tests open it where the settings say by default (the index folder, under
tmp_path): an SQA_OPS__DATABASE_URL left by another test folder's fixtures must not apply."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _default_database_location(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQA_OPS__DATABASE_URL", raising=False)
