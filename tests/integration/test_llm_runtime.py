"""The bundled generator end to end: join and verify the GGUF, start llama-server, stream answers,
and serve two users at once.

Slow the first time (joining 1.1 GB, ~10 s; starting the server, ~3-10 s); later runs find the
verified file in the cache (``SQA_MODEL_CACHE_DIR``, else ``~/.cache/strategy-qa``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.llm.server import runtime_missing

pytestmark = [
    pytest.mark.integration,
    pytest.mark.llm,
    pytest.mark.skipif(runtime_missing() is not None, reason=str(runtime_missing())),
]


def _cache_dir() -> Path:
    configured = os.environ.get("SQA_MODEL_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "strategy-qa"


@pytest.fixture(scope="session")
def bundled_model() -> Path:
    from chatbot.llm.model_file import LlmUnavailable, ensure_bundled_model

    try:
        return ensure_bundled_model(_cache_dir())
    except LlmUnavailable as exc:  # llama-server present but the model parts are not
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def llm_server(bundled_model: Path) -> Iterator[object]:
    from chatbot.llm.server import BundledLlmServer

    with BundledLlmServer(bundled_model, parallel=2) as server:
        yield server


def test_model_file_is_verified(bundled_model: Path) -> None:
    from chatbot.llm.model_file import MODEL_SIZE, ensure_bundled_model

    assert bundled_model.stat().st_size == MODEL_SIZE
    # The second call trusts the marker instead of hashing 1 GB again.
    assert ensure_bundled_model(bundled_model.parent) == bundled_model


def test_streams_an_answer_from_the_passage(llm_server) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    from chatbot.llm.client import make_chat_model

    chat = make_chat_model(llm_server.base_url, llm_server.alias, "none", 32, 120)
    chunks = [
        str(chunk.content)
        for chunk in chat.stream(
            [
                SystemMessage("Answer from the passage only, in a few words."),
                HumanMessage(
                    "Passage [1]: The strategy was released in 2020.\n\n"
                    "Question: When was it released?"
                ),
            ]
        )
        if chunk.content
    ]
    assert "2020" in "".join(chunks)
    assert len(chunks) > 1, f"expected a stream of chunks, got {chunks!r}"
    assert llm_server.alive()


def test_two_users_are_served_at_once(llm_server) -> None:
    """Both answers stream at the same time: each starts before the other ends (one request at a
    time, as llama-cpp-python's server did, would finish the first before starting the second)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from chatbot.llm.client import make_chat_model

    chat = make_chat_model(llm_server.base_url, llm_server.alias, "none", 24, 600, 600)
    chat = chat.bind(extra_body={"ignore_eos": True})  # both run to 24 tokens
    times: dict[int, list[float]] = {0: [], 1: []}

    def ask(user: int) -> None:
        question = (
            f"Passage [1]: Plan {user} started in 201{user}.\n\nQuestion: Describe plan {user}."
        )
        for chunk in chat.stream(
            [SystemMessage("Answer from the passage."), HumanMessage(question)]
        ):
            if chunk.content:
                times[user].append(time.monotonic())

    threads = [threading.Thread(target=ask, args=(user,)) for user in times]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(times[0]) > 5 and len(times[1]) > 5, times
    assert times[0][0] < times[1][-1] and times[1][0] < times[0][-1], times


def test_drafting_from_the_prompt_on_a_copied_answer(bundled_model: Path, llm_server) -> None:
    """llm_draft_tokens on: the real llama-server drafts tokens from the prompt's own n-grams
    and keeps those the model agrees with (its reply's timings count them); the answer is the
    sentence it was asked to copy, as the server without drafting gives it."""
    import httpx

    from chatbot.llm.server import _LOOKUP_DRAFT_FLAG, BundledLlmServer

    sentence = (
        "The national strategy sets five priority areas for artificial intelligence: health, "
        "bureaucratic reform, education and research, food security, and smart cities."
    )
    messages = [
        {"role": "system", "content": "Answer from the passage only."},
        {
            "role": "user",
            "content": f"Passage [1]: {sentence}\n\nQuestion: Copy the passage's sentence exactly.",
        },
    ]

    def reply(server: BundledLlmServer) -> dict:  # type: ignore[type-arg]
        body = {"model": server.alias, "messages": messages, "max_tokens": 64, "temperature": 0}
        headers = {"Authorization": f"Bearer {server.api_key}"}
        url = f"{server.base_url}/chat/completions"
        return httpx.post(url, json=body, headers=headers, timeout=120).json()  # type: ignore[no-any-return]

    with BundledLlmServer(bundled_model, parallel=1, draft_tokens=16) as drafting:
        if _LOOKUP_DRAFT_FLAG not in drafting.command():
            pytest.skip("this llama-server offers no drafting from the prompt")
        drafted = reply(drafting)
    assert drafted["timings"].get("draft_n_accepted", 0) > 0, drafted["timings"]
    assert "food security, and smart cities" in drafted["choices"][0]["message"]["content"]
    plain = reply(llm_server)  # the session's server drafts nothing
    assert "draft_n" not in plain["timings"] or plain["timings"]["draft_n"] == 0
    assert "food security, and smart cities" in plain["choices"][0]["message"]["content"]
