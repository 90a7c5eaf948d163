"""Scoring extractions against the hand-labelled gold set in eval/, and comparing configurations.

gold      load and validate eval/gold/*.json against the codebook and the seed texts
matching  one-to-one matching of list items by normalized text similarity
score     one report: a status and a reason for every code, list item and meta field
summary   overall / per section kind / per code / per report counts and ratios
results   a saved run (eval/runs/<timestamp>-<config>.json) and the side-by-side columns
runner    configurations (provider x model x prompt) run over the eval set from cassettes
compare   what got better and what got worse between two runs
report    the self-contained HTML report
"""

from __future__ import annotations

from .compare import Comparison, compare_runs
from .gold import Gold, GoldValue, load_gold
from .report import render_html, write_html
from .results import RunResult, load_run, markdown_table, save_run
from .runner import DEFAULT_CONFIGS, EvalConfig, run_eval
from .score import FieldResult, ItemResult, ReportScore, score_report
from .summary import Counts, ListCounts, Summary, summarize

__all__ = [
    "DEFAULT_CONFIGS",
    "Comparison",
    "Counts",
    "EvalConfig",
    "FieldResult",
    "Gold",
    "GoldValue",
    "ItemResult",
    "ListCounts",
    "ReportScore",
    "RunResult",
    "Summary",
    "compare_runs",
    "load_gold",
    "load_run",
    "markdown_table",
    "render_html",
    "run_eval",
    "save_run",
    "score_report",
    "summarize",
    "write_html",
]
