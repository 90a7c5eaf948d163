"""Aggregating field and item verdicts: overall, per section kind, per code and per report.

accuracy  = correct / gold checks           (how much of the gold came out right)
precision = correct / (correct + wrong + spurious)   (how much of what was claimed is right)
coverage  = (correct + wrong) / gold checks (how much of the gold got any value)
List fields: precision, recall and F1 over matched items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict, computed_field

from .score import LIST_FIELDS, FieldResult, ItemResult, ReportScore


def _ratio(num: int, den: int, *, empty: float) -> float:
    return round(num / den, 6) if den else empty


class Counts(BaseModel):
    model_config = ConfigDict(extra="ignore")  # computed ratios come back when a saved run is loaded

    checks: int = 0  # gold codes (and meta checks)
    correct: int = 0
    wrong: int = 0
    missing: int = 0
    spurious: int = 0
    null_vs_zero: int = 0
    qualifier_mismatch: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy(self) -> float:
        return _ratio(self.correct, self.checks, empty=1.0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float:
        claimed = self.correct + self.wrong + self.spurious
        return _ratio(self.correct, claimed, empty=1.0 if self.checks == 0 else 0.0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def coverage(self) -> float:
        return _ratio(self.correct + self.wrong, self.checks, empty=1.0)

    def add(self, result: FieldResult) -> None:
        if result.status != "spurious":
            self.checks += 1
        setattr(self, result.status, getattr(self, result.status) + 1)
        self.null_vs_zero += result.null_vs_zero
        self.qualifier_mismatch += result.qualifier_mismatch


class ListCounts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    gold: int = 0
    predicted: int = 0
    matched: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float:
        return _ratio(self.matched, self.predicted, empty=1.0 if self.gold == 0 else 0.0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float:
        return _ratio(self.matched, self.gold, empty=1.0 if self.predicted == 0 else 0.0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return round(2 * p * r / (p + r), 6) if p + r else 0.0

    def add(self, item: ItemResult) -> None:
        self.gold += item.status != "spurious"
        self.predicted += item.status != "missing"
        self.matched += item.status == "matched"


class ReportSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: Counts
    lists: ListCounts
    by_list: dict[str, ListCounts]


class Summary(BaseModel):
    """Every breakdown of a set of scored reports."""

    model_config = ConfigDict(extra="forbid")

    totals: Counts
    lists: ListCounts
    by_section: dict[str, Counts]
    by_code: dict[str, Counts]
    by_report: dict[str, ReportSummary]


def count_fields(results: Iterable[FieldResult]) -> Counts:
    counts = Counts()
    for r in results:
        counts.add(r)
    return counts


def count_items(items: Iterable[ItemResult]) -> ListCounts:
    counts = ListCounts()
    for item in items:
        counts.add(item)
    return counts


def summarize(scores: list[ReportScore]) -> Summary:
    fields = [f for s in scores for f in s.fields]
    items = [i for s in scores for i in s.items]
    return Summary(
        totals=count_fields(fields),
        lists=count_items(items),
        by_section=_grouped(fields, key=lambda f: f.section),
        by_code=_grouped(fields, key=lambda f: f.code),
        by_report={
            s.report: ReportSummary(
                values=count_fields(s.fields),
                lists=count_items(s.items),
                by_list={name: count_items(i for i in s.items if i.field == name) for name in LIST_FIELDS},
            )
            for s in scores
        },
    )


def _grouped(fields: list[FieldResult], key: Callable[[FieldResult], str]) -> dict[str, Counts]:
    groups: dict[str, Counts] = {}
    for f in fields:
        groups.setdefault(key(f), Counts()).add(f)
    return dict(sorted(groups.items()))
