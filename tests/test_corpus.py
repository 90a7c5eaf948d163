"""The development corpus: every gold label consistent with its document and the identities, and the rules'
figures on it held to eval/corpus_baseline.json (update it with
``extractor eval --corpus eval/corpus --write-baseline eval/corpus_baseline.json`` after an improvement)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.engine import Engine
from extractor.evaluation.corpus import CorpusEntry, group_figures, label_problems, load_corpus, score_entry
from extractor.pipeline import process

ROOT = Path(__file__).resolve().parents[1] / "eval"
ENTRIES = load_corpus(ROOT / "corpus")
BASELINE: dict[str, dict[str, float]] = json.loads((ROOT / "corpus_baseline.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.gold.report for e in ENTRIES])
def test_gold_labels_agree_with_their_document(entry: CorpusEntry) -> None:
    assert label_problems(entry) == []


@pytest.fixture(scope="module")
def figures() -> dict[str, dict[str, float]]:
    scores = []
    for entry in ENTRIES:
        try:
            scores.append(score_entry(entry, process(entry.path, Engine("rules"))))
        except Exception as e:  # a report the rules refuse (a scan) counts as all missing
            scores.append(score_entry(entry, None, f"{type(e).__name__}: {e}"))
    return group_figures(scores)


@pytest.mark.parametrize("group", sorted(BASELINE))
def test_rules_hold_the_baseline(group: str, figures: dict[str, dict[str, float]]) -> None:
    got, base = figures[group], BASELINE[group]
    assert got["accuracy"] >= base["accuracy"] - 1e-9, f"{group}: accuracy {got['accuracy']} < {base['accuracy']}"
    assert got["precision"] >= base["precision"] - 1e-9, f"{group}: precision {got['precision']} < {base['precision']}"
    assert got["wrong"] <= base["wrong"], f"{group}: {got['wrong']} wrong values, baseline {base['wrong']}"


def test_no_wrong_value_on_the_real_reports(figures: dict[str, dict[str, float]]) -> None:
    assert figures["real · all"]["wrong"] == 0


HYBRID = "hybrid-qwen2.5-coder-0.5b-v1"


def test_hybrid_replayed_on_the_real_reports_is_as_accurate_and_precise_as_the_rules(tmp_path: Path) -> None:
    """The default main job (hybrid with the embedded 0.5B) on the real corpus reports, from cassettes: the gate
    keeps the model from costing accuracy or precision."""
    from extractor.evaluation.runner import EvalConfig, run_corpus

    real = [e for e in ENTRIES if e.gold.origin == "real"]
    cassettes = ROOT.parent / "cassettes"
    if not all((cassettes / HYBRID / f"{e.gold.report}.json").is_file() for e in real):
        pytest.skip(f"corpus cassettes not recorded: extractor eval --corpus <real reports> -c {HYBRID} --record")
    corpus = tmp_path / "corpus"
    for sub in ("docs", "gold"):
        (corpus / sub).mkdir(parents=True)
    for e in real:
        (corpus / "docs" / e.path.name).symlink_to(e.path)
        (corpus / "gold" / f"{e.gold.report}.json").symlink_to(ROOT / "corpus" / "gold" / f"{e.gold.report}.json")
    rules = group_figures(run_corpus(EvalConfig("rules"), corpus, cassettes))["real · all"]
    hybrid = group_figures(run_corpus(EvalConfig.parse(HYBRID), corpus, cassettes))["real · all"]
    assert hybrid["accuracy"] >= rules["accuracy"] and hybrid["precision"] >= max(rules["precision"], 0.99)
    assert hybrid["wrong"] == 0
