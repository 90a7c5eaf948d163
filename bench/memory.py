"""Peak memory of a bulk run must not grow with the number of reports.

Runs ``extractor.bulk.run`` with the rules provider over N copies of the seeds, each in a fresh child
process, and prints the child's peak RSS (ru_maxrss) for each N, and the ratio of the largest to the smallest.

    python bench/memory.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "eval" / "seeds"

CHILD = """
import resource, sys
from pathlib import Path
from extractor.bulk import run
from extractor.engine import Engine
stats = run([Path(sys.argv[1])], Path(sys.argv[2]), Engine("rules"))
print(stats.reports, stats.failed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = ap.parse_args()
    seeds = sorted(SEEDS.glob("*.txt"))
    peaks: dict[int, int] = {}
    for n in args.sizes:
        work = Path(tempfile.mkdtemp(prefix="bench-mem-"))
        inputs = work / "in"
        inputs.mkdir()
        for i in range(n):
            # hard links: 10,000 inputs without 10,000 copies on disk
            (inputs / f"r{i:06d}.txt").hardlink_to(seeds[i % len(seeds)])
        done = subprocess.run([sys.executable, "-c", CHILD, str(inputs), str(work / "out")],
                              capture_output=True, text=True, check=True)  # fmt: skip
        reports, failed, peak_kb = (int(x) for x in done.stdout.split())
        peaks[n] = peak_kb
        print(f"inputs {n:6}: reports {reports} failed {failed} peak RSS {peak_kb / 1024:.1f} MiB")
        shutil.rmtree(work, ignore_errors=True)
    small, large = min(args.sizes), max(args.sizes)
    print(f"peak RSS ratio {large} vs {small} inputs: {peaks[large] / peaks[small]:.2f} (1.00 = flat)")


if __name__ == "__main__":
    main()
