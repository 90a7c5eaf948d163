"""The accounting identities of the report tables (domain.md §2.6, §6): check them, and fill what they imply.

Identities, each a sum ``parts == totals`` over codebook codes:

- I1 per 表三 column: new + carried_in == processed + carried_out;
- I2 per 表三 row: total == natural_person + commercial + research + social_welfare + legal_service + other_org;
- I3 per 表三 column: processed == granted + partial + Σ denied (8) + Σ unable (3) + Σ not_processed (5) + other,
  and in the 2021 format other == no_correction + fee_unpaid + misc;
- I4 per 表四 block: total == upheld + corrected + other + pending (pre-2019 blocks without a pending cell:
  upheld + corrected + other), and the combined litigation block == direct + after_review;
- pre-2019 sums: request channels == requests.received, legacy outcomes == requests.answered, proactive
  categories == proactive.total.

Severity: I1–I4 are errors. The pre-2019 lists are local and need not be exhaustive, so parts that fall short of
their total are a *warning*; parts that exceed it are an *error* (no reading of the list makes that right).
GZ 2009 (categories 3 + 12 + 61 = 76 vs 81 printed) is therefore a warning.

Values qualified ``approx``/``at_least``/``at_most`` (万 units) are compared within their rounding: half the last
printed unit for approx (81万 → ±5000), a whole unit for at_least/at_most.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from .models import (
    APPLICANT_COLUMNS,
    OUTCOME_COLUMNS,
    Finding,
    Indicators,
    Qualifier,
    Quantity,
    Severity,
    construct,
)
from .templates import IDENTITY_GROUPS, IdentityGroup

__all__ = ["check", "derive"]

_APPLICANTS = APPLICANT_COLUMNS[:-1]  # the six applicant columns, without "total"
_DENIED = (
    "state_secret",
    "law_prohibited",
    "security_stability",
    "third_party",
    "internal_affairs",
    "process_info",
    "enforcement_file",
    "admin_query",
)
_UNABLE = ("not_held", "needs_creation", "unclear")
_NOT_PROCESSED = ("complaint", "duplicate", "publication", "mass_repeat", "confirm_reissue")
_OTHER_SUBS = ("no_correction", "fee_unpaid", "misc")
_OUTCOME_ROWS = (
    "granted",
    "partial",
    *(f"denied.{r}" for r in _DENIED),
    *(f"unable.{r}" for r in _UNABLE),
    *(f"not_processed.{r}" for r in _NOT_PROCESSED),
)
_T3_ROWS = (
    "new",
    "carried_in",
    *_OUTCOME_ROWS,
    "other",
    *(f"other.{r}" for r in _OTHER_SUBS),
    "processed",
    "carried_out",
)
_T4_BLOCKS = ("review", "litigation.direct", "litigation.after_review", "litigation")
_CHANNELS = ("online", "letter", "in_person", "fax", "email", "phone", "other")
_LEGACY = (
    "already_public",
    "granted",
    "partial",
    "denied",
    "not_gov_info",
    "not_this_agency",
    "nonexistent",
    "not_this_agency_or_nonexistent",
    "irrelevant_to_needs",
    "unclear",
    "other_route",
    "duplicate",
    "other",
)
_CATEGORIES = (
    "organization",
    "regulations",
    "normative_docs",
    "other_docs",
    "dynamics",
    "enforcement",
    "service_guides",
    "budget",
    "gov_work_report",
    "annual_report",
    "rules_internal",
    "business",
    "other",
)
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class _Identity:
    """``sum(parts) == sum(totals)``; ``partial_list``: the parts may be a non-exhaustive list (pre-2019)."""

    check: str
    name: str
    parts: tuple[str, ...]
    totals: tuple[str, ...]
    partial_list: bool = False
    cells: tuple[str, ...] = field(init=False, repr=False, compare=False)  # parts then totals

    def __post_init__(self) -> None:
        object.__setattr__(self, "cells", (*self.parts, *self.totals))


# --------------------------------------------------------------------------------------------------------------
# Which identities apply
# --------------------------------------------------------------------------------------------------------------


_Snapshot = dict[str, Quantity]  # code → reported quantity (``Indicators.get`` is too slow to call per cell)


def _snapshot(ind: Indicators) -> _Snapshot:
    """Every reported quantity by code, in declaration order."""
    return ind.reported()


def _identities(snap: _Snapshot, groups: Collection[IdentityGroup]) -> list[_Identity]:
    """The identities of ``groups`` (the report's template's, ``templates.identity_groups``) among the cells."""
    out: list[_Identity] = []
    if "表三" in groups and any(code.startswith("requests.") and code.count(".") >= 2 for code in snap):
        out.extend(_table3(snap))
    if "表四" in groups and any(code.startswith(("review.", "litigation.")) for code in snap):
        out.extend(_table4(snap))
    if "pre2019" in groups:
        out.extend(_pre2019(snap))
    return out


def _t3_static() -> tuple[list[_Identity], dict[str, tuple[_Identity, _Identity, _Identity]]]:
    """I2 and I1 (fixed), and per column the I3 variants: with the single （六） row, with its sub-rows, and
    the sub-rows' own sum."""
    fixed: list[_Identity] = []
    for row in _T3_ROWS:
        fixed.append(
            _Identity(
                "I2",
                f"row requests.{row}",
                tuple(f"requests.{row}.{c}" for c in _APPLICANTS),
                (f"requests.{row}.total",),
            )
        )
    per_column: dict[str, tuple[_Identity, _Identity, _Identity]] = {}
    for c in APPLICANT_COLUMNS:
        fixed.append(
            _Identity(
                "I1",
                f"column {c}",
                (f"requests.new.{c}", f"requests.carried_in.{c}"),
                (f"requests.processed.{c}", f"requests.carried_out.{c}"),
            )
        )
        outcomes = tuple(f"requests.{r}.{c}" for r in _OUTCOME_ROWS)
        subs = tuple(f"requests.other.{s}.{c}" for s in _OTHER_SUBS)
        single = (f"requests.other.{c}",)
        processed = (f"requests.processed.{c}",)
        per_column[c] = (
            _Identity("I3", f"column {c}", (*outcomes, *single), processed),
            _Identity("I3", f"column {c}", (*outcomes, *subs), processed),
            _Identity("I3", f"column {c}, （六）其他处理 = its sub-rows", subs, single),
        )
    return fixed, per_column


def _t4_static() -> dict[str, tuple[_Identity, _Identity]]:
    """Per 表四 block: the 2019 identity (with 尚未审结) and the pre-2019 one (without)."""
    out: dict[str, tuple[_Identity, _Identity]] = {}
    for block in _T4_BLOCKS:
        with_pending = tuple(f"{block}.{c}" for c in OUTCOME_COLUMNS[:-1])
        without = tuple(p for p in with_pending if not p.endswith(".pending"))
        total = (f"{block}.total",)
        out[block] = (
            _Identity("I4", f"block {block}", with_pending, total),
            _Identity("I4", f"block {block}", without, total),
        )
    return out


_T3_FIXED, _T3_BY_COLUMN = _t3_static()
_T4_BY_BLOCK = _t4_static()
_LITIGATION_SUMS = tuple(
    _Identity(
        "I4",
        f"litigation {c} = direct + after review",
        (f"litigation.direct.{c}", f"litigation.after_review.{c}"),
        (f"litigation.{c}",),
    )
    for c in OUTCOME_COLUMNS
)


def _table3(snap: _Snapshot) -> Iterable[_Identity]:
    yield from _T3_FIXED
    for c in APPLICANT_COLUMNS:
        with_single, with_subs, subs_sum = _T3_BY_COLUMN[c]
        if f"requests.other.{c}" in snap:
            yield with_single
            if all(code in snap for code in subs_sum.parts):
                yield subs_sum
        else:
            yield with_subs


def _table4(snap: _Snapshot) -> Iterable[_Identity]:
    for block in _T4_BLOCKS:
        with_pending, without = _T4_BY_BLOCK[block]
        # pre-2019 blocks have no 尚未审结 cell at all
        yield with_pending if f"{block}.pending" in snap else without
    yield from _LITIGATION_SUMS


def _pre2019(snap: _Snapshot) -> Iterable[_Identity]:
    groups = (
        ("pre2019.channels", "requests.channel", _CHANNELS, "requests.received"),
        ("pre2019.outcomes", "requests.legacy", _LEGACY, "requests.answered"),
        ("pre2019.categories", "proactive.category", _CATEGORIES, "proactive.total"),
    )
    for check_id, prefix, names, total in groups:
        parts = [f"{prefix}.{n}" for n in names if f"{prefix}.{n}" in snap]
        if check_id == "pre2019.outcomes" and "requests.legacy.not_this_agency_or_nonexistent" in snap:
            # the combined GZ category already counts its two halves (often restated in prose)
            parts = [p for p in parts if not p.endswith((".not_this_agency", ".nonexistent"))]
        if len(parts) >= 2:
            yield _Identity(check_id, f"{prefix}.* vs {total}", tuple(parts), (total,), partial_list=True)


# --------------------------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------------------------


def _granularity(value: float) -> float:
    """The last printed unit of a rounded value: 810000 → 10000, 96000 → 1000 (at least 1)."""
    v = abs(round(value))
    unit = 1
    while v and v % (unit * 10) == 0 and v // (unit * 10) >= 10:
        unit *= 10
    return float(unit)


def _tolerance(q: Quantity) -> float:
    if q.value is None or q.qualifier == "exact":
        return 0.0
    unit = _granularity(float(q.value))
    return unit / 2 if q.qualifier == "approx" else unit


def _values(snap: _Snapshot, codes: Sequence[str]) -> list[Quantity] | None:
    """The quantities of ``codes`` when every one is reported with a value; else None."""
    out: list[Quantity] = []
    for code in codes:
        q = snap.get(code)
        if q is None or q.value is None:
            return None
        out.append(q)
    return out


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ is slower, and failures are many
class _Failure:
    identity: _Identity
    lhs: float
    rhs: float
    severity: Severity


def _evaluate(snap: _Snapshot, idn: _Identity) -> _Failure | None:
    """The failure of ``idn``, or None when it holds or some cell is not reported (or a value is too large for a
    float: no report prints one, so the identity is left unchecked rather than the report failed)."""
    try:
        return _evaluate_sums(snap, idn)
    except OverflowError:
        return None


def _evaluate_sums(snap: _Snapshot, idn: _Identity) -> _Failure | None:
    """:func:`_evaluate`'s sums (hot path: no allocations)."""
    lhs = rhs = 0.0
    tol = _EPS
    for code in idn.parts:
        q = snap.get(code)
        if q is None or q.value is None:
            return None
        lhs += q.value
        if q.qualifier != "exact":
            tol += _tolerance(q)
    for code in idn.totals:
        q = snap.get(code)
        if q is None or q.value is None:
            return None
        rhs += q.value
        if q.qualifier != "exact":
            tol += _tolerance(q)
    if abs(lhs - rhs) <= tol:
        return None
    severity: Severity = "error"
    if idn.partial_list and lhs < rhs:
        severity = "warning"  # a local category list may leave some items out
    return _Failure(idn, lhs, rhs, severity)


def check(
    ind: Indicators,
    snapshot: dict[str, Quantity] | None = None,
    groups: Collection[IdentityGroup] = IDENTITY_GROUPS,
) -> list[Finding]:
    """One finding per identity that fails among those whose cells are all reported. Never modifies ``ind``.

    ``snapshot``: ``ind``'s reported quantities by code, as :func:`derive` returns them (saves walking the tree).
    ``groups``: the identity groups of the report's template (all of them when it is not known).
    """
    snap = _snapshot(ind) if snapshot is None else snapshot
    # _evaluate first: it is cheap when a cell is missing, and most identities fail that way or hold
    failures = [
        f
        for idn in _identities(snap, groups)
        if (f := _evaluate(snap, idn)) is not None and not _all_derived(snap, idn)
    ]
    if not failures:
        return []
    hits = Counter(code for f in failures for code in set(f.identity.cells))
    terms: dict[str, str] = {}  # code → "code (value)", each made once (the cells of a table sit in several)
    return [_finding(snap, f, hits, terms) for f in failures]


def complete_through(
    ind: Indicators, codes: Collection[str], groups: Collection[IdentityGroup] = IDENTITY_GROUPS
) -> list[str]:
    """The identities through any of ``codes`` whose every cell has a value (holding or not), by name."""
    snap = _snapshot(ind)
    wanted = set(codes)
    return [
        f"{i.check} {i.name}"
        for i in _identities(snap, groups)
        if wanted.intersection(i.cells) and _values(snap, i.cells)
    ]


def _all_derived(snap: _Snapshot, idn: _Identity) -> bool:
    """Every cell was computed by derive() (the combined litigation block): its failure would only repeat the
    failures of the identities it was derived from."""
    return all((q := snap.get(c)) is not None and q.derived for c in idn.cells)


def _suspects(f: _Failure, hits: Counter[str]) -> list[str]:
    """Cells shared by the most failing identities (a row's I2 ∩ a column's I1/I3); else the total of a sum."""
    cells = f.identity.cells
    best = max(hits[c] for c in cells)
    if best >= 2:
        return [c for c in cells if hits[c] == best]
    if f.identity.check == "I1" or f.severity == "warning":
        return []  # I1 has no total side; a short list more likely misses an item than misprints its total
    return list(f.identity.totals)


def _finding(snap: _Snapshot, f: _Failure, hits: Counter[str], made: dict[str, str]) -> Finding:
    idn = f.identity

    def terms(codes: Sequence[str]) -> str:
        out = []
        for c in codes:
            term = made.get(c)
            if term is None:
                term = made[c] = f"{c} ({_fmt(snap[c].value)})"
            out.append(term)
        return " + ".join(out)

    message = (
        f"{idn.check} fails for {idn.name}: {terms(idn.parts)} = {_fmt(f.lhs)}, but {terms(idn.totals)} = {_fmt(f.rhs)}"
    )
    if f.severity == "warning":
        message += " (the parts fall short; the list may not be exhaustive)"
    # every field given, each of its declared type: what validating would build, without the cost
    return construct(
        Finding,
        {
            "check": idn.check,
            "severity": f.severity,
            "message": message,
            "expected": _num(f.lhs),
            "found": _num(f.rhs),
            "cells": list(idn.cells),
            "suspects": _suspects(f, hits),
        },
    )


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _fmt(x: float | int | None) -> str:
    if x is None:
        return "blank"
    if type(x) is int and -_EXACT_INT < x < _EXACT_INT:
        return str(x)  # what str(_num(float(x))) gives: the float holds such an int exactly
    return str(_num(float(x)))


_EXACT_INT = 2**53


# --------------------------------------------------------------------------------------------------------------
# Deriving
# --------------------------------------------------------------------------------------------------------------


def derive(ind: Indicators, snapshot: dict[str, Quantity] | None = None) -> dict[str, Quantity]:
    """Fill what the identities imply, in place. Printed values are never overwritten.

    1. blank table cells (reported with value None): a cell that an identity fixes (its only unknown) gets that
       value — ``imputed_zero`` when it is 0, ``derived`` otherwise; any blank left is set to 0
       (``imputed_zero``) only when every identity through it still holds;
    2. 2021 （六）其他处理 = Σ its sub-rows, per column, when the single row is absent;
    3. litigation.{upheld, …, total} = direct + after_review, when both are reported and the sum is absent;
    4. requests.received = requests.new.total when absent (post-2019 tables).

    ``snapshot``: ``ind``'s reported quantities by code when the caller holds them already (it is updated in
    place). Returns every reported quantity by code afterwards (what :func:`check` reads).
    """
    snap = _snapshot(ind) if snapshot is None else snapshot
    _fill_blanks(ind, snap)
    for c in APPLICANT_COLUMNS:
        _derive_sum(ind, snap, f"requests.other.{c}", [f"requests.other.{s}.{c}" for s in _OTHER_SUBS])
    for c in OUTCOME_COLUMNS:
        _derive_sum(ind, snap, f"litigation.{c}", [f"litigation.direct.{c}", f"litigation.after_review.{c}"])
    _derive_sum(ind, snap, "requests.received", ["requests.new.total"])
    return snap


def _weakest(qs: Iterable[Quantity]) -> Qualifier:
    quals = {q.qualifier for q in qs}
    return "exact" if quals <= {"exact"} else "approx"


def _put(ind: Indicators, snap: _Snapshot, code: str, q: Quantity) -> None:
    ind.set(code, q)
    snap[code] = q


def _derive_sum(ind: Indicators, snap: _Snapshot, target: str, sources: Sequence[str]) -> None:
    if target in snap:
        return
    qs = _values(snap, sources)
    if qs is None:
        return
    total = sum(q.value or 0 for q in qs)
    derived = Quantity(value=total, unit=qs[0].unit or "件", qualifier=_weakest(qs), derived=True, engine="rules")
    _put(ind, snap, target, derived)


def _fill_blanks(ind: Indicators, snap: _Snapshot) -> None:
    blanks = {code for code, q in snap.items() if q.value is None}
    if not blanks:
        return
    identities = [idn for idn in _identities(snap, IDENTITY_GROUPS) if idn.check in ("I1", "I2", "I3", "I4")]
    # 1. an identity with a single blank cell (and every other cell reported) fixes it
    progress = True
    while progress and blanks:
        progress = False
        for idn in identities:
            unknown = [c for c in idn.cells if c in blanks]
            if len(unknown) != 1 or any(c not in snap for c in idn.cells):
                continue
            (code,) = unknown
            value = _solve(snap, idn, code)
            if value is None or value < 0:
                continue
            _set_filled(ind, snap, code, value)
            blanks.discard(code)
            progress = True
    # 2. the rest: 0, where every identity through the cell still holds with it
    trial = {code for code in blanks if any(code in idn.cells for idn in identities)}
    while trial:
        for code in trial:
            _set_filled(ind, snap, code, 0)
        broken = {
            code
            for idn in identities
            if any(c in trial for c in idn.cells) and _evaluate(snap, idn) is not None
            for code in idn.cells
            if code in trial
        }
        if not broken:
            break
        for code in trial:
            _reset_blank(ind, snap, code)
        trial -= broken


def _solve(snap: _Snapshot, idn: _Identity, code: str) -> int | float | None:
    """The value of ``code`` that makes ``idn`` hold, the other cells being known."""
    parts = _values(snap, [c for c in idn.parts if c != code])
    totals = _values(snap, [c for c in idn.totals if c != code])
    if parts is None or totals is None:
        return None
    p = sum(q.value or 0 for q in parts)
    t = sum(q.value or 0 for q in totals)
    return t - p if code in idn.parts else p - t


def _set_filled(ind: Indicators, snap: _Snapshot, code: str, value: int | float) -> None:
    zero = value == 0
    update = {"value": value, "imputed_zero": zero, "derived": not zero, "engine": "rules"}
    _put(ind, snap, code, snap[code].model_copy(update=update))


def _reset_blank(ind: Indicators, snap: _Snapshot, code: str) -> None:
    update = {"value": None, "imputed_zero": False, "derived": False}
    _put(ind, snap, code, snap[code].model_copy(update=update))
