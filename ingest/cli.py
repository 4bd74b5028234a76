"""`ingest build` and `ingest status`. Exit codes: 0 ok, 1 some files failed, 2 usage."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from core.manifest import FileEntry
from core.settings import Settings
from core.store import IndexUnavailable
from ingest.build import BuildReport, make_plan, run_build
from ingest.inventory import page_ranges, read_table
from ingest.readers.ocr import MISSING
from ingest.readers.page import LoadError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

CorpusOpt = Annotated[Path | None, typer.Option("--corpus", help="Folder of documents.")]
IndexOpt = Annotated[Path | None, typer.Option("--index", help="Folder for index builds.")]


def _settings(corpus: Path | None, index: Path | None) -> Settings:
    overrides = {k: v for k, v in {"corpus_dir": corpus, "index_dir": index}.items() if v}
    return Settings(**overrides)  # type: ignore[arg-type]


def _user_errors() -> tuple[type[Exception], ...]:
    """Failures that become one line and exit 1. An ``except`` clause evaluates this only when
    an exception arrives, so core.embed (LangChain: seconds of start-up on 2 busy cores) is not
    imported by an up-to-date check that never loads a model."""
    from core.embed import EmbeddingModelError

    errors: tuple[type[Exception], ...] = (LoadError, EmbeddingModelError, IndexUnavailable)
    try:
        from pymilvus.exceptions import MilvusException

        errors += (MilvusException,)
    except ImportError:
        pass
    return errors


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(code)


@app.command()
def build(
    corpus: CorpusOpt = None,
    index: IndexOpt = None,
    full: Annotated[bool, typer.Option("--full", help="Re-embed everything.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Build or update the index from the corpus; only new or changed files are re-embedded."""
    settings = _settings(corpus, index)
    try:
        report = run_build(settings, full=full, progress=not quiet and sys.stderr.isatty())
    except FileNotFoundError as exc:  # no corpus folder: the command was given a wrong path
        raise _fail(str(exc), code=2) from exc
    except _user_errors() as exc:
        raise _fail(str(exc)) from exc
    if report.cleaned:
        typer.echo(f"removed leftovers of an interrupted build: {', '.join(report.cleaned)}")
    if report.full_reason and not report.up_to_date:
        typer.echo(f"full rebuild: {report.full_reason}")
    for rel, reason in sorted(report.errors.items()):
        typer.secho(f"error: {settings.corpus_dir / rel}: {reason}", fg="red", err=True)
    _report_ocr(report, settings)
    if report.build_id is None:
        raise _fail("nothing could be indexed; the previous index (if any) is still live")
    if report.up_to_date:
        typer.echo(
            f"index is up to date (build {report.build_id}, {report.chunks} chunks, "
            f"{report.files} files); nothing re-embedded [{report.seconds:.2f} s]"
        )
    else:
        typer.echo(
            f"indexed {report.files} files ({report.documents} documents) into {report.chunks} "
            f"chunks; embeddings: {report.new_embeddings} new, {report.reused_embeddings} reused; "
            f"{report.aligned} variant passages aligned; {report.seconds:.1f} s; "
            f"build {report.build_id} is live"
        )
        if report.ocr_summary:
            typer.echo(report.ocr_summary)
        _echo_table(report.read, "read by this build")
    if report.published:
        typer.echo(
            f"served from Milvus at {settings.milvus.uri} as {report.published} "
            f"[{report.publish_seconds:.1f} s]"
        )
    if report.errors:
        raise typer.Exit(1)


def _report_ocr(report: BuildReport, settings: Settings) -> None:
    """One notice when tesseract is missing (naming what it skipped), and a line per warning
    (a page skipped, empty after OCR, or read with low confidence)."""
    skipped = [
        f"{rel} (p. {', '.join(map(str, pages))})" for rel, pages in report.ocr_missing.items()
    ]
    skipped += [rel for rel, reason in report.errors.items() if reason.startswith(MISSING)]
    if skipped:
        typer.secho(
            f"warning: {MISSING}; scanned pages not read: {'; '.join(sorted(skipped))}",
            fg="yellow",
            err=True,
        )
    late = [f"{rel} (p. {page_ranges(pages)})" for rel, pages in report.ocr_out_of_time.items()]
    late += report.ocr_out_of_time_failed
    if late:
        typer.secho(
            f"warning: the build's OCR time ({report.ocr_budget_s:g} s, "
            "SQA_OCR__BUILD_TIMEOUT_S) ran out; "
            f"scanned pages not read: {'; '.join(sorted(late))}; the rest was indexed",
            fg="yellow",
            err=True,
        )
    for rel, ocr in sorted(report.ocr.items()):
        for warning in ocr.warnings:
            typer.secho(f"warning: {settings.corpus_dir / rel}: {warning}", fg="yellow", err=True)


def _echo_table(entries: dict[str, FileEntry], what: str) -> None:
    """What was read in each file, as a table (its warnings are printed apart)."""
    lines = read_table(entries)
    if lines:
        typer.echo(f"files {what}:")
        for line in lines:
            typer.echo(f"  {line}")


@app.command()
def status(corpus: CorpusOpt = None, index: IndexOpt = None) -> None:
    """Say which corpus files are new, changed or deleted since the live build."""
    settings = _settings(corpus, index)
    try:
        plan = make_plan(settings)
    except FileNotFoundError as exc:
        raise _fail(str(exc), code=2) from exc
    except LoadError as exc:
        raise _fail(str(exc)) from exc
    if plan.previous is None:
        typer.echo(f"no index yet in {settings.index_dir}; {len(plan.files)} files to index")
    else:
        typer.echo(f"live build {plan.previous.build_id} ({plan.previous.created_at})")
    if settings.index_backend == "milvus":
        from core.milvus_store import collection_name, live_collection

        served = live_collection(settings.milvus)
        local = collection_name(settings.milvus, plan.previous.build_id) if plan.previous else None
        typer.echo(
            f"Milvus at {settings.milvus.uri} serves {served or 'nothing yet'}"
            + ("" if served == local or local is None else f"; `ingest build` publishes {local}")
        )
    for label, names in (("new", plan.new), ("changed", plan.changed), ("deleted", plan.deleted)):
        for name in names:
            typer.echo(f"  {label:9} {name}")
    for name, reason in plan.failed_before.items():
        typer.echo(f"  {'failed':9} {name}: {reason}")
    if plan.previous is not None:
        _echo_table(plan.previous.files, "in the live build")
        for name, entry in sorted(plan.previous.files.items()):
            if entry.ocr_pages:
                pages = page_ranges(entry.ocr_pages)
                typer.echo(
                    f"  {'ocr':9} {name}: p. {pages} (mean confidence {entry.ocr_confidence})"
                )
            for warning in entry.warnings:
                typer.echo(f"  {'warning':9} {name}: {warning}")
    if plan.full_reason:
        typer.echo(f"a full rebuild is needed: {plan.full_reason}")
    elif plan.manifest_changed:
        typer.echo("the corpus manifest changed: documents will be re-split (embeddings reused)")
    if plan.previous is not None and plan.up_to_date:
        typer.echo(f"up to date: {len(plan.unchanged)} files unchanged")


def main() -> None:
    app()
