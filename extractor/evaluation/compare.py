"""What got better and what got worse between two eval runs, field by field."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .results import RunResult
from .score import Value

_Key = tuple[str, str, str]  # (report, code or list name, list item text or "")


class Change(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: str
    code: str  # a code, or "problems"/"improvements" for a list item
    before: str  # status in run A ("absent" when the run had no verdict there)
    after: str
    expected: Value = None
    got_before: Value = None
    got_after: Value = None


class Delta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


class Comparison(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_a: str
    run_b: str
    accuracy: Delta
    precision: Delta
    list_f1: Delta
    by_report: dict[str, Delta]
    by_section: dict[str, Delta]
    better: list[Change]
    worse: list[Change]
    changed: list[Change]  # still wrong, differently (wrong -> missing, another wrong value)


def compare_runs(a: RunResult, b: RunResult) -> Comparison:
    before, after = _verdicts(a), _verdicts(b)
    better, worse, changed = [], [], []
    for key in sorted(before.keys() | after.keys()):
        va, vb = before.get(key), after.get(key)
        status_a = va[0] if va else "absent"
        status_b = vb[0] if vb else "absent"
        if status_a == status_b and (va and va[2]) == (vb and vb[2]):
            continue
        change = Change(
            report=key[0],
            code=key[1],
            before=status_a,
            after=status_b,
            expected=next(v[1] for v in (va, vb) if v is not None),
            got_before=va[2] if va else None,
            got_after=vb[2] if vb else None,
        )
        ok_a, ok_b = _ok(status_a), _ok(status_b)
        if ok_b and not ok_a:
            better.append(change)
        elif ok_a and not ok_b:
            worse.append(change)
        elif not ok_a:
            changed.append(change)
    reports = sorted(a.by_report.keys() | b.by_report.keys())
    sections = sorted(a.by_section.keys() | b.by_section.keys())
    return Comparison(
        run_a=f"{a.config} ({a.timestamp})",
        run_b=f"{b.config} ({b.timestamp})",
        accuracy=Delta(before=a.totals.accuracy, after=b.totals.accuracy),
        precision=Delta(before=a.totals.precision, after=b.totals.precision),
        list_f1=Delta(before=a.lists.f1, after=b.lists.f1),
        by_report={
            r: Delta(
                before=a.by_report[r].values.accuracy if r in a.by_report else 0.0,
                after=b.by_report[r].values.accuracy if r in b.by_report else 0.0,
            )
            for r in reports
        },
        by_section={
            s: Delta(
                before=a.by_section[s].accuracy if s in a.by_section else 0.0,
                after=b.by_section[s].accuracy if s in b.by_section else 0.0,
            )
            for s in sections
            if (s in a.by_section and a.by_section[s].checks) or (s in b.by_section and b.by_section[s].checks)
        },
        better=better,
        worse=worse,
        changed=changed,
    )


def _ok(status: str) -> bool:
    # "absent" is fine: a spurious value that disappeared, or a verdict the other run never had to give.
    return status in ("correct", "matched", "absent")


def _verdicts(run: RunResult) -> dict[_Key, tuple[str, Value, Value]]:
    """(report, code, item) -> (status, expected, got); list items are keyed by their gold or extracted text."""
    out: dict[_Key, tuple[str, Value, Value]] = {}
    for f in run.results:
        out[(f.report, f.code, "")] = (f.status, f.expected, f.got)
    for i in run.items:
        text = i.expected if i.expected is not None else f"+{i.got}"
        out[(i.report, i.field, text)] = (i.status, i.expected, i.got)
    return out
