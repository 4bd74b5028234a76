"""The chat-model client: one LangChain ``ChatOpenAI`` for the bundled server or any
OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp), streaming, with deadlines on stalls and on
the whole answer; several comma-separated endpoints make a pool (``chatbot.llm.pool``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx

from chatbot.llm.model_file import LlmUnavailable
from chatbot.llm.server import SERVER_KEYS

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from chatbot.llm.pool import ChatModelPool
    from core.settings import LlmPoolSettings


def make_chat_model(
    base_url: str,
    model: str,
    api_key: str,
    max_tokens: int,
    timeout: float,
    stall_timeout: float | None = None,
    pool: LlmPoolSettings | None = None,
) -> BaseChatModel | ChatModelPool:
    """A streaming, deterministic chat model for any OpenAI-compatible endpoint, or for
    several: ``base_url`` 'http://a:8080/v1,http://b:8080/v1' gives a ChatModelPool (fewest
    in flight first, failover, health checks as ``pool`` says).

    ``timeout`` bounds one whole request; ``stall_timeout`` (default: the
    ``llm_stall_timeout_s`` setting's default) bounds any wait for the next bytes: connecting,
    the first token and every gap between tokens. A client for a bundled server this process
    started uses that server's key, whatever ``api_key`` says.
    """
    urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
    if len(urls) > 1:
        from chatbot.llm.pool import ChatModelPool

        models = [
            (url, make_chat_model(url, model, api_key, max_tokens, timeout, stall_timeout))
            for url in urls
        ]
        return ChatModelPool(models, pool, api_key)
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise LlmUnavailable("langchain-openai is not installed: run pip install -e .") from exc
    if stall_timeout is None:
        from core.settings import Settings

        stall_timeout = float(Settings.model_fields["llm_stall_timeout_s"].default)
    stall = min(stall_timeout, timeout)
    http_client = httpx.Client(
        timeout=httpx.Timeout(stall),
        transport=_DeadlineTransport(httpx.HTTPTransport(), timeout),
    )
    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=SERVER_KEYS.get(base_url.rstrip("/"), api_key),
        max_tokens=max_tokens,
        timeout=httpx.Timeout(stall),
        # No retries: each re-reads the whole prompt on a busy 2-core box, and a retry after a
        # stall or a crash doubles the wait; the user gets a clear 503 and may ask again.
        max_retries=0,
        http_client=http_client,
        streaming=True,
        temperature=0,
        use_responses_api=False,  # llama.cpp, Ollama and vLLM serve chat completions
    )


class _DeadlineTransport(httpx.BaseTransport):
    """An httpx transport that ends any response still streaming ``total_s`` after its request
    was sent (httpx's own timeouts bound each wait, not the whole answer)."""

    def __init__(self, inner: httpx.BaseTransport, total_s: float) -> None:
        self.inner, self.total_s = inner, total_s

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.total_s
        response = self.inner.handle_request(request)
        response.stream = _DeadlineStream(response.stream, deadline, request)
        return response

    def close(self) -> None:
        self.inner.close()


class _DeadlineStream(httpx.SyncByteStream):
    def __init__(self, inner: Any, deadline: float, request: httpx.Request) -> None:
        self.inner, self.deadline, self.request = inner, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if time.monotonic() > self.deadline:
                raise httpx.ReadTimeout("the answer took too long", request=self.request)
            yield chunk

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()
