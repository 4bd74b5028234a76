"""Query vectors remembered per model: same vectors, fewer model calls, one thread in a model."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from langchain_core.embeddings import Embeddings

from chatbot.pipeline.query_vectors import RememberedQueries, remembering
from core.embed import HashingEmbeddings


class Counting(Embeddings):
    """The hashing embedder, counting its calls and the most threads ever inside it at once."""

    def __init__(self, pause: float = 0.0) -> None:
        self.inner = HashingEmbeddings()
        self.queries: list[str] = []
        self.pause = pause
        self.inside = 0
        self.most_inside = 0
        self._count = threading.Lock()

    def _enter(self) -> None:
        with self._count:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        time.sleep(self.pause)  # a model call releases the GIL: let another thread try to enter

    def _leave(self) -> None:
        with self._count:
            self.inside -= 1

    def embed_query(self, text: str) -> list[float]:
        self._enter()
        try:
            self.queries.append(text)
            return self.inner.embed_query(text)
        finally:
            self._leave()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self._enter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self._leave()


def test_a_remembered_vector_is_the_models_vector_and_is_computed_once() -> None:
    model = Counting()
    remembered = RememberedQueries(model, size=8)
    first = remembered.embed_query("When was the strategy released?")
    again = remembered.embed_query("When was the strategy released?")
    assert first == again == HashingEmbeddings().embed_query("When was the strategy released?")
    assert model.queries == ["When was the strategy released?"]


def test_the_least_recently_used_vector_is_forgotten_first() -> None:
    model = Counting()
    remembered = RememberedQueries(model, size=2)
    for text in ("a b", "c d", "a b", "e f"):  # "c d" is the least recently used when full
        remembered.embed_query(text)
    assert remembered.remembered == 2
    remembered.embed_query("a b")
    remembered.embed_query("c d")
    assert model.queries == ["a b", "c d", "e f", "c d"]


def test_size_zero_remembers_nothing() -> None:
    model = Counting()
    remembered = RememberedQueries(model, size=0)
    remembered.embed_query("x y")
    remembered.embed_query("x y")
    assert model.queries == ["x y", "x y"] and remembered.remembered == 0


def test_passages_pass_through_unchanged() -> None:
    remembered = RememberedQueries(Counting(), size=4)
    texts = ["one passage", "another passage"]
    assert remembered.embed_documents(texts) == HashingEmbeddings().embed_documents(texts)


def test_one_thread_at_a_time_enters_a_model() -> None:
    model = Counting(pause=0.002)
    remembered = RememberedQueries(model, size=64)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(remembered.embed_query, [f"question {i}" for i in range(40)]))
        list(pool.map(lambda i: remembered.embed_documents([f"p {i}"]), range(40)))
    assert model.most_inside == 1
    assert sorted(model.queries) == sorted(f"question {i}" for i in range(40))


def test_remembering_wraps_once_and_leaves_none_alone() -> None:
    model = Counting()
    wrapped = remembering(model, 4)
    assert isinstance(wrapped, RememberedQueries) and wrapped.inner is model
    assert remembering(wrapped, 4) is wrapped
    assert remembering(None, 4) is None
