"""The model edge: the only module that imports ``openai`` and ``instructor``.

One :class:`ModelClient` per run talks to any OpenAI-compatible endpoint (the embedded llama.cpp server included)
through instructor in JSON-schema mode. Three loops, kept apart:

* transport retries (tenacity, :mod:`extractor.retry`) around each HTTP call: 429/5xx/timeouts/drops;
* validation re-asks (instructor) when the answer is not grounded in the section text;
* the response cache (:mod:`extractor.cache`) in front of both.

Errors of openai, instructor and httpx are translated here, once, into :mod:`extractor.errors`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.v2.core.function_calls import response_schema
from pydantic import BaseModel, ValidationError

from .cache import CachedAnswer, ResponseCache, cache_key
from .config import Settings
from .errors import (
    CassetteMissing,
    ConfigError,
    ConnectionFailed,
    EndpointTimeout,
    ExtractorError,
    ModelOutputError,
    ModelUnavailable,
    RateLimited,
    RequestRejected,
    ServerError,
)
from .fields import BlockAnswer, TableBlock, build_block_schema, build_schema, describe, key_of
from .local_model import LocalServer, resolve_model_path
from .models import SectionKind, Usage
from .prompts import Prompt
from .retry import RetryPolicy, call_with_retries

# instructor logs every failed attempt at ERROR; we handle those failures ourselves (re-ask, keep the best
# attempt, or raise one of our errors), so its log lines would only be noise on the user's terminal.
logging.getLogger("instructor").setLevel(logging.CRITICAL)

_E = TypeVar("_E", bound=BaseException)
_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class Endpoint:
    provider: str  # local | openai
    base_url: str
    api_key: str = field(repr=False)
    model: str  # the name sent in requests
    identity: str  # what the cache key calls this model (a GGUF's file name, or the remote model name)


def open_endpoint(settings: Settings) -> Endpoint:
    """Where model calls go for these settings; starts the embedded server for ``local``."""
    route = settings.route
    if route.local:
        path = resolve_model_path(settings.model_path, settings.model)
        if path is None:
            raise ModelUnavailable(
                "no local model found; fetch the default one with `extractor model pull` "
                "(about 490 MB) or pass --model-path FILE.gguf"
            )
        server = LocalServer.shared(path, threads=settings.threads, context_size=settings.context_size)
        return Endpoint("local", server.base_url, "local", _served_name(path), _served_name(path))
    if not route.endpoint:
        raise ConfigError("a remote endpoint needs its URL: --endpoint URL (or --base-url, EXTRACTOR_ENDPOINT)")
    if not settings.model:
        raise ConfigError("a remote endpoint needs --model (or EXTRACTOR_MODEL)")
    return Endpoint("openai", route.endpoint, settings.api_key or "none", settings.model, settings.model)


def _served_name(path: Path) -> str:
    return path.name


def translate(exc: BaseException) -> ExtractorError:
    """Map an openai/httpx failure to the project's error tree (the one place this happens)."""
    if isinstance(exc, ExtractorError):
        return exc
    if _from_cassette_miss(exc):
        return CassetteMissing("(the active cassette)", "extractor eval --record")
    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
        return EndpointTimeout("the model endpoint did not answer in time")
    if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        return ConnectionFailed("could not reach the model endpoint (connection refused or dropped)")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            return RateLimited("rate limited by the model endpoint (429)", status=429, retry_after=_retry_after(exc))
        if status >= 500:
            return ServerError(f"the model endpoint failed with HTTP {status}", status=status)
        hint = {401: "check the API key", 403: "check the API key", 404: "check --base-url and --model"}
        return RequestRejected(
            f"the model endpoint rejected the request (HTTP {status}; {hint.get(status, 'see its docs')})",
            status=status,
        )
    if isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError):
        return ServerError("the model endpoint answered with a body that is not the API's JSON")
    return ServerError(f"unexpected failure talking to the model endpoint ({type(exc).__name__})")


def _from_cassette_miss(exc: BaseException | None) -> bool:
    """A vcrpy replay found no recorded answer (checked by name: this module does not depend on vcrpy)."""
    seen = 0
    while exc is not None and seen < 10:
        if type(exc).__name__ == "CannotOverwriteExistingCassetteException":
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class _DeadlineStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, deadline: float, request: httpx2.Request) -> None:
        self._inner, self._deadline, self._request = inner, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise httpx2.ReadTimeout("the answer took longer than the call's time limit", request=self._request)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx2.BaseTransport):
    """A transport whose calls end ``seconds`` after they start, however slowly the body trickles in."""

    def __init__(self, inner: httpx2.BaseTransport, seconds: float) -> None:
        self._inner, self._seconds = inner, seconds

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = time.monotonic() + self._seconds
        response = self._inner.handle_request(request)
        if time.monotonic() > deadline:
            response.close()
            raise httpx2.ReadTimeout("the answer took longer than the call's time limit", request=request)
        stream = response.stream
        assert isinstance(stream, httpx2.SyncByteStream)
        response.stream = _DeadlineStream(stream, deadline, request)
        return response

    def close(self) -> None:
        self._inner.close()


@dataclass
class AskResult:
    answer: Any  # an Answer (a section), a BlockAnswer (a table block), or None
    usage: Usage
    verified: bool
    cached: bool
    content: str | None = None


@dataclass
class _CallLog:
    """What one ask's HTTP calls cost; filled by the patched create function."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    last_content: str | None = None


class ModelClient:
    """Asks one endpoint for one section at a time; thread-safe (one instance serves all workers)."""

    def __init__(
        self,
        endpoint: Endpoint,
        settings: Settings,
        *,
        cache: ResponseCache | None = None,
        http_client: httpx2.Client | None = None,
        sleep: Callable[[float], None] | None = None,
        max_in_flight: int = 1,
        in_flight: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.cache = cache
        self.policy = RetryPolicy(max_retries=settings.max_retries)
        self._sleep = sleep
        if http_client is None:
            # --timeout bounds the whole call: httpx's timeouts are per read, and an endpoint that trickles a byte
            # a second would otherwise keep a call alive forever
            http_client = openai.DefaultHttpxClient(
                transport=DeadlineTransport(httpx2.HTTPTransport(), settings.timeout)
            )
        self._openai = openai.OpenAI(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            max_retries=0,  # retries are ours (tenacity), classified and capped
            timeout=settings.timeout,
            http_client=http_client,
        )
        # bounds HTTP calls in flight across every worker thread (reports x their sections); ``in_flight`` replaces
        # it with one shared wider (a Dask cluster's semaphore for this endpoint, across its workers)
        self._in_flight: AbstractContextManager[Any] = (
            in_flight if in_flight is not None else threading.BoundedSemaphore(max(1, max_in_flight))
        )
        self._count_lock = threading.Lock()
        self.calls_in_flight = 0  # HTTP calls under way now (the progress bar shows it)

    @property
    def sampling(self) -> dict[str, Any]:
        return {
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
            "seed": self.settings.seed,
        }

    def messages(
        self, prompt: Prompt, kind: SectionKind, text: str, codes: list[str], lists: bool
    ) -> list[dict[str, str]]:
        if lists and not codes:
            user = prompt.render_list(text)
        else:
            fields = "\n".join(f"- {key_of(c)}: {describe(c)}" for c in codes)
            user = prompt.render(kind, fields=fields, text=text)
        return [{"role": "system", "content": prompt.system}, {"role": "user", "content": user}]

    def ask(self, prompt: Prompt, kind: SectionKind, text: str, codes: list[str], *, lists: bool = False) -> AskResult:
        """Ask for ``codes`` (and the problem lists) in one section's text. Never returns an unvalidated answer
        as verified; when re-asks run out, the best attempt comes back with ``verified=False``."""
        schema = build_schema(kind, codes, lists=lists)
        return self._ask(schema, self.messages(prompt, kind, text, codes, lists), text, kind, prompt)

    def ask_block(
        self,
        prompt: Prompt,
        block: TableBlock,
        text: str,
        check: Callable[[BlockAnswer], list[str]],
    ) -> AskResult:
        """Ask for the cells of one table block in ``text``. ``check`` names what an answer breaks (the
        identities through its cells, each with its cells and values): a broken one is re-asked with those words,
        and an answer that still breaks one comes back with ``verified=False``."""
        if not prompt.table_user:
            raise ConfigError(f"prompt {prompt.version} has no table_user text; table asks need one")
        schema = build_block_schema(block.columns, block.labels)
        columns = "\n".join(f"- {c}: {label}" for c, label in zip(block.columns, block.labels, strict=True))
        user = prompt.render_table(table=block.title, columns=columns, text=text)
        messages = [{"role": "system", "content": prompt.system}, {"role": "user", "content": user}]
        return self._ask(schema, messages, text, block.title, prompt, check=check)

    def _ask(
        self,
        schema: type[BaseModel],
        messages: list[dict[str, str]],
        text: str,
        what: str,
        prompt: Prompt,
        check: Callable[[Any], list[str]] | None = None,
    ) -> AskResult:
        """One question and its re-asks: an answer that fails validation (or ``check``) is re-asked with the
        problems in this project's words, up to ``max_reasks`` times."""
        key = ""
        if self.cache is not None:
            key = cache_key(
                provider=self.endpoint.provider,
                endpoint="" if self.endpoint.provider == "local" else self.endpoint.base_url,
                model=self.endpoint.identity,
                prompt_version=prompt.version,
                prompt_text=prompt.sha256,
                schema=schema.model_json_schema(),  # cached per class by fields.Answer
                sampling=self.sampling,
                text=json.dumps(messages, ensure_ascii=False),
            )
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            usage = Usage(cache_hits=1, prompt_tokens=hit.prompt_tokens, completion_tokens=hit.completion_tokens)
            cached = _parse(schema, hit.content, text, verify=hit.verified)
            return AskResult(cached, usage, hit.verified, cached=True, content=hit.content)

        log = _CallLog()
        create = instructor.patch(create=self._recording_create(log), mode=instructor.Mode.JSON_SCHEMA)
        # The re-ask loop is ours, not instructor's: the text the model is shown after a failed answer is written
        # here from the validation errors (field and reason), so no library's wording, URL or version reaches a
        # request, a cassette or the cache.
        conversation = list(messages)
        answer: Any = None
        verified = False
        for attempt in range(self.settings.max_reasks + 1):
            problems: list[str] = []
            try:
                parsed = create(
                    response_model=_prepared(schema),
                    messages=conversation,
                    model=self.endpoint.model,
                    max_retries=0,  # one attempt: re-asks are made by this loop
                    **self.sampling,
                )
            except InstructorRetryException as e:
                cause = _first_cause(e, ExtractorError)
                if cause is not None:
                    raise cause from None
                problems = reask_problems(_first_cause(e, ValidationError))
            except IncompleteOutputException:
                raise ModelOutputError(
                    f"{what}: the model's answer was cut off at the token limit ({self.settings.max_tokens}); "
                    "raise --max-tokens",
                    section=what,
                    attempts=log.calls,
                    last_output=(log.last_content or "")[:2000],
                ) from None
            else:
                try:
                    answer = schema.model_validate(parsed.model_dump(), context={"text": text})
                except ValidationError as e:
                    problems = reask_problems(e)
                else:
                    problems = check(answer) if check is not None else []
                    if not problems:
                        verified = True
                        break
            if attempt < self.settings.max_reasks:
                conversation += [
                    {"role": "assistant", "content": log.last_content or ""},
                    {"role": "user", "content": reask_message(problems)},
                ]
        if not verified and answer is None:
            answer = _parse(schema, log.last_content, text, verify=False) if log.last_content else None
            if answer is None:
                raise ModelOutputError(
                    f"{what}: the model's answer stayed invalid after {log.calls} attempt(s)",
                    section=what,
                    attempts=log.calls,
                    last_output=(log.last_content or "")[:2000],
                )
        usage = Usage(
            model_calls=log.calls,
            prompt_tokens=log.prompt_tokens,
            completion_tokens=log.completion_tokens,
            reasks=max(log.calls - 1, 0),
        )
        content = answer.model_dump_json() if answer is not None else None
        if self.cache is not None and content is not None:
            self.cache.put(key, CachedAnswer(content, log.prompt_tokens, log.completion_tokens, log.calls, verified))
        return AskResult(answer, usage, verified, cached=False, content=content)

    def _counted(self, step: int) -> None:
        with self._count_lock:
            self.calls_in_flight += step

    def _recording_create(self, log: _CallLog) -> Callable[..., Any]:
        def create(**kwargs: Any) -> Any:
            def once() -> Any:
                try:
                    with self._in_flight:
                        self._counted(+1)
                        try:
                            completion = self._openai.chat.completions.create(**kwargs)
                        finally:
                            self._counted(-1)
                except Exception as e:  # translated once, here
                    raise translate(e) from e
                try:
                    completion.choices[0].message  # noqa: B018  (a 200 from a proxy may be an HTML page)
                except (AttributeError, IndexError, TypeError):
                    raise ServerError("the model endpoint answered without a message") from None
                return completion

            completion = call_with_retries(once, self.policy, sleep=self._sleep)
            log.calls += 1
            usage = getattr(completion, "usage", None)
            if usage is not None:
                log.prompt_tokens += int(usage.prompt_tokens or 0)
                log.completion_tokens += int(usage.completion_tokens or 0)
            log.last_content = completion.choices[0].message.content
            return completion

        return create


_REASK_LEAD = "上一次的回答有以下问题，请改正后只输出 JSON 对象："
# Reasons for pydantic's error types (stable identifiers across pydantic 2.x), in this project's words.
_REASONS = {
    "json_invalid": "回答不是合法的 JSON",
    "json_type": "回答不是 JSON 对象",
    "model_type": "回答不是 JSON 对象",
    "model_attributes_type": "回答不是 JSON 对象",
    "dict_type": "回答不是 JSON 对象",
    "missing": "缺少该字段",
    "extra_forbidden": "不是要求的字段，请删去",
    "string_type": "应为原文片段（字符串）或 null",
    "list_type": "应为字符串列表",
}


def reask_problems(error: ValidationError | None) -> list[str]:
    """One line per problem of a failed answer: ``field: reason``, written by this project.

    The grounding validator's own reasons (:class:`~extractor.fields.Answer`) are taken as they are; every other
    error is described from its type and field, never from the library's message text."""
    if error is None:
        return ["回答不是符合要求的 JSON 对象"]
    problems: list[str] = []
    for err in error.errors(include_url=False):
        if err["type"] == "value_error" and "error" in err.get("ctx", {}):
            problems.extend(p for p in str(err["ctx"]["error"]).split("；") if p)
            continue
        reason = _REASONS.get(err["type"], "取值不符合要求")
        field = ".".join(str(p) for p in err["loc"] if p != "__root__")
        problems.append(f"{field}: {reason}" if field else reason)
    return problems or ["回答不是符合要求的 JSON 对象"]


def reask_message(problems: list[str]) -> str:
    return "\n".join([_REASK_LEAD, *(f"- {p}" for p in problems)])


def _first_cause(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of ``kind`` in ``exc``'s cause chain or instructor's list of failed attempts."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc.__cause__, exc.__context__]
    todo += [getattr(a, "exception", None) for a in reversed(getattr(exc, "failed_attempts", None) or [])]
    while todo and len(seen) < 50:
        e = todo.pop(0)
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        if isinstance(e, kind):
            return e
        todo += [e.__cause__, e.__context__]
    return None


@cache
def _prepared(schema: type[_M]) -> type[_M]:
    """instructor's wrapper class for a schema, made once: instructor would otherwise build a new class per call."""
    return response_schema(schema)


def _parse(schema: type[_M], content: str | None, text: str, *, verify: bool) -> _M | None:
    """Re-validate a stored or last-attempt answer; ``verify`` adds the grounding checks."""
    if not content:
        return None
    try:
        return schema.model_validate_json(content, context={"text": text} if verify else None)
    except ValidationError:
        if verify:
            return _parse(schema, content, text, verify=False)
        return None
