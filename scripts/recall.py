"""Retrieval recall per question set: the rank of the passage holding each answer.

    python scripts/recall.py                       # every development set, recall@1/4/6/10/20
    python scripts/recall.py --corpora seed dev3   # some corpora only
    python scripts/recall.py --ranks out.json      # also write each question's rank
    python scripts/recall.py --set sentence_weight=1   # an ablation (any AnswerSettings field)

Each corpus is indexed once under --work/ranking-<corpus> (reused when unchanged) and searched
by the Retriever alone, no model: a question is read as the answer path reads it (a follow-up
with its history, chatbot.pipeline.understand), untranslated. A question counts when it names
``source_contains`` and that text is somewhere in the index: a document the readers cannot
open yet (Word, HTML, slides, scans in dev3) is a reading miss, not a ranking one, and is
reported apart. The *_heldout sets are never read here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
QUESTIONS = ROOT / "tests" / "data" / "questions"
sys.path.insert(0, str(ROOT))
# One thread per embedding call, as the answer path runs them (AnswerSettings.model_threads):
# OpenMP's spinning threads make an e5 query ~30x slower on a busy 2-core machine.
os.environ["OMP_NUM_THREADS"] = "1"

from chatbot.evaluation.evaluate import normalised, read_questions  # noqa: E402
from chatbot.evaluation.recall import (  # noqa: E402
    answer_rank,
    passage_texts,
    recall_at,
)
from chatbot.pipeline.query_vectors import remembering  # noqa: E402
from chatbot.pipeline.retrieve import Retriever  # noqa: E402
from chatbot.pipeline.understand import understand  # noqa: E402
from core.settings import AnswerSettings, Settings  # noqa: E402
from ingest.build import run_build  # noqa: E402

KS = (1, 4, 6, 10, 20)
# Shared sets live beside the repository in the team's workspace; own sets in the repository.
CORPORA: dict[str, tuple[Path, dict[str, Path]]] = {
    "seed": (
        ROOT / "corpus",
        {
            "dev": SHARED / "eval" / "dev_questions.jsonl",
            "extra": ROOT / "tests" / "data" / "extra_questions.jsonl",
            "own": QUESTIONS / "seed_own.jsonl",
        },
    ),
    "foreign": (
        SHARED / "corpora" / "foreign",
        {
            "dev": SHARED / "eval" / "foreign_dev_questions.jsonl",
            "own": QUESTIONS / "foreign_own.jsonl",
        },
    ),
    "dev3": (
        SHARED / "corpora" / "dev3",
        {"dev": SHARED / "eval" / "dev3_questions.jsonl", "own": QUESTIONS / "dev3_own.jsonl"},
    ),
}


@dataclass
class SetResult:
    corpus: str
    name: str
    ranks: dict[str, int | None] = field(default_factory=dict)  # question id -> rank
    unread: list[str] = field(default_factory=list)  # answer text in no indexed passage
    seconds: list[float] = field(default_factory=list)

    def recall(self, k: int) -> float:
        return recall_at(list(self.ranks.values()), k)


def indexed_retriever(
    corpus_name: str, corpus: Path, work: Path, answer: AnswerSettings
) -> Retriever:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        corpus_dir=corpus,
        index_dir=work / f"ranking-{corpus_name}",
        llm="none",
        answer=answer,
    )
    run_build(settings, progress=False)
    retriever = Retriever.from_settings(settings)
    torch = sys.modules.get("torch")  # loaded by MiniLM
    if torch is not None:
        torch.set_num_threads(1)
    retriever.dense_embedder = remembering(retriever.dense_embedder, 4096)
    retriever.multi_embedder = remembering(retriever.multi_embedder, 4096)
    return retriever


def run_set(retriever: Retriever, corpus_name: str, name: str, path: Path, depth: int) -> SetResult:
    result = SetResult(corpus_name, name)
    haystack = [normalised(c.text) for c in retriever.chunks]
    settings = retriever.settings
    for item in read_questions(path):
        needle = item.get("source_contains")
        if not needle:
            continue
        if not any(normalised(needle) in text for text in haystack):
            result.unread.append(item["id"])
            continue
        history = [(q, a) for q, a in item.get("history", [])]
        query = understand(item["question"], history, settings, 500)
        start = time.perf_counter()
        passages = retriever.search(query, depth).passages
        result.seconds.append(time.perf_counter() - start)
        result.ranks[item["id"]] = answer_rank((passage_texts(p) for p in passages), needle)
    return result


def table(results: list[SetResult]) -> str:
    head = " | ".join(f"r@{k}" for k in KS)
    lines = [
        f"| corpus | set | questions | unread | {head} | p50 ms |",
        "| --- | --- | --- | --- | " + " | ".join("---" for _ in KS) + " | --- |",
    ]
    for r in results:
        cells = " | ".join(f"{r.recall(k):.0%}" for k in KS)
        p50 = statistics.median(r.seconds) * 1000 if r.seconds else 0.0
        lines.append(
            f"| {r.corpus} | {r.name} | {len(r.ranks)} | {len(r.unread)} | {cells} | {p50:.0f} |"
        )
    return "\n".join(lines)


def measure(
    corpora: list[str], work: Path, answer: AnswerSettings, depth: int = 20
) -> list[SetResult]:
    results = []
    for corpus_name in corpora:
        corpus, sets = CORPORA[corpus_name]
        retriever = indexed_retriever(corpus_name, corpus, work, answer)
        retriever.warm_up()
        for name, path in sets.items():
            results.append(run_set(retriever, corpus_name, name, path, depth))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", nargs="+", choices=list(CORPORA), default=list(CORPORA))
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()), help="index builds go here"
    )
    parser.add_argument("--ranks", type=Path, help="write each question's rank to this JSON")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an answer setting for an ablation, VALUE as JSON (e.g. sentence_weight=1)",
    )
    args = parser.parse_args()
    changes = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    results = measure(args.corpora, args.work, AnswerSettings(**changes))
    print(table(results))
    for r in results:
        if r.unread:
            print(f"{r.corpus}/{r.name}: answer text not in the index: {', '.join(r.unread)}")
    if args.ranks:
        out: dict[str, Any] = {f"{r.corpus}/{r.name}": r.ranks for r in results}
        args.ranks.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
