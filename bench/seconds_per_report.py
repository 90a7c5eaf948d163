"""Seconds per seed report with the embedded model on this machine: ``hybrid`` vs ``local`` alone.

Runs each provider live (no cassette, cache off) over the seeds and prints seconds, model calls and tokens per
report, and the ratio local / hybrid. Needs the model (``extractor model pull``); it takes tens of minutes on
two cores.

    python bench/seconds_per_report.py [--prompt v1] [--seeds 000 004]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from extractor.pipeline import process
from extractor.replay import session

ROOT = Path(__file__).resolve().parents[1]
MODEL = "qwen2.5-coder-0.5b"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompt", default="v1")
    ap.add_argument("--seeds", nargs="*", default=[], help="seed file prefixes (default: all)")
    args = ap.parse_args()
    seeds = sorted((ROOT / "eval" / "seeds").glob("*.txt"))
    if args.seeds:
        seeds = [s for s in seeds if any(s.name.startswith(p) for p in args.seeds)]
    totals: dict[str, float] = {}
    for provider in ("hybrid", "local"):
        for seed in seeds:
            started = time.perf_counter()
            with session(provider, MODEL, args.prompt, None, mode="live") as engine:
                record = process(seed, engine)
            seconds = time.perf_counter() - started
            totals[provider] = totals.get(provider, 0.0) + seconds
            u = record.usage
            print(f"{provider:6} {seed.stem}: {seconds:7.1f}s  calls {u.model_calls:3}  "
                  f"prompt tokens {u.prompt_tokens:6}  completion tokens {u.completion_tokens:5}")  # fmt: skip
    n = len(seeds)
    print(f"mean seconds per report: hybrid {totals['hybrid'] / n:.1f}, local {totals['local'] / n:.1f}, "
          f"local/hybrid {totals['local'] / totals['hybrid']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
