"""The index on disk: one folder per build, a pointer file naming the live one, and no pickle.

    index/
      CURRENT                 build id of the live build (replaced atomically with os.replace)
      .lock                   held while a build runs
      builds/<build_id>/      manifest.json, chunks.jsonl, dense.faiss, multilingual.faiss, bm25/
      builds/.tmp-<build_id>/ a build in progress; a leftover of a killed build is removed later

A build is written completely into its temporary folder, renamed into place, and only then made
live, so a crash at any moment leaves the previous build live and loadable.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from ingest.lexical import load_bm25, save_bm25
from ingest.split import Chunk

SCHEMA_VERSION = 1
POINTER = "CURRENT"
BUILDS = "builds"
TMP_PREFIX = ".tmp-"
DENSE_FILE, MULTI_FILE, BM25_DIR = "dense.faiss", "multilingual.faiss", "bm25"


class IndexUnavailable(RuntimeError):
    """The index is missing, busy or does not match the settings; the message says what to do."""


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    dense: Any  # faiss.Index
    multilingual: Any | None  # faiss.Index, absent when multilingual_model is 'none'
    bm25: Any  # bm25s.BM25

    @property
    def build_id(self) -> str:
        return str(self.manifest["build_id"])


def new_build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


def live_build_dir(index_dir: Path) -> Path | None:
    pointer = index_dir / POINTER
    if not pointer.exists():
        return None
    build = index_dir / BUILDS / pointer.read_text(encoding="utf-8").strip()
    return build if (build / "manifest.json").exists() else None


def read_manifest(build_dir: Path) -> dict[str, Any]:
    return json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index lock; a second concurrent build fails at once with a clear message."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexUnavailable(f"another build is running on {index_dir}; wait for it") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_leftovers(index_dir: Path) -> list[str]:
    """Delete what builds that died left behind (call only while holding the lock): temporary
    build folders, and pointer files written but never switched to (``CURRENT.<id>.tmp``)."""
    builds = index_dir / BUILDS
    dead = sorted(p for p in builds.glob(TMP_PREFIX + "*")) if builds.exists() else []
    for path in dead:
        shutil.rmtree(path, ignore_errors=True)
    pointers = sorted(index_dir.glob(f"{POINTER}.*.tmp"))
    for path in pointers:
        path.unlink(missing_ok=True)
    # A build moved into place but killed before the switch was never live: it must not count
    # as a kept build, or pruning would delete the last build that really was live.
    live = live_build_dir(index_dir)
    never_live = [
        p
        for p in (builds.iterdir() if builds.exists() else [])
        if p.is_dir()
        and not p.name.startswith(".")
        and live is not None
        and p != live
        and _finished_at(p) > _finished_at(live)
    ]
    for path in never_live:
        shutil.rmtree(path, ignore_errors=True)
    return [p.name for p in dead + pointers + never_live]


def prune_builds(index_dir: Path, keep: int) -> None:
    """Keep the live build and the newest others up to ``keep`` builds in all."""
    live = live_build_dir(index_dir)
    finished = sorted(
        (p for p in (index_dir / BUILDS).iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=_finished_at,
        reverse=True,
    )
    kept = {live} if live else set()
    for path in finished:
        if len(kept) < keep:
            kept.add(path)
        elif path not in kept:
            shutil.rmtree(path, ignore_errors=True)


def _finished_at(build: Path) -> tuple[int, str]:
    # Build ids have one-second resolution, so two builds in one second would sort by their
    # random suffix; the manifest, written last, orders them (a build without one goes first).
    manifest = build / "manifest.json"
    return (manifest.stat().st_mtime_ns if manifest.exists() else 0, build.name)


def start_build(index_dir: Path, build_id: str) -> Path:
    tmp = index_dir / BUILDS / f"{TMP_PREFIX}{build_id}"
    tmp.mkdir(parents=True)
    return tmp


def write_vectors(folder: Path, name: str, vectors: np.ndarray) -> None:
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(folder / name))


def write_chunks(folder: Path, chunks: list[Chunk]) -> None:
    with (folder / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(json.dumps(asdict(chunk) | {"text_sha": chunk.text_sha}, ensure_ascii=False))
            fh.write("\n")


def read_chunks(folder: Path) -> list[Chunk]:
    names = {f.name for f in fields(Chunk)}
    with (folder / "chunks.jsonl").open(encoding="utf-8") as fh:
        return [Chunk(**{k: v for k, v in json.loads(line).items() if k in names}) for line in fh]


def finish_build(index_dir: Path, tmp: Path, manifest: dict[str, Any], bm25: Any) -> Path:
    """Write the manifest and BM25 state, move the build into place and make it live."""
    save_bm25(bm25, tmp / BM25_DIR)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    final = index_dir / BUILDS / manifest["build_id"]
    os.replace(tmp, final)
    pointer_tmp = index_dir / f"{POINTER}.{manifest['build_id']}.tmp"
    pointer_tmp.write_text(manifest["build_id"] + "\n", encoding="utf-8")
    with pointer_tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(pointer_tmp, index_dir / POINTER)  # the switch: atomic on POSIX
    return final


def read_vectors(build_dir: Path, name: str) -> np.ndarray:
    """All vectors of one FAISS file (used to reuse embeddings of unchanged chunks)."""
    import faiss

    index = faiss.read_index(str(build_dir / name))
    return index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d))


def load_index(index_dir: Path, identity: dict[str, Any]) -> LoadedIndex:
    """Load and validate the live build; refuse one built with other models or chunking."""
    import faiss

    build = live_build_dir(index_dir)
    if build is None:
        raise IndexUnavailable(f"no index in {index_dir}: run `ingest build` first")
    manifest = read_manifest(build)
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexUnavailable(
            f"index {build.name} has schema {manifest.get('schema_version')}, this program reads "
            f"{SCHEMA_VERSION}: run `ingest build --full`"
        )
    built = manifest.get("identity", {})
    for key, wanted in identity.items():
        if built.get(key) != wanted:
            raise IndexUnavailable(
                f"index {build.name} was built with {key}={built.get(key)!r} but the settings say "
                f"{wanted!r}: run `ingest build` (it rebuilds fully) or change the setting back"
            )
    chunks = read_chunks(build)
    dense = faiss.read_index(str(build / DENSE_FILE))
    multi = faiss.read_index(str(build / MULTI_FILE)) if (build / MULTI_FILE).exists() else None
    for name, idx in (("dense", dense), ("multilingual", multi)):
        if idx is not None and idx.ntotal != len(chunks):
            raise IndexUnavailable(f"index {build.name} is damaged: {name} vectors != chunks")
    return LoadedIndex(build, manifest, chunks, dense, multi, load_bm25(build / BM25_DIR))
