"""Like/dislike votes on answers, appended to ``<settings.feedback.dir>/feedback.jsonl``.

One JSON line per vote: id, time, vote ("up"/"down"), question, answer, citations (number,
document, variant, location and the start of the passage) and the build id that answered. The
chat UI records votes directly; portals and scripts use ``POST /api/feedback``. Every field is
bounded (question: settings.max_question_chars; answer, citations: settings.feedback), votes are
rate-limited per client, and the file stops growing at settings.feedback.max_file_bytes.

Reading votes back (``GET /api/feedback?limit=N``, newest last) is the operator's business: it is
off unless settings.feedback.read_token is set, and then needs ``Authorization: Bearer <token>``.
Browsers on other origins cannot send that header (CORS allows Content-Type only), and the
Origin/Host checks and body limit of chatbot.web.security apply here as on every route.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StrictStr, StringConstraints

from chatbot.web.ratelimit import SlidingWindowLimiter
from chatbot.web.security import error_response
from chatbot.web.service import Service, client_key
from core.settings import Settings

log = logging.getLogger(__name__)

FILE_NAME = "feedback.jsonl"
Vote = Literal["up", "down"]
Short = Annotated[StrictStr, StringConstraints(max_length=300)]
BuildId = Annotated[StrictStr, StringConstraints(max_length=80, pattern=r"^[A-Za-z0-9_.-]*$")]


class FeedbackFull(Exception):
    """The feedback file reached settings.feedback.max_file_bytes."""


def _cut(text: object, limit: int) -> str:
    s = str(text or "")
    return s if len(s) <= limit else s[: max(limit - 1, 0)] + "…"


class FeedbackStore:
    """Append-only JSONL of votes; one lock serialises writers of this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = Path(settings.feedback.dir) / FILE_NAME
        self._lock = threading.Lock()

    def record(
        self,
        vote: Vote,
        question: str,
        answer: str,
        citations: Sequence[Mapping[str, Any]],
        build_id: str | None,
    ) -> dict[str, Any]:
        """Append one vote (every field cut to its bound) and return the line written."""
        fb = self.settings.feedback
        line: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "vote": vote,
            "question": _cut(question, self.settings.max_question_chars),
            "answer": _cut(answer, fb.max_answer_chars),
            "citations": [
                {
                    "n": c.get("n"),
                    "doc_id": _cut(c.get("doc_id"), 300),
                    "title": _cut(c.get("title"), 300),
                    "variant": _cut(c.get("variant"), 300),
                    "location": _cut(c.get("location"), 300),
                    "text": _cut(c.get("text"), fb.citation_chars),
                }
                for c in list(citations)[: fb.max_citations]
            ],
            "build_id": build_id,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = self.path.stat().st_size if self.path.exists() else 0
            if size + len(data) > fb.max_file_bytes:
                raise FeedbackFull(f"{self.path} reached {fb.max_file_bytes} bytes")
            # One write of one line in append mode: lines never interleave or overwrite.
            with self.path.open("ab") as out:
                out.write(data)
        return line

    def read(self, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` votes, oldest first (a damaged line is skipped)."""
        if not self.path.exists():
            return []
        with self._lock, self.path.open(encoding="utf-8", errors="replace") as lines:
            tail = deque(lines, maxlen=limit)
        out = []
        for text in tail:
            try:
                out.append(json.loads(text))
            except ValueError:
                continue
        return out


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
        except FeedbackFull:
            log.warning("feedback not recorded: %s is full", store.path)
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
        store = FeedbackStore(service.settings)
        service.feedback_store = store
    return store
