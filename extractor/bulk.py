"""Bulk runs: every input of a job extracted once into an output folder, resumable, each report isolated from the
others' failures, in worker processes (rules) or threads (a model).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .documents import supported
from .engine import Engine
from .errors import (
    ExtractorError,
    InputError,
    OutputError,
    describe,
    describe_unexpected,
)
from .models import (
    Usage,
)
from .outputs import (
    Appender,
    clean_orphans,
    csv_text,
    done_records,
    done_reports,
    export_tables,
    finding_rows_of,
    folder_lock,
    keep_latest,
    prepare_out_dir,
    read_errors,
    record_rows,
    table_files,
    write_jsonl_atomic,
)
from .pipeline import process


def expand_inputs(inputs: Iterable[Path], unsupported: list[Path] | None = None) -> Iterator[Path]:
    """Files as given, and the supported files inside folders (recursively, sorted). A folder's files of other
    types are appended to ``unsupported`` when it is given, so a run can name what it left out."""
    for item in inputs:
        if item.is_dir():
            for p in sorted(p for p in item.rglob("*") if p.is_file()):
                if supported(p):
                    yield p
                elif unsupported is not None:
                    unsupported.append(p)
        else:
            yield item


@dataclass
class RunStats:
    reports: int = 0
    skipped: int = 0
    failed: int = 0
    sections: int = 0
    values: int = 0
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "reports": self.reports,
            "skipped_already_done": self.skipped,
            "failed": self.failed,
            "sections": self.sections,
            "values": self.values,
            "model_calls": self.usage.model_calls,
            "cache_hits": self.usage.cache_hits,
            "prompt_tokens": self.usage.prompt_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "seconds": round(self.seconds, 2),
        }


def _file_sha256(path: Path) -> str | None:
    """The file's content hash as read_document records it, or None when it cannot be read (process says why)."""
    digest = hashlib.sha256()
    try:
        if not path.is_file():
            return None
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def run(
    inputs: list[Path],
    out_dir: Path,
    engine: Engine,
    *,
    concurrency: int = 1,
    on_progress: Callable[[RunStats, str], None] | None = None,
    candidates: bool = False,
) -> RunStats:
    """Extract every input into ``out_dir``; skip reports already finished there; isolate failures. The long table
    holds the accepted values; ``candidates`` adds the model values the gate kept out (status column)."""
    prepare_out_dir(out_dir)
    with folder_lock(out_dir):
        clean_orphans(out_dir)
        try:
            return _run(
                inputs, out_dir, engine, concurrency=concurrency, on_progress=on_progress, candidates=candidates
            )
        except OSError as e:  # the output folder itself failed (a full disk, a file made read-only): one line
            raise OutputError(out_dir, f"writing the output failed: {e.strerror or e}") from None


def _run(
    inputs: list[Path],
    out_dir: Path,
    engine: Engine,
    *,
    concurrency: int = 1,
    on_progress: Callable[[RunStats, str], None] | None = None,
    candidates: bool = False,
) -> RunStats:
    records_path, errors_path = out_dir / "records.jsonl", out_dir / "errors.jsonl"
    done = done_records(records_path)
    others = sorted({provider for _, _, provider in done.values()} - {engine.provider})
    if others:
        raise OutputError(
            out_dir,
            f"holds records made with --provider {', '.join(others)}; this run's {engine.provider} records would mix "
            "with them: write to another folder (-o)",
        )
    previous_errors = read_errors(errors_path)
    stats = RunStats()
    started = time.perf_counter()
    seen: dict[str, str] = {}  # report name -> content hash, this run
    superseded: set[str] = set()  # reports whose file changed since their record: the old record goes
    errors: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    def pending() -> Iterator[tuple[Path, str]]:
        """Each input with its report name: the file's stem, or ``stem~<hash>`` when another file of that stem
        was extracted first. Resume keys on the content: a file extracted before (wherever it lies now) is skipped,
        an edited one is extracted again."""
        for path in expand_inputs(inputs):
            name, digest = path.stem, _file_sha256(path)
            if digest is not None:
                prev = done.get(name)
                if prev is not None and prev[0] != digest and prev[1] != str(path):
                    name = f"{name}~{digest[:8]}"  # a different file with a used stem: both kept, apart
                    prev = done.get(name)
                if prev is not None:
                    if prev[0] == digest:
                        stats.skipped += 1
                        continue
                    superseded.add(name)  # the same file, edited since
                if name in seen:
                    if seen[name] == digest:
                        stats.skipped += 1  # the same content twice in one run
                        continue
                    name = f"{name}~{digest[:8]}"
            elif name in seen:
                name = f"{name}~{len(seen)}"
            seen[name] = digest or ""
            yield path, name

    # A model-free run is CPU-bound Python: threads would share one core (the GIL), so its reports go to worker
    # processes. Model runs wait on HTTP: threads, one client. Either way a worker returns the record as its
    # records.jsonl line and its CSV rows.
    in_processes = concurrency > 1 and not engine.uses_model

    def new_pool() -> Executor:
        if in_processes:
            return ProcessPoolExecutor(
                max_workers=concurrency, mp_context=_worker_context(), initializer=_worker_ignores_interrupts
            )
        return ThreadPoolExecutor(max_workers=concurrency)

    pool = new_pool()
    worker_engine = Engine(engine.provider) if in_processes else engine  # nothing of a client crosses over
    # Into an empty folder the CSV rows are written as reports finish (to files moved into place at the end);
    # a run that resumes rebuilds the CSVs from records.jsonl at the end, the earlier runs' records included.
    streaming = not (records_path.exists() and records_path.stat().st_size > 0)
    interrupted = False

    def on_interrupt(kind: type[BaseException] | None, *_: object) -> None:
        nonlocal interrupted
        interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)

    with ExitStack() as stack:
        out = Appender(stack.enter_context(records_path.open("a", encoding="utf-8")))
        stack.callback(out.close)
        # the pool of the moment (a broken one is replaced); after Ctrl-C nothing waits for a running model call
        # worker processes finish their report and exit (waited for: they hold the terminal); threads in a model call
        # are not waited for after Ctrl-C
        stack.callback(lambda: pool.shutdown(wait=in_processes or not interrupted, cancel_futures=interrupted))
        stack.push(on_interrupt)  # exits run last in, first out: this one before the pool's shutdown above
        if streaming:
            ind_fh, fnd_fh = stack.enter_context(table_files(out_dir))
        inflight: dict[Future[_Done], tuple[Path, str]] = {}
        source = pending()
        exhausted = False
        while True:
            while not exhausted and len(inflight) < concurrency * 2:
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                    break
                inflight[pool.submit(_finish, nxt[0], worker_engine, nxt[1], candidates)] = nxt
            if not inflight:
                break
            finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken = False
            for fut in finished:
                path, name = inflight.pop(fut)
                try:
                    result = fut.result()
                except (BrokenProcessPool, CancelledError):
                    # a worker died (killed, out of memory): which report it held is unknown, so each report
                    # the pool held fails alike, and a rerun tries them again
                    broken = True
                    message = f"{path}: a worker process died while the pool held this report (killed or out of memory)"
                    result = _Done(error={"error": "WorkerDied", "message": message})
                if result.error is not None:
                    with lock:
                        errors[name] = {"report": name, "path": str(path), **result.error}
                        stats.failed += 1
                    if on_progress:
                        on_progress(stats, f"failed {path.name}")
                    continue
                out.append(result.line)
                if streaming:
                    ind_fh.write(result.rows)
                    fnd_fh.write(result.findings)
                stats.reports += 1
                stats.sections += result.sections
                stats.values += result.values
                stats.usage.add(result.usage)
                if on_progress:
                    on_progress(stats, path.name)
            if broken:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool()
    if superseded:
        keep_latest(records_path, superseded)
    kept = {k: v for k, v in previous_errors.items() if k not in seen and k not in done_reports(records_path)}
    write_jsonl_atomic(errors_path, [*kept.values(), *errors.values()])
    if not streaming:
        export_tables(out_dir, candidates=candidates)
    stats.seconds = time.perf_counter() - started
    return stats


@dataclass(frozen=True, slots=True)
class _Done:
    """A worker's answer: the record as its records.jsonl line and its CSV rows, or what went wrong
    (``describe``'s dict: exceptions with arguments of their own do not always survive pickling)."""

    line: str = ""
    sections: int = 0
    values: int = 0
    usage: Usage = field(default_factory=Usage)
    rows: str = ""  # indicators.csv rows, as CSV text
    findings: str = ""  # findings.csv rows, as CSV text
    error: dict[str, Any] | None = None


def _finish(path: Path, engine: Engine, name: str | None = None, candidates: bool = False) -> _Done:
    """:func:`process`, and the record made ready to write, in a worker thread or process; ``name`` is the report's
    name when it is not the file's stem (another file of that stem came first)."""
    try:
        record = process(path, engine)
        if name is not None and name != record.report:
            record.report = name
    except (ExtractorError, OSError) as e:
        return _Done(error=describe(e if isinstance(e, ExtractorError) else InputError(path, str(e))))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:
        return _Done(error=describe_unexpected(e, path))
    line = record.model_dump_json()
    data = json.loads(line)  # the rows come from the record's JSON, as a rebuild from records.jsonl reads them
    return _Done(
        line,
        len(record.sections),
        len(record.indicators.reported()),
        record.usage,
        csv_text(record_rows(data, candidates=candidates)),
        csv_text(finding_rows_of(data)),
    )


def _worker_ignores_interrupts() -> None:
    """Ctrl-C reaches the whole process group: the workers leave it to the parent, which stops the run (and
    the pool) once, instead of each printing a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers fork from a clean server with the pipeline imported, never from
    a parent that runs threads (a progress bar) and may hold their locks; spawn elsewhere."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["extractor.pipeline"])
        return context
    return multiprocessing.get_context("spawn")
