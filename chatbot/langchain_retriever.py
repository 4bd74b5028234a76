"""The index as a LangChain retriever, for users who build their own chains.

    from chatbot.langchain_retriever import StrategyRetriever
    retriever = StrategyRetriever.from_settings()  # the live build of settings.index_dir
    docs = retriever.invoke("When was the national AI strategy released?")

Each ``Document`` is one cited passage (variants of one paragraph collapsed into the original,
as the chatbot cites them); its metadata carries what a citation needs: ``title``, ``variant``,
``location``, ``group`` (shared by the variants of one passage), ``doc_id``, ``chunk_id``,
``score``, ``other_variants`` and ``source_url`` (the page viewer's path on the chat server).
The search is the chatbot's own (chatbot.pipeline.retrieve: MiniLM + multilingual e5 + BM25, fused).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from chatbot.pipeline.retrieve import Retriever
from chatbot.pipeline.understand import understand
from chatbot.types import Passage
from chatbot.web.source_view import source_url
from core.settings import Settings


def passage_document(passage: Passage) -> Document:
    """A retrieved passage as a LangChain Document with its citation metadata."""
    return Document(
        id=passage.chunk_id,
        page_content=passage.text,
        metadata={
            "title": passage.title,
            "variant": passage.variant,
            "location": passage.location,
            "group": passage.group_id,
            "doc_id": passage.doc_id,
            "chunk_id": passage.chunk_id,
            "score": round(passage.score, 4),
            "other_variants": [
                {"variant": v.get("variant"), "location": v.get("location")}
                for v in passage.variants
            ],
            "source_url": source_url(passage),
        },
    )


class StrategyRetriever(BaseRetriever):
    """LangChain ``BaseRetriever`` over a built index (wraps the pipeline's ``Retriever``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = Field(6, ge=1, le=50, description="Passages returned per query.")
    max_query_chars: int = Field(500, ge=10, description="Longer queries are cut to this.")

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs: Any) -> StrategyRetriever:
        """Load the live build of ``settings.index_dir`` (settings from the environment when
        not given); ``k`` defaults to ``settings.answer.top_k``."""
        settings = settings or Settings()
        kwargs.setdefault("k", settings.answer.top_k)
        kwargs.setdefault("max_query_chars", settings.max_question_chars)
        return cls(retriever=Retriever.from_settings(settings), **kwargs)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        understood = understand(query, [], self.retriever.settings, self.max_query_chars)
        found = self.retriever.search(understood, self.k)
        return [passage_document(p) for p in found.passages]
