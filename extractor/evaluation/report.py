"""A self-contained HTML report of eval runs: inline CSS, an inline SVG chart drawn here, no scripts, no CDN.

It shows the side-by-side table, accuracy per section kind per configuration (chart and table), accuracy per
report, and the per-field differences: for every gold code that some configuration did not get right, what each
configuration returned. Every piece of text is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from ..models import SECTION_KINDS
from .results import SUMMARY_COLUMNS, RunResult, summary_values
from .score import META_SECTION, FieldResult, Value

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f")
_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",system-ui,sans-serif;margin:24px;
color:#222;max-width:1360px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.meta{color:#666;margin:0 0 12px;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.correct,td.matched{background:#e6f4ea}td.wrong{background:#fde2e1}td.missing{background:#fff4d6}
td.spurious{background:#ece4f7}td.verdict{white-space:nowrap}
.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
details{margin:6px 0}summary{cursor:pointer;font-weight:bold}
.quote{color:#555;font-size:12px;white-space:pre-wrap}
svg text{font-family:inherit}
"""


def write_html(runs: list[RunResult], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(runs), encoding="utf-8")
    return path


def render_html(runs: list[RunResult]) -> str:
    title = "extractor eval: " + ", ".join(r.config for r in runs)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        "<h1>Eval report</h1>",
        f'<p class="meta">{len(runs)} configuration(s) over {len(_reports(runs))} report(s): '
        + escape(", ".join(f"{r.config} ({r.mode}, {r.timestamp})" for r in runs))
        + "</p>",
        "<h2>Side by side</h2>",
        _summary_table(runs),
        "<h2>Accuracy per section kind</h2>",
        chart_svg(runs),
        _section_table(runs),
        "<h2>Accuracy per report</h2>",
        _report_table(runs),
        "<h2>Per-field differences</h2>",
        '<p class="meta">Every code that at least one configuration did not get right. Cells: status and value.</p>',
        _differences(runs),
        "<h2>List items not matched</h2>",
        _list_misses(runs),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _sections(runs: list[RunResult]) -> list[str]:
    present = {s for r in runs for s, c in r.by_section.items() if c.checks}
    order = [*SECTION_KINDS, META_SECTION]
    return [s for s in order if s in present] + sorted(present - set(order))


def _reports(runs: list[RunResult]) -> list[str]:
    return sorted({rep for r in runs for rep in r.reports})


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def chart_svg(runs: list[RunResult]) -> str:
    """Grouped bars: one group per section kind, one bar per configuration, 0-100 % accuracy."""
    sections = _sections(runs)
    left, top, plot_h, bottom = 48, 16, 260, 56
    bar_w = max(6, min(28, 120 // max(1, len(runs))))
    group_w = bar_w * len(runs) + 18
    width = left + group_w * max(1, len(sections)) + 16
    height = top + plot_h + bottom
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="accuracy-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="accuracy per section kind per configuration">'
    ]
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h - plot_h * pct / 100
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{pct}%</text>')
    for gi, section in enumerate(sections):
        x0 = left + gi * group_w + 9
        for ri, run in enumerate(runs):
            counts = run.by_section.get(section)
            if counts is None or counts.checks == 0:
                continue
            acc = counts.accuracy
            h = plot_h * acc
            x = x0 + ri * bar_w
            y = top + plot_h - h
            label = f"{run.config} · {section}: {acc:.1%} ({counts.correct}/{counts.checks})"
            out.append(
                f'<rect x="{x}" y="{y:.1f}" width="{bar_w - 2}" height="{max(h, 0.5):.1f}" fill="{_color(ri)}">'
                f"<title>{escape(label)}</title></rect>"
            )
            out.append(
                f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{y - 3:.1f}" font-size="{min(10, bar_w // 2 + 2)}" '
                f'text-anchor="middle" fill="#444">{round(acc * 100)}</text>'
            )
        cx = x0 + bar_w * len(runs) / 2
        out.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 16}" font-size="12" text-anchor="middle">{escape(section)}</text>'
        )
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="#888"/>')
    lx = left
    for ri, run in enumerate(runs):
        y = top + plot_h + 38
        out.append(f'<rect x="{lx}" y="{y - 10}" width="12" height="12" fill="{_color(ri)}"/>')
        out.append(f'<text x="{lx + 16}" y="{y}" font-size="12">{escape(run.config)}</text>')
        lx += 16 + 7 * len(run.config) + 24
    out.append("</svg>")
    return "".join(out)


def _legend_cell(i: int, name: str) -> str:
    return f'<span class="swatch" style="background:{_color(i)}"></span>{escape(name)}'


def _summary_table(runs: list[RunResult]) -> str:
    rows = ["<table><tr>" + "".join(f"<th>{escape(c)}</th>" for c in SUMMARY_COLUMNS) + "</tr>"]
    for i, run in enumerate(runs):
        values = summary_values(run)
        cells = [f"<td>{_legend_cell(i, run.config)}</td>"]
        cells += [f'<td class="num">{escape(values[c])}</td>' for c in SUMMARY_COLUMNS[1:]]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join([*rows, "</table>"])


def _matrix(header: str, keys: list[str], runs: list[RunResult], cell: dict[tuple[str, int], str]) -> str:
    head = f"<tr><th>{escape(header)}</th>" + "".join(
        f"<th>{_legend_cell(i, r.config)}</th>" for i, r in enumerate(runs)
    )
    rows = [f"<table>{head}</tr>"]
    for key in keys:
        cells = "".join(f'<td class="num">{cell.get((key, i), "–")}</td>' for i in range(len(runs)))
        rows.append(f"<tr><td>{escape(key)}</td>{cells}</tr>")
    return "\n".join([*rows, "</table>"])


def _section_table(runs: list[RunResult]) -> str:
    cell = {
        (s, i): f"{c.accuracy:.1%} ({c.correct}/{c.checks})"
        for i, r in enumerate(runs)
        for s, c in r.by_section.items()
        if c.checks
    }
    return _matrix("section kind", _sections(runs), runs, cell)


def _report_table(runs: list[RunResult]) -> str:
    cell = {
        (rep, i): f"{s.values.accuracy:.1%} ({s.values.correct}/{s.values.checks}); list F1 {s.lists.f1:.2f}"
        for i, r in enumerate(runs)
        for rep, s in r.by_report.items()
    }
    return _matrix("report", _reports(runs), runs, cell)


def _differences(runs: list[RunResult]) -> str:
    verdicts = [{(f.report, f.code): f for f in r.results} for r in runs]
    keys = sorted({k for v in verdicts for k in v})
    parts = []
    for report in _reports(runs):
        rows = [
            k for k in keys if k[0] == report and any(v.get(k, None) and v[k].status != "correct" for v in verdicts)
        ]
        if not rows:
            continue
        head = "<tr><th>code</th><th>section</th><th>expected</th>" + "".join(
            f"<th>{escape(r.config)}</th>" for r in runs
        )
        table = [f"<details open><summary>{escape(report)} ({len(rows)} code(s))</summary><table>{head}</tr>"]
        for key in rows:
            first = next(v[key] for v in verdicts if key in v)
            cells = "".join(_verdict_cell(v.get(key)) for v in verdicts)
            quote = f'<div class="quote">{escape(first.quote)}</div>' if first.quote else ""
            table.append(
                f"<tr><td>{escape(key[1])}</td><td>{escape(first.section)}</td>"
                f"<td>{escape(_show(first.expected))}{quote}</td>{cells}</tr>"
            )
        parts.append("\n".join([*table, "</table></details>"]))
    return "\n".join(parts) or "<p>Every configuration got every code right.</p>"


def _verdict_cell(f: FieldResult | None) -> str:
    if f is None:
        return '<td class="correct">–</td>'
    return f'<td class="verdict {f.status}" title="{escape(f.reason)}">{escape(f.status)}: {escape(_show(f.got))}</td>'


def _list_misses(runs: list[RunResult]) -> str:
    rows = ["<table><tr><th>config</th><th>report</th><th>list</th><th>status</th><th>text</th><th>reason</th></tr>"]
    for run in runs:
        for item in run.list_misses:
            text = item.expected if item.expected is not None else item.got
            rows.append(
                f"<tr><td>{escape(run.config)}</td><td>{escape(item.report)}</td><td>{escape(item.field)}</td>"
                f'<td class="{item.status}">{escape(item.status)}</td><td>{escape(text or "")}</td>'
                f"<td>{escape(item.reason)}</td></tr>"
            )
    return "\n".join([*rows, "</table>"]) if len(rows) > 1 else "<p>Every list item matched.</p>"


def _show(value: Value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
