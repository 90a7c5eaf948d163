"""The Dask backend against the local process pool on one machine: the same rules job both ways (issue 17's target:
Dask within 1.3× of the local pool's time).

Three inputs from the development corpus, each copied into a temporary folder: a text report
(``sm-city-2021.txt``), a text-layer PDF (``pdf-sm-city-2021-v-pdf-text.pdf``) and the scanned PDF (read by OCR).
For each input and each worker count, two jobs, each in a fresh process from an empty output folder, start-up
included (imports; for Dask, starting a LocalCluster of that many single-threaded worker processes):

* local: ``extractor.bulk.run(..., concurrency=N)`` (N worker processes; one report at a time in-process for N=1)
* dask:  ``extractor.cluster.run(..., workers=N)``

``--repeat K`` runs each pair K times, the two jobs in alternating order (this machine is shared and noisy: a pair
run back to back sees the same load); the median of each figure is printed, and the spread of the ratios.

Printed per row: seconds and reports/s of each job, the ratio dask ÷ local of the whole jobs, and the ratio of their
steady state: the seconds from each job's first report written to its last (what a long job converges to: the
cluster's start-up, the workers' imports and the first report's compiled patterns fall before the first report is
written; shown for rows of at least 10 reports a worker). Then the ratio over all rows (sum of dask seconds ÷ sum
of local seconds), whole and steady. The output
folders of each pair are compared too (records without their ``seconds``): a benchmark of a backend that wrote
something else would measure nothing. ``--save FILE`` writes the figures and each report's worker-seconds (the
records' ``seconds``) as JSON for bench/projection.py.

    python bench/dist_job.py [--text 2000] [--pdf 1000] [--scan 0] [--workers 1 2] [--repeat 3] [--save dist.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
first = []
def progress(stats, name):
    if not first:
        first.append(time.perf_counter() - started)
if backend == "dask":
    from extractor import cluster
    stats = cluster.run([inputs], out, Engine("rules"), workers=workers, on_progress=progress)
else:
    from extractor.bulk import run
    stats = run([inputs], out, Engine("rules"), concurrency=workers, on_progress=progress)
print(json.dumps({"reports": stats.reports, "failed": stats.failed, "seconds": time.perf_counter() - started,
                  "first": first[0] if first else 0.0}))
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


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text", type=int, default=2000, help="copies of the text report")
    ap.add_argument("--pdf", type=int, default=1000, help="copies of the text-layer PDF")
    ap.add_argument("--scan", type=int, default=0, help="copies of the scan (OCR: seconds a page, six pages)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3, help="pairs of jobs per row, in alternating order")
    ap.add_argument("--save", type=Path, help="write the figures and per-report worker-seconds here (JSON)")
    args = ap.parse_args()
    counts = {"text": args.text, "text-layer PDF": args.pdf, "scanned PDF": args.scan}
    rows: list[dict[str, Any]] = []
    seconds_per_report: dict[str, list[float]] = {kind: [] for kind in INPUTS}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-dist-") as tmp:
        root = Path(tmp)
        for k, (kind, source) in enumerate(INPUTS.items()):
            if counts[kind] <= 0:
                continue
            folder = copies(source, root / f"in-{k}", counts[kind])
            for workers in args.workers:
                runs: dict[str, list[dict[str, float]]] = {"local": [], "dask": []}
                for rep in range(max(1, args.repeat)):
                    order = ("local", "dask") if rep % 2 == 0 else ("dask", "local")
                    outs = {b: root / f"out-{k}-{workers}-{rep}-{b}" for b in order}
                    for b in order:
                        runs[b].append(job(b, folder, outs[b], workers))
                    if not same_folder(outs["local"], outs["dask"]):
                        sys.exit(
                            f"error: {kind}, {workers} worker(s): the Dask job wrote another folder than the local one"
                        )
                    if workers == 1 and rep == 0:
                        seconds_per_report[kind] += [float(r["seconds"]) for r in records(outs["local"])]  # type: ignore[arg-type]
                    for out in outs.values():
                        shutil.rmtree(out)
                rows.append({"input": kind, "workers": workers, "reports": runs["local"][0]["reports"], "runs": runs})
    print(
        f"{'input':16} {'workers':>7} {'reports':>7} {'local s':>8} {'dask s':>8} {'local r/s':>9} {'dask r/s':>9}"
        f" {'dask/local':>10} {'spread':>11} {'steady':>7} {'spread':>11}"
    )
    whole: dict[str, float] = {"local": 0.0, "dask": 0.0}
    steady: dict[str, float] = {"local": 0.0, "dask": 0.0}
    for r in rows:
        runs, n = r["runs"], float(r["reports"])
        loc, dsk = (median([j["seconds"] for j in runs[b]]) for b in ("local", "dask"))
        ratios = [d["seconds"] / lo["seconds"] for lo, d in zip(runs["local"], runs["dask"], strict=True)]
        # a steady state needs reports enough to have one: several per worker after the first came back
        long = n >= 10 * int(r["workers"])
        tails = [(d["seconds"] - d["first"]) / (lo["seconds"] - lo["first"]) for lo, d in zip(runs["local"], runs["dask"], strict=True)] if long else [float("nan")]  # fmt: skip
        for b in whole:
            whole[b] += median([j["seconds"] for j in runs[b]])
            if long:
                steady[b] += median([j["seconds"] - j["first"] for j in runs[b]])
        print(
            f"{r['input']:16} {r['workers']:>7} {int(n):>7} {loc:>8.2f} {dsk:>8.2f} {n / loc:>9.2f} {n / dsk:>9.2f}"
            f" {median(ratios):>9.2f}x {min(ratios):>5.2f}-{max(ratios):.2f}x"
            + (f" {median(tails):>6.2f}x {min(tails):>5.2f}-{max(tails):.2f}x" if long else f" {'-':>7} {'-':>11}")
        )
    print(
        f"overall dask / local (medians over {max(1, args.repeat)} pairs, {len(rows)} rows): whole jobs "
        f"{whole['dask'] / whole['local']:.2f}x; steady state (first report written to last) "
        + (f"{steady['dask'] / steady['local']:.2f}x" if steady["local"] else "-")
        + " over the rows of at least 10 reports a worker (target < 1.3x); every pair wrote the same folder"
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
