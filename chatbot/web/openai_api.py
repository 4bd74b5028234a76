"""The chatbot as an OpenAI-compatible model, for the openai SDK, LangChain's ChatOpenAI and
Open WebUI:

    GET  /v1/models              one model, settings.ops.openai_model_id
    POST /v1/chat/completions    {"model", "messages", "stream"} -> a chat.completion, or
                                 chat.completion.chunk events ending with `data: [DONE]`

The answer text carries its `[n]` markers. The passages they point to travel in a top-level
`citations` field (the same objects as /api/ask's `citations`), in the response and in the last
chunk of a stream; `strategy_qa` adds `abstained`, `outcome`, `latency_s` and
`standalone_question`. The openai SDK keeps unknown fields: `completion.citations` (or
`completion.model_extra["citations"]`).

`messages` maps onto /api/ask: the last message must be the user's, and is the question; earlier
user/assistant messages become the history pairs a follow-up is read with; system and developer
messages are ignored (the answer's prompt is ours). Sampling parameters are ignored, and any
`model` name is answered by this one. Limits, origins and rate limits are /api/ask's: the same
Service admits the question, behind the same middleware.

A stream sends the role at once, then the verified answer as one delta when it is ready: the
model's raw tokens may still lose a sentence or a marker in verification, and an OpenAI client
can only append text, never replace it (the chat UI and /api/ask/stream replace their draft).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.sse import EventSourceResponse, format_sse_event
from pydantic import BaseModel, ConfigDict, Field

from chatbot.types import (
    MAX_HISTORY_CHARS,
    MAX_HISTORY_TURNS,
    Answer,
    Citation,
    HistoryText,
    StreamEvent,
    Turn,
)
from chatbot.web.service import Refusal, Service, client_key

log = logging.getLogger(__name__)

# A system message, the history's question/answer pairs and the question, with room to spare.
MAX_MESSAGES = 2 * MAX_HISTORY_TURNS + 4
MAX_CONTENT_PARTS = 16
OWNER = "strategy-qa"


class TextPart(BaseModel):
    type: Literal["text"]
    text: HistoryText


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: HistoryText | Annotated[list[TextPart], Field(max_length=MAX_CONTENT_PARTS)] | None = (
        None
    )

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class ChatRequest(BaseModel):
    model: str = Field(max_length=200, description="Any name: this server has one model.")
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=MAX_MESSAGES,
        description="The conversation; the last message is the user's question. Each text is "
        f"at most {MAX_HISTORY_CHARS} characters, the question at most max_question_chars.",
    )
    stream: bool = False


class AnswerFacts(BaseModel):
    """What the OpenAI shape has no field for."""

    abstained: bool
    outcome: str
    latency_s: float
    standalone_question: str | None = None

    @classmethod
    def of(cls, answer: Answer) -> AnswerFacts:
        data = answer.to_json()
        return cls(**{k: v for k, v in data.items() if k in cls.model_fields})


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str = Field(description="The answer, with [n] markers pointing into citations.")


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    model_config = ConfigDict(title="ChatCompletion")

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    citations: list[Citation] = Field(
        description="The passages the answer's [n] markers point to (n, doc_id, title, variant, "
        "location, text, score, variants), as in /api/ask."
    )
    strategy_qa: AnswerFacts


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    citations: list[Citation] | None = Field(
        None, description="In the last chunk (the one with finish_reason): the citations."
    )
    strategy_qa: AnswerFacts | None = None


def question_and_history(messages: Sequence[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message, and the user/assistant messages before it as (question, answer)
    pairs; Refusal(422) when the last message is not the user's or the history is too long."""
    said = [m for m in messages if m.role in ("user", "assistant")]
    if not said or said[-1].role != "user":
        raise Refusal(422, "The last message must be the user's question.")
    history: list[Turn] = []
    for message in said[:-1]:
        if message.role == "user":
            history.append((message.text(), None))
        elif history and history[-1][1] is None:
            history[-1] = (history[-1][0], message.text())
        # an assistant message with no question before it (a greeting) is not a turn
    if len(history) > MAX_HISTORY_TURNS:
        raise Refusal(
            422, f"Too many earlier turns ({len(history)}); the limit is {MAX_HISTORY_TURNS}."
        )
    return said[-1].text(), history


def openai_router(service: Service, model_id: str) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])
    created = int(time.time())
    model_card = {"id": model_id, "object": "model", "created": created, "owned_by": OWNER}

    @router.get("/models", summary="The one model this server answers as")
    async def models() -> dict[str, object]:
        return {"object": "list", "data": [model_card]}

    @router.get("/models/{name}", summary="The model, by name")
    async def model(name: str) -> Response:
        if name != model_id:
            raise Refusal(404, f"The model {name!r} does not exist; this server has {model_id!r}.")
        return JSONResponse(model_card)

    stream_doc: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "A chat.completion, or with stream=true server-sent events: "
            "chat.completion.chunk objects as `data: {json}`, the last with finish_reason, "
            "`citations` and `strategy_qa`, then `data: [DONE]`.",
            "content": {"text/event-stream": {}},
        }
    }

    @router.post(
        "/chat/completions",
        response_model=ChatCompletion,
        responses=stream_doc,
        summary="Answer the last user message, with citations",
    )
    async def chat_completions(body: ChatRequest, request: Request) -> Response:
        question, history = question_and_history(body.messages)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        now = int(time.time())
        if not body.stream:
            answer = await service.ask(question, history, client_key(request))
            completion = ChatCompletion(
                id=completion_id,
                created=now,
                model=model_id,
                choices=[Choice(message=AssistantMessage(content=answer.answer))],
                citations=answer.citations,
                strategy_qa=AnswerFacts.of(answer),
            )
            return JSONResponse(completion.model_dump(mode="json", exclude_none=True))
        events = service.astream(question, history, client_key(request))
        # Awaited here, so a failure before the answer starts is a JSON error with Retry-After.
        first = await anext(events, None)
        if first is None:  # pragma: no cover - an answer always has events
            raise Refusal(503, "The answer ended before it began; please try again.")

        def chunk(delta: Delta, answer: Answer | None) -> bytes:
            done = answer is not None
            data = ChatCompletionChunk(
                id=completion_id,
                created=now,
                model=model_id,
                choices=[ChunkChoice(delta=delta, finish_reason="stop" if done else None)],
                citations=answer.citations if answer else None,
                strategy_qa=AnswerFacts.of(answer) if answer else None,
            )
            return format_sse_event(data_str=data.model_dump_json(exclude_none=True))

        return EventSourceResponse(
            _chunks(first, events, chunk),
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


Chunk = Callable[[Delta, Answer | None], bytes]


async def _chunks(
    first: StreamEvent, rest: AsyncIterator[StreamEvent], chunk: Chunk
) -> AsyncIterator[bytes]:
    """Role, then the verified answer and its citations, then [DONE]; an error mid-stream is an
    OpenAI error object, which the openai SDK raises as an APIError."""
    try:
        yield chunk(Delta(role="assistant", content=""), None)
        event: StreamEvent | None = first
        while event is not None and event.kind != "done":
            event = await anext(rest, None)
        if event is None or event.answer is None:
            raise Refusal(503, "The answer ended before it was complete; please try again.")
        yield chunk(Delta(content=event.answer.answer), None)
        yield chunk(Delta(), event.answer)
        yield format_sse_event(data_str="[DONE]")
    except Refusal as r:  # the stream has started: report in-band, not as a 500
        yield _error_event(r.message, r.status)
    except Exception:
        log.exception("answering failed")
        yield _error_event("Answering failed on the server; please try again.", 500)
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()


def _error_event(message: str, status: int) -> bytes:
    error = {"message": message, "type": "server_error", "code": status}
    return format_sse_event(data_str=json.dumps({"error": error}, ensure_ascii=False))
