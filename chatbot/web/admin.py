"""The operator's view: ``/admin`` (a static page and its own script and style, no CDN) and its
JSON API under ``/api/admin/``, on only when ``ops.admin_token`` is set (404 otherwise).

Every /api/admin route needs ``Authorization: Bearer <admin token>``: none gives 401, a wrong
one 403 (compared in constant time). The page itself holds no data: its script asks for the
token, keeps it in the tab's sessionStorage and sends it with each request. Its CSP (set by
chatbot.web.security) allows its own script and style only, and no framing.

    GET /api/admin/unanswered?kind=abstained|quoted   questions grouped by topic
    GET /api/admin/feedback                            disliked answers to review
    GET /api/admin/usage?days=30                       per day, outcomes, latency, languages,
                                                       documents cited and never cited, charts
    GET /api/admin/corpus                              the live build and each file's reading
    GET /api/admin/export/{table}.csv                  each table above as CSV
"""

from __future__ import annotations

import hmac
import logging
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from chatbot.ops import charts, reports
from chatbot.ops.database import OpsDatabase, shown_url
from chatbot.ops.grouping import QuestionGrouper
from chatbot.web.service import Service
from core.embed import get_embedder
from core.manifest import BuildManifest
from core.settings import Settings
from core.store import live_build_dir, live_build_id, load_manifest

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
PAGE_FILES = {"admin.js": "text/javascript", "admin.css": "text/css"}
MAX_VOTES_SHOWN = 500
Kind = Literal["abstained", "quoted"]
OUTCOMES_OF: dict[str, tuple[str, ...]] = {"abstained": ("abstained",), "quoted": reports.QUOTED}
REBUILD_NOTE = (
    "Put new or changed documents in {corpus} and run `ingest build --corpus {corpus} "
    "--index {index}` on the server. Only new and changed files are read again; the server "
    "serves the new build by itself when it is finished (a failed build leaves the current one "
    "in place). `ingest status` says what is out of date."
)
CSV_COLUMNS = {
    "unanswered": ("topic", "asked", "question"),
    "quoted": ("topic", "asked", "question"),
    "feedback": ("time", "question", "answer", "citations", "build_id"),
    "per_day": ("day", "questions"),
    "outcomes": ("outcome", "answers"),
    "languages": ("language", "questions"),
    "documents": ("doc_id", "title", "cited"),
    "files": (
        "file",
        "status",
        "parts",
        "part_unit",
        "chunks",
        "tables",
        "ocr_pages",
        "ocr_confidence",
        "warnings",
    ),
}


def _token(settings: Settings) -> str | None:
    token = settings.ops.admin_token
    return token.get_secret_value() if token is not None and token.get_secret_value() else None


class AdminView:
    """What the admin routes share: the service, its database and the question grouper."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.settings = service.settings
        self._grouper: QuestionGrouper | None = None

    @property
    def db(self) -> OpsDatabase:
        if self.service.ops_db is None:
            raise HTTPException(503, self.service.ops_problem or "No operator's database.")
        return self.service.ops_db

    def grouper(self) -> QuestionGrouper:
        if self._grouper is None:
            ops = self.settings.ops
            name = ops.group_model or self.settings.multilingual_model
            model = self.settings.dense_model if name == "none" else name
            self._grouper = QuestionGrouper(
                get_embedder(model),
                ops.group_distance,
                ops.label_words,
                cache=2 * ops.group_max_questions,
                model_name=model,
                store=self.db,
            )
        return self._grouper

    def unanswered(self, kind: Kind) -> dict[str, Any]:
        questions = reports.unanswered_questions(
            self.db, OUTCOMES_OF[kind], self.settings.ops.group_max_questions
        )
        groups, waiting = self.grouper().group_within(questions, self.settings.ops.group_seconds)
        return {
            "kind": kind,
            "questions_logged": self.settings.ops.log_questions,
            "groups": [g.to_json() for g in groups],
            "waiting": waiting,  # questions not embedded yet (next request)
        }

    def feedback(self) -> dict[str, Any]:
        return {
            "questions_logged": self.settings.ops.log_questions,
            "votes": list(reversed(self.db.votes(MAX_VOTES_SHOWN, vote="down"))),
        }

    def documents(self) -> dict[str, str]:
        index = self.service.served_index()
        if index is None:
            return {}
        titles: dict[str, str] = {}
        for chunk in index.chunks:
            titles.setdefault(chunk.doc_id, chunk.title)
        return titles

    def usage(self, days: int) -> dict[str, Any]:
        out = reports.usage(self.db, days, self.documents())
        out["charts"] = {
            "per_day": charts.questions_per_day(
                [(d["day"], d["questions"]) for d in out["per_day"]]
            ),
            "outcomes": charts.outcome_mix(out["outcomes"]),
        }
        out["database"] = shown_url(self.db.url)
        out["retention_days"] = self.settings.ops.retention_days
        return out

    def manifest(self) -> BuildManifest | None:
        index = self.service.served_index()
        if index is not None:
            return index.manifest
        live = live_build_dir(self.settings.index_dir)
        try:
            return load_manifest(live) if live is not None else None
        except Exception:  # a damaged build: the page says there is none to show
            log.warning("the live build's manifest cannot be read", exc_info=True)
            return None

    def corpus(self) -> dict[str, Any]:
        index = self.service.served_index()
        out = reports.corpus(
            self.manifest(),
            live_build_id(self.settings.index_dir),
            index.build_id if index is not None else None,
        )
        out["rebuild"] = REBUILD_NOTE.format(
            corpus=self.settings.corpus_dir, index=self.settings.index_dir
        )
        return out

    def table(self, name: str) -> list[dict[str, Any]]:
        """The rows of one CSV table."""
        if name in ("unanswered", "quoted"):
            kind: Kind = "abstained" if name == "unanswered" else "quoted"
            groups = self.unanswered(kind)["groups"]
            return [
                {"topic": g["label"], "asked": g["count"], "question": q}
                for g in groups
                for q in g["questions"]
            ]
        if name == "feedback":
            return [
                {**v, "citations": [f"[{c.get('n')}] {c.get('title')}" for c in v["citations"]]}
                for v in self.feedback()["votes"]
            ]
        if name == "files":
            return list(self.corpus()["files"])
        data = self.usage(self.settings.ops.retention_days)
        if name == "per_day":
            return list(data["per_day"])
        if name == "outcomes":
            return [{"outcome": o, "answers": n} for o, n in data["outcomes"].items()]
        if name == "languages":
            return [{"language": lang, "questions": n} for lang, n in data["languages"].items()]
        never = [{**d, "cited": 0} for d in data["never_cited"]]
        return list(data["documents"]) + never


def admin_router(service: Service) -> APIRouter:
    """/admin and /api/admin/*; every route is 404 while ops.admin_token is unset."""
    settings = service.settings
    view = AdminView(service)
    router = APIRouter(include_in_schema=False)

    def enabled() -> None:
        if _token(settings) is None:
            raise HTTPException(404, "Not found")

    def authorised(request: Request) -> None:
        token = _token(settings)
        if token is None:
            raise HTTPException(404, "Not found")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise HTTPException(
                401,
                "Send 'Authorization: Bearer <admin token>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise HTTPException(403, "That is not the admin token.")

    @router.get("/admin", dependencies=[Depends(enabled)])
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "admin.html", media_type="text/html")

    @router.get("/admin/{name}", dependencies=[Depends(enabled)])
    def asset(name: str) -> FileResponse:
        if name not in PAGE_FILES:
            raise HTTPException(404, "Not found")
        return FileResponse(STATIC_DIR / name, media_type=PAGE_FILES[name])

    api = APIRouter(prefix="/api/admin", dependencies=[Depends(authorised)])

    @api.get("/unanswered")
    def unanswered(kind: Kind = "abstained") -> dict[str, Any]:
        return view.unanswered(kind)

    @api.get("/feedback")
    def feedback() -> dict[str, Any]:
        return view.feedback()

    @api.get("/usage")
    def usage(days: int = Query(30, ge=1, le=3650)) -> dict[str, Any]:
        return view.usage(min(days, settings.ops.retention_days))

    @api.get("/corpus")
    def corpus() -> dict[str, Any]:
        return view.corpus()

    @api.get("/export/{name}.csv")
    def export(name: str) -> Response:
        if name not in CSV_COLUMNS:
            return JSONResponse({"detail": f"No table {name!r}."}, 404)
        text = reports.to_csv(CSV_COLUMNS[name], view.table(name))
        return Response(
            text.encode("utf-8-sig"),  # the BOM makes spreadsheets read it as UTF-8
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    router.include_router(api)
    return router
