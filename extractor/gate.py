"""The gate between a model's answers and the panel: which model values are *accepted*, which stay *candidates*.

A small model's quote is grounded (it occurs in the section and holds the number) and still says nothing of the
indicator: "举办145场新闻发布会" for proactive.total, "535件规范性文件" for complaints.total. So a model value is
accepted only when

1. its quote occurs in the section text, and the answer passed validation (no re-asks ran out);
2. the quote names the indicator: the code's quote cue from ``schemas/cues.csv`` ("主动公开" for proactive.total,
   "申请" and one of "收到/受理/…" for requests.received);
3. the number's printed unit is one the code's unit allows ("145场" is not a count of 条);
4. no rules value and no value derived from the identities holds the code (a disagreement is a finding);
5. it breaks no identity that held without it;
6. where the rules read the code from a table row that splits several ways (an ambiguous cell: the text cannot say
   which reading it means), it is one of those readings, from a sentence; a model's own copy of such a row (the
   table pass) is one more guess, and stays a candidate.

Everything else is a candidate: kept in the record's ``alternates`` with the reason, shown in the view, never in
the tree the panel tables and the identities read.
"""

from __future__ import annotations

import re
from functools import cache

from . import identities
from .codebook import codebook, cues
from .models import Finding, Indicators, Quantity
from .numbers import Number

# Printed units each codebook unit accepts (None: the number was printed bare).
_UNITS: dict[str, frozenset[str | None]] = {
    "条": frozenset({"条", "件", "个", "项", "份", "篇", None}),
    "件": frozenset({"件", "宗", "个", "条", "项", "起", "份", None}),
    "项": frozenset({"项", "个", "件", "条", None}),
    "次": frozenset({"次", "场", "篇", "期", "条", None}),
    "人次": frozenset({"人次", "次", "人", "件", "个", "条", None}),
    "元": frozenset({"元", "万元", "亿元", None}),
    "%": frozenset({"%"}),
}


@cache
def _quote_cue(code: str) -> tuple[re.Pattern[str], ...]:
    cue = cues().get(code)
    return tuple(re.compile(part) for part in cue.quote.split("&")) if cue is not None else ()


def quote_problem(code: str, quote: str, number: Number) -> str | None:
    """Why a quote cannot stand for ``code`` (rules 2 and 3), or None."""
    patterns = _quote_cue(code)
    if not patterns:
        return f"no quote cue is known for {code}"
    missing = [p.pattern for p in patterns if not p.search(quote)]
    if missing:
        return f"the quote does not name the indicator (it needs {' and '.join(missing)})"
    unit = codebook()[code].unit
    allowed = _UNITS.get(unit)
    printed = "%" if number.percent else number.unit
    if allowed is not None and printed not in allowed:
        return f"the printed unit {printed} is not one of {unit}'s"
    return None


def breaks_identity(tree: Indicators, code: str, value: Quantity, held: set[tuple[str, str]]) -> Finding | None:
    """The first identity error involving ``code`` that ``value`` would add to ``tree`` (rule 5); ``held`` names
    the identities failing already (check, message) and is brought up to date when the value is let in."""
    tree.set(code, value)
    after = [f for f in identities.check(tree) if f.severity == "error"]
    new = [f for f in after if code in f.cells and (f.check, f.message) not in held]
    if new:
        tree.set(code, None)
        return new[0]
    held.update((f.check, f.message) for f in after)
    return None


def failing(tree: Indicators) -> set[tuple[str, str]]:
    return {(f.check, f.message) for f in identities.check(tree) if f.severity == "error"}


def ambiguous_reading(alternates: dict[str, list[Quantity]], code: str) -> Quantity | None:
    """The rules' reading of ``code`` from a table row that splits several ways (kept as a candidate), if any."""
    return next((q for q in alternates.get(code, ()) if q.ambiguous and q.engine == "rules"), None)


def guess_problem(alternates: dict[str, list[Quantity]], code: str, value: int | float | None) -> str | None:
    """Why ``value`` cannot stand for a code whose table row splits several ways (rule 6), or None."""
    reading = ambiguous_reading(alternates, code)
    if reading is None:
        return None
    readings = [reading.value, *reading.alternatives]
    if value in readings:
        return None
    shown = ", ".join(str(v) for v in readings)
    return f"its table row splits several ways ({code} would be one of {shown}), none of them {value}"
