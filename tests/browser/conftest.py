"""Browser-test fixtures: a real index and server, two portal origins, and headless Chromium.

The index is the seed corpus plus one hostile document (HTML in its text), built with the
``hashing`` embedders; the server runs ``SQA_LLM=none`` (extractive answers, real retrieval) in a
subprocess. Portals are plain ``http.server`` instances serving ``examples/`` on other ports:
one origin is in ``allowed_origins``, the other is not.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Written as entities: the text reader drops real tags from text files (keeping their text) and
# turns entities into the characters they stand for, so this passage holds markup as plain text,
# which every page must show as text and never run.
XSS_DOCUMENT = (
    "Harbour Quantum Charter\n\n"
    "The Zanzibar Quantum Policy Office published &lt;script&gt;window.__xss=1&lt;/script&gt; "
    "its harbour charter &lt;img src=x onerror=&quot;window.__xss=2&quot;&gt; in 2031. "
    "Ferries to the outer islands leave the old port every morning.\n"
)
HASHING_ENV = {"SQA_DENSE_MODEL": "hashing", "SQA_MULTILINGUAL_MODEL": "hashing"}
FEEDBACK_TOKEN = "browser-test-token"
ADMIN_TOKEN = "browser-test-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def browser_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpus plus the hostile document, indexed with the hashing embedders."""
    root = tmp_path_factory.mktemp("browser")
    corpus = Path(shutil.copytree(REPO / "corpus", root / "corpus"))
    (corpus / "harbour-charter.txt").write_text(XSS_DOCUMENT, encoding="utf-8")
    index = root / "index"
    env = {**os.environ, **HASHING_ENV}
    cmd = [sys.executable, "-m", "ingest", "build", "--corpus", str(corpus), "--index", str(index)]
    subprocess.run([*cmd, "-q"], check=True, env=env, cwd=root, timeout=300)
    return index


class Server:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log
        self.home = log.parent  # its working folder; answers and votes go to home/ops.sqlite3
        self.feedback_token = FEEDBACK_TOKEN  # reads GET /api/feedback
        self.admin_token = ADMIN_TOKEN  # opens /admin

    def wait_until(self, status: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).json()["status"] == status:
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"server never reached {status!r}:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def start_server(
    browser_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Server]]:
    """``start_server(allowed_origins=[...], load_delay=0, llm="none", event_delay=0, port=None,
    env=None)`` -> a running Server (stopped at the end of the session); with a load_delay it
    returns while still loading; event_delay paces each answer's events (seconds apart), so Stop
    can be pressed; ``port`` restarts a server where a page knew it, ``env`` adds settings."""
    servers: list[Server] = []

    def start(
        allowed_origins: list[str],
        load_delay: float = 0.0,
        llm: str = "none",
        event_delay: float = 0.0,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> Server:
        port = port or free_port()
        workdir = tmp_path_factory.mktemp("server")  # no stray .env is read from here
        settings = {
            **os.environ,
            **HASHING_ENV,
            "SQA_INDEX_DIR": str(browser_index),
            "SQA_LLM": llm,
            # Hashing vectors are far less similar than e5's: the default bar would abstain.
            "SQA_ANSWER__MIN_SUPPORT": "0.1",
            "SQA_MIN_SUPPORT": "0.1",  # the same setting before it moved into `answer`
            # Hashing vectors choose the quoted sentence by chance: the answer's kind of figure
            # ("Kapan ...?" asks for a time) is checked by the answer tests, not the UI's.
            "SQA_ANSWER__CHECK_FIGURE_KIND": "false",
            "SQA_HOST": "127.0.0.1",
            "SQA_PORT": str(port),
            "SQA_ALLOWED_ORIGINS": ",".join(allowed_origins),
            "SQA_RATE_LIMIT_PER_MINUTE": "100",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "SQA_FEEDBACK__DIR": str(workdir / "data"),
            "SQA_FEEDBACK__READ_TOKEN": FEEDBACK_TOKEN,
            # Each server its own operator's database (the index is shared), questions kept.
            "SQA_OPS__DATABASE_URL": f"sqlite:///{workdir / 'ops.sqlite3'}",
            "SQA_OPS__LOG_QUESTIONS": "true",
            "SQA_OPS__ADMIN_TOKEN": ADMIN_TOKEN,
            # The chat UI's conversation key is made here, not in the tester's ~/.cache.
            "SQA_CHAT_UI__STATE_SECRET_FILE": str(workdir / "ui-state.key"),
            **(env or {}),
        }
        log = workdir / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).with_name("serve_app.py")),
                    str(load_delay),
                    str(event_delay),
                ],
                env=settings,
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(f"http://127.0.0.1:{port}", process, log)
        servers.append(server)
        server.wait_until("loading" if load_delay else "ready")
        return server

    yield start
    for server in servers:
        server.stop()


class Portal:
    """A copy of examples/ served by http.server on its own port, i.e. its own origin; tests
    may write more pages into ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(shutil.copytree(REPO / "examples", folder))
        handler = functools.partial(_QuietHandler, directory=str(self.folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def page_url(self, server: Server) -> str:
        return f"{self.origin}/portal.html?server={server.url}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def portals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Portal, Portal]]:
    """(allowed portal, disallowed portal)."""
    root = tmp_path_factory.mktemp("portals")
    pair = (Portal(root / "allowed"), Portal(root / "stranger"))
    yield pair
    for portal in pair:
        portal.httpd.shutdown()


@pytest.fixture(scope="session")
def server(start_server: Callable[..., Server], portals: tuple[Portal, Portal]) -> Server:
    """The main server: the first portal's origin is allowed, the second's is not."""
    return start_server([portals[0].origin])


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    yield pg
    context.close()
