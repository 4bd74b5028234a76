"""Passage sentences and their vectors, computed at ingest and kept in the build folder.

The evidence step scores every sentence of the retrieved passages against the question; doing
the splitting and embedding once per build, not once per question, keeps that step flat as the
corpus grows. A build holds:

    sentences.jsonl          one line per chunk, in chunk order: {"text_sha", "sentences": [..]}
    sentences-<role>.npy     float32 vectors of those sentences, flattened in the same order,
                             for each embedder role that was precomputed ("dense", "multilingual")

No pickle: the vectors are plain ``.npy`` read with ``allow_pickle=False``. The build's manifest
checksums both files like any other, so a damaged table is refused with the build.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.chunks import Chunk
from core.text import passage_sentences

SENTENCES_FILE = "sentences.jsonl"
# Names the sentence rules (core.text.passage_sentences); a change re-splits every chunk (the
# vectors of sentences the live build already has are reused).
# 2: short lines inside a passage are read (only its heading path and Markdown headings are not).
# 3: a short capitalised word before a number ends no sentence.
# 4: only a listed abbreviation before a number ("Rp. 4.000", "No. 46") ends no sentence.
# 5: a list's number cut from its item ("... in EdTech: 1." / "2.") opens the item's sentence.
# 6: after a colon only a list's first number ("1.") is one (a table row ends "...: 87.").
# 7: a line of six or more words ending with a colon is cut from a capitalised, unended,
#    unmarked, unlabelled line under it (a slide's bullet): core.text._at_lead_ins.
SENTENCE_RULES = "7"
ROLES = ("dense", "multilingual")


def vectors_file(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown embedder role {role!r}")
    return f"sentences-{role}.npy"


def split_chunks(chunks: Iterable[Chunk]) -> list[list[str]]:
    return [passage_sentences(c.text, c.lang) for c in chunks]


@dataclass
class SentenceTable:
    """Per chunk (by text sha) its sentences; per role the vectors of all of them, flattened."""

    shas: list[str]
    sentences: list[list[str]]
    vectors: dict[str, np.ndarray]

    def flat(self) -> list[str]:
        return [s for group in self.sentences for s in group]

    def by_chunk(self, role: str) -> dict[str, tuple[list[str], np.ndarray]]:
        """text sha -> (sentences, vectors) for one role, to reuse for unchanged chunks."""
        vectors = self.vectors[role]
        out: dict[str, tuple[list[str], np.ndarray]] = {}
        start = 0
        for sha, group in zip(self.shas, self.sentences, strict=True):
            out[sha] = (group, vectors[start : start + len(group)])
            start += len(group)
        return out

    def lookup(self, role: str) -> dict[str, np.ndarray]:
        """sentence text -> vector for one role (the answer path's table)."""
        if role not in self.vectors:
            return {}
        return dict(zip(self.flat(), self.vectors[role], strict=True))


def write_table(folder: Path, table: SentenceTable) -> None:
    with (folder / SENTENCES_FILE).open("w", encoding="utf-8") as fh:
        for sha, group in zip(table.shas, table.sentences, strict=True):
            fh.write(json.dumps({"text_sha": sha, "sentences": group}, ensure_ascii=False))
            fh.write("\n")
    total = sum(map(len, table.sentences))
    for role, vectors in table.vectors.items():
        if len(vectors) != total:
            raise ValueError(f"{role} sentence vectors: {len(vectors)} rows for {total} sentences")
        np.save(folder / vectors_file(role), np.ascontiguousarray(vectors, dtype=np.float32))


def read_table(folder: Path, roles: Iterable[str] = ROLES) -> SentenceTable | None:
    """The build's table, or None when it has none (built before sentences were precomputed).
    Roles whose vectors are absent are left out. Raises ValueError on a malformed table."""
    path = folder / SENTENCES_FILE
    if not path.is_file():
        return None
    shas: list[str] = []
    sentences: list[list[str]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            group = row["sentences"]
            if not isinstance(group, list) or not all(isinstance(s, str) for s in group):
                raise ValueError("sentences.jsonl: a row's sentences are not a list of strings")
            shas.append(str(row["text_sha"]))
            sentences.append(group)
    total = sum(map(len, sentences))
    vectors: dict[str, np.ndarray] = {}
    for role in roles:
        file = folder / vectors_file(role)
        if file.is_file():
            array = np.load(file, allow_pickle=False)
            if array.ndim != 2 or len(array) != total or array.dtype != np.float32:
                raise ValueError(f"{file.name}: {array.shape} {array.dtype} for {total} sentences")
            vectors[role] = array
    return SentenceTable(shas, sentences, vectors)
