"""The index in Milvus (``index_backend = "milvus"``): every server replica reads one index.

    <prefix>_<build>          one row per chunk: ``row`` (its place in the build, the key the
                              retriever uses), doc_id, source, text_sha, the chunk as JSON (all
                              a citation needs), both embedders' vectors, and ``lexical_text``
                              (its BM25 terms as ids) feeding Milvus's BM25 function
    <prefix>_<build>_files    the build's small files: manifest.json, lexical.json (term ids
                              and frequencies), the sentence table, OCR words; base64 in parts
    <prefix>_live             the alias naming the live build's chunk collection

A build is written whole under its own names; the alias is switched last (``alter_alias``), so
a crash at any moment leaves the previous build live, and a replica polling the alias
(``live_collection``) loads the new one beside the old and switches, as it follows CURRENT.

The chatbot reads through the objects ``core.store.LoadedIndex`` holds: ``MilvusVectors`` has
FAISS's ``search(x, k) -> (sims, rows)`` and ``MilvusLexical`` the ``LexicalSearch`` protocol of
``core.lexical``, so retrieval and its client-side fusion are the same code on both backends.
BM25 candidates come from Milvus; their scores are computed here from the terms Milvus returns
(``LexicalStats.score``, bm25s' formula), never taken from Milvus's own numbers, whose scale and
sign are the server's business. Only the documented MilvusClient API is used.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import shutil
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core import store
from core.chunks import Chunk
from core.lexical import LexicalStats
from core.settings import MilvusSettings, Settings, VectorIndexSettings

log = logging.getLogger(__name__)

FILES_SUFFIX = "_files"
# A replica's copy of the live build's files, by collection. "-2": copies made before the
# lexical ids followed first use (4f5c5ae) may not match a build published again; not read.
CACHE_FOLDER = "milvus-cache-2"
LIVE_SUFFIX = "_live"
LEXICAL_FILE = "lexical.json"
SEARCH_FILE = "milvus.json"  # the vector index types and search depth of the build
# One base64 part of a file: under VARCHAR's 65,535 bytes.
_PART_BYTES = 45 * 1024
# The largest chunk JSON (chunk_size is at most a few thousand characters; CJK is 3 bytes each).
_CHUNK_JSON_BYTES = 65_535
# Milvus needs a vector field in every collection; the files collection's is a 2-d placeholder.
_PLACEHOLDER_DIM = 2
# Build files copied for replicas: everything but what Milvus itself holds (vectors, BM25).
_KEPT_OUT = {store.DENSE_FILE, store.MULTI_FILE, "chunks.jsonl"}

_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def client(milvus: MilvusSettings) -> Any:
    """One MilvusClient per URI and token in this process (thread-safe; gRPC underneath)."""
    from pymilvus import MilvusClient

    token = milvus.token.get_secret_value() if milvus.token else ""
    key = (milvus.uri, token)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = MilvusClient(uri=milvus.uri, token=token, timeout=milvus.timeout_s)
        return _clients[key]


def alias_name(milvus: MilvusSettings) -> str:
    return milvus.collection_prefix + LIVE_SUFFIX


def collection_name(milvus: MilvusSettings, build_id: str) -> str:
    """'sqa_20261205T022701Z_3fa2b1' for build 20261205T022701Z-3fa2b1 (letters, digits, _)."""
    return f"{milvus.collection_prefix}_" + "".join(c if c.isalnum() else "_" for c in build_id)


def live_collection(milvus: MilvusSettings) -> str | None:
    """The chunk collection the alias names, or None (no build yet, or Milvus unreachable)."""
    alias = alias_name(milvus)
    try:
        mc = client(milvus)
        if alias not in mc.list_aliases().get("aliases", []):  # no build yet: not an error
            return None
        return str(mc.describe_alias(alias)["collection_name"])
    except Exception:  # an absent alias and an unreachable server both mean None
        return None


# --- writing a build --------------------------------------------------------------------------


@dataclass(frozen=True)
class VectorSearch:
    """How one vector field is indexed and searched: FLAT (exact) or IVF_FLAT, chosen by size
    exactly as the FAISS files are (VectorIndexSettings)."""

    index_type: str
    lists: int = 0
    probe: int = 0

    @classmethod
    def for_count(cls, n: int, choice: VectorIndexSettings) -> VectorSearch:
        if n <= choice.exact_max or n < 2 * 39:
            return cls("FLAT")
        lists = int(min(n // 39, max(1, round(choice.ivf_lists_per_sqrt * math.sqrt(n)))))
        probe = min(lists, max(choice.ivf_min_probe, math.ceil(choice.ivf_probe_share * lists)))
        return cls("IVF_FLAT", lists, probe)

    def index_params(self) -> dict[str, Any]:
        return {"nlist": self.lists} if self.index_type == "IVF_FLAT" else {}

    def search_params(self) -> dict[str, Any]:
        params = {"nprobe": self.probe} if self.index_type == "IVF_FLAT" else {}
        return {"metric_type": "IP", "params": params}


def publish_build(settings: Settings, build_dir: Path) -> str:
    """Copy a finished local build into new collections and make them live; returns the
    chunk collection's name. A collection of the same name left by a crashed publish is
    dropped first; the live alias changes only at the end."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    milvus = settings.milvus
    manifest = store.load_manifest(build_dir)
    chunks = store.read_chunks(build_dir)
    dense = store.read_vectors(build_dir, store.DENSE_FILE)
    multi = (
        store.read_vectors(build_dir, store.MULTI_FILE)
        if (build_dir / store.MULTI_FILE).exists()
        else None
    )
    terms = [LexicalStats.chunk_terms(c.text) for c in chunks]
    stats = LexicalStats.from_terms(terms)
    mc = client(milvus)
    name = collection_name(milvus, manifest.build_id)
    files = name + FILES_SUFFIX
    if name == live_collection(milvus):
        return name  # already published and live
    for leftover in (name, files):
        if mc.has_collection(leftover):
            mc.drop_collection(leftover)

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("source", DataType.VARCHAR, max_length=4096)
    schema.add_field("text_sha", DataType.VARCHAR, max_length=64)
    schema.add_field("chunk", DataType.JSON)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=int(dense.shape[1]))
    if multi is not None:
        schema.add_field("multilingual", DataType.FLOAT_VECTOR, dim=int(multi.shape[1]))
    # Terms as ids ("w17 w3 ..."): the standard tokenizer keeps each one whole, so Milvus's
    # BM25 sees exactly our stems (stopwords out, Porter2), in any language.
    schema.add_field(
        "lexical_text",
        DataType.VARCHAR,
        max_length=65_535,
        enable_analyzer=True,
        analyzer_params={"tokenizer": "standard"},
    )
    schema.add_field("lexical", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["lexical_text"],
            output_field_names=["lexical"],
        )
    )
    searches = {"dense": VectorSearch.for_count(len(chunks), settings.vector_index)}
    if multi is not None:
        searches["multilingual"] = searches["dense"]
    index_params = mc.prepare_index_params()
    for field, search in searches.items():
        index_params.add_index(
            field, index_type=search.index_type, metric_type="IP", params=search.index_params()
        )
    index_params.add_index(
        "lexical",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": 1.5, "bm25_b": 0.75},
    )
    mc.create_collection(name, schema=schema, index_params=index_params)

    batch = milvus.insert_batch
    for start in range(0, len(chunks), batch):
        rows = []
        for row in range(start, min(start + batch, len(chunks))):
            chunk = chunks[row]
            record = json.dumps(asdict(chunk), ensure_ascii=False)
            if len(record.encode("utf-8")) > _CHUNK_JSON_BYTES:
                raise store.IndexUnavailable(f"chunk {chunk.chunk_id} is too long for Milvus")
            item: dict[str, Any] = {
                "row": row,
                "doc_id": chunk.doc_id[:1024],
                "source": chunk.source[:4096],
                "text_sha": chunk.text_sha,
                "chunk": asdict(chunk),
                "dense": dense[row].tolist(),
                "lexical_text": " ".join(f"w{stats.vocabulary[t]}" for t in terms[row]),
            }
            if multi is not None:
                item["multilingual"] = multi[row].tolist()
            rows.append(item)
        mc.insert(name, rows)
    mc.flush(name)

    extra = {
        LEXICAL_FILE: json.dumps(stats.to_json()).encode("utf-8"),
        SEARCH_FILE: json.dumps({f: asdict(s) for f, s in searches.items()}).encode("utf-8"),
    }
    _write_files(mc, files, build_dir, extra, milvus)
    mc.load_collection(name)
    mc.load_collection(files)
    alias = alias_name(milvus)
    if live_collection(milvus) is None:
        mc.create_alias(name, alias)
    else:
        mc.alter_alias(name, alias)  # the switch
    log.info("build %s is live in Milvus as %s", manifest.build_id, name)
    prune_collections(settings, keep=settings.keep_builds)
    return name


def _write_files(
    mc: Any, files: str, build_dir: Path, extra: dict[str, bytes], milvus: MilvusSettings
) -> None:
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("name", DataType.VARCHAR, max_length=1024)
    schema.add_field("part", DataType.INT64)
    schema.add_field("data", DataType.VARCHAR, max_length=65_535)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=_PLACEHOLDER_DIM)
    index_params = mc.prepare_index_params()
    index_params.add_index("placeholder", index_type="FLAT", metric_type="L2")
    mc.create_collection(files, schema=schema, index_params=index_params)
    contents: dict[str, bytes] = {}
    for path in sorted(build_dir.rglob("*")):
        rel = path.relative_to(build_dir).as_posix()
        if not path.is_file() or rel in _KEPT_OUT or rel.startswith(store.BM25_DIR + "/"):
            continue
        if path.stat().st_size > milvus.max_file_bytes:
            log.warning("%s is larger than milvus.max_file_bytes: replicas go without it", rel)
            continue
        contents[rel] = path.read_bytes()
    contents.update(extra)
    rows: list[dict[str, Any]] = []
    next_id = 0
    for rel, data in sorted(contents.items()):
        for part, start in enumerate(range(0, max(1, len(data)), _PART_BYTES)):
            encoded = base64.b64encode(data[start : start + _PART_BYTES]).decode("ascii")
            rows.append(
                {
                    "id": next_id,
                    "name": rel,
                    "part": part,
                    "data": encoded,
                    "placeholder": [0.0] * _PLACEHOLDER_DIM,
                }
            )
            next_id += 1
            if len(rows) == milvus.insert_batch:  # ~30 MB at most in memory at once
                mc.insert(files, rows)
                rows = []
    if rows:
        mc.insert(files, rows)
    mc.flush(files)


def prune_collections(settings: Settings, keep: int) -> list[str]:
    """Drop this prefix's builds but the live one and the newest others up to ``keep`` in all
    (collection names sort by build time). Returns the dropped chunk collections."""
    milvus = settings.milvus
    mc = client(milvus)
    live = live_collection(milvus)
    prefix = milvus.collection_prefix + "_"
    builds = sorted(
        (n for n in mc.list_collections() if n.startswith(prefix) and not n.endswith(FILES_SUFFIX)),
        reverse=True,
    )
    kept = {live} if live else set()
    dropped = []
    for name in builds:
        if len(kept) < keep and (live is None or name < live):
            kept.add(name)
        elif name not in kept:
            dropped.append(name)
    for name in dropped:  # newer than live and not live: a crashed publish; older: pruned
        for each in (name, name + FILES_SUFFIX):
            if mc.has_collection(each):
                mc.drop_collection(each)
    return dropped


# --- reading a build --------------------------------------------------------------------------


class MilvusVectors:
    """One vector field of a build, searched like a FAISS index: ``search(x, k)`` gives the
    inner products and chunk rows best first, shape (1, k), padded with -1 rows."""

    def __init__(self, mc: Any, collection: str, field: str, search: VectorSearch) -> None:
        self.mc, self.collection, self.field, self.params = (
            mc,
            collection,
            field,
            search.search_params(),
        )

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.asarray(x, dtype=np.float32)
        found = self.mc.search(
            self.collection,
            data=queries.tolist(),
            anns_field=self.field,
            limit=k,
            output_fields=["row"],  # not the vectors
            search_params=self.params,
        )
        sims = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        for i, hits in enumerate(found):
            for j, hit in enumerate(list(hits)[:k]):
                sims[i, j], rows[i, j] = float(hit["distance"]), int(hit.id)
        return sims, rows


class MilvusLexical:
    """BM25 of a build in Milvus, as core.lexical.LexicalSearch: Milvus finds the chunks holding
    the query's terms (best ``limit`` of them); their scores are computed here."""

    def __init__(self, mc: Any, collection: str, stats: LexicalStats, limit: int) -> None:
        self.mc, self.collection, self.stats, self.limit = mc, collection, stats, limit

    def matches(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        term_ids = self.stats.term_ids(query)
        if not term_ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        found = self.mc.search(
            self.collection,
            data=[" ".join(f"w{t}" for t in term_ids)],
            anns_field="lexical",
            limit=min(self.limit, self.stats.chunks),
            output_fields=["lexical_text"],
            search_params={"metric_type": "BM25"},
        )
        scored: dict[int, np.float32] = {}
        for hit in found[0]:
            entity = hit.get("entity", hit)
            chunk_ids = [int(w[1:]) for w in str(entity["lexical_text"]).split()]
            score = self.stats.score(term_ids, chunk_ids)
            if score > 0:
                scored[int(hit.id)] = score
        rows = np.array(sorted(scored), dtype=np.int64)
        return rows, np.array([scored[int(r)] for r in rows], dtype=np.float32)

    def frequencies(self) -> tuple[int, dict[str, int]]:
        stats = self.stats
        return stats.chunks, {t: stats.frequencies[i] for t, i in stats.vocabulary.items()}


def load_index(settings: Settings) -> store.LoadedIndex:
    """The live build from Milvus: its files copied to a local cache folder (the sentence
    table and OCR words are read from there as from a FAISS build), its chunks in memory,
    vectors and BM25 searched in Milvus. IndexUnavailable says what is wrong."""
    milvus = settings.milvus
    try:
        mc = client(milvus)
        mc.list_aliases()
    except Exception as exc:  # pymilvus' own message is long and names internals
        raise store.IndexUnavailable(
            f"Milvus at {milvus.uri} cannot be reached ({type(exc).__name__}); the server "
            "loads the index when it can"
        ) from exc
    name = live_collection(milvus)
    if name is None:
        raise store.IndexUnavailable(
            f"no index in Milvus at {milvus.uri} (alias {alias_name(milvus)}): run `ingest build`"
        )
    _load(mc, name, milvus)
    folder = _cached_files(mc, name, _cache(settings))
    manifest = store.checked_manifest(folder, settings.index_identity())
    stats = LexicalStats.from_json(json.loads((folder / LEXICAL_FILE).read_text("utf-8")))
    searches = {
        f: VectorSearch(**s)
        for f, s in json.loads((folder / SEARCH_FILE).read_text("utf-8")).items()
    }
    chunks = _read_chunks(mc, name, manifest.counts.chunks)
    multi = None
    if "multilingual" in searches:
        multi = MilvusVectors(mc, name, "multilingual", searches["multilingual"])
    return store.LoadedIndex(
        folder,
        manifest,
        chunks,
        MilvusVectors(mc, name, "dense", searches["dense"]),
        multi,
        MilvusLexical(mc, name, stats, milvus.lexical_limit),
    )


def _load(mc: Any, name: str, milvus: MilvusSettings) -> None:
    """A restarted Milvus may hold the collections released (Milvus Lite's server always
    does); loading a loaded collection is a no-op, so every reader asks for it."""
    try:
        for collection in (name, name + FILES_SUFFIX):
            mc.load_collection(collection)
    except Exception as exc:
        raise store.IndexUnavailable(
            f"Milvus at {milvus.uri} cannot load {name} ({type(exc).__name__}); the server "
            "loads the index when it can"
        ) from exc


def _cache(settings: Settings) -> Path:
    shutil.rmtree(settings.index_dir / "milvus-cache", ignore_errors=True)  # before -2
    return settings.index_dir / CACHE_FOLDER


def _read_chunks(mc: Any, collection: str, expected: int) -> list[Chunk]:
    by_row: dict[int, Chunk] = {}
    iterator = mc.query_iterator(
        collection, batch_size=1000, filter="row >= 0", output_fields=["row", "chunk"]
    )
    try:
        while batch := iterator.next():
            for item in batch:
                by_row[int(item["row"])] = Chunk(**item["chunk"])
    finally:
        iterator.close()
    if sorted(by_row) != list(range(expected)):
        raise store.BuildDamaged(
            f"Milvus collection {collection} holds {len(by_row)} chunks of {expected}"
        )
    return [by_row[row] for row in range(expected)]


def _cached_files(mc: Any, collection: str, cache: Path) -> Path:
    """The build's files, written once into ``cache/<collection>`` (atomically: a folder that
    exists is complete); older cached builds are removed."""
    folder = cache / collection
    if folder.is_dir():
        return folder
    parts: dict[str, dict[int, str]] = {}
    iterator = mc.query_iterator(
        collection + FILES_SUFFIX,
        batch_size=200,
        filter="id >= 0",
        output_fields=["name", "part", "data"],
    )
    try:
        while batch := iterator.next():
            for item in batch:
                parts.setdefault(str(item["name"]), {})[int(item["part"])] = str(item["data"])
    finally:
        iterator.close()
    if store.MANIFEST not in parts:
        raise store.BuildDamaged(f"Milvus collection {collection} has no manifest")
    tmp = cache / f".tmp-{collection}-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(tmp, ignore_errors=True)
    for rel, pieces in parts.items():
        path = (tmp / rel).resolve()
        if not path.is_relative_to(tmp.resolve()) or ".." in Path(rel).parts:
            raise store.BuildDamaged(f"Milvus collection {collection} names a file outside it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(base64.b64decode(pieces[i]) for i in sorted(pieces)))
    try:
        os.replace(tmp, folder)
    except OSError:  # another thread or replica on this disk wrote it first
        shutil.rmtree(tmp, ignore_errors=True)
    # Keep the build served until now too: its retriever may still read from its folder.
    older = sorted(
        (p for p in cache.iterdir() if p.name != collection and not p.name.startswith(".tmp-")),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    for old in older[1:]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def restore_build(settings: Settings) -> str | None:
    """Write the live Milvus build back as a local build under ``index_dir`` and make it live
    there, so an ingest machine without the previous local build (a fresh job, a new volume)
    still re-embeds only what changed. Returns its build id; None without a live build."""
    from core.lexical import build_bm25

    milvus = settings.milvus
    name = live_collection(milvus)
    if name is None:
        return None
    mc = client(milvus)
    _load(mc, name, milvus)
    cached = _cached_files(mc, name, _cache(settings))
    manifest = store.load_manifest(cached)
    if manifest.identity != settings.index_identity():
        return None  # other models or chunking: the build re-embeds everything anyway
    chunks = _read_chunks(mc, name, manifest.counts.chunks)
    fields = ["row", "dense"] + (["multilingual"] if manifest.models.get("multilingual") else [])
    vectors: dict[str, dict[int, list[float]]] = {f: {} for f in fields[1:]}
    iterator = mc.query_iterator(name, batch_size=1000, filter="row >= 0", output_fields=fields)
    try:
        while batch := iterator.next():
            for item in batch:
                for field in vectors:
                    vectors[field][int(item["row"])] = item[field]
    finally:
        iterator.close()
    tmp = store.start_build(settings.index_dir, manifest.build_id)
    for path in sorted(cached.rglob("*")):
        rel = path.relative_to(cached).as_posix()
        if path.is_file() and rel not in {LEXICAL_FILE, SEARCH_FILE, store.MANIFEST}:
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    store.write_chunks(tmp, chunks)
    for field, file in (("dense", store.DENSE_FILE), ("multilingual", store.MULTI_FILE)):
        if field in vectors:
            rows = vectors[field]
            array = np.asarray([rows[r] for r in range(len(chunks))], dtype=np.float32)
            store.write_vectors(tmp, file, array, settings.vector_index)
    bm25 = build_bm25([c.text for c in chunks])
    store.finish_build(settings.index_dir, tmp, manifest.model_dump(), bm25)
    log.info("restored build %s from Milvus into %s", manifest.build_id, settings.index_dir)
    return manifest.build_id
