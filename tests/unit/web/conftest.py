"""Web tests build the whole app, Gradio UI included: its conversation key file and the
operator's database go under temporary folders (through the environment, for the tests that make
their own Settings, some in module-scoped fixtures), never into the developer's ~/.cache or the
repository's index/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _ui_state_key_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    key = tmp_path_factory.mktemp("ui-state") / "ui-state.key"
    shared_db = tmp_path_factory.mktemp("ops") / "ops.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SQA_CHAT_UI__STATE_SECRET_FILE", str(key))
        patch.setenv("SQA_OPS__DATABASE_URL", f"sqlite:///{shared_db}")  # module-scoped apps
        yield


@pytest.fixture(autouse=True)
def _ops_database_per_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's apps start with an empty operator's database of their own."""
    monkeypatch.setenv("SQA_OPS__DATABASE_URL", f"sqlite:///{tmp_path / 'ops-test.sqlite3'}")
