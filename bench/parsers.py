"""Time the rule parsers on their own: 表二/表三/表四 of the 2020 seed, the prose rules per 10,000 characters, and a
run-together row with no consistent split (the search stops at its node budget).

Moved here from the tests, which no longer time anything. Aims: tables well under 2 ms a report, prose under 50 ms
per 10,000 characters, the unsplittable row under 2 s.

    python bench/parsers.py [--rounds 50]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from extractor.documents import read_document
from extractor.prose import extract_prose
from extractor.tables import parse_tables

SEEDS = Path(__file__).resolve().parents[1] / "eval" / "seeds"


def _best(call: Callable[[], object], rounds: int) -> float:
    call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=50)
    args = ap.parse_args()
    table_text = read_document(next(SEEDS.glob("004*.txt"))).normalized
    prose_text = read_document(next(SEEDS.glob("002*.txt"))).normalized
    unsplittable = "一、本年新收政府信息公开申请数量" + "9" * 60 + "\n"
    t = _best(lambda: parse_tables(table_text), args.rounds)
    print(f"parse_tables, 2020 seed: {t * 1000:.2f} ms per report (best of {args.rounds})")
    t = _best(lambda: extract_prose(prose_text, "unknown"), args.rounds)
    print(f"extract_prose: {t / len(prose_text) * 10_000 * 1000:.2f} ms per 10,000 chars (best of {args.rounds})")
    t = _best(lambda: parse_tables(unsplittable), 3)
    print(f"unsplittable 60-digit row: {t * 1000:.1f} ms (best of 3)")


if __name__ == "__main__":
    main()
