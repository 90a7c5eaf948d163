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
