"""Shared test setup: a private EXTRACTOR_HOME per test, and a guard that fails any real network call."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "eval" / "seeds"
SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))

# The real model, looked up before tests move EXTRACTOR_HOME away.
_REAL_HOME = Path(os.environ.get("EXTRACTOR_HOME") or Path.home() / ".extractor").expanduser()
LIVE_MODEL = Path(
    os.environ.get("EXTRACTOR_TEST_MODEL") or _REAL_HOME / "models" / "qwen2.5-coder-0.5b-instruct-q4.gguf"
)


def seed_path(stem_prefix: str) -> Path:
    return next(SEEDS.glob(f"{stem_prefix}*.txt"))


def extract_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``extractor extract ARGS --provider rules -q`` in-process (the same ``main`` as the ``extractor``
    script); its exit code, stdout and stderr."""
    from extractor.cli import main

    try:
        main(["extract", *args, "--provider", "rules", "-q", "--json"])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("EXTRACTOR_HOME", str(home))
    for var in ("EXTRACTOR_PROVIDER", "EXTRACTOR_BASE_URL", "EXTRACTOR_API_KEY", "OPENAI_API_KEY", "EXTRACTOR_MODEL"):
        monkeypatch.delenv(var, raising=False)
    return home


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise RuntimeError(f"tests must not reach the network (tried {host})")
        except ValueError:
            if host not in ("localhost",):
                raise RuntimeError(f"tests must not reach the network (tried {host})") from None
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if LIVE_MODEL.is_file():
        return
    skip = pytest.mark.skip(reason=f"live model absent at {LIVE_MODEL} (run `extractor model pull` to enable)")
    for item in items:
        if "live_model" in item.keywords:
            item.add_marker(skip)
