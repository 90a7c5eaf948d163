"""The project's one error tree. Lower libraries' errors are translated into these at their boundary.

    ExtractorError                      base of everything we raise on purpose
    ├── UsageError                      the caller's mistake: fix the call and run again
    │   ├── InputError                  a file cannot be read as a report (missing, directory, empty, binary,
    │   │   │                           undetectable encoding, not a report, encrypted / image-only PDF)
    │   │   └── NotAReportError         readable text, but nothing of an annual report in it
    │   ├── ConfigError                 a bad flag, env var or config value; a missing API key or model file
    │   ├── OutputError                 the output folder cannot be used (a file, not writable, not creatable)
    │   ├── PromptError                 a prompt file under prompts/ is malformed
    │   └── GoldError                   an eval gold file is malformed or disagrees with its report
    ├── RuntimeFailure                  the world failed us; the same call may work later
    │   ├── TransportError              HTTP-level failure talking to a model endpoint
    │   │   ├── RateLimited             429; carries retry_after seconds when the server said so
    │   │   ├── ServerError             5xx
    │   │   ├── EndpointTimeout         no answer in time
    │   │   └── ConnectionFailed        refused / dropped connection
    │   ├── RequestRejected             4xx other than 429 (bad key, unknown model, bad request): not retried
    │   ├── ModelOutputError            the model's answer stayed invalid after the re-asks
    │   ├── CassetteMissing             replay mode, and no recorded answer for this request
    │   ├── CacheError                  the response cache is damaged or cannot be opened
    │   └── ModelUnavailable            the local model could not be started
    └── InternalError                   a bug of ours: an invariant did not hold

Every error carries the data a caller needs (path, section, attempts, last raw output) and a message that says
what to do next. The CLI prints ``str(error)`` on one line and exits non-zero; it never shows a traceback for these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ExtractorError(Exception):
    """Base class of every error this project raises on purpose."""

    exit_code = 1

    def one_line(self) -> str:
        return " ".join(str(self).split())


class UsageError(ExtractorError):
    """The caller's mistake: a bad argument, file, config value or data file."""

    exit_code = 2


class InputError(UsageError):
    """An input file cannot be read as a report."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class NotAReportError(InputError):
    """The text is readable but holds nothing of an annual report."""


class ConfigError(UsageError):
    """A flag, env var or config value is wrong or missing."""


class OutputError(UsageError):
    """The output folder cannot be used: it is a file, or it cannot be created or written."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class PromptError(UsageError):
    """A prompt file is malformed."""


class GoldError(UsageError):
    """An eval gold file is malformed or does not match its report."""


class RuntimeFailure(ExtractorError):
    """The world failed us: an endpoint, a model, a cassette. The same call may succeed later."""

    exit_code = 3


class TransportError(RuntimeFailure):
    """An HTTP-level failure talking to a model endpoint. Retried by the transport policy."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class RateLimited(TransportError):
    """HTTP 429."""


class ServerError(TransportError):
    """HTTP 5xx, or a body that is not the API's JSON (an HTML error page from a proxy)."""


class EndpointTimeout(TransportError):
    """The endpoint did not answer in time."""


class ConnectionFailed(TransportError):
    """Connection refused or dropped."""


class RequestRejected(RuntimeFailure):
    """A 4xx other than 429: bad key, unknown model, malformed request. Retrying will not help."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class ModelOutputError(RuntimeFailure):
    """The model's answer stayed invalid after every re-ask."""

    def __init__(
        self, message: str, *, section: str | None = None, attempts: int = 0, last_output: str | None = None
    ) -> None:
        self.section = section
        self.attempts = attempts
        self.last_output = last_output
        super().__init__(message)


class CassetteMissing(RuntimeFailure):
    """Replay mode found no recorded answer for a request; says which cassette and how to re-record it."""

    def __init__(self, cassette: Path | str, rerecord: str) -> None:
        self.cassette = Path(cassette)
        self.rerecord = rerecord
        super().__init__(f"no recorded model answer in {self.cassette} for this request; re-record with: {rerecord}")


class ModelUnavailable(RuntimeFailure):
    """The embedded model could not be found or started."""


class CacheError(RuntimeFailure):
    """The response cache is damaged or cannot be opened."""


class InternalError(ExtractorError):
    """A bug of ours: an invariant did not hold. Please report it."""

    exit_code = 70


def describe(exc: BaseException) -> dict[str, Any]:
    """A JSON-able description of an error, for errors.jsonl."""
    kind = type(exc).__name__
    message = exc.one_line() if isinstance(exc, ExtractorError) else " ".join(str(exc).split())
    return {"error": kind, "message": message}


def describe_unexpected(exc: BaseException, path: Path | str) -> dict[str, Any]:
    """An exception no layer expected (a bug, or memory running out on one file), for errors.jsonl: its type, its
    message and where it was raised, so one odd report neither stops a bulk run nor hides the fault."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "extractor" in f.filename.replace("\\", "/").split("/")] or frames
    where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno} ({ours[-1].name})" if ours else ""
    message = " ".join(str(exc).split())[:300]
    return {"error": type(exc).__name__, "message": f"{path}: unexpected {type(exc).__name__}{where}: {message}"}
