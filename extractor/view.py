"""An HTML view of one extraction: the report's original text with every value highlighted where it was read.

People check an extraction by looking at it next to the source. :func:`render_view` builds one self-contained page
(inline CSS and a small vanilla script, no external resources): the original text with each value's source span
marked and colored by engine (rules / model / derived), a detail box on hover or click, and a side panel with the
report's metadata, sections, counts, the accounting-identity findings (linked to the cells they doubt), derived and
ungrounded values, conflicting values, and the problem / improvement lists.

All HTML is built here, in Python, so the page renders at once; the script only wires the interaction. Report text
and quotes are untrusted: everything is escaped, and the data the script reads sits in a JSON block whose ``<``,
``>`` and ``&`` are written as ``\\u003c``-style escapes, so no report text can close the script.
"""

from __future__ import annotations

import bisect
import csv
import html
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .codebook import codebook
from .documents import read_document
from .errors import InputError, UsageError
from .models import Finding, Quantity, ReportRecord, TextItem
from .outputs import iter_records

__all__ = ["default_destination", "find_record", "render_view", "write_view"]

ItemKind = Literal["value", "alternate", "problem", "improvement"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


# ---------------------------------------------------------------------------------------------------------------
# Files


def default_destination(out_dir: Path, report: str) -> Path:
    return out_dir / "view" / f"{report}.html"


def find_record(out_dir: Path, report: str) -> ReportRecord:
    """The record of ``report`` in ``out_dir/records.jsonl``: its exact name, a file name, or a unique prefix."""
    if not (out_dir / "records.jsonl").is_file():
        raise UsageError(f"{out_dir} holds no records.jsonl; run `extractor extract REPORTS -o {out_dir}` first")
    records = {r.report: r for r in iter_records(out_dir)}
    for name in (report, Path(report).stem):
        if name in records:
            return records[name]
    matches = sorted(n for n in records if n.startswith(Path(report).stem))
    if len(matches) == 1:
        return records[matches[0]]
    if matches:
        raise UsageError(f"report {report!r} is ambiguous in {out_dir}: {_few(matches)}")
    available = _few(sorted(records)) if records else "none (records.jsonl is empty)"
    raise UsageError(f"no report {report!r} in {out_dir}/records.jsonl; available: {available}")


def _few(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, … ({len(names)} in all)"


def write_view(out_dir: Path, report: str, dest: Path | None = None) -> Path:
    """Write the view of ``report`` (default ``OUT_DIR/view/<report>.html``) and return its path.

    The text comes from the source file itself, which must be unchanged since extraction (same sha256): the
    offsets of every value point into that exact text.
    """
    record = find_record(out_dir, report)
    source = Path(record.path)
    if not source.is_file():
        raise InputError(source, "the report's source file is gone (moved or deleted); the view needs its text")
    doc = read_document(source)
    if doc.sha256 != record.sha256:
        raise InputError(
            source,
            f"changed since extraction (sha256 {doc.sha256[:12]}…, the record has {record.sha256[:12]}…); "
            f"extract it again into a fresh folder to view it",
        )
    dest = dest or default_destination(out_dir, record.report)
    dest.parent.mkdir(parents=True, exist_ok=True)
    across = [r for r in panel_finding_rows(out_dir) if record.report in (r["report_a"], r["report_b"])]
    dest.write_text(render_view(record, doc.original, across), encoding="utf-8")
    return dest


def panel_finding_rows(out_dir: Path) -> list[dict[str, str]]:
    """The rows of ``OUT/panel_findings.csv`` (written by ``extractor panel``), or none when it was not run."""
    path = out_dir / "panel_findings.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def write_panel_page(out_dir: Path, rows: list[dict[str, str]]) -> Path:
    """``OUT/view/panel.html``: the checks across years, by body, each linked to the two reports' views."""
    dest = out_dir / "view" / "panel.html"
    dest.parent.mkdir(parents=True, exist_ok=True)
    bodies: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        bodies.setdefault(r["body_id"], []).append(r)
    sections = []
    for body, found in sorted(bodies.items()):
        items = "".join(
            f'<tr><td class="sev-{_e(r["severity"])}">{_e(r["severity"])}</td><td>{_e(r["check"])}</td>'
            f"<td>{_e(r['message'])}</td><td>{_report_link(r['report_a'])}</td><td>{_report_link(r['report_b'])}</td>"
            f"<td>{_e(r['cells'].replace(';', ' '))}</td></tr>"
            for r in found
        )
        sections.append(
            f"<h2>{_e(body)} <small>({len(found)})</small></h2><table><thead><tr><th>severity</th><th>check</th>"
            f"<th>message</th><th>report</th><th>next year's report</th><th>cells</th></tr></thead>"
            f"<tbody>{items}</tbody></table>"
        )
    body_html = "".join(sections) or "<p>every pair of consecutive years agrees</p>"
    dest.write_text(
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>checks across years · {_e(out_dir.name)}</title><style>{PANEL_CSS}</style></head><body>"
        f"<h1>Checks across years: {len(rows)} finding(s) in {len(bodies)} bod(ies)</h1>"
        "<p>Each body's consecutive reports: carry-over, documents in force, jumps, two reports for one year. "
        "A report's link opens its view once <code>extractor view OUT REPORT</code> has written it.</p>"
        f"{body_html}</body></html>\n",
        encoding="utf-8",
    )
    return dest


def _report_link(report: str) -> str:
    return f'<a href="{_e(report)}.html">{_e(report)}</a>'


PANEL_CSS = """
body{margin:24px 40px;color:#1d1d1f;font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;font-size:14px}
table{border-collapse:collapse;margin:6px 0 18px}td,th{border:1px solid #ddd;padding:3px 8px;vertical-align:top;
text-align:left}th{background:#f3f3f0}.sev-warning{color:#e76f51}.sev-error{color:#d62828}.sev-info{color:#666}
h2{font-size:15px;margin:18px 0 4px}small{color:#666;font-weight:normal}
"""


# ---------------------------------------------------------------------------------------------------------------
# Items: every thing the page can point at (values, conflicting values, list items), with its span if it has one


@dataclass
class _Item:
    index: int
    kind: ItemKind
    code: str | None
    start: int | None  # a valid span in the text, or None
    end: int | None
    classes: list[str]
    data: dict[str, Any]
    roles: set[str] = field(default_factory=set)  # "suspect" / "cell" from findings

    @property
    def spanned(self) -> bool:
        return self.start is not None

    @property
    def length(self) -> int:
        return (self.end or 0) - (self.start or 0)


def _fmt(value: int | float | None) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _valid_span(start: int | None, end: int | None, size: int) -> bool:
    return start is not None and end is not None and 0 <= start < end <= size


def _finding_roles(findings: Iterable[Finding]) -> dict[str, list[tuple[int, str]]]:
    """code -> [(finding index, "suspect" | "cell")]."""
    roles: dict[str, list[tuple[int, str]]] = {}
    for k, f in enumerate(findings):
        for code in dict.fromkeys([*f.suspects, *f.cells]):
            roles.setdefault(code, []).append((k, "suspect" if code in f.suspects else "cell"))
    return roles


def _quantity_item(
    index: int, kind: ItemKind, code: str, q: Quantity, size: int, checks: list[str] | None = None
) -> _Item:
    src = q.source
    spanned = _valid_span(src.start, src.end, size)
    engine = "derived" if q.derived else q.engine
    classes = ["v", f"e-{engine}"]
    if kind == "alternate":
        classes.append("alternate")
    if q.grounded is False:
        classes.append("ungrounded")
    if not q.verified:
        classes.append("unverified")
    if q.ambiguous:
        classes.append("ambiguous")
    entry = codebook().get(code)
    data: dict[str, Any] = {
        "kind": kind,
        "code": code,
        "label": entry.label_zh if entry else "",
        "value": _fmt(q.value),
        "unit": q.unit,
        "qualifier": q.qualifier,
        "raw": q.raw,
        "engine": engine,
        "model": q.model,
        "derived": q.derived,
        "grounded": q.grounded,
        "verified": q.verified,
        "ambiguous": q.ambiguous,
        "alternatives": [_fmt(a) for a in q.alternatives],
        "imputed_zero": q.imputed_zero,
        "section": src.section,
        "table": src.table,
        "row": src.row,
        "column": src.column,
        "start": src.start,
        "end": src.end,
        "quote": src.quote,
        "checks": checks or [],
    }
    if src.start is not None and not spanned:
        data["note"] = "its span lies outside the text"
    return _Item(index, kind, code, src.start if spanned else None, src.end if spanned else None, classes, data)


def _text_item(index: int, kind: ItemKind, item: TextItem, size: int) -> _Item:
    src = item.source
    spanned = _valid_span(src.start, src.end, size)
    classes = ["t", f"t-{kind}"]
    if item.grounded is False:
        classes.append("ungrounded")
    data: dict[str, Any] = {
        "kind": kind,
        "text": item.text,
        "engine": item.engine,
        "model": item.model,
        "grounded": item.grounded,
        "section": src.section,
        "start": src.start,
        "end": src.end,
    }
    return _Item(index, kind, None, src.start if spanned else None, src.end if spanned else None, classes, data)


def _collect(record: ReportRecord, size: int) -> list[_Item]:
    roles = _finding_roles(record.findings)
    items: list[_Item] = []
    for code, q in record.indicators.items():
        checks = [f"{record.findings[k].check} ({record.findings[k].severity}): {r}" for k, r in roles.get(code, [])]
        items.append(_quantity_item(len(items), "value", code, q, size, checks))
    for code, alts in record.alternates.items():
        for q in alts:
            items.append(_quantity_item(len(items), "alternate", code, q, size))
    for name in ("problems", "improvements"):
        kind: ItemKind = "problem" if name == "problems" else "improvement"
        for t in getattr(record, name):
            items.append(_text_item(len(items), kind, t, size))
    for it in items:
        if it.kind == "value" and it.code in roles:
            it.roles = {role for _, role in roles[it.code]}
            it.classes.append("suspect" if "suspect" in it.roles else "checked")
    return items


# ---------------------------------------------------------------------------------------------------------------
# The text: blocks (prose, TAB-separated tables), cut at every span boundary into non-overlapping segments


@dataclass(frozen=True)
class _Block:
    kind: Literal["text", "table"]
    start: int
    end: int
    rows: list[list[tuple[int, int]]] = field(default_factory=list)  # table cells as (start, end)


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every line, without its newline."""
    pos = 0
    while pos <= len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl == -1 else nl
        yield pos, end
        if nl == -1:
            return
        pos = nl + 1


def _blocks(text: str) -> list[_Block]:
    """Prose runs and tables: a run of lines with a TAB after some text is a table (documents.py writes cells
    TAB-separated); a line that only starts with TABs is an indented paragraph."""
    blocks: list[_Block] = []
    rows: list[list[tuple[int, int]]] = []
    prose_start: int | None = None
    for a, b in _lines(text):
        if "\t" in text[a:b].lstrip():
            if prose_start is not None:
                blocks.append(_Block("text", prose_start, a))
                prose_start = None
            cells, at = [], a
            for piece in text[a:b].split("\t"):
                cells.append((at, at + len(piece)))
                at += len(piece) + 1
            rows.append(cells)
        else:
            if rows:
                blocks.append(_Block("table", rows[0][0][0], rows[-1][-1][1], rows))
                rows = []
            if prose_start is None:
                prose_start = a
    if rows:
        blocks.append(_Block("table", rows[0][0][0], rows[-1][-1][1], rows))
    if prose_start is not None and prose_start < len(text):
        blocks.append(_Block("text", prose_start, len(text)))
    return blocks


class _TextRenderer:
    """Emits the text as HTML: marks over the segments that spans cover, anchors for sections and values."""

    def __init__(self, text: str, items: list[_Item], anchors: list[tuple[int, str]]) -> None:
        self.text = text
        self.items = items
        starts: dict[int, list[_Item]] = {}
        ends: dict[int, list[_Item]] = {}
        for it in items:
            if it.start is not None and it.end is not None:
                starts.setdefault(it.start, []).append(it)
                ends.setdefault(it.end, []).append(it)
        self.cuts = sorted({0, len(text), *starts, *ends, *(at for at, _ in anchors if at < len(text))})
        # The items covering [cuts[k], cuts[k+1]), narrowest first: a sweep over the span boundaries.
        active: dict[int, _Item] = {}
        self.cover: list[tuple[_Item, ...]] = []
        for pos in self.cuts:
            for it in ends.get(pos, []):
                active.pop(it.index, None)
            for it in starts.get(pos, []):
                active[it.index] = it
            self.cover.append(tuple(sorted(active.values(), key=lambda i: (i.length, i.index))))
        self.anchors = sorted(anchors)
        self.next_anchor = 0
        self.out: list[str] = []

    def render(self) -> str:
        for block in _blocks(self.text):
            if block.kind == "text":
                self.out.append('<div class="tx">')
                self.run(block.start, block.end)
                self.out.append("</div>")
            else:
                self.out.append('<table class="tb">')
                for row in block.rows:
                    self.out.append("<tr>")
                    for a, b in row:
                        self.out.append("<td>")
                        self.run(a, b)
                        self.out.append("</td>")
                    self.out.append("</tr>")
                self.out.append("</table>")
        self.flush_anchors(len(self.text) + 1)
        return "".join(self.out)

    def flush_anchors(self, upto: int) -> None:
        while self.next_anchor < len(self.anchors) and self.anchors[self.next_anchor][0] <= upto:
            self.out.append(self.anchors[self.next_anchor][1])
            self.next_anchor += 1

    def run(self, a: int, b: int) -> None:
        self.flush_anchors(a)
        if a >= b:
            return
        k = bisect.bisect_right(self.cuts, a) - 1
        pos = a
        while pos < b:
            nxt = min(b, self.cuts[k + 1]) if k + 1 < len(self.cuts) else b
            self.flush_anchors(pos)
            self.out.append(self.segment(self.text[pos:nxt], self.cover[k]))
            pos = nxt
            k += 1

    @staticmethod
    def segment(chunk: str, cover: tuple[_Item, ...]) -> str:
        escaped = html.escape(chunk)
        if not cover:
            return escaped
        values = [it for it in cover if it.kind in ("value", "alternate")]
        texts = [it for it in cover if it.kind in ("problem", "improvement")]
        if values:
            classes = dict.fromkeys(values[0].classes)  # the narrowest value's engine color
            for it in values[1:]:
                classes.update(dict.fromkeys(c for c in it.classes if not c.startswith("e-")))
            if len(values) > 1:
                classes["nest"] = None
            if texts:
                classes[f"in-{texts[0].kind}"] = None
        else:
            classes = dict.fromkeys(texts[0].classes)
        indices = " ".join(str(it.index) for it in cover)
        return f'<mark class="{" ".join(classes)}" data-i="{indices}">{escaped}</mark>'


# ---------------------------------------------------------------------------------------------------------------
# The side panel


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _link(it: _Item, label: str) -> str:
    target = f"v-{it.index}" if it.spanned else f"d-{it.index}"
    return f'<a class="go" href="#{target}" data-i="{it.index}">{_e(label)}</a>'


def _panel_meta(record: ReportRecord, text: str) -> str:
    m = record.meta
    rows = [
        ("issuer", m.issuer or "?"),
        ("year", m.year or "?"),
        ("template", m.template),
        ("scope", m.scope),
        ("script", m.script),
        ("provider", record.provider),
        ("source", record.path),
        ("sha256", record.sha256[:16] + "…"),
        ("text", f"{len(text)} characters"),
    ]
    if m.title:
        rows.insert(0, ("title", m.title))
    cells = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f'<header><h1>{_e(record.report)}</h1><dl class="meta">{cells}</dl></header>'


LEGEND = [
    ("v e-rules", "rules", "read by the deterministic parsers"),
    ("v e-model", "model", "read by the model"),
    ("v e-derived", "derived", "computed from an accounting identity"),
    ("v e-rules suspect", "suspect", "a failed check doubts this cell"),
    ("v e-rules checked", "checked", "read by a failed check"),
    ("v e-model ungrounded", "ungrounded", "the model's quote is not in the text"),
    ("v e-model unverified", "unverified", "validation re-asks ran out"),
    ("v e-rules ambiguous", "ambiguous", "several readings fit"),
    ("v e-rules alternate", "alternate", "another value printed for the same code"),
    ("t t-problem", "problem", "a listed problem"),
    ("t t-improvement", "improvement", "a listed improvement"),
]


def _panel_legend() -> str:
    rows = "".join(
        f'<li title="{_e(what)}"><mark class="{cls}">{_e(name)}</mark> <span class="dim">{_e(what)}</span></li>'
        for cls, name, what in LEGEND
    )
    return f'<details open><summary>Legend</summary><ul class="legend">{rows}</ul></details>'


def _panel_counts(items: list[_Item], record: ReportRecord) -> str:
    values = [it for it in items if it.kind == "value"]
    engines = Counter(it.data["engine"] for it in values)
    spanned = Counter(it.data["engine"] for it in values if it.spanned)
    parts = [
        f'<li><span class="sw e-{e}"></span>{e}: <b>{engines[e]}</b> <span class="dim">({spanned[e]} in the text)</span>'
        "</li>"
        for e in ("rules", "model", "derived")
    ]
    ungrounded = sum(1 for it in values if it.data["grounded"] is False)
    unverified = sum(1 for it in values if not it.data["verified"])
    severities = Counter(f.severity for f in record.findings)
    parts.append(f"<li>ungrounded: <b>{ungrounded}</b> · unverified: <b>{unverified}</b></li>")
    parts.append(
        "<li>findings: " + " · ".join(f"{s} <b>{severities[s]}</b>" for s in ("error", "warning", "info")) + "</li>"
    )
    parts.append(f"<li>conflicting values: <b>{sum(len(v) for v in record.alternates.values())}</b></li>")
    return f'<details open><summary>Counts ({len(values)} values)</summary><ul class="counts">{"".join(parts)}</ul></details>'


def _panel_findings(record: ReportRecord, items: list[_Item]) -> str:
    by_code = {it.code: it for it in items if it.kind == "value"}
    alternates: dict[str | None, list[_Item]] = {}
    for it in items:
        if it.kind == "alternate":
            alternates.setdefault(it.code, []).append(it)
    if not record.findings:
        return (
            '<details open id="findings"><summary>Findings (0)</summary><p class="dim">every check passed</p></details>'
        )
    order = sorted(range(len(record.findings)), key=lambda k: (SEVERITY_ORDER[record.findings[k].severity], k))
    out = []
    for k in order:
        f = record.findings[k]
        cells = []
        linked: list[str] = []
        for code in dict.fromkeys([*f.suspects, *f.cells]):
            role = "suspect" if code in f.suspects else "cell"
            cell = by_code.get(code)
            if cell is None:
                cells.append(f'<li class="{role}"><span class="code">{_e(code)}</span> <i>not reported</i></li>')
                continue
            conflicting = alternates.get(code, [])
            linked.extend(str(x.index) for x in (cell, *conflicting))
            where = "" if cell.spanned else f" <i>no span ({_e(cell.data['engine'])})</i>"
            value = f'<span class="val">{_e(cell.data["value"])}</span>'
            others = ", ".join(_link(o, f"{o.data['value']} ({o.data['engine']})") for o in conflicting)
            also = f' <span class="dim">also printed:</span> {others}' if others else ""
            cells.append(f'<li class="{role}">{_link(cell, code)} = {value}{where}{also}</li>')
        expected = (
            f'<div class="ef">expected <b>{_e(_fmt(f.expected))}</b> · found <b>{_e(_fmt(f.found))}</b></div>'
            if f.expected is not None or f.found is not None
            else ""
        )
        out.append(
            f'<li class="finding sev-{f.severity}" id="f-{k}">'
            f'<a class="fhead" href="#f-{k}" data-cells="{" ".join(linked)}">'
            f'<span class="sev">{_e(f.severity)}</span> <b>{_e(f.check)}</b></a>'
            f'<div class="msg">{_e(f.message)}</div>{expected}<ul class="cells">{"".join(cells)}</ul></li>'
        )
    return (
        f'<details open id="findings"><summary>Findings ({len(record.findings)})</summary>'
        f'<ol class="findings">{"".join(out)}</ol></details>'
    )


def _panel_sections(record: ReportRecord) -> str:
    if not record.sections:
        return '<details open><summary>Sections (0)</summary><p class="dim">no sections found</p></details>'
    rows = "".join(
        f'<li><a class="sec-link" href="#sec-{k}" data-sec="{k}"><span class="kind">{_e(s.kind)}</span> '
        f'{_e(s.heading or "(implicit)")}</a> <span class="dim">{s.start}–{s.end}</span></li>'
        for k, s in enumerate(record.sections)
    )
    missing = (
        f'<p class="warn">missing sections the template requires: {_e(", ".join(record.missing_sections))}</p>'
        if record.missing_sections
        else ""
    )
    return (
        f"<details open><summary>Sections ({len(record.sections)}, template {_e(record.meta.template)})</summary>"
        f'<ol class="sections">{rows}</ol>{missing}</details>'
    )


def _value_row(it: _Item) -> str:
    d = it.data
    unit = f" {_e(d['unit'])}" if d["unit"] else ""
    label = f' <span class="dim">{_e(d["label"])}</span>' if d["label"] else ""
    return f'<li id="d-{it.index}">{_link(it, d["code"])} = <span class="val">{_e(d["value"])}{unit}</span>{label}</li>'


def _panel_list(title: str, rows: list[str], *, empty: str, ident: str = "", closed: bool = False) -> str:
    attr = f' id="{ident}"' if ident else ""
    body = f'<ul class="vals">{"".join(rows)}</ul>' if rows else f'<p class="dim">{_e(empty)}</p>'
    return f"<details{'' if closed else ' open'}{attr}><summary>{_e(title)} ({len(rows)})</summary>{body}</details>"


def _panel_alternates(record: ReportRecord, items: list[_Item]) -> str:
    kept = {it.code: it for it in items if it.kind == "value"}
    alts: dict[str, list[_Item]] = {}
    for it in items:
        if it.kind == "alternate" and it.code:
            alts.setdefault(it.code, []).append(it)
    rows = []
    for code, others in alts.items():
        main = kept.get(code)
        head = _link(main, f"{code} = {main.data['value']}") if main else f"{_e(code)} (no kept value)"
        links = ", ".join(_link(o, f"{o.data['value']} ({o.data['engine']})") for o in others)
        rows.append(f'<li id="alt-{_e(code)}">{head} <span class="dim">kept; also printed:</span> {links}</li>')
    return _panel_list("Conflicting values", rows, empty="no code was printed with two values")


def _panel_texts(items: list[_Item], kind: ItemKind, title: str) -> str:
    rows = []
    for it in items:
        if it.kind != kind:
            continue
        flag = "" if it.spanned else ' <i class="warn">no span</i>'
        flag += ' <i class="warn">ungrounded</i>' if it.data["grounded"] is False else ""
        rows.append(f'<li id="d-{it.index}">{_link(it, it.data["text"])}{flag}</li>')
    return _panel_list(title, rows, empty="none extracted")


def _panel_across_years(record: ReportRecord, rows: list[dict[str, str]]) -> str:
    """The checks across years (``extractor panel``) that name this report, each linked to the other report."""
    if not rows:
        return ""
    out = []
    for r in rows:
        other = r["report_b"] if r["report_a"] == record.report else r["report_a"]
        link = f' · with <a href="{_e(other)}.html">{_e(other)}</a>' if other and other != record.report else ""
        out.append(
            f'<li class="sev-{_e(r["severity"])}"><b>{_e(r["check"])}</b> ({_e(r["severity"])}){link}<br>'
            f"{_e(r['message'])}</li>"
        )
    return (
        f'<details open id="across-years"><summary>Across years ({len(rows)})</summary>'
        f'<ol class="findings">{"".join(out)}</ol><p class="dim"><a href="panel.html">all checks across years</a>'
        "</p></details>"
    )


def _panel(record: ReportRecord, items: list[_Item], text: str, across_years: list[dict[str, str]]) -> str:
    values = [it for it in items if it.kind == "value"]
    derived = [_value_row(it) for it in values if it.data["derived"]]
    ungrounded = [_value_row(it) for it in values if not it.data["derived"] and it.data["grounded"] is False]
    unplaced = [
        _value_row(it)
        for it in values
        if not it.spanned and not it.data["derived"] and it.data["grounded"] is not False
    ]
    all_rows = [_value_row(it) for it in values]
    return "".join(
        [
            _panel_meta(record, text),
            _panel_counts(items, record),
            _panel_findings(record, items),
            _panel_across_years(record, across_years),
            _panel_legend(),
            _panel_sections(record),
            _panel_list("Derived values", derived, empty="no value was derived", ident="derived"),
            _panel_list("Ungrounded values", ungrounded, empty="every model value is grounded", ident="ungrounded"),
            _panel_list("Other values without a span", unplaced, empty="none", ident="unplaced") if unplaced else "",
            _panel_alternates(record, items),
            _panel_texts(items, "problem", "Problems"),
            _panel_texts(items, "improvement", "Improvements"),
            _panel_list("All values", all_rows, empty="no values", ident="all", closed=True),
        ]
    )


# ---------------------------------------------------------------------------------------------------------------
# The page


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """An item's data without the keys that say nothing (empty, or a default flag), to keep the page small."""
    keep = {}
    for key, value in data.items():
        if value is None or value == "" or value == [] or (value is False and key not in ("grounded", "verified")):
            continue
        if key == "verified" and value is True:
            continue
        keep[key] = value
    return keep


def _json_for_script(data: object) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' survive, so no '</script>' or '<!--' can appear."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_view(record: ReportRecord, original_text: str, across_years: list[dict[str, str]] | None = None) -> str:
    """The whole page for ``record``, whose offsets point into ``original_text`` (the document's original);
    ``across_years``: rows of panel_findings.csv that name this report (shown beside its own findings)."""
    size = len(original_text)
    items = _collect(record, size)
    anchors: list[tuple[int, str]] = []
    for k, s in enumerate(record.sections):
        at = min(s.start, size)
        anchors.append((at, f'<span class="sec" id="sec-{k}" data-label="§ {_e(s.kind)}"></span>'))
    anchors.extend((it.start, f'<span class="a" id="v-{it.index}"></span>') for it in items if it.start is not None)
    body = _TextRenderer(original_text, items, anchors).render()
    data = {"report": record.report, "items": [_compact(it.data) for it in items]}
    title = f"{record.report} · extraction view"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{_e(title)}</title><style>{CSS}</style></head>"
        f'<body><main id="text" lang="zh-CN">{body}</main>'
        f'<aside id="panel">{_panel(record, items, original_text, across_years or [])}</aside>'
        '<div id="tip" role="tooltip" hidden></div>'
        f'<script type="application/json" id="view-data">{_json_for_script(data)}</script>'
        f"<script>{JS}</script></body></html>\n"
    )


CSS = """
:root{--rules:#cfe6ff;--rules2:#8cc4ff;--model:#ffe49a;--model2:#ffc94a;--derived:#c9f0c0;--derived2:#8fdc80;
--bad:#d62828;--warn:#e76f51;--problem:#8e5bd8;--improvement:#1f9e8f}
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{display:grid;grid-template-columns:minmax(0,1fr) 460px;height:100vh;color:#1d1d1f;background:#fafaf7;
font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif}
#text{overflow:auto;padding:24px 40px 40vh;font-size:15px;line-height:1.85;background:#fff}
#panel{overflow:auto;padding:12px 16px 40px;border-left:1px solid #ddd;font-size:13px;line-height:1.5}
.tx{white-space:pre-wrap;word-break:break-word;max-width:60em}
table.tb{border-collapse:collapse;margin:8px 0;font-size:13px;line-height:1.5}
table.tb td{border:1px solid #d9d9d9;padding:2px 6px;white-space:pre-wrap;vertical-align:top}
table.tb td:empty{padding:0}
mark{background:none;color:inherit;border-radius:2px;padding:0 1px;cursor:pointer}
mark.e-rules{background:var(--rules)}mark.e-rules.nest{background:var(--rules2)}
mark.e-model{background:var(--model)}mark.e-model.nest{background:var(--model2)}
mark.e-derived{background:var(--derived)}mark.e-derived.nest{background:var(--derived2)}
mark.checked{border-bottom:2px dashed var(--warn)}
mark.suspect{box-shadow:0 0 0 2px var(--bad);background-image:linear-gradient(rgba(214,40,40,.18),rgba(214,40,40,.18))}
mark.ungrounded{background-image:repeating-linear-gradient(135deg,transparent 0 4px,rgba(0,0,0,.12) 4px 6px)}
mark.unverified{text-decoration:underline wavy #777}
mark.ambiguous::after{content:"?";font-size:.7em;vertical-align:super;color:#b5179e;font-weight:bold}
mark.alternate{outline:1px dashed #555}
mark.t{background:none}
mark.t-problem,mark.in-problem{border-bottom:2px solid var(--problem)}
mark.t-improvement,mark.in-improvement{border-bottom:2px solid var(--improvement)}
mark.t-problem{background:rgba(142,91,216,.07)}mark.t-improvement{background:rgba(31,158,143,.07)}
mark.pinned{outline:2px solid #111;outline-offset:2px}
mark.flash,li.flash{animation:flash 1.6s ease-out}
@keyframes flash{0%,40%{background-color:#ff4d6d;color:#fff}100%{}}
.sec{display:inline-block}
.sec::before{content:attr(data-label);font-size:11px;color:#fff;background:#666;border-radius:3px;padding:0 5px;
margin-right:4px;vertical-align:2px;line-height:1.4}
.a{display:inline}
header h1{font-size:16px;margin:4px 0 6px;word-break:break-all}
dl.meta{display:grid;grid-template-columns:auto 1fr;gap:0 10px;margin:0 0 8px}
dl.meta dt{color:#666}dl.meta dd{margin:0;word-break:break-all}
details{border-top:1px solid #e3e3e3;padding:6px 0}
summary{font-weight:600;cursor:pointer}
ul,ol{margin:4px 0;padding-left:20px}
ul.legend,ul.counts{list-style:none;padding-left:0}
ul.legend{font-size:12px;line-height:1.35}ul.legend li{margin:3px 0}
ul.legend mark{display:inline-block;min-width:6.5em;text-align:center;cursor:default;margin-left:2px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.sw.e-rules{background:var(--rules)}.sw.e-model{background:var(--model)}.sw.e-derived{background:var(--derived)}
.dim{color:#777}.warn{color:var(--warn)}
.kind{font-family:monospace;color:#555}
ol.findings{padding-left:0;list-style:none}
li.finding{border-left:4px solid #aaa;padding:4px 8px;margin:6px 0;background:#fff}
li.sev-error{border-color:var(--bad)}li.sev-warning{border-color:var(--warn)}li.sev-info{border-color:#6c9bd2}
.fhead{color:inherit;text-decoration:none}
.sev{font-size:11px;text-transform:uppercase;color:#fff;background:#aaa;border-radius:3px;padding:0 4px}
.sev-error .sev{background:var(--bad)}.sev-warning .sev{background:var(--warn)}.sev-info .sev{background:#6c9bd2}
.msg{margin:2px 0}.ef{color:#444}
ul.cells li.suspect{font-weight:600}ul.cells li.suspect::marker{content:"⚠ ";color:var(--bad)}
.code,a.go{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
a.go{color:#0b57d0;text-decoration:none;word-break:break-all}a.go:hover{text-decoration:underline}
.val{font-weight:600}
#tip{position:fixed;z-index:10;max-width:440px;max-height:70vh;overflow:auto;background:#fff;border:1px solid #999;
border-radius:6px;box-shadow:0 4px 18px rgba(0,0,0,.18);padding:8px 10px;font-size:12.5px;line-height:1.45}
#tip.pinned{border:2px solid #111}
#tip .it+.it{border-top:1px solid #ddd;margin-top:6px;padding-top:6px}
#tip .h{font-weight:600;margin-bottom:3px}#tip .h .code{margin-right:6px}
#tip table{border-collapse:collapse}#tip th{text-align:left;color:#666;font-weight:normal;padding:0 8px 0 0;
vertical-align:top;white-space:nowrap}#tip td{padding:0;word-break:break-word}
#tip .bad{color:var(--bad);font-weight:600}
"""

JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("view-data").textContent);
  var items = data.items;
  var tip = document.getElementById("tip");
  var marksOf = {};
  var pinned = null;
  Array.prototype.forEach.call(document.querySelectorAll("#text mark[data-i]"), function (m) {
    m.getAttribute("data-i").split(" ").forEach(function (i) { (marksOf[i] = marksOf[i] || []).push(m); });
  });

  function row(table, name, value, bad) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
    var tr = table.insertRow(), th = document.createElement("th"), td = tr.insertCell();
    th.textContent = name; tr.insertBefore(th, td);
    td.textContent = Array.isArray(value) ? value.join("; ") : String(value);
    if (bad) td.className = "bad";
  }
  function describe(i) {
    var d = items[i], box = document.createElement("div"), h = document.createElement("div"), t;
    box.className = "it"; h.className = "h";
    if (d.code) {
      var c = document.createElement("span"); c.className = "code"; c.textContent = d.code;
      h.appendChild(c); h.appendChild(document.createTextNode(d.label || ""));
    } else {
      h.textContent = d.kind;
    }
    box.appendChild(h);
    t = document.createElement("table"); box.appendChild(t);
    if (d.kind === "problem" || d.kind === "improvement") {
      row(t, "text", d.text);
    } else {
      if (d.kind === "alternate") row(t, "note", "another value printed for this code (not kept)", true);
      row(t, "value", d.value + (d.unit ? " " + d.unit : ""));
      row(t, "qualifier", d.qualifier);
      row(t, "raw", d.raw);
      if (d.derived) row(t, "derived", "yes: computed from an accounting identity");
      if (d.imputed_zero) row(t, "imputed", "zero, not printed");
      if (d.ambiguous) row(t, "ambiguous", "other readings: " + (d.alternatives || []).join(", "), true);
      if (d.verified === false) row(t, "verified", "no: validation re-asks ran out", true);
      row(t, "table", [d.table, d.row, d.column].filter(Boolean).join(" / "));
      row(t, "quote", d.quote);
      row(t, "checks", d.checks, true);
    }
    row(t, "engine", d.engine + (d.model ? " (" + d.model + ")" : ""));
    if (d.grounded === true || d.grounded === false) {
      row(t, "grounded", d.grounded ? "yes" : "no: the quote is not in the text", !d.grounded);
    }
    row(t, "section", d.section);
    row(t, "span", d.start != null ? d.start + "–" + d.end : "none");
    row(t, "note", d.note, true);
    return box;
  }
  function show(indices, el) {
    tip.textContent = "";
    indices.forEach(function (i) { if (items[i]) tip.appendChild(describe(i)); });
    tip.hidden = false;
    place(el);
  }
  function place(el) {
    var r = el.getBoundingClientRect(), w = tip.offsetWidth, h = tip.offsetHeight;
    var x = Math.min(Math.max(4, r.left), window.innerWidth - w - 8);
    var y = r.bottom + 6;
    if (y + h > window.innerHeight - 4) y = Math.max(4, r.top - h - 6);
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }
  function hide() { if (!pinned) tip.hidden = true; }
  function unpin() {
    if (pinned) pinned.classList.remove("pinned");
    pinned = null; tip.classList.remove("pinned"); tip.hidden = true;
  }
  function pin(el, indices) {
    unpin(); pinned = el; el.classList.add("pinned"); tip.classList.add("pinned"); show(indices, el);
  }
  function flash(el) { el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash"); }
  function indicesOf(el) { return el.getAttribute("data-i").split(" ").map(Number); }

  function goTo(i, from) {
    var marks = marksOf[i];
    if (marks && marks.length) {
      marks[0].scrollIntoView({block: "center"});
      marks.forEach(flash);
      pin(marks[0], [i]);
    } else {
      var li = document.getElementById("d-" + i);
      if (li) { li.scrollIntoView({block: "nearest"}); flash(li); }
      if (from || li) pin(from || li, [i]);
    }
  }

  var text = document.getElementById("text");
  text.addEventListener("mouseover", function (ev) {
    var m = ev.target.closest && ev.target.closest("mark[data-i]");
    if (m && !pinned) show(indicesOf(m), m);
  });
  text.addEventListener("mouseout", function (ev) {
    var m = ev.target.closest && ev.target.closest("mark[data-i]");
    if (m && !(ev.relatedTarget && m.contains(ev.relatedTarget))) hide();
  });
  text.addEventListener("scroll", function () { if (pinned) place(pinned); else tip.hidden = true; });
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest) return;
    var m = t.closest("#text mark[data-i]");
    if (m) { pin(m, indicesOf(m)); return; }
    var go = t.closest("a.go[data-i]");
    if (go) { ev.preventDefault(); goTo(Number(go.getAttribute("data-i")), go); return; }
    var fh = t.closest("a.fhead");
    if (fh) {
      ev.preventDefault(); unpin();
      var first = null;
      fh.getAttribute("data-cells").split(" ").filter(Boolean).forEach(function (i) {
        (marksOf[i] || []).forEach(function (mk) { first = first || mk; flash(mk); });
      });
      if (first) first.scrollIntoView({block: "center"});
      return;
    }
    var s = t.closest("a.sec-link");
    if (s) {
      ev.preventDefault();
      var anchor = document.getElementById("sec-" + s.getAttribute("data-sec"));
      if (anchor) anchor.scrollIntoView({block: "start"});
      return;
    }
    if (!t.closest("#tip")) unpin();
  });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") unpin(); });

  // #value=CODE selects a value on load (a link to share, and what the screenshot script uses)
  var wanted = /^#value=(.+)$/.exec(location.hash);
  if (wanted) {
    var code = decodeURIComponent(wanted[1]);
    for (var i = 0; i < items.length; i++) {
      if (items[i].kind === "value" && items[i].code === code) { goTo(i); break; }
    }
  }
  document.body.setAttribute("data-ready", "1");
})();
"""
