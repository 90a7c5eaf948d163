"""The panel a researcher loads in one line: typed tables built from an output folder's records.jsonl, and the
checks that link one body's reports across years.

Tables (every format holds the same ones):

* ``values``  one numeric value per row: report, body_id, issuer, year, template, code, label_zh, value (float),
  unit, qualifier, derived, engine, status, quote, start, end. Accepted values only unless candidates are asked
  for (then ``status`` tells them apart);
* ``items``   the problem and improvement lists, one item per row;
* ``panel``   one row per report: report, issuer, body_id, year, template, scope, then one numeric column per code
  (accepted values only), in codebook order;
* ``codebook`` code, label_zh, unit, type, eras, note;
* ``findings`` the identity checks, as findings.csv.

Formats: ``csv`` (UTF-8, ``bom=True`` for Excel), ``parquet`` (pyarrow) and ``duckdb`` (one database file with the
tables and the views ``panel``, ``"values"``, ``findings``, ``items``), each written atomically.

Bodies across years: :func:`body_id` normalizes an issuer's name (short forms, the 领导小组 that reports for a
government, 管委会 names); :func:`check_panel` compares each body's consecutive years: carried over out of year t =
carried in to year t+1 per applicant column, documents in force, year-on-year jumps, and two reports for one year.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .codebook import codebook
from .errors import ConfigError
from .models import APPLICANT_COLUMNS
from .outputs import record_lines

Format = Literal["csv", "parquet", "duckdb"]
FORMATS: tuple[Format, ...] = ("csv", "parquet", "duckdb")

VALUE_COLUMNS = ("report", "body_id", "issuer", "year", "template", "code", "label_zh", "value", "unit", "qualifier",
                 "derived", "engine", "status", "quote", "start", "end")  # fmt: skip
ITEM_COLUMNS = ("report", "body_id", "year", "field", "n", "text", "engine")
PANEL_META = ("report", "issuer", "body_id", "region", "level", "year", "template", "scope")
CODEBOOK_COLUMNS = ("code", "label_zh", "unit", "type", "eras", "note")
FINDING_COLUMNS = ("report", "check", "severity", "message", "expected", "found", "cells", "suspects")
PANEL_FINDING_COLUMNS = ("body_id", "check", "severity", "message", "report_a", "report_b", "cells")


# --------------------------------------------------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------------------------------------------------

# The group that compiles a government's report in its name ("三明市政府信息公开工作领导小组" reports for 三明市人民政府)
_LEADING_GROUP = re.compile(r"(?:人民政府|政府)?(?:政府信息公开|政务公开|信息公开)(?:工作)?领导小组(?:办公室)?$")
_SHORT_GOVERNMENT = re.compile(r"(?<![人民])政府$")  # "三明市政府" -> "三明市人民政府"
_REGION_END = re.compile(r"(?:省|市|县|区|旗|州|盟|镇|乡|街道)$")


def body_id(issuer: str | None) -> str | None:
    """The body a report is about, from its issuer's name (simplified script): the same id for the same body's
    reports across years. A 领导小组 that compiles a government's report stands for that government; "X市政府" is
    "X市人民政府"; "管理委员会" is "管委会", and a 管委会's 办公室 stands for it. An office of a government (办公厅,
    办公室) is a body of its own and keeps its name."""
    if not issuer:
        return None
    name = re.sub(r"\s+", "", issuer).replace("管理委员会", "管委会")
    stripped = _LEADING_GROUP.sub("", name)
    if stripped != name and _REGION_END.search(stripped):
        return stripped + "人民政府"
    name = stripped or name
    if name.endswith("管委会办公室"):
        name = name.removesuffix("办公室")
    return _SHORT_GOVERNMENT.sub("人民政府", name)


# The administrative area a body's name opens with: a province (省, 自治区), then a prefecture (市, 自治州, 地区, 盟),
# then a county (县, 自治县, 旗, or a 区 under a 市), each the shortest name before its suffix ("三明市市场监督管理局"
# is 三明市's; "三明市住房和城乡建设局" is not a 乡's). A bare 州 is part of a name (广州市, 苏州…), never a suffix.
_PROVINCE = r"(?P<province>[^\W\d_]{2,7}?(?:省|自治区))"
_PREFECTURE = r"(?P<prefecture>[^\W\d_]{1,8}?(?:自治州|地区|盟|市))"
_COUNTY = r"(?P<county>[^\W\d_]{1,8}?(?:自治县|县|旗|区))"
_AREA = re.compile(rf"^{_PROVINCE}?{_PREFECTURE}?(?(prefecture){_COUNTY}?|)")
_MUNICIPALITIES = ("北京市", "上海市", "天津市", "重庆市")
_COUNTY_GOVERNMENT = re.compile(r"^(?P<county>[^\W\d_]{1,6}?(?:自治县|县|旗))(?:人民政府|政府)")


def region_and_level(body: str | None) -> tuple[str | None, str | None]:
    """The area a body's name opens with and its level where the name makes it certain: ``province`` (a 省 or
    自治区, or one of the four municipalities), ``county`` (a 县/旗, or a 区 named under its 市); a bare 市 may be a
    prefecture or a county-level city, so its level is left blank. The county part is read only after a
    prefecture, or in a county government's own name (将乐县人民政府); a department named by a 区 or 县 alone is left
    blank."""
    if not body:
        return None, None
    m = _AREA.match(body)
    if m is None or not m.group(0):
        alone = _COUNTY_GOVERNMENT.match(body)  # "将乐县人民政府": a county's government, named alone
        return (alone.group("county"), "county") if alone else (None, None)
    province, prefecture, county = m.group("province"), m.group("prefecture"), m.group("county")
    rest = body[m.end() :]
    if county is not None and not rest:  # "…市高新区" ends the name: the 区 is the body, not an area above it
        county = None
    region = "".join(x for x in (province, prefecture, county) if x)
    if county is not None:
        return region, "county"
    if prefecture is not None:
        level = "province" if prefecture in _MUNICIPALITIES and province is None else None
        return region, level
    return region, "province"


# --------------------------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class Tables:
    values: list[tuple[Any, ...]]
    items: list[tuple[Any, ...]]
    panel: list[tuple[Any, ...]]
    panel_columns: tuple[str, ...]
    codebook: list[tuple[Any, ...]]
    findings: list[tuple[Any, ...]]


def numeric_codes() -> list[str]:
    return [c.code for c in codebook().values() if c.numeric]


def build_tables(out_dir: Path, *, candidates: bool = False) -> Tables:
    """The tables of an output folder, from its records.jsonl (damaged lines skipped)."""
    codes = numeric_codes()
    book = codebook()
    values: list[tuple[Any, ...]] = []
    items: list[tuple[Any, ...]] = []
    panel: list[tuple[Any, ...]] = []
    findings: list[tuple[Any, ...]] = []
    for _, data in record_lines(out_dir / "records.jsonl"):
        meta = data.get("meta", {})
        report, issuer, year = data["report"], meta.get("issuer"), meta.get("year")
        body = body_id(issuer)
        region, level = region_and_level(body)
        wide: dict[str, float | None] = {}
        for code, q in _quantities(data, candidates):
            value = q.get("value")
            if value is None:
                continue
            source = q.get("source") or {}
            status = q.get("status", "accepted")
            values.append((report, body, issuer, year, meta.get("template"), code, book[code].label_zh,
                           float(value), q.get("unit"), q.get("qualifier"), bool(q.get("derived")), q.get("engine"),
                           status, source.get("quote") or q.get("raw"), source.get("start"), source.get("end")))  # fmt: skip
            if status == "accepted":
                wide[code] = float(value)
        panel.append(
            (
                report,
                issuer,
                body,
                region,
                level,
                year,
                meta.get("template"),
                meta.get("scope"),
                *(wide.get(c) for c in codes),
            )
        )
        for field in ("problems", "improvements"):
            for n, item in enumerate(data.get(field) or [], 1):
                items.append((report, body, year, field, n, item.get("text"), item.get("engine")))
        for f in data.get("findings") or []:
            findings.append((report, f["check"], f["severity"], f["message"], f.get("expected"), f.get("found"),
                             ";".join(f.get("cells") or []), ";".join(f.get("suspects") or [])))  # fmt: skip
    sheet = [(c.code, c.label_zh, c.unit, c.type, ",".join(c.eras), c.note) for c in book.values()]
    return Tables(values, items, panel, (*PANEL_META, *codes), sheet, findings)


def _quantities(data: dict[str, Any], candidates: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """(code, quantity JSON) of a record's tree, and of its candidates when asked."""
    from .outputs import code_paths

    tree = data.get("indicators") or {}
    for code, path in code_paths():
        node: Any = tree
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            yield code, node
    if candidates:
        for code, nodes in (data.get("alternates") or {}).items():
            yield from ((code, n) for n in nodes if n.get("status") == "candidate")


# --------------------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------------------


def require(fmt: str) -> Format:
    """``fmt`` checked before a run spends time: a known format whose library is installed, or one ConfigError."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    needs = {"parquet": "pyarrow", "duckdb": "duckdb"}.get(fmt)
    if needs is not None and importlib.util.find_spec(needs) is None:
        raise ConfigError(f"--format {fmt} needs {needs}: pip install 'extractor[panel]'")
    return fmt


def export(out_dir: Path, fmt: Format, *, candidates: bool = False, bom: bool = False) -> list[Path]:
    """Write the tables of ``out_dir`` in ``fmt``; returns the files written."""
    require(fmt)
    tables = build_tables(out_dir, candidates=candidates)
    named = _named(tables)
    if fmt == "csv":
        return [_write_csv(out_dir / f"{name}.csv", columns, rows, bom) for name, (columns, rows) in named.items()]
    if fmt == "parquet":
        return [_write_parquet(out_dir / f"{name}.parquet", columns, rows) for name, (columns, rows) in named.items()]
    return [_write_duckdb(out_dir / "extractor.duckdb", named)]


def _named(t: Tables) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    return {
        "panel": (t.panel_columns, t.panel),
        "values": (VALUE_COLUMNS, t.values),
        "items": (ITEM_COLUMNS, t.items),
        "codebook": (CODEBOOK_COLUMNS, t.codebook),
        "findings": (FINDING_COLUMNS, t.findings),
    }


def _temp(target: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    return Path(name)


def _write_csv(path: Path, columns: Iterable[str], rows: list[tuple[Any, ...]], bom: bool) -> Path:
    tmp = _temp(path)
    try:
        with tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(rows)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _arrow_table(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> Any:
    import pyarrow as pa

    float_columns = {"value", *numeric_codes()}
    int_columns = {"year", "start", "end", "n"}
    bool_columns = {"derived"}
    arrays = []
    for i, name in enumerate(columns):
        data = [row[i] for row in rows]
        kind = (pa.float64() if name in float_columns else pa.int64() if name in int_columns
                else pa.bool_() if name in bool_columns else pa.string())  # fmt: skip
        if kind == pa.string():
            data = [None if v is None else str(v) for v in data]
        arrays.append(pa.array(data, type=kind))
    return pa.Table.from_arrays(arrays, names=list(columns))


def _write_parquet(path: Path, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> Path:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError("Parquet needs pyarrow: pip install 'extractor[panel]'") from None
    tmp = _temp(path)
    try:
        pq.write_table(_arrow_table(columns, rows), tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write_duckdb(path: Path, named: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]) -> Path:
    try:
        import duckdb
    except ImportError:
        raise ConfigError("DuckDB needs duckdb: pip install 'extractor[panel]'") from None
    tmp = _temp(path)
    tmp.unlink()  # duckdb creates its own file
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, (columns, rows) in named.items():
                con.register("incoming", _arrow_table(columns, rows))
                con.execute(f'CREATE TABLE "t_{name}" AS SELECT * FROM incoming')
                con.unregister("incoming")
                con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM "t_{name}"')
        finally:
            con.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return path


# --------------------------------------------------------------------------------------------------------------------
# Checks across years
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PanelFinding:
    body_id: str
    check: str
    severity: str
    message: str
    report_a: str
    report_b: str
    cells: tuple[str, ...] = ()

    def row(self) -> tuple[Any, ...]:
        return (self.body_id, self.check, self.severity, self.message, self.report_a, self.report_b,
                ";".join(self.cells))  # fmt: skip


def check_panel(tables: Tables, *, jump: float = 10.0) -> list[PanelFinding]:
    """Each body's consecutive years: carry-over (I7) per applicant column, documents in force (I5), jumps of more
    than ``jump`` times in the headline counts, and two reports for one year."""
    columns = tables.panel_columns
    at = {name: i for i, name in enumerate(columns)}
    by_body: dict[str, dict[int, list[tuple[Any, ...]]]] = {}
    for row in tables.panel:
        body, year = row[at["body_id"]], row[at["year"]]
        if body is not None and year is not None:
            by_body.setdefault(body, {}).setdefault(int(year), []).append(row)
    out: list[PanelFinding] = []
    for body, years in sorted(by_body.items()):
        for year, rows in sorted(years.items()):
            if len(rows) > 1:
                names = [r[at["report"]] for r in rows]
                out.append(PanelFinding(body, "panel.duplicate_year", "warning",
                                        f"{body} {year}: {len(rows)} reports ({', '.join(names)})", names[0], names[1]))  # fmt: skip
        for year in sorted(years):
            if year + 1 not in years:
                continue
            a, b = years[year][0], years[year + 1][0]
            out.extend(_pair(body, year, a, b, at, jump))
    return out


def _pair(body: str, year: int, a: tuple[Any, ...], b: tuple[Any, ...], at: dict[str, int],
          jump: float) -> Iterator[PanelFinding]:  # fmt: skip
    ra, rb = a[at["report"]], b[at["report"]]

    def get(row: tuple[Any, ...], code: str) -> float | None:
        i = at.get(code)
        return None if i is None else row[i]

    for column in APPLICANT_COLUMNS:
        out_code, in_code = f"requests.carried_out.{column}", f"requests.carried_in.{column}"
        x, y = get(a, out_code), get(b, in_code)
        if x is not None and y is not None and abs(x - y) > 1e-9:
            yield PanelFinding(body, "panel.carry_over", "warning",
                               f"{body}: carried to {year + 1} ({out_code} of {ra}) {x:g} != carried in "
                               f"({in_code} of {rb}) {y:g}", ra, rb, (out_code, in_code))  # fmt: skip
    for kind in ("regulations", "normative_docs"):
        before, now = get(a, f"art20.{kind}.in_force"), get(b, f"art20.{kind}.in_force")
        issued, repealed = get(b, f"art20.{kind}.issued"), get(b, f"art20.{kind}.repealed")
        if None not in (before, now, issued, repealed):
            expected = before + issued - repealed  # type: ignore[operator]
            if abs(expected - now) > 1e-9:  # type: ignore[operator]
                yield PanelFinding(body, "panel.in_force", "info",
                                   f"{body}: {kind} in force {now:g} in {year + 1}, but {before:g} + {issued:g} - "
                                   f"{repealed:g} = {expected:g} from {year}", ra, rb,
                                   (f"art20.{kind}.in_force", f"art20.{kind}.issued", f"art20.{kind}.repealed"))  # fmt: skip
    for code in ("requests.new.total", "requests.received", "proactive.total"):
        x, y = get(a, code), get(b, code)
        if x and y and (y / x > jump or x / y > jump):
            yield PanelFinding(body, "panel.jump", "info",
                               f"{body}: {code} {x:g} in {year}, {y:g} in {year + 1} (more than {jump:g}x)", ra, rb,
                               (code,))  # fmt: skip


def write_panel_findings(out_dir: Path, findings: list[PanelFinding]) -> Path:
    return _write_csv(out_dir / "panel_findings.csv", PANEL_FINDING_COLUMNS, [f.row() for f in findings], False)


def summary(findings: list[PanelFinding]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.check] = counts.get(f.check, 0) + 1
    return {"panel_findings": len(findings), "by_check": counts}


def finding_rows(findings: list[PanelFinding]) -> list[dict[str, str]]:
    """The findings as panel_findings.csv holds them (column name -> text), for the HTML page."""
    return [{k: str(v) for k, v in zip(PANEL_FINDING_COLUMNS, f.row(), strict=True)} for f in findings]
