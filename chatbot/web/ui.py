"""The Gradio chat UI at `/`: streamed answers with [n] markers, the cited passages beside them.

Every piece of document or user text is html-escaped here before it reaches Gradio: the passages
panel is raw HTML, and chat messages are rendered as (sanitized) HTML. Markdown rendering is off
in the chat, so a passage cannot smuggle in a link or an image either, and the copy button copies
the plain answer (MARKER_JS). The cited passages are shown in a panel beside the chat, and on a
phone under each answer instead (chatbot.web.passage_cards).

Answers from the UI go through the same gate and answer slots as the API (chatbot.web.service).
Gradio's queue is bounded (settings.answer_queue_size) and QueueGuard refuses a client's join past
settings.max_in_flight_per_client unfinished questions with 429, before Gradio queues it.

Stop cancels the running answer (Gradio closes its generator, which tells the answer slot to stop
generating). Like/dislike on an answer appends a vote to chatbot.web.feedback's file. The example
questions are the live build's (chatbot.web.examples), read again on each page load.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from chatbot.types import MAX_HISTORY_TURNS, Answer, Citation
from chatbot.web.examples import example_questions, served_manifest
from chatbot.web.feedback import FeedbackFull, feedback_store, served_build_id
from chatbot.web.passage_cards import INLINE_SUFFIX, NO_SOURCES, cards, cite_id, inline_cards
from chatbot.web.security import error_response
from chatbot.web.service import Refusal, Service
from chatbot.web.ui_state import ui_state_secret

log = logging.getLogger(__name__)

PENDING = "<em>Searching the documents…</em>"
NOTHING_FOUND = "No passage of the documents answers this question."
BUSY_NOTE = "Answering… Your next question can be sent when this answer is done, or press Stop."
_MARKER = re.compile(r"\[(\d+)\]")
# Markers open their passage in the panel (the chat's sanitizer keeps a same-page link; this
# script scrolls to it instead of letting the link change the address). Gradio's copy button
# copies a message's HTML as it is; a copy from the chat gets the answer's plain text instead,
# without the passages under it (parsed by DOMParser, which runs nothing).
MARKER_JS = """
() => {
  let copyingFromChat = false;
  const clipboard = navigator.clipboard;
  if (clipboard && clipboard.writeText) {
    const write = clipboard.writeText.bind(clipboard);
    clipboard.writeText = (text) => {
      if (copyingFromChat && typeof text === 'string') {
        const doc = new DOMParser().parseFromString(text, 'text/html');
        doc.querySelectorAll('.sqa-inline-sources').forEach((node) => node.remove());
        text = doc.body.textContent;
      }
      return write(text);
    };
  }
  document.addEventListener('click', (event) => {
    copyingFromChat = Boolean(event.target.closest && event.target.closest('#sqa-chat'));
    const link = event.target.closest && event.target.closest('a.sqa-marker');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const id = (link.getAttribute('href') || '').slice(1);
    let card = document.getElementById(id);
    // On a phone the panel is hidden: the card under the answer is the one to open.
    if (!card || !card.offsetParent) card = document.getElementById(id + '__INLINE_SUFFIX__');
    if (!card) return;
    if (card.tagName === 'DETAILS') card.open = true;
    card.scrollIntoView({block: 'nearest'});
    card.classList.add('sqa-flash');
    setTimeout(() => card.classList.remove('sqa-flash'), 1600);
  }, true);
  // A new question is scrolled to the top of the conversation box, so its answer is read from
  // its start (a tall earlier answer with its passages otherwise keeps the box where it was).
  // Only the box scrolls, never the page: the input stays where the user typed.
  // The earlier answer's passages and the new answer arrive after the question does, so the
  // question is kept there for a few seconds while they render.
  // Gradio labels each message with its raw content, which for an answer is HTML (markers,
  // the passages under it): a screen reader would spell out the tags. The label becomes the
  // answer's text as shown, without the passages.
  // (No backslash anywhere in this script: Gradio's loader does not keep them.)
  const BOT = 'bot' + String.fromCharCode(39) + 's message: ';
  const relabel = (chat) => {
    chat.querySelectorAll('[aria-label]').forEach((message) => {
      const label = message.getAttribute('aria-label');
      if (!label.startsWith(BOT) || label === message.dataset.sqaLabel) return;
      if (!label.includes('<') && !label.includes('&')) return;
      // Read from the label itself (the message's own HTML may still be one update behind),
      // parsed by DOMParser, which runs and loads nothing.
      const doc = new DOMParser().parseFromString(label.slice(BOT.length), 'text/html');
      doc.querySelectorAll('.sqa-inline-sources').forEach((node) => node.remove());
      const text = (doc.body.textContent || '').split(/[ ]+/).join(' ').trim();
      message.dataset.sqaLabel = BOT + text;
      message.setAttribute('aria-label', message.dataset.sqaLabel);
    });
  };
  let asked = 0;
  let pinnedAt = 0;
  new MutationObserver(() => {
    const chat = document.getElementById('sqa-chat');
    if (!chat) return;
    relabel(chat);
    const questions = chat.querySelectorAll('.message.user');
    if (questions.length > asked) pinnedAt = Date.now();
    asked = questions.length;
    if (!asked || Date.now() - pinnedAt > 3000) return;
    const last = questions[questions.length - 1];
    let box = last.parentElement;
    while (box && box !== chat && box.scrollHeight <= box.clientHeight) box = box.parentElement;
    if (!box || box.scrollHeight <= box.clientHeight) return;
    const offset = last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    if (Math.abs(offset) > 2) box.scrollTop += offset;
  }).observe(document.body, {
    childList: true, subtree: true, attributes: true, attributeFilter: ['aria-label'],
  });
}
""".replace("__INLINE_SUFFIX__", INLINE_SUFFIX)
ANSWER_GROUP = "answer"  # Gradio concurrency id shared by every event that answers a question


CSS = """
#sqa-banner .sqa-loading { background: #fff7e0; border: 1px solid #e8c460; border-radius: 8px;
  padding: 10px 14px; font-weight: 600; }
#sqa-banner .sqa-failed { background: #fdecea; border: 1px solid #e06c60; border-radius: 8px;
  padding: 10px 14px; }
.sqa-status { color: #b3261e; font-weight: 600; padding: 4px 2px; }
/* The status line says what went wrong in its own words; Gradio's tracker would add a bare
   "Error" there when Stop cancels the answer that writes to it. */
#sqa-status [data-testid="status-tracker"] { display: none !important; }
.sqa-note { color: #555; padding: 4px 2px; }
#sqa-sources { max-height: 640px; overflow-y: auto !important; }
.sqa-answer-sources h3 { margin: 4px 0 2px; font-size: 1em; }
.sqa-answer-sources .sqa-q { color: #555; margin: 0 0 8px; font-size: 0.9em; }
.sqa-answer-sources + .sqa-answer-sources { border-top: 1px solid #e3e3e3; margin-top: 12px;
  padding-top: 8px; }
.sqa-cite.sqa-flash { outline: 3px solid #1a5fb4; }
a.sqa-marker { color: #1a5fb4; text-decoration: none; font-weight: 600; cursor: pointer; }
.sqa-stopped { color: #8a5a00; }
#sqa-examples label { white-space: normal; }
#sqa-examples input[type=radio] { display: none; }
.sqa-inline-sources { display: none; }
@media (max-width: 700px) {
  #sqa-chat { height: auto !important; min-height: 160px; max-height: 60vh; }
  /* A phone shows each answer's passages under it, not in a panel at the end of the page. */
  #sqa-side { display: none !important; }
  .sqa-inline-sources { display: block; margin-top: 10px; padding-top: 6px;
    border-top: 1px solid #e3e3e3; font-size: 0.92em; }
  .sqa-inline-head { color: #555; font-size: 0.9em; margin-bottom: 4px; }
  .sqa-cite.sqa-inline { padding: 6px 8px; margin-bottom: 6px; }
  .sqa-inline > summary { cursor: pointer; }
  .sqa-inline .sqa-where { color: #555; }
}
.sqa-sources-empty { color: #777; padding: 12px; border: 1px dashed #ccc; border-radius: 8px; }
.sqa-cite { border: 1px solid #ddd; border-radius: 8px; padding: 10px 12px; margin-bottom: 10px; }
.sqa-cite header { font-weight: 600; }
.sqa-n { color: #1a5fb4; margin-right: 4px; }
.sqa-meta { color: #555; font-size: 0.9em; margin: 2px 0 6px; }
.sqa-text { white-space: pre-wrap; margin: 0; padding-left: 10px; border-left: 3px solid #c5d5ec;
  font-size: 0.93em; }
.sqa-variant { font-size: 0.88em; color: #444; margin: 6px 0 0; }
.sqa-variant summary { cursor: pointer; }
"""


@dataclass
class ChatTurn:
    question: str
    answer: str | None = None  # None while streaming or after an error
    abstained: bool = False
    citations: list[Citation] = field(default_factory=list)
    build_id: str | None = None  # the index build that answered
    stopped: bool = False  # the reader pressed Stop
    partial: str = ""  # the text streamed so far (kept, marked as stopped, after Stop)


def chat_text(text: str) -> str:
    """Plain text -> the chat's HTML for exactly that text (quotes need no escaping there)."""
    return html.escape(text, quote=False)


def linked_markers(text: str, answer_number: int, citations: Sequence[Citation]) -> str:
    """Plain answer text -> its chat HTML, each [n] of a cited passage a link to that passage."""
    known = {c.n for c in citations}

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in known:
            return match.group(0)
        return f'<a class="sqa-marker" href="#{cite_id(answer_number, n)}">[{n}]</a>'

    return _MARKER.sub(link, chat_text(text))


def passages_of(turn: ChatTurn, live: bool = False) -> tuple[str, list[Citation]] | None:
    """(heading, passages) shown for a turn, in the panel and under its answer; None for a
    failed one (the status line says so, Retry asks again). ``live``: still being written."""
    if live:
        return "Passages found", turn.citations
    if turn.stopped:
        return "Passages found (answer stopped)", turn.citations
    if turn.answer is None:
        return None
    return "Cited passages", [] if turn.abstained else turn.citations


def _answer_text(turn: ChatTurn, number: int, streamed: str | None = None) -> str:
    if streamed is not None:
        return linked_markers(streamed, number, turn.citations) if streamed else PENDING
    if turn.stopped:
        if not turn.partial:
            return '<em class="sqa-stopped">Stopped.</em>'
        kept = linked_markers(turn.partial.rstrip(), number, turn.citations)
        return f'{kept} <em class="sqa-stopped">[stopped]</em>'
    if turn.answer is None:
        return "<em>Answering failed; press Retry to ask again.</em>"
    return linked_markers(turn.answer, number, turn.citations)


def _message_text(turn: ChatTurn, number: int, streamed: str | None = None) -> str:
    """The answer, then its passages (shown there on a phone, where the panel is hidden)."""
    shown = passages_of(turn, live=streamed is not None)
    under = inline_cards(shown[1], number, shown[0]) if shown else ""
    return _answer_text(turn, number, streamed) + under


def chat_messages(turns: Sequence[ChatTurn], streamed: str | None = None) -> list[dict[str, str]]:
    """Gradio 6 messages for the turns; the last answer shows `streamed` while it streams."""
    out: list[dict[str, str]] = []
    for i, turn in enumerate(turns):
        live = streamed if i == len(turns) - 1 else None
        out.append({"role": "user", "content": chat_text(turn.question)})
        out.append({"role": "assistant", "content": _message_text(turn, i + 1, live)})
    return out


def turns_to_json(turns: Sequence[ChatTurn]) -> list[dict[str, Any]]:
    """The conversation as the browser keeps it across a reload (gr.BrowserState)."""
    return [
        {
            "question": t.question,
            "answer": t.answer,
            "abstained": t.abstained,
            "citations": [c.to_json() for c in t.citations],
            "build_id": t.build_id,
            "stopped": t.stopped,
            "partial": t.partial,
        }
        for t in turns[-MAX_HISTORY_TURNS:]
    ]


def turns_from_json(saved: object) -> list[ChatTurn]:
    """The kept conversation back; anything malformed is dropped (it came from the browser, and
    everything shown from it is escaped like any other text)."""
    turns: list[ChatTurn] = []
    for item in saved[-MAX_HISTORY_TURNS:] if isinstance(saved, list) else []:
        try:
            citations = [Citation(**c) for c in item.get("citations") or []]
            turn = ChatTurn(
                str(item["question"]),
                None if item.get("answer") is None else str(item["answer"]),
                bool(item.get("abstained")),
                citations,
                item.get("build_id") if isinstance(item.get("build_id"), str) else None,
                bool(item.get("stopped")),
                str(item.get("partial") or ""),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
        if turn.answer is not None or turn.stopped:  # an unfinished answer is not kept
            turns.append(turn)
    return turns


def sources_panel(turns: Sequence[ChatTurn], answering: bool = False) -> str:
    """Every answer's passages, the latest first, each under the question it answers: earlier
    answers keep theirs, and a marker of any answer finds its card. ``answering``: the last
    turn is still being written (its passages are the ones found so far)."""
    sections = []
    for number, turn in reversed(list(enumerate(turns, start=1))):
        live = answering and number == len(turns)
        shown = passages_of(turn, live)
        if shown is None:
            continue
        heading, passages = shown
        if passages:
            body = cards(passages, number)
        elif live:
            body = PENDING
        else:
            body = f'<div class="sqa-sources-empty">{NOTHING_FOUND}</div>'
        sections.append(
            f'<section class="sqa-answer-sources{" sqa-pending" if live else ""}" '
            f'id="sqa-answer-{number}"><h3>{heading} · answer {number}</h3>'
            f'<p class="sqa-q">{chat_text(turn.question)}</p>{body}</section>'
        )
    return "".join(sections) or NO_SOURCES


def banner_html(service: Service) -> str:
    state = service.state
    if state == "ready":
        return ""
    if state == "failed":
        detail = html.escape(str(service.health().get("detail", "")))
        return f'<div class="sqa-failed" role="alert">{detail}</div>'
    return (
        '<div class="sqa-loading" role="status">The model is loading… '
        "Type your question now and send it when this notice goes away.</div>"
    )


def _status(message: str) -> str:
    return f'<div class="sqa-status" role="alert">{html.escape(message)}</div>'


def _client(request: gr.Request | None) -> str:
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


Outputs = tuple[Any, list[dict[str, str]], Any, str, list[ChatTurn], Any, Any]


def _busy(answering: bool) -> tuple[Any, Any]:
    """(Ask, Stop) updates: Stop shows only while an answer is being written."""
    return gr.update(interactive=not answering), gr.update(visible=answering)


def _note(message: str) -> str:
    return f'<div class="sqa-note" role="status">{html.escape(message)}</div>'


def answer_turns(
    service: Service,
    question: str,
    turns: list[ChatTurn],
    client: str,
    stop: threading.Event | None = None,
) -> Iterator[Outputs]:
    """Stream (textbox, chat, passages, status, turns, ask, stop) updates for one question;
    setting ``stop`` ends the answer (the answer slot stops generating at its next event)."""
    history = [(t.question, None if t.abstained else t.answer) for t in turns if not t.stopped]
    idle, busy = _busy(False), _busy(True)
    try:
        question = service.check_question(question or "")
        # (without a Stop, the service's own signature: test doubles need not know it)
        stop_arg: dict[str, Any] = {} if stop is None else {"cancelled": stop}
        events = service.stream(question, history, client, **stop_arg)
    except Refusal as refusal:  # keep the text in the box so it can be fixed
        chat = chat_messages(turns)
        yield gr.skip(), chat, gr.skip(), _status(refusal.message), turns, *idle
        return
    turns = [*turns, ChatTurn(question)]
    turn = turns[-1]
    note = _note(BUSY_NOTE)
    yield "", chat_messages(turns, ""), sources_panel(turns, True), note, turns, *busy
    streamed = ""
    try:
        for ev in events:
            if stop is not None and stop.is_set():
                turn.stopped = True
                break
            if ev.kind == "citations":
                turn.citations = list(ev.citations)
                panel = sources_panel(turns, True)
                yield gr.skip(), chat_messages(turns, streamed), panel, note, turns, *busy
            elif ev.kind == "token":
                streamed += ev.text
                turn.partial = streamed
                chat = chat_messages(turns, streamed)
                yield gr.skip(), chat, gr.skip(), gr.skip(), turns, *busy
            elif ev.kind == "done" and ev.answer is not None:
                _finish(turn, ev.answer)
                turn.build_id = served_build_id(service)
    except Refusal as refusal:  # the model failed: say so, and that Retry works
        status = _status(refusal.message)
        yield gr.skip(), chat_messages(turns), sources_panel(turns), status, turns, *idle
        return
    except Exception:  # shown to the user; the server log has the traceback
        log.exception("answering failed")
        status = _status("Answering failed.")
        yield gr.skip(), chat_messages(turns), sources_panel(turns), status, turns, *idle
        return
    finally:
        close = getattr(events, "close", None)
        if callable(close):
            close()  # a stopped answer's slot is told at once
    # The final text replaces the streamed one: bad [n] markers may have been removed.
    yield gr.skip(), chat_messages(turns), sources_panel(turns), "", turns, *idle


def _finish(turn: ChatTurn, answer: Answer) -> None:
    turn.answer = answer.answer
    turn.abstained = answer.abstained
    turn.citations = list(answer.citations)


def stop_turns(
    turns: list[ChatTurn],
) -> tuple[list[dict[str, str]], str, str, list[ChatTurn], Any, Any]:
    """After Stop: the unfinished last answer keeps its text, marked as stopped, and the panel
    shows what it had found (Retry asks again)."""
    if turns and turns[-1].answer is None:
        turns[-1].stopped = True
    return chat_messages(turns), sources_panel(turns), "", turns, *_busy(False)


def record_vote(
    service: Service, turns: Sequence[ChatTurn], index: object, liked: object
) -> str | None:
    """Append a like/dislike of the answer at chat message `index`; a status message or None.

    Gradio sends liked=True (Like), False (Dislike) or "" when a vote is withdrawn, which is
    not recorded (the file is append-only: the earlier line stays).
    """
    if liked is not True and liked is not False:
        return None
    position = index[0] if isinstance(index, (list, tuple)) else index
    if not isinstance(position, int) or not 0 <= position // 2 < len(turns):
        return None
    turn = turns[position // 2]
    if turn.answer is None:
        return "Only a finished answer can be rated."
    if not service.settings.feedback.enabled:
        return None
    try:
        feedback_store(service).record(
            "up" if liked else "down",
            turn.question,
            turn.answer,
            [c.to_json() for c in turn.citations],
            turn.build_id,
        )
    except FeedbackFull:
        log.warning("feedback not recorded: the feedback file is full")
        return "Your vote could not be recorded right now."
    return None


def examples_update(service: Service) -> Any:
    """The example questions for the build served now (hidden when it has none). A Radio, not a
    Dataset: Gradio's textbox examples cut anything past 60 characters with "..."."""
    questions = example_questions(service.settings, served_manifest(service))
    return gr.Radio(choices=questions, value=None, visible=bool(questions), interactive=True)


def build_ui(service: Service) -> gr.Blocks:
    with gr.Blocks(title="Strategy documents Q&A", analytics_enabled=False) as demo:
        turns = gr.State([])
        # The conversation survives a reload, as the widget's does (encrypted in localStorage),
        # also after a restart: the key is the same on every start (chatbot.web.ui_state).
        kept = gr.BrowserState(
            [], storage_key="sqa-chat-ui", secret=ui_state_secret(service.settings)
        )
        banner = gr.HTML(banner_html(service), elem_id="sqa-banner", js_on_load=None)
        gr.Markdown(
            "## Ask the strategy documents\nAnswers come only from the indexed documents; "
            "`[n]` marks the passage that supports each claim. Ask in English, Bahasa "
            "Indonesia, 日本語 or 中文."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="sqa-chat",
                    height=460,
                    sanitize_html=True,
                    render_markdown=False,
                    latex_delimiters=[],
                    allow_tags=False,
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                    placeholder="Ask a question about the documents, or pick an example below.",
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        show_label=False,
                        placeholder="Type a question and press Enter",
                        max_lines=4,
                        scale=1,
                        elem_id="sqa-question",
                        autofocus=True,
                    )
                    ask = gr.Button(
                        "Ask", variant="primary", scale=0, min_width=80, elem_id="sqa-ask"
                    )
                    # Shown only while an answer is being written (answer_turns toggles it).
                    stop_button = gr.Button(
                        "Stop", variant="stop", scale=0, min_width=80, elem_id="sqa-stop",
                        visible=False,
                    )  # fmt: skip
                status = gr.HTML("", elem_id="sqa-status", js_on_load=None)
                with gr.Row():
                    retry = gr.Button("Retry", size="sm", elem_id="sqa-retry")
                    clear = gr.Button("Clear", size="sm", elem_id="sqa-clear")
                first = example_questions(service.settings, served_manifest(service))
                examples = gr.Radio(
                    choices=first,
                    value=None,
                    label="Example questions",
                    elem_id="sqa-examples",
                    visible=bool(first),
                    interactive=True,
                )
            with gr.Column(scale=2, elem_id="sqa-side"):  # hidden on a phone (CSS)
                sources = gr.HTML(NO_SOURCES, elem_id="sqa-sources", js_on_load=None)

        outputs = [question, chatbot, sources, status, turns, ask, stop_button]
        # Stop of each page's running answer (a page asks one question at a time).
        stops: dict[str, threading.Event] = {}

        def answer(text: str, state: list[ChatTurn], request: gr.Request) -> Iterator[Outputs]:
            key = getattr(request, "session_hash", None) or _client(request)
            stop = stops[key] = threading.Event()
            try:
                yield from answer_turns(service, text, state, _client(request), stop)
            finally:
                if stops.get(key) is stop:
                    del stops[key]

        def respond(text: str, state: list[ChatTurn], request: gr.Request) -> Iterator[Outputs]:
            yield from answer(text, state, request)

        def retry_last(state: list[ChatTurn], request: gr.Request) -> Iterator[Outputs]:
            if not state:
                status = _status("Nothing to retry yet.")
                yield gr.skip(), [], gr.skip(), status, state, *_busy(False)
                return
            yield from answer(state[-1].question, state[:-1], request)

        def stop_answer(
            state: list[ChatTurn], request: gr.Request
        ) -> tuple[list[dict[str, str]], str, str, list[ChatTurn], Any, Any]:
            stop = stops.get(getattr(request, "session_hash", None) or _client(request))
            if stop is not None:
                stop.set()
            return stop_turns(state)

        def pick_example(data: gr.SelectData) -> tuple[str, Any]:
            # The pick goes to the box and the choice is cleared, so it can be picked again.
            return str(data.value), gr.Radio(value=None)

        def reset() -> tuple[str, list[Any], str, str, list[ChatTurn], Any, Any]:
            return "", [], NO_SOURCES, "", [], *_busy(False)

        def tick() -> tuple[str, gr.Timer, Any]:
            loading = service.state == "loading"
            # Once ready, a "still loading" message from before is stale: clear it.
            return banner_html(service), gr.Timer(active=loading), gr.skip() if loading else ""

        # The documented API is /api/ask; Gradio's own endpoints serve this page only.
        ask_opts: dict[str, Any] = {
            "outputs": outputs,
            "show_progress": "hidden",
            "api_visibility": "private",
            # One group for every way of asking, as wide as the answer slots it feeds.
            "concurrency_id": ANSWER_GROUP,
            "concurrency_limit": service.settings.max_concurrent_answers,
        }
        quiet: dict[str, Any] = {"show_progress": "hidden", "api_visibility": "private"}
        answering = [
            question.submit(respond, [question, turns], **ask_opts),
            ask.click(respond, [question, turns], **ask_opts),
            examples.select(pick_example, None, [question, examples], queue=False, **quiet).then(
                respond, [question, turns], **ask_opts
            ),
            retry.click(retry_last, [turns], **ask_opts),
            chatbot.retry(retry_last, [turns], **ask_opts),
        ]
        stopped = [chatbot, sources, status, turns, ask, stop_button]
        stop_event = stop_button.click(stop_answer, [turns], stopped, cancels=answering, **quiet)

        def keep(state: list[ChatTurn]) -> list[dict[str, Any]]:
            return turns_to_json(state)

        def restore(saved: object) -> tuple[list[dict[str, str]], str, list[ChatTurn]]:
            state = turns_from_json(saved)
            return chat_messages(state), sources_panel(state), state

        for event in [*answering, stop_event]:
            event.then(keep, [turns], [kept], **quiet)
        demo.load(restore, [kept], [chatbot, sources, turns], **quiet)

        def vote(state: list[ChatTurn], data: gr.LikeData) -> str:
            problem = record_vote(service, state, data.index, data.liked)
            return _status(problem) if problem else ""

        chatbot.like(vote, [turns], [status], queue=False, **quiet)
        clear.click(reset, None, outputs, queue=False, **quiet).then(keep, [turns], [kept], **quiet)
        chatbot.clear(reset, None, outputs, queue=False, **quiet).then(
            keep, [turns], [kept], **quiet
        )

        timer = gr.Timer(1.0, active=service.state == "loading")
        timer.tick(tick, None, [banner, timer, status], **quiet)
        demo.load(tick, None, [banner, timer, status], **quiet)
        demo.load(lambda: examples_update(service), None, [examples], **quiet)
    demo.queue(default_concurrency_limit=1, max_size=service.settings.answer_queue_size)
    return demo


def queued_answers(demo: gr.Blocks) -> Callable[[str], int]:
    """client address -> its questions in Gradio's queue, waiting or running.

    Gradio keeps every unfinished event (and the request that made it) until it ends or its
    page goes away; a test checks that this still holds for the installed Gradio.
    """

    def count(client: str) -> int:
        events = getattr(getattr(demo, "_queue", None), "event_ids_to_events", {})
        return sum(
            1
            for event in list(events.values())
            if getattr(event, "concurrency_id", None) == ANSWER_GROUP
            and _client(getattr(event, "request", None)) == client
        )

    return count


class QueueGuard:
    """429 for a client's join to Gradio's queue when it already has enough questions in it:
    Gradio bounds its queue as a whole, not per client, and checks our limits only when a job
    runs, so one client could otherwise fill the queue for everyone."""

    def __init__(self, app: ASGIApp, count: Callable[[str], int], per_client: int) -> None:
        self.app = app
        self.count = count
        self.per_client = per_client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/") == "/gradio_api/queue/join"
        ):
            client = scope.get("client")
            host = client[0] if client else "unknown"
            if self.count(host) >= self.per_client:
                message = (
                    f"This client already has {self.per_client} questions waiting or being "
                    "answered; wait for them to finish."
                )
                await error_response(429, message, "5")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def mount_ui(app: FastAPI, service: Service) -> FastAPI:
    """Mount the Gradio UI at `/` (after every other route, which it would otherwise shadow)."""
    demo = build_ui(service)
    theme = gr.themes.Default(
        # System fonts: the default theme would fetch web fonts, and the server may be offline.
        font=["ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )
    app = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        footer_links=["gradio"],
        run_history=False,
        ssr_mode=False,
        theme=theme,
        css=CSS,
        js=MARKER_JS,
        server_name=service.settings.host,
        server_port=service.settings.port,
        # The UI has no file input and chatbot.web.security turns the upload routes off; should
        # one ever be reached, it takes no more than any other request body.
        max_file_size=service.settings.max_body_bytes,
    )
    settings = service.settings
    app.add_middleware(
        QueueGuard, count=queued_answers(demo), per_client=settings.max_in_flight_per_client
    )
    return app
