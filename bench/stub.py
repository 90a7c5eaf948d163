"""A minimal OpenAI-compatible stub on loopback that answers every chat completion with ``{}`` after a fixed delay.

Every field of the per-section schemas is optional, so ``{}`` is always a valid answer: the benchmark measures
the pipeline's own scheduling, not a model.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go in two writes; Nagle + delayed ACK would add ~40 ms
    delay = 0.1
    calls = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        time.sleep(self.delay)
        with _Handler.lock:
            _Handler.calls += 1
        body = json.dumps({
            "id": "stub", "object": "chat.completion", "created": 0, "model": "stub",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "{}"}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 2, "total_tokens": 102},
        }).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 refuses connections under a burst of workers
    daemon_threads = True


class Stub:
    def __init__(self, delay: float) -> None:
        _Handler.delay = delay
        _Handler.calls = 0
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @property
    def calls(self) -> int:
        return _Handler.calls

    def close(self) -> None:
        self.server.shutdown()
