"""Scoring one extracted report against its gold: every check returns a status *and a reason*.

Per gold code the extraction is ``correct``, ``wrong`` or ``missing``; a printed value the gold does not have is
``spurious``. Confusing "not reported" (None) with "reported as zero" (0) is flagged on its own as well
(``null_vs_zero``), and so is a right value with a different qualifier. Derived values (computed from an identity,
not printed) are scored when the gold has the code but are never spurious. List fields are matched item by item
(:mod:`.matching`). Aggregation lives in :mod:`.summary`.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..models import Indicators, Quantity, ReportRecord
from .gold import Gold, GoldValue
from .matching import THRESHOLD, match_items, normalize

Status = Literal["correct", "wrong", "missing", "spurious"]
ItemStatus = Literal["matched", "missing", "spurious"]
ListField = Literal["problems", "improvements"]
LIST_FIELDS: tuple[ListField, ...] = ("problems", "improvements")
Value = int | float | str | None

# Codes that name the same figure (eval/README.md rule 8): the codebook says received equals new.total post-2019.
ALIASES: dict[str, str] = {"requests.received": "requests.new.total", "requests.new.total": "requests.received"}
META_SECTION = "meta"
REL_TOL = 1e-6


class FieldResult(BaseModel):
    """The verdict on one code of one report."""

    model_config = ConfigDict(extra="forbid")

    report: str
    code: str
    section: str  # the gold value's section kind, "meta", or the record's section for spurious values
    status: Status
    expected: Value = None
    got: Value = None
    quote: str | None = None  # the gold quote (the record's quote for spurious values)
    got_quote: str | None = None
    engine: str | None = None
    null_vs_zero: bool = False
    qualifier_mismatch: bool = False
    reason: str


class ItemResult(BaseModel):
    """The verdict on one list item: a gold item matched or missed, or a predicted item with no gold partner."""

    model_config = ConfigDict(extra="forbid")

    report: str
    field: ListField
    status: ItemStatus
    expected: str | None = None
    got: str | None = None
    similarity: float = 0.0
    reason: str


class ReportScore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: str
    fields: list[FieldResult]
    items: list[ItemResult]


def values_equal(a: int | float, b: int | float) -> bool:
    """Numbers compared after normalization: 5 == 5.0, and floats within a relative 1e-6."""
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-9)


def score_report(gold: Gold, record: ReportRecord) -> ReportScore:
    fields = [_meta_check(gold, record, name) for name in ("template", "year", "issuer")]
    used: set[str] = set()  # record codes consumed while scoring gold codes (directly or through an alias)
    for value in gold.values:
        result, code_used = _score_value(gold.report, value, record.indicators)
        fields.append(result)
        if code_used:
            used.add(code_used)
    fields.extend(_spurious(gold, record, used))
    items = [item for name in LIST_FIELDS for item in _score_list(gold, record, name)]
    return ReportScore(report=gold.report, fields=fields, items=items)


def _lookup(indicators: Indicators, code: str) -> Quantity | None:
    try:
        q = indicators.get(code)
    except KeyError:
        return None
    return q if q is not None and q.value is not None else None


def _score_value(report: str, gold: GoldValue, indicators: Indicators) -> tuple[FieldResult, str | None]:
    base = {"report": report, "code": gold.code, "section": gold.section, "expected": gold.value, "quote": gold.quote}
    code, q = gold.code, _lookup(indicators, gold.code)
    if q is None and gold.code in ALIASES:
        code, q = ALIASES[gold.code], _lookup(indicators, ALIASES[gold.code])
    if q is None or q.value is None:
        zero = gold.value == 0
        why = "not extracted (None)"
        if zero:
            why += "; the gold says reported as zero, the record says not reported"
        return FieldResult(**base, status="missing", null_vs_zero=zero, reason=why), None
    via = f" (read from its alias {code})" if code != gold.code else ""
    got_info = {"got": q.value, "got_quote": q.source.quote or q.raw or None, "engine": q.engine}
    if values_equal(q.value, gold.value):
        mismatch = q.qualifier != gold.qualifier
        why = f"{_fmt(q.value)} matches{via}"
        if mismatch:
            why += f"; qualifier {q.qualifier} where the gold has {gold.qualifier}"
        return FieldResult(**base, **got_info, status="correct", qualifier_mismatch=mismatch, reason=why), code
    kind = "derived" if q.derived else f"{q.engine} engine"
    why = f"expected {_fmt(gold.value)}, got {_fmt(q.value)} ({kind}){via}"
    return FieldResult(**base, **got_info, status="wrong", reason=why), code


def _spurious(gold: Gold, record: ReportRecord, used: set[str]) -> list[FieldResult]:
    out: list[FieldResult] = []
    labelled = {v.code for v in gold.values}
    for code, q in record.indicators.items():
        # derived values and imputed zeros (a blank cell the identities allow as 0) are not printed claims
        if q.derived or q.imputed_zero or q.value is None or code in labelled or code in used:
            continue
        alias = ALIASES.get(code)
        alias_gold = gold.value_of(alias) if alias else None
        if alias_gold is not None and values_equal(q.value, alias_gold.value):
            continue
        zero = q.value == 0
        why = f"{_fmt(q.value)} is not in the gold"
        if alias_gold is not None:
            why = f"{_fmt(q.value)} differs from the gold's {alias} {_fmt(alias_gold.value)} (same figure by rule 8)"
        if zero:
            why += "; reported as zero where the gold has no figure (not reported)"
        out.append(
            FieldResult(
                report=gold.report,
                code=code,
                section=q.source.section or "unknown",
                status="spurious",
                got=q.value,
                quote=q.source.quote or q.raw or None,
                got_quote=q.source.quote or q.raw or None,
                engine=q.engine,
                null_vs_zero=zero,
                reason=why,
            )
        )
    return out


def _meta_check(gold: Gold, record: ReportRecord, name: str) -> FieldResult:
    expected: Value = getattr(gold, name)
    got: Value = getattr(record.meta, name)
    base = {"report": gold.report, "code": f"meta.{name}", "section": META_SECTION, "expected": expected, "got": got}
    if got is None or got == "unknown":
        return FieldResult(**base, status="missing", reason=f"no {name} detected")
    same = normalize(str(got)) == normalize(str(expected)) if name == "issuer" else got == expected
    if same:
        return FieldResult(**base, status="correct", reason=f"{name} matches")
    return FieldResult(**base, status="wrong", reason=f"expected {name} {expected!r}, got {got!r}")


def _score_list(gold: Gold, record: ReportRecord, name: ListField) -> list[ItemResult]:
    expected: list[str] = getattr(gold, name)
    predicted = [item.text for item in getattr(record, name)]
    matching = match_items(expected, predicted)
    base = {"report": gold.report, "field": name}
    out = [
        ItemResult(
            **base,
            status="matched",
            expected=expected[m.gold],
            got=predicted[m.predicted],
            similarity=round(m.similarity, 3),
            reason=f"similarity {m.similarity:.2f}",
        )
        for m in matching.matches
    ]
    for i, best, j in matching.unmatched_gold:
        near = f"; nearest extracted item ({best:.2f}): {predicted[j]!r}" if j is not None else ""
        out.append(
            ItemResult(
                **base,
                status="missing",
                expected=expected[i],
                similarity=round(best, 3),
                reason=f"no extracted {name} item reaches similarity {THRESHOLD}{near}",
            )
        )
    for k, best, g in matching.unmatched_predicted:
        near = f"; nearest gold item ({best:.2f}): {expected[g]!r}" if g is not None else ""
        out.append(
            ItemResult(
                **base,
                status="spurious",
                got=predicted[k],
                similarity=round(best, 3),
                reason=f"no gold {name} item matches{near}",
            )
        )
    return out


def _fmt(value: int | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
