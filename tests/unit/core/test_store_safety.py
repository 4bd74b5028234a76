"""The index on disk holds no pickle, and loading it never unpickles anything."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from core.store import load_index
from ingest.build import run_build

PICKLE_HEADERS = tuple(bytes([0x80, protocol]) for protocol in range(2, 6))


@pytest.fixture
def built(tiny_corpus: Path, settings_factory):
    settings = settings_factory()
    run_build(settings, progress=False)
    return settings


def test_index_folder_contains_no_pickle(built) -> None:
    files = [p for p in built.index_dir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {
        "CURRENT",
        "manifest.json",
        "chunks.jsonl",
        "dense.faiss",
        "multilingual.faiss",
    } <= names
    npy = [p for p in files if p.suffix == ".npy"]
    assert npy, "BM25 state is expected as .npy arrays"
    for path in files:
        assert path.suffix not in {".pkl", ".pickle"}, path
        assert not path.read_bytes().startswith(PICKLE_HEADERS), path
    for path in npy:
        array = np.load(path, allow_pickle=False)  # raises on an object (pickled) array
        assert array.dtype != object, path
    for path in files:
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                json.loads(line)


def test_loading_never_unpickles(built, monkeypatch: pytest.MonkeyPatch) -> None:
    import bm25s  # noqa: F401 - imported before the patches, as a running server would have
    import faiss  # noqa: F401

    def refuse(*args, **kwargs):
        raise AssertionError("the index loader tried to unpickle")

    real_np_load = np.load
    np_loads: list[str] = []

    def np_load(file, *args, **kwargs):
        if kwargs.get("allow_pickle") or (args and args[1:2] == (True,)):
            raise AssertionError("numpy.load(allow_pickle=True) while loading the index")
        np_loads.append(str(file))
        return real_np_load(file, *args, **kwargs)

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(np, "load", np_load)

    index = load_index(built.index_dir, built.index_identity())
    assert len(index.chunks) == index.dense.ntotal == index.multilingual.ntotal > 0
    scores = index.bm25.get_scores(["solar"])
    assert int(np.argmax(scores)) == 0  # "solar farms" is in alpha ¶1
    assert any(name.endswith(".npy") for name in np_loads)  # the guard was on the real path


def test_allow_pickle_false_refuses_object_arrays(tmp_path: Path) -> None:
    """The .npy check above is not vacuous: a pickled (object) array fails to load."""
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert path.read_bytes()[:6] == b"\x93NUMPY"
    with pytest.raises(ValueError, match="allow_pickle"):
        np.load(path, allow_pickle=False)
