"""A server started before any build exists (a replica started before the first `ingest
build`) waits for the build and loads it, instead of staying failed until restarted."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from chatbot.web.service import Service
from core.store import load_index
from tests.unit.core.test_store_integrity import write_build
from tests.unit.web.test_api import FakeAnswerer


def test_the_answerer_loads_when_the_first_build_appears(
    settings_factory: Callable[..., Any],
) -> None:
    settings = settings_factory(reload_poll_s=0.05)
    attempts: list[str] = []

    def factory() -> Any:
        attempts.append("load")
        answerer = FakeAnswerer()
        index = load_index(settings.index_dir, settings.index_identity())  # raises until built
        answerer.retriever = SimpleNamespace(index=index)  # type: ignore[attr-defined]
        return answerer

    service = Service(settings, factory)
    service.start_loading()
    try:
        deadline = time.monotonic() + 5
        while not attempts and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        assert service.state == "failed" and len(attempts) == 1  # no build: says so, waits
        build = write_build(settings, ["Solar farms in the north.", "Gamma counts fish."])
        deadline = time.monotonic() + 5
        while service.state != "ready" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert service.state == "ready" and len(attempts) == 2
        assert service.health()["ready"] is True
        assert service.served_pointer == build
    finally:
        service.close()


def test_other_load_failures_are_not_retried(settings_factory: Callable[..., Any]) -> None:
    settings = settings_factory(reload_poll_s=0.05)
    attempts: list[str] = []

    def factory() -> Any:
        attempts.append("load")
        raise RuntimeError("the model file is damaged")

    service = Service(settings, factory)
    service.start_loading()
    time.sleep(0.4)
    assert service.state == "failed" and attempts == ["load"]
    service.close()
