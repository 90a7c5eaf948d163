"""Settings, resolved in one place: flag > environment variable > config file > default.

All state (cache, models, eval runs' scratch) lives under one home folder, ``EXTRACTOR_HOME`` (default
``~/.extractor``), so a test can move everything to a temporary folder by setting one variable.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError

# The old single setting (still accepted, and the label a record stores): rules | local | openai | hybrid.
Provider = Literal["rules", "local", "openai", "hybrid"]
PROVIDERS: tuple[Provider, ...] = ("rules", "local", "openai", "hybrid")
# The two choices it mixed: which engine runs, and where its model lives.
EngineKind = Literal["rules", "model", "hybrid"]
ENGINES: tuple[EngineKind, ...] = ("rules", "model", "hybrid")
LOCAL = "local"  # the endpoint of the embedded llama.cpp model; any other endpoint is an OpenAI-compatible base URL
ENGINE_OF: dict[str, EngineKind] = {"rules": "rules", "local": "model", "openai": "model", "hybrid": "hybrid"}
OcrMode = Literal["auto", "never", "always"]
OCR_MODES: tuple[OcrMode, ...] = ("auto", "never", "always")

DEFAULT_MODEL_FILE = "qwen2.5-coder-0.5b-instruct-q4.gguf"


def home_path() -> Path:
    """Where the project's home folder is (``EXTRACTOR_HOME``, default ``~/.extractor``), without creating it."""
    return Path(os.environ.get("EXTRACTOR_HOME") or Path.home() / ".extractor").expanduser()


def home() -> Path:
    """The project's home folder, created on first use by what needs it (cache, models): a run that needs
    neither never touches it, so an unwritable home stops only the runs that must write there."""
    path = home_path()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"EXTRACTOR_HOME {path} cannot be created: {e.strerror or e}") from None
    return path


@dataclass(frozen=True)
class Route:
    """Which engine runs (rules, model, hybrid) and where its model lives (``local``: the embedded model; else an
    OpenAI-compatible base URL; None for the rules engine), resolved once from the settings."""

    engine: EngineKind
    endpoint: str | None

    @property
    def local(self) -> bool:
        return self.endpoint == LOCAL

    @property
    def provider(self) -> Provider:
        """The old single name of this route (what records and eval configurations are labelled with)."""
        if self.engine != "model":
            return self.engine
        return "local" if self.local else "openai"

    @classmethod
    def of(cls, provider: Provider, base_url: str | None = None) -> Route:
        """The route the old ``provider`` setting names."""
        engine = ENGINE_OF[provider]
        if engine == "rules":
            return cls("rules", None)
        if provider == "openai" or base_url:
            return cls(engine, base_url or "")  # "" : no URL given; opening the endpoint says so
        return cls(engine, LOCAL)


def _route(s: Settings) -> Route:
    """The route of ``s``: ``engine``/``endpoint`` when given, else what ``provider`` (and ``base_url``) name, else
    the default (hybrid on the embedded model). Contradicting choices are refused."""
    if s.provider is not None and s.provider not in PROVIDERS:
        raise ConfigError(f"unknown provider {s.provider!r}; choose one of {', '.join(PROVIDERS)}")
    if s.engine is not None and s.engine not in ENGINES:
        raise ConfigError(f"unknown engine {s.engine!r}; choose one of {', '.join(ENGINES)}")
    if s.endpoint is not None and s.endpoint != LOCAL and not s.endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"--endpoint must be local or an http(s):// URL, not {s.endpoint!r}")
    if s.endpoint not in (None, LOCAL) and s.base_url and s.base_url.rstrip("/") != s.endpoint.rstrip("/"):
        raise ConfigError(f"--endpoint {s.endpoint} and --base-url {s.base_url} name different endpoints")
    old = Route.of(s.provider, s.base_url) if s.provider is not None else None
    engine = s.engine or (old.engine if old else "hybrid")
    if old is not None and s.engine is not None and old.engine != s.engine:
        raise ConfigError(f"--provider {s.provider} and --engine {s.engine} contradict; give --engine alone")
    if engine == "rules":
        return Route("rules", None)
    endpoint = s.endpoint or (old.endpoint if old else None) or s.base_url or LOCAL
    if old is not None and s.endpoint is not None and (old.endpoint == LOCAL) != (s.endpoint == LOCAL):
        raise ConfigError(f"--provider {s.provider} and --endpoint {s.endpoint} contradict; give --endpoint alone")
    return Route(engine, endpoint)


@dataclass(frozen=True)
class Settings:
    """Every setting a run depends on. Field names double as config-file keys; ENV names are listed below."""

    engine: EngineKind | None = None  # rules | model | hybrid (default hybrid)
    endpoint: str | None = None  # local | an OpenAI-compatible base URL (default local)
    provider: Provider | None = None  # the old flag: rules | local | openai | hybrid
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    model: str | None = None
    model_path: Path | None = None
    threads: int = 2
    context_size: int = 8192
    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0
    prompt: str = "v1"
    concurrency: int = 1
    max_reasks: int = 1
    timeout: float = 600.0  # a 0.5B model on two busy cores can take minutes to read a long section
    max_retries: int = 4
    cache: bool = True
    ocr: OcrMode = "auto"  # auto | never | always: PDFs without a text layer read by OCR, refused, or every PDF
    table_asks: bool = False  # table blocks the rules left incomplete asked of a capable (remote) endpoint
    route: Route = field(init=False, compare=False)  # engine and endpoint, resolved from the fields above

    def __post_init__(self) -> None:
        object.__setattr__(self, "route", _route(self))

    def describe(self) -> dict[str, Any]:
        """For logs and run files: every setting except secrets."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.init and f.name != "api_key"}
        out["api_key"] = "set" if self.api_key else None
        out["engine"], out["endpoint"] = self.route.engine, self.route.endpoint
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in out.items()}

    def default_model_path(self) -> Path:
        return home() / "models" / DEFAULT_MODEL_FILE


ENV_VARS: dict[str, str] = {
    "engine": "EXTRACTOR_ENGINE",
    "endpoint": "EXTRACTOR_ENDPOINT",
    "provider": "EXTRACTOR_PROVIDER",
    "base_url": "EXTRACTOR_BASE_URL",
    "api_key": "EXTRACTOR_API_KEY",
    "model": "EXTRACTOR_MODEL",
    "model_path": "EXTRACTOR_MODEL_PATH",
    "threads": "EXTRACTOR_THREADS",
    "context_size": "EXTRACTOR_CONTEXT_SIZE",
    "max_tokens": "EXTRACTOR_MAX_TOKENS",
    "temperature": "EXTRACTOR_TEMPERATURE",
    "prompt": "EXTRACTOR_PROMPT",
    "concurrency": "EXTRACTOR_CONCURRENCY",
    "timeout": "EXTRACTOR_TIMEOUT",
    "max_retries": "EXTRACTOR_MAX_RETRIES",
    "ocr": "EXTRACTOR_OCR",
    "table_asks": "EXTRACTOR_TABLE_ASKS",
}
# Also honoured for the key, as most OpenAI-compatible tools do.
FALLBACK_KEY_ENV = "OPENAI_API_KEY"


def _coerce(name: str, raw: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings) if f.init}[name]
    try:
        if kind in ("int",):
            return int(raw)
        if kind in ("float",):
            return float(raw)
        if kind in ("bool",):
            return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
        if "Path" in str(kind):
            return Path(str(raw)).expanduser()
    except ValueError as e:
        raise ConfigError(f"setting {name}: {raw!r} is not a valid {kind}") from e
    return str(raw)


def _config_file() -> dict[str, Any]:
    path = home_path() / "config.toml"
    try:
        if not path.is_file():
            return {}
    except OSError:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    known = {f.name for f in fields(Settings) if f.init}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown settings {unknown}; known: {sorted(known)}")
    return data


def resolve(**flags: Any) -> Settings:
    """Settings from flags (None = not given), then env vars, then the config file, then defaults. The old
    ``provider`` gives way to ``engine``/``endpoint`` given at a higher level (a flag over an env var)."""
    values: dict[str, Any] = {}
    level: dict[str, int] = {}  # 3 flag, 2 environment, 1 config file
    file_values = _config_file()
    for f in fields(Settings):
        name = f.name
        if not f.init:
            continue
        if flags.get(name) is not None:
            values[name], level[name] = _coerce(name, flags[name]), 3
            continue
        env = os.environ.get(ENV_VARS.get(name, ""), "") if name in ENV_VARS else ""
        if name == "api_key" and not env:
            env = os.environ.get(FALLBACK_KEY_ENV, "")
        if env:
            values[name], level[name] = _coerce(name, env), 2
        elif name in file_values:
            values[name], level[name] = _coerce(name, file_values[name]), 1
    if "provider" in level and any(level.get(n, 0) > level["provider"] for n in ("engine", "endpoint")):
        del values["provider"]
    settings = replace(Settings(), **values)
    return validate(settings)


def validate(s: Settings) -> Settings:
    if s.table_asks and (s.route.engine == "rules" or s.route.local):
        raise ConfigError(
            "--table-asks needs a model engine on a capable endpoint (--endpoint URL): the embedded models cannot "
            "read a table row"
        )
    if s.concurrency < 1:
        raise ConfigError("concurrency must be at least 1")
    if s.threads < 1 or s.context_size < 512 or s.max_tokens < 16:
        raise ConfigError("threads must be >= 1, context size >= 512 and max tokens >= 16")
    if s.max_reasks < 0 or s.max_retries < 0:
        raise ConfigError("max reasks and max retries cannot be negative")
    if s.ocr not in OCR_MODES:
        raise ConfigError(f"--ocr must be auto, never or always, not {s.ocr!r}")
    if not (math.isfinite(s.timeout) and s.timeout > 0):
        raise ConfigError(f"timeout must be a positive number of seconds, not {s.timeout}")
    if not (math.isfinite(s.temperature) and s.temperature >= 0):
        raise ConfigError(f"temperature must be a number >= 0, not {s.temperature}")
    return s
