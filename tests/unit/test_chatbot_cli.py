"""`chatbot ask --json`: the answer it prints is numbered from [1] like every other consumer's
(issue 16 row 5), with a fake chat model over a real hashing index."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chatbot import cli
from chatbot.pipeline.answer import Answerer
from chatbot.pipeline.retrieve import Retriever
from core.settings import Settings
from ingest.build import run_build

DELTA = (
    "Delta Report\n\n"
    "The delta project builds solar farms in the southern provinces. It started in 2021.\n"
)
QUESTION = "Which projects build solar farms in the provinces?"


@dataclass
class Piece:
    content: str


class LowerRankFirst:
    """A chat model that cites the delta passage and the alpha passage, the one the prompt
    numbers higher first: its answer reads "[2] ... [1]" until the cite step renumbers it."""

    def invoke(self, messages: list[Any], **kw: Any) -> Piece:
        return Piece("")  # no translation asked for an English question

    def stream(self, messages: list[Any], **kw: Any) -> Iterator[Piece]:
        prompt = str(messages[-1][1])
        number = {
            name: int(re.search(rf"^\[(\d+)\] \(.*{name}", prompt, re.MULTILINE | re.I)[1])  # type: ignore[index]
            for name in ("alpha", "delta")
        }
        claims = {
            number["alpha"]: "The alpha project builds solar farms in the northern provinces",
            number["delta"]: "The delta project builds solar farms in the southern provinces",
        }
        yield Piece(" ".join(f"{claims[n]} [{n}]." for n in sorted(claims, reverse=True)))


@pytest.fixture
def ask_json(tmp_path: Path, tiny_corpus: Path, settings_factory, env, monkeypatch):
    """``ask_json(question)`` -> the JSON `chatbot ask QUESTION --json` prints,
    answered by LowerRankFirst over a hashing index of the tiny corpus plus a delta report."""
    (tiny_corpus / "delta.txt").write_text(DELTA, encoding="utf-8")
    settings = settings_factory()
    assert run_build(settings, progress=False).build_id is not None

    class WithFakeModel(Answerer):
        @classmethod
        def from_settings(cls, settings: Settings) -> Answerer:
            return cls(settings, Retriever.from_settings(settings), LowerRankFirst(), "fake")

    monkeypatch.setattr(cli, "Answerer", WithFakeModel)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    cli_env = env.hashing | {
        "SQA_INDEX_DIR": str(settings.index_dir),
        "SQA_ANSWER__MIN_SUPPORT": "0.0",
    }

    def run(question: str, as_json: bool = True) -> Any:
        args = ["ask", question, "--json"] if as_json else ["ask", question]
        result = CliRunner().invoke(cli.app, args, env=cli_env)
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.stdout)) if as_json else result.stdout

    return run


def test_ask_json_numbers_markers_and_citations_from_one(ask_json) -> None:
    data = ask_json(QUESTION)
    assert data["outcome"] == "answered", data
    answer = data["answer"].split("\n\n")[0]  # the model's sentences; the quote follows them
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer)]
    assert markers == [1, 2], data["answer"]
    assert [c["n"] for c in data["citations"]] == [1, 2]
    # each marker still points at its own sentence's passage
    first, second = answer.split("[1]")
    assert data["citations"][0]["doc_id"] in first.lower()
    assert data["citations"][1]["doc_id"] in second.lower()
    assert {c["doc_id"] for c in data["citations"]} == {"alpha", "delta"}


def test_ask_prints_the_answer_once(ask_json) -> None:
    """The model's draft streams to the terminal; the checked answer (renumbered markers, the
    passages' own words added) replaced it, so it was printed a second time below the draft."""
    text = ask_json(QUESTION, as_json=False)
    final = ask_json(QUESTION)["answer"]
    printed_answer = text.split("\n\n[1] ")[0]  # the cited passages follow it
    assert printed_answer.strip() == final, text


@pytest.mark.parametrize(
    ("printed", "width", "codes"),
    [
        ("The delta project", 80, "\r\x1b[J"),
        ("One line\n\nThird line", 80, "\r\x1b[2F\x1b[J"),
        ("x" * 100, 40, "\r\x1b[2F\x1b[J"),  # wrapped over three rows
        ("太阳能" * 10, 40, "\r\x1b[1F\x1b[J"),  # 30 wide characters: 60 columns, two rows
    ],
)
def test_erase_goes_back_over_every_row_the_draft_took(
    printed: str, width: int, codes: str
) -> None:
    assert cli.erase(printed, width) == codes


def test_serve_builds_an_index_that_is_missing_or_made_by_another_tokenizer(
    tiny_corpus: Path, settings_factory, monkeypatch
) -> None:
    """After an upgrade whose BM25 tokens differ, `serve` (the README's run command) rebuilds
    instead of refusing to start; an index this program made is served as it is."""
    settings = settings_factory()
    assert cli._why_build(settings) == f"no index in {settings.index_dir}"
    run_build(settings, progress=False)
    assert cli._why_build(settings) is None
    monkeypatch.setattr("core.settings.LEXICAL_TOKENIZER", "another-tokenizer")
    reason = cli._why_build(settings)
    assert reason is not None and "was built with lexical_tokens=" in reason
    assert "run `ingest build`" not in reason  # serve runs it
