"""Retry classification and backoff, as tables."""

from __future__ import annotations

import httpx2 as httpx
import openai
import pytest

from extractor.errors import (
    ConnectionFailed,
    EndpointTimeout,
    ModelOutputError,
    RateLimited,
    RequestRejected,
    ServerError,
)
from extractor.llm import translate
from extractor.retry import RetryPolicy, call_with_retries, is_retryable


def _status(code: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(code, headers=headers or {}, request=request, json={"error": {"message": "x"}})
    cls = {
        429: openai.RateLimitError,
        400: openai.BadRequestError,
        401: openai.AuthenticationError,
        404: openai.NotFoundError,
        500: openai.InternalServerError,
    }.get(code, openai.APIStatusError)
    return cls("boom", response=response, body=None)


REQ = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
CASES = [
    ("429", _status(429), RateLimited, True),
    ("429-retry-after", _status(429, {"retry-after": "7"}), RateLimited, True),
    ("500", _status(500), ServerError, True),
    ("502", _status(502), ServerError, True),
    ("503", _status(503), ServerError, True),
    ("timeout", openai.APITimeoutError(request=REQ), EndpointTimeout, True),
    ("connection", openai.APIConnectionError(request=REQ), ConnectionFailed, True),
    ("httpx-read-timeout", httpx.ReadTimeout("slow"), EndpointTimeout, True),
    ("httpx-remote-closed", httpx.RemoteProtocolError("dropped"), ConnectionFailed, True),
    ("400", _status(400), RequestRejected, False),
    ("401", _status(401), RequestRejected, False),
    ("404", _status(404), RequestRejected, False),
    ("not-json", openai.APIResponseValidationError(httpx.Response(200, request=REQ), body="<html>"), ServerError, True),
    ("validation-exhausted", ModelOutputError("invalid"), ModelOutputError, False),
]


@pytest.mark.parametrize(("name", "raised", "expected", "retry"), CASES, ids=[c[0] for c in CASES])
def test_classification(name: str, raised: BaseException, expected: type, retry: bool) -> None:
    mapped = translate(raised)
    assert type(mapped) is expected
    assert is_retryable(mapped) is retry


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(max_retries=3, base_delay=1, max_delay=30)
    assert policy.delay(1, translate(_status(429, {"retry-after": "7"}))) == 7
    assert policy.delay(1, translate(_status(429, {"retry-after": "600"}))) == 30


def test_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    policy = RetryPolicy(max_retries=6, base_delay=1, max_delay=10, jitter=0.25)
    delays = [policy.delay(n, ServerError("x")) for n in range(1, 7)]
    for n, d in enumerate(delays, start=1):
        base = min(2 ** (n - 1), 10)
        assert base * 0.75 <= d <= min(base * 1.25, 10)


def test_retries_stop_at_the_cap_and_reraise() -> None:
    calls: list[int] = []
    waits: list[float] = []

    def always_503() -> None:
        calls.append(1)
        raise ServerError("503", status=503)

    with pytest.raises(ServerError):
        call_with_retries(always_503, RetryPolicy(max_retries=3, base_delay=0.01), sleep=waits.append)
    assert len(calls) == 4 and len(waits) == 3


def test_non_retryable_fails_at_once() -> None:
    calls: list[int] = []

    def rejected() -> None:
        calls.append(1)
        raise RequestRejected("401", status=401)

    with pytest.raises(RequestRejected):
        call_with_retries(rejected, RetryPolicy(max_retries=5), sleep=lambda s: None)
    assert len(calls) == 1


def test_success_after_transient_failures() -> None:
    outcomes: list[BaseException | str] = [RateLimited("429", retry_after=0), ConnectionFailed("drop"), "ok"]

    def flaky() -> str:
        item = outcomes.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    assert call_with_retries(flaky, RetryPolicy(max_retries=4, base_delay=0), sleep=lambda s: None) == "ok"
