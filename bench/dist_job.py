"""The Dask backend against the local process pool on one machine: the same rules job both ways (issue 17's target:
Dask within 1.3× of the local pool's time).

Three inputs from the development corpus, each copied into a temporary folder: a text report
(``sm-city-2021.txt``), a text-layer PDF (``pdf-sm-city-2021-v-pdf-text.pdf``) and the scanned PDF (read by OCR).
For each input and each worker count, two jobs, each in a fresh process from an empty output folder, start-up
included (imports; for Dask, starting a LocalCluster of that many single-threaded worker processes):

* local: ``extractor.bulk.run(..., concurrency=N)`` (N worker processes; one report at a time in-process for N=1)
* dask:  ``extractor.cluster.run(..., workers=N)``

Printed: seconds and reports/s of each job, the ratio dask ÷ local per row, and the ratio over all rows (sum of
dask seconds ÷ sum of local seconds); also the cluster's fixed start-up (a LocalCluster of N workers started and
stopped with nothing to do, less an empty local run's time, both in fresh processes) and the ratio without it,
which is what a long job converges to. The output folders of the two jobs are compared too (records without their
``seconds``): a benchmark of a backend that wrote something else would measure nothing. ``--save FILE`` writes the
figures and each report's worker-seconds (the records' ``seconds``) as JSON for bench/projection.py.

    python bench/dist_job.py [--text 400] [--pdf 40] [--scan 2] [--workers 1 2] [--save dist.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pdf_job import copies  # n hard links to one report, in a folder of their own

DOCS = Path(__file__).resolve().parents[1] / "eval" / "corpus" / "docs"
INPUTS = {
    "text": DOCS / "sm-city-2021.txt",
    "text-layer PDF": DOCS / "pdf-sm-city-2021-v-pdf-text.pdf",
    "scanned PDF": DOCS / "pdf-sm-city-2023-v-pdf-scan.pdf",
}

CHILD = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from extractor.engine import Engine
backend, inputs, out, workers = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
if backend == "start-up":  # a LocalCluster of that many workers started and stopped, nothing run on it
    from extractor import cluster
    with cluster.connect(workers=workers):
        pass
    print(json.dumps({"reports": 0, "failed": 0, "seconds": time.perf_counter() - started}))
    sys.exit(0)
if backend == "dask":
    from extractor import cluster
    stats = cluster.run([inputs], out, Engine("rules"), workers=workers)
else:
    from extractor.bulk import run
    stats = run([inputs], out, Engine("rules"), concurrency=workers)
print(json.dumps({"reports": stats.reports, "failed": stats.failed, "seconds": time.perf_counter() - started}))
"""


def job(backend: str, inputs: Path, out: Path, workers: int) -> dict[str, float]:
    # the child is a script given with -c: Dask's spawned workers must not re-run it (no __main__ file to import)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, backend, str(inputs), str(out), str(workers)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"error: the {backend} job failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def records(out: Path) -> list[dict[str, object]]:
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def same_folder(a: Path, b: Path) -> bool:
    def strip(rs: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rs]

    files = ("indicators.csv", "findings.csv", "errors.jsonl")
    return strip(records(a)) == strip(records(b)) and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text", type=int, default=400, help="copies of the text report")
    ap.add_argument("--pdf", type=int, default=40, help="copies of the text-layer PDF")
    ap.add_argument("--scan", type=int, default=2, help="copies of the scan (OCR: seconds a page, six pages)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--save", type=Path, help="write the figures and per-report worker-seconds here (JSON)")
    args = ap.parse_args()
    counts = {"text": args.text, "text-layer PDF": args.pdf, "scanned PDF": args.scan}
    rows: list[dict[str, object]] = []
    seconds_per_report: dict[str, list[float]] = {kind: [] for kind in INPUTS}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-dist-") as tmp:
        root = Path(tmp)
        for k, (kind, source) in enumerate(INPUTS.items()):
            if counts[kind] <= 0:
                continue
            folder = copies(source, root / f"in-{k}", counts[kind])
            for workers in args.workers:
                outs = {b: root / f"out-{k}-{workers}-{b}" for b in ("local", "dask")}
                got = {b: job(b, folder, outs[b], workers) for b in ("local", "dask")}
                if not same_folder(outs["local"], outs["dask"]):
                    sys.exit(
                        f"error: {kind}, {workers} worker(s): the Dask job wrote another folder than the local one"
                    )
                if workers == 1:
                    seconds_per_report[kind] += [float(r["seconds"]) for r in records(outs["local"])]  # type: ignore[arg-type]
                (root / "empty").mkdir(exist_ok=True)
                startup = job("start-up", folder, root / "unused", workers)["seconds"]
                startup -= job("local", root / "empty", root / f"out-empty-{k}-{workers}", workers)["seconds"]
                rows.append({"input": kind, "workers": workers, "reports": got["local"]["reports"], **{
                    f"{b}_seconds": got[b]["seconds"] for b in got}, "startup_seconds": max(0.0, startup)})  # fmt: skip
    print(
        f"{'input':16} {'workers':>7} {'reports':>7} {'local s':>8} {'dask s':>8} {'local r/s':>9} {'dask r/s':>9} {'dask/local':>10} {'start-up s':>10} {'excl.':>6}"
    )
    for r in rows:
        loc, dsk, n = float(r["local_seconds"]), float(r["dask_seconds"]), float(r["reports"])  # type: ignore[arg-type]
        up = float(r["startup_seconds"])  # type: ignore[arg-type]
        print(
            f"{r['input']:16} {r['workers']:>7} {int(n):>7} {loc:>8.2f} {dsk:>8.2f} {n / loc:>9.2f} {n / dsk:>9.2f} {dsk / loc:>9.2f}x {up:>10.2f} {(dsk - up) / loc:>5.2f}x"
        )
    total_local = sum(float(r["local_seconds"]) for r in rows)  # type: ignore[arg-type]
    total_dask = sum(float(r["dask_seconds"]) for r in rows)  # type: ignore[arg-type]
    total_up = sum(float(r["startup_seconds"]) for r in rows)  # type: ignore[arg-type]
    print(
        f"overall dask / local: {total_dask / total_local:.2f}x over {len(rows)} jobs (target < 1.3x); without the "
        f"cluster's start-up (a LocalCluster started and stopped empty, less an empty local run): "
        f"{(total_dask - total_up) / total_local:.2f}x; every pair wrote the same folder"
    )
    print(f"bench seconds: {time.perf_counter() - started:.0f}")
    if args.save:
        mean = {kind: sum(v) / len(v) for kind, v in seconds_per_report.items() if v}
        args.save.write_text(
            json.dumps({"rows": rows, "worker_seconds_per_report": mean}, indent=1, ensure_ascii=False),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
