"""``extractor eval``: score configurations on the gold set side by side; ``extractor eval compare A B``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import ConfigError
from ..evaluation.compare import Change, Comparison, compare_runs
from ..evaluation.corpus import REPORT_COLUMNS, TABLE_COLUMNS, CorpusScore, group_figures, report_rows
from ..evaluation.corpus import markdown as corpus_markdown
from ..evaluation.corpus import table_rows as corpus_table_rows
from ..evaluation.report import write_html
from ..evaluation.results import SUMMARY_COLUMNS, RunResult, load_run, markdown_table, resolve_run, summary_values
from ..evaluation.runner import DEFAULT_CONFIGS, EvalConfig, run_corpus, run_eval
from ..replay import Mode

Opt = typer.Option
MODES: tuple[Mode, ...] = ("replay", "record", "live")
RunsDir = Annotated[Path, Opt("--runs-dir", help="where run JSON files are saved and looked up")]

app = typer.Typer(help="Score extraction configurations on the eval gold set.", add_completion=False)


@app.callback(invoke_without_command=True)
def evaluate(
    ctx: typer.Context,
    config: Annotated[
        list[str] | None,
        Opt("--config", "-c", help="rules or <provider>-<model>-<prompt>; repeat for several (default: all five)"),
    ] = None,
    mode: Annotated[str, Opt(help="replay (offline, from cassettes) | record | live")] = "replay",
    record: Annotated[
        bool, Opt("--record", help="re-record the cassettes with the local model (= --mode record)")
    ] = False,
    html: Annotated[Path | None, Opt(help="HTML report path (default: RUNS_DIR/report.html)")] = None,
    runs_dir: RunsDir = Path("eval/runs"),
    gold_dir: Annotated[Path, Opt("--gold-dir", help="gold labels")] = Path("eval/gold"),
    seeds_dir: Annotated[Path, Opt("--seeds-dir", help="the reports the gold labels")] = Path("eval/seeds"),
    cassettes: Annotated[Path, Opt("--cassettes", help="cassette root (<config>/<report>.json)")] = Path("cassettes"),
    markdown: Annotated[bool, Opt("--markdown", help="also print the table as Markdown (for the README)")] = False,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="no per-report progress lines")] = False,
    corpus: Annotated[
        Path | None,
        Opt("--corpus", help="score the development corpus in this folder (docs/ + gold/) instead of the seeds"),
    ] = None,
    per_report: Annotated[bool, Opt("--per-report", help="with --corpus: also one row per report")] = False,
    write_baseline: Annotated[
        Path | None, Opt("--write-baseline", help="with --corpus: save the per-group figures as the tests' baseline")
    ] = None,
) -> None:
    """Run configurations over the eval set, print them side by side, save runs and an HTML report."""
    if ctx.invoked_subcommand is not None:
        return
    if mode not in MODES:
        raise ConfigError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    chosen: Mode = "record" if record else mode
    err = Console(stderr=True)
    if corpus is not None:
        for one in [EvalConfig.parse(name) for name in config] if config else [EvalConfig("rules")]:
            scores = _corpus(
                one, corpus, cassettes, chosen, markdown=markdown, per_report=per_report, err=None if quiet else err
            )
            if write_baseline is not None:
                write_baseline.write_text(
                    json.dumps(group_figures(scores), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
                )
        return
    configs = [EvalConfig.parse(name) for name in config] if config else list(DEFAULT_CONFIGS)
    runs = run_eval(
        configs,
        seeds_dir,
        gold_dir,
        cassettes,
        chosen,
        runs_dir=runs_dir,
        notice=None if quiet else lambda msg: err.print(f"[dim]{msg}[/]"),
    )
    _stdout().print(summary_table(runs))
    if markdown:
        typer.echo(markdown_table(runs), nl=False)
    path = write_html(runs, html or runs_dir / "report.html")
    err.print(f"HTML report: {path}")


def _corpus(
    config: EvalConfig,
    corpus: Path,
    cassettes: Path,
    mode: Mode,
    *,
    markdown: bool,
    per_report: bool,
    err: Console | None,
) -> list[CorpusScore]:
    scores = run_corpus(config, corpus, cassettes, mode, notice=(lambda m: err.print(f"[dim]{m}[/]")) if err else None)
    out = _stdout()
    rows = corpus_table_rows(scores)
    table = Table(title=f"{config.name} on the development corpus (values; meta checks apart)")
    for column in TABLE_COLUMNS:
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in rows:
        table.add_row(*row)
    out.print(table)
    if per_report:
        detail = Table(title="per report")
        for column in REPORT_COLUMNS:
            detail.add_column(
                column, justify="left" if column in ("report", "origin", "layout", "template", "error") else "right"
            )
        for row in report_rows(scores):
            detail.add_row(*row)
        out.print(detail)
    if markdown:
        typer.echo(corpus_markdown(rows), nl=False)
    return scores


@app.command("compare")
def compare(
    run_a: Annotated[str, typer.Argument(help="run file, or a config name (its latest run)")],
    run_b: Annotated[str, typer.Argument(help="run file, or a config name (its latest run)")],
    runs_dir: RunsDir = Path("eval/runs"),
) -> None:
    """List what got better and what got worse from RUN_A to RUN_B."""
    a = load_run(resolve_run(run_a, runs_dir))
    b = load_run(resolve_run(run_b, runs_dir))
    render_comparison(compare_runs(a, b), _stdout())


def _stdout() -> Console:
    """The terminal's width, or a wide one when piped, so the side-by-side columns are never truncated."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def summary_table(runs: list[RunResult]) -> Table:
    table = Table(title="eval", show_lines=False)
    for column in SUMMARY_COLUMNS:
        table.add_column(column, justify="left" if column == "config" else "right")
    for run in runs:
        values = summary_values(run)
        table.add_row(*(values[c] for c in SUMMARY_COLUMNS))
    return table


def render_comparison(cmp: Comparison, console: Console) -> None:
    console.print(f"A: {cmp.run_a}\nB: {cmp.run_b}")
    for label, delta in (("accuracy", cmp.accuracy), ("precision", cmp.precision), ("list F1", cmp.list_f1)):
        console.print(f"{label}: {delta.before:.3f} -> {delta.after:.3f} ({delta.change:+.3f})")
    for title, deltas in (("section", cmp.by_section), ("report", cmp.by_report)):
        moved = {k: d for k, d in deltas.items() if abs(d.change) > 1e-9}
        for key, d in moved.items():
            console.print(f"  {title} {key}: {d.before:.3f} -> {d.after:.3f} ({d.change:+.3f})", highlight=False)
    for title, changes in (("better", cmp.better), ("worse", cmp.worse), ("changed (still wrong)", cmp.changed)):
        console.print(f"{title}: {len(changes)}", style="bold")
        if changes:
            console.print(_changes_table(changes))


def _changes_table(changes: list[Change]) -> Table:
    table = Table(show_header=True)
    for column in ("report", "code", "expected", "A", "B"):
        table.add_column(column)
    for c in changes:
        table.add_row(
            c.report,
            c.code,
            _show(c.expected),
            f"{c.before}: {_show(c.got_before)}",
            f"{c.after}: {_show(c.got_after)}",
        )
    return table


def _show(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
