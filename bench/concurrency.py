"""Concurrency efficiency of bulk runs: wall time / ideal time against a stub endpoint with a fixed delay.

ideal = model calls x delay / concurrency. The pipeline schedules whole reports on worker threads (each report's
sections are asked in order), so the ratio shows how much of the ideal parallelism the scheduling delivers.

    python bench/concurrency.py [--reports 64] [--delay 0.2] [--concurrency 1 4 16]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from stub import Stub

from extractor.bulk import run
from extractor.config import resolve
from extractor.engine import make_engine

SEEDS = Path(__file__).resolve().parents[1] / "eval" / "seeds"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=64)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = ap.parse_args()
    stub = Stub(args.delay)
    work = Path(tempfile.mkdtemp(prefix="bench-conc-"))
    os.environ["EXTRACTOR_HOME"] = str(work / "home")
    inputs = work / "in"
    inputs.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for i in range(args.reports):
        shutil.copy(seeds[i % len(seeds)], inputs / f"r{i:05d}.txt")
    print(f"stub delay {args.delay}s, {args.reports} reports, provider openai (cache off)")
    for conc in args.concurrency:
        settings = resolve(provider="openai", base_url=stub.base_url, model="stub", api_key="x", cache=False,
                           concurrency=conc, max_retries=0)  # fmt: skip
        engine = make_engine(settings)
        before = stub.calls
        started = time.perf_counter()
        stats = run([inputs], work / f"out{conc}", engine, concurrency=conc)
        wall = time.perf_counter() - started
        calls = stub.calls - before
        ideal = calls * args.delay / conc
        print(f"concurrency {conc:3}: reports {stats.reports} calls {calls} wall {wall:.2f}s ideal {ideal:.2f}s "
              f"ratio {wall / ideal:.2f}")  # fmt: skip
    stub.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
