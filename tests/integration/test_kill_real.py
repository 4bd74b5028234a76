"""SIGKILL a real `ingest build` with the real models as soon as its progress bar says it is
embedding: no hooks in the child, just a kill from outside at a moment read off its stderr.

stderr is a pseudo-terminal so the CLI shows its progress bars (it hides them for pipes).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

import pytest

from core import store
from ingest.build import run_build

pytestmark = pytest.mark.integration


def kill_when_seen(cmd: list[str], marker: bytes, cwd, env, timeout: float = 300) -> bytes:
    """Run cmd with stderr on a pty; SIGKILL it the moment ``marker`` appears; return stderr."""
    master, slave = pty.openpty()
    # A new pty is 0 columns wide, and tqdm cuts its bars (labels included) to the width.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while marker not in seen:
            assert time.monotonic() < deadline, f"no {marker!r} on stderr: {seen[-500:]!r}"
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal (it ended)
                    break
            elif proc.poll() is not None:
                break
        proc.send_signal(signal.SIGKILL)
        returncode = proc.wait(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert marker in seen, seen[-500:]
    assert returncode == -signal.SIGKILL, "the build ended before it could be killed"
    return seen


def test_sigkill_while_embedding_keeps_previous_build_live(seed_copy, env, real_env) -> None:
    settings = seed_copy()
    live_before = store.live_build_dir(settings.index_dir)
    assert live_before is not None
    # The seed's own counts are pinned in test_seed_index; here they must only survive the kill.
    n_chunks = len(store.load_index(settings.index_dir, settings.index_identity()).chunks)
    assert n_chunks > 0

    cmd = [env.python, "-m", "ingest", "build", "--full"]
    cmd += ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    # Files are read while the encoders load their models and embed what has been read (in
    # their own threads), so once reading has begun the kill lands mid-embedding.
    stderr = kill_when_seen(cmd, b"Reading", cwd=settings.index_dir.parent, env=real_env)
    assert b"Embedding (dense)" in stderr

    assert store.live_build_dir(settings.index_dir) == live_before
    index = store.load_index(settings.index_dir, settings.index_identity())
    assert index.path == live_before and len(index.chunks) == n_chunks

    report = run_build(settings, full=True, progress=False)
    assert report.build_id is not None and report.errors == {}
    assert report.chunks == n_chunks
    assert report.new_embeddings == 2 * n_chunks  # --full: every chunk, once per model
    assert list((settings.index_dir / "builds").glob(".tmp-*")) == []
    assert list(settings.index_dir.glob("CURRENT.*.tmp")) == []
    reloaded = store.load_index(settings.index_dir, settings.index_identity())
    assert reloaded.build_id == report.build_id and len(reloaded.chunks) == n_chunks
