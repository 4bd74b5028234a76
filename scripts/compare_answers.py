"""Compare two `chatbot eval` output folders question by question (e.g. the same suite with
the FAISS files and with Milvus): how many questions got the same citations and the same text.

    .venv/bin/python scripts/compare_answers.py /tmp/run-faiss /tmp/run-milvus

Reads every ``*.jsonl`` present in both folders; prints one line per file and the questions
whose citations differ.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def answers(path: Path) -> dict[str, dict[str, object]]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out[str(item.get("id"))] = item
    return out


def cited(answer: dict[str, object]) -> list[tuple[object, object]]:
    return [(c.get("doc_id"), c.get("location")) for c in answer.get("citations") or []]  # type: ignore[union-attr]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args()
    differ = compared = 0
    for path in sorted(args.first.glob("*.jsonl")):
        other = args.second / path.name
        if not other.exists():
            continue
        compared += 1
        a, b = answers(path), answers(other)
        ids = sorted(set(a) & set(b))
        same_citations = [i for i in ids if cited(a[i]) == cited(b[i])]
        same_text = [i for i in ids if a[i].get("answer") == b[i].get("answer")]
        print(
            f"{path.stem}: {len(ids)} questions, same citations {len(same_citations)}, "
            f"same answer text {len(same_text)}"
        )
        for i in ids:
            if cited(a[i]) != cited(b[i]):
                differ += 1
                print(f"  {i}: {cited(a[i])} vs {cited(b[i])}")
    if not compared:
        print(f"no answers file is in both {args.first} and {args.second}: nothing compared")
        return 2
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
