"""The deterministic engine: tables, prose statistics, lists and metadata by rules, with provenance.

It needs no model and is the embedded default: the figures of the national tables and the 附表 come out exact,
and the model path (hybrid) is only asked for what is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise

from .codebook import codebook
from .documents import Document
from .lists import split_problems
from .models import (
    Cell,
    Finding,
    Indicators,
    Quantity,
    SectionKind,
    Source,
    TextItem,
    construct,
    quantity_with_source,
)
from .prose import extract_prose
from .sections import Section, Split
from .tables import parse_tables
from .templates import era_codes, readers


@dataclass
class RulesOutput:
    indicators: Indicators = field(default_factory=Indicators.empty)
    alternates: dict[str, list[Quantity]] = field(default_factory=dict)
    problems: list[TextItem] = field(default_factory=list)
    improvements: list[TextItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    values: dict[str, Quantity] = field(default_factory=dict)  # what ``indicators`` holds, by code


def section_at(split: Split, offset: int) -> Section | None:
    for s in split.sections:
        if s.start <= offset < s.end:
            return s
    return None


def to_quantity(doc: Document, cell: Cell, kind: SectionKind | None, *, base: int = 0) -> Quantity:
    """A parser's cell as a stored quantity, its span mapped back to the original text."""
    a, b = base + cell.start, base + cell.end
    offsets = doc.offsets
    if offsets is not None and 0 <= a < b <= len(offsets):  # doc.to_original(a, b), without the call
        start, end = offsets[a], offsets[b - 1] + 1
    else:
        start, end = doc.to_original(a, b)
    return quantity_with_source(
        {
            "value": cell.value,
            "unit": cell.unit or _unit(cell.code),
            "qualifier": cell.qualifier,
            "raw": cell.raw,
            "source": None,
            "derived": False,
            "imputed_zero": False,
            "engine": "rules",
            "model": None,
            "grounded": None,
            "verified": True,
            "ambiguous": cell.ambiguous,
            "alternatives": list(cell.alternatives) if cell.alternatives else [],
            "status": "accepted",
            "reason": None,
        },
        {"section": kind, "table": cell.table, "row": cell.row, "column": cell.column, "start": start, "end": end,
         "quote": doc.original[start:end]},
    )  # fmt: skip


@cache
def _unit(code: str) -> str:
    return codebook()[code].unit


# The section whose subject a code is: a figure printed there beats a passing mention in another section
# (Guangzhou 2009 gives 咨询 31830 in its 概述 and 34170 in §四 咨询情况 and its 附表).
HOME_SECTION: dict[str, SectionKind] = {
    "proactive": "proactive",
    "response": "proactive",
    "requests": "requests",
    "review": "review_litigation",
    "litigation": "review_litigation",
    "appeals": "review_litigation",
    "fees": "fees",
    "consult": "consultation",
    "complaints": "complaints",
}


def _rank(code: str, q: Quantity) -> int:
    """Tables first, then the code's home section, then anywhere else."""
    if q.source.table:
        return 0
    return 1 if q.source.section == HOME_SECTION.get(code.split(".")[0]) else 2


def _put(out: RulesOutput, code: str, q: Quantity, kept: dict[str, Quantity], tied: set[str]) -> None:
    """Keep the best-ranked value; a different other value is kept as an alternate and reported as a finding.
    Two sentences of the same rank with different values add the code to ``tied``: :func:`extract` then keeps
    neither (both are candidates).

    ``kept`` holds the value kept so far per code; :func:`extract` sets them into ``out.indicators`` at the end
    (the tree's own get/set are slower than a dict). ``q`` is a value not held yet (:func:`_known`): callers
    check the cell before they build its quantity.
    """
    current = kept.get(code)
    if current is None:
        kept[code] = q
        return
    if _rank(code, q) < _rank(code, current):
        kept[code] = q
        current, q = q, current
    elif _rank(code, q) == _rank(code, current) and q.source.table is None:
        # two sentences of equal standing print different figures (a page whose sections were lost: the service
        # hall's 31830 consultations and the report's own 34170): which one the code means is a guess
        tied.add(code)
    out.alternates.setdefault(code, []).append(q)
    out.findings.append(
        construct(  # every field given, each of its declared type (as Finding(...) would validate them)
            Finding,
            {
                "check": "conflicting_values",
                "severity": "warning",
                "message": f"{code} is printed as {current.value} ({current.source.table or current.source.section})"
                f" and as {q.value} ({q.source.table or q.source.section}); the first is kept",
                "expected": current.value,
                "found": q.value,
                "cells": [code],
                "suspects": [code],
            },
        )
    )


def _known(out: RulesOutput, kept: dict[str, Quantity], code: str, value: int | float | None) -> bool:
    """Whether ``value`` is already held for ``code`` (kept or an alternate): a repeat adds nothing, so the
    parsers' cells are checked with this before they are turned into quantities."""
    current = kept.get(code)
    if current is None:
        return False
    return current.value == value or any(a.value == value for a in out.alternates.get(code, ()))


def extract(doc: Document, split: Split) -> RulesOutput:
    out = RulesOutput()
    kept: dict[str, Quantity] = {}
    tied: set[str] = set()
    text = doc.normalized
    allowed = era_codes(split.template)  # a code of another era is a misreading (a 2020 report has no 答复总数)
    sections = split.sections
    # sections in order and apart (as split_sections makes them): the one holding a cell is the only one, and the
    # table cells come in order, so the section of the cell before is tried first
    disjoint = all(a.start <= a.end <= b.start <= b.end for a, b in pairwise(sections))
    sec: Section | None = None
    for cell in parse_tables(text, readers(split.template)):
        if not (disjoint and sec is not None and sec.start <= cell.start < sec.end):
            sec = section_at(split, cell.start)
        if (allowed is None or cell.code in allowed) and not _known(out, kept, cell.code, cell.value):
            _put(out, cell.code, to_quantity(doc, cell, sec.kind if sec else None), kept, tied)
    shares: list[tuple[str, float, int, int]] = []
    for sec in split.sections:
        body = text[sec.start : sec.end]
        for cell in extract_prose(body, sec.kind):
            if (allowed is None or cell.code in allowed) and not _known(out, kept, cell.code, cell.value):
                _put(out, cell.code, to_quantity(doc, cell, sec.kind, base=sec.start), kept, tied)
            share = _SHARE.match(body, cell.end)
            if share and cell.value is not None:
                shares.append((cell.code, float(share.group(1)), sec.start + share.start(1), sec.start + share.end()))
        if sec.kind == "problems":
            problems, improvements = _lists(doc, sec)
            out.problems.extend(problems)
            out.improvements.extend(improvements)
    for code in tied:
        guess = kept.pop(code)
        why = f"sentences print {code} as different figures; which one it is, is a guess"
        for q in (guess, *out.alternates[code]):
            q.status, q.reason = "candidate", why
        out.alternates[code].insert(0, guess)
    for code in [c for c, q in kept.items() if q.ambiguous and not q.derived]:
        # a table row that splits several ways no identity decides ("1313524" as 13 13 524 or 131 3 524 ...): each
        # reading is a guess, so none is a value: a candidate whose reason names the other readings
        guess = kept.pop(code)
        others = ", ".join(str(v) for v in guess.alternatives) or "not all of them were tried"
        guess.status, guess.reason = "candidate", f"several readings of its table row fit; the others: {others}"
        out.alternates.setdefault(code, []).append(guess)
    out.indicators.set_all(kept)
    out.values = kept
    out.findings.extend(_share_findings(shares, kept))
    return out


# "传真申请5宗，占0.001%": a printed share of a part in its total. Percentages are never counts, but they can be
# checked: GZ 2018 prints 0.001% where 5 of 9532 is 0.05%.
_SHARE = re.compile(r"[，,]?\s*(?:占|约占|占比)(?:总数的?|全部的?)?\s*(\d+(?:\.\d+)?)%")
_SHARE_OF: tuple[tuple[str, str], ...] = (
    ("requests.channel.", "requests.received"),
    ("requests.legacy.", "requests.answered"),
    ("proactive.category.", "proactive.total"),
    ("review.", "review.total"),
    ("litigation.", "litigation.total"),
)


def _share_findings(shares: list[tuple[str, float, int, int]], kept: dict[str, Quantity]) -> list[Finding]:
    findings = []
    for code, printed, _, _ in shares:
        total_code = _share_total(code)
        part, total = kept.get(code), kept.get(total_code) if total_code else None
        if total_code is None or part is None or total is None or not total.value or part.value is None:
            continue
        actual = 100.0 * float(part.value) / float(total.value)
        decimals = len(str(printed).split(".")[1]) if "." in str(printed) else 0
        tolerance = 0.5 * 10**-decimals + 0.05  # the printed rounding, and a little for rounded totals
        if abs(actual - printed) > tolerance:
            message = (
                f"{code} is printed as {printed}% of {total_code}, but {part.value} of {total.value} is {actual:.3g}%"
            )
            fields = {"check": "share", "severity": "warning", "message": message, "expected": round(actual, 4),
                      "found": printed, "cells": [code, total_code], "suspects": [code]}  # fmt: skip
            findings.append(construct(Finding, fields))  # every field, each of its declared type
    return findings


@cache
def _share_total(code: str) -> str | None:
    """The total a printed share of ``code`` is a share of."""
    return next((t for prefix, t in _SHARE_OF if code.startswith(prefix) and code != t), None)


def _lists(doc: Document, sec: Section) -> tuple[list[TextItem], list[TextItem]]:
    body_start = doc.normalized.find("\n", sec.start, sec.end)
    body_start = sec.start if body_start == -1 or not sec.heading else body_start + 1
    problems, improvements = split_problems(doc.normalized[body_start : sec.end])

    def item(text: str, start: int, end: int) -> TextItem:
        o_start, o_end = doc.to_original(body_start + start, body_start + end)
        # TextItem(text=text, source=Source(section="problems", start=o_start, end=o_end), engine="rules"),
        # without validating what is typed already (offsets from to_original are never negative)
        source = construct(
            Source,
            {"section": "problems", "table": None, "row": None, "column": None, "start": o_start, "end": o_end,
             "quote": None},
            {"section", "start", "end"},
        )  # fmt: skip
        return construct(
            TextItem,
            {"text": text, "source": source, "engine": "rules", "model": None, "grounded": None},
            {"text", "source", "engine"},
        )

    return (
        [item(i.text, i.start, i.end) for i in problems],
        [item(i.text, i.start, i.end) for i in improvements],
    )
