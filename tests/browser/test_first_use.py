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


EVENT_DELAY_S = 4.0  # the paced server's seconds between an answer's events
FOLLOW_UP = "Who granted it?"


@pytest.fixture(scope="module")
def paced(start_server: Any, portals: tuple[Any, Any]) -> Any:
    """A server whose answers arrive EVENT_DELAY_S apart (citations, token, done)."""
    return start_server([portals[0].origin], event_delay=EVENT_DELAY_S)


def answer_texts(page: Page) -> list[str]:
    return page.locator("#sqa-chat .message.bot").all_inner_texts()


# --- row 5: markers from [1], clickable, earlier answers keep their passages ---------------------


def test_row5_each_answer_keeps_its_passages_and_markers_open_them(page: Page, server: Any) -> None:
    page.goto(server.url + "/")
    ask_in_ui(page, SEED_QUESTION)
    wait_for_answers(page, 1)
    ask_in_ui(page, GOLDEN_VISA)
    wait_for_answers(page, 2)
    sources = page.locator("#sqa-sources")
    assert sources.locator("#sqa-cite-1-1").count() == 1  # the first answer's passage stayed
    assert sources.locator("#sqa-cite-2-1").count() == 1
    for text in answer_texts(page):
        assert "[1]" in text  # each answer numbered from [1]
    first = page.locator("#sqa-chat .message.bot").first.locator("a.sqa-marker").first
    assert first.inner_text() == "[1]"
    sources.evaluate("el => { el.scrollTop = 0; }")
    first.click()
    card = sources.locator("#sqa-cite-1-1")
    page.wait_for_function(
        "() => document.querySelector('#sqa-cite-1-1').classList.contains('sqa-flash')",
        timeout=TIMEOUT_MS,
    )
    assert card.is_visible()
    assert page.url.rstrip("/") == server.url  # the page did not navigate


# --- row 8: on a phone, each answer's passages under it ------------------------------------------


def test_row8_on_a_phone_each_answers_passages_are_under_it(browser: Any, server: Any) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    try:
        page.goto(server.url + "/")
        ask_in_ui(page, GOLDEN_VISA)
        wait_for_answers(page, 1)
        ask_in_ui(page, SEED_QUESTION)
        wait_for_answers(page, 2)
        # The new question is scrolled to the top of the box the first answer filled, not left
        # below its fold.
        page.wait_for_timeout(300)
        chat = page.locator("#sqa-chat").bounding_box()
        latest = page.locator("#sqa-chat .message.user").nth(1).bounding_box()
        assert chat is not None and latest is not None
        assert chat["y"] <= latest["y"] < chat["y"] + chat["height"] - 20
        box = page.locator("#sqa-question").bounding_box()
        questions = page.locator("#sqa-chat .message.user")
        for number, answer in enumerate(page.locator("#sqa-chat .message.bot").all(), start=1):
            card = answer.locator(f"#sqa-cite-{number}-1-inline")
            assert card.is_visible(), f"answer {number} shows no passage under it"
            where = card.bounding_box()
            marker = answer.locator("a.sqa-marker").first.bounding_box()
            assert where is not None and marker is not None and box is not None
            assert where["y"] > marker["y"]  # under the answer's text ...
            if number < 2:  # ... and above the next question
                next_question = questions.nth(number).bounding_box()
                assert next_question is not None and where["y"] < next_question["y"]
        # Not at the very end of the page: the panel beside the chat is not shown on a phone.
        assert not page.locator("#sqa-sources").is_visible()
        # A marker opens its passage under the answer.
        page.locator("#sqa-chat .message.bot").nth(1).locator("a.sqa-marker").first.click()
        opened = page.locator("#sqa-cite-2-1-inline")
        page.wait_for_function(
            "() => document.querySelector('#sqa-cite-2-1-inline').open", timeout=TIMEOUT_MS
        )
        assert opened.locator(".sqa-text").first.is_visible()
        # Copying an answer copies its words, not the passages under it or any markup.
        copy = page.locator(
            "#sqa-chat .message-buttons", has=page.locator("button[aria-label='Like']")
        ).first.locator("button[aria-label='Copy message']")
        copy.click()
        page.wait_for_timeout(300)
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "Golden Visa" in copied and copied.rstrip().endswith("[1].")
        assert "<" not in copied and "Cited passages" not in copied
    finally:
        context.close()


# --- rows 2, 3 and 7: Stop keeps the partial text; a question while answering; Stop only then ----


def test_row2_3_7_stop_keeps_the_text_and_a_second_question_is_told_to_wait(
    page: Page, paced: Any
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(paced.url + "/")
    stop = page.locator("#sqa-stop")
    page.locator("#sqa-ask").wait_for()
    assert stop.count() == 0 or stop.is_hidden()  # row 7: no Stop while idle
    box = page.locator("#sqa-question textarea")
    chat_width = page.locator("#sqa-chat").bounding_box()["width"]  # type: ignore[index]
    assert box.bounding_box()["width"] > 0.75 * chat_width  # type: ignore[index]
    examples = page.locator("#sqa-examples").inner_text()
    assert "..." not in examples and SEED_QUESTION in examples  # row 7: examples not cut
    ask_in_ui(page, SEED_QUESTION)
    stop.wait_for(state="visible", timeout=TIMEOUT_MS)
    # Row 3: a second question while the first is written stays in the box, and the page says why.
    ask_in_ui(page, FOLLOW_UP)
    page.locator("#sqa-status").get_by_text("when this answer is done").wait_for(timeout=TIMEOUT_MS)
    assert box.input_value() == FOLLOW_UP
    # Row 2: Stop after some text came keeps that text, marked as stopped.
    page.wait_for_function(
        "() => { const bots = document.querySelectorAll('#sqa-chat .message.bot');"
        " const t = bots.length ? bots[bots.length - 1].innerText.trim() : '';"
        " return t && !t.includes('Searching'); }",
        timeout=TIMEOUT_MS,
    )
    (written,) = answer_texts(page)
    stop.click()
    page.locator("#sqa-chat").get_by_text("[stopped]").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(EVENT_DELAY_S * 1000 + 500)  # more words would have come by now
    (text,) = answer_texts(page)
    assert text.startswith(written.strip().split()[0]) and text.rstrip().endswith("[stopped]")
    panel = page.locator("#sqa-sources").inner_text()
    assert "answer stopped" in panel and "Cited passages" not in panel
    stop.wait_for(state="hidden", timeout=TIMEOUT_MS)
    assert box.input_value() == FOLLOW_UP  # still there, to be sent now


# --- row 10: the widget's citations link to their source ----------------------------------------


def test_row10_widget_citations_have_the_view_source_link(page: Page, server: Any) -> None:
    page.goto(server.url + "/embed")
    page.locator("#sqa-question").fill(GOLDEN_VISA)
    page.locator("#sqa-ask").click()
    source = page.locator(".sqa-turn .sqa-source").first
    source.wait_for(timeout=TIMEOUT_MS)
    source.locator("summary").click()
    page.locator("#sqa-ask").wait_for(state="visible", timeout=TIMEOUT_MS)  # the answer is done
    assert source.get_attribute("open") is not None, "the final citations closed the opened source"
    link = source.locator("a.sqa-view-source")
    link.wait_for(timeout=TIMEOUT_MS)
    assert link.inner_text() == "view source"
    href = link.get_attribute("href") or ""
    assert href.startswith("source?doc=") and "sha=" in href
    with page.context.expect_page() as opened:
        link.click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert viewer.url.startswith(server.url + "/source?")
    assert "Golden Visa" in viewer.locator("body").inner_text()


# --- row 1: a question sent while the model loads ------------------------------------------------


def test_row1_the_banner_says_to_wait_and_the_loading_error_clears(
    page: Page, start_server: Any
) -> None:
    slow = start_server([], load_delay=8)
    page.goto(slow.url + "/")
    banner = page.locator("#sqa-banner")
    banner.get_by_text("model is loading").wait_for(timeout=TIMEOUT_MS)
    assert "answers start once it is ready" not in banner.inner_text()
    assert "send it when this notice goes away" in banner.inner_text()
    ask_in_ui(page, SEED_QUESTION)
    status = page.locator("#sqa-status")
    status.get_by_text("still loading").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('#sqa-banner').innerText.includes('loading')",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_function(
        "() => !document.querySelector('#sqa-status').innerText.includes('loading')",
        timeout=5_000,
    )  # the stale error went with the banner
    assert page.locator("#sqa-question textarea").input_value() == SEED_QUESTION


# --- row 4: the UI's conversation survives a reload ----------------------------------------------


def test_row4_the_ui_conversation_survives_a_reload(page: Page, server: Any) -> None:
    page.goto(server.url + "/")
    ask_in_ui(page, GOLDEN_VISA)
    wait_for_answers(page, 1)
    page.wait_for_timeout(1000)  # the kept copy is written after the answer
    page.reload()
    wait_for_answers(page, 1)
    assert GOLDEN_VISA in page.locator("#sqa-chat").inner_text()
    assert "[1]" in answer_texts(page)[0]
    assert page.locator("#sqa-sources #sqa-cite-1-1").count() == 1
    ask_in_ui(page, SEED_QUESTION)  # and it goes on from there
    wait_for_answers(page, 2)
    page.locator("#sqa-clear").click()
    page.wait_for_timeout(1000)
    page.reload()
    page.locator("#sqa-chat").wait_for()
    page.wait_for_timeout(1500)
    assert GOLDEN_VISA not in page.locator("#sqa-chat").inner_text()  # Clear is kept too


def test_row4_the_ui_conversation_survives_a_server_restart(
    page: Page, start_server: Any, tmp_path: Any
) -> None:
    """Gradio's BrowserState key was random per start: after a restart the reload was empty."""
    kept_key = {"SQA_CHAT_UI__STATE_SECRET_FILE": str(tmp_path / "ui-state.key")}
    before = start_server([], env=kept_key)
    page.goto(before.url + "/")
    ask_in_ui(page, GOLDEN_VISA)
    wait_for_answers(page, 1)
    page.wait_for_timeout(1000)  # the kept copy is written after the answer
    before.stop()
    after = start_server([], port=int(before.url.rsplit(":", 1)[1]), env=kept_key)
    page.reload()
    page.locator("#sqa-chat").wait_for()
    wait_for_answers(page, 1)
    assert GOLDEN_VISA in page.locator("#sqa-chat").inner_text()
    assert after.url == before.url  # the same origin, so the same localStorage
