"""What a first-time user hit in the chat UI, the widget and /docs (issue 16), one test per row.

Each test drives headless Chromium against the live server of conftest.py (hashing embedders,
extractive answers) and failed before its fix.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
GOLDEN_VISA = "Who was granted a Golden Visa?"
SEED_QUESTION = "When did Indonesia release its National Artificial Intelligence Strategy?"


def ask_in_ui(page: Page, question: str) -> None:
    page.locator("#sqa-question textarea").fill(question)
    page.locator("#sqa-question textarea").press("Enter")


def wait_for_answers(page: Page, count: int) -> None:
    """Until ``count`` answers are final (each has its own cited-passages block)."""
    page.wait_for_function(
        "n => document.querySelectorAll('#sqa-sources .sqa-answer-sources').length >= n"
        " && !document.querySelector('#sqa-sources .sqa-pending')",
        arg=count,
        timeout=TIMEOUT_MS,
    )


# --- row 6: the note on the ja-derived variant ---------------------------------------------------


def test_row6_variant_note_compares_whole_names_in_any_case(page: Page, server: Any) -> None:
    page.goto(server.url + "/")
    ask_in_ui(page, GOLDEN_VISA)
    page.wait_for_function(
        "() => (document.querySelector('#sqa-sources')?.innerText || '').includes('Cited')",
        timeout=TIMEOUT_MS,
    )
    notes = page.locator("#sqa-sources .sqa-variant summary").all_inner_texts()
    assert notes, "the cited passage has a ja-derived variant"
    text = " ".join(notes)
    # The variant says "a golden visa" and "health": no difference in case is a difference.
    for wrong in ("Golden Visa", "Health", "“I”", "“Co”", "Together China"):
        assert wrong not in text, text


# --- row 11: /docs "Try it out" ------------------------------------------------------------------


def test_row11_docs_try_it_out_sends_a_working_example(page: Page, server: Any) -> None:
    page.goto(server.url + "/docs")
    block = page.locator(".opblock-post", has=page.locator("[data-path='/api/ask']")).first
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    body = json.loads(block.locator("textarea.body-param__text").input_value())
    assert body["question"] != "string"
    assert all(isinstance(question, str) for question, _ in body.get("history", []))
    with page.expect_response(lambda r: r.url.endswith("/api/ask")) as reply:
        block.get_by_role("button", name="Execute").click()
    assert reply.value.status == 200, reply.value.text()
    assert reply.value.json()["answer"]
