"""The eval replayed offline: every configuration in eval/baseline.json scores at least its committed baseline.

Model configurations replay their recorded cassettes (no model, no network); a configuration whose cassettes are
not recorded yet is skipped with the command that records them. The baseline is a measured figure: raise it
deliberately when a change improves the score.
"""

from __future__ import annotations

import json

import pytest

from extractor.evaluation.gold import load_gold
from extractor.evaluation.runner import EvalConfig, cassettes_recorded, run_eval

from .conftest import ROOT, SEEDS

GOLD = ROOT / "eval" / "gold"
CASSETTES = ROOT / "cassettes"
BASELINE: dict[str, float] = json.loads((ROOT / "eval" / "baseline.json").read_text(encoding="utf-8"))


def test_baseline_names_known_configurations() -> None:
    assert "rules" in BASELINE
    for name, accuracy in BASELINE.items():
        EvalConfig.parse(name)  # raises on a typo
        assert 0.0 <= accuracy <= 1.0


@pytest.mark.parametrize("name", sorted(BASELINE))
def test_replayed_accuracy_is_at_least_the_baseline(name: str) -> None:
    config = EvalConfig.parse(name)
    if not cassettes_recorded(config, load_gold(GOLD, SEEDS), CASSETTES):
        pytest.skip("cassettes not recorded: run extractor eval --record")
    [run] = run_eval([config], SEEDS, GOLD, CASSETTES, "replay")
    assert run.mode == "replay"
    worst = sorted(run.misses, key=lambda m: (m.report, m.code))[:10]
    assert run.totals.accuracy >= BASELINE[name], "\n".join(f"{m.report} {m.code}: {m.reason}" for m in worst)
