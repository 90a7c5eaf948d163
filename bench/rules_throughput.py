"""Reports per second of the rules provider on one core, over generated report variants of ~10,000 characters.

Variants are made from the five seeds: every figure is replaced by a random number of the same length, and
paragraphs of other seeds' overviews are added until the text is about 10,000 characters, so the parser meets
unseen numbers and realistic layouts. Reading from disk is excluded (texts are built in memory first), the
whole pipeline from decoding onwards is timed: normalization, sections, tables, prose, lists, identities.
The figure is the steady state of a bulk run: the first ``--warm-up`` variants (default 50) go through the
pipeline untimed, since they pay the one-time costs (compiling each section kind's rule patterns, loading
OpenCC's dictionaries) that a run of thousands of reports pays once; that start-up time is printed apart.

    python bench/rules_throughput.py [--reports 3000] [--rounds 3] [--chars 10000] [--seed 7] [--warm-up 50]
                                     [--stages] [--profile]

The variants are timed ``--rounds`` times (a shared machine is slowed now and then by others' work: the best
round is the machine's own speed, and every round is printed).

``--stages`` runs the variants a second time with the pipeline's stages wrapped in CPU-time counters and prints
where the time goes; ``--profile`` runs them under cProfile and prints the functions that cost most. Both are
extra passes after the timed one, so they never change the figure it prints. CPU time (``time.process_time``)
is printed beside wall time: on a busy machine it is the steadier of the two.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from extractor.documents import detect_script, read_text
from extractor.engine import Engine
from extractor.pipeline import process_document

SEEDS = Path(__file__).resolve().parents[1] / "eval" / "seeds"


def variants(n: int, chars: int, rng: random.Random) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    # filler comes from seeds of the base's own script: a real report is not half traditional, and mixing would
    # make most variants pay for traditional-to-simplified conversion
    script = [detect_script(t) for t in texts]
    filler = {
        kind: [
            para
            for t, s in zip(texts, script, strict=True)
            if s == kind
            for para in t.split("\n")
            if len(para) > 80 and not re.search(r"\d{3,}", para)
        ]
        for kind in set(script)
    }
    out = []
    for i in range(n):
        base = texts[i % len(texts)]
        pool = filler[script[i % len(texts)]]
        text = re.sub(
            r"(?<![\d.])\d+(?![\d.])",
            lambda m: str(
                rng.randint(10 ** (len(m.group()) - 1) if len(m.group()) > 1 else 0, 10 ** len(m.group()) - 1)
            ),
            base,
        )
        head, sep, tail = text.partition("\n\n")
        extra = []
        while len(text) + sum(map(len, extra)) < chars:
            extra.append(rng.choice(pool) + "\n")
        out.append(head + sep + "".join(extra) + tail)
    return out


def run(texts: list[str], engine: Engine) -> int:
    """The timed work: every text through read_text and process_document; the number of values read."""
    values = 0
    for i, text in enumerate(texts):
        record = process_document(read_text(text, f"variant{i}.txt"), engine)
        values += len(record.indicators.reported())
    return values


# (label, module, attribute): the functions whose CPU time --stages reports. Nested entries are indented in the
# printout and included in their parent's time; "other" is what no entry covers.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("read_text", "extractor.documents", "_document"),
    ("  detect_script", "extractor.documents", "detect_script"),
    ("  to_simplified", "extractor.documents", "_to_simplified"),
    ("sections", "extractor.pipeline", "split_sections"),
    ("meta (issuer, scope)", "extractor.pipeline", "detect_issuer"),
    ("meta (issuer, scope)", "extractor.pipeline", "detect_scope"),
    ("rules.extract", "extractor.rules", "extract"),
    ("  tables", "extractor.rules", "parse_tables"),
    ("  prose", "extractor.rules", "extract_prose"),
    ("  to_quantity", "extractor.rules", "to_quantity"),
    ("  keep best (_put)", "extractor.rules", "_put"),
    ("  lists", "extractor.rules", "_lists"),
    ("identities.derive", "extractor.identities", "derive"),
    ("identities.check", "extractor.identities", "check"),
)


@contextmanager
def stage_timers() -> Iterator[dict[str, float]]:
    """Wrap every STAGES function with a CPU-time counter (per label) for the duration of the block."""
    import importlib

    totals: dict[str, float] = {}
    saved: list[tuple[Any, str, Any]] = []

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.process_time

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[label] = totals.get(label, 0.0) + clock() - t0

        return wrapper

    for label, module_name, attr in STAGES:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr)
        saved.append((module, attr, fn))
        setattr(module, attr, timed(label, fn))
    try:
        yield totals
    finally:
        for module, attr, fn in reversed(saved):
            setattr(module, attr, fn)


def print_stages(texts: list[str], engine: Engine) -> None:
    with stage_timers() as totals:
        started = time.process_time()
        run(texts, engine)
        total = time.process_time() - started
    top = sum(v for k, v in totals.items() if not k.startswith(" "))
    print(f"\nper-stage CPU time over {len(texts)} reports (ms per report; counters add a little overhead):")
    for label in dict.fromkeys(label for label, _, _ in STAGES):
        ms = 1000 * totals.get(label, 0.0) / len(texts)
        print(f"  {label:<24} {ms:7.3f}  {100 * totals.get(label, 0.0) / total:5.1f}%")
    rest = total - top
    print(f"  {'other (record, glue)':<24} {1000 * rest / len(texts):7.3f}  {100 * rest / total:5.1f}%")
    print(f"  {'total':<24} {1000 * total / len(texts):7.3f}")


def print_profile(texts: list[str], engine: Engine, limit: int = 30) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(run, texts, engine)
    print()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(limit)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=3000)
    ap.add_argument("--chars", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--warm-up", type=int, default=50, help="variants run untimed first (one-time start-up costs)")
    ap.add_argument("--rounds", type=int, default=3, help="timed passes over the variants; the best is reported")
    ap.add_argument("--stages", action="store_true", help="also print a per-stage CPU-time breakdown")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of the hottest functions")
    args = ap.parse_args()
    texts = variants(args.reports + args.warm_up, args.chars, random.Random(args.seed))
    warm, texts = texts[: args.warm_up], texts[args.warm_up :]
    engine = Engine("rules")
    started = time.perf_counter()
    run(warm, engine)
    print(f"warm-up: {len(warm)} variants, {time.perf_counter() - started:.2f} s (start-up included)")
    mean_chars = sum(map(len, texts)) / len(texts)
    print(f"reports: {len(texts)}  mean chars: {mean_chars:.0f}")
    best = None
    for i in range(args.rounds):
        started, cpu_started = time.perf_counter(), time.process_time()
        values = run(texts, engine)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(
            f"round {i + 1}: {seconds:.2f} s ({cpu:.2f} s CPU), {len(texts) / seconds:.0f} reports/s, values {values}"
        )
        best = seconds if best is None else min(best, seconds)
    assert best is not None
    print(f"reports/s (one core, best of {args.rounds}): {len(texts) / best:.0f}  target: 500")
    if args.stages:
        print_stages(texts, engine)
    if args.profile:
        print_profile(texts, engine)


if __name__ == "__main__":
    main()
