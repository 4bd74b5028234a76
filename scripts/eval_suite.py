"""Every question set against its own corpus, with the bundled LLM and without it, in one table.

    python scripts/eval_suite.py                 # development sets (make eval)
    python scripts/eval_suite.py --heldout       # only the held-aside sets (run them last)
    python scripts/eval_suite.py --modes none    # extractive only (no model start-up)
    python scripts/eval_suite.py --corpora dev3  # one corpus (seed, foreign, dev3)
    python scripts/eval_suite.py --set answer.evidence_chars=2400   # a setting changed (ablation)
    python scripts/eval_suite.py --backend milvus   # the index in a milvus-lite server it starts

Each corpus is indexed once into test-output/eval/index-<corpus>; answers go to
test-output/eval/<corpus>-<set>-<mode>.jsonl (with --backend milvus: test-output/eval/milvus/,
so `scripts/compare_answers.py test-output/eval test-output/eval/milvus` compares the two
backends question by question). One bundled model serves every corpus: the answerer
switches its retriever between them.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
QUESTIONS = ROOT / "tests" / "data" / "questions"
sys.path.insert(0, str(ROOT))

from chatbot.evaluation.evaluate import Summary, percentile, run_eval  # noqa: E402
from chatbot.pipeline.answer import Answerer  # noqa: E402
from chatbot.pipeline.retrieve import Retriever  # noqa: E402
from core.settings import MilvusSettings, Settings  # noqa: E402
from ingest.build import run_build  # noqa: E402
from scripts.milvus_lite import MilvusLiteServer  # noqa: E402
from scripts.recall import SetResult, run_set  # noqa: E402

RECALL_KS = (1, 4, 6, 10)


@dataclass(frozen=True)
class Suite:
    corpus_name: str
    corpus: Path
    sets: dict[str, Path]  # set name -> questions file
    heldout: dict[str, Path]


SUITES = (
    Suite(
        "seed",
        ROOT / "corpus",
        {
            "dev": SHARED / "eval" / "dev_questions.jsonl",
            "extra": ROOT / "tests" / "data" / "extra_questions.jsonl",
            "own": QUESTIONS / "seed_own.jsonl",
        },
        {
            "heldout": QUESTIONS / "seed_heldout.jsonl",
            "heldout2": QUESTIONS / "seed_heldout2.jsonl",
            "heldout3": QUESTIONS / "seed_heldout3.jsonl",
            "heldout4": QUESTIONS / "seed_heldout4.jsonl",
            "heldout5": QUESTIONS / "seed_heldout5.jsonl",
            "heldout6": QUESTIONS / "seed_heldout6.jsonl",
            "heldout7": QUESTIONS / "seed_heldout7.jsonl",
            "heldout8": QUESTIONS / "seed_heldout8.jsonl",
            "heldout9": QUESTIONS / "seed_heldout9.jsonl",
            "heldout10": QUESTIONS / "seed_heldout10.jsonl",
            "heldout11": QUESTIONS / "seed_heldout11.jsonl",
            "heldout12": QUESTIONS / "seed_heldout12.jsonl",
            "heldout13": QUESTIONS / "seed_heldout13.jsonl",
            "heldout14": QUESTIONS / "seed_heldout14.jsonl",
            "heldout15": QUESTIONS / "seed_heldout15.jsonl",
            "heldout16": QUESTIONS / "seed_heldout16.jsonl",
            "heldout17": QUESTIONS / "seed_heldout17.jsonl",
            "heldout18": QUESTIONS / "seed_heldout18.jsonl",
            "heldout19": QUESTIONS / "seed_heldout19.jsonl",
            "heldout20": QUESTIONS / "seed_heldout20.jsonl",
            "heldout21": QUESTIONS / "seed_heldout21.jsonl",
            "heldout22": QUESTIONS / "seed_heldout22.jsonl",
        },
    ),
    Suite(
        "foreign",
        SHARED / "corpora" / "foreign",
        {
            "dev": SHARED / "eval" / "foreign_dev_questions.jsonl",
            "own": QUESTIONS / "foreign_own.jsonl",
        },
        {
            "heldout": QUESTIONS / "foreign_heldout.jsonl",
            "heldout2": QUESTIONS / "foreign_heldout2.jsonl",
            "heldout3": QUESTIONS / "foreign_heldout3.jsonl",
            "heldout4": QUESTIONS / "foreign_heldout4.jsonl",
            "heldout5": QUESTIONS / "foreign_heldout5.jsonl",
            "heldout6": QUESTIONS / "foreign_heldout6.jsonl",
            "heldout7": QUESTIONS / "foreign_heldout7.jsonl",
            "heldout8": QUESTIONS / "foreign_heldout8.jsonl",
            "heldout9": QUESTIONS / "foreign_heldout9.jsonl",
            "heldout10": QUESTIONS / "foreign_heldout10.jsonl",
            "heldout11": QUESTIONS / "foreign_heldout11.jsonl",
            "heldout12": QUESTIONS / "foreign_heldout12.jsonl",
            "heldout13": QUESTIONS / "foreign_heldout13.jsonl",
            "heldout14": QUESTIONS / "foreign_heldout14.jsonl",
            "heldout15": QUESTIONS / "foreign_heldout15.jsonl",
            "heldout16": QUESTIONS / "foreign_heldout16.jsonl",
            "heldout17": QUESTIONS / "foreign_heldout17.jsonl",
            "heldout18": QUESTIONS / "foreign_heldout18.jsonl",
            "heldout19": QUESTIONS / "foreign_heldout19.jsonl",
            "heldout20": QUESTIONS / "foreign_heldout20.jsonl",
            "heldout21": QUESTIONS / "foreign_heldout21.jsonl",
            "heldout22": QUESTIONS / "foreign_heldout22.jsonl",
        },
    ),
    Suite(
        "dev3",
        SHARED / "corpora" / "dev3",
        {
            "dev": SHARED / "eval" / "dev3_questions.jsonl",
            "own": QUESTIONS / "dev3_own.jsonl",
        },
        {
            "heldout": QUESTIONS / "dev3_heldout.jsonl",
            "heldout2": QUESTIONS / "dev3_heldout2.jsonl",
            "heldout3": QUESTIONS / "dev3_heldout3.jsonl",
            "heldout4": QUESTIONS / "dev3_heldout4.jsonl",
            "heldout5": QUESTIONS / "dev3_heldout5.jsonl",
            "heldout6": QUESTIONS / "dev3_heldout6.jsonl",
            "heldout7": QUESTIONS / "dev3_heldout7.jsonl",
            "heldout8": QUESTIONS / "dev3_heldout8.jsonl",
            "heldout9": QUESTIONS / "dev3_heldout9.jsonl",
            "heldout10": QUESTIONS / "dev3_heldout10.jsonl",
            "heldout11": QUESTIONS / "dev3_heldout11.jsonl",
            "heldout12": QUESTIONS / "dev3_heldout12.jsonl",
            "heldout13": QUESTIONS / "dev3_heldout13.jsonl",
            "heldout14": QUESTIONS / "dev3_heldout14.jsonl",
            "heldout15": QUESTIONS / "dev3_heldout15.jsonl",
            "heldout16": QUESTIONS / "dev3_heldout16.jsonl",
            "heldout17": QUESTIONS / "dev3_heldout17.jsonl",
            "heldout18": QUESTIONS / "dev3_heldout18.jsonl",
            "heldout19": QUESTIONS / "dev3_heldout19.jsonl",
            "heldout20": QUESTIONS / "dev3_heldout20.jsonl",
            "heldout21": QUESTIONS / "dev3_heldout21.jsonl",
            "heldout22": QUESTIONS / "dev3_heldout22.jsonl",
        },
    ),
)


def overridden(settings: Settings, assignments: list[str]) -> Settings:
    """settings with each ``group.field=value`` (or ``field=value``) applied, validated."""
    data = settings.model_dump()
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep:
            raise SystemExit(f"--set {assignment!r}: expected KEY=VALUE")
        *groups, name = key.strip().split(".")
        target = data
        for group in groups:
            target = target[group]
        if name not in target:
            raise SystemExit(f"--set {assignment!r}: no setting {key!r}")
        target[name] = value
    return Settings.model_validate(data)


def row(corpus: str, name: str, mode: str, s: Summary) -> str:
    p50 = statistics.median(s.latencies) if s.latencies else 0.0
    first = percentile(s.first_visible, 0.5)
    return (
        f"| {corpus} | {name} | {mode} | {s.correct}/{s.answerable} | {s.cited}/{s.answerable} | "
        f"{s.abstained_ok}/{s.unanswerable} | {s.false_abstentions} | {s.unsupported_answers} | "
        f"{s.outcome_line()} | {first:.2f} | {p50:.2f} |"
    )


HEADER = (
    "| corpus | set | LLM | answers | right passage cited | abstained | false abstentions | "
    "unsupported facts | outcomes | first text p50 s | answer p50 s |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def recall_row(result: SetResult) -> str:
    """recall@k over every answerable question with a source; an answer the index does not
    hold at all (a file not read) counts as a miss here."""
    ranks = [*result.ranks.values(), *([None] * len(result.unread))]
    cells = " | ".join(
        f"{sum(1 for r in ranks if r is not None and r <= k)}/{len(ranks)}" for k in RECALL_KS
    )
    return f"| {result.corpus} | {result.name} | {cells} | {len(result.unread)} |"


RECALL_HEADER = (
    "| corpus | set | "
    + " | ".join(f"recall@{k}" for k in RECALL_KS)
    + " | answer not in the index |\n| --- | --- | "
    + " | ".join("---" for _ in RECALL_KS)
    + " | --- |"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", action="store_true", help="Run the held-aside sets only.")
    parser.add_argument("--modes", default="bundled,none", help="Comma-separated LLM modes.")
    parser.add_argument("--out", type=Path, default=ROOT / "test-output" / "eval")
    parser.add_argument(
        "--corpora", default=",".join(s.corpus_name for s in SUITES), help="Comma-separated."
    )
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Change a setting for this run, e.g. answer.top_k=8 (repeatable; for ablations).",
    )
    parser.add_argument(
        "--backend",
        choices=("faiss", "milvus"),
        default="faiss",
        help="Where the index is served from: the FAISS files, or a milvus-lite server started "
        "for this run (answers then go to OUT/milvus/).",
    )
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    wanted = {c.strip() for c in args.corpora.split(",") if c.strip()}
    milvus: MilvusLiteServer | None = None
    milvus_dir: Path | None = None
    answers_dir = args.out / "milvus" if args.backend == "milvus" else args.out

    rows: list[str] = []
    recall_rows: list[str] = []
    llm_answerer: Answerer | None = None
    try:
        if args.backend == "milvus":
            milvus_dir = Path(tempfile.mkdtemp(prefix="eval-milvus-"))
            milvus = MilvusLiteServer(milvus_dir / "data", log=milvus_dir / "milvus.log")
            answers_dir.mkdir(parents=True, exist_ok=True)
        for suite in SUITES:
            if suite.corpus_name not in wanted:
                continue
            settings = Settings(
                corpus_dir=suite.corpus, index_dir=args.out / f"index-{suite.corpus_name}"
            )
            if milvus is not None:  # the local build is reused; Milvus serves a copy of it
                settings = settings.model_copy(
                    update={
                        "index_backend": "milvus",
                        "milvus": MilvusSettings(
                            uri=milvus.uri, collection_prefix=suite.corpus_name
                        ),
                    }
                )
            settings = overridden(settings, args.assignments)
            report = run_build(settings, progress=False)
            if report.build_id is None:
                print(f"{suite.corpus_name}: the index could not be built: {report.errors}")
                return 1
            for name, reason in sorted(report.errors.items()):
                # A file the build cannot read yet counts as a miss in its questions.
                print(f"{suite.corpus_name}: not indexed: {name}: {reason}", flush=True)
            retriever = Retriever.from_settings(settings)
            sets = suite.heldout if args.heldout else suite.sets
            for name, path in sets.items():
                if path.exists():  # retrieval alone, the question as asked (untranslated)
                    found = run_set(retriever, suite.corpus_name, name, path, max(RECALL_KS))
                    recall_rows.append(recall_row(found))
                    print(recall_rows[-1], flush=True)
            for mode in modes:
                if mode == "none":
                    answerer = Answerer(settings.model_copy(update={"llm": "none"}), retriever)
                else:
                    if llm_answerer is None:
                        llm_answerer = Answerer.from_settings(
                            settings.model_copy(update={"llm": mode})
                        )
                    llm_answerer.use_retriever(retriever)
                    answerer = llm_answerer
                for name, path in sets.items():
                    if not path.exists():
                        print(f"skipping {path}: not found")
                        continue
                    out = answers_dir / f"{suite.corpus_name}-{name}-{mode}.jsonl"
                    summary = run_eval(answerer, path, out)
                    rows.append(row(suite.corpus_name, name, mode, summary))
                    print(f"{suite.corpus_name}/{name}/{mode}: {summary.line()}", flush=True)
    finally:
        if llm_answerer is not None:
            llm_answerer.close()
        if milvus is not None:
            milvus.stop()
        if milvus_dir is not None:
            shutil.rmtree(milvus_dir, ignore_errors=True)
    print()
    print(HEADER)
    print("\n".join(rows))
    print()
    print(RECALL_HEADER)
    print("\n".join(recall_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
