"""The public Python API: its names are a contract, and it reads no hidden state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import extractor

from .conftest import seed_path

EXPORTED = [
    "ConfigError", "ExtractorError", "InputError", "ModelOutputError", "NotAReportError", "OutputError",
    "ReportRecord", "RunStats", "RuntimeFailure", "Settings", "TransportError", "UsageError", "__version__",
    "extract", "extract_many", "load_records", "settings_from_environment",
]  # fmt: skip


def test_the_exported_names() -> None:
    assert sorted(extractor.__all__) == sorted(EXPORTED)
    for name in EXPORTED:
        assert getattr(extractor, name) is not None


def test_extract_a_file_and_a_text() -> None:
    from_file = extractor.extract(seed_path("004"))
    from_text = extractor.extract(seed_path("004").read_text(encoding="utf-8"))
    assert from_file.indicators.get("requests.new.total").value == 18291
    assert from_text.indicators.get("requests.new.total").value == 18291
    assert from_file.provider == "rules"


def test_extract_refuses_what_is_not_a_report() -> None:
    with pytest.raises(extractor.NotAReportError):
        extractor.extract("今天天气很好，我们去公园散步。" * 20)


def test_extract_many_and_load_records(tmp_path: Path) -> None:
    stats = extractor.extract_many([seed_path("000"), seed_path("002")], tmp_path / "out")
    assert isinstance(stats, extractor.RunStats) and stats.reports == 2
    assert sorted(r.report for r in extractor.load_records(tmp_path / "out")) == sorted(
        [seed_path("000").stem, seed_path("002").stem]
    )


def test_no_environment_is_read_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hybrid provider in the environment (and a broken config file) change nothing for extract(); the CLI's
    resolution is an explicit call."""
    monkeypatch.setenv("EXTRACTOR_PROVIDER", "hybrid")
    home = Path(str(tmp_path / "home"))
    home.mkdir()
    (home / "config.toml").write_text("not = valid = toml", encoding="utf-8")
    monkeypatch.setenv("EXTRACTOR_HOME", str(home))
    assert extractor.extract(seed_path("000")).provider == "rules"
    with pytest.raises(extractor.ConfigError):
        extractor.settings_from_environment()


def test_import_is_light() -> None:
    """`import extractor` loads neither the pipeline nor openai (a notebook pays for what it uses)."""
    code = "import sys, extractor; print(json.dumps([m in sys.modules for m in ('extractor.pipeline', 'openai')]))"
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, False]
