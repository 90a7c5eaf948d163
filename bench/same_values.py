"""Whether two ``extractor extract`` output folders accepted the same indicator values (issue 17's "same values").

Compares, report by report, the accepted (code, value, unit, qualifier) rows of each folder's indicators.csv
(searched recursively, so a folder of per-report runs works too); character spans are left out, since they move
when a reader lays out the same text differently. Prints each difference and exits 1 when there is one.

    python bench/same_values.py BEFORE_DIR AFTER_DIR
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

Key = tuple[str, str, str, str, str]


def accepted(folder: Path) -> Counter[Key]:
    rows: Counter[Key] = Counter()
    for path in sorted(folder.rglob("indicators.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["status"] == "accepted":
                    rows[(row["report"], row["code"], row["value"], row["unit"], row["qualifier"])] += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    before, after = accepted(args.before), accepted(args.after)
    lost, gained = before - after, after - before
    for key in sorted(lost):
        print("only before:", *key)
    for key in sorted(gained):
        print("only after: ", *key)
    reports = len({key[0] for key in before | after})
    print(
        f"{reports} reports, {sum(before.values())} accepted values before, {sum(after.values())} after, "
        f"{sum(lost.values()) + sum(gained.values())} differences"
    )
    sys.exit(1 if lost or gained else 0)


if __name__ == "__main__":
    main()
