"""A local `milvus-lite server` (Milvus's gRPC protocol, the engine of Milvus Lite) on a free
port, for the evaluation, the benchmarks and the tests that need a real Milvus.

    with MilvusLiteServer(Path("/tmp/milvus-data")) as server:
        settings = Settings(index_backend="milvus", milvus=MilvusSettings(uri=server.uri))
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

BINARY = Path(sys.executable).parent / "milvus-lite"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MilvusLiteServer:
    """Starts `milvus-lite server --data-dir DATA_DIR` and waits until its port answers; its
    output goes to `log` (or is dropped). RuntimeError names why it did not start."""

    def __init__(
        self, data_dir: Path, log: Path | None = None, max_workers: int = 8, timeout_s: float = 60
    ) -> None:
        if not BINARY.exists():
            raise FileNotFoundError(f"{BINARY} is missing: pip install -e . installs milvus-lite")
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [str(BINARY), "server", "--data-dir", str(data_dir), "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--max-workers", str(max_workers)]
        out = log.open("wb") if log is not None else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        finally:
            if log is not None:
                out.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout_s
        try:
            while time.monotonic() < deadline and self.proc.poll() is None:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                        return
                time.sleep(0.2)
        except BaseException:  # Ctrl-C while waiting: the server goes too
            self.stop()
            raise
        self.stop()
        tail = log.read_text(errors="replace")[-2000:] if log is not None else ""
        raise RuntimeError(f"milvus-lite server did not start on port {self.port}: {tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> MilvusLiteServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
