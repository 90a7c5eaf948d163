"""Cassettes: record the model's HTTP answers once with the live local model, replay them offline forever.

Cassettes are JSON files under ``cassettes/<config>/<report>.json`` with request and response bodies stored parsed
(readable, UTF-8) and with volatile and secret headers dropped. Replay matches on method, path and what this
project writes into a request body: the messages (prompt, section text, and the re-ask text, which is ours too),
the model name, the sampling settings and the schema's field names. The JSON Schema text itself is left out of the
match, because pydantic and instructor render it and may word it differently from one version to the next. A
changed prompt, schema or section text misses the cassette; that miss raises
:class:`~extractor.errors.CassetteMissing` naming the file and the command that re-records it — it never falls
through to a real model call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .config import Route, resolve
from .engine import Engine, make_engine
from .errors import CassetteMissing
from .local_model import MODELS

if TYPE_CHECKING:  # vcrpy is imported when a cassette is used: it patches HTTP libraries and costs ~0.4 s
    import vcr
    from vcr.request import Request

Mode = Literal["replay", "record", "live"]
RERECORD = "extractor eval --record"
_REPLAY_URL = "http://127.0.0.1:9/v1"  # the discard port: a request that escapes the cassette fails at once
_KEEP_RESPONSE_HEADERS = {"content-type"}


def _canonical(body: Any) -> Any:
    if body is None:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return body


# Body keys that carry the response schema as a library renders it; only its field names are matched.
_SCHEMA_KEYS = ("response_format", "tools", "tool_choice", "functions", "function_call")


def request_key(body: Any) -> Any:
    """What replay matches a request body on: everything this project controls, nothing a library words."""
    data = _canonical(body)
    if not isinstance(data, dict):
        return data
    key = {k: v for k, v in data.items() if k not in _SCHEMA_KEYS}
    key["schema_fields"] = sorted(_fields([data.get(k) for k in _SCHEMA_KEYS]).items())
    return key


def _fields(node: Any) -> dict[str, str | None]:
    """Every property declared anywhere in a JSON Schema (or a list/dict holding schemas) with its description,
    the two parts of a schema this project writes."""
    found: dict[str, str | None] = {}
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, spec in props.items():
                described = spec.get("description") if isinstance(spec, dict) else None
                found[name] = described if isinstance(described, str) else None
        for value in node.values():
            found |= _fields(value)
    elif isinstance(node, list):
        for value in node:
            found |= _fields(value)
    return found


def _json_body(r1: Request, r2: Request) -> None:
    if request_key(r1.body) != request_key(r2.body):
        raise AssertionError("request bodies differ")


def _scrub_request(request: Request) -> Request:
    request.headers = {}
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = {k: v for k, v in response.get("headers", {}).items() if k.lower() in _KEEP_RESPONSE_HEADERS}
    return response


class _ReadableJson:
    """vcrpy serializer storing bodies as parsed JSON (no \\uXXXX escapes), so cassette diffs are reviewable."""

    @staticmethod
    def serialize(cassette: dict[str, Any]) -> str:
        out = []
        for item in cassette["interactions"]:
            req, resp = dict(item["request"]), dict(item["response"])
            req["body"] = _canonical(req.get("body"))
            body = dict(resp.get("body", {}))
            body["string"] = _canonical(body.get("string"))
            resp["body"] = body
            out.append({"request": req, "response": resp})
        return json.dumps({"version": cassette.get("version", 1), "interactions": out}, ensure_ascii=False, indent=1)

    @staticmethod
    def deserialize(text: str) -> dict[str, Any]:
        data = json.loads(text)
        for item in data["interactions"]:
            req, resp = item["request"], item["response"]
            if req.get("body") is not None and not isinstance(req["body"], str):
                req["body"] = json.dumps(req["body"], ensure_ascii=False)
            string = resp["body"].get("string")
            if string is not None and not isinstance(string, str):
                string = json.dumps(string, ensure_ascii=False)
            resp["body"]["string"] = (string or "").encode("utf-8")
        return data  # type: ignore[no-any-return]


def _recorder(mode: Mode) -> vcr.VCR:
    import vcr

    recorder = vcr.VCR(
        serializer="readable_json",
        record_mode="all" if mode == "record" else "none",
        match_on=["method", "path", "json_body"],
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
    recorder.register_serializer("readable_json", _ReadableJson)
    recorder.register_matcher("json_body", _json_body)
    return recorder


def cassette_path(root: Path, config: str, report: str) -> Path:
    return root / config / f"{report}.json"


@contextmanager
def session(provider: str, model: str, prompt: str, cassette: Path | None, mode: Mode = "replay") -> Iterator[Engine]:
    """An engine whose model traffic is replayed from (or recorded to) ``cassette``.

    ``replay`` needs no model on disk; ``record`` and ``live`` run the local model (``model`` is a known local
    model name). The response cache is off inside a session so every ask is an HTTP exchange.
    """
    route = Route.of(provider)  # type: ignore[arg-type]  # eval configurations are named by the old labels
    if route.engine == "rules":
        yield Engine("rules")
        return
    spec = MODELS.get(model)
    served = spec.filename if spec else model
    if mode == "replay":
        if cassette is None or not cassette.is_file():
            raise CassetteMissing(cassette or Path("?"), RERECORD)
        settings = resolve(engine=route.engine, endpoint=_REPLAY_URL, api_key="replay", model=served, prompt=prompt,
                           cache=False, max_retries=0)  # fmt: skip
        engine = make_engine(settings)
        engine.provider = provider  # the engine behaves as the recorded provider; only the transport differs
    else:
        settings = resolve(provider=provider, model=model, prompt=prompt, cache=False)
        engine = make_engine(settings)
    if mode == "live" or cassette is None:
        yield engine
        return
    cassette.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _recorder(mode).use_cassette(str(cassette)):
            yield engine
    except CassetteMissing as e:
        raise CassetteMissing(cassette, RERECORD) from e
    if mode == "record" and not cassette.exists():
        # vcrpy writes nothing for a report that made no model call (hybrid: the rules read everything);
        # an empty cassette records that fact, so replay does not mistake it for a missing recording
        cassette.write_text(_ReadableJson.serialize({"version": 1, "interactions": []}), encoding="utf-8")
