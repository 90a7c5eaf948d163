"""The panel: typed tables in CSV, Parquet and DuckDB that agree, one wide row per report, bodies linked across
years, and the carry-over check on the development corpus (Sanming city, 2019–2025)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from extractor.bulk import run
from extractor.cli import app
from extractor.engine import Engine
from extractor.panel import body_id, build_tables, check_panel, export, region_and_level
from extractor.view import write_view

from .conftest import extract_cli

ROOT = Path(__file__).resolve().parents[1]
CITY = sorted((ROOT / "eval" / "corpus" / "docs").glob("sm-city-20*.txt"))


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("panel") / "out"
    run(CITY, out, Engine("rules"))
    return out


def test_every_format_loads_with_the_same_numbers(city: Path) -> None:
    for fmt in ("csv", "parquet", "duckdb"):
        export(city, fmt)  # type: ignore[arg-type]
    from_csv = pd.read_csv(city / "panel.csv")
    from_parquet = pd.read_parquet(city / "panel.parquet")
    with duckdb.connect(str(city / "extractor.duckdb"), read_only=True) as con:
        from_duckdb = con.execute("SELECT * FROM panel").df()

    def rows(frame: pd.DataFrame) -> pd.DataFrame:  # a text column left all blank is NaN in CSV, None elsewhere
        ordered = frame.sort_values("report").reset_index(drop=True)
        return ordered.astype(object).where(ordered.notna(), None)

    for frame in (from_parquet, from_duckdb):
        pd.testing.assert_frame_equal(rows(from_csv), rows(frame), check_dtype=False)
    values = pd.read_parquet(city / "values.parquet")
    assert values["value"].dtype == "float64" and values["year"].dtype == "int64"
    with duckdb.connect(str(city / "extractor.duckdb"), read_only=True) as con:
        (total,) = con.execute("SELECT sum(value) FROM \"values\" WHERE code = 'requests.new.total'").fetchone()
    assert total == values.loc[values["code"] == "requests.new.total", "value"].sum()


def test_the_wide_table_has_one_numeric_row_per_report(city: Path) -> None:
    export(city, "parquet")
    panel = pd.read_parquet(city / "panel.parquet")
    assert len(panel) == len(CITY) and panel["report"].is_unique
    assert set(panel["body_id"]) == {"三明市人民政府"}
    assert panel["requests.new.total"].dtype == "float64"
    assert panel.set_index("year").loc[2021, "requests.new.total"] == 162
    items = pd.read_parquet(city / "items.parquet")
    assert set(items.columns) >= {"report", "field", "n", "text"}


def test_the_carry_over_holds_on_the_city_and_a_planted_break_is_found(city: Path, tmp_path: Path) -> None:
    assert not [f for f in check_panel(build_tables(city)) if f.check == "panel.carry_over"]
    broken = tmp_path / "broken"
    shutil.copytree(city, broken)
    records = broken / "records.jsonl"
    lines = records.read_text(encoding="utf-8").splitlines()
    planted = []
    for i, line in enumerate(lines):
        data = json.loads(line)
        if data["report"] == "sm-city-2022":
            data["indicators"]["requests"]["carried_in"]["natural_person"]["value"] += 3
            planted.append(i)
            lines[i] = json.dumps(data, ensure_ascii=False)
    assert planted
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = [f for f in check_panel(build_tables(broken)) if f.check == "panel.carry_over"]
    assert [(f.report_a, f.report_b, f.cells) for f in found] == [
        ("sm-city-2021", "sm-city-2022", ("requests.carried_out.natural_person", "requests.carried_in.natural_person"))
    ]
    # the command writes the CSV and a page by body; each of the two reports' views shows the break, linked to
    # the other year, and a report it does not name shows no such box
    result = CliRunner().invoke(app, ["panel", str(broken)])
    assert result.exit_code == 0, result.output
    page = (broken / "view" / "panel.html").read_text(encoding="utf-8")
    assert page.count("panel.carry_over") == 1 and 'href="sm-city-2021.html"' in page and "三明市人民政府" in page
    for report, other in (("sm-city-2021", "sm-city-2022"), ("sm-city-2022", "sm-city-2021")):
        view = write_view(broken, report).read_text(encoding="utf-8")
        box = view.split('id="across-years"', 1)[1].split("</details>", 1)[0]
        assert "panel.carry_over" in box and f'href="{other}.html"' in box
    assert 'id="across-years"' not in write_view(broken, "sm-city-2019").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("issuer", "body"),
    [
        ("三明市政府信息公开工作领导小组", "三明市人民政府"),
        ("三明市政务公开工作领导小组", "三明市人民政府"),
        ("三明市人民政府", "三明市人民政府"),
        ("三明市政府", "三明市人民政府"),
        ("上海市人民政府办公厅", "上海市人民政府办公厅"),  # an office is a body of its own
        ("苏州工业园区管理委员会办公室", "苏州工业园区管委会"),
    ],
)
def test_body_ids(issuer: str, body: str) -> None:
    assert body_id(issuer) == body


@pytest.mark.parametrize(
    ("body", "region", "level"),
    [
        ("三明市人民政府", "三明市", None),  # a 市 may be a prefecture or a county-level city: level left blank
        ("福清市人民政府", "福清市", None),
        ("福建省人民政府", "福建省", "province"),
        ("内蒙古自治区人民政府", "内蒙古自治区", "province"),
        ("上海市人民政府办公厅", "上海市", "province"),
        ("北京市朝阳区人民政府", "北京市朝阳区", "county"),
        ("济南市市中区人民政府", "济南市市中区", "county"),
        ("三明市三元区人民政府", "三明市三元区", "county"),
        ("将乐县人民政府", "将乐县", "county"),
        ("福建省三明市财政局", "福建省三明市", None),
        ("三明市市场监督管理局", "三明市", None),  # not 三明市市…
        ("三明市住房和城乡建设局", "三明市", None),  # 城乡 is no 乡
        ("三明市高新区", "三明市", None),  # the 区 is the body itself
        ("广州市人民政府", "广州市", None),  # a bare 州 is part of the name
        ("苏州工业园区管委会", None, None),
        ("国务院办公厅", None, None),
        (None, None, None),
    ],
)
def test_region_and_level(body: str | None, region: str | None, level: str | None) -> None:
    assert region_and_level(body) == (region, level)


def test_the_readme_researcher_section_runs(city: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of the README's "For researchers" section, run against a real output folder."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## For researchers") :]
    section = section[: section.index("\n## ", 4)]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks
    for fmt in ("csv", "parquet", "duckdb"):
        export(city, fmt)  # type: ignore[arg-type]
    monkeypatch.chdir(city.parent)
    (city.parent / "out").exists() or (city.parent / "out").symlink_to(city)
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})


def test_extract_writes_the_chosen_formats_at_the_end_of_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`extract --format` writes the same tables as `export` afterwards; an unknown format fails before any work."""
    out = tmp_path / "out"
    code, stdout, _ = extract_cli([*map(str, CITY), "-o", str(out), "-f", "parquet", "-f", "duckdb"], capsys)
    assert code == 0, stdout
    summary = json.loads(stdout)
    assert str(out / "panel.parquet") in summary["files"] and str(out / "extractor.duckdb") in summary["files"]
    wide = pd.read_parquet(out / "panel.parquet")
    assert sorted(wide["report"]) == sorted(p.stem for p in CITY)
    with duckdb.connect(str(out / "extractor.duckdb"), read_only=True) as db:
        assert db.execute("select count(*) from panel").fetchone() == (len(CITY),)
    again = tmp_path / "again"
    shutil.copytree(out, again)
    export(again, "parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(again / "panel.parquet"), wide)
    code, _, stderr = extract_cli([str(CITY[0]), "-o", str(tmp_path / "bad"), "-f", "xlsx"], capsys)
    assert code == 2 and "--format must be one of" in stderr and not (tmp_path / "bad").exists()
