"""Transport retries as data: which failures are retried, how long to wait, when to stop.

Only transport failures are retried here (429, 5xx, timeouts, dropped connections). A model answer that fails
validation is a different thing, handled by re-asks in :mod:`extractor.llm`; an API error's text never reaches
a prompt.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from .errors import ConnectionFailed, EndpointTimeout, RateLimited, ServerError, TransportError

T = TypeVar("T")

RETRYABLE: tuple[type[TransportError], ...] = (RateLimited, ServerError, EndpointTimeout, ConnectionFailed)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4  # retries after the first try
    base_delay: float = 1.0  # seconds; doubled each retry
    max_delay: float = 30.0  # cap of one wait, also the cap applied to a server's Retry-After
    jitter: float = 0.25  # +- share of the delay, so many workers do not retry in step

    def delay(self, attempt: int, error: BaseException | None, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based) after ``error``."""
        if isinstance(error, TransportError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_delay)
        base = float(min(self.base_delay * (2 ** (attempt - 1)), self.max_delay))
        spread = float((rng or random).uniform(-self.jitter, self.jitter)) * base
        return max(0.0, min(base + spread, self.max_delay))


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, RETRYABLE)


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] | None = None,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Run ``fn``; retry retryable transport errors per ``policy``; re-raise the last error when retries run out."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        seconds = policy.delay(state.attempt_number, error)
        if on_retry is not None and error is not None:
            on_retry(state.attempt_number, error, seconds)
        return seconds

    retrying = Retrying(
        retry=retry_if_exception(is_retryable),
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=wait,
        reraise=True,
        sleep=sleep if sleep is not None else time.sleep,
    )
    return retrying(fn)
