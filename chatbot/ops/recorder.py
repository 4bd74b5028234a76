"""Answer rows written off the request path: the answer is sent, then its row is queued for one
writer thread that writes in batches. A slow or unreachable database never holds an answer back
or fails it; past ``ops.write_queue`` waiting rows, rows are dropped (and counted, and logged).

The writer also deletes rows older than ``ops.retention_days``, at start and every hour.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Sequence

from chatbot.ops.database import AnswerRecord, OpsDatabase, now_utc
from chatbot.types import Answer
from core.text import detect_language

log = logging.getLogger(__name__)

BATCH = 200  # rows per transaction: one fsync for many answers under load
RETENTION_EVERY_S = 3600.0
RETRY_WAIT_S = 2.0  # after a failed write (database down), before the batch is tried again
WRITE_TRIES = 3  # a batch that fails this often is dropped (and logged), so the queue moves


def answer_record(answer: Answer, question: str, build_id: str | None) -> AnswerRecord:
    """What is kept of an answer: the question only goes as far as the database's own check of
    ops.log_questions; its language is detected here, so it is known without the text."""
    cited: dict[str, tuple[int, str, str]] = {}
    for c in answer.citations:
        cited.setdefault(c.doc_id, (c.n, c.doc_id, c.title))
    return AnswerRecord(
        id=uuid.uuid4().hex,
        created_at=now_utc(),
        outcome=answer.outcome,
        abstained=answer.abstained,
        latency_s=round(float(answer.latency_s), 4),
        language=detect_language(question),
        build_id=build_id,
        question=question,
        cited=tuple(cited.values()),
    )


class AnswerRecorder:
    """Queue answers; one daemon thread writes them. ``close()`` writes what is queued."""

    def __init__(self, db: OpsDatabase) -> None:
        self.db = db
        self.enabled = db.settings.ops.record_answers
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[AnswerRecord | None] = queue.Queue(db.settings.ops.write_queue)
        self._thread = threading.Thread(target=self._run, name="ops-recorder", daemon=True)
        self._thread.start()

    def record(self, answer: Answer, question: str, build_id: str | None) -> None:
        if not self.enabled:
            return
        try:
            self._queue.put_nowait(answer_record(answer, question, build_id))
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("answer rows dropped: the database writer is behind (%d)", self.dropped)

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until every row queued so far is written (tests, shutdown)."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30.0)

    def _run(self) -> None:
        next_retention = 0.0
        while True:
            if time.monotonic() >= next_retention:
                next_retention = time.monotonic() + RETENTION_EVERY_S
                self._retention()
            try:
                first = self._queue.get(timeout=60.0)
            except queue.Empty:
                continue
            batch: list[AnswerRecord] = []
            stop = first is None
            if first is not None:
                batch.append(first)
            taken = 1
            while len(batch) < BATCH and not stop:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            self._write(batch)
            for _ in range(taken):
                self._queue.task_done()
            if stop:
                return

    def _write(self, batch: Sequence[AnswerRecord]) -> None:
        for attempt in range(1, WRITE_TRIES + 1):
            try:
                self.written += self.db.add_answers(batch)
                return
            except Exception:
                if attempt == WRITE_TRIES:
                    self.dropped += len(batch)
                    log.exception("%d answer rows could not be written; dropped", len(batch))
                    return
                time.sleep(RETRY_WAIT_S)

    def _retention(self) -> None:
        try:
            self.db.delete_older_than(self.db.settings.ops.retention_days)
        except Exception:
            log.exception("deleting old rows failed; tried again in an hour")
