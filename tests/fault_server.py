"""A fault-injecting OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

Each request to ``POST …/chat/completions`` takes the next action of a script; when the script is empty the server
answers with its default (valid JSON for any per-section schema: every field is optional, so ``{}`` always fits)::

    with FaultServer() as server:
        server.script(status(429, retry_after=1), status(503), ok('{"proactive_total": "全年主动公开624条"}'))
        client = ModelClient(Endpoint("openai", server.base_url, "sk-test", "m", "m"), settings, sleep=waits.append)
        ...
        server.requests        # every request received, in order: body (parsed), headers, action, answered

Actions: :func:`ok`, :func:`status` (429 with ``Retry-After``, 500, 503, any code), :func:`slow` (answer after a
delay, to exceed the client's timeout), :func:`drop` (close the socket without answering), :func:`not_json`
(200 with a body that is not JSON), :func:`html_error` (a proxy's HTML error page), :func:`length_cut` (an answer
cut off at the token limit: ``finish_reason = "length"``). Every error body carries :data:`ERROR_TEXT` or
:data:`HTML_TEXT`, so a test can check that no API error text ever reaches a later prompt.

As a fixed-delay stub (the concurrency benchmark)::

    with FaultServer(delay=0.05) as server:   # every request answered with "{}" after 50 ms
        ...

``hold_after(n)`` makes every request after the first ``n`` wait unanswered (until :meth:`FaultServer.release`),
so a test can kill a client at a known point: exactly ``n`` answers given. ``rule(text, *actions)`` aims actions at
the requests whose messages contain ``text`` (one report, one section), whatever order concurrent workers ask in.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = [
    "ERROR_TEXT",
    "HTML_TEXT",
    "Action",
    "FaultServer",
    "Recorded",
    "drop",
    "grounded_answer",
    "html_error",
    "length_cut",
    "not_json",
    "ok",
    "slow",
    "status",
    "synthetic_report",
    "trickle",
]

# Distinctive text in every error body the server sends: it must never show up in a later request's messages.
ERROR_TEXT = "FAULT-SERVER upstream exploded (request id req-7f3a)"
HTML_TEXT = "<h1>502 Bad Gateway</h1><hr><center>nginx FAULT-PROXY</center>"

Content = str | Callable[[dict[str, Any]], str]  # a fixed answer, or one computed from the request body
Kind = Literal["ok", "status", "slow", "drop", "not_json", "html_error", "length_cut", "trickle"]


@dataclass(frozen=True)
class Action:
    """What the server does with one request."""

    kind: Kind
    content: Content = "{}"
    code: int = 200
    retry_after: float | None = None
    seconds: float = 0.0


def ok(content: Content = "{}") -> Action:
    """A normal answer whose message content is ``content`` (a string, or a function of the request body)."""
    return Action("ok", content=content)


def status(code: int, *, retry_after: float | None = None) -> Action:
    """An API error: JSON error body with :data:`ERROR_TEXT`, and a ``Retry-After`` header when given."""
    return Action("status", code=code, retry_after=retry_after)


def slow(seconds: float, content: Content = "{}") -> Action:
    """A normal answer sent only after ``seconds`` (set the client's timeout below it)."""
    return Action("slow", content=content, seconds=seconds)


def trickle(interval: float, content: Content = "{}") -> Action:
    """Headers at once, then the body one byte every ``interval`` seconds: each read is quick, the whole is not."""
    return Action("trickle", content=content, seconds=interval)


def drop() -> Action:
    """Close the connection without sending a byte."""
    return Action("drop")


def not_json() -> Action:
    """HTTP 200, ``application/json``, and a body that is not JSON."""
    return Action("not_json")


def html_error(code: int = 502) -> Action:
    """A reverse proxy's HTML error page, with ``text/html``."""
    return Action("html_error", code=code)


def length_cut(partial: str = '{"proactive_total": "全年主动公开政府信息') -> Action:
    """An answer cut off at the token limit: the partial content and ``finish_reason = "length"``."""
    return Action("length_cut", content=partial)


@dataclass
class Recorded:
    """One request as the server saw it."""

    index: int
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it was not JSON
    action: str
    answered: bool = False  # the whole response was written (False for drops, holds, and clients gone away)
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def prompt(self) -> str:
        """All message contents, joined: what the model would read."""
        return _prompt_of(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 refuses connections when many workers start at once


class FaultServer:
    """An OpenAI-compatible server on 127.0.0.1 (a free port), scripted per request. Use it as a context manager."""

    def __init__(self, *, delay: float = 0.0, answer: Content = "{}") -> None:
        self.delay = delay  # seconds before every answer (the fixed-delay stub)
        self.answer = answer  # the default answer when the script is empty
        self.requests: list[Recorded] = []
        self._script: deque[Action] = deque()
        self._rules: list[tuple[str, deque[Action]]] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._hold_after: int | None = None
        self._held = 0
        self._release = threading.Event()
        self._closing = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fault-server", daemon=True
        )

    # -- lifecycle

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- scripting

    def script(self, *actions: Action) -> None:
        """Queue actions for the next requests, in order."""
        with self._lock:
            self._script.extend(actions)

    def rule(self, contains: str, *actions: Action) -> None:
        """Queue actions for the next requests whose messages contain ``contains`` (checked before the script),
        so a test can aim faults at one report or section whatever order concurrent workers ask in."""
        with self._lock:
            self._rules.append((contains, deque(actions)))

    def hold_after(self, n: int) -> None:
        """Answer the first ``n`` requests; hold every later one unanswered until :meth:`release`."""
        with self._lock:
            self._hold_after = n

    def release(self) -> None:
        """Let held requests go (their connections are closed without an answer) and stop holding new ones."""
        with self._lock:
            self._hold_after = None
        self._release.set()

    def wait_held(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` requests are being held; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._held < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    # -- what was asked

    @property
    def answered(self) -> list[Recorded]:
        return [r for r in self.requests if r.answered]

    def prompts(self) -> list[str]:
        return [r.prompt for r in self.requests]

    # -- internals, called by the handler

    def _next(self, path: str, headers: dict[str, str], body: Any) -> tuple[Recorded, Action | None]:
        with self._lock:
            index = len(self.requests)
            text = _prompt_of(body)
            queue = next((q for needle, q in self._rules if q and needle in text), None)
            if self._hold_after is not None and index >= self._hold_after:
                action: Action | None = None
            elif queue is not None:
                action = queue.popleft()
            elif self._script:
                action = self._script.popleft()
            else:
                action = Action("slow", content=self.answer, seconds=self.delay) if self.delay else ok(self.answer)
            rec = Recorded(index, path, headers, body, action.kind if action else "hold")
            self.requests.append(rec)
            return rec, action

    def _hold(self) -> None:
        with self._changed:
            self._held += 1
            self._changed.notify_all()
        self._release.wait()

    def _pause(self, seconds: float) -> None:
        self._closing.wait(seconds)


# ---------------------------------------------------------------------------------------------------------------
# Synthetic reports, and a "model" that answers them by copying the right phrase


def synthetic_report(i: int, sections: int = 6) -> str:
    """A small pre-2019 report whose first ``sections`` (1-6) sections each hold figures unique to ``i`` (so no two
    reports share a section text, nor a cache entry)."""
    body = [
        f"一、概述\n2016年，第{i}局认真贯彻《中华人民共和国政府信息公开条例》，做好政府信息主动公开工作。",
        f"二、主动公开政府信息情况\n全年主动公开政府信息{600 + i}条，其中通过政府网站公开{500 + i}条。",
        f"三、依申请公开情况\n共收到信息公开申请{10 + i}宗，其中网上申请{i}宗，均已按时答复。",
        f"四、咨询处理情况\n全年接受公众咨询{30 + i}人次。",
        f"五、复议、诉讼情况\n第{i}局全年发生行政复议{i % 5}件，行政诉讼{i % 3}件。",
        f"六、存在的主要问题及改进措施\n一是第{i}局公开内容不够全面。二是将进一步加强培训。",
    ]
    return "\n".join([f"某县第{i}局2016年政府信息公开工作年度报告", *body[:sections]]) + "\n"


# The phrase a careful model would copy for each key, in the synthetic reports.
QUOTES: dict[str, str] = {
    "proactive_total": r"全年主动公开政府信息\d+条",
    "requests_received": r"共收到信息公开申请\d+宗",
    "consult_total": r"全年接受公众咨询\d+人次",
}


def grounded_answer(body: Any) -> str:
    """An answer for any per-section schema: the verbatim phrase for each asked key found in the section (see
    :data:`QUOTES`), nothing else. Valid and grounded, so it is never re-asked."""
    if not isinstance(body, dict):
        return "{}"
    schema = body.get("response_format", {}).get("json_schema", {}).get("schema", {})
    text = next((str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user"), "")
    for marker in ("报告片段：", "文本："):  # where the section text starts, in prompts v2 and v1
        if marker in text:
            text = text.rsplit(marker, 1)[-1]
            break
    answer = {}
    for key in schema.get("properties", {}):
        match = re.search(QUOTES[key], text) if key in QUOTES else None
        if match:
            answer[key] = match.group()
    return json.dumps(answer, ensure_ascii=False)


def _prompt_of(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []) if isinstance(m, dict))


def _completion(body: Any, content: str, finish_reason: str = "stop") -> bytes:
    model = body.get("model", "stub") if isinstance(body, dict) else "stub"
    prompt_tokens = len(json.dumps(body, ensure_ascii=False)) // 4 if body is not None else 0
    payload = {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": max(1, len(content) // 2),
            "total_tokens": prompt_tokens + max(1, len(content) // 2),
        },
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _handler_for(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do; a drop then breaks a reused connection
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw
            headers = {k.lower(): v for k, v in self.headers.items()}
            rec, action = server._next(self.path, headers, body)
            try:
                rec.answered = self._act(action, body)
            except OSError:  # the client went away (timed out, or was killed): nothing to answer
                rec.answered = False

        def _act(self, action: Action | None, body: Any) -> bool:
            if action is None:
                server._hold()
                return self._drop()
            kind = action.kind
            if kind == "drop":
                return self._drop()
            if kind == "status":
                extra = {"Retry-After": _num(action.retry_after)} if action.retry_after is not None else {}
                error = {"error": {"message": ERROR_TEXT, "type": "server_error", "code": action.code}}
                return self._send(action.code, json.dumps(error).encode(), extra)
            if kind == "not_json":
                return self._send(200, f"upstream said: {ERROR_TEXT} <<not json".encode())
            if kind == "html_error":
                page = f"<html><head><title>Bad Gateway</title></head><body>{HTML_TEXT}</body></html>"
                return self._send(action.code, page.encode(), content_type="text/html")
            content = action.content(body) if callable(action.content) else action.content
            if kind == "length_cut":
                return self._send(200, _completion(body, content, finish_reason="length"))
            if kind == "slow":
                server._pause(action.seconds)
            if kind == "trickle":
                return self._trickle(_completion(body, content), action.seconds)
            return self._send(200, _completion(body, content))

        def _trickle(self, payload: bytes, interval: float) -> bool:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            for i in range(len(payload)):
                self.wfile.write(payload[i : i + 1])
                self.wfile.flush()
                time.sleep(interval)
            return True

        def _send(
            self, code: int, payload: bytes, extra: dict[str, str] | None = None, content_type: str = "application/json"
        ) -> bool:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            return True

        def _drop(self) -> bool:
            self.close_connection = True
            return False

    return Handler


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
