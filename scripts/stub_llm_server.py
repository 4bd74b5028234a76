"""A tiny OpenAI-compatible chat server for tests and load tests of the model-server pool: it
stands in for llama-server, vLLM or Ollama where their speed is not what is measured.

    python scripts/stub_llm_server.py --port 8101 --name a --token-delay 0.02 --slots 2

GET /v1/models lists one model; POST /v1/chat/completions answers (streamed as server-sent
events when asked) with the first sentence of the last passage numbered [1] in the prompt, or
a fixed sentence, one word per ``--token-delay`` seconds, at most ``--slots`` answers at once
(more wait, as on llama-server's parallel slots); GET /stats counts requests. No model.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The prompt's first passage: "[1] (location) Its text. ..." at the start of a line.
_PASSAGE = re.compile(r"^\[1\] \([^)\n]*\) (.+?[.!?])(?:\s|$)", re.M)


class _Stub(BaseHTTPRequestHandler):
    name = "stub"
    token_delay = 0.0
    served = 0
    lock = threading.Lock()
    slots = threading.BoundedSemaphore(1_000)

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
        elif self.path == "/stats":
            self._json(200, {"name": self.name, "served": type(self).served})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        with self.slots:
            self._answer()

    def _answer(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), 4 << 20)
        request = json.loads(self.rfile.read(length) or b"{}")
        with self.lock:
            type(self).served += 1
        prompt = "\n".join(str(m.get("content", "")) for m in request.get("messages", []))
        found = _PASSAGE.search(prompt)
        answer = (found.group(1).strip() if found else "The passages say so.") + " [1]"
        words = re.findall(r"\S+\s*", answer)
        if not request.get("stream"):
            time.sleep(self.token_delay * len(words))
            self._json(
                200,
                {
                    "id": "stub",
                    "object": "chat.completion",
                    "model": "stub",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                },
            )
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i, word in enumerate([*words, None]):
            delta = {"content": word} if word is not None else {}
            chunk = {
                "id": "stub",
                "object": "chat.completion.chunk",
                "model": "stub",
                "choices": [
                    {"index": 0, "delta": delta, "finish_reason": None if word else "stop"}
                ],
            }
            if i:
                time.sleep(self.token_delay)
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", default="stub")
    parser.add_argument("--token-delay", type=float, default=0.0)
    parser.add_argument("--slots", type=int, default=1_000, help="answers at once")
    args = parser.parse_args()
    handler = type(
        "Handler",
        (_Stub,),
        {
            "name": args.name,
            "token_delay": args.token_delay,
            "slots": threading.BoundedSemaphore(args.slots),
        },
    )
    server = ThreadingHTTPServer((args.host, args.port), handler)
    server.daemon_threads = True
    print(f"stub model server {args.name} on {args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
