"""Reports per second of the rules provider on one core, over generated report variants of ~10,000 characters.

Variants are made from the five seeds: every figure is replaced by a random number of the same length, and
paragraphs of other seeds' overviews are added until the text is about 10,000 characters, so the parser meets
unseen numbers and realistic layouts. Reading from disk is excluded (texts are built in memory first), the
whole pipeline from decoding onwards is timed: normalization, sections, tables, prose, lists, identities.

    python bench/rules_throughput.py [--reports 3000] [--chars 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from pathlib import Path

from extractor.documents import read_text
from extractor.pipeline import Engine, process_document

SEEDS = Path(__file__).resolve().parents[1] / "eval" / "seeds"


def variants(n: int, chars: int, rng: random.Random) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    filler = [para for t in texts for para in t.split("\n") if len(para) > 80 and not re.search(r"\d{3,}", para)]
    out = []
    for i in range(n):
        base = texts[i % len(texts)]
        text = re.sub(r"(?<![\d.])\d+(?![\d.])", lambda m: str(rng.randint(10 ** (len(m.group()) - 1) if len(m.group()) > 1 else 0, 10 ** len(m.group()) - 1)), base)
        head, sep, tail = text.partition("\n\n")
        extra = []
        while len(text) + sum(map(len, extra)) < chars:
            extra.append(rng.choice(filler) + "\n")
        out.append(head + sep + "".join(extra) + tail)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=3000)
    ap.add_argument("--chars", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    texts = variants(args.reports, args.chars, random.Random(args.seed))
    engine = Engine("rules")
    values = 0
    started = time.perf_counter()
    for i, text in enumerate(texts):
        record = process_document(read_text(text, f"variant{i}.txt"), engine)
        values += sum(1 for _ in record.indicators.items())
    seconds = time.perf_counter() - started
    mean_chars = sum(map(len, texts)) / len(texts)
    print(f"reports: {len(texts)}  mean chars: {mean_chars:.0f}  values: {values}")
    print(f"seconds: {seconds:.2f}  reports/s (one core): {len(texts) / seconds:.0f}  target: 500")


if __name__ == "__main__":
    main()
