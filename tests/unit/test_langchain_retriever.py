"""The LangChain retriever inside a real LCEL chain (retriever | format | prompt | chat model),
over a tiny index built with the hashing embedder; the chat model is langchain_core's parrot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from chatbot.langchain_retriever import StrategyRetriever
from core.settings import Settings
from ingest.build import run_build


@pytest.fixture
def retriever(settings_factory: Callable[..., Settings], tiny_corpus: Path) -> StrategyRetriever:
    settings = settings_factory(min_chunk_chars=0)
    assert run_build(settings, progress=False).build_id is not None
    return StrategyRetriever.from_settings(settings, k=2)


def run_async(coro: Coroutine[object, object, str]) -> str:
    """asyncio.run in a thread of its own: in a whole-suite run, Playwright's sync API (the
    browser tests) leaves an event loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def format_docs(docs: list[Document]) -> str:
    """What a user's chain does: number the passages and say where each comes from."""
    return "\n".join(
        f"[{i}] {d.metadata['title']} ({d.metadata['variant']}, {d.metadata['location']}): "
        f"{d.page_content}"
        for i, d in enumerate(docs, 1)
    )


def test_retriever_returns_documents_with_citation_metadata(
    retriever: StrategyRetriever,
) -> None:
    docs = retriever.invoke("Who pays for the solar farms of the alpha project?")
    assert 1 <= len(docs) <= 2
    best = docs[0]
    assert "regional bank" in best.page_content or "solar farms" in best.page_content
    meta = best.metadata
    assert meta["doc_id"] == "alpha" and meta["variant"] == "original"
    assert meta["location"].startswith("¶") and meta["group"] and meta["title"]
    assert meta["source_url"].startswith("/source?doc=alpha&")
    assert best.id == meta["chunk_id"]


def test_retriever_inside_an_lcel_chain(retriever: StrategyRetriever) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "Answer from the numbered passages only and cite them as [n]."),
            ("human", "Passages:\n{context}\n\nQuestion: {question}"),
        ]
    )
    chain = (
        {"context": retriever | RunnableLambda(format_docs), "question": RunnablePassthrough()}
        | prompt
        | ParrotFakeChatModel()  # echoes the prompt it was given: we see what the chain built
        | StrOutputParser()
    )
    out = chain.invoke("How many nurses finished the beta course?")
    assert "Question: How many nurses finished the beta course?" in out
    first = out.split("Passages:\n", 1)[1].splitlines()[0]
    assert first.startswith("[1] ") and "(original, " in first
    assert "nurses" in out and "Two thousand" in out
    # Batched and async, as chains run them.
    batch = chain.batch(["Gamma river samples?", "Who funds alpha?"])
    assert "river water quality" in batch[0] and "regional bank" in batch[1]
    assert "Two thousand" in run_async(chain.ainvoke("Nurses who finished the beta course?"))
