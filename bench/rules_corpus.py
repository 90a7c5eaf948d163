"""Milliseconds per report of the rules provider on the development corpus, by layout class, on one core.

The generated variants of ``rules_throughput.py`` are ~10,000 characters of text; the corpus holds real reports as
published (pages of 30-60,000 characters, PDFs, .docx files), so this is what a user's bulk job pays per file. Each
document is read from disk and processed end to end (reading the format included); every document is timed
``--rounds`` times and its best time kept (a shared machine is slowed now and then by others' work). The scanned
PDF is left out unless ``--ocr``: OCR costs seconds a page and would hide the rest.

    python bench/rules_corpus.py [--rounds 5] [--ocr]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from extractor.engine import Engine
from extractor.pipeline import process

CORPUS = Path(__file__).resolve().parents[1] / "eval" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ocr", action="store_true", help="include the scanned PDF (read by OCR)")
    args = parser.parse_args()
    layouts: dict[str, str] = {}
    for gold in sorted((CORPUS / "gold").glob("*.json")):
        data = json.loads(gold.read_text(encoding="utf-8"))
        layouts[data["report"]] = f"{data.get('origin', 'real')} · {data['layout']}"
    docs = sorted(p for p in (CORPUS / "docs").iterdir() if p.stem in layouts)
    if not args.ocr:
        docs = [p for p in docs if not layouts[p.stem].endswith("pdf_scan")]
    engine = Engine("rules")
    best: dict[Path, float] = {}
    for p in docs:
        process(p, engine)  # warm-up: compiled patterns, OpenCC dictionaries
    for _ in range(args.rounds):
        for p in docs:
            started = time.perf_counter()
            process(p, engine)
            best[p] = min(best.get(p, float("inf")), time.perf_counter() - started)
    groups: dict[str, list[float]] = defaultdict(list)
    for p, seconds in best.items():
        groups[layouts[p.stem]].append(seconds)
    print(f"{'group':34} {'reports':>7} {'ms per report':>14}")
    for name, times in sorted(groups.items()):
        print(f"{name:34} {len(times):>7} {1000 * sum(times) / len(times):>14.1f}")
    every = list(best.values())
    print(f"{'all':34} {len(every):>7} {1000 * sum(every) / len(every):>14.1f}")


if __name__ == "__main__":
    main()
