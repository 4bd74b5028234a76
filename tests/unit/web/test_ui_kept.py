"""The chat UI's conversation kept in the browser across a reload (issue 16, row 4)."""

from __future__ import annotations

from chatbot.types import Citation
from chatbot.web.ui import ChatTurn, chat_messages, turns_from_json, turns_to_json

CITATION = Citation(1, "d", "<b>Title</b>", "original", "¶1", "<script>x</script>", 0.5)


def test_a_kept_conversation_comes_back_as_it_was() -> None:
    turns = [
        ChatTurn("First?", "In 2020 [1].", False, [CITATION], "build-1"),
        ChatTurn("Stopped?", None, stopped=True, partial="Half"),
    ]
    back = turns_from_json(turns_to_json(turns))
    assert back == turns


def test_malformed_or_unfinished_turns_are_dropped_and_text_stays_escaped() -> None:
    saved = [
        "not a turn",
        {"answer": "no question"},
        {"question": "Still streaming?", "answer": None},
        {"question": "Bad citation?", "answer": "x", "citations": [{"n": "one"}]},
        {"question": "<img src=x onerror=1>", "answer": "<script>y</script>"},
    ]
    (turn,) = turns_from_json(saved)
    (user, bot) = chat_messages([turn])
    assert "<img" not in user["content"] and "<script" not in bot["content"]
    assert turns_from_json({"question": "not a list"}) == []
