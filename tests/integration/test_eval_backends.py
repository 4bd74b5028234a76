"""`scripts/eval_suite.py --backend milvus` answers the seed's development sets from a real
`milvus-lite server` it starts itself, and `scripts/compare_answers.py` finds the same citations
and the same answer text as from the FAISS files (hashing embedders, no model: the test is about
the backends, not the models)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQA_")}
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_seed_sets_get_the_same_answers_from_milvus_as_from_faiss(tmp_path: Path) -> None:
    if not (SCRIPTS.parent.parent / "shared" / "eval" / "dev_questions.jsonl").exists():
        pytest.skip("needs ../shared/eval beside the repository")
    common = ["--modes", "none", "--corpora", "seed", "--out", str(tmp_path)]
    common += ["--set", "dense_model=hashing", "--set", "multilingual_model=hashing"]
    common += ["--set", "answer.min_support=0.1"]  # hashing vectors: the default bar abstains
    faiss = _run(str(SCRIPTS / "eval_suite.py"), *common)
    assert faiss.returncode == 0, faiss.stdout[-2000:] + faiss.stderr[-2000:]
    milvus = _run(str(SCRIPTS / "eval_suite.py"), *common, "--backend", "milvus")
    assert milvus.returncode == 0, milvus.stdout[-2000:] + milvus.stderr[-2000:]
    answered = sorted(p.name for p in (tmp_path / "milvus").glob("*.jsonl"))
    assert answered == ["seed-dev-none.jsonl", "seed-extra-none.jsonl", "seed-own-none.jsonl"]
    compared = _run(str(SCRIPTS / "compare_answers.py"), str(tmp_path), str(tmp_path / "milvus"))
    assert compared.returncode == 0, compared.stdout
    lines = compared.stdout.splitlines()
    assert len(lines) == 3 and all("same citations" in line for line in lines)
    for line in lines:  # "seed-dev-none: 12 questions, same citations 12, same answer text 12"
        counts = [int(word.strip(",")) for word in line.split() if word.strip(",").isdigit()]
        assert counts[0] > 0 and counts == [counts[0]] * 3, line
    # Answers, not abstentions alike: most of the seed's answerable questions are answered.
    answered_lines = [
        line for line in milvus.stdout.splitlines() if line.startswith("seed/") and "|" in line
    ]
    accuracy = [int(line.split("answer accuracy ")[1].split("/")[0]) for line in answered_lines]
    assert len(accuracy) == 3 and sum(accuracy) >= 15, answered_lines
