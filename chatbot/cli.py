"""`chatbot ask`, `chatbot eval` and `chatbot serve`."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, get_args

import typer

from chatbot.evaluation.evaluate import EvalError, run_eval
from chatbot.pipeline.answer import Answerer
from core.settings import LlmBackend, Settings
from core.store import IndexUnavailable, checked_manifest, live_build_dir

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

IndexOpt = Annotated[Path | None, typer.Option("--index", help="Folder of index builds.")]
LlmOpt = Annotated[
    str | None, typer.Option("--llm", help="bundled | openai | none (extractive, no LLM).")
]


def _settings(index: Path | None = None, llm: str | None = None, **extra: object) -> Settings:
    overrides: dict[str, object] = {k: v for k, v in extra.items() if v is not None}
    if index:
        overrides["index_dir"] = index
    if llm:
        if llm not in get_args(LlmBackend):
            raise typer.BadParameter(f"--llm must be one of bundled, openai, none (got {llm!r})")
        overrides["llm"] = llm
    return Settings(**overrides)  # type: ignore[arg-type]


@contextmanager
def _answerer(settings: Settings) -> Iterator[Answerer]:
    """The answerer for a command, closed (its model server stopped) when the command ends."""
    from chatbot.llm.model_file import LlmUnavailable

    try:
        answerer = Answerer.from_settings(settings)
    except (IndexUnavailable, LlmUnavailable) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    try:
        yield answerer
    finally:
        answerer.close()


def _columns(line: str) -> int:
    """Terminal columns a line takes: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def erase(printed: str, width: int) -> str:
    """ANSI codes that take the cursor back to where ``printed`` began (at a line start, on a
    terminal ``width`` columns wide) and clear everything after it."""
    rows = sum(max(1, math.ceil(_columns(line) / max(1, width))) for line in printed.split("\n"))
    up = f"\x1b[{rows - 1}F" if rows > 1 else ""
    return f"\r{up}\x1b[J"


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON answer.")] = False,
    llm: LlmOpt = None,
    index: IndexOpt = None,
) -> None:
    """Answer one question from the indexed documents, with cited passages."""
    with _answerer(_settings(index, llm)) as answerer:
        if as_json:
            typer.echo(json.dumps(answerer.ask(question).to_json(), ensure_ascii=False, indent=2))
            return
        # On a terminal the model's draft streams in, then gives way to the checked answer
        # (markers renumbered, the passages' own words added); elsewhere only that is printed.
        live = sys.stdout.isatty()
        answer, streamed = None, ""
        for event in answerer.stream(question):
            if event.kind == "token":
                streamed += event.text
                if live:
                    typer.echo(event.text, nl=False)
            elif event.kind == "done":
                answer = event.answer
        assert answer is not None
        if live and streamed:
            typer.echo(erase(streamed, shutil.get_terminal_size().columns), nl=False)
        typer.echo(answer.answer, nl=False)
        typer.echo("\n")
        for c in answer.citations:
            typer.echo(f"[{c.n}] {c.title} ({c.variant}, {c.location})\n    {c.text[:300]}")
        typer.echo(f"({answer.latency_s:.2f} s)")


@app.command("eval")
def eval_command(
    questions: Annotated[Path, typer.Argument(help="Questions file (JSON lines).", exists=True)],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write one JSON result per line.")
    ] = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="Also write an HTML report with plots beside the results (RESULTS.html).",
        ),
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")
    ] = True,
    llm: LlmOpt = None,
    index: IndexOpt = None,
) -> None:
    """Answer every question of a file and print answer accuracy, citation hit, MRR, latency."""
    if report and out is None:
        typer.secho("error: --report needs --out (the report goes beside it)", fg="red", err=True)
        raise typer.Exit(2)
    results: list[tuple[dict[str, object], dict[str, object]]] = []
    with _answerer(_settings(index, llm)) as answerer:
        try:
            summary = run_eval(
                answerer,
                questions,
                out,
                on_result=lambda item, record: results.append((item, record)),
                progress=progress,
            )
        except EvalError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
    typer.echo(summary.line())
    if report and out is not None:
        from chatbot.evaluation.report import write_report  # matplotlib: only when asked for

        path = write_report(
            results, summary, out.with_suffix(".html"), f"Evaluation: {questions.name}"
        )
        typer.echo(f"report: {path}")


def _why_build(settings: Settings) -> str | None:
    """Why the index must be built before serving: there is none, or the live build was made
    with other models or another tokenizer than this program's (after an upgrade)."""
    live = live_build_dir(settings.index_dir)
    if live is None:
        return f"no index in {settings.index_dir}"
    try:
        checked_manifest(live, settings.index_identity())
    except IndexUnavailable as exc:
        return str(exc).split(": run ")[0]  # "index B was built with lexical_tokens=..."
    return None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on.")] = None,
    llm: LlmOpt = None,
    index: IndexOpt = None,
) -> None:
    """Run the chat UI, the embeddable widget and the HTTP API (builds the index if missing)."""
    settings = _settings(index, llm, host=host, port=port)
    reason = _why_build(settings) if settings.index_backend == "faiss" else None
    if reason is not None:
        typer.echo(f"{reason}: building it from {settings.corpus_dir} ...")
        # A separate process keeps the loaders out of the server (data flows one way).
        cmd = [
            sys.executable,
            "-m",
            "ingest",
            "build",
            "--index",
            str(settings.index_dir),
            "--corpus",
            str(settings.corpus_dir),
        ]
        code = subprocess.call(cmd)
        if live_build_dir(settings.index_dir) is None:
            typer.secho("error: the index could not be built (see above)", fg="red", err=True)
            raise typer.Exit(1)
        if code:
            typer.echo("some files could not be indexed (see above); serving the rest")
    from chatbot.web.api import serve as run_server

    run_server(settings, lambda: Answerer.from_settings(settings))


def main() -> None:
    app()
