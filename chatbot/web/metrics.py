"""Operations: Prometheus metrics at /metrics and one structured log line per answer.

Metrics come from prometheus-client (answers, outcomes, answer latency, failures, readiness,
model restarts) and prometheus-fastapi-instrumentator (requests and latencies per route, refusals
by the security middleware included). Each app has its own registry, so two apps in one process
(tests) never share counters. /metrics answers loopback clients, or anyone with
``settings.ops.metrics_token`` as a bearer token (docs/SECURITY.md).

The log line is JSON on the ``chatbot.answers`` logger:
``{"event": "answer", "id", "latency_s", "outcome", "abstained", "citations", "build"}``, plus
``"question"`` only when ``settings.ops.log_questions`` is on.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from chatbot.types import OUTCOMES
from chatbot.web.security import error_response

if TYPE_CHECKING:
    from fastapi import FastAPI

    from chatbot.types import Answer
    from core.settings import OpsSettings

answer_log = logging.getLogger("chatbot.answers")

# Answers take 0.05 s (extractive) to ~10 s (generated, on 2 cores); a queue adds whole answers.
ANSWER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 20.0, 30.0, 60.0, 120.0)


class _HealthCollector(Collector):
    """Read at each scrape from Service.health (which never waits for an answer)."""

    def __init__(self, health: Callable[[], Mapping[str, object]]) -> None:
        self.health = health

    def collect(self) -> Iterator[Metric]:
        facts = self.health()
        yield GaugeMetricFamily(
            "sqa_ready", "1 when the index and models are loaded", value=int(bool(facts["ready"]))
        )
        yield GaugeMetricFamily(
            "sqa_answers_in_flight",
            "Questions admitted and not yet answered",
            value=_number(facts.get("in_flight")),
        )
        server = facts.get("llm_server")
        if isinstance(server, Mapping):
            yield CounterMetricFamily(
                "sqa_model_restarts",
                "Times the bundled model's server process was restarted after it died",
                value=_number(server.get("restarts")),
            )
            yield GaugeMetricFamily(
                "sqa_model_up",
                "1 when the bundled model's server process is running",
                value=int(bool(server.get("alive"))),
            )
        build = facts.get("build_id")
        if build is not None:
            info = GaugeMetricFamily("sqa_build_info", "The index build served", labels=["build"])
            info.add_metric([str(build)], 1)
            yield info


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


class AnswerMetrics:
    """The counters every answer passes through, and its log line."""

    def __init__(self, ops: OpsSettings, health: Callable[[], Mapping[str, object]]) -> None:
        self.log_questions = ops.log_questions
        self.registry = CollectorRegistry()
        self.answers = Counter(
            "sqa_answers",
            "Answers given, by outcome (answered, extracted, fallback, abstained)",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in OUTCOMES:  # present at 0 from the start, so rates work at once
            self.answers.labels(outcome)
        self.latency = Histogram(
            "sqa_answer_latency_seconds",
            "Seconds from question to final answer inside the answerer (queue wait excluded)",
            buckets=ANSWER_BUCKETS,
            registry=self.registry,
        )
        self.failures = Counter(
            "sqa_answer_failures",
            "Questions the answerer failed on (model down or stalled): 503 or an error event",
            registry=self.registry,
        )
        self.registry.register(_HealthCollector(health))

    def answered(self, answer: Answer, question: str, build: str | None) -> str:
        """Count one answer and write its log line; returns the id the line carries."""
        answer_id = uuid.uuid4().hex
        self.answers.labels(answer.outcome).inc()
        self.latency.observe(answer.latency_s)
        record: dict[str, object] = {
            "event": "answer",
            "id": answer_id,
            "latency_s": round(answer.latency_s, 3),
            "outcome": answer.outcome,
            "abstained": answer.abstained,
            "citations": len(answer.citations),
            "build": build,
        }
        if self.log_questions:
            record["question"] = question
        answer_log.info("%s", json.dumps(record, ensure_ascii=False))
        return answer_id

    def failed(self) -> None:
        self.failures.inc()


def instrument(app: FastAPI, metrics: AnswerMetrics) -> None:
    """Requests and latencies per route template; added last, so it sees every refusal too."""
    from prometheus_fastapi_instrumentator import Instrumentator

    Instrumentator(
        registry=metrics.registry,
        should_group_untemplated=True,  # unknown paths are one "none" handler, not a label each
        excluded_handlers=["/metrics"],
    ).instrument(app)


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_router(metrics: AnswerMetrics, ops: OpsSettings) -> APIRouter:
    """GET /metrics in Prometheus' text format (none when ops.metrics_enabled is off)."""
    router = APIRouter()
    if not ops.metrics_enabled:
        return router
    token = ops.metrics_token.get_secret_value() if ops.metrics_token else None

    @router.get("/metrics", include_in_schema=False)
    def scrape(request: Request) -> Response:
        if token is not None:
            sent = request.headers.get("authorization", "")
            if not secrets.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                return error_response(401, "Send the metrics token as 'Authorization: Bearer'.")
        elif not _is_loopback(request):
            return error_response(
                403, "Metrics are served to this machine only; set SQA_OPS__METRICS_TOKEN."
            )
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
