"""What the operator's page shows, read from the database and the live build's manifest: plain
dicts and rows (JSON for the page, CSV for a spreadsheet)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select

from chatbot.ops.database import OpsDatabase, now_utc
from chatbot.ops.tables import AnswerRow, CitedRow, VoteRow
from chatbot.types import OUTCOMES
from core.manifest import BuildManifest

# Outcomes whose answer is the passages' own sentences, not a written answer.
QUOTED = ("extracted", "fallback")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def unanswered_questions(db: OpsDatabase, outcomes: Sequence[str], limit: int) -> list[str]:
    """The newest ``limit`` logged questions whose answer had one of ``outcomes`` (none when
    question logging was off: their text was never kept)."""
    query = (
        select(AnswerRow.question)
        .where(AnswerRow.outcome.in_(list(outcomes)), AnswerRow.question.is_not(None))
        .order_by(AnswerRow.created_at.desc())
        .limit(limit)
    )
    with db.session() as session:
        return [q for q in session.scalars(query) if q]


def usage(db: OpsDatabase, days: int, documents: Mapping[str, str]) -> dict[str, Any]:
    """Questions per day, outcome mix, latency percentiles, languages and votes over the last
    ``days`` days; documents by times cited (``documents``: the live build's id -> title)."""
    since = now_utc() - timedelta(days=days)
    with db.session() as session:
        rows = session.execute(
            select(
                AnswerRow.created_at, AnswerRow.outcome, AnswerRow.latency_s, AnswerRow.language
            ).where(AnswerRow.created_at >= since)
        ).all()
        cited = session.execute(
            select(CitedRow.doc_id, func.max(CitedRow.title), func.count())
            .join(AnswerRow, CitedRow.answer_id == AnswerRow.id)
            .where(AnswerRow.created_at >= since)
            .group_by(CitedRow.doc_id)
        ).all()
        votes = session.execute(
            select(VoteRow.vote, func.count())
            .where(VoteRow.created_at >= since)
            .group_by(VoteRow.vote)
        ).all()
    per_day = Counter(r.created_at.date() for r in rows)
    first = (now_utc() - timedelta(days=days - 1)).date()
    latencies = np.array([r.latency_s for r in rows], dtype=float)
    outcomes = Counter(r.outcome for r in rows)
    kinds = set(OUTCOMES)
    times = {doc: int(n) for doc, _, n in cited}
    titles = {doc: title for doc, title, _ in cited}
    listed: list[dict[str, Any]] = [
        {"doc_id": doc, "title": documents.get(doc) or titles.get(doc, ""), "cited": n}
        for doc, n in times.items()
    ]
    listed.sort(key=lambda d: (-d["cited"], d["doc_id"]))
    never = [{"doc_id": d, "title": t} for d, t in sorted(documents.items()) if d not in times]
    return {
        "days": days,
        "questions": len(rows),
        "per_day": [
            {"day": day.isoformat(), "questions": per_day.get(day, 0)}
            for day in (first + timedelta(days=i) for i in range(days))
        ],
        "outcomes": {o: outcomes.get(o, 0) for o in (*OUTCOMES, *sorted(set(outcomes) - kinds))},
        "latency_s": {
            "p50": round(float(np.percentile(latencies, 50)), 3) if len(rows) else None,
            "p95": round(float(np.percentile(latencies, 95)), 3) if len(rows) else None,
        },
        "languages": dict(Counter(r.language for r in rows).most_common()),
        "votes": {v: int(n) for v, n in votes},
        "documents": listed,
        "never_cited": never,
    }


def corpus(manifest: BuildManifest | None, live: str | None, served: str | None) -> dict[str, Any]:
    """The live build and what its build read in each file, for people."""
    if manifest is None:
        return {"live_build": live, "served_build": served, "files": [], "errors": []}
    files = [
        {
            "file": rel,
            "status": "indexed",
            "parts": e.parts,
            "part_unit": e.part_unit,
            "chunks": e.chunks,
            "tables": e.tables,
            "ocr_pages": len(e.ocr_pages),
            "ocr_confidence": e.ocr_confidence,
            "warnings": list(e.warnings),
        }
        for rel, e in sorted(manifest.files.items())
    ]
    files += [
        {
            "file": rel,
            "status": "failed",
            "parts": None,
            "part_unit": "",
            "chunks": 0,
            "tables": None,
            "ocr_pages": 0,
            "ocr_confidence": None,
            "warnings": [err.reason],
        }
        for rel, err in sorted(manifest.errors.items())
    ]
    return {
        "live_build": live,
        "served_build": served,
        "build_id": manifest.build_id,
        "created_at": manifest.created_at,
        "build_seconds": manifest.build_seconds,
        "counts": manifest.counts.model_dump(),
        "models": {k: (v.name if v else None) for k, v in manifest.models.items()},
        "files": files,
    }


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a string that would start a formula gets a
    leading apostrophe (OWASP's advice); numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    if isinstance(value, list | tuple):
        text = "; ".join(str(v) for v in value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return out.getvalue()
