"""The Dask backend (``extractor.cluster``, the ``dist`` extra) on clusters these tests start: the same output folder
as a local run, resume, a report that raises or kills its worker isolated, model calls bounded across workers.

Records are compared byte for byte after dropping one field, ``seconds`` (each record's own extraction time); every
other file of the folder is compared byte for byte as it is. The development corpus is run with ``ocr="never"``
(its scanned PDF then ends in errors.jsonl alike on both backends, which also shows the setting reached the
workers); bench/dist_job.py times OCR on Dask.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip(
    "distributed", reason="dask[distributed] is not installed (the 'dist' extra): the Dask backend is not tested"
)

from extractor import cluster  # noqa: E402
from extractor.bulk import Done, expand_inputs, finish_report, run  # noqa: E402
from extractor.config import Settings  # noqa: E402
from extractor.engine import Engine  # noqa: E402

from .conftest import ROOT, SEEDS, extract_cli  # noqa: E402
from .fault_server import FaultServer, slow  # noqa: E402

CORPUS = ROOT / "eval" / "corpus" / "docs"
FILES = ("records.jsonl", "indicators.csv", "findings.csv", "errors.jsonl")


def _rules() -> Engine:
    return Engine("rules", ocr="never")


def folder(out: Path) -> dict[str, bytes]:
    """The output folder's files as bytes, each record without its ``seconds``."""
    got = {name: (out / name).read_bytes() for name in FILES}
    lines = got["records.jsonl"].decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert all("seconds" in r for r in records)
    got["records.jsonl"] = "\n".join(
        json.dumps({k: v for k, v in r.items() if k != "seconds"}, ensure_ascii=False) for r in records
    ).encode()
    return got


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A LocalCluster of two single-threaded workers in this process (quick to start)."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as lc:
        yield lc.scheduler_address


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The development corpus extracted by the local runner, one report at a time."""
    out = tmp_path_factory.mktemp("local") / "out"
    stats = run([CORPUS], out, _rules())
    assert stats.reports >= 30 and stats.failed == 1  # the scan, with ocr never
    return out


def test_the_dask_run_writes_the_local_run_s_folder(scheduler: str, local_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "dask"
    stats = cluster.run(list(expand_inputs([CORPUS])), out, _rules(), scheduler=scheduler)
    assert (stats.reports, stats.failed) == (sum(1 for _ in expand_inputs([CORPUS])) - 1, 1)
    assert folder(out) == folder(local_run)
    error = json.loads((out / "errors.jsonl").read_text(encoding="utf-8"))
    assert error["report"] == "pdf-sm-city-2023-v-pdf-scan" and "OCR" in error["message"]


def test_a_dask_run_resumes(scheduler: str, local_run: Path, tmp_path: Path) -> None:
    files = list(expand_inputs([CORPUS]))
    out = tmp_path / "dask"
    first = cluster.run(files[:12], out, _rules(), scheduler=scheduler)
    assert first.reports == 12
    again = cluster.run(files, out, _rules(), scheduler=scheduler)
    assert again.skipped == 12 and again.reports == len(files) - 12 - 1
    assert folder(out) == folder(local_run)  # the CSVs rebuilt from records.jsonl: the same bytes
    last = cluster.run(files, out, _rules(), scheduler=scheduler)
    assert (last.reports, last.skipped) == (0, len(files) - 1)  # the failed scan is tried again, and fails again
    assert folder(out) == folder(local_run)


class _Exploding:
    """An engine whose extraction raises (a bug of ours) as soon as a report is read."""

    provider = "rules"

    @property
    def ocr(self) -> str:
        raise RuntimeError("boom in the rules")


def _raises_on_walk(job: Any, path: Path, name: str, candidates: bool) -> Done:
    """A worker task whose extraction raises on the report named walk."""
    return finish_report(path, _Exploding() if path.stem == "walk" else job, name, candidates)  # type: ignore[arg-type]


def test_a_report_that_raises_on_a_worker_is_isolated(scheduler: str, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    shutil.copy(next(SEEDS.glob("004*.txt")), inputs / "walk.txt")
    (inputs / "empty.txt").write_text("", encoding="utf-8")
    out = tmp_path / "out"
    stats = cluster.run([inputs], out, _rules(), scheduler=scheduler, task=_raises_on_walk)
    assert (stats.reports, stats.failed) == (5, 2)
    errors = {e["report"]: e for e in map(json.loads, (out / "errors.jsonl").read_text(encoding="utf-8").splitlines())}
    assert errors["walk"]["error"] == "RuntimeError" and "boom in the rules" in errors["walk"]["message"]
    assert errors["empty"]["error"] == "InputError"
    local = tmp_path / "local"
    run([p for p in expand_inputs([inputs]) if p.stem != "walk"], local, _rules())  # the same five records, in order
    assert folder(out)["records.jsonl"] == folder(local)["records.jsonl"]
    again = cluster.run([inputs], out, _rules(), scheduler=scheduler)  # a rerun retries what failed
    assert (again.reports, again.failed, again.skipped) == (1, 1, 5)


def _dies_on_poison(job: Any, path: Path, name: str, candidates: bool) -> Done:
    """A worker task that kills its worker process on the report named poison (as the OOM killer would)."""
    if path.stem == "poison":
        os._exit(9)
    return cluster.work(job, path, name, candidates)


def test_a_dead_worker_fails_its_report_and_the_others_finish(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    shutil.copy(next(SEEDS.glob("000*.txt")), inputs / "poison.txt")
    shutil.copy(CORPUS / "pdf-sm-city-2023-v-pdf-scan.pdf", inputs / "scan.pdf")
    out = tmp_path / "out"
    # worker processes (spawned: they import this module to find the task), each killed by the poison is restarted
    stats = cluster.run([inputs], out, _rules(), workers=2, processes=True, task=_dies_on_poison)
    errors = {e["report"]: e for e in map(json.loads, (out / "errors.jsonl").read_text(encoding="utf-8").splitlines())}
    assert set(errors) == {"poison", "scan"}, errors  # no other report was on the dying worker
    assert errors["poison"]["error"] == "WorkerDied" and "died" in errors["poison"]["message"]
    assert "OCR" in errors["scan"]["message"]  # ocr="never" reached the worker processes
    assert (stats.reports, stats.failed) == (5, 2)
    again = cluster.run([inputs], out, _rules(), workers=2, processes=True)  # a rerun retries what failed
    assert (again.reports, again.failed, again.skipped) == (1, 1, 5)


def _two_seeds(tmp_path: Path) -> Path:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for p in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(p, inputs / p.name)
    return inputs


def test_model_calls_in_flight_are_bounded_across_workers(scheduler: str, tmp_path: Path) -> None:
    delay = 0.3
    with FaultServer(delay=delay) as server:
        settings = Settings(
            engine="model", endpoint=server.base_url, model="m", cache=False, concurrency=1, max_retries=0
        )
        inputs = _two_seeds(tmp_path)
        engine = Engine("openai")  # the parent's engine only names the provider: workers make their own client
        job = cluster.job_of(Engine("openai", client=object()), settings)  # type: ignore[arg-type]
        assert job == settings
        out = tmp_path / "out"
        with distributed.Client(scheduler) as client:
            dask_workers = cluster.DaskWorkers(client, job)
            assert dask_workers.slots == 2
            stats = run([inputs], out, engine, workers=lambda *_: dask_workers)
            leases = client.run_on_scheduler(
                lambda dask_scheduler: dict(dask_scheduler.extensions["semaphores"].max_leases)
            )
        arrivals = sorted(r.at for r in server.requests)
    assert stats.reports == 2 and stats.usage.model_calls == len(arrivals) >= 4
    assert leases[cluster.semaphore_name(settings)] == 1
    # two workers, each on its own report, and never two calls at the endpoint at once
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= delay * 0.9, gaps


def test_model_calls_overlap_when_the_setting_allows(scheduler: str, tmp_path: Path) -> None:
    """The check above can fail: with two leases the two workers' calls do overlap."""
    delay = 0.3
    with FaultServer(delay=delay) as server:
        server.script(*[slow(delay)] * 200)
        # a request that stalls (seen once under the newest openai/httpx2: a request body that never reached the
        # fault server whole, the run waiting on it) times out and is sent again, instead of holding the test for
        # the 600 s default timeout
        settings = Settings(
            engine="model", endpoint=server.base_url, model="m2", cache=False, concurrency=2, max_retries=1,
            timeout=30,
        )  # fmt: skip
        inputs = _two_seeds(tmp_path)
        with distributed.Client(scheduler) as client:
            dask_workers = cluster.DaskWorkers(client, settings)
            run([inputs], tmp_path / "out", Engine("openai"), workers=lambda *_: dask_workers)
        arrivals = sorted(r.at for r in server.requests)
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) < delay * 0.5, gaps


def test_the_cli_and_the_api_run_on_dask(
    scheduler: str, local_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import extractor

    code, out, _ = extract_cli(
        [str(CORPUS), "-o", str(tmp_path / "cli"), "--backend", "dask", "--scheduler", scheduler, "--ocr", "never"],
        capsys,
    )
    assert code == 0 and json.loads(out)["failed"] == 1
    assert folder(tmp_path / "cli") == folder(local_run)
    stats = extractor.extract_many(
        [CORPUS], tmp_path / "api", settings=Settings(engine="rules", ocr="never"), backend="dask", scheduler=scheduler
    )
    assert stats.failed == 1 and folder(tmp_path / "api") == folder(local_run)


def _extract(args: list[str], cwd: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTOR_")}
    env["EXTRACTOR_HOME"] = str(cwd / "home")
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "extractor.cli", "extract", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--backend", "ray"], "error: unknown backend 'ray'; choose one of local, dask"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "error: --scheduler needs --backend dask"),
        (
            ["--backend", "dask", "--engine", "hybrid"],
            "error: --backend dask asks a model only at a shared --endpoint URL",
        ),
    ],
    ids=["unknown", "scheduler-without-dask", "embedded-model"],
)
def test_bad_combinations_are_one_line(flags: list[str], message: str, tmp_path: Path) -> None:
    result = _extract([str(next(SEEDS.glob("004*.txt"))), *flags, "-o", "out"], tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip().splitlines()[0]]
    assert result.stderr.startswith(message), result.stderr
    assert not (tmp_path / "out").exists()


def test_without_the_extra_dask_is_one_line_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "distributed.py").write_text("raise ImportError('not installed')\n", encoding="utf-8")
    result = _extract(
        [str(next(SEEDS.glob("004*.txt"))), "--backend", "dask", "--engine", "rules", "-o", "out"],
        tmp_path,
        {"PYTHONPATH": str(blocker)},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "error: --backend dask needs the 'dist' extra (dask[distributed]): pip install 'extractor[dist]'"
    )
    import extractor

    with pytest.raises(extractor.ConfigError, match="--scheduler needs --backend dask"):
        extractor.extract_many([SEEDS], tmp_path / "o", scheduler="tcp://127.0.0.1:8786")


def test_ctrl_c_stops_a_dask_run_in_one_line_and_the_rerun_finishes(tmp_path: Path) -> None:
    import signal
    import time

    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(300):
        os.link(CORPUS / "sm-city-2021.txt", inputs / f"r{i:04d}.txt")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTOR_")}
    env["EXTRACTOR_HOME"] = str(tmp_path / "home")
    args = [sys.executable, "-m", "extractor.cli", "extract", str(inputs), "-o", str(tmp_path / "out"), "-q"]
    args += ["--engine", "rules", "--backend", "dask", "--concurrency", "2"]
    # a new session: the signal goes to the whole group (the run and its worker processes), as Ctrl-C does
    proc = subprocess.Popen(
        args, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    records = tmp_path / "out" / "records.jsonl"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (records.exists() and records.stat().st_size > 0):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip() == "interrupted; rerun the same command to resume", err  # no worker's traceback
    done = len(records.read_text(encoding="utf-8").splitlines())
    assert 0 < done < 300
    rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    lines = records.read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["report"] for line in lines) == [f"r{i:04d}" for i in range(300)]


class _FakeExecutor:
    """Runs each submitted task at once, or fails it as a dying worker does when it holds the report named poison."""

    def __init__(self) -> None:
        self.sent: list[list[str]] = []

    def submit(self, fn: Any, *args: Any) -> Any:
        from concurrent.futures import Future

        fut: Future[Any] = Future()
        items = args[2] if fn is cluster.work_batch else [(args[1], args[2], args[3])]
        self.sent.append([Path(p).name for p, _, _ in items])
        if any(Path(p).stem == "poison" for p, _, _ in items):
            died = distributed.KilledWorker.__new__(distributed.KilledWorker)  # its arguments vary by release
            Exception.__init__(died, "task", type("Worker", (), {"address": "tcp://worker"})(), 1)
            fut.set_exception(died)
        else:
            fut.set_result(fn(*args))
        return fut

    def shutdown(self, wait: bool) -> None:
        pass


class _FakeClient:
    def __init__(self) -> None:
        self.executor = _FakeExecutor()

    def get_executor(self, pure: bool) -> _FakeExecutor:
        return self.executor

    def nthreads(self) -> dict[str, int]:
        return {"a": 1, "b": 1}


def _done(job: Any, path: Path, name: str, candidates: bool) -> Done:
    return Done(error={"error": "Fine", "message": name})


def test_text_reports_go_in_batches_and_a_dying_batch_is_sent_again_one_by_one() -> None:
    client = _FakeClient()
    workers = cluster.DaskWorkers(client, _rules(), task=_done, batch=4)  # type: ignore[arg-type]
    assert workers.slots == 2 * 4
    names = [f"r{i}.txt" for i in range(5)] + ["a.pdf", "poison.txt", "z.txt"]
    futures = [workers.submit(Path(n), Path(n).stem, False) for n in names]
    workers.flush()
    for fut in futures:
        fut.exception(timeout=10)  # settled (the dying batch's reports from a thread of their own)
    sent = client.executor.sent
    # text in batches (here of 4), a PDF alone until reports of its kind say they are quick
    assert sent[:3] == [["r0.txt", "r1.txt", "r2.txt", "r3.txt"], ["a.pdf"], ["r4.txt", "poison.txt", "z.txt"]]
    assert sorted(map(tuple, sent[3:])) == [("poison.txt",), ("r4.txt",), ("z.txt",)]  # then alone
    results = dict(zip(names, futures, strict=True))
    assert isinstance(results["poison.txt"].exception(), distributed.KilledWorker)
    assert all(
        results[n].result().error == {"error": "Fine", "message": Path(n).stem} for n in names if n != "poison.txt"
    )
    quick = [workers.submit(Path(f"q{i}.pdf"), f"q{i}", False) for i in range(4)]  # PDFs that took no time
    assert [f.done() for f in quick] == [True] * 4 and client.executor.sent[-1] == [f"q{i}.pdf" for i in range(4)]
    model = cluster.DaskWorkers(client, Settings(engine="model", endpoint="http://x", model="m"))  # type: ignore[arg-type]
    assert model.batch == 1 and model.slots == 2  # a model's reports are never held back


class _HeldExecutor:
    """Keeps every submitted batch until the test settles it, as a busy cluster does."""

    def __init__(self) -> None:
        self.batches: list[tuple[Any, list[tuple[Path, str, bool]]]] = []

    def submit(self, fn: Any, *args: Any) -> Any:
        from concurrent.futures import Future

        fut: Future[Any] = Future()
        self.batches.append((fut, args[2]))
        return fut

    def settle(self, k: int, seconds: float, warm: bool = True) -> None:
        """Batch ``k`` ends, each of its reports having taken ``seconds``."""
        fut, items = self.batches[k]
        fut.set_result([(Done(line=name), seconds, warm) for _, name, _ in items])

    def shutdown(self, wait: bool) -> None:
        pass


def test_batches_are_sized_when_sent_from_warm_reports_and_few_are_in_flight() -> None:
    client = _FakeClient()
    client.executor = _HeldExecutor()  # type: ignore[assignment]
    sent = client.executor.batches  # type: ignore[attr-defined]
    workers = cluster.DaskWorkers(client, _rules(), task=_done, batch=64)  # type: ignore[arg-type]
    assert workers.ahead == 2 * cluster._AHEAD  # two worker threads
    futures = [workers.submit(Path(f"p{i:03d}.pdf"), f"p{i:03d}", False) for i in range(300)]
    workers.flush()
    # the first PDFs alone, one a worker thread: their times size the others (a scan takes minutes)
    assert [len(items) for _, items in sent] == [1, 1]
    client.executor.settle(0, 0.5, warm=False)  # type: ignore[attr-defined]  # a cold worker's first report
    workers.flush()
    assert [len(items) for _, items in sent] == [1, 1, 2, 2, 2]  # 1 s / 0.5 s, and no more than 4 in flight
    for k in (1, 2):
        client.executor.settle(k, 0.02, warm=k > 1)  # type: ignore[attr-defined]  # warm: 20 ms a report
    workers.flush()
    # once a warm report came back, the cold first ones no longer count: 1 s / 20 ms = 50 a batch
    assert [len(items) for _, items in sent] == [1, 1, 2, 2, 2, 50, 50]
    for k in range(3, len(sent)):
        client.executor.settle(k, 0.02)  # type: ignore[attr-defined]
    workers.flush()
    assert all(len(items) == 50 for _, items in sent[7:-1]) and sum(len(items) for _, items in sent) == 300
    while any(not fut.done() for fut, _ in sent):
        for k, (fut, _) in enumerate(list(sent)):
            if not fut.done():
                client.executor.settle(k, 0.02)  # type: ignore[attr-defined]
        workers.flush()
    assert [f.result().line for f in futures] == [f"p{i:03d}" for i in range(300)]


def test_workers_started_here_do_not_trim_memory_on_every_free() -> None:
    """Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, under which OCR ran twice as slow; a cluster started
    by a run keeps Dask's other settings for its workers (one OpenMP thread) and leaves that one out."""
    if "MALLOC_TRIM_THRESHOLD_" in os.environ:
        pytest.skip("MALLOC_TRIM_THRESHOLD_ is set in this environment: the workers inherit it")
    with cluster.connect(workers=1) as client:
        environ = client.run(lambda: {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS")})
    assert list(environ.values()) == [{"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1"}]


def _ocr_threads() -> int | None:
    from extractor.documents import ocr

    return ocr._threads


def test_each_worker_process_reads_scans_on_its_share_of_the_cores() -> None:
    """The OCR model uses every core by default: N worker processes on one machine get cores // N threads each
    (two processes on two cores, two threads each, read two scans in 57 s where one process read them in 38 s)."""
    cores = os.cpu_count() or 1
    with cluster.connect(workers=2) as client:
        assert sorted(client.run(_ocr_threads).values()) == [max(1, cores // 2)] * 2
    from concurrent.futures import ProcessPoolExecutor

    from extractor import bulk

    with ProcessPoolExecutor(
        2, mp_context=bulk._worker_context(), initializer=bulk._worker_starts, initargs=(2,)
    ) as pool:
        assert pool.submit(_ocr_threads).result(timeout=60) == max(1, cores // 2)
    assert _ocr_threads() is None  # this process (a run of one report at a time) keeps onnxruntime's own
