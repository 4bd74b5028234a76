"""SIGKILL a real `ingest build` process mid-way: the previous build stays live and loadable, and
the next build cleans up and succeeds.

To make the kill land at a known point without touching production code, the child process is
the real CLI with one store function (or ``os.replace``) wrapped to SIGKILL its own process at
that point. Nothing runs after the signal: no ``finally``, no ``atexit``, exactly as for a crash
or an OOM kill. A timing-based variant with the real models is in tests/integration.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from core import store
from ingest.build import run_build

KILLING_BUILD = """
import os, signal, sys
from core import store

point = sys.argv[1]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

real_write_vectors, real_finish, real_replace = store.write_vectors, store.finish_build, os.replace

def write_vectors(folder, name, vectors, choice=None):
    real_write_vectors(folder, name, vectors, choice)
    if point == "first-vectors-written":  # chunks.jsonl and dense.faiss are in .tmp-<id>
        die()

def finish_build(index_dir, tmp, manifest, bm25):
    if point == "temp-build-written":  # chunks and both vector files; no manifest, no BM25
        die()
    return real_finish(index_dir, tmp, manifest, bm25)

def replace(src, dst):
    if point == "before-switch" and os.path.basename(dst) == store.POINTER:
        die()  # the new build is renamed into place and its pointer written, not yet switched
    return real_replace(src, dst)

store.write_vectors, store.finish_build, os.replace = write_vectors, finish_build, replace
sys.argv = ["ingest", "build", *sys.argv[2:]]
from ingest.cli import main
main()
"""


@pytest.mark.parametrize("point", ["first-vectors-written", "temp-build-written", "before-switch"])
def test_sigkill_mid_build_keeps_previous_build_live(
    point: str, tmp_path: Path, tiny_corpus: Path, settings_factory, env
) -> None:
    settings = settings_factory()
    first = run_build(settings, progress=False)
    gamma = tiny_corpus / "gamma.txt"
    gamma.write_text(gamma.read_text().replace("fish populations", "bird populations"))

    args = ["--corpus", str(tiny_corpus), "--index", str(settings.index_dir)]
    killed = subprocess.run(
        [env.python, "-c", KILLING_BUILD, point, *args],
        cwd=tmp_path,
        env=env.clean(**env.hashing),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "is live" not in killed.stdout

    # Something was left half-done, as after a real crash at that point.
    builds = settings.index_dir / "builds"
    leftovers = sorted(p.name for p in builds.glob(".tmp-*"))
    pointers = sorted(p.name for p in settings.index_dir.glob("CURRENT.*.tmp"))
    finished = sorted(p.name for p in builds.iterdir() if not p.name.startswith("."))
    never_live = [name for name in finished if name != first.build_id]
    if point == "before-switch":
        assert leftovers == [] and len(pointers) == 1 and len(never_live) == 1
    else:
        assert len(leftovers) == 1 and pointers == [] and never_live == []

    # The previous build is still the live one, and loads.
    assert store.live_build_dir(settings.index_dir) == builds / first.build_id
    index = store.load_index(settings.index_dir, settings.index_identity())
    assert index.build_id == first.build_id
    assert "fish populations" in index.chunks[-1].text

    # The next build removes the leftovers and succeeds.
    report = run_build(settings, progress=False)
    assert report.build_id not in {None, first.build_id}
    assert report.cleaned == leftovers + pointers + never_live
    # The build that was live before the kill is kept as the fallback, not the orphan.
    assert (builds / first.build_id).is_dir()
    assert not any((builds / name).exists() for name in never_live)
    assert list(builds.glob(".tmp-*")) == []
    assert list(settings.index_dir.glob("CURRENT.*.tmp")) == []
    index = store.load_index(settings.index_dir, settings.index_identity())
    assert index.build_id == report.build_id
    assert "bird populations" in index.chunks[-1].text
    assert report.new_embeddings == 2  # only the changed paragraph, as if nothing had happened
