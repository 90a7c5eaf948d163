"""Time the normalization of a 10,000-character report text (the aim: under 5 ms).

Moved here from the tests: speed is measured by benchmarks that print figures, never asserted by timed tests
(the machines are shared and noisy).

    python bench/normalize.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from extractor.documents import normalize

SEED = next((Path(__file__).resolve().parents[1] / "eval" / "seeds").glob("004*.txt"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    text = (SEED.read_text(encoding="utf-8") * 2)[:10_000]
    normalize(text)  # warm the converter
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        normalize(text)
        times.append(time.perf_counter() - start)
    times.sort()
    print(
        f"normalize, 10,000 chars: best {times[0] * 1000:.2f} ms, median {times[len(times) // 2] * 1000:.2f} ms "
        f"over {args.rounds} rounds (aim: < 5 ms)"
    )


if __name__ == "__main__":
    main()
