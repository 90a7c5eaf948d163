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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx2
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.v2.core.function_calls import response_schema
from pydantic import ValidationError

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
    TransportError,
)
from .fields import Answer, build_schema, describe, key_of
from .local_model import LocalServer, resolve_model_path
from .models import SectionKind, Usage
from .prompts import Prompt
from .retry import RetryPolicy, call_with_retries

# instructor logs every failed attempt at ERROR; we handle those failures ourselves (re-ask, keep the best
# attempt, or raise one of our errors), so its log lines would only be noise on the user's terminal.
logging.getLogger("instructor").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Endpoint:
    provider: str  # local | openai
    base_url: str
    api_key: str = field(repr=False)
    model: str  # the name sent in requests
    identity: str  # what the cache key calls this model (a GGUF's file name, or the remote model name)


def open_endpoint(settings: Settings) -> Endpoint:
    """Where model calls go for these settings; starts the embedded server for ``local``."""
    if settings.provider in ("local", "hybrid") and settings.base_url is None:
        path = resolve_model_path(settings.model_path, settings.model)
        if path is None:
            raise ModelUnavailable(
                "no local model found; fetch the default one with `extractor model pull` "
                "(about 490 MB) or pass --model-path FILE.gguf"
            )
        server = LocalServer.shared(path, threads=settings.threads, context_size=settings.context_size)
        return Endpoint("local", server.base_url, "local", _served_name(path), _served_name(path))
    if not settings.base_url:
        raise ConfigError("the openai provider needs --base-url (or EXTRACTOR_BASE_URL)")
    if not settings.model:
        raise ConfigError("the openai provider needs --model (or EXTRACTOR_MODEL)")
    return Endpoint("openai", settings.base_url, settings.api_key or "none", settings.model, settings.model)


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


@dataclass
class AskResult:
    answer: Answer | None
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
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.cache = cache
        self.policy = RetryPolicy(max_retries=settings.max_retries)
        self._sleep = sleep
        self._openai = openai.OpenAI(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            max_retries=0,  # retries are ours (tenacity), classified and capped
            timeout=settings.timeout,
            http_client=http_client,
        )
        # bounds HTTP calls in flight across every worker thread (reports x their sections)
        self._in_flight = threading.BoundedSemaphore(max(1, max_in_flight))

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
        messages = self.messages(prompt, kind, text, codes, lists)
        key = ""
        if self.cache is not None:
            key = cache_key(
                provider=self.endpoint.provider,
                model=self.endpoint.identity,
                prompt_version=prompt.version,
                prompt_text=prompt.sha256,
                schema=schema.model_json_schema(),  # cached per class by fields.Answer
                sampling=self.sampling,
                text=json.dumps(messages, ensure_ascii=False),
            )
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            answer = _parse(schema, hit.content, text, verify=hit.verified)
            usage = Usage(cache_hits=1, prompt_tokens=hit.prompt_tokens, completion_tokens=hit.completion_tokens)
            return AskResult(answer, usage, hit.verified, cached=True, content=hit.content)

        log = _CallLog()
        create = instructor.patch(create=self._recording_create(log), mode=instructor.Mode.JSON_SCHEMA)
        verified = True
        try:
            answer = create(
                response_model=_prepared(schema),
                messages=messages,
                model=self.endpoint.model,
                context={"text": text},
                max_retries=self.settings.max_reasks,
                **self.sampling,
            )
        except InstructorRetryException as e:
            cause = e.__cause__
            if isinstance(cause, TransportError | RequestRejected):
                raise cause from None
            if isinstance(cause, ExtractorError):
                raise cause from None
            answer = _parse(schema, log.last_content, text, verify=False) if log.last_content else None
            verified = False
            if answer is None:
                raise ModelOutputError(
                    f"{kind}: the model's answer stayed invalid after {log.calls} attempt(s)",
                    section=kind,
                    attempts=log.calls,
                    last_output=(log.last_content or "")[:2000],
                ) from None
        except IncompleteOutputException:
            raise ModelOutputError(
                f"{kind}: the model's answer was cut off at the token limit ({self.settings.max_tokens}); "
                "raise --max-tokens",
                section=kind,
                attempts=log.calls,
                last_output=(log.last_content or "")[:2000],
            ) from None
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

    def _recording_create(self, log: _CallLog) -> Callable[..., Any]:
        def create(**kwargs: Any) -> Any:
            def once() -> Any:
                try:
                    with self._in_flight:
                        completion = self._openai.chat.completions.create(**kwargs)
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


@cache
def _prepared(schema: type[Answer]) -> type[Answer]:
    """instructor's wrapper class for a schema, made once: instructor would otherwise build a new class per call."""
    return response_schema(schema)


def _parse(schema: type[Answer], content: str | None, text: str, *, verify: bool) -> Answer | None:
    """Re-validate a stored or last-attempt answer; ``verify`` adds the grounding checks."""
    if not content:
        return None
    try:
        return schema.model_validate_json(content, context={"text": text} if verify else None)
    except ValidationError:
        if verify:
            return _parse(schema, content, text, verify=False)
        return None
