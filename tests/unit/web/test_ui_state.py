"""The chat UI's conversation key is the same on every start (issue 16: a reload after a
restart kept nothing, since Gradio's BrowserState key was random per start)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from chatbot.web.api import create_app
from chatbot.web.ui_state import key_file, ui_state_secret
from core.settings import ChatUiSettings, Settings


@pytest.fixture
def settings(settings_factory: Callable[..., Settings], tmp_path: Path) -> Settings:
    return settings_factory(chat_ui=ChatUiSettings(state_secret_file=tmp_path / "ui" / "k.key"))


def test_the_key_is_made_once_private_and_kept(settings: Settings) -> None:
    first = ui_state_secret(settings)
    assert ui_state_secret(settings) == first  # a restart reads the same key
    path = key_file(settings)
    assert path.read_text(encoding="ascii").strip() == first and len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_two_installations_get_different_keys(settings_factory, tmp_path: Path) -> None:
    keys = {
        ui_state_secret(settings_factory(chat_ui={"state_secret_file": tmp_path / name}))
        for name in ("a.key", "b.key")
    }
    assert len(keys) == 2


def test_the_setting_wins_and_no_file_is_made(settings_factory, tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    chosen = settings_factory(chat_ui={"state_secret": "s" * 20, "state_secret_file": path})
    assert ui_state_secret(chosen) == "s" * 20
    assert not path.exists()


def test_the_default_file_is_in_the_model_cache_outside_the_repository(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, model_cache_dir=tmp_path / "cache", chat_ui=ChatUiSettings()
    )  # type: ignore[call-arg]
    assert key_file(settings) == tmp_path / "cache" / "ui-state.key"


@pytest.mark.parametrize("content", [b"", b"short\n", b"k" * 2000, b"\xff\xfe" * 20])
def test_a_file_that_holds_no_key_gives_a_key_for_this_run_and_a_warning(
    settings: Settings, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = key_file(settings)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        key = ui_state_secret(settings)
    assert len(key) >= 32 and ui_state_secret(settings) != key
    assert "SQA_CHAT_UI__STATE_SECRET" in caplog.text
    assert path.read_bytes() == content  # the operator's file is never overwritten


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_folder_that_cannot_be_written_gives_a_key_for_this_run(settings: Settings) -> None:
    folder = key_file(settings).parent
    folder.mkdir(parents=True)
    folder.chmod(0o500)
    try:
        assert len(ui_state_secret(settings)) >= 32
    finally:
        folder.chmod(0o700)


class NoAnswerer:
    def __init__(self, *args: Any) -> None:
        raise RuntimeError("not needed here")


def test_the_page_is_given_the_kept_key(settings: Settings) -> None:
    """The BrowserState of the page Gradio serves carries the kept key, on every app built."""
    configs = []
    for _ in range(2):  # two starts of the server
        with TestClient(create_app(settings, cast(Any, NoAnswerer)), "http://localhost") as c:
            configs.append(c.get("/config").json())
    secrets = [
        [
            comp["props"]["secret"]
            for comp in config["components"]
            if comp.get("type") == "browserstate"
        ]
        for config in configs
    ]
    assert secrets[0] == secrets[1] == [key_file(settings).read_text(encoding="ascii").strip()]
