"""Settings resolve flag > env > config file > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.config import resolve
from extractor.errors import ConfigError


def test_precedence(private_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / "config.toml").write_text('provider = "openai"\nconcurrency = 3\nprompt = "v2"\n')
    assert resolve().provider == "openai" and resolve().concurrency == 3
    monkeypatch.setenv("EXTRACTOR_CONCURRENCY", "5")
    assert resolve().concurrency == 5
    assert resolve(concurrency=7).concurrency == 7
    assert resolve().prompt == "v2"


def test_openai_api_key_fallback_and_never_described(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-000000000000")
    s = resolve()
    assert s.api_key == "sk-test-secret-000000000000"
    assert "sk-test" not in repr(s) and s.describe()["api_key"] == "set"


@pytest.mark.parametrize(
    ("flags", "message"),
    [({"provider": "gpt"}, "unknown provider"), ({"concurrency": 0}, "concurrency"), ({"threads": "x"}, "not a valid")],
    ids=["provider", "concurrency", "type"],
)
def test_bad_settings(flags: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve(**flags)


def test_bad_config_file(private_home: Path) -> None:
    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / "config.toml").write_text("colour = 1\n")
    with pytest.raises(ConfigError, match="unknown settings"):
        resolve()


# The engine (rules | model | hybrid) and the endpoint (local | URL): two settings, resolved once into a Route.
@pytest.mark.parametrize(
    ("flags", "engine", "endpoint", "label"),
    [
        ({}, "hybrid", "local", "hybrid"),
        ({"engine": "rules"}, "rules", None, "rules"),
        ({"engine": "model"}, "model", "local", "local"),
        ({"engine": "model", "endpoint": "http://gpu:8000/v1"}, "model", "http://gpu:8000/v1", "openai"),
        ({"endpoint": "https://api.deepseek.com/v1"}, "hybrid", "https://api.deepseek.com/v1", "hybrid"),
        # the old flags keep working and name the same routes
        ({"provider": "rules"}, "rules", None, "rules"),
        ({"provider": "local"}, "model", "local", "local"),
        ({"provider": "openai", "base_url": "http://h/v1"}, "model", "http://h/v1", "openai"),
        ({"provider": "hybrid"}, "hybrid", "local", "hybrid"),
        ({"provider": "hybrid", "base_url": "http://h/v1"}, "hybrid", "http://h/v1", "hybrid"),
        ({"engine": "model", "base_url": "http://h/v1"}, "model", "http://h/v1", "openai"),
        ({"provider": "local", "engine": "model"}, "model", "local", "local"),
    ],
)
def test_engine_and_endpoint_resolve_once(flags: dict[str, str], engine: str, endpoint: str | None, label: str) -> None:
    route = resolve(**flags).route
    assert (route.engine, route.endpoint, route.provider) == (engine, endpoint, label)
    assert resolve(**flags).describe()["engine"] == engine


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"engine": "llm"}, "unknown engine 'llm'"),
        ({"endpoint": "gpu:8000"}, "local or an http"),
        ({"provider": "rules", "engine": "model"}, "contradict"),
        ({"provider": "local", "endpoint": "http://h/v1"}, "contradict"),
        ({"endpoint": "http://a/v1", "base_url": "http://b/v1"}, "different endpoints"),
    ],
)
def test_contradicting_routes_are_one_line_errors(flags: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve(**flags)


def test_a_new_flag_overrides_an_old_setting_from_a_lower_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_PROVIDER", "hybrid")
    assert resolve(engine="rules").route.engine == "rules"  # a flag over the environment: no contradiction
    monkeypatch.setenv("EXTRACTOR_ENGINE", "model")
    with pytest.raises(ConfigError, match="contradict"):  # both from the environment: which one is meant?
        resolve(provider="rules")  # (the flag wins over EXTRACTOR_PROVIDER, and contradicts EXTRACTOR_ENGINE)


def test_a_remote_endpoint_without_a_model_name_is_refused() -> None:
    from extractor.llm import open_endpoint

    with pytest.raises(ConfigError, match="needs --model"):
        open_endpoint(resolve(engine="model", endpoint="http://127.0.0.1:9/v1"))
