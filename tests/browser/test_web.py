"""Headless Chromium against a live server: the chat UI, portal embedding, origins and escaping.

Screenshots land in test-output/screenshots/ (gitignored).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from chatbot.llm.server import runtime_missing

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
SEED_QUESTION = "When did Indonesia release its National Artificial Intelligence Strategy?"
INDONESIAN = "Kapan Indonesia meluncurkan Strategi Nasional Kecerdasan Artifisial?"
XSS_QUESTION = "When did the Zanzibar Quantum Policy Office publish its harbour charter?"


def ask_in_ui(page: Page, question: str) -> None:
    page.locator("#sqa-question textarea").fill(question)
    page.locator("#sqa-ask").click()


def wait_for_answer(page: Page) -> None:
    """Until the last answer is final: its passages panel shows "Cited passages"."""
    page.wait_for_function(
        "() => (document.querySelector('#sqa-sources')?.innerText || '')"
        ".includes('Cited passages')",
        timeout=TIMEOUT_MS,
    )


def test_ui_streams_a_cited_answer(page: Page, server: Any, screenshot_dir: Path) -> None:
    page.goto(server.url + "/")
    ask_in_ui(page, SEED_QUESTION)
    wait_for_answer(page)
    chat = page.locator("#sqa-chat").inner_text()
    assert SEED_QUESTION in chat
    assert "2020" in chat and "[1]" in chat
    sources = page.locator("#sqa-sources")
    card = sources.locator("#sqa-cite-1-1")
    assert "A Robust AI Ecosystem" in card.inner_text()
    assert "variant: original" in card.inner_text()
    assert "¶" in card.inner_text()
    assert "Korika" in card.locator("blockquote.sqa-text").first.inner_text()
    assert "ja-derived variant" in card.inner_text()  # the note on the other variant
    assert page.locator("#sqa-question textarea").input_value() == ""
    page.screenshot(path=screenshot_dir / "ui-answer.png", full_page=True)


def test_ui_answer_is_labelled_for_screen_readers_by_its_text(page: Page, server: Any) -> None:
    """Gradio labels a message with its raw content: an answer's label spelled out its HTML
    (marker links, the passages under it). The UI's script also has to load at all."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server.url + "/")
    ask_in_ui(page, SEED_QUESTION)
    wait_for_answer(page)
    # The answer's text streams in before its markers become links: wait for its final label.
    read_labels = (
        "() => [...document.querySelectorAll('#sqa-chat [aria-label]')]"
        ".map(e => e.getAttribute('aria-label'))"
    )
    page.wait_for_function(
        f"() => ({read_labels})().some(l => l.startsWith('bot') && l.includes('[1]'))",
        timeout=TIMEOUT_MS,
    )
    labels = page.evaluate(read_labels)
    answers = [label for label in labels if label.startswith("bot's message: ")]
    assert answers and "2020" in answers[-1] and "[1]" in answers[-1]
    assert not [label for label in labels if "<" in label], labels
    assert "Cited passages" not in answers[-1]  # the passages under it are not read twice
    assert not [e for e in errors if "custom JS" in e], errors


def test_ui_indonesian_example_clear_and_retry(
    page: Page, server: Any, screenshot_dir: Path
) -> None:
    page.goto(server.url + "/")
    page.get_by_text("Kapan Indonesia meluncurkan", exact=False).first.click()
    wait_for_answer(page)
    chat = page.locator("#sqa-chat")
    assert INDONESIAN in chat.inner_text()
    assert "[1]" in chat.inner_text()
    page.screenshot(path=screenshot_dir / "ui-indonesian-example.png", full_page=True)

    page.locator("#sqa-retry").click()  # asks the same question again, replacing the answer
    page.wait_for_timeout(500)
    wait_for_answer(page)
    assert chat.inner_text().count(INDONESIAN) == 1

    page.locator("#sqa-clear").click()
    page.wait_for_function(
        "() => !document.querySelector('#sqa-chat').innerText.includes('Kapan')",
        timeout=TIMEOUT_MS,
    )
    assert "appear here" in page.locator("#sqa-sources").inner_text()


def test_ui_explains_empty_and_overlong_questions(page: Page, server: Any) -> None:
    page.goto(server.url + "/")
    page.locator("#sqa-ask").click()
    status = page.locator("#sqa-status")
    status.get_by_text("empty").wait_for(timeout=TIMEOUT_MS)
    long_question = "Why? " * 120
    ask_in_ui(page, long_question)
    status.get_by_text("too long").wait_for(timeout=TIMEOUT_MS)
    assert "limit is 500" in status.inner_text()
    # The text stays in the box, so it can be shortened.
    assert page.locator("#sqa-question textarea").input_value().strip() == long_question.strip()


def test_portal_on_an_allowed_origin_embeds_the_widget(
    page: Page, server: Any, portals: tuple[Any, Any], screenshot_dir: Path
) -> None:
    allowed, _ = portals
    page.goto(allowed.page_url(server))
    widget = page.frame_locator("#qa-frame")
    widget.locator("#sqa-question").fill(SEED_QUESTION)
    widget.locator("#sqa-ask").click()
    answer = widget.locator(".sqa-turn .sqa-a").last
    answer.get_by_text("2020").wait_for(timeout=TIMEOUT_MS)
    # The answer streams word by word: its marker may come after the year.
    expect(answer).to_contain_text("[1]", timeout=TIMEOUT_MS)
    source = widget.locator(".sqa-source").first
    assert "A Robust AI Ecosystem" in source.inner_text()
    assert "original" in source.inner_text()
    # The portal page can also call the API directly: its origin is allowed (CORS).
    status = page.evaluate(
        """async (url) => {
            const r = await fetch(url + '/api/ask', {method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({question: 'What is Korika?'})});
            return r.status;
        }""",
        server.url,
    )
    assert status == 200
    page.screenshot(path=screenshot_dir / "portal-allowed.png", full_page=True)


def test_portal_on_another_origin_can_neither_frame_nor_call(
    page: Page, server: Any, portals: tuple[Any, Any], screenshot_dir: Path
) -> None:
    _, stranger = portals
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.goto(stranger.page_url(server))
    page.wait_for_timeout(1500)
    # frame-ancestors: Chromium replaces the frame with an error page, without our widget.
    frame = page.locator("#qa-frame").element_handle().content_frame()
    assert frame is not None
    assert frame.locator("#sqa-question").count() == 0
    assert any("frame-ancestors" in m for m in messages), messages
    result = page.evaluate(
        """async (url) => {
            try {
                const r = await fetch(url + '/api/ask', {method: 'POST',
                    headers: {'Content-Type': 'application/json'},
                    body: JSON.stringify({question: 'What is Korika?'})});
                return 'status ' + r.status;
            } catch (e) { return 'blocked: ' + e; }
        }""",
        server.url,
    )
    assert result.startswith("blocked"), result
    page.screenshot(path=screenshot_dir / "portal-disallowed.png", full_page=True)


def test_document_html_shows_as_text_and_never_runs(
    page: Page, server: Any, portals: tuple[Any, Any], screenshot_dir: Path
) -> None:
    page.goto(server.url + "/")
    ask_in_ui(page, XSS_QUESTION)
    wait_for_answer(page)
    sources = page.locator("#sqa-sources")
    assert "Zanzibar" in sources.inner_text()
    assert "<script>window.__xss=1</script>" in sources.inner_text()
    assert '<img src=x onerror="window.__xss=2">' in sources.inner_text()
    assert sources.locator("img, script").count() == 0
    chat = page.locator("#sqa-chat")
    assert "<script>" in chat.inner_text()  # the answer quotes (some of) the markup as text
    assert chat.locator("img[src='x'], script").count() == 0
    page.wait_for_timeout(500)  # an injected onerror would fire by now
    assert page.evaluate("typeof window.__xss") == "undefined"
    page.screenshot(path=screenshot_dir / "ui-escaped-html.png", full_page=True)

    # The same passage in the portal widget.
    page.goto(portals[0].page_url(server))
    widget = page.frame_locator("#qa-frame")
    widget.locator("#sqa-question").fill(XSS_QUESTION)
    widget.locator("#sqa-ask").click()
    source = widget.locator(".sqa-source").first
    source.wait_for(timeout=TIMEOUT_MS)
    source.locator("summary").click()
    assert "<script>window.__xss=1</script>" in source.inner_text()
    answer = widget.locator(".sqa-turn .sqa-a").last
    answer.get_by_text("<script>", exact=False).wait_for(timeout=TIMEOUT_MS)
    assert widget.locator(".sqa-log img, .sqa-log script").count() == 0
    page.wait_for_timeout(500)
    frame = page.locator("#qa-frame").element_handle().content_frame()
    assert frame is not None
    assert frame.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("typeof window.__xss") == "undefined"
    page.screenshot(path=screenshot_dir / "portal-escaped-html.png", full_page=True)


def test_loading_notice_until_the_model_is_ready(
    page: Page, start_server: Callable[..., Any], screenshot_dir: Path
) -> None:
    slow = start_server([], load_delay=8)
    widget = page.context.new_page()
    widget.goto(slow.url + "/embed")
    widget.locator("#sqa-loading").get_by_text("model is loading").wait_for(timeout=TIMEOUT_MS)
    widget.screenshot(path=screenshot_dir / "embed-loading.png")
    page.goto(slow.url + "/")
    banner = page.locator("#sqa-banner")
    banner.get_by_text("model is loading").wait_for(timeout=TIMEOUT_MS)
    ask_in_ui(page, SEED_QUESTION)
    page.locator("#sqa-status").get_by_text("still loading").wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / "ui-loading.png", full_page=True)
    page.wait_for_function(
        "() => !document.querySelector('#sqa-banner').innerText.includes('loading')",
        timeout=TIMEOUT_MS,
    )
    page.locator("#sqa-ask").click()  # the question is still in the box
    wait_for_answer(page)
    assert "[1]" in page.locator("#sqa-chat").inner_text()
    widget.locator("#sqa-loading").wait_for(state="hidden", timeout=TIMEOUT_MS)


def test_openapi_docs_render_offline(page: Page, server: Any, screenshot_dir: Path) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if server.url not in r.url else None)
    page.goto(server.url + "/docs")
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=TIMEOUT_MS)
    assert "/api/ask/stream" in page.locator(".swagger-ui").inner_text()
    assert outside == []  # Swagger UI's assets come from our server, not a CDN
    page.screenshot(path=screenshot_dir / "api-docs.png")


@pytest.mark.llm
@pytest.mark.skipif(runtime_missing() is not None, reason="needs the [llm] extra")
def test_ui_streams_tokens_from_the_bundled_llm(
    page: Page, start_server: Callable[..., Any], screenshot_dir: Path
) -> None:
    # This is about streaming, not about a stalled model: a busy machine (CI) must not turn the
    # answer into the fallback quote, which arrives whole.
    llm_server = start_server([], llm="bundled", env={"SQA_LLM_STALL_TIMEOUT_S": "120"})
    page.goto(llm_server.url + "/")
    page.locator("#sqa-chat").wait_for()
    # Record every distinct text the answer bubble shows while it streams.
    page.evaluate(
        """() => {
            window.__seen = [];
            const chat = document.querySelector('#sqa-chat');
            new MutationObserver(() => {
                const bots = chat.querySelectorAll('.message.bot');
                const text = bots.length ? bots[bots.length - 1].innerText : '';
                if (text && window.__seen[window.__seen.length - 1] !== text) {
                    window.__seen.push(text);
                }
            }).observe(chat, {subtree: true, childList: true, characterData: true});
        }"""
    )
    ask_in_ui(page, SEED_QUESTION)
    page.wait_for_function(
        "() => (document.querySelector('#sqa-sources')?.innerText || '')"
        ".includes('Cited passages')",
        timeout=180_000,
    )
    seen = page.evaluate("window.__seen")
    chat = page.locator("#sqa-chat").inner_text()
    page.screenshot(path=screenshot_dir / "ui-llm-answer.png", full_page=True)
    assert "2020" in chat and "[1]" in chat
    growing = [t for t in seen if "Searching" not in t]
    assert len(growing) >= 3, seen  # the answer arrived in pieces, not at once
