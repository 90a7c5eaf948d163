"""Usage mistakes on the command line: one ``error:`` line, one ``usage:`` hint, exit 2, never a traceback.

Run as a subprocess, exactly as a user types it, so the test holds whichever typer (and click, vendored or not)
pip installed; ``scripts/check.sh --latest`` runs it against the newest versions the project allows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from extractor import __version__

from .conftest import seed_path

# (id, arguments, the first line as a regex: the library's own words vary a little between typer/click versions)
CASES: list[tuple[str, list[str], str]] = [
    ("no-arguments", [], r"error: extractor: no command given$"),
    ("unknown-command", ["nosuch"], r"error: No such command:? '?nosuch'?"),
    ("unknown-option", ["--bogus"], r"error: No such option:? '?--bogus"),
    ("unknown-option-of-a-command", ["extract", "--bogus", "x"], r"error: No such option:? '?--bogus"),
    ("missing-argument", ["extract"], r"error: Missing (argument|parameter):? '?inputs"),
    ("bad-option-value", ["extract", "x", "--concurrency", "many"], r"error: Invalid value for '--concurrency'"),
]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTOR_")}
    env["EXTRACTOR_HOME"] = str(cwd / "home")
    return subprocess.run(
        [sys.executable, "-m", "extractor.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _assert_usage_error(result: subprocess.CompletedProcess[str], first_line: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(lines) == 2, lines
    assert re.match(first_line, lines[0], re.IGNORECASE), lines
    assert lines[1].startswith("usage: see 'extractor") and lines[1].endswith(" --help'"), lines


@pytest.mark.parametrize(("args", "first_line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_usage_mistake_is_one_line_and_a_hint(args: list[str], first_line: str, tmp_path: Path) -> None:
    _assert_usage_error(_run(args, tmp_path), first_line)


def test_version(tmp_path: Path) -> None:
    result = _run(["--version"], tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"extractor {__version__}"


def test_help_still_works(tmp_path: Path) -> None:
    result = _run(["extract", "--help"], tmp_path)
    assert result.returncode == 0 and "--provider" in result.stdout


@pytest.mark.parametrize("where", ["a-file", "under-a-file", "uncreatable"])
def test_an_unusable_output_folder_is_one_line(where: str, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a folder", encoding="utf-8")
    out = {"a-file": "taken", "under-a-file": "taken/out", "uncreatable": "/proc/extractor-out"}[where]
    result = _run(["extract", str(seed_path("004")), "--provider", "rules", "-o", out, "-q"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {out}: ")
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "not a folder"  # nothing lost


def test_a_folder_run_names_the_files_it_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.txt", "b.shtml", "c.md"):
        (folder / name).write_text(seed_path("004").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "notes.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "scan.jpg").write_bytes(b"\xff\xd8\xff")
    result = _run(["extract", str(folder), "--provider", "rules", "-o", "out", "-q", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["reports"] == 3  # .txt, .shtml and .md, by the one table of suffixes
    assert summary["skipped_unsupported"] == 2
    assert sorted(Path(p).name for p in summary["unsupported"]) == ["notes.xls", "scan.jpg"]
    assert "2 file(s) of an unsupported type left out" in result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--engine", "llm"], "error: unknown engine 'llm'; choose one of rules, model, hybrid"),
        (["--provider", "rules", "--engine", "model"], "error: --provider rules and --engine model contradict"),
        (["--endpoint", "gpu:8000"], "error: --endpoint must be local or an http(s):// URL"),
    ],
    ids=["engine", "old-and-new-flag", "endpoint"],
)
def test_engine_and_endpoint_mistakes_are_one_line(flags: list[str], message: str, tmp_path: Path) -> None:
    result = _run(["extract", str(seed_path("004")), *flags, "-o", "out"], tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[0].startswith(message), result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_engine_rules_names_its_engine_in_the_summary(tmp_path: Path) -> None:
    result = _run(["extract", str(seed_path("004")), "--engine", "rules", "-o", "out", "-q", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["engine"], summary["provider"], summary["reports"]) == ("rules", "rules", 1)
