"""Bulk runs on a Dask cluster (the ``dist`` extra): the same job as :func:`extractor.bulk.run`, the same output
folder, with each report extracted on a Dask worker instead of a local process or thread.

Only the per-report work moves (:func:`extractor.bulk.finish_report`, through :class:`DaskWorkers`); resuming,
naming, ordering, error isolation and every file of the output folder stay the bulk runner's, in this process. A
report that raises comes back as its errors.jsonl line like any other; a report whose worker dies is retried on
another worker once (``distributed.scheduler.allowed-failures`` of a cluster started here; an external scheduler
keeps its own setting) and then ends in errors.jsonl as ``WorkerDied``, while the other reports go on.

The workers read the input files at the paths given (a shared filesystem when they run on other machines) and get
every setting of the run: the rules' engine as it is (``ocr``, ``table_asks``), or, for a model, the settings, from
which each worker process makes its own engine once. Model calls in flight to one endpoint are bounded across all
workers by a ``distributed.Semaphore`` named after the endpoint, ``settings.concurrency`` leases wide.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .bulk import Done, RunStats, Workers, finish_report
from .bulk import run as bulk_run
from .config import Settings
from .engine import Engine, make_engine
from .errors import ConfigError, ExtractorError, describe

if TYPE_CHECKING:
    from distributed import Client

Backend = Literal["local", "dask"]
BACKENDS: tuple[Backend, ...] = ("local", "dask")
EXTRA = "dist"
SEMAPHORE_PREFIX = "extractor-in-flight:"


def require() -> None:
    """Raise a one-line :class:`ConfigError` naming the extra when Dask's distributed scheduler is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"--backend dask needs the {EXTRA!r} extra (dask[distributed]): pip install 'extractor[{EXTRA}]'"
        ) from None


def check(backend: str, scheduler: str | None, settings: Settings | None = None) -> None:
    """Refuse what cannot run, in one line: an unknown backend, a scheduler without the dask backend, the
    embedded model on Dask workers (one model server per worker), a missing extra."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend != "dask":
        if scheduler is not None:
            raise ConfigError("--scheduler needs --backend dask")
        return
    if scheduler is not None and not scheduler.strip():
        raise ConfigError("--scheduler needs an address (tcp://HOST:PORT)")
    if settings is not None and settings.route.engine != "rules" and settings.route.local:
        raise ConfigError(
            "--backend dask asks a model only at a shared --endpoint URL: the embedded model (--endpoint local, "
            "the default of --engine hybrid and model) would load once per worker; give --endpoint URL or --engine rules"
        )
    require()


def semaphore_name(settings: Settings) -> str:
    """The cluster-wide semaphore of an endpoint: one name per endpoint, whichever run or worker asks it."""
    return f"{SEMAPHORE_PREFIX}{settings.route.endpoint}"


# -- on the workers

_engines: dict[Settings, Engine] = {}
_engines_lock = threading.Lock()


def _worker_engine(settings: Settings) -> Engine:
    """The engine of ``settings`` in this worker process, made once: its model client bounded by the cluster's
    semaphore for the endpoint."""
    with _engines_lock:
        engine = _engines.get(settings)
        if engine is None:
            from distributed import Semaphore

            gate = Semaphore(max_leases=settings.concurrency, name=semaphore_name(settings))
            engine = _engines[settings] = make_engine(settings, in_flight=gate)
        return engine


def work(job: Engine | Settings, path: Path, name: str, candidates: bool) -> Done:
    """One report on a Dask worker: :func:`finish_report` with the run's engine (given, or made from the settings
    here)."""
    try:
        engine = job if isinstance(job, Engine) else _worker_engine(job)
    except ExtractorError as e:
        return Done(error=describe(e))
    return finish_report(path, engine, name, candidates)


# -- in the process that runs the job


# Reports go to the cluster in batches sized to about _TARGET seconds of work each, so the scheduler's per-task
# cost (several ms: a round trip through the scheduler for every task) is paid once a batch: a text report takes
# milliseconds, a text PDF tens of them, a scan minutes (a batch of one). The size per file suffix follows the mean
# seconds the reports of that suffix took so far on a warm worker (a worker's first report of a kind also pays its
# imports: it sizes batches only until a warm one comes back); before any came back, text kinds start at
# _FIRST_TEXT and PDFs and .docx files (a scan is one) at one. Batches are sized when they are sent, and at most
# _AHEAD of them per worker thread are in flight, so the sizes follow what the reports come back saying.
_TARGET = 1.0
_FIRST_TEXT = 16
_AHEAD = 2
_ONE_BY_ONE = frozenset({".pdf", ".docx"})
BATCH = 64  # the most reports in one batch

_warm: set[str] = set()  # on a worker: the suffixes it has run a report of


def work_batch(
    task: Callable[..., Done], job: Engine | Settings, items: list[tuple[Path, str, bool]]
) -> list[tuple[Done, float, bool]]:
    """Several reports on one Dask worker, one after the other, each :func:`work` as it would run alone, with the
    seconds it took and whether the worker had run a report of its kind before (warm)."""
    out: list[tuple[Done, float, bool]] = []
    for path, name, candidates in items:
        suffix = path.suffix.lower()
        warm = suffix in _warm
        started = time.perf_counter()
        done = task(job, path, name, candidates)
        out.append((done, time.perf_counter() - started, warm))
        _warm.add(suffix)
    return out


Held = list[tuple[Path, str, bool, "Future[Done]"]]


class _Timing:
    """The seconds the reports of one suffix took: on warm workers, and first reports of a worker (cold)."""

    __slots__ = ("cold", "cold_n", "warm", "warm_n")

    def __init__(self) -> None:
        self.warm = self.cold = 0.0
        self.warm_n = self.cold_n = 0

    def add(self, seconds: float, warm: bool) -> None:
        if warm:
            self.warm, self.warm_n = self.warm + seconds, self.warm_n + 1
        else:
            self.cold, self.cold_n = self.cold + seconds, self.cold_n + 1

    def mean(self) -> float:
        return self.warm / self.warm_n if self.warm_n else self.cold / max(1, self.cold_n)


class DaskWorkers(Workers):
    """Reports submitted to a Dask cluster through its concurrent.futures executor, a rules run's in batches of up
    to ``batch`` sized by the seconds reports of their kind take, at most ``_AHEAD`` batches per worker thread in
    flight (a batch whose worker dies is sent again one report per task, so only the report that killed it fails);
    a model's one by one. ``slots`` is the cluster's worker threads times ``batch``."""

    def __init__(
        self, client: Client, job: Engine | Settings, task: Callable[..., Done] = work, batch: int = BATCH
    ) -> None:
        # a model's report takes seconds to minutes: batching would only hold reports back from idle workers
        self.client, self.job, self.task = client, job, task
        self.batch = max(1, batch) if isinstance(job, Engine) else 1
        self.executor = client.get_executor(pure=False)  # the same report twice is two tasks, not one cached
        self.threads = max(1, sum(client.nthreads().values()))
        self.slots = self.threads * self.batch
        self.ahead = self.threads * _AHEAD if self.batch > 1 else None  # batches in flight at most (None: no bound)
        self._lock = threading.Lock()
        self._in_flight = 0
        self._held: dict[str, Held] = {}
        self._timing: dict[str, _Timing] = {}  # per suffix, from the batches that came back
        self._probing: dict[str, int] = {}  # kinds without a time yet: their first reports running, one a thread

    def _size(self, suffix: str) -> int | None:
        """Reports of ``suffix`` a batch holds; None while the first reports of a kind without a size yet run (one
        per worker thread, alone: a kind that may take minutes a report is not held back from idle workers)."""
        timing = self._timing.get(suffix)
        if timing is None:
            if suffix not in _ONE_BY_ONE:
                return min(self.batch, _FIRST_TEXT)
            return 1 if self._probing.get(suffix, 0) < self.threads else None
        seconds = timing.mean()
        return max(1, min(self.batch, round(_TARGET / seconds) if seconds > 0 else self.batch))

    def submit(self, path: Path, name: str, candidates: bool) -> Future[Done]:
        suffix = path.suffix.lower()
        fut: Future[Done] = Future()
        self._held.setdefault(suffix, []).append((path, name, candidates, fut))
        self._send_full(suffix)
        return fut

    def _room(self) -> bool:
        with self._lock:
            return self.ahead is None or self._in_flight < self.ahead

    def _send_full(self, suffix: str, partial: bool = False) -> None:
        """Send the held reports of ``suffix`` in batches of its size (``partial``: the last, smaller one too), while
        fewer than ``ahead`` batches are in flight."""
        held = self._held.get(suffix, [])
        while held and self._room() and (size := self._size(suffix)) is not None and (len(held) >= size or partial):
            batch, held[:] = held[:size], held[size:]
            if suffix in _ONE_BY_ONE and suffix not in self._timing:
                # one of the first of its kind: how long they take sizes the batches after them
                self._probing[suffix] = self._probing.get(suffix, 0) + 1
            self._send(batch)
        if not held:
            self._held.pop(suffix, None)

    def _one(self, path: Path, name: str, candidates: bool) -> Future[Done]:
        return self.executor.submit(self.task, self.job, path, name, candidates)  # type: ignore[no-any-return]

    def flush(self) -> None:
        for suffix in list(self._held):
            self._send_full(suffix, partial=True)  # a kind whose first report still runs waits for it

    def _send(self, held: Held) -> None:
        items = [(path, name, candidates) for path, name, candidates, _ in held]
        with self._lock:
            self._in_flight += 1
        sent: Future[list[tuple[Done, float, bool]]] = self.executor.submit(work_batch, self.task, self.job, items)
        sent.add_done_callback(lambda done: self._settle(done, held))

    def _settle(self, done: Future[list[tuple[Done, float, bool]]], held: Held) -> None:
        """A batch's results to its reports' futures (called in Dask's thread when the batch ends). The timing of
        its kind is updated first: a future set wakes the run, which may send the held reports of that kind at
        once."""
        suffix = held[0][0].suffix.lower()
        error = CancelledError() if done.cancelled() else done.exception()
        with self._lock:
            self._in_flight -= 1
            if error is None:
                results = done.result()
                timing = self._timing.setdefault(suffix, _Timing())
                for _, seconds, warm in results:
                    timing.add(seconds, warm)
            if suffix in self._probing and suffix not in self._timing:
                self._probing[suffix] -= 1  # a first report that failed: the next of its kind is the next first
        if error is None:
            for (*_, fut), (result, *_) in zip(held, results, strict=True):
                fut.set_result(result)
        elif len(held) > 1 and self.lost(error, None) is not None and not done.cancelled():
            # the worker died under one of the batch's reports: each is sent again alone (from a thread of its own,
            # not Dask's event loop), so only the one that kills its worker ends as WorkerDied
            threading.Thread(target=self._alone, args=(held,), daemon=True).start()
        else:
            for *_, fut in held:
                fut.set_exception(error)

    def _alone(self, held: Held) -> None:
        for path, name, candidates, fut in held:
            try:
                _chain(self._one(path, name, candidates), fut)
            except BaseException as e:  # the client closed (the run stopped): the report is not done
                fut.set_exception(e)

    def lost(self, error: BaseException, path: Path | None) -> str | None:
        from distributed import KilledWorker

        if isinstance(error, KilledWorker):
            return f"{path}: the Dask worker running this report died ({error}); killed or out of memory"
        if isinstance(error, CancelledError):
            return f"{path}: the Dask cluster dropped this report (its scheduler or client went away)"
        return None

    def close(self, interrupted: bool) -> None:
        for held in self._held.values():
            for *_, fut in held:
                fut.cancel()
        self._held = {}
        self.executor.shutdown(wait=not interrupted)


def _chain(source: Future[Done], target: Future[Done]) -> None:
    """``target`` settles as ``source`` does."""

    def settle(done: Future[Done]) -> None:
        if done.cancelled():
            target.set_exception(CancelledError())
        elif (error := done.exception()) is not None:
            target.set_exception(error)
        else:
            target.set_result(done.result())

    source.add_done_callback(settle)


def job_of(engine: Engine, settings: Settings | None) -> Engine | Settings:
    """What each worker is given: the rules' engine as it is (with its ``ocr`` and ``table_asks``), or the
    settings of a model engine, from which a worker makes its own client."""
    if engine.uses_model:
        if settings is None:
            raise ConfigError("a model engine on --backend dask needs its Settings (the workers make their own client)")
        return settings
    return Engine(engine.provider, ocr=engine.ocr, table_asks=engine.table_asks)


@contextlib.contextmanager
def connect(scheduler: str | None = None, *, workers: int = 1, processes: bool = True) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, or of a LocalCluster of ``workers`` single-threaded workers
    started for the job (``processes=False``: threads of this process) and closed after it."""
    require()
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=10)
        except (OSError, TimeoutError, ValueError) as e:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
        with client:
            try:
                client.wait_for_workers(1, timeout=60)
            except TimeoutError:
                raise ConfigError(f"the Dask scheduler at {scheduler} has no worker (waited 60 s)") from None
            yield client
        return
    # A report that kills its worker is tried once more elsewhere, then is WorkerDied in errors.jsonl; a worker is
    # given only the report it runs (the scheduler keeps the queue), so a worker's death touches no other report.
    # The workers' sampling profiler (a thread waking every 10 ms for the dashboard, which is off here) is turned off:
    # on this 2-core machine a PDF report took 22 ms on a worker with it off, 24 ms with it on.
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536 (glibc then hands freed memory back to the system at
    # once): OCR, whose model frees and allocates its buffers on every call, ran twice as slow with it (a six-page
    # scan: 49.7 s against 23.7 s in a plain process). The workers keep the rest of Dask's environment (one thread
    # for OpenMP/BLAS libraries).
    environ = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    settings = {
        "distributed.scheduler.allowed-failures": 1,
        "distributed.scheduler.worker-saturation": 1.0,
        "distributed.worker.profile.enabled": False,
        "distributed.nanny.pre-spawn-environ": {k: v for k, v in environ.items() if k != "MALLOC_TRIM_THRESHOLD_"},
    }
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            # no dashboard; the scheduler's HTTP endpoints on a free port (not 8787, which may be another's)
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        )
    levels: dict[str, int] = {}
    try:
        with cluster, Client(cluster) as client:
            if processes:
                client.register_plugin(_local_worker(workers), name="extractor-local-worker")
            try:
                yield client
            except BaseException:
                # a run stopped mid-task closes connections under tasks in flight: the errors Dask and Tornado log
                # for them are expected, and the run's own one line says what happened
                levels = _quiet(logging.CRITICAL)
                raise
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


_NOISY = ("distributed", "tornado", "tornado.application", "asyncio")


def _quiet(level: int) -> dict[str, int]:
    """Set the loggers of Dask's transport to ``level``; returns their levels before."""
    before = {name: logging.getLogger(name).level for name in _NOISY}
    for name in _NOISY:
        logging.getLogger(name).setLevel(level)
    return before


def _local_worker(workers: int) -> Any:
    """A worker plugin for the worker processes of a LocalCluster of ``workers`` started here: Ctrl-C reaches the
    whole process group, and the run (this process) stops the cluster itself, instead of each worker printing a
    traceback; OCR gets the worker's share of the machine's cores."""
    from distributed import WorkerPlugin

    class LocalWorker(WorkerPlugin):
        def setup(self, worker: Any) -> None:
            import signal

            from .documents.ocr import share_cores

            with contextlib.suppress(ValueError):  # not the main thread: nothing to do
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            share_cores(workers)

    return LocalWorker()


def run(
    inputs: list[Path],
    out_dir: Path,
    engine: Engine,
    *,
    settings: Settings | None = None,
    scheduler: str | None = None,
    workers: int = 1,
    processes: bool = True,
    on_progress: Callable[[RunStats, str], None] | None = None,
    candidates: bool = False,
    task: Callable[..., Done] = work,
) -> RunStats:
    """:func:`extractor.bulk.run` with each report extracted on a Dask cluster: the scheduler at ``scheduler``, or
    a LocalCluster of ``workers`` workers started for the job. ``settings`` are needed for a model engine (each
    worker makes its client from them). ``task`` is what a worker runs per report (tests replace it)."""
    check("dask", scheduler, settings)
    job = job_of(engine, settings)
    with connect(scheduler, workers=workers, processes=processes) as client:

        def make(_engine: Engine, _concurrency: int) -> Workers:
            return DaskWorkers(client, job, task)

        return bulk_run(inputs, out_dir, engine, on_progress=on_progress, candidates=candidates, workers=make)
