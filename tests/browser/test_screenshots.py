"""Screenshots of the chat UI and the widget at desktop and phone sizes (issue 16): an answered
question, a follow-up, a "not in the documents" answer and a stopped one. They land in
test-output/screenshots/; the README's are copied from there to docs/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
QUESTION = "Who was granted a Golden Visa?"
FOLLOW_UP = "When did Indonesia release its National Artificial Intelligence Strategy?"
# Far from every passage even for the hashing embedders these tests index with ("What is the
# GDP of Brazil?" shares "what is the ... of" with the article and was answered).
NOT_IN_DOCUMENTS = "How tall is Mount Kilimanjaro?"
ABSTENTION = "could not find this in the documents"


@pytest.fixture(scope="module")
def paced(start_server: Any, portals: tuple[Any, Any]) -> Any:
    return start_server([portals[0].origin], event_delay=4.0)


def _ui_ask(page: Page, question: str, answers: int) -> None:
    page.locator("#sqa-question textarea").fill(question)
    page.locator("#sqa-question textarea").press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#sqa-sources .sqa-answer-sources').length >= n"
        " && !document.querySelector('#sqa-sources .sqa-pending')",
        arg=answers,
        timeout=TIMEOUT_MS,
    )


def _widget_ask(page: Page, question: str, answers: int) -> None:
    page.locator("#sqa-question").fill(question)
    page.locator("#sqa-ask").click()
    page.wait_for_function(
        "n => document.querySelectorAll('.sqa-turn .sqa-a:not(.sqa-pending)').length >= n"
        " && !document.querySelector('#sqa-stop:not([hidden])')",
        arg=answers,
        timeout=TIMEOUT_MS,
    )


@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_the_ui(
    browser: Any, server: Any, paced: Any, screenshot_dir: Path, size: str
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(server.url + "/")
    _ui_ask(page, QUESTION, 1)
    page.screenshot(path=screenshot_dir / f"ui-{size}-answered.png")
    _ui_ask(page, FOLLOW_UP, 2)
    page.screenshot(path=screenshot_dir / f"ui-{size}-follow-up.png")
    _ui_ask(page, NOT_IN_DOCUMENTS, 3)
    page.locator("#sqa-chat").get_by_text(ABSTENTION).wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / f"ui-{size}-not-in-documents.png")
    page.goto(paced.url + "/")
    page.locator("#sqa-question textarea").fill(QUESTION)
    page.locator("#sqa-question textarea").press("Enter")
    page.wait_for_function(
        "() => { const bots = document.querySelectorAll('#sqa-chat .message.bot');"
        " const t = bots.length ? bots[bots.length - 1].innerText : '';"
        " return t.split(/\\s+/).length > 2 && !t.includes('Searching'); }",
        timeout=60_000,
    )
    page.locator("#sqa-stop").click()
    page.locator("#sqa-chat").get_by_text("[stopped]").wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / f"ui-{size}-stopped.png")
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_the_widget(
    browser: Any, server: Any, paced: Any, screenshot_dir: Path, size: str
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(server.url + "/embed")
    _widget_ask(page, QUESTION, 1)
    page.locator(".sqa-source summary").first.click()
    page.screenshot(path=screenshot_dir / f"widget-{size}-answered.png")
    _widget_ask(page, FOLLOW_UP, 2)
    page.screenshot(path=screenshot_dir / f"widget-{size}-follow-up.png")
    _widget_ask(page, NOT_IN_DOCUMENTS, 3)
    page.locator(".sqa-turn .sqa-a").last.get_by_text(ABSTENTION).wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / f"widget-{size}-not-in-documents.png")
    page.goto(paced.url + "/embed")
    page.locator("#sqa-clear").click()
    page.locator("#sqa-question").fill(QUESTION)
    page.locator("#sqa-ask").click()
    page.wait_for_function(
        "() => { const a = [...document.querySelectorAll('.sqa-turn .sqa-a')].pop();"
        " return a && !a.classList.contains('sqa-pending')"
        " && a.innerText.split(/\\s+/).length > 2; }",
        timeout=60_000,
    )
    page.locator("#sqa-stop").click()
    page.locator(".sqa-stopped").last.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / f"widget-{size}-stopped.png")
    context.close()
