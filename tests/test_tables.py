"""extractor.tables: every national table (表二/表三/表四, 2019 and 2021 formats), the pre-2019 附表, PDF-like
layouts and scraped copies whose cells ran together."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest

from extractor.identities import check
from extractor.models import APPLICANT_COLUMNS, OUTCOME_COLUMNS, Cell, Indicators, Quantity, quantity_codes
from extractor.tables import _parse_cell, parse_tables

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "eval" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tables"
_CJK = r"[\u3400-\u9fff]"


def normalize(text: str) -> str:
    """Stand-in for documents.py: NFKC (full-width ASCII → half-width) and no spaces between digits and CJK."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(rf"(?<=\d) +(?={_CJK})|(?<={_CJK}) +(?=\d)", "", text)


def seed(name: str) -> str:
    (path,) = SEEDS.glob(f"{name}_*.txt")
    return normalize(path.read_text(encoding="utf-8"))


def by_code(cells: list[Cell]) -> dict[str, Cell]:
    out: dict[str, Cell] = {}
    for c in cells:
        assert c.code not in out, f"duplicate cell {c.code}"
        out[c.code] = c
    return out


def to_indicators(cells: list[Cell]) -> Indicators:
    ind = Indicators()
    for c in cells:
        ind.set(c.code, Quantity(value=c.value, unit=c.unit or "", raw=c.raw, qualifier=c.qualifier))
    return ind


def assert_spans(text: str, cells: list[Cell]) -> None:
    for c in cells:
        if c.value is not None:
            assert text[c.start : c.end] == c.raw, c


# --------------------------------------------------------------------------------------------------------------
# Expected values of the Guangzhou 2020 seed (004), written out cell by cell
# --------------------------------------------------------------------------------------------------------------

GZ2020_T2: dict[str, tuple[int, str]] = {
    "art20.regulations.new_made": (8, "8"),
    "art20.regulations.new_published": (8, "8"),
    "art20.regulations.total_published": (239, "239"),
    "art20.normative_docs.new_made": (535, "535"),
    "art20.normative_docs.new_published": (535, "535"),
    "art20.normative_docs.total_published": (5160, "5160"),
    "art20.licensing.prev_items": (6905, "6905"),
    "art20.licensing.change": (247, "+247"),
    "art20.licensing.decisions": (7664756, "7664756"),
    "art20.other_services.prev_items": (7794, "7794"),
    "art20.other_services.change": (2195, "+2195"),
    "art20.other_services.decisions": (49587270, "49587270"),
    "art20.penalty.prev_items": (51580, "51580"),
    "art20.penalty.change": (338, "+338"),
    "art20.penalty.decisions": (5791499, "5791499"),
    "art20.coercion.prev_items": (2668, "2668"),
    "art20.coercion.change": (22, "+22"),
    "art20.coercion.decisions": (291741, "291741"),
    "art20.admin_fees.prev_items": (244, "244"),
    "art20.admin_fees.change": (38, "+38"),
    "art20.procurement.projects": (22938, "22938"),
    "art20.procurement.amount": (14715991600, "1471599.16万元"),
}

# row → (自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计)
GZ2020_T3: dict[str, tuple[int, int, int, int, int, int, int]] = {
    "new": (16302, 1591, 10, 18, 37, 333, 18291),
    "carried_in": (597, 97, 1, 3, 0, 28, 726),
    "granted": (6893, 931, 8, 7, 19, 192, 8050),
    "partial": (1382, 105, 0, 3, 2, 38, 1530),
    "denied.state_secret": (49, 8, 1, 0, 0, 3, 61),
    "denied.law_prohibited": (86, 6, 0, 0, 0, 5, 97),
    "denied.security_stability": (12, 4, 0, 0, 0, 0, 16),
    "denied.third_party": (160, 13, 0, 0, 1, 1, 175),
    "denied.internal_affairs": (188, 7, 0, 0, 3, 1, 199),
    "denied.process_info": (312, 3, 0, 0, 2, 2, 319),
    "denied.enforcement_file": (154, 2, 0, 1, 0, 2, 159),
    "denied.admin_query": (366, 49, 0, 3, 1, 16, 435),
    "unable.not_held": (4162, 271, 2, 3, 6, 60, 4504),
    "unable.needs_creation": (677, 71, 0, 0, 2, 14, 764),
    "unable.unclear": (218, 34, 0, 0, 0, 1, 253),
    "not_processed.complaint": (272, 10, 0, 0, 0, 0, 282),
    "not_processed.duplicate": (572, 19, 0, 0, 1, 6, 598),
    "not_processed.publication": (0, 0, 0, 0, 0, 0, 0),
    "not_processed.mass_repeat": (53, 0, 0, 0, 0, 0, 53),
    "not_processed.confirm_reissue": (41, 1, 0, 0, 0, 2, 44),
    "other": (669, 111, 0, 3, 0, 4, 787),
    "processed": (16266, 1645, 11, 20, 37, 347, 18326),
    "carried_out": (633, 43, 0, 1, 0, 14, 691),
}

# block → (结果维持, 结果纠正, 其他结果, 尚未审结, 总计)
GZ2020_T4: dict[str, tuple[int, int, int, int, int]] = {
    "review": (273, 62, 68, 68, 471),
    "litigation.direct": (104, 27, 43, 24, 198),
    "litigation.after_review": (32, 10, 10, 8, 60),
}


def t3_expected(matrix: dict[str, tuple[int, ...]]) -> dict[str, int]:
    return {
        f"requests.{row}.{col}": value
        for row, values in matrix.items()
        for col, value in zip(APPLICANT_COLUMNS, values, strict=True)
    }


def t4_expected(matrix: dict[str, tuple[int, ...]]) -> dict[str, int]:
    return {
        f"{block}.{col}": value
        for block, values in matrix.items()
        for col, value in zip(OUTCOME_COLUMNS, values, strict=True)
    }


def values_of(cells: list[Cell], table: str) -> dict[str, int | float | None]:
    return {c.code: c.value for c in cells if c.table == table}


@pytest.fixture(scope="module")
def gz2020() -> tuple[str, list[Cell]]:
    text = seed("004")
    return text, parse_tables(text)


def test_gz2020_table2_every_printed_number(gz2020: tuple[str, list[Cell]]) -> None:
    text, cells = gz2020
    t2 = {c.code: c for c in cells if c.table == "表二"}
    assert {code: (c.value, c.raw) for code, c in t2.items()} == GZ2020_T2
    assert t2["art20.procurement.amount"].unit == "元"
    assert t2["art20.licensing.change"].column == "本年增/减"
    assert_spans(text, list(t2.values()))


def test_gz2020_table3_all_cells(gz2020: tuple[str, list[Cell]]) -> None:
    """23 printed rows x 7 columns = 161 cells (the three group rows （三）（四）（五） carry no numbers)."""
    text, cells = gz2020
    t3 = [c for c in cells if c.table == "表三"]
    assert len(t3) == 161
    assert values_of(cells, "表三") == t3_expected(GZ2020_T3)
    assert not any(c.ambiguous for c in t3)
    assert_spans(text, t3)


def test_gz2020_displaced_row_and_label_drift(gz2020: tuple[str, list[Cell]]) -> None:
    """Row 4.保护第三方合法权益 sits before its group's indentation with an extra empty cell; label drift
    "没有现成信息需另行制作" (template: 需要另行制作)."""
    _, cells = gz2020
    got = by_code(cells)
    assert got["requests.denied.third_party.natural_person"].value == 160
    assert got["requests.denied.third_party.total"].column == "总计"
    assert got["requests.unable.needs_creation.commercial"].value == 71


def test_gz2020_table4_fifteen_cells_on_one_line(gz2020: tuple[str, list[Cell]]) -> None:
    text, cells = gz2020
    assert values_of(cells, "表四") == t4_expected(GZ2020_T4)
    assert_spans(text, [c for c in cells if c.table == "表四"])


def test_gz2020_nothing_else_and_codes_exist(gz2020: tuple[str, list[Cell]]) -> None:
    _, cells = gz2020
    assert len(cells) == 22 + 161 + 15
    assert {c.code for c in cells} <= set(quantity_codes())
    assert [c.start for c in cells] == sorted(c.start for c in cells)


def test_gz2020_identities_hold(gz2020: tuple[str, list[Cell]]) -> None:
    _, cells = gz2020
    assert check(to_indicators(cells)) == []


# --------------------------------------------------------------------------------------------------------------
# pre-2019 附表
# --------------------------------------------------------------------------------------------------------------

GZ2015: dict[str, tuple[str, int]] = {
    "proactive.total": ("附表1", 624),
    "proactive.category.organization": ("附表1", 3),
    "proactive.category.regulations": ("附表1", 0),
    "proactive.category.normative_docs": ("附表1", 0),
    "proactive.category.other_docs": ("附表1", 24),
    "proactive.category.dynamics": ("附表1", 594),
    "proactive.category.enforcement": ("附表1", 0),
    "proactive.category.service_guides": ("附表1", 0),
    "proactive.category.budget": ("附表1", 2),
    "proactive.category.gov_work_report": ("附表1", 0),
    "proactive.category.annual_report": ("附表1", 1),
    "proactive.category.other": ("附表1", 0),
    "requests.catalog_entries": ("附表2", 4),
    "requests.received": ("附表2", 4),
    "requests.channel.online": ("附表2", 4),
    "requests.channel.letter": ("附表2", 0),
    "requests.channel.in_person": ("附表2", 0),
    "requests.channel.fax": ("附表2", 0),
    "requests.channel.other": ("附表2", 0),
    "requests.answered": ("附表2", 4),
    "requests.legacy.granted": ("附表2", 0),
    "requests.legacy.partial": ("附表2", 0),
    "requests.legacy.denied": ("附表2", 0),
    "requests.legacy.not_gov_info": ("附表2", 0),
    "requests.legacy.not_this_agency_or_nonexistent": ("附表2", 4),
    "requests.legacy.irrelevant_to_needs": ("附表2", 0),
    "requests.legacy.unclear": ("附表2", 0),
    "requests.legacy.other": ("附表2", 0),
    "consult.total": ("附表3", 84196),
    "complaints.total": ("附表3", 0),
    "review.total": ("附表4", 0),
    "litigation.total": ("附表4", 0),
}


def test_gz2015_appendix_every_row() -> None:
    text = seed("000")
    cells = parse_tables(text)
    assert {c.code: (c.table, c.value) for c in cells} == GZ2015
    got = by_code(cells)
    assert got["consult.total"].unit == "人次"  # from the table's 单位 column
    assert got["requests.legacy.other"].row == "8.其他"
    assert_spans(text, cells)
    assert check(to_indicators(cells)) == []  # 4 = 4 + 0…; 624 = 3 + 0 + 0 + 24 + 594 + … + 1 + 0


@pytest.mark.parametrize("squeeze", [True, False], ids=["normalized", "nfkc-only"])
def test_gz2009_appendix(squeeze: bool) -> None:
    (path,) = SEEDS.glob("001_*.txt")
    raw = path.read_text(encoding="utf-8")
    text = normalize(raw) if squeeze else unicodedata.normalize("NFKC", raw)
    got = by_code(parse_tables(text))
    assert {code: c.value for code, c in got.items()} == {
        "proactive.total": 81,
        "proactive.fulltext_electronic": 81,
        "consult.phone": 14330,
        "consult.web_visits": 100000,
        "consult.onsite": 19840,
    }
    assert (got["consult.phone"].raw, got["consult.phone"].unit) == ("14330人次", "人次")
    assert (got["consult.web_visits"].raw, got["consult.web_visits"].qualifier) == ("10万多", "at_least")
    assert got["consult.onsite"].table == "附表2"
    assert_spans(text, list(got.values()))


def test_statistics_table_with_header_and_cumulative_column() -> None:
    """A local pre-2019 form: 指标名称 | 计量单位 | this year | 历年累计, one cell per line, no 附表 number: the
    year's column is read, never the cumulative one."""
    rows = [
        ("指标名称", "计量单位", "2016年", "历年累计"),
        ("主动公开文件数", "条", "9100", "88000"),
        ("其中：1.政府网站公开数", "条", "8800", "70000"),
        ("2.政府公报数", "条", "0", "0"),
        ("受理政府信息公开申请总数", "条", "40", "500"),
        ("3.信函、传真申请数", "条", "6", "50"),
        ("3.不予公开答复数", "条", "2", "9"),
        ("4.其他类型答复数", "条", "5", "30"),
        ("政府信息公开收费减免金额", "元", "0", "0"),
        ("接受行政申诉、举报数", "件", "1", "3"),
    ]
    text = normalize("（二）附表。\n" + "\n".join(cell for row in rows for cell in row) + "\n")
    got = {c.code: c.value for c in parse_tables(text)}
    assert got == {
        "proactive.total": 9100,
        "proactive.channel.website": 8800,
        "proactive.channel.gazette": 0,
        "requests.received": 40,
        "requests.legacy.denied": 2,
        "requests.legacy.other": 5,
        "complaints.total": 1,
    }


def test_a_colspan_gap_in_a_table2_row_is_not_a_blank_cell() -> None:
    """HTML tables with a cell spanning two columns leave an empty one beside it (Shanghai 2019)."""
    text = normalize(
        "第二十条第（一）项\t\t\t\t\n信息内容\t本年新制作数量\t本年新公开数量\t\t对外公开总数量\n"
        "规章\t13\t13\t\t524\n规范性文件\t60\t60\t\t368\n"
    )
    got = {c.code: c.value for c in parse_tables(text)}
    assert got["art20.regulations.total_published"] == 524
    assert got["art20.normative_docs.new_published"] == 60


def test_prose_reports_yield_no_cells() -> None:
    """GZ 2018 (traditional, prose only) and Shenzhen 2017 have no table: prose numbers are not cells."""
    assert parse_tables(seed("002")) == []
    assert parse_tables(seed("003")) == []
    prose = "三、收到和处理政府信息公开申请情况\n本年新收政府信息公开申请18291件，其中予以公开8050件，重复申请598件。"
    assert parse_tables(prose) == []


# --------------------------------------------------------------------------------------------------------------
# 2021 format
# --------------------------------------------------------------------------------------------------------------


def test_ogi2021_tables() -> None:
    text = normalize((FIXTURES / "ogi2021_html.txt").read_text(encoding="utf-8"))
    cells = parse_tables(text)
    got = by_code(cells)
    assert values_of(cells, "表二") == {
        "art20.regulations.issued": 2,
        "art20.regulations.repealed": 1,
        "art20.regulations.in_force": 35,
        "art20.normative_docs.issued": 12,
        "art20.normative_docs.repealed": 3,
        "art20.normative_docs.in_force": 456,
        "art20.licensing.decisions": 12345,
        "art20.penalty.decisions": 678,
        "art20.coercion.decisions": 9,
        "art20.admin_fees.amount": 961716000,  # 96171.6 万元
    }
    assert (got["art20.admin_fees.amount"].raw, got["art20.admin_fees.amount"].unit) == ("96171.6", "元")
    assert got["art20.normative_docs.in_force"].column == "现行有效件数"
    matrix = {
        "new": (100, 10, 1, 0, 2, 3, 116),
        "carried_in": (5, 1, 0, 0, 0, 0, 6),
        "granted": (40, 4, 0, 0, 1, 1, 46),
        "partial": (10, 1, 0, 0, 0, 0, 11),
        "denied.state_secret": (1, 0, 0, 0, 0, 0, 1),
        "denied.law_prohibited": (0, 0, 0, 0, 0, 0, 0),
        "denied.security_stability": (0, 0, 0, 0, 0, 0, 0),
        "denied.third_party": (2, 0, 0, 0, 0, 0, 2),
        "denied.internal_affairs": (0, 0, 0, 0, 0, 0, 0),
        "denied.process_info": (1, 0, 0, 0, 0, 0, 1),
        "denied.enforcement_file": (0, 0, 0, 0, 0, 0, 0),
        "denied.admin_query": (3, 1, 0, 0, 0, 0, 4),
        "unable.not_held": (20, 2, 1, 0, 1, 1, 25),
        "unable.needs_creation": (3, 0, 0, 0, 0, 0, 3),
        "unable.unclear": (2, 0, 0, 0, 0, 0, 2),
        "not_processed.complaint": (4, 0, 0, 0, 0, 0, 4),
        "not_processed.duplicate": (5, 1, 0, 0, 0, 0, 6),
        "not_processed.publication": (0, 0, 0, 0, 0, 0, 0),
        "not_processed.mass_repeat": (0, 0, 0, 0, 0, 0, 0),
        "not_processed.confirm_reissue": (1, 0, 0, 0, 0, 0, 1),
        "other.no_correction": (3, 0, 0, 0, 0, 0, 3),
        "other.fee_unpaid": (1, 0, 0, 0, 0, 0, 1),
        "other.misc": (2, 1, 0, 0, 0, 0, 3),
        "processed": (98, 10, 1, 0, 2, 2, 113),
        "carried_out": (7, 1, 0, 0, 0, 1, 9),
    }
    assert values_of(cells, "表三") == t3_expected(matrix)
    assert "requests.other.total" not in got  # the single （六） row is derived, not read (identities.derive)
    assert values_of(cells, "表四") == t4_expected(
        {"review": (1, 0, 1, 0, 2), "litigation.direct": (3, 1, 0, 1, 5), "litigation.after_review": (0, 0, 0, 0, 0)}
    )
    assert_spans(text, cells)
    assert check(to_indicators(cells)) == []


# --------------------------------------------------------------------------------------------------------------
# PDF-like text layers
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_text() -> str:
    return normalize((FIXTURES / "t3_pdf_2019.txt").read_text(encoding="utf-8"))


def test_pdf_table3(pdf_text: str) -> None:
    """Space/newline-separated cells, "商 业 企\\n业" headers, "(四)无\\n法提供" and other split labels, the
    header block repeated after a page marker "- 12 -", a row whose numbers start on the next line."""
    cells = parse_tables(pdf_text)
    assert values_of(cells, "表三") == t3_expected(GZ2020_T3)
    assert values_of(cells, "表四") == t4_expected(GZ2020_T4)
    assert not any(c.ambiguous for c in cells)
    assert_spans(pdf_text, cells)


def test_pdf_table3_bare_page_number_between_rows(pdf_text: str) -> None:
    """A page number that survived normalization is an extra token; I2 tells it from the row's cells."""
    text = pdf_text.replace("- 12 -", "12").replace("8.属于行政查询事项 366", "8.属于行政查询事项\n13\n366")
    cells = parse_tables(text)
    assert values_of(cells, "表三") == t3_expected(GZ2020_T3)


def test_pdf_table2_broken_headers_signed_and_blank_cells() -> None:
    text = (
        "第二十条第(一)项\n信息内容\n本年新\n制作数量\n本年新\n公开数量\n对外公开\n总数量\n规章 8 8 239\n"
        "规范性文件\n535\n535\n5160\n第二十条第(五)项\n信息内容 上一年项目数量 本年增/减 处理决定数量\n"
        "行政许可 6905 -3 7664756\n其他对外管理服务事项 7794 — 49587270\n"
    )
    cells = parse_tables(text)
    assert {c.code: c.value for c in cells} == {
        "art20.regulations.new_made": 8,
        "art20.regulations.new_published": 8,
        "art20.regulations.total_published": 239,
        "art20.normative_docs.new_made": 535,
        "art20.normative_docs.new_published": 535,
        "art20.normative_docs.total_published": 5160,
        "art20.licensing.prev_items": 6905,
        "art20.licensing.change": -3,
        "art20.licensing.decisions": 7664756,
        "art20.other_services.prev_items": 7794,
        "art20.other_services.change": None,
        "art20.other_services.decisions": 49587270,
    }
    assert_spans(text, cells)


def test_table4_flattened_on_one_line() -> None:
    text = (
        "四、政府信息公开行政复议、行政诉讼情况 行政复议 行政诉讼 结果维持 结果纠正 其他结果 尚未审结 总计 "
        "未经复议直接起诉 复议后起诉 结果维持 结果纠正 其他结果 尚未审结 总计 结果维持 结果纠正 其他结果 尚未审结 "
        "总计 273 62 68 68 471 104 27 43 24 198 32 10 10 8 60 五、存在的主要问题及改进情况"
    )
    cells = parse_tables(text)
    assert values_of(cells, "表四") == t4_expected(GZ2020_T4)
    assert_spans(text, cells)


def test_table4_in_rows_of_five() -> None:
    text = (
        "行政复议\t\t\t\t\t行政诉讼\n结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n"
        "273\t62\t68\t68\t471\n104\t27\t43\t24\t198\n32\t10\t10\t8\t60\n"
    )
    assert values_of(parse_tables(text), "表四") == t4_expected(GZ2020_T4)


# --------------------------------------------------------------------------------------------------------------
# Blank cells and cell parsing
# --------------------------------------------------------------------------------------------------------------


def test_blank_cells_are_none() -> None:
    text = (
        "一、本年新收政府信息公开申请数量\t5\t—\t-\t/\t&nbsp;\t\t5\n"
        "\t(一)予以公开\t3\t1\t0\t0\t0\t0\t\n"  # a blank 总计 (Shanghai 2019)
    )
    got = by_code(parse_tables(text))
    assert [got[f"requests.new.{c}"].value for c in APPLICANT_COLUMNS] == [5, None, None, None, None, None, 5]
    assert got["requests.new.commercial"].raw == "—"
    assert [got[f"requests.granted.{c}"].value for c in APPLICANT_COLUMNS] == [3, 1, 0, 0, 0, 0, None]


@pytest.mark.parametrize(
    ("raw", "kwargs", "expected"),
    [
        ("1471599.16万元", {}, (14715991600, "exact", "元")),
        ("96171.6", {"money": True, "scale": 10_000}, (961716000, "exact", "元")),
        ("251000元", {}, (251000, "exact", "元")),
        ("+247", {}, (247, "exact", None)),
        ("-3", {}, (-3, "exact", None)),
        ("1,234", {}, (1234, "exact", None)),
        ("14330人次", {}, (14330, "exact", "人次")),
        ("10万多", {}, (100000, "at_least", None)),
        ("81万条", {}, (810000, "approx", "条")),
        ("800余人次", {}, (800, "at_least", "人次")),
        ("—", {}, (None, "exact", None)),
        ("-", {}, (None, "exact", None)),
        ("/", {}, (None, "exact", None)),
        ("&nbsp;", {}, (None, "exact", None)),
        ("", {}, (None, "exact", None)),
    ],
    ids=lambda v: str(v) if isinstance(v, str) else None,
)
def test_parse_cell(raw: str, kwargs: dict[str, object], expected: tuple[object, str, str | None]) -> None:
    assert _parse_cell(raw, **kwargs) == expected  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------------------
# Scraped copies whose cells ran together
# --------------------------------------------------------------------------------------------------------------

T2_2021_HEADER = "第二十条第（一）项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n"


def test_run_together_table2_is_flagged() -> None:
    """`行政规范性文件1231456` has many splits and no identity: the most even one (12 | 31 | 456), flagged."""
    text = normalize(T2_2021_HEADER + "规章\t2\t1\t35\n行政规范性文件1231456\n")
    got = by_code(parse_tables(text))
    cells = [got[f"art20.normative_docs.{c}"] for c in ("issued", "repealed", "in_force")]
    assert [c.value for c in cells] == [12, 31, 456]
    assert all(c.ambiguous and c.alternatives for c in cells)
    assert [text[c.start : c.end] for c in cells] == ["12", "31", "456"]
    assert not got["art20.regulations.issued"].ambiguous


def test_run_together_table2_plausibility_orders() -> None:
    """2019 columns: 对外公开总数量 ≥ 本年新制作/新公开数量 picks 8 | 8 | 239 out of 88239 — still flagged."""
    header = "第二十条第（一）项\n信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n"
    got = by_code(parse_tables(normalize(header + "规章88239\n")))
    cells = [got[f"art20.regulations.{c}"] for c in ("new_made", "new_published", "total_published")]
    assert [c.value for c in cells] == [8, 8, 239]
    assert all(c.ambiguous for c in cells)
    assert 88 in cells[0].alternatives and 9 in cells[2].alternatives


def test_run_together_table3_row_unique_split() -> None:
    text = normalize("一、本年新收政府信息公开申请数量 4100005\n")
    cells = parse_tables(text)
    assert [c.value for c in cells] == [4, 1, 0, 0, 0, 0, 5]
    assert [c.code for c in cells] == [f"requests.new.{c}" for c in APPLICANT_COLUMNS]
    assert not any(c.ambiguous for c in cells)
    assert [text[c.start : c.end] for c in cells] == list("4100005")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ("160 0 0 2 0 0 1 62", [160, 0, 0, 2, 0, 0, 162]),  # the total broken over two lines
        ("2 7 0 0 1 0 0 28", [27, 0, 0, 1, 0, 0, 28]),  # the first cell broken
    ],
    ids=["total", "first-cell"],
)
def test_one_cell_per_line_number_broken_over_two_lines(cells: str, expected: list[int]) -> None:
    """A crawler broke a number over two lines (Sanming 2021): the row's sum rejoins it, with no ambiguity."""
    text = normalize("一、本年新收政府信息公开申请数量\n" + "\n".join(cells.split()) + "\n")
    got = parse_tables(text)
    assert [c.value for c in got] == expected
    assert not any(c.ambiguous for c in got)


def test_a_broken_number_is_not_rejoined_against_the_row_sum() -> None:
    """Eight tokens whose rejoinings all break the row's sum are never rejoined into a value."""
    got = parse_tables(normalize("一、本年新收政府信息公开申请数量\n1\n2\n0\n0\n0\n0\n1\n5\n"))
    assert all(c.value not in (12, 15) for c in got)


def test_flattened_rows_whose_next_label_ordinal_touches_the_digits() -> None:
    """The issue's example: "…1.属于国家秘密2000002" + "2.其他法律…" run together as "20000022.其他法律"; the "2."
    is the next label's number, not a digit of the row."""
    text = normalize("（三）不予公开1.属于国家秘密20000022.其他法律行政法规禁止公开0000000（四）无法提供")
    got = by_code(parse_tables("一、本年新收政府信息公开申请数量4100005" + text))
    assert [got[f"requests.denied.state_secret.{c}"].value for c in APPLICANT_COLUMNS] == [2, 0, 0, 0, 0, 0, 2]
    assert [got[f"requests.denied.law_prohibited.{c}"].value for c in APPLICANT_COLUMNS] == [0] * 7
    assert not any(c.ambiguous for c in got.values())


def test_a_row_whose_label_words_were_lost_is_placed_by_the_row_order() -> None:
    """A PDF broke "4.无正当理由大量反复申请" into "4.无" and a fragment below a repeated header: between 3. and 5.
    of (五), the one line of seven numbers is row 4; with two candidate lines for one gap nothing is placed."""
    head = "一、本年新收政府信息公开申请数量\t3\t0\t0\t0\t0\t0\t3\n(五)不予处理\t1.信访举报投诉类申请\t0\t0\t0\t0\t0\t0\t0\n"
    rows = "3.要求提供公开出版物\t0\t0\t0\t0\t0\t0\t0\n4.无\t2\t0\t0\t0\t1\t0\t3\n申请人情况\n正当\n理由\n"
    tail = "5.要求行政机关确认或重新出具已获取信息\t0\t0\t0\t0\t0\t0\t0\n(六)其他处理\t0\t0\t0\t0\t0\t0\t0\n"
    got = by_code(parse_tables(normalize(head + rows + tail)))
    assert [got[f"requests.not_processed.mass_repeat.{c}"].value for c in APPLICANT_COLUMNS] == [2, 0, 0, 0, 1, 0, 3]
    doubled = rows.replace("4.无\t2\t0\t0\t0\t1\t0\t3\n", "4.无\t2\t0\t0\t0\t1\t0\t3\n\t1\t0\t0\t0\t0\t0\t1\n")
    got = by_code(parse_tables(normalize(head + doubled + tail)))
    assert "requests.not_processed.mass_repeat.total" not in got


def test_one_cell_per_line_row_that_lost_repeated_lines_is_rebuilt_by_its_sum() -> None:
    """A crawler dropped consecutive repeated lines ("0\\n0\\n0" arrives as "0"): 35 2 0 1 38 is rebuilt as
    35 2 0 0 0 1 38, the one reading whose sum holds."""
    got = parse_tables(normalize("一、本年新收政府信息公开申请数量\n35\n2\n0\n1\n38\n二、上年结转"))
    assert [c.value for c in got] == [35, 2, 0, 0, 0, 1, 38]
    assert not any(c.ambiguous for c in got)


def test_a_lost_repeat_that_two_readings_explain_is_ambiguous_never_guessed() -> None:
    """1 0 1 0 2: 1|0|1|0|0|0|2 and 1|0|0|0|1|0|2 both sum right: the cells stay flagged with their alternatives."""
    got = by_code(parse_tables(normalize("一、本年新收政府信息公开申请数量\n1\n0\n1\n0\n2\n二、上年结转")))
    assert got["requests.new.total"].value == 2 and not got["requests.new.total"].ambiguous
    assert got["requests.new.research"].ambiguous and got["requests.new.legal_service"].ambiguous


def test_stacked_cells_are_never_split_into_digits() -> None:
    """ "规章\\n13\\n524" (a repeated 13 dropped) is not 13 | 5 | 24: with no sum to check it is left unread."""
    text = normalize("第二十条第（一）项\n信息内容\n本年新制作数量\n本年新公开数量\n对外公开总数量\n规章\n13\n524\n")
    assert not any(c.code.startswith("art20.regulations") and c.value in (5, 24) for c in parse_tables(text))


def test_run_together_table3_row_ambiguous() -> None:
    """110000011 = 1|10|0|0|0|0|11 or 11|0|0|0|0|0|11: both satisfy I2 and nothing else applies."""
    got = by_code(parse_tables("一、本年新收政府信息公开申请数量110000011\n"))
    np_, com = got["requests.new.natural_person"], got["requests.new.commercial"]
    assert np_.ambiguous and com.ambiguous
    assert {np_.value, *np_.alternatives} == {1, 11}
    assert {com.value, *com.alternatives} == {10, 0}
    assert got["requests.new.total"].value == 11 and not got["requests.new.total"].ambiguous


def test_run_together_resolved_by_column_identities() -> None:
    """The same row inside a whole table: I1 (new + carried_in = processed + carried_out) keeps one split."""
    zeros = "\t".join("0" * 7)
    rows = [
        "一、本年新收政府信息公开申请数量110000011",
        f"二、上年结转政府信息公开申请数量\t{zeros}",
        "(一)予以公开\t1\t10\t0\t0\t0\t0\t11",
        *(f"{label}\t{zeros}" for label in OUTCOME_LABELS[1:]),
        "(七)总计\t1\t10\t0\t0\t0\t0\t11",
        f"四、结转下年度继续办理\t{zeros}",
    ]
    cells = parse_tables("\n".join(rows) + "\n")
    got = by_code(cells)
    assert [got[f"requests.new.{c}"].value for c in APPLICANT_COLUMNS] == [1, 10, 0, 0, 0, 0, 11]
    assert not any(c.ambiguous for c in cells)


OUTCOME_LABELS = [
    "(一)予以公开",
    "(二)部分公开",
    "1.属于国家秘密",
    "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”",
    "4.保护第三方合法权益",
    "5.属于三类内部事务信息",
    "6.属于四类过程性信息",
    "7.属于行政执法案卷",
    "8.属于行政查询事项",
    "1.本机关不掌握相关政府信息",
    "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确",
    "1.信访举报投诉类申请",
    "2.重复申请",
    "3.要求提供公开出版物",
    "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
    "(六)其他处理",
]


def squeeze_numbers(text: str) -> str:
    """A scraped copy: every separator after a label and between the numbers of a row is gone."""
    text = re.sub(r"(?<=[\d+])[\t ]+(?=[\d+])", "", text)
    return re.sub(r"(?<=[^\d\s])[\t ]+(?=\d)", "", text)


def test_run_together_whole_seed_table() -> None:
    """GZ 2020 表三 and 表四 with every separator lost: I1–I4 leave exactly the printed reading."""
    text = seed("004")
    start, end = text.index("三、收到和处理"), text.index("五、存在的主要问题")
    scraped = squeeze_numbers(text[start:end])
    assert "一、本年新收政府信息公开申请数量16302159110183733318291" in scraped
    assert "273626868471104274324198321010860" in scraped
    cells = parse_tables(scraped)
    assert values_of(cells, "表三") == t3_expected(GZ2020_T3)
    assert values_of(cells, "表四") == t4_expected(GZ2020_T4)
    assert not any(c.ambiguous for c in cells)
    assert_spans(scraped, cells)


def test_run_together_enumeration_is_bounded() -> None:
    """A long digit run with no consistent split returns quickly, and never an unflagged guess."""
    text = "一、本年新收政府信息公开申请数量" + "9" * 60 + "\n"
    cells = parse_tables(text)  # the search stops at its node budget (bench/parsers.py times it)
    assert all(c.ambiguous for c in cells)


# --------------------------------------------------------------------------------------------------------------
# Property: random consistent tables in every layout are read exactly, or flagged — never silently wrong
# --------------------------------------------------------------------------------------------------------------

T3_LABELS = [
    ("new", "一、本年新收政府信息公开申请数量"),
    ("carried_in", "二、上年结转政府信息公开申请数量"),
    *zip(
        (
            "granted",
            "partial",
            *(f"denied.{r}" for r in ("state_secret", "law_prohibited", "security_stability", "third_party")),
            *(f"denied.{r}" for r in ("internal_affairs", "process_info", "enforcement_file", "admin_query")),
            *(f"unable.{r}" for r in ("not_held", "needs_creation", "unclear")),
            *(f"not_processed.{r}" for r in ("complaint", "duplicate", "publication", "mass_repeat")),
            "not_processed.confirm_reissue",
            "other",
        ),
        OUTCOME_LABELS,
        strict=True,
    ),
    ("processed", "(七)总计"),
    ("carried_out", "四、结转下年度继续办理"),
]


def random_table(rng: random.Random) -> dict[str, list[int]]:
    def row(scale: int) -> list[int]:
        cells = [rng.choice([0, 0, rng.randint(0, scale), rng.randint(0, scale * 10)]) for _ in range(6)]
        return [*cells, sum(cells)]

    outcomes = {code: row(rng.choice([2, 20, 200])) for code, _ in T3_LABELS[2:-2]}
    processed = [sum(r[c] for r in outcomes.values()) for c in range(7)]
    carried_in, carried_out = row(5), row(5)
    new = [processed[c] + carried_out[c] - carried_in[c] for c in range(7)]
    if min(new) < 0:
        new = [processed[c] + carried_out[c] for c in range(7)]
        carried_in = [0] * 7
    return {"new": new, "carried_in": carried_in, **outcomes, "processed": processed, "carried_out": carried_out}


def render(table: dict[str, list[int]], sep: str, squeezed: set[str]) -> str:
    lines = []
    for code, label in T3_LABELS:
        numbers = [str(x) for x in table[code]]
        lines.append(label + ("".join(numbers) if code in squeezed else sep + sep.join(numbers)))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed_", range(4))
def test_random_tables_never_silently_wrong(seed_: int) -> None:
    rng = random.Random(seed_)
    for trial in range(25):
        table = random_table(rng)
        layout = ("\t", " ", "\n", "squeeze-one", "squeeze-all")[trial % 5]
        if layout == "squeeze-one":
            text = render(table, "\t", {rng.choice(T3_LABELS)[0]})
        elif layout == "squeeze-all":
            if trial % 25 != 4:  # a whole scraped table costs ~50 ms: a few are enough
                continue
            text = render(table, "\t", {code for code, _ in T3_LABELS})
        else:
            text = render(table, layout, set())
        got = by_code(parse_tables(text))
        for code, values in table.items():
            for col, want in zip(APPLICANT_COLUMNS, values, strict=True):
                cell = got[f"requests.{code}.{col}"]
                assert cell.value == want or (cell.ambiguous and want in cell.alternatives), (layout, cell)
                assert text[cell.start : cell.end] == cell.raw


@pytest.mark.parametrize(
    "path",
    [*sorted(SEEDS.glob("*.txt")), *sorted(FIXTURES.glob("*.txt"))],
    ids=lambda p: p.stem,
)
def test_documents_normalization_reads_the_same(path: Path) -> None:
    """The real normalizer (extractor.documents) and this file's stand-in give the same cells."""
    from extractor.documents import normalize as documents_normalize

    raw = path.read_text(encoding="utf-8")
    ours = [(c.code, c.value, c.raw) for c in parse_tables(normalize(raw))]
    theirs = [(c.code, c.value, c.raw) for c in parse_tables(documents_normalize(raw)[0])]
    assert theirs == ours
