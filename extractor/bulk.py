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
import weakref
from abc import ABC, abstractmethod
from collections import deque
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
from .documents.ocr import share_cores
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
    workers: Callable[[Engine, int], Workers] | None = None,
) -> RunStats:
    """Extract every input into ``out_dir``; skip reports already finished there; isolate failures. The long table
    holds the accepted values; ``candidates`` adds the model values the gate kept out (status column).
    ``workers`` makes where the reports are extracted (default :class:`LocalWorkers`; ``extractor.cluster`` makes
    Dask workers): the folder written is the same."""
    prepare_out_dir(out_dir)
    with folder_lock(out_dir):
        clean_orphans(out_dir)
        try:
            return _run(
                inputs,
                out_dir,
                engine,
                concurrency=concurrency,
                on_progress=on_progress,
                candidates=candidates,
                workers_for=workers,
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
    workers_for: Callable[[Engine, int], Workers] | None = None,
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

    workers = (workers_for or LocalWorkers)(engine, concurrency)
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
        # worker processes finish their report and exit (waited for: they hold the terminal); threads in a model
        # call are not waited for after Ctrl-C
        stack.callback(lambda: workers.close(interrupted))
        stack.push(on_interrupt)  # exits run last in, first out: this one before the workers' close above
        if streaming:
            ind_fh, fnd_fh = stack.enter_context(table_files(out_dir))
        # Reports are submitted in input order and written in that order: every backend and every concurrency
        # writes the same files. ``queue`` holds what was submitted and is not yet written (a finished report
        # waits there for the slower ones before it, up to _REORDER of them); ``running`` what has not finished.
        queue: deque[tuple[Future[Done], Path, str]] = deque()
        running: set[Future[Done]] = set()
        source = pending()
        exhausted = False
        window = workers.slots * 2
        while True:
            while not exhausted and len(running) < window and len(queue) < window + _REORDER:
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                    break
                fut = workers.submit(nxt[0], nxt[1], candidates)
                queue.append((fut, *nxt))
                running.add(fut)
            if STOP.is_set():
                raise KeyboardInterrupt  # a stop signal whose own raise Python swallowed (see STOP)
            if not queue:
                break
            if not queue[0][0].done():
                workers.flush()
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                running -= finished
                lost = [f for f in finished if (e := _failure(f)) is not None and workers.lost(e, None) is not None]
                if lost:
                    workers.renew(lost)  # a process pool that lost a worker takes no more work: a new one does
            lost = []
            while queue and queue[0][0].done():
                fut, path, name = queue.popleft()
                running.discard(fut)
                try:
                    result = fut.result()
                except BaseException as e:
                    message = workers.lost(e, path)
                    if message is None:
                        raise
                    lost.append(fut)
                    result = Done(error={"error": "WorkerDied", "message": message})
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
            if lost:
                workers.renew(lost)
    if superseded:
        keep_latest(records_path, superseded)
    kept = {k: v for k, v in previous_errors.items() if k not in seen and k not in done_reports(records_path)}
    write_jsonl_atomic(errors_path, [*kept.values(), *errors.values()])
    if not streaming:
        export_tables(out_dir, candidates=candidates)
    stats.seconds = time.perf_counter() - started
    return stats


# Set by the CLI's SIGTERM handler before it raises KeyboardInterrupt: a signal that arrives while a weakref callback
# or a finalizer runs has its exception printed as "Exception ignored" and dropped by Python, and the run would go on
# to the end; the run's loop checks this between reports and stops there.
STOP = threading.Event()

_REORDER = 256  # finished reports held back at most, waiting for a slower one before them to be written first


def _failure(fut: Future[Any]) -> BaseException | None:
    return CancelledError() if fut.cancelled() else fut.exception()


class Workers(ABC):
    """Where a run's reports are extracted. :meth:`submit` hands one report to a worker and returns a
    :class:`concurrent.futures.Future` of its :class:`Done` (what :func:`finish_report` returns there); the run
    keeps ``2 × slots`` reports under way and writes each one's result, in input order."""

    slots: int = 1

    @abstractmethod
    def submit(self, path: Path, name: str, candidates: bool) -> Future[Done]: ...

    @abstractmethod
    def lost(self, error: BaseException, path: Path | None) -> str | None:
        """When ``error`` (raised by a report's future) means the worker holding the report was lost: the
        errors.jsonl message for it; None for anything else (a bug: the run stops with it)."""

    def renew(self, lost: list[Future[Done]]) -> None:  # noqa: B027  (nothing to do unless a pool breaks)
        """After ``lost`` futures failed with a lost worker: replace what can take no more work."""

    def flush(self) -> None:  # noqa: B027  (nothing to do unless submit holds reports back)
        """Send on whatever :meth:`submit` holds back (a backend that sends reports in batches): the run calls it
        before it waits for a report to finish."""

    @abstractmethod
    def close(self, interrupted: bool) -> None: ...


class LocalWorkers(Workers):
    """On this machine: worker processes for a model-free run with ``concurrency`` > 1 (CPU-bound Python: threads
    would share one core), else threads sharing the engine (a model run waits on HTTP; one client)."""

    def __init__(self, engine: Engine, concurrency: int) -> None:
        self.slots = concurrency
        self.in_processes = concurrency > 1 and not engine.uses_model
        # nothing of a client crosses to a worker process; every setting the rules need does
        self.engine = (
            Engine(engine.provider, ocr=engine.ocr, table_asks=engine.table_asks) if self.in_processes else engine
        )
        self.pool = self._new_pool()
        self.submitted: weakref.WeakSet[Future[Done]] = weakref.WeakSet()  # to the current pool

    def _new_pool(self) -> Executor:
        if self.in_processes:
            return ProcessPoolExecutor(
                max_workers=self.slots,
                mp_context=_worker_context(),
                initializer=_worker_starts,
                initargs=(self.slots,),
            )
        return ThreadPoolExecutor(max_workers=self.slots)

    def submit(self, path: Path, name: str, candidates: bool) -> Future[Done]:
        try:
            fut = self.pool.submit(finish_report, path, self.engine, name, candidates)
        except BrokenProcessPool:  # a worker died since the run last looked: a new pool takes this report
            self._replace()
            fut = self.pool.submit(finish_report, path, self.engine, name, candidates)
        self.submitted.add(fut)
        return fut

    def lost(self, error: BaseException, path: Path | None) -> str | None:
        if isinstance(error, BrokenProcessPool | CancelledError):
            # a worker died (killed, out of memory): which report it held is unknown, so each report the pool
            # held fails alike, and a rerun tries them again
            return f"{path}: a worker process died while the pool held this report (killed or out of memory)"
        return None

    def renew(self, lost: list[Future[Done]]) -> None:
        if any(f in self.submitted for f in lost):  # futures of an earlier pool are not this pool's loss
            self._replace()

    def _replace(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()
        self.submitted = weakref.WeakSet()

    def close(self, interrupted: bool) -> None:
        # after Ctrl-C nothing waits for a running model call; worker processes are waited for (they hold the
        # terminal)
        self.pool.shutdown(wait=self.in_processes or not interrupted, cancel_futures=interrupted)


@dataclass(frozen=True, slots=True)
class Done:
    """A worker's answer: the record as its records.jsonl line and its CSV rows, or what went wrong
    (``describe``'s dict: exceptions with arguments of their own do not always survive pickling)."""

    line: str = ""
    sections: int = 0
    values: int = 0
    usage: Usage = field(default_factory=Usage)
    rows: str = ""  # indicators.csv rows, as CSV text
    findings: str = ""  # findings.csv rows, as CSV text
    error: dict[str, Any] | None = None


def finish_report(path: Path, engine: Engine, name: str | None = None, candidates: bool = False) -> Done:
    """:func:`process`, and the record made ready to write, in a worker (thread, process or Dask worker); ``name``
    is the report's name when it is not the file's stem (another file of that stem came first). Never raises for
    a report's own failure: it comes back as ``Done.error``."""
    try:
        record = process(path, engine)
        if name is not None and name != record.report:
            record.report = name
    except (ExtractorError, OSError) as e:
        return Done(error=describe(e if isinstance(e, ExtractorError) else InputError(path, str(e))))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:
        return Done(error=describe_unexpected(e, path))
    line = record.model_dump_json()
    data = json.loads(line)  # the rows come from the record's JSON, as a rebuild from records.jsonl reads them
    return Done(
        line,
        len(record.sections),
        len(record.indicators.reported()),
        record.usage,
        csv_text(record_rows(data, candidates=candidates)),
        csv_text(finding_rows_of(data)),
    )


def _worker_starts(processes: int) -> None:
    """A worker process of a pool of ``processes``. Ctrl-C reaches the whole process group: the workers leave it
    to the parent, which stops the run (and the pool) once, instead of each printing a traceback of its own. OCR
    gets the worker's share of the cores."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    share_cores(processes)


def _worker_context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers fork from a clean server with the pipeline imported, never from
    a parent that runs threads (a progress bar) and may hold their locks; spawn elsewhere."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["extractor.pipeline"])
        return context
    return multiprocessing.get_context("spawn")
