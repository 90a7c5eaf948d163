"""Check the development corpus's gold labels: codebook, quotes, numbers, and every identity on the labels.

    python eval/corpus_check.py                 # every gold file under eval/corpus/gold
    python eval/corpus_check.py FILE.json ...   # just these

An identity that fails on the labels must be listed in the file's ``source_errors`` (an error printed in the report);
otherwise it is a labelling slip to fix. Exit 1 when any file has a problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

from extractor.errors import GoldError
from extractor.evaluation.corpus import identity_failures, label_problems, load_corpus, load_entry

ROOT = Path(__file__).resolve().parent / "corpus"


def main(argv: list[str]) -> int:
    try:
        entries = [load_entry(Path(a), ROOT / "docs") for a in argv] if argv else load_corpus(ROOT)
    except GoldError as e:
        print(f"error: {e}")
        return 1
    bad = 0
    for entry in entries:
        problems = label_problems(entry)
        failed = identity_failures(entry.gold)
        status = "ok" if not problems else f"{len(problems)} problem(s)"
        print(f"{entry.gold.report}: {len(entry.gold.values)} values, {len(failed)} identity failure(s) "
              f"({len(entry.gold.source_errors)} source error(s) listed): {status}")  # fmt: skip
        for p in problems:
            print(f"    {p}")
        bad += bool(problems)
    print(f"{len(entries)} file(s), {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
