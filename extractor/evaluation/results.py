"""A saved eval run: one configuration over the eval set, with every verdict, stored as JSON under eval/runs/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import UsageError
from ..models import Usage
from .score import FieldResult, ItemResult, ReportScore
from .summary import Counts, ListCounts, ReportSummary, summarize

SUMMARY_COLUMNS: tuple[str, ...] = (
    "config",
    "accuracy",
    "precision",
    "list F1",
    "coverage",
    "model precision",
    "tokens/correct",
    "model calls",
    "cache hits",
    "tokens",
    "seconds",
)


class RunResult(BaseModel):
    """One configuration's eval run. ``results``/``items`` hold every verdict; ``misses`` only the failed ones."""

    model_config = ConfigDict(extra="forbid")

    config: str
    provider: str
    model: str | None = None
    prompt: str | None = None
    mode: str
    timestamp: str
    seconds: float
    reports: list[str]
    usage: Usage
    totals: Counts
    lists: ListCounts
    by_section: dict[str, Counts]
    by_code: dict[str, Counts]
    by_report: dict[str, ReportSummary]
    misses: list[FieldResult]
    list_misses: list[ItemResult]
    results: list[FieldResult]
    items: list[ItemResult]

    @property
    def tokens(self) -> int:
        return self.usage.prompt_tokens + self.usage.completion_tokens


def build_run(
    scores: list[ReportScore],
    *,
    config: str,
    provider: str,
    model: str | None = None,
    prompt: str | None = None,
    mode: str = "replay",
    timestamp: str,
    seconds: float = 0.0,
    usage: Usage | None = None,
) -> RunResult:
    """A run from its reports' scores: every breakdown of :func:`~.summary.summarize`, and the misses."""
    summary = summarize(scores)
    results = [f for s in scores for f in s.fields]
    items = [i for s in scores for i in s.items]
    return RunResult(
        config=config,
        provider=provider,
        model=model,
        prompt=prompt,
        mode=mode,
        timestamp=timestamp,
        seconds=round(seconds, 3),
        reports=[s.report for s in scores],
        usage=usage or Usage(),
        totals=summary.totals,
        lists=summary.lists,
        by_section=summary.by_section,
        by_code=summary.by_code,
        by_report=summary.by_report,
        misses=[f for f in results if f.status != "correct"],
        list_misses=[i for i in items if i.status != "matched"],
        results=results,
        items=items,
    )


def timestamp() -> str:
    """UTC, sortable and safe in a file name: 20250131T120000Z."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def summary_values(run: RunResult) -> dict[str, str]:
    """The side-by-side columns of one run, formatted (shared by the terminal table, the HTML and the README)."""
    return {
        "config": run.config,
        "accuracy": f"{run.totals.accuracy:.3f}",
        "precision": f"{run.totals.precision:.3f}",
        "list F1": f"{run.lists.f1:.3f}",
        "coverage": f"{run.totals.coverage:.3f}",
        **model_figures(run),
        "model calls": str(run.usage.model_calls),
        "cache hits": str(run.usage.cache_hits),
        "tokens": str(run.tokens),
        "seconds": f"{run.seconds:.1f}",
    }


def model_figures(run: RunResult) -> dict[str, str]:
    """Precision of the values the model put in the panel (correct / all it claimed there), and the tokens (prompt
    and completion) spent per correct figure it added; "-" where the run used no model or the model added none."""
    claimed = [r for r in run.results if r.engine == "model" and r.status in ("correct", "wrong", "spurious")]
    correct = sum(r.status == "correct" for r in claimed)
    precision = f"{correct / len(claimed):.3f}" if claimed else "-"
    per_correct = f"{run.tokens / correct:.0f}" if correct and run.tokens else "-"
    return {"model precision": precision, "tokens/correct": per_correct}


def markdown_table(runs: list[RunResult]) -> str:
    """The side-by-side table as Markdown, for the README."""
    lines = ["| " + " | ".join(SUMMARY_COLUMNS) + " |", "|" + "---|" * len(SUMMARY_COLUMNS)]
    for run in runs:
        row = summary_values(run)
        lines.append("| " + " | ".join(row[c] for c in SUMMARY_COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def save_run(run: RunResult, runs_dir: Path) -> Path:
    """Write ``<timestamp>-<config>.json`` (never overwriting an earlier run) and return its path."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / f"{run.timestamp}-{run.config}.json"
    n = 2
    while path.exists():
        path = runs_dir / f"{run.timestamp}-{run.config}-{n}.json"
        n += 1
    path.write_text(run.model_dump_json(indent=1), encoding="utf-8")
    return path


def load_run(path: Path) -> RunResult:
    try:
        return RunResult.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as e:
        raise UsageError(f"{path}: not a readable eval run ({' '.join(str(e).split())[:200]})") from e


def resolve_run(ref: str, runs_dir: Path) -> Path:
    """A run file from a path, a file name in ``runs_dir``, or a config name (its latest run)."""
    for candidate in (Path(ref), runs_dir / ref, runs_dir / f"{ref}.json"):
        if candidate.is_file():
            return candidate
    latest = sorted(p for p in runs_dir.glob(f"*-{ref}.json") if p.stem.split("-", 1)[-1] == ref)
    if latest:
        return latest[-1]
    raise UsageError(f"no eval run {ref!r}: give a run file, or a config name with a run in {runs_dir}")
