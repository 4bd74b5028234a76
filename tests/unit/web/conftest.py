"""Web tests build the whole app, Gradio UI included: its conversation key file goes under a
temporary folder (through the environment, for the tests that make their own Settings, some in
module-scoped fixtures), never into the developer's ~/.cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _ui_state_key_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    key = tmp_path_factory.mktemp("ui-state") / "ui-state.key"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SQA_CHAT_UI__STATE_SECRET_FILE", str(key))
        yield
