"""Like/dislike votes on answers, kept in the operator's database (chatbot.ops).

One row per vote: id, time, vote ("up"/"down"), the question (only when ops.log_questions is
on), answer, citations (number, document, variant, location and the start of the passage), the
build id that answered, and where it came from (UI or API). The chat UI records votes directly;
portals and scripts use ``POST /api/feedback``. Every field is bounded (question:
settings.max_question_chars; answer, citations: settings.feedback), votes are rate-limited per
client, and the table stops growing at ops.max_vote_rows. A ``feedback.jsonl`` from before the
database is imported once at start-up (chatbot.ops.database.OpsDatabase.import_feedback_file).

Reading votes back (``GET /api/feedback?limit=N``, newest last) is the operator's business: it is
off unless settings.feedback.read_token is set, and then needs ``Authorization: Bearer <token>``
(the operator's page, /admin, shows disliked answers with ops.admin_token). Browsers on other
origins cannot send that header (CORS allows Content-Type only), and the Origin/Host checks and
body limit of chatbot.web.security apply here as on every route.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StrictStr, StringConstraints

from chatbot.ops.database import DatabaseFull, OpsDatabase, open_database
from chatbot.web.ratelimit import SlidingWindowLimiter
from chatbot.web.security import error_response
from chatbot.web.service import Service, client_key
from core.settings import Settings

log = logging.getLogger(__name__)

Vote = Literal["up", "down"]
Short = Annotated[StrictStr, StringConstraints(max_length=300)]
BuildId = Annotated[StrictStr, StringConstraints(max_length=80, pattern=r"^[A-Za-z0-9_.-]*$")]


class FeedbackFull(Exception):
    """Votes cannot be recorded: the table reached ops.max_vote_rows, or the database failed."""


class FeedbackStore:
    """Votes in the operator's database (the UI and the API share one). The database is the
    service's, or opened on first use; one that cannot be opened refuses votes (503), it never
    fails the server."""

    def __init__(self, settings: Settings, db: OpsDatabase | None = None) -> None:
        self.settings = settings
        self._db = db

    @property
    def db(self) -> OpsDatabase:
        if self._db is None:
            self._db = open_database(self.settings)
        return self._db

    def record(
        self,
        vote: Vote,
        question: str,
        answer: str,
        citations: Sequence[Mapping[str, Any]],
        build_id: str | None,
        source: str = "api",
    ) -> dict[str, Any]:
        """Record one vote (every field cut to its bound) and return it as stored."""
        try:
            return self.db.add_vote(vote, question, answer, citations, build_id, source)
        except DatabaseFull as exc:
            raise FeedbackFull(str(exc)) from exc
        except Exception as exc:  # the database is down: the vote is refused, not a 500
            log.exception("a vote could not be written")
            raise FeedbackFull("the database failed") from exc

    def read(self, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` votes, oldest first."""
        return self.db.votes(limit)


class CitationIn(BaseModel):
    n: int = Field(ge=0, le=1000)
    doc_id: Short = ""
    title: Short = ""
    variant: Short = ""
    location: Short = ""
    text: Annotated[StrictStr, StringConstraints(max_length=4000)] = ""


class FeedbackIn(BaseModel):
    vote: Vote = Field(description='"up" (like) or "down" (dislike).')
    question: StrictStr = Field(description="The question that was answered.")
    answer: Annotated[StrictStr, StringConstraints(max_length=8000)] = Field(
        description="The answer voted on, with its [n] markers."
    )
    citations: list[CitationIn] = Field(default_factory=list, max_length=20)
    build_id: BuildId | None = Field(
        None, description="The index build that answered (default: the one served now)."
    )


def served_build_id(service: Service) -> str | None:
    index = service.served_index()
    return index.build_id if index is not None else None


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)


def feedback_router(service: Any) -> APIRouter:
    """POST /api/feedback (a vote) and GET /api/feedback (the operator reads them back)."""
    settings: Settings = service.settings
    store = feedback_store(service)
    limiter = SlidingWindowLimiter(settings.feedback.votes_per_minute)
    router = APIRouter(prefix="/api")

    @router.post("/feedback", status_code=201, summary="Like or dislike an answer")
    async def vote(body: FeedbackIn, request: Request) -> Response:
        if not settings.feedback.enabled:
            return error_response(404, "Feedback is turned off on this server.")
        question = body.question.strip()
        if not question or len(question) > settings.max_question_chars:
            return error_response(
                422, f"question: 1 to {settings.max_question_chars} characters, please."
            )
        wait = limiter.hit(client_key(request))
        if wait is not None:
            retry = limiter.retry_after_header(wait)
            return error_response(429, f"Too many votes; please wait {retry} s.", retry)
        try:
            line = store.record(
                body.vote,
                question,
                body.answer,
                [c.model_dump() for c in body.citations],
                body.build_id or served_build_id(service),
            )
        except FeedbackFull as exc:
            log.warning("feedback not recorded: %s", exc)
            return error_response(503, "Feedback cannot be recorded right now.")
        return JSONResponse({"id": line["id"]}, status_code=201)

    @router.get("/feedback", summary="Recorded votes (operator only; needs the read token)")
    async def read(
        request: Request,
        limit: int = Query(100, ge=1, le=settings.feedback.max_read, description="Newest N."),
    ) -> Response:
        token = settings.feedback.read_token
        if token is None or not token.get_secret_value():
            return error_response(404, "Reading feedback over HTTP is turned off.")
        if not _authorised(request, token.get_secret_value()):
            return error_response(401, "Send 'Authorization: Bearer <feedback read token>'.")
        return JSONResponse({"votes": store.read(limit)})

    return router


def feedback_store(service: Any) -> FeedbackStore:
    """The service's one store (the UI and the API share its lock)."""
    store = getattr(service, "feedback_store", None)
    if not isinstance(store, FeedbackStore):
        store = FeedbackStore(service.settings, getattr(service, "ops_db", None))
        service.feedback_store = store
    return store
