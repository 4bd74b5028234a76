"""Fit the answer/abstain model (chatbot/pipeline/support_model.toml) on every corpus.

    python scripts/fit_support.py            # fit, print the leave-one-corpus-out folds, write
    python scripts/fit_support.py --dry-run  # print only

Rows: each development question (the shared dev sets and our own, never the held-aside ones)
against its own corpus, labelled by its ``answerable``; and every answerable question of one
corpus asked of the other corpora, labelled unanswerable (a question about another document is
the commonest unanswerable question a portal gets), at half weight. Features come from retrieval
alone (chatbot/pipeline/support.py), so fitting needs no language model.

Folds: fit on two corpora, test on the third (its own questions only), for every corpus. The
thresholds are read off the fitted probabilities of the training positives: ``answer_threshold``
lets at most ``FALSE_ABSTENTION_BUDGET`` of answerable questions fall below it;
``decline_threshold`` (used only when the model has said the passages do not answer) keeps the
``DECLINE_QUOTE_SHARE`` best-supported of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chatbot.evaluation.evaluate import read_questions  # noqa: E402
from chatbot.pipeline.retrieve import Retriever  # noqa: E402
from chatbot.pipeline.support import FEATURES, FITTED, support_features  # noqa: E402
from chatbot.pipeline.understand import understand  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest.build import run_build  # noqa: E402
from scripts.eval_suite import SUITES  # noqa: E402

# At most this share of answerable training questions may be abstained by the fitted bar
# (the project's target for false abstentions is 5%).
FALSE_ABSTENTION_BUDGET = 0.05
# When the model declines, the passages are quoted only for the best-supported half of what
# answerable questions look like: a decline is evidence too, so the bar is higher.
DECLINE_QUOTE_SHARE = 0.5
CROSS_CORPUS_WEIGHT = 0.5


@dataclass
class Row:
    corpus: str  # the index asked
    own: bool  # the question belongs to this corpus
    answerable: bool
    features: list[float]
    weight: float


def corpus_rows(out: Path) -> list[Row]:
    questions = {
        s.corpus_name: [q for path in s.sets.values() for q in read_questions(path)] for s in SUITES
    }
    rows: list[Row] = []
    for suite in SUITES:
        settings = Settings(corpus_dir=suite.corpus, index_dir=out / f"index-{suite.corpus_name}")
        run_build(settings, progress=False)
        retriever = Retriever.from_settings(settings)
        for owner, items in questions.items():
            own = owner == suite.corpus_name
            for item in items:
                if not own and not item.get("answerable", True):
                    continue
                history = [(q, a) for q, a in item.get("history", [])]
                query = understand(
                    item["question"], history, settings.answer, settings.max_question_chars, None
                )
                if not query.text or query.override:
                    continue  # abstained before retrieval: not the support model's call
                retrieval = retriever.search(query)
                found = support_features(
                    query, retrieval, retriever.idf, settings.answer.support_passages
                )
                rows.append(
                    Row(
                        suite.corpus_name,
                        own,
                        own and bool(item.get("answerable", True)),
                        found.vector(),
                        1.0 if own else CROSS_CORPUS_WEIGHT,
                    )
                )
        print(f"{suite.corpus_name}: {sum(r.corpus == suite.corpus_name for r in rows)} rows")
    return rows


def fit(rows: list[Row]) -> tuple[np.ndarray, float, float, float]:
    """Raw-feature weights, bias and the two thresholds fitted on rows."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([r.features for r in rows])
    y = np.array([r.answerable for r in rows])
    w = np.array([r.weight for r in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(class_weight="balanced", C=1.0)
    model.fit((x - mean) / scale, y, sample_weight=w)
    weights = model.coef_[0] / scale
    bias = float(model.intercept_[0] - (model.coef_[0] * mean / scale).sum())
    p = 1 / (1 + np.exp(-(x @ weights + bias)))
    positives = np.sort(p[y])
    answer_threshold = float(np.quantile(positives, FALSE_ABSTENTION_BUDGET))
    decline_threshold = float(np.quantile(positives, 1 - DECLINE_QUOTE_SHARE))
    return weights, bias, answer_threshold, decline_threshold


def score(rows: list[Row], weights: np.ndarray, bias: float, threshold: float) -> str:
    own = [r for r in rows if r.own]
    p = [1 / (1 + np.exp(-(np.dot(r.features, weights) + bias))) for r in own]
    pos = [pi for pi, r in zip(p, own, strict=True) if r.answerable]
    neg = [pi for pi, r in zip(p, own, strict=True) if not r.answerable]
    fa = sum(pi < threshold for pi in pos)
    ab = sum(pi < threshold for pi in neg)
    return f"abstained {ab}/{len(neg)} unanswerable, false abstentions {fa}/{len(pos)}"


def toml(weights: np.ndarray, bias: float, answer_t: float, decline_t: float, folds: str) -> str:
    settings = Settings()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "unknown"
    lines = [
        "# Fitted by scripts/fit_support.py: do not edit by hand; re-fit with",
        "#     python scripts/fit_support.py",
        f"# on {dt.date.today().isoformat()} at commit {commit}, on the development questions of",
        "# every corpus (seed, foreign, dev3; held-aside sets excluded) and each corpus's",
        "# answerable questions asked of the other corpora (labelled unanswerable, half weight).",
        f"# answer_threshold: at most {FALSE_ABSTENTION_BUDGET:.0%} of answerable training",
        f"# questions fall below it; decline_threshold keeps the best {DECLINE_QUOTE_SHARE:.0%}.",
        "# Leave one corpus out (fit on two, test on the third, at its answer_threshold):",
        *(f"#   {line}" for line in folds.splitlines()),
        "",
        f"bias = {bias:.6f}",
        f"answer_threshold = {answer_t:.6f}",
        f"decline_threshold = {decline_t:.6f}",
        "",
        "[weights]",
        *(f"{name} = {w:.6f}" for name, w in zip(FEATURES, weights, strict=True)),
        "",
        "[fitted_with]",
        f'dense_model = "{settings.dense_model}"',
        f'multilingual_model = "{settings.multilingual_model}"',
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="Print, do not write the file.")
    parser.add_argument("--out", type=Path, default=ROOT / "test-output" / "eval")
    args = parser.parse_args()
    rows = corpus_rows(args.out)
    folds = []
    for held in (s.corpus_name for s in SUITES):
        weights, bias, answer_t, _ = fit([r for r in rows if r.corpus != held])
        test = [r for r in rows if r.corpus == held]
        folds.append(f"test {held}: {score(test, weights, bias, answer_t)}")
    weights, bias, answer_t, decline_t = fit(rows)
    folds.append(f"all (training fit): {score(rows, weights, bias, answer_t)}")
    text = toml(weights, bias, answer_t, decline_t, "\n".join(folds))
    print(text)
    if not args.dry_run:
        FITTED.write_text(text, encoding="utf-8")
        print(f"written to {FITTED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
