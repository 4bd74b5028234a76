"""Build integrity: every build records a sha256 of each of its files; loading verifies them,
refuses a damaged build with one clear line (no paths, no C++ text) and serves the last good
build instead; CURRENT is never followed out of builds/.

Issue 8, row 6.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import store
from core.store import IndexUnavailable, live_build_dir, load_index, verify_build


def write_build(settings: Any, texts: list[str], pointer: bool = True) -> str:
    """A small build written with core.store alone (no ingest), as ingest writes one."""
    import numpy as np

    from core.chunks import Chunk
    from core.lexical import build_bm25

    chunks = [
        Chunk(f"doc ¶{i}", "doc", "original", "en", "Doc", "doc.txt", f"¶{i}", None, i, 1, None, t)
        for i, t in enumerate(texts, 1)
    ]
    vectors = np.random.default_rng(len(texts)).random((len(texts), 8), dtype=np.float32)
    build_id = store.new_build_id()
    tmp = store.start_build(settings.index_dir, build_id)
    store.write_chunks(tmp, chunks)
    store.write_vectors(tmp, store.DENSE_FILE, vectors)
    store.write_vectors(tmp, store.MULTI_FILE, vectors)
    manifest = {
        "schema_version": store.SCHEMA_VERSION,
        "build_id": build_id,
        "identity": settings.index_identity(),
        "counts": {"documents": 1, "chunks": len(chunks)},
    }
    if pointer:
        store.finish_build(settings.index_dir, tmp, manifest, build_bm25(texts))
    else:  # moved into place, never made live (a build killed before its switch)
        real_replace = store.os.replace
        try:
            store.os.replace = lambda a, b: (
                None if Path(b).name == "CURRENT" else real_replace(a, b)
            )  # type: ignore[assignment]
            store.finish_build(settings.index_dir, tmp, manifest, build_bm25(texts))
        finally:
            store.os.replace = real_replace  # type: ignore[assignment]
    return build_id


@pytest.fixture
def two_builds(settings_factory: Callable[..., Any]) -> tuple[Any, str, str]:
    """(settings, first build id, second (live) build id)."""
    settings = settings_factory()
    first = write_build(settings, ["Solar farms in the north.", "Gamma counts fish populations."])
    second = write_build(settings, ["Solar farms in the north.", "Gamma counts bird populations."])
    assert first != second
    return settings, first, second


def _one_clean_line(message: str) -> None:
    assert "\n" not in message
    assert "/" not in message.replace("`ingest build`", ""), message  # no paths
    for cpp in ("Error in", "faiss::", "std::", ".cpp", "Traceback", "index_read"):
        assert cpp not in message, message


def test_every_file_of_a_build_has_a_checksum(two_builds: tuple[Any, str, str]) -> None:
    settings, _, live = two_builds
    build = settings.index_dir / "builds" / live
    manifest = json.loads((build / "manifest.json").read_text())
    files = {
        p.relative_to(build).as_posix()
        for p in build.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(manifest["checksums"]) == files
    assert {"chunks.jsonl", "dense.faiss", "multilingual.faiss"} <= files
    assert any(name.startswith("bm25/") for name in files)
    for name, digest in manifest["checksums"].items():
        assert hashlib.sha256((build / name).read_bytes()).hexdigest() == digest
    assert verify_build(build) is None


@pytest.mark.parametrize(
    ("name", "damage", "words"),
    [
        ("chunks.jsonl", "edit", "chunks.jsonl does not match its checksum"),
        ("dense.faiss", "truncate", "dense.faiss does not match its checksum"),
        ("multilingual.faiss", "delete", "multilingual.faiss is missing"),
        ("manifest.json", "garble", "manifest is"),
    ],
)
def test_a_damaged_live_build_is_refused_and_the_previous_one_served(
    two_builds: tuple[Any, str, str], name: str, damage: str, words: str
) -> None:
    settings, first, live = two_builds
    path = settings.index_dir / "builds" / live / name
    if damage == "edit":  # someone "fixes" a passage by hand
        path.write_text(path.read_text().replace("bird populations", "the minister's secret"))
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "delete":
        path.unlink()
    else:
        path.write_text("{ not json")
    problem = verify_build(settings.index_dir / "builds" / live)
    assert problem is not None and words in problem
    _one_clean_line(problem)

    index = load_index(settings.index_dir, settings.index_identity())
    assert index.build_id == first
    assert index.notice is not None and words in index.notice and first in index.notice
    _one_clean_line(index.notice)
    assert all("secret" not in c.text for c in index.chunks)


def test_a_damaged_only_build_gives_one_clean_line(settings_factory: Callable[..., Any]) -> None:
    settings = settings_factory()
    build_id = write_build(settings, ["One passage.", "Another passage."])
    faiss_file = settings.index_dir / "builds" / str(build_id) / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(IndexUnavailable) as info:
        load_index(settings.index_dir, settings.index_identity())
    message = str(info.value)
    assert "dense.faiss does not match its checksum" in message and "ingest build" in message
    _one_clean_line(message)


def test_an_unreadable_file_is_one_clean_line_even_if_its_checksum_matches(
    settings_factory: Callable[..., Any],
) -> None:
    """A file written bad and checksummed as such: the library's message stays in the log."""
    settings = settings_factory()
    build = settings.index_dir / "builds" / write_build(settings, ["One.", "Two."])
    faiss_file = build / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["checksums"]["dense.faiss"] = hashlib.sha256(faiss_file.read_bytes()).hexdigest()
    (build / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexUnavailable) as info:
        load_index(settings.index_dir, settings.index_identity())
    assert "dense.faiss cannot be read" in str(info.value)
    _one_clean_line(str(info.value))


@pytest.mark.parametrize("pointer", ["../../outside", "../builds/../../outside", "/tmp/x", ".."])
def test_current_is_never_followed_out_of_builds(
    two_builds: tuple[Any, str, str], pointer: str, tmp_path: Path
) -> None:
    settings, _, live = two_builds
    # A complete-looking build outside the index, which CURRENT tries to point at.
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "manifest.json").write_text(json.dumps({"build_id": "outside"}))
    (settings.index_dir / "CURRENT").write_text(pointer + "\n")
    assert live_build_dir(settings.index_dir) is None
    assert store.live_build_id(settings.index_dir) is None
    index = load_index(settings.index_dir, settings.index_identity())
    assert index.path.parent == settings.index_dir / "builds"
    assert index.build_id == live  # the newest intact build
    assert index.notice is not None and "CURRENT" in index.notice


def test_a_symlinked_build_is_not_followed(
    two_builds: tuple[Any, str, str], tmp_path: Path
) -> None:
    settings, _, live = two_builds
    elsewhere = tmp_path / "elsewhere"
    (settings.index_dir / "builds" / live).rename(elsewhere)
    (settings.index_dir / "builds" / live).symlink_to(elsewhere, target_is_directory=True)
    assert live_build_dir(settings.index_dir) is None


def test_a_never_live_build_is_no_fallback(settings_factory: Callable[..., Any]) -> None:
    """A build killed before its switch is newer than the live one; a damaged live build falls
    back to the build before it, never forward to one nobody made live."""
    settings = settings_factory()
    live = write_build(settings, ["One.", "Two."])
    orphan = write_build(settings, ["Three.", "Four."], pointer=False)
    assert store.live_build_id(settings.index_dir) == live and orphan != live
    (settings.index_dir / "builds" / live / "chunks.jsonl").write_text("damaged\n")
    with pytest.raises(IndexUnavailable, match="no earlier intact build"):
        load_index(settings.index_dir, settings.index_identity())


def test_ingest_build_repairs_a_damaged_live_build(
    tiny_corpus: Path, settings_factory: Callable[..., Any]
) -> None:
    from ingest.build import run_build

    settings = settings_factory()
    live = run_build(settings, progress=False).build_id
    chunks = settings.index_dir / "builds" / str(live) / "chunks.jsonl"
    chunks.write_text(chunks.read_text().replace("fish", "fake"))
    report = run_build(settings, progress=False)
    assert not report.up_to_date
    assert report.build_id not in {None, live}
    index = load_index(settings.index_dir, settings.index_identity())
    assert index.build_id == report.build_id and index.notice is None
    assert any("fish populations" in c.text for c in index.chunks)


def test_a_malformed_manifest_is_refused_and_the_previous_build_served(
    two_builds: tuple[Any, str, str],
) -> None:
    """Valid JSON in the right format whose fields have the wrong types (a counts entry that is
    text) is a damaged build, not a crash in whatever reads it later."""
    settings, first, live = two_builds
    path = settings.index_dir / "builds" / live / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["counts"]["chunks"] = "many"
    path.write_text(json.dumps(manifest))

    index = load_index(settings.index_dir, settings.index_identity())
    assert index.build_id == first
    assert index.notice is not None and "manifest is malformed" in index.notice
    assert index.manifest.counts.chunks == 2  # typed: read as a number, not a string


def test_the_manifest_is_typed_when_loaded(two_builds: tuple[Any, str, str]) -> None:
    settings, _, live = two_builds
    index = load_index(settings.index_dir, settings.index_identity())
    assert index.manifest.build_id == live
    assert set(index.manifest.checksums) >= {"chunks.jsonl", "dense.faiss", "multilingual.faiss"}
    assert index.manifest.vector_indexes["dense.faiss"]
