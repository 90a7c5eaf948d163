"""The eval: gold validation, the scorer (as a table), runs, the HTML report and `extractor eval` / `compare`."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extractor.cli import app, main
from extractor.errors import CassetteMissing, ConfigError, GoldError
from extractor.evaluation.compare import compare_runs
from extractor.evaluation.gold import Gold, GoldValue, load_gold, number_in_quote
from extractor.evaluation.matching import match_items, similarity
from extractor.evaluation.report import render_html
from extractor.evaluation.results import RunResult, build_run, load_run, save_run
from extractor.evaluation.runner import DEFAULT_CONFIGS, EvalConfig, cassettes_recorded, run_eval
from extractor.evaluation.score import FieldResult, score_report
from extractor.evaluation.summary import summarize
from extractor.models import Meta, Quantity, ReportRecord, Source, TextItem

from .conftest import ROOT, SEEDS

GOLD = ROOT / "eval" / "gold"
BASELINE = json.loads((ROOT / "eval" / "baseline.json").read_text(encoding="utf-8"))

# --------------------------------------------------------------------------------------------------------------------
# Gold
# --------------------------------------------------------------------------------------------------------------------


def test_gold_loads_and_validates_all_five_seeds() -> None:
    golds = load_gold(GOLD, SEEDS)
    shape = {r: (len(g.values), len(g.problems), len(g.improvements)) for r, g in golds.items()}
    assert [r[:3] for r in shape] == ["000", "001", "002", "003", "004"]  # eval/README.md's table
    assert list(shape.values()) == [(34, 2, 4), (14, 3, 5), (42, 3, 0), (6, 3, 3), (199, 5, 5)]
    assert golds["002_5cb51c3a5a3bd9e9"].template == "pre2019_stat2014"


def _corrupt(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    gold_dir, seeds_dir = tmp_path / "gold", tmp_path / "seeds"
    shutil.copytree(GOLD, gold_dir)
    shutil.copytree(SEEDS, seeds_dir)
    path = gold_dir / "000_3e08094dcaa74aec.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return gold_dir


def _set(index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["values"][index].update(changes)


CORRUPTIONS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("bad-code", _set(0, code="proactive.totall"), "proactive.totall: not a numeric code"),
    ("quote-not-in-text", _set(0, quote="主动公开信息数 625"), "is not in the seed text"),
    ("number-not-in-quote", _set(0, value=625), "value 625 is not printed in its quote"),
    ("duplicate", lambda d: d["values"].append(dict(d["values"][0])), "proactive.total: labelled twice"),
    ("wrong-unit", _set(0, unit="件"), "unit '件' is not the codebook unit"),
    ("bad-qualifier", _set(0, qualifier="roughly"), "qualifier"),
    ("unknown-field", _set(0, comment="typo'd key"), "Extra inputs are not permitted"),
    ("era", _set(0, code="requests.new.total", unit="件"), "excludes template pre2019_freeform"),
    ("list-item", lambda d: d["problems"].append("报告里没有的问题"), "problems: item"),
]


@pytest.mark.parametrize(("edit", "message"), [c[1:] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS])
def test_corrupted_gold_is_refused_with_file_code_and_problem(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    gold_dir = _corrupt(tmp_path, edit)
    with pytest.raises(GoldError) as info:
        load_gold(gold_dir)
    assert "000_3e08094dcaa74aec.json" in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("value", "quote", "ok"),
    [
        (624, "主动公开信息数\n\t624", True),
        (96000, "3.動態類信息9.6萬條", True),
        (14715991600, "政府集中采购\t22938\t1471599.16万元", True),
        (100000, "网站专栏页面访问量 \u00a0人次 \u00a010万多", True),
        (0, "全年未收到信息公开申请", True),
        (24, "4.其他文件\n\t124", False),  # digit boundaries
        (0, "共收到申请5件", False),
    ],
    ids=["digits", "wan-traditional", "wan-money", "wan-at-least", "zero-phrase", "digit-boundary", "zero-absent"],
)
def test_number_in_quote(value: int, quote: str, ok: bool) -> None:
    assert number_in_quote(value, quote) is ok


# --------------------------------------------------------------------------------------------------------------------
# Scorer
# --------------------------------------------------------------------------------------------------------------------

META = {"issuer": "某局", "year": 2020, "template": "ogi2019", "scope": "self"}


def _gold(values: list[tuple[str, float]], problems: list[str] | None = None, **meta: Any) -> Gold:
    return Gold(
        report="r",
        values=[
            GoldValue(code=c, value=v, unit="件", qualifier="exact", quote=f"q{v}", section="requests")
            for c, v in values
        ],
        problems=problems or [],
        improvements=[],
        **{**META, **meta},
    )


def _record(values: list[tuple[str, float | None, dict[str, Any]]], problems: list[str] | None = None) -> ReportRecord:
    record = ReportRecord(report="r", path="r.txt", sha256="0", provider="rules", meta=Meta(**META))
    for code, value, extra in values:
        record.indicators.set(code, Quantity(**{"value": value, "source": Source(section="requests"), **extra}))
    record.problems = [TextItem(text=t) for t in problems or []]
    return record


A, B, NEW, REC = "requests.channel.online", "requests.channel.letter", "requests.new.total", "requests.received"
PLAIN: dict[str, Any] = {}
# id, gold values, record values, expected {code: status}, expected flags {code: (null_vs_zero, qualifier_mismatch)}
SCORER_CASES: list[
    tuple[str, list[tuple[str, float]], list[tuple[str, float | None, dict[str, Any]]], dict[str, str]]
] = [
    ("correct", [(A, 5)], [(A, 5, PLAIN)], {A: "correct"}),
    ("int-vs-float", [(A, 5)], [(A, 5.0, PLAIN)], {A: "correct"}),
    ("float-within-1e-6", [(A, 14715991600)], [(A, 14715991600 * (1 + 5e-7), PLAIN)], {A: "correct"}),
    ("float-beyond-1e-6", [(A, 14715991600)], [(A, 14715991600 * (1 + 5e-6), PLAIN)], {A: "wrong"}),
    ("wrong", [(A, 5)], [(A, 6, PLAIN)], {A: "wrong"}),
    ("missing", [(A, 5)], [], {A: "missing"}),
    ("blank-cell-is-missing", [(A, 5)], [(A, None, PLAIN)], {A: "missing"}),
    ("spurious", [(A, 5)], [(A, 5, PLAIN), (B, 7, PLAIN)], {A: "correct", B: "spurious"}),
    ("blank-cell-not-spurious", [(A, 5)], [(A, 5, PLAIN), (B, None, PLAIN)], {A: "correct"}),
    ("zero-reported-as-null", [(A, 0)], [], {A: "missing"}),
    ("null-reported-as-zero", [(A, 5)], [(A, 5, PLAIN), (B, 0, PLAIN)], {A: "correct", B: "spurious"}),
    ("derived-not-spurious", [(A, 5)], [(A, 5, PLAIN), (B, 9, {"derived": True})], {A: "correct"}),
    ("derived-scored-when-gold-has-it", [(A, 5)], [(A, 5, {"derived": True})], {A: "correct"}),
    ("alias-received-is-new-total", [(NEW, 10)], [(REC, 10, PLAIN)], {NEW: "correct"}),
    ("alias-both-agree", [(NEW, 10)], [(NEW, 10, PLAIN), (REC, 10, PLAIN)], {NEW: "correct"}),
    ("alias-disagrees", [(NEW, 10)], [(NEW, 10, PLAIN), (REC, 12, PLAIN)], {NEW: "correct", REC: "spurious"}),
    ("qualifier-mismatch-still-correct", [(A, 5)], [(A, 5, {"qualifier": "approx"})], {A: "correct"}),
]
FLAGS: dict[str, dict[str, tuple[bool, bool]]] = {
    "zero-reported-as-null": {A: (True, False)},
    "null-reported-as-zero": {B: (True, False)},
    "qualifier-mismatch-still-correct": {A: (False, True)},
}


@pytest.mark.parametrize(
    ("case", "gold_values", "record_values", "expected"), SCORER_CASES, ids=[c[0] for c in SCORER_CASES]
)
def test_scorer_cases(
    case: str,
    gold_values: list[tuple[str, float]],
    record_values: list[tuple[str, float | None, dict[str, Any]]],
    expected: dict[str, str],
) -> None:
    score = score_report(_gold(gold_values), _record(record_values))
    values = {f.code: f for f in score.fields if not f.code.startswith("meta.")}
    assert {c: f.status for c, f in values.items()} == expected
    assert all(f.reason for f in score.fields), "every verdict carries a reason"
    for code, f in values.items():
        assert (f.null_vs_zero, f.qualifier_mismatch) == FLAGS.get(case, {}).get(code, (False, False)), code


def test_wrong_value_carries_expected_got_quote_and_engine() -> None:
    gold = _gold([(A, 5)])
    record = _record([(A, 6, {"engine": "model", "source": Source(quote="网上申请6宗")})])
    [wrong] = [f for f in score_report(gold, record).fields if f.status == "wrong"]
    assert (wrong.expected, wrong.got, wrong.quote, wrong.got_quote, wrong.engine) == (
        5,
        6,
        "q5",
        "网上申请6宗",
        "model",
    )
    assert wrong.reason == "expected 5, got 6 (model engine)"


def test_meta_is_scored_as_three_checks() -> None:
    record = _record([])
    record.meta.template = "pre2019_freeform"
    record.meta.year = None
    meta = {f.code: f.status for f in score_report(_gold([]), record).fields}
    assert meta == {"meta.template": "wrong", "meta.year": "missing", "meta.issuer": "correct"}


def test_counts_accuracy_precision_coverage() -> None:
    # correct, wrong, missing, and one spurious: 3 gold values + 3 meta checks
    fax, email = "requests.channel.fax", "requests.channel.email"
    score = score_report(_gold([(A, 1), (B, 2), (fax, 3)]), _record([(A, 1, PLAIN), (B, 9, PLAIN), (email, 7, PLAIN)]))
    totals = summarize([score]).totals
    assert (totals.checks, totals.correct, totals.wrong, totals.missing, totals.spurious) == (6, 4, 1, 1, 1)
    assert totals.accuracy == pytest.approx(4 / 6)
    assert totals.precision == pytest.approx(4 / 6)  # 4 / (4 + 1 wrong + 1 spurious)
    assert totals.coverage == pytest.approx(5 / 6)


def test_list_matching_one_to_one_with_a_near_duplicate_and_a_miss() -> None:
    gold = ["政务公开宣传形式不够丰富，需要进一步创新", "工作机制和工作处理流程有待进一步探索和完善"]
    predicted = ["政务公开宣传形式不够丰富,需要进一步创新。", "政务公开宣传形式不够丰富,需要进一步创新", "完全无关"]
    assert similarity(gold[0], predicted[0]) == 1.0  # punctuation and width do not count
    matching = match_items(gold, predicted)
    assert [(m.gold, m.predicted) for m in matching.matches] == [(0, 0)]  # the near-duplicate cannot match twice
    score = score_report(_gold([], problems=gold), _record([], problems=predicted))
    statuses = sorted(i.status for i in score.items)
    assert statuses == ["matched", "missing", "spurious", "spurious"]
    lists = summarize([score]).by_report["r"].by_list["problems"]
    assert lists.precision == pytest.approx(1 / 3) and lists.recall == 0.5
    assert lists.f1 == pytest.approx(0.4)
    missing = next(i for i in score.items if i.status == "missing")
    assert missing.expected == gold[1] and "no extracted problems item reaches similarity 0.6" in missing.reason


def test_empty_lists_are_perfect_and_an_empty_answer_is_not() -> None:
    empty = summarize([score_report(_gold([]), _record([]))]).lists
    assert (empty.precision, empty.recall, empty.f1) == (1.0, 1.0, 1.0)
    nothing = summarize([score_report(_gold([], problems=["问题一"]), _record([]))]).lists
    assert (nothing.precision, nothing.recall, nothing.f1) == (0.0, 0.0, 0.0)


# --------------------------------------------------------------------------------------------------------------------
# Configurations and runs
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", DEFAULT_CONFIGS, ids=[c.name for c in DEFAULT_CONFIGS])
def test_config_names_round_trip(config: EvalConfig) -> None:
    assert EvalConfig.parse(config.name) == config


def test_default_config_names() -> None:
    assert [c.name for c in DEFAULT_CONFIGS] == [
        "rules",
        "local-qwen2.5-coder-0.5b-v1",
        "local-qwen2.5-coder-0.5b-v2",
        "hybrid-qwen2.5-coder-0.5b-v1",
        "hybrid-qwen2.5-coder-0.5b-v2",
    ]


@pytest.mark.parametrize("name", ["gpt-v1", "hybrid", "hybrid-v1", "local--v1"])
def test_bad_config_names_are_caller_errors(name: str) -> None:
    with pytest.raises(ConfigError):
        EvalConfig.parse(name)


def test_replay_without_cassettes_names_the_file_and_the_rerecord_command(tmp_path: Path) -> None:
    config = EvalConfig.parse("hybrid-qwen2.5-coder-0.5b-v1")
    with pytest.raises(CassetteMissing) as info:
        run_eval([EvalConfig("rules"), config], SEEDS, GOLD, tmp_path / "cassettes", "replay")
    assert info.value.cassette == tmp_path / "cassettes" / config.name / "000_3e08094dcaa74aec.json"
    assert "extractor eval --record" in str(info.value)


def test_cassettes_recorded_needs_every_report_of_model_configs(tmp_path: Path) -> None:
    model = EvalConfig.parse("local-qwen2.5-coder-0.5b-v2")
    assert cassettes_recorded(EvalConfig("rules"), ["a", "b"], tmp_path)  # rules never needs cassettes
    assert not cassettes_recorded(model, ["a", "b"], tmp_path)
    (tmp_path / model.name).mkdir()
    (tmp_path / model.name / "a.json").write_text("{}", encoding="utf-8")
    assert not cassettes_recorded(model, ["a", "b"], tmp_path)
    (tmp_path / model.name / "b.json").write_text("{}", encoding="utf-8")
    assert cassettes_recorded(model, ["a", "b"], tmp_path)


@pytest.fixture(scope="module")
def rules_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    runs_dir = tmp_path_factory.mktemp("runs")
    [run] = run_eval([EvalConfig("rules")], SEEDS, GOLD, ROOT / "cassettes", "replay", runs_dir=runs_dir)
    [saved] = runs_dir.glob("*-rules.json")
    return run, saved


def test_rules_on_the_real_seeds_meets_the_committed_baseline(rules_run: tuple[RunResult, Path]) -> None:
    run, _ = rules_run
    assert run.totals.accuracy >= BASELINE["rules"], [m.reason for m in run.misses]
    assert run.totals.checks == 295 + 3 * 5  # every gold value, plus three meta checks per report
    assert set(run.by_report) == {p.stem for p in GOLD.glob("*.json")}
    assert run.usage.model_calls == 0


def test_every_miss_has_a_reason_and_the_run_file_round_trips(rules_run: tuple[RunResult, Path]) -> None:
    run, saved = rules_run
    assert all(m.reason and m.status != "correct" for m in run.misses)
    assert all(i.reason and i.status != "matched" for i in run.list_misses)
    data = json.loads(saved.read_text(encoding="utf-8"))
    for key in ("config", "mode", "timestamp", "totals", "by_section", "by_code", "by_report", "misses"):
        assert key in data
    assert data["totals"]["accuracy"] == run.totals.accuracy
    assert load_run(saved) == run


# --------------------------------------------------------------------------------------------------------------------
# HTML report
# --------------------------------------------------------------------------------------------------------------------

_VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class _Balance(HTMLParser):
    """Checks that every non-void element is closed in order; counts tags."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def _degraded_runs() -> list[RunResult]:
    """A real rules run and a worse "model" run, from the same records, without any model."""
    from extractor.engine import Engine
    from extractor.pipeline import process

    golds = load_gold(GOLD, SEEDS)
    good, bad = [], []
    for report, gold in golds.items():
        record = process(SEEDS / f"{report}.txt", Engine("rules"))
        good.append(score_report(gold, record))
        worse = record.model_copy(deep=True)
        for i, (code, q) in enumerate(list(worse.indicators.items())):
            if i % 3 == 0:
                worse.indicators.set(code, None)
            elif i % 7 == 0:
                q.value = (q.value or 0) + 1
        worse.problems = [TextItem(text="<script>alert('x')</script> 冒出来的问题")]
        bad.append(score_report(gold, worse))
    return [
        build_run(good, config="rules", provider="rules", timestamp="20250101T000000Z"),
        build_run(bad, config="hybrid-qwen2.5-coder-0.5b-v1", provider="hybrid", timestamp="20250101T000001Z"),
    ]


@pytest.fixture(scope="module")
def two_runs() -> list[RunResult]:
    return _degraded_runs()


def test_html_report_is_well_formed_with_chart_and_every_config(two_runs: list[RunResult]) -> None:
    html = render_html(two_runs)
    parser = _Balance()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert parser.tags["svg"] == 1 and parser.tags["rect"] > 10
    assert 'id="accuracy-chart"' in html
    for run in two_runs:
        assert run.config in html
    assert "<script" not in html and "&lt;script&gt;" in html  # report text is escaped, and no JS at all
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert "proactive.category.dynamics" in html or "requests" in html  # per-field differences are listed


@pytest.mark.browser
def test_html_report_renders_in_headless_chromium(two_runs: list[RunResult], tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    page = tmp_path / "report.html"
    page.write_text(render_html(two_runs), encoding="utf-8")
    png = tmp_path / "report.png"
    subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1400,1000",
            page.as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert png.is_file()
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 30_000  # a blank 1400x1000 page compresses to a few kB


# --------------------------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------------------------


def test_eval_compare_lists_what_got_better_and_worse(two_runs: list[RunResult], tmp_path: Path) -> None:
    good, bad = two_runs
    path_good, path_bad = save_run(good, tmp_path), save_run(bad, tmp_path)
    cmp = compare_runs(good, bad)
    before = {(f.report, f.code): f.status for f in good.results}
    broken = {
        (f.report, f.code) for f in bad.results if f.status != "correct" and before.get((f.report, f.code)) == "correct"
    }
    assert {(c.report, c.code) for c in cmp.worse if c.code not in ("problems", "improvements")} == broken
    assert all(c.code in ("problems", "improvements") for c in cmp.better)  # only a spurious item went away

    result = CliRunner().invoke(app, ["eval", "compare", str(path_good), str(path_bad)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"accuracy: {good.totals.accuracy:.3f} -> {bad.totals.accuracy:.3f}" in out
    assert f"better: {len(cmp.better)}" in out and f"worse: {len(cmp.worse)}" in out
    assert cmp.worse[0].code in out

    # by config name: the latest run of each config in --runs-dir, and the other way round
    reverse = CliRunner().invoke(app, ["eval", "compare", bad.config, "rules", "--runs-dir", str(tmp_path)])
    assert reverse.exit_code == 0, reverse.output
    assert f"better: {len(cmp.worse)}" in reverse.output and f"worse: {len(cmp.better)}" in reverse.output


def test_eval_command_runs_configs_prints_table_and_writes_html(tmp_path: Path) -> None:
    html = tmp_path / "out.html"
    args = ["eval", "--config", "rules", "--runs-dir", str(tmp_path / "runs"), "--html", str(html), "-q"]
    args += ["--gold-dir", str(GOLD), "--seeds-dir", str(SEEDS), "--cassettes", str(tmp_path / "cassettes")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "list F1" in result.output and "rules" in result.output
    assert html.is_file() and "accuracy-chart" in html.read_text(encoding="utf-8")
    assert len(list((tmp_path / "runs").glob("*-rules.json"))) == 1


def test_eval_compare_subcommand_does_not_run_the_eval(
    two_runs: list[RunResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extractor.cli import eval_cmd

    def refuse(*args: object, **kwargs: object) -> list[RunResult]:
        raise AssertionError("the callback ran the eval for a subcommand")

    monkeypatch.setattr(eval_cmd, "run_eval", refuse)
    a, b = save_run(two_runs[0], tmp_path), save_run(two_runs[1], tmp_path)
    assert CliRunner().invoke(app, ["eval", "compare", str(a), str(b)]).exit_code == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "--mode", "fast"], "--mode must be one of replay, record, live"),
        (["eval", "--config", "gpt4"], "bad eval config 'gpt4'"),
        (["eval", "compare", "nope-a", "nope-b", "--runs-dir", "."], "no eval run 'nope-a'"),
        (
            ["eval", "--config", "hybrid-qwen2.5-coder-0.5b-v2", "--cassettes", "/nonexistent"],
            "extractor eval --record",
        ),
    ],
    ids=["bad-mode", "bad-config", "unknown-run", "missing-cassette"],
)
def test_expected_failures_print_one_line_and_exit_non_zero(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_record_is_the_documented_rerecord_shorthand(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from extractor.cli import eval_cmd

    seen: list[object] = []

    def fake_run_eval(configs: list[EvalConfig], *args: object, **kwargs: object) -> list[RunResult]:
        seen.append(args[3])
        return []

    monkeypatch.setattr(eval_cmd, "run_eval", fake_run_eval)
    result = CliRunner().invoke(app, ["eval", "--record", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen == ["record"]


def test_field_result_json_round_trip() -> None:
    f = FieldResult(report="r", code=A, section="requests", status="wrong", expected=5, got=6.5, reason="x")
    assert FieldResult.model_validate_json(f.model_dump_json()) == f


def test_model_precision_and_tokens_per_correct_figure() -> None:
    """Per engine: the model's values in the panel (2 right, 1 wrong), and the run's tokens per right one."""
    from extractor.evaluation.results import model_figures
    from extractor.models import Usage

    model = {"engine": "model"}
    gold = _gold([(A, 5), (B, 3), (NEW, 7)])
    record = _record([(A, 5, model), (B, 4, model), (NEW, 7, model)])
    run = build_run(
        [score_report(gold, record)], config="c", provider="local", model="m", prompt="v1", mode="replay",
        timestamp="t", seconds=1.0, usage=Usage(model_calls=3, prompt_tokens=900, completion_tokens=100),
    )  # fmt: skip
    assert model_figures(run) == {"model precision": "0.667", "tokens/correct": "500"}
    rules_only = build_run(
        [score_report(gold, _record([(A, 5, PLAIN)]))], config="rules", provider="rules", model=None, prompt=None,
        mode="replay", timestamp="t", seconds=1.0, usage=Usage(),
    )  # fmt: skip
    assert model_figures(rules_only) == {"model precision": "-", "tokens/correct": "-"}
