"""The operator's view: off without a token, 401/403 with none or a wrong one, its page under
the strict CSP, its tables as JSON and CSV."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from chatbot.types import Answer, Citation, StreamEvent
from chatbot.web.api import create_app

BASE = "http://localhost"
TOKEN = "admin-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROUTES = [
    "/api/admin/unanswered",
    "/api/admin/unanswered?kind=quoted",
    "/api/admin/feedback",
    "/api/admin/usage",
    "/api/admin/corpus",
    "/api/admin/export/feedback.csv",
]
CITATION = Citation(1, "doc-a", "Doc A", "original", "¶1", "Passage.", 0.9)


class Answerer:
    """Answers "Yes [1]." from one passage; abstains where ``abstains`` says (a leading "?")."""

    @staticmethod
    def abstains(question: str) -> bool:
        return question.startswith("?")

    def answer(self, question: str) -> Answer:
        if self.abstains(question):
            return Answer("Not in the documents.", True, [], 0.05, outcome="abstained")
        return Answer("Yes [1].", False, [CITATION], 0.4, outcome="extracted")

    def ask(self, question: str, history: Sequence[Any] = ()) -> Answer:
        return self.answer(question)

    def stream(self, question: str, history: Sequence[Any] = ()) -> Iterator[StreamEvent]:
        yield StreamEvent("done", answer=self.answer(question))

    def health(self) -> dict[str, object]:
        return {"build_id": "b1", "documents": 1, "chunks": 1, "models": {}, "llm": "none"}


@pytest.fixture
def client(settings_factory: Callable[..., Any]) -> Iterator[TestClient]:
    settings = settings_factory(ops={"admin_token": TOKEN, "log_questions": True})
    with TestClient(create_app(settings, cast(Any, Answerer)), BASE) as c:
        service = c.app.state.service  # type: ignore[attr-defined]
        while not service.health()["ready"]:
            time.sleep(0.01)
        yield c


def test_everything_is_404_without_an_admin_token(settings_factory: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_factory(), cast(Any, Answerer)), BASE) as c:
        for path in ["/admin", "/admin/admin.js", *ROUTES]:
            assert c.get(path, headers=AUTH).status_code == 404, path


def test_no_token_is_401_and_a_wrong_one_403(client: TestClient) -> None:
    for path in ROUTES:
        none = client.get(path)
        assert none.status_code == 401 and none.headers["www-authenticate"] == "Bearer", path
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert client.get(path, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
        assert client.get(path, headers=AUTH).status_code == 200, path


def test_the_page_has_no_inline_script_and_a_strict_csp(client: TestClient) -> None:
    page = client.get("/admin")  # the page holds no data: it loads without the token
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    html = page.text
    assert '<script src="/admin/admin.js" defer></script>' in html
    assert html.count("<script") == 1 and not re.search(r"<[^>]*\son\w+\s*=", html)
    assert "http://" not in html and "https://" not in html  # no CDN
    script = client.get("/admin/admin.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "innerHTML" not in script.text
    assert client.get("/admin/other.js").status_code == 404


def test_answers_and_votes_reach_the_tables(client: TestClient) -> None:
    for q in ["?When is the 2031 budget due", "Where is it?", '=HYPERLINK("http://x")']:
        assert client.post("/api/ask", json={"question": q}).status_code == 200
    vote = {"vote": "down", "question": "=1+1", "answer": "-2 [1]", "citations": []}
    assert client.post("/api/feedback", json=vote).status_code == 201
    client.app.state.service.recorder.flush()  # type: ignore[attr-defined]
    usage = client.get("/api/admin/usage", headers=AUTH).json()
    assert usage["questions"] == 3 and usage["outcomes"]["abstained"] == 1
    assert usage["outcomes"]["extracted"] == 2 and usage["votes"] == {"down": 1}
    assert usage["documents"] == [{"doc_id": "doc-a", "title": "Doc A", "cited": 2}]
    assert (
        usage["charts"]["per_day"].startswith("<svg")
        and "<script" not in usage["charts"]["per_day"]
    )
    groups = client.get("/api/admin/unanswered", headers=AUTH).json()["groups"]
    assert [g["questions"] for g in groups] == [["?When is the 2031 budget due"]]
    assert groups[0]["count"] == 1 and "2031" in groups[0]["label"]
    quoted = client.get("/api/admin/unanswered?kind=quoted", headers=AUTH).json()["groups"]
    assert sorted(q for g in quoted for q in g["questions"]) == [
        '=HYPERLINK("http://x")',
        "Where is it?",
    ]
    (disliked,) = client.get("/api/admin/feedback", headers=AUTH).json()["votes"]
    assert (disliked["question"], disliked["answer"]) == ("=1+1", "-2 [1]")
    export = client.get("/api/admin/export/feedback.csv", headers=AUTH)
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0]["question"] == "'=1+1" and rows[0]["answer"] == "'-2 [1]"  # no formulas
    quoted_csv = client.get("/api/admin/export/quoted.csv", headers=AUTH).content.decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK" in quoted_csv and "\n=HYPERLINK" not in quoted_csv
    assert client.get("/api/admin/export/secrets.csv", headers=AUTH).status_code == 404


def test_every_table_exports(client: TestClient) -> None:
    for name in [
        "unanswered",
        "quoted",
        "feedback",
        "per_day",
        "outcomes",
        "languages",
        "documents",
        "files",
    ]:
        r = client.get(f"/api/admin/export/{name}.csv", headers=AUTH)
        assert r.status_code == 200, name
        assert r.headers["content-disposition"] == f'attachment; filename="{name}.csv"'
