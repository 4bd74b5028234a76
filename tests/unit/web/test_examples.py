"""Example questions: corpus manifest -> build manifest -> UI and /api/examples; or settings."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from fastapi.testclient import TestClient

from chatbot.web.api import create_app
from chatbot.web.examples import example_questions
from core.manifest import BuildManifest
from core.store import live_build_dir, load_manifest
from ingest.build import run_build

MANIFEST = """\
examples = [
    "What does the alpha project build?",
    "  What does the alpha project   build?  ",
    "Apa yang dilatih oleh Beta?",
    "%s",
    "",
]
"""


class NoAnswerer:
    def health(self) -> dict[str, object]:
        return {}


def build(settings: Any) -> BuildManifest:
    assert run_build(settings, progress=False).build_id
    live = live_build_dir(settings.index_dir)
    assert live is not None
    return load_manifest(live)


def test_examples_travel_from_the_corpus_manifest_to_the_api(
    tiny_corpus: Path, settings_factory: Callable[..., Any]
) -> None:
    settings = settings_factory(max_question_chars=100)
    (tiny_corpus / "manifest.toml").write_text(MANIFEST % ("Why? " * 30), encoding="utf-8")
    manifest = build(settings)
    assert len(manifest.examples) == 4  # the build copies them as written (blanks dropped)
    # Shown: unique, spaces tidied, none longer than a question may be.
    expected = ["What does the alpha project build?", "Apa yang dilatih oleh Beta?"]
    assert example_questions(settings, manifest) == expected
    assert example_questions(settings_factory(max_examples=1), manifest) == expected[:1]
    with TestClient(create_app(settings, cast(Any, NoAnswerer)), "http://localhost") as client:
        # Read from the live build on disk, before (or without) a loaded answerer.
        assert client.get("/api/examples").json() == {"examples": expected}


def test_a_corpus_without_examples_shows_none_and_settings_override(
    tiny_corpus: Path, settings_factory: Callable[..., Any]
) -> None:
    settings = settings_factory()
    manifest = build(settings)
    assert manifest.examples == []
    assert example_questions(settings, manifest) == []
    override = settings_factory(example_questions=["Our own question?"])
    assert example_questions(override, manifest) == ["Our own question?"]
    assert example_questions(settings_factory(example_questions=[]), {"examples": ["x?"]}) == []


def test_the_seed_corpus_ships_its_examples(
    tmp_path: Path, settings_factory: Callable[..., Any]
) -> None:
    seed = Path(__file__).resolve().parents[3] / "corpus"
    shutil.copy(seed / "manifest.toml", tmp_path / "manifest.toml")
    from ingest.load import read_examples

    examples = read_examples(tmp_path, "manifest.toml")
    assert any("Indonesia" in q for q in examples)
    assert any(q.startswith("Kapan") for q in examples)  # one in Indonesian
