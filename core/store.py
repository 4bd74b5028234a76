"""The index on disk: one folder per build, a pointer file naming the live one, and no pickle.

    index/
      CURRENT                 build id of the live build (replaced atomically with os.replace)
      .lock                   held while a build runs
      builds/<build_id>/      manifest.json, chunks.jsonl, dense.faiss, multilingual.faiss, bm25/
      builds/.tmp-<build_id>/ a build in progress; a leftover of a killed build is removed later

A build is written completely into its temporary folder, renamed into place, and only then made
live, so a crash at any moment leaves the previous build live and loadable.

Vectors are held exactly (IndexFlatIP) up to ``vector_index.exact_max`` of them and in an
IVF-Flat index above (every vector kept, so the next build can reuse them); the manifest's
``vector_indexes`` names the type of each FAISS file.

The manifest records the sha256 of every other file of its build. Loading verifies them: a
damaged build (edited, truncated or missing files, a pointer leading out of ``builds/``) is
refused with one line naming the build and the file, and the newest intact build that was live
before it is served instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import math
import os
import re
import shutil
import struct
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from core.chunks import Chunk
from core.lexical import load_bm25, save_bm25
from core.manifest import BuildManifest
from core.settings import VectorIndexSettings

log = logging.getLogger(__name__)

# 2: the manifest records a sha256 of every file of the build ("checksums").
SCHEMA_VERSION = 2
POINTER = "CURRENT"
BUILDS = "builds"
TMP_PREFIX = ".tmp-"
DENSE_FILE, MULTI_FILE, BM25_DIR = "dense.faiss", "multilingual.faiss", "bm25"
MANIFEST = "manifest.json"
# FAISS file types by their header's four letters.
_INDEX_TYPES = {"IxFI": "flat-ip", "IwFl": "ivf-flat", "IHNf": "hnsw-flat"}
# Fewest training vectors per IVF list (FAISS warns below it); fewer vectors stay exact.
_MIN_TRAIN = 39
# What a build id may look like (new_build_id makes them): one plain folder name, never a path.
_BUILD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class IndexUnavailable(RuntimeError):
    """The index is missing, busy or does not match the settings; the message says what to do."""


class BuildDamaged(IndexUnavailable):
    """A build's files are missing, altered or unreadable (one line, no paths)."""


@dataclass
class LoadedIndex:
    path: Path
    manifest: BuildManifest
    chunks: list[Chunk]
    dense: Any  # faiss.Index
    multilingual: Any | None  # faiss.Index, absent when multilingual_model is 'none'
    bm25: Any  # bm25s.BM25
    notice: str | None = None  # set when the live build was damaged and an older one is served

    @property
    def build_id(self) -> str:
        return self.manifest.build_id


def new_build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


def live_build_id(index_dir: Path) -> str | None:
    """What CURRENT says, if it holds a plain build id (cheap: the server polls it)."""
    try:
        text = (index_dir / POINTER).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if _BUILD_ID.fullmatch(text) else None


def live_build_dir(index_dir: Path) -> Path | None:
    """The live build's folder: inside builds/, never a path CURRENT smuggles in (``../x``)."""
    build_id = live_build_id(index_dir)
    if build_id is None:
        return None
    build = index_dir / BUILDS / build_id
    if build.is_symlink() or not (build / MANIFEST).is_file():
        return None
    return build


def read_manifest(build_dir: Path) -> dict[str, Any]:
    return json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def file_checksums(build_dir: Path) -> dict[str, str]:
    """sha256 of every file of a build but its manifest, by POSIX path relative to the build."""
    return {
        path.relative_to(build_dir).as_posix(): _sha256(path)
        for path in sorted(build_dir.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def verify_build(build_dir: Path) -> str | None:
    """None when the build is intact and in this program's format, else one line saying why not.

    Checks the manifest, then every file against the sha256 the manifest recorded. The line
    names the build and the file, never a path or a library's own message.
    """
    name = build_dir.name
    try:
        if build_dir.is_symlink() or not build_dir.is_dir():
            return f"build {name} is missing"
        manifest = read_manifest(build_dir)
    except (OSError, ValueError):
        return f"build {name} is damaged: its manifest is missing or unreadable"
    if not isinstance(manifest, dict):
        return f"build {name} is damaged: its manifest is unreadable"
    if manifest.get("schema_version") != SCHEMA_VERSION:
        return (
            f"build {name} has index format {manifest.get('schema_version')}, this program "
            f"reads {SCHEMA_VERSION}: run `ingest build`"
        )
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict) or not checksums:
        return f"build {name} is damaged: its manifest lists no checksums"
    root = build_dir.resolve()
    for rel, wanted in sorted(checksums.items()):
        path = build_dir / str(rel)
        inside = path.resolve().is_relative_to(root) and ".." not in Path(str(rel)).parts
        if not inside or path.is_symlink():
            return f"build {name} is damaged: its manifest names a file outside the build"
        try:
            actual = _sha256(path)
        except OSError:
            return f"build {name} is damaged: {rel} is missing or unreadable"
        if actual != wanted:
            return f"build {name} is damaged: {rel} does not match its checksum"
    return None


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
    manifest = build / MANIFEST
    return (manifest.stat().st_mtime_ns if manifest.exists() else 0, build.name)


def start_build(index_dir: Path, build_id: str) -> Path:
    tmp = index_dir / BUILDS / f"{TMP_PREFIX}{build_id}"
    tmp.mkdir(parents=True)
    return tmp


def vector_index(vectors: np.ndarray, choice: VectorIndexSettings | None = None) -> Any:
    """A FAISS inner-product index holding ``vectors`` (rows in order), chosen by their number:
    exact (IndexFlatIP) up to ``exact_max``, else IVF-Flat, which keeps every vector too."""
    import faiss

    choice = choice or VectorIndexSettings()
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = x.shape
    if n <= choice.exact_max or n < 2 * _MIN_TRAIN:
        exact = faiss.IndexFlatIP(dim)
        if n:
            exact.add(x)
        return exact
    lists = int(min(n // _MIN_TRAIN, max(1, round(choice.ivf_lists_per_sqrt * math.sqrt(n)))))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    # A fixed seed: the same vectors always give the same lists (builds are reproducible).
    sample = np.random.default_rng(0).permutation(n)[: lists * choice.ivf_train_per_list]
    ivf.train(x[np.sort(sample)])
    ivf.add(x)
    ivf.nprobe = min(lists, max(choice.ivf_min_probe, math.ceil(choice.ivf_probe_share * lists)))
    return ivf


def write_vectors(
    folder: Path, name: str, vectors: np.ndarray, choice: VectorIndexSettings | None = None
) -> None:
    """Write ``vectors`` as one FAISS file (faiss' own format, no pickle)."""
    import faiss

    faiss.write_index(vector_index(vectors, choice), str(folder / name))


def describe_vectors(path: Path) -> dict[str, Any]:
    """Type, size and search depth of a FAISS file, read from its header alone (cheap at 1M):
    the manifest records them."""
    with path.open("rb") as fh:
        head = fh.read(4 + 4 + 8 + 8 + 8 + 1 + 4 + 16)
    fourcc = head[:4].decode("ascii", "replace")
    dim, count = struct.unpack_from("<iq", head, 4)
    info: dict[str, Any] = {"type": _INDEX_TYPES.get(fourcc, fourcc), "vectors": count, "dim": dim}
    if fourcc == "IwFl" and len(head) == 53:  # the header, then the IVF list count and probe
        info["lists"], info["probe"] = struct.unpack_from("<QQ", head, 37)
    return info


def write_chunks(folder: Path, chunks: list[Chunk]) -> None:
    with (folder / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(json.dumps(asdict(chunk) | {"text_sha": chunk.text_sha}, ensure_ascii=False))
            fh.write("\n")


def read_chunks(folder: Path) -> list[Chunk]:
    names = {f.name for f in fields(Chunk)}
    with (folder / "chunks.jsonl").open(encoding="utf-8") as fh:
        return [Chunk(**{k: v for k, v in json.loads(line).items() if k in names}) for line in fh]


def finish_build(
    index_dir: Path, tmp: Path, manifest: BuildManifest | dict[str, Any], bm25: Any
) -> Path:
    """Write the BM25 state and the manifest (with a sha256 of every file of the build), move
    the build into place and make it live. A dict manifest is validated as a BuildManifest."""
    save_bm25(bm25, tmp / BM25_DIR)
    vectors = {p.name: describe_vectors(p) for p in sorted(tmp.glob("*.faiss"))}
    typed = BuildManifest.model_validate(manifest)
    typed = typed.model_copy(update={"vector_indexes": vectors, "checksums": file_checksums(tmp)})
    (tmp / MANIFEST).write_text(typed.model_dump_json(indent=2), encoding="utf-8")
    final = index_dir / BUILDS / typed.build_id
    os.replace(tmp, final)
    pointer_tmp = index_dir / f"{POINTER}.{typed.build_id}.tmp"
    pointer_tmp.write_text(typed.build_id + "\n", encoding="utf-8")
    with pointer_tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(pointer_tmp, index_dir / POINTER)  # the switch: atomic on POSIX
    return final


def read_vectors(build_dir: Path, name: str) -> np.ndarray:
    """All vectors of one FAISS file, in row order (used to reuse embeddings of unchanged
    chunks); an IVF index gets a direct map from id to list slot first."""
    import faiss

    index = faiss.read_index(str(build_dir / name))
    if not index.ntotal:
        return np.zeros((0, index.d), dtype=np.float32)
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.make_direct_map()
    return index.reconstruct_n(0, index.ntotal)


def load_index(index_dir: Path, identity: dict[str, Any]) -> LoadedIndex:
    """Load and validate the live build; refuse one built with other models or chunking.

    A damaged live build (see verify_build) is not served: the newest intact build that was
    live before it is, with ``notice`` saying so; with none, IndexUnavailable says why.
    """
    build = live_build_dir(index_dir)
    if build is None and not (index_dir / POINTER).exists():
        raise IndexUnavailable(f"no index in {index_dir}: run `ingest build` first")
    problem = "the CURRENT pointer names no build"
    if build is not None:
        try:
            manifest = _checked_manifest(build, identity)  # other models or format: no fallback
            problem = verify_build(build) or ""
            if not problem:
                return _load_build(build, manifest)
        except BuildDamaged as exc:
            problem = str(exc)
    for older in _fallbacks(index_dir, build):
        try:
            manifest = _checked_manifest(older, identity)
            if verify_build(older) is not None:
                continue
            loaded = _load_build(older, manifest)
        except IndexUnavailable:  # damaged too, or made with other models: not a fallback
            continue
        loaded.notice = f"{problem}; serving the previous build {older.name}"
        log.warning("%s", loaded.notice)
        return loaded
    raise IndexUnavailable(f"{problem}; there is no earlier intact build: run `ingest build`")


def _fallbacks(index_dir: Path, live: Path | None) -> list[Path]:
    """Finished builds to serve instead of a damaged live one, newest first; builds newer than
    the live one were never live (a build killed before its switch) and are left out."""
    builds = index_dir / BUILDS
    if not builds.is_dir():
        return []
    limit = _finished_at(live) if live is not None else None
    found = [
        p
        for p in builds.iterdir()
        if p.is_dir()
        and not p.is_symlink()
        and not p.name.startswith(".")
        and p != live
        and (limit is None or _finished_at(p) < limit)
    ]
    return sorted(found, key=_finished_at, reverse=True)


def load_manifest(build: Path) -> BuildManifest:
    """A build's manifest, typed; BuildDamaged when it is unreadable or malformed."""
    try:
        return BuildManifest.model_validate(read_manifest(build))
    except (OSError, ValueError, ValidationError) as exc:
        raise BuildDamaged(f"build {build.name} is damaged: its manifest is unreadable") from exc


def checked_manifest(build: Path, identity: dict[str, Any]) -> BuildManifest:
    """A build folder's manifest, if this program reads its format and it was made with the
    models and chunking ``identity`` names; IndexUnavailable or BuildDamaged if not."""
    return _checked_manifest(build, identity)


def _checked_manifest(build: Path, identity: dict[str, Any]) -> BuildManifest:
    """The build's manifest, if this program reads its format and it matches the settings."""
    try:
        manifest = read_manifest(build)
    except (OSError, ValueError) as exc:
        raise BuildDamaged(f"build {build.name} is damaged: its manifest is unreadable") from exc
    if not isinstance(manifest, dict):
        raise BuildDamaged(f"build {build.name} is damaged: its manifest is unreadable")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexUnavailable(
            f"index {build.name} has schema {manifest.get('schema_version')}, this program reads "
            f"{SCHEMA_VERSION}: run `ingest build --full`"
        )
    built = manifest.get("identity") or {}
    for key, wanted in identity.items():
        if built.get(key) != wanted:
            raise IndexUnavailable(
                f"index {build.name} was built with {key}={built.get(key)!r} but the settings say "
                f"{wanted!r}: run `ingest build` (it rebuilds fully) or change the setting back"
            )
    try:
        return BuildManifest.model_validate(manifest)
    except ValidationError as exc:
        raise BuildDamaged(f"build {build.name} is damaged: its manifest is malformed") from exc


def _load_build(build: Path, manifest: BuildManifest) -> LoadedIndex:
    import faiss

    def read(name: str, reader: Any) -> Any:
        # A library's own message (C++ text, absolute paths) never reaches users: one line does.
        try:
            return reader()
        except Exception as exc:
            raise BuildDamaged(f"build {build.name} is damaged: {name} cannot be read") from exc

    chunks = read("chunks.jsonl", lambda: read_chunks(build))
    dense = read(DENSE_FILE, lambda: faiss.read_index(str(build / DENSE_FILE)))
    multi = None
    if (build / MULTI_FILE).exists():
        multi = read(MULTI_FILE, lambda: faiss.read_index(str(build / MULTI_FILE)))
    for name, idx in (("dense", dense), ("multilingual", multi)):
        if idx is not None and idx.ntotal != len(chunks):
            raise BuildDamaged(f"build {build.name} is damaged: {name} vectors != chunks")
    bm25 = read("the BM25 state", lambda: load_bm25(build / BM25_DIR))
    return LoadedIndex(build, manifest, chunks, dense, multi, bm25)
