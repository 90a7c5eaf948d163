"""Projected hours for a rules job over 10^6 reports on a Dask cluster of N single-core workers.

Two measured inputs and one assumption:

* worker-seconds per report of each kind of input: the records' ``seconds`` from ``bench/dist_job.py --save
  FILE`` (``--from FILE``); the kinds that file lacks (``--scan 0``) are measured here (each of the three corpus inputs of bench/dist_job.py extracted
  ``--rounds`` times in this process, the first round a warm-up);
* the coordinator's seconds per report: the one process that runs the scheduler, the client and the bulk runner
  (hashing each input for resume, submitting it, writing its record and CSV rows). Measured here by
  ``extractor.cluster`` on a LocalCluster of two workers whose task returns a finished report at once (a real
  record line and rows of the text report), over ``--coordinator`` tiny input files: what it costs to move one
  report through, with no extraction;
* the mix of inputs (assumed, ``--mix``): by default 60 % text or HTML pages, 30 % text-layer PDFs, 10 % scans.

hours(N) = max(R × Σ mix_k × s_k ÷ N, R × coordinator seconds) ÷ 3600: workers scale perfectly until the
coordinator is the bottleneck. Not modelled: model calls (a rules job), reading inputs over a network filesystem,
workers' start-up (seconds, once).

    python bench/projection.py [--from dist.json] [--reports 1000000] [--mix 0.6 0.3 0.1]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dist_job import INPUTS

WORKERS = (1, 2, 8, 32, 128)


def measure_worker_seconds(rounds: int, kinds: list[str]) -> dict[str, float]:
    from extractor.bulk import finish_report
    from extractor.engine import Engine

    out: dict[str, float] = {}
    for kind in kinds:
        path = INPUTS[kind]
        n = 1 if "scan" in kind else rounds  # OCR: seconds a page
        finish_report(path, Engine("rules"))  # warm-up (imports, compiled patterns, OCR models)
        started = time.perf_counter()
        for _ in range(n):
            done = finish_report(path, Engine("rules"))
            assert done.error is None, done.error
        out[kind] = (time.perf_counter() - started) / n
    return out


def _canned(done: Any, job: Any, path: Path, name: str, candidates: bool) -> Any:
    """A worker task that returns a finished report at once (the coordinator's cost alone)."""
    return done


def measure_coordinator(reports: int) -> float:
    from extractor import cluster
    from extractor.bulk import finish_report, run
    from extractor.engine import Engine

    done = finish_report(INPUTS["text"], Engine("rules"))
    with tempfile.TemporaryDirectory(prefix="bench-coord-") as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        for i in range(reports):
            (inputs / f"r{i:06d}.txt").write_text(f"report {i}\n", encoding="utf-8")
        with cluster.connect(workers=2) as client:
            # batches as a rules run sends them (sized by the reports' seconds: here none, so the largest)
            workers = cluster.DaskWorkers(client, Engine("rules"), functools.partial(_canned, done))
            started = time.perf_counter()
            stats = run([inputs], Path(tmp) / "out", Engine("rules"), workers=lambda *_: workers)
            seconds = time.perf_counter() - started
    assert stats.reports == reports
    return seconds / reports


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", type=Path, help="bench/dist_job.py --save FILE")
    ap.add_argument("--reports", type=float, default=1e6)
    ap.add_argument("--mix", type=float, nargs=3, default=[0.6, 0.3, 0.1], metavar=("TEXT", "PDF", "SCAN"))
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--coordinator", type=int, default=2000, help="reports moved through the coordinator")
    args = ap.parse_args()
    if abs(sum(args.mix) - 1) > 1e-9:
        sys.exit("error: --mix must add up to 1")
    seconds: dict[str, float] = {}
    if args.source:
        seconds = json.loads(args.source.read_text(encoding="utf-8"))["worker_seconds_per_report"]
    missing = [kind for kind in INPUTS if kind not in seconds]
    seconds.update(measure_worker_seconds(args.rounds, missing))
    origin = ", ".join(f"{kind}: {'measured here' if kind in missing else f'from {args.source}'}" for kind in INPUTS)
    coordinator = measure_coordinator(args.coordinator)
    mix = dict(zip(INPUTS, args.mix, strict=True))
    per_report = sum(mix[k] * seconds[k] for k in INPUTS)
    print(f"worker-seconds per report ({origin}):")
    for k in INPUTS:
        print(f"  {k:16} {seconds[k]:8.3f} s   mix {mix[k]:.0%}")
    print(f"  mixed mean       {per_report:8.3f} s")
    print(f"coordinator: {coordinator * 1000:.2f} ms per report ({1 / coordinator:.0f} reports/s at most)")
    print(f"{'workers':>7} {'hours':>9} {'bound by':>11}")
    for n in WORKERS:
        work, coord = args.reports * per_report / n, args.reports * coordinator
        print(f"{n:>7} {max(work, coord) / 3600:>9.2f} {'workers' if work >= coord else 'coordinator':>11}")
    print(f"({args.reports:.0f} reports; hours = max(reports x mixed mean / workers, reports x coordinator) / 3600)")


if __name__ == "__main__":
    main()
