"""A bulk run killed with SIGKILL midway, then rerun with the same command: every report ends up exactly once in
records.jsonl and indicators.csv, no line is truncated, and no section already answered is sent to the model again.

The CLI runs in a subprocess against the fault server (a stub that answers every request after a small delay). The
server answers a fixed number of requests, then holds every later one. The process is killed once it has gone
idle (no CPU time for half a second): every thread then waits on a held request or for one, so every answer it
received has been handled (cached, and recorded when its report finished) and "answered in the first run" is
exact.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from .fault_server import FaultServer, Recorded, grounded_answer, synthetic_report

REPORTS = 40
SECTIONS = 3  # sections per report; the openai provider asks the model about every one
WORKERS = 4
ANSWER_FIRST = 46  # requests answered before the server holds the rest: a third of the run, and not a whole
# number of reports, so at least one report is cut off with some of its sections answered


# The CLI as a terminal starts it, Ctrl-C raising KeyboardInterrupt. A test run started in the background (a
# non-interactive shell's `cmd &`, as some CI runners do) inherits SIGINT ignored, and Python keeps an inherited
# ignore: without this the signal the tests send would never arrive.
CLI = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); from extractor.cli import main; main()"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(delay=0.005, answer=grounded_answer) as s:
        yield s


def _command(inputs: Path, out: Path, base_url: str) -> list[str]:
    return [
        sys.executable, "-c", CLI,
        "extract", str(inputs), "-o", str(out), "-q", "--json", "--provider", "openai", "--base-url", base_url,
        "--model", "stub", "--api-key", "sk-test-interrupt", "--concurrency", str(WORKERS),
    ]  # fmt: skip


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _wait_until_idle(pid: int, quiet: float = 0.5, timeout: float = 30.0) -> None:
    """Until the process has used no CPU time for ``quiet`` seconds (every thread blocked)."""
    deadline = time.monotonic() + timeout
    last, since = _cpu_ticks(pid), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the run never went idle"
        time.sleep(0.05)
        now = _cpu_ticks(pid)
        if now != last:
            last, since = now, time.monotonic()


def _body(r: Recorded) -> str:
    return json.dumps(r.body, sort_keys=True, ensure_ascii=False)


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads a process's CPU time from /proc (Linux)")
def test_killed_bulk_run_resumes_exactly_once(tmp_path: Path, server: FaultServer) -> None:
    inputs = tmp_path / "reports"
    inputs.mkdir()
    for i in range(1, REPORTS + 1):
        (inputs / f"bureau_{i:02d}.txt").write_text(synthetic_report(i, SECTIONS), encoding="utf-8")
    out = tmp_path / "out"
    command = _command(inputs, out, server.base_url)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    # First run: killed while its workers wait on the model.
    server.hold_after(ANSWER_FIRST)
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert server.wait_held(1, timeout=60), "the run never reached the held requests"
        _wait_until_idle(first.pid)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    answered_first = {_body(r) for r in server.answered}
    held_first = {_body(r) for r in server.requests if not r.answered}
    assert len(answered_first) == ANSWER_FIRST and held_first
    records_path = out / "records.jsonl"
    done_first = records_path.read_text(encoding="utf-8").splitlines()
    assert 0 < len(done_first) < REPORTS  # killed midway
    # A kill inside a write leaves a partial last line; the rerun must cut it, not keep or duplicate it.
    with records_path.open("a", encoding="utf-8") as fh:
        fh.write(done_first[-1][: len(done_first[-1]) // 2])
    server.release()
    first_requests = len(server.requests)

    # Second run: the very same command, to completion.
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout.strip().splitlines()[-1])
    assert summary["skipped_already_done"] == len(done_first)
    assert summary["reports"] == REPORTS - len(done_first) and summary["failed"] == 0

    # records.jsonl: every report once, every line whole.
    raw = records_path.read_text(encoding="utf-8")
    assert raw.endswith("\n")
    records = [json.loads(line) for line in raw.splitlines()]
    names = [r["report"] for r in records]
    assert len(names) == REPORTS and set(names) == {f"bureau_{i:02d}" for i in range(1, REPORTS + 1)}
    assert [json.loads(line)["report"] for line in done_first] == names[: len(done_first)]  # kept, not redone

    # indicators.csv: each report's rows once, and the model's values all there.
    rows = list(csv.DictReader((out / "indicators.csv").open(encoding="utf-8")))
    assert all(n == 1 for n in Counter(tuple(r.values()) for r in rows).values())
    totals = Counter(r["report"] for r in rows if r["code"] == "proactive.total")
    assert totals == Counter(set(names))
    values = {r["report"]: r["value"] for r in rows if r["code"] == "proactive.total"}
    assert values == {f"bureau_{i:02d}": str(600 + i) for i in range(1, REPORTS + 1)}
    assert (out / "errors.jsonl").read_text(encoding="utf-8") == ""

    # The model: nothing answered in the first run is asked again; no section is lost or asked twice.
    sent_second = [_body(r) for r in server.requests[first_requests:]]
    assert not answered_first & set(sent_second)
    assert held_first <= set(sent_second)  # what the kill cut off is asked again
    assert len(sent_second) == len(set(sent_second))
    assert len(answered_first) + len(sent_second) == REPORTS * SECTIONS
    assert summary["cache_hits"] > 0  # the killed reports' answered sections came from the cache


def test_ctrl_c_stops_a_rules_run_in_worker_processes_and_the_rerun_finishes(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group) ends a run with worker processes: exit 130, one line saying how
    to resume, no traceback from any worker, no temporary file left; the rerun does the rest, each report once."""
    seeds = sorted((Path(__file__).resolve().parents[1] / "eval" / "seeds").glob("*.txt"))
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(600):
        os.link(seeds[i % len(seeds)], inputs / f"r{i:04d}.txt")
    out = tmp_path / "out"
    command = [sys.executable, "-c", CLI, "extract", str(inputs), "-o",
               str(out), "-q", "--json", "--provider", "rules", "--concurrency", "2"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    records = out / "records.jsonl"
    deadline = time.monotonic() + 60
    while not (records.exists() and records.read_text(encoding="utf-8").count("\n") >= 20):
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be interrupted"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr == "interrupted; rerun the same command to resume\n"
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".extractor.lock"]
    first = records.read_text(encoding="utf-8").count("\n")
    assert 20 <= first < 600
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    summary = json.loads(done.stdout)
    assert (summary["reports"], summary["skipped_already_done"]) == (600 - first, first)
    names = [json.loads(line)["report"] for line in records.read_text(encoding="utf-8").splitlines()]
    assert sorted(names) == [f"r{i:04d}" for i in range(600)]
    rows = {r["report"] for r in csv.DictReader((out / "indicators.csv").open(encoding="utf-8"))}
    assert len(rows) == 600


def test_ctrl_c_during_a_model_call_stops_within_seconds(tmp_path: Path) -> None:
    """The endpoint holds every request (as a slow local model would for minutes): Ctrl-C ends the run at once,
    with the one interrupted line and exit 130, not after the call."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "r.txt").write_text(synthetic_report(0), encoding="utf-8")
    out = tmp_path / "out"
    with FaultServer(delay=0.005, answer=grounded_answer) as server:
        server.hold_after(0)
        env = {**os.environ, "EXTRACTOR_HOME": str(tmp_path / "home")}
        proc = subprocess.Popen(
            _command(inputs, out, server.base_url), env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        assert server.wait_held(1, timeout=60), "no model call was made"
        time.sleep(0.5)
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        stopped = time.monotonic() - sent
        server.release()
    assert proc.returncode == 130 and stopped < 5, (proc.returncode, stopped, stderr)
    assert stderr.strip().splitlines()[-1] == "interrupted; rerun the same command to resume"
    assert "Traceback" not in stderr


def test_sigterm_ends_a_run_cleanly(tmp_path: Path) -> None:
    """SIGTERM (a scheduler stopping the job) ends a run like Ctrl-C: exit 130, the one line, no temporary file,
    no torn line; the rerun finishes every report once."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(300):
        (inputs / f"r{i:03}.txt").write_text(synthetic_report(i), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-c", CLI, "extract", str(inputs), "-o", str(out),
               "-q", "--provider", "rules"]  # fmt: skip
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    records = out / "records.jsonl"
    deadline = time.monotonic() + 60
    while not (records.exists() and records.read_text(encoding="utf-8").count("\n") >= 10):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and stderr == "interrupted; rerun the same command to resume\n", stderr
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".extractor.lock"]
    assert records.read_text(encoding="utf-8").endswith("\n")
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0
    names = [json.loads(line)["report"] for line in records.read_text(encoding="utf-8").splitlines()]
    assert sorted(names) == sorted(f"r{i:03}" for i in range(300))


def test_a_stop_signal_whose_raise_was_swallowed_still_stops_the_run(tmp_path: Path) -> None:
    """The SIGTERM handler's KeyboardInterrupt can land in a weakref callback, where Python drops it (seen once: the
    run went on to the end, exit 0); the flag it sets stops the run's loop at the next report."""
    from extractor import bulk
    from extractor.engine import Engine

    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(20):
        (inputs / f"r{i:03}.txt").write_text(synthetic_report(i), encoding="utf-8")
    bulk.STOP.set()
    try:
        with pytest.raises(KeyboardInterrupt):
            bulk.run([inputs], tmp_path / "out", Engine("rules"))
    finally:
        bulk.STOP.clear()
    records = tmp_path / "out" / "records.jsonl"
    assert not records.exists() or records.read_text(encoding="utf-8").count("\n") < 20
