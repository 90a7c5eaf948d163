"""Reports per second of a whole rules job, and how it scales with worker processes.

``bench/rules_throughput.py`` times the extraction alone, in memory, on one core. This times what a user runs:
``extractor.bulk.run`` over a folder of report files (reading, extraction, records.jsonl written and synced,
indicators.csv and findings.csv rebuilt at the end), with ``--concurrency`` 1 and then each given count of
worker processes, over the same generated variants (see rules_throughput.variants) written to a temporary
folder. Each run starts from an empty output folder in a fresh process, so start-up (imports, compiling the
rule patterns in every worker) is included: it is part of what a user waits for.

    python bench/rules_job.py [--reports 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rules_throughput import variants

CHILD = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from extractor.bulk import run
from extractor.engine import Engine
stats = run([Path(sys.argv[1])], Path(sys.argv[2]), Engine("rules"), concurrency=int(sys.argv[3]))
print(json.dumps({"reports": stats.reports, "failed": stats.failed, "values": stats.values,
                  "seconds": time.perf_counter() - started}))
"""


def job(inputs: Path, out: Path, workers: int) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(inputs), str(out), str(workers)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument("--chars", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, nargs="+", default=[os.cpu_count() or 2])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-job-") as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        for i, text in enumerate(variants(args.reports, args.chars, random.Random(args.seed))):
            (inputs / f"variant{i:05d}.txt").write_text(text, encoding="utf-8")
        print(f"reports: {args.reports} files of ~{args.chars} chars; cores: {os.cpu_count()}")
        base = None
        for workers in [1, *[w for w in args.workers if w != 1]]:
            r = job(inputs, Path(tmp) / f"out{workers}", workers)
            rate = r["reports"] / r["wall"]
            base = base or rate
            print(
                f"--concurrency {workers}: {r['reports']:.0f} reports, {r['values']:.0f} values, {r['wall']:.2f} s wall "
                f"(start-up included): {rate:.0f} reports/s, {rate / base:.2f}x"
            )


if __name__ == "__main__":
    main()
