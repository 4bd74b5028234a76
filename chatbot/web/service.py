"""The answering service the web layer talks to: the answerer, its readiness, its limits, and
the index build it serves.

The answerer loads in a background thread, so the server answers at once; until it is ready,
asking gets 503 + Retry-After and the UI shows a "loading" notice. Every question passes the same
gate (question checks, readiness, per-client in-flight, queue bound, rate), then runs on the
answer slots' threads. A watcher thread follows the live build (the index's CURRENT pointer,
or the Milvus alias with SQA_INDEX_BACKEND=milvus) and hands a new build's retriever to the
answerer, so a finished `ingest build` is served without a restart, by every replica that
reads the same Milvus. A server started before any build exists waits for the first one.
Every answer served (UI, /api/ask, /v1) is counted (chatbot.web.metrics) and recorded in the
operator's database (chatbot.ops) by a writer thread, after it is sent.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import Request

from chatbot.ops.database import FEEDBACK_FILE, OpsDatabase, open_database, shown_url
from chatbot.ops.recorder import AnswerRecorder
from chatbot.web.metrics import AnswerMetrics
from chatbot.web.ratelimit import AnswerSlots, make_limiter
from core.backend import live_pointer
from core.settings import Settings
from core.store import IndexUnavailable, LoadedIndex

if TYPE_CHECKING:
    from chatbot.pipeline.answer import Answerer
    from chatbot.types import Answer, StreamEvent

log = logging.getLogger(__name__)

LOADING_RETRY_S = 5
# The queue drains at ~2-5 answers/s: a few seconds frees a slot for a client that waits.
OVERLOAD_RETRY_S = 5
# A dead bundled model is restarted within ~10 s (watchdog + model load).
MODEL_RETRY_S = 10
# How long a failed answer keeps health "degraded" when no answer has succeeded since.
FAILURE_MEMORY_S = 120.0

History = Sequence[tuple[str, str | None]]


class Refusal(Exception):
    """A request the server will not answer now, with the HTTP status and a message for people."""

    def __init__(self, status: int, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class AnsweringFailed(Refusal):
    """The answerer raised (model unreachable, stalled, crashed): 503, try again shortly."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "The answer could not be produced right now (the model is unavailable); "
            f"please try again in {MODEL_RETRY_S} s.",
            str(MODEL_RETRY_S),
        )


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


class Service:
    """What the API and the UI share: the answerer (loaded in the background) and the limits."""

    def __init__(
        self,
        settings: Settings,
        factory: Callable[[], Answerer],
        retriever_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.settings = settings
        redis_url = settings.rate_limit_redis_url
        self.limiter = make_limiter(
            settings.rate_limit_per_minute, redis_url.get_secret_value() if redis_url else None
        )
        self.slots = AnswerSlots(
            settings.max_concurrent_answers,
            settings.answer_queue_size,
            settings.max_in_flight_per_client,
        )
        self._factory = factory
        self._retriever_factory = retriever_factory or self._default_retriever
        self._answerer: Answerer | None = None
        self._error: str | None = None
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._last_failure: tuple[float, str] | None = None
        self._build_problem: str | None = None
        self.served_pointer: str | None = None  # CURRENT when the served build was chosen
        self.metrics = AnswerMetrics(settings.ops, self.health)  # /metrics and the answer log
        self.ops_problem: str | None = None
        self.ops_db: OpsDatabase | None = None
        self.recorder: AnswerRecorder | None = None
        self._open_ops()

    def _open_ops(self) -> None:
        """The operator's database (migrated), the old feedback file moved into it once, and
        the answer recorder. If it cannot be opened the server still answers; health says why."""
        try:
            db = open_database(self.settings)
            db.import_feedback_file(self.settings.feedback.dir / FEEDBACK_FILE)
        except Exception as exc:
            log.exception("the operator's database cannot be opened; answers are not recorded")
            self.ops_problem = f"the operator's database is unavailable: {_first_line(exc)}"
            return
        self.ops_db = db
        self.recorder = AnswerRecorder(db)
        log.info("operator's database: %s", shown_url(db.url))

    def _answered(self, answer: Answer, question: str) -> None:
        """Count, log and record one answer served."""
        build = self._served_build()
        self.metrics.answered(answer, question, build)
        if self.recorder is not None:
            self.recorder.record(answer, question, build)

    # --- loading and following the index ---------------------------------------------------
    def start_loading(self) -> None:
        if self._thread is None:
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._load, name="load-answerer", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        while True:
            pointer = live_pointer(self.settings)
            try:
                self._answerer = self._factory()
                break
            except Exception as exc:  # any failure is reported to users and health
                log.exception("loading the answerer failed")
                self._error = _first_line(exc)
                # No build yet (a replica started before the first `ingest build`): load it
                # when one appears. Any other failure needs an operator.
                if not isinstance(exc, IndexUnavailable) or not self._wait_for_build(pointer):
                    return
        self._error = None
        log.info("answerer ready after %.1f s", time.monotonic() - self._started)
        self.served_pointer = pointer
        if self.settings.reload_poll_s > 0:
            self._follow_builds()

    def _wait_for_build(self, pointer: str | None) -> bool:
        """Wait until the live build is another than ``pointer``; False when stopping."""
        if self.settings.reload_poll_s <= 0:
            return False
        while not self._stop.wait(self.settings.reload_poll_s):
            now = live_pointer(self.settings)
            if now is not None and now != pointer:
                return True
        return False

    def _follow_builds(self) -> None:
        """Poll CURRENT; when it names another build, load it beside the old one and switch."""
        while not self._stop.wait(self.settings.reload_poll_s):
            pointer = live_pointer(self.settings)
            if pointer is None or pointer == self.served_pointer:
                continue
            self.served_pointer = pointer  # tried once per change of CURRENT, not every poll
            self.switch_build(pointer)

    def switch_build(self, pointer: str) -> bool:
        """Load the live build's retriever and give it to the answerer; requests keep being
        answered by the old one meanwhile. False (and health says why) when it cannot be."""
        answerer = self._answerer
        use = getattr(answerer, "use_retriever", None)
        if not callable(use):
            self._build_problem = f"build {pointer} is ready; restart the server to serve it"
            log.warning("%s (this answerer cannot switch builds)", self._build_problem)
            return False
        try:
            retriever = self._retriever_factory()
            warm_up = getattr(retriever, "warm_up", None)
            if callable(warm_up):
                warm_up()
        except Exception as exc:
            self._build_problem = f"build {pointer} could not be loaded: {_first_line(exc)}"
            log.exception("loading build %s failed; the previous build stays", pointer)
            return False
        index = getattr(retriever, "index", None)
        new_build = getattr(index, "build_id", None)
        if new_build is not None and new_build == self._served_build():
            # load_index fell back to the build we already serve: the new one is damaged
            self._build_problem = getattr(index, "notice", None) or f"build {pointer} is damaged"
            log.warning("%s", self._build_problem)
            return False
        use(retriever)
        self._build_problem = None
        log.info("now serving build %s", new_build or pointer)
        return True

    def _default_retriever(self) -> Any:
        from chatbot.pipeline.retrieve import Retriever

        return Retriever.from_settings(self.settings)

    def served_index(self) -> LoadedIndex | None:
        """The index the answers come from now (None while loading)."""
        return getattr(getattr(self._answerer, "retriever", None), "index", None)

    def _served_build(self) -> str | None:
        index = self.served_index()
        return index.build_id if index is not None else None

    # --- state ----------------------------------------------------------------------------
    @property
    def state(self) -> str:
        if self._answerer is not None:
            return "ready"
        return "failed" if self._error is not None else "loading"

    def health(self) -> dict[str, object]:
        """Readiness and facts for /api/health; fast, and never waits for an answer."""
        limits = {"max_question_chars": self.settings.max_question_chars}
        answerer = self._answerer
        if answerer is None:
            out: dict[str, object] = {"ready": False, "status": self.state, **limits}
            if self._error is not None:
                out["detail"] = f"The index or models could not be loaded: {self._error}"
            else:
                out["loading_s"] = round(time.monotonic() - self._started, 1)
            return out
        facts = dict(answerer.health())
        reasons = [str(facts.pop("degraded"))] if facts.get("degraded") else []
        server_status = getattr(getattr(answerer, "llm_server", None), "status", None)
        if callable(server_status):
            facts["llm_server"] = status = server_status()
            if not status.get("alive"):
                reasons.append("the model server is not running; it is being restarted")
        pool_status = getattr(getattr(answerer, "chat_model", None), "status", None)
        if callable(pool_status):  # a pool of model servers (SQA_LLM_BASE_URLS)
            facts["llm_servers"] = servers = pool_status()
            if servers and not any(server.get("up") for server in servers):
                reasons.append("every model server is down: answers quote the passages")
        index = getattr(getattr(answerer, "retriever", None), "index", None)
        for problem in (getattr(index, "notice", None), self._build_problem, self.ops_problem):
            if problem and problem not in reasons:
                reasons.append(str(problem))
        if self._last_failure is not None:
            when, what = self._last_failure
            if time.monotonic() - when < FAILURE_MEMORY_S:
                reasons.append(f"answering failed {time.monotonic() - when:.0f} s ago ({what})")
        facts["in_flight"] = self.slots.in_flight
        status_word = "degraded" if reasons else "ready"
        out = {"ready": True, "status": status_word, **facts, **limits}
        if reasons:
            out["degraded"] = "; ".join(reasons)
        return out

    # --- asking ---------------------------------------------------------------------------
    def check_question(self, question: str) -> str:
        """The question with spaces tidied, or a Refusal saying what is wrong with it."""
        question = question.strip()
        if not question:
            raise Refusal(422, "The question is empty: type a question about the documents.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise Refusal(
                422,
                f"The question is too long ({len(question)} characters); "
                f"the limit is {limit}. Please shorten it.",
            )
        return question

    def admit(self, question: str, client: str) -> tuple[Answerer, str]:
        """Check the question, readiness, the client's unfinished questions, the queue and the
        client's rate; reserve an answer slot (release it with ``slots.release(client)``)."""
        question = self.check_question(question)
        if self._answerer is None:
            if self._error is not None:
                raise Refusal(503, f"The index or models could not be loaded: {self._error}")
            raise Refusal(
                503,
                "The model is still loading; please try again in a few seconds.",
                str(LOADING_RETRY_S),
            )
        full = self.slots.reserve(client)
        if full == "client":
            raise Refusal(
                429,
                f"This client already has {self.settings.max_in_flight_per_client} questions "
                "being answered; wait for them to finish.",
                str(OVERLOAD_RETRY_S),
            )
        if full == "full":
            raise Refusal(
                503,
                "The server is answering as many questions as it can; "
                f"please try again in {OVERLOAD_RETRY_S} s.",
                str(OVERLOAD_RETRY_S),
            )
        wait = self.limiter.hit(client)
        if wait is not None:
            self.slots.release(client)
            retry = self.limiter.retry_after_header(wait)
            raise Refusal(
                429,
                f"Too many questions: the limit is {self.settings.rate_limit_per_minute} per "
                f"minute. Please wait {retry} s.",
                retry,
            )
        return self._answerer, question

    async def ask(self, question: str, history: History, client: str) -> Answer:
        """The whole answer, computed on an answer slot; Refusal or AnsweringFailed if not."""
        answerer, question = self.admit(question, client)

        def job() -> Answer:
            try:
                return answerer.ask(question, history)
            finally:
                self.slots.release(client)

        try:
            answer = await asyncio.wrap_future(self.slots.submit(job))
        except Exception as exc:
            self._failed(exc)
            raise AnsweringFailed() from exc
        self._last_failure = None
        self._answered(answer, question)
        return answer

    def stream(
        self,
        question: str,
        history: History,
        client: str,
        cancelled: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        """Admit now (Refusal raised here), then the answer's events as they are made; setting
        ``cancelled`` (the UI's Stop) ends the answer at its next event."""
        answerer, question = self.admit(question, client)
        inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        cancelled = cancelled or threading.Event()
        self._start(answerer, question, history, client, inbox.put, cancelled)

        def events() -> Iterator[StreamEvent]:
            try:
                while (item := inbox.get()) is not _END:
                    if isinstance(item, _Failed):
                        raise AnsweringFailed() from item.exc
                    yield item  # type: ignore[misc]
            finally:
                cancelled.set()  # the reader left (client gone): stop generating

        return events()

    def astream(self, question: str, history: History, client: str) -> AsyncIterator[StreamEvent]:
        """As stream(), for async readers: waiting costs no thread of the web server."""
        answerer, question = self.admit(question, client)
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[object] = asyncio.Queue()
        cancelled = threading.Event()

        def put(item: object) -> None:
            try:
                loop.call_soon_threadsafe(inbox.put_nowait, item)
            except RuntimeError:  # the loop is gone (server stopping)
                cancelled.set()

        self._start(answerer, question, history, client, put, cancelled)

        async def events() -> AsyncIterator[StreamEvent]:
            try:
                while (item := await inbox.get()) is not _END:
                    if isinstance(item, _Failed):
                        raise AnsweringFailed() from item.exc
                    yield item  # type: ignore[misc]
            finally:
                cancelled.set()

        return events()

    def _start(
        self,
        answerer: Answerer,
        question: str,
        history: History,
        client: str,
        put: Callable[[object], None],
        cancelled: threading.Event,
    ) -> None:
        """Run answerer.stream on an answer slot, handing each event to put, then _END."""

        def job() -> None:
            try:
                if cancelled.is_set():
                    return
                events = answerer.stream(question, history)
                try:
                    for event in events:
                        put(event)
                        if event.kind == "done" and event.answer is not None:
                            self._answered(event.answer, question)
                        if cancelled.is_set():
                            break
                finally:
                    close = getattr(events, "close", None)
                    if callable(close):
                        close()
                self._last_failure = None
            except Exception as exc:
                self._failed(exc)
                put(_Failed(exc))
            finally:
                self.slots.release(client)
                put(_END)

        try:
            self.slots.submit(job)
        except RuntimeError:  # the pool is shut down: the server is stopping
            self.slots.release(client)
            raise Refusal(503, "The server is stopping.", str(LOADING_RETRY_S)) from None

    def _failed(self, exc: BaseException) -> None:
        log.error("answering failed: %s", _first_line(exc), exc_info=exc)
        self.metrics.failed()
        self._last_failure = (time.monotonic(), type(exc).__name__)

    def close(self) -> None:
        self._stop.set()
        self.slots.shutdown()
        if self.recorder is not None:
            self.recorder.close()  # rows of answers already sent are written first
        close = getattr(self._answerer, "close", None)
        if callable(close):
            close()


def _first_line(exc: BaseException) -> str:
    """One line for people: an exception's first line (model server logs follow it)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def client_key(request: Request) -> str:
    # chatbot.web.security.ForwardedHeaders has set the client from a trusted proxy's headers only.
    return request.client.host if request.client else "unknown"
