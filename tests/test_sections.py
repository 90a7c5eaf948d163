"""Section splitting and template detection on the seeds, and on heading variants."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from extractor.documents import normalize, read_document
from extractor.sections import classify_heading, detect_template, find_headings, split_sections

from .conftest import seed_path

EXPECTED = {
    "000": (
        "pre2019_freeform",
        2015,
        ["overview", "overview", "proactive", "requests", "other", "review_litigation", "problems", "appendix"],
        ["fees"],
    ),
    "001": (
        "pre2019_freeform",
        2009,
        ["overview", "overview", "proactive", "requests", "consultation", "review_litigation", "problems", "appendix"],
        ["fees"],
    ),
    "002": (
        "pre2019_stat2014",
        2018,
        ["overview", "proactive", "requests", "fees", "review_litigation", "problems"],
        [],
    ),
    "003": (
        "pre2019_freeform",
        2017,
        ["overview", "proactive", "requests", "fees", "review_litigation", "complaints", "problems"],
        [],
    ),
    "004": ("ogi2019", 2020, ["overview", "proactive", "requests", "review_litigation", "problems", "other"], []),
}


@pytest.mark.parametrize("seed", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_seed_sections_and_template(seed: str) -> None:
    doc = read_document(seed_path(seed))
    split = split_sections(doc.normalized)
    template, year, kinds, missing = EXPECTED[seed]
    assert split.template == template
    assert split.year == year
    assert [s.kind for s in split.sections] == kinds
    assert list(split.missing) == missing


def test_sections_cover_the_text_in_order() -> None:
    doc = read_document(seed_path("004"))
    split = split_sections(doc.normalized)
    spans = [(s.start, s.end) for s in split.sections]
    assert spans == sorted(spans)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    # the last section runs to the end of the text (less trailing whitespace)
    assert doc.normalized[spans[-1][1] :].strip() == ""


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("一、总体情况", "overview"),
        ("一 概 述", "overview"),
        ("二、主动公开政府信息情况", "proactive"),
        ("三、收到和处理政府信息公开申请情况", "requests"),
        ("三 政府信息依申请公开情况(无)", "requests"),
        ("四、政府信息公开收费情况", "fees"),
        ("四、政府信息公开的收费及减免情况", "fees"),
        ("五 复议、诉讼和申诉情况", "review_litigation"),
        ("四、政府信息公开行政复议和行政诉讼情况", "review_litigation"),
        ("五、因政府信息公开申请行政复议和提起行政诉讼的情况", "review_litigation"),
        ("四 咨询处理情况", "consultation"),
        ("六、投诉协调工作情况", "complaints"),
        ("五、存在的主要问题及改进情况", "problems"),
        ("五、政府信息公开工作存在的主要问题及改进情况", "problems"),
        ("六、其他需要报告的事项", "other"),
        ("四 其他情况", "other"),
        ("七 说明与附表", "appendix"),
        ("七、需要说明的事项与附表", "appendix"),
        ("三、加强组织领导", None),
    ],
    ids=lambda v: str(v),
)
def test_heading_words_decide_the_kind(heading: str, kind: str | None) -> None:
    assert classify_heading(heading) == kind


def test_table_rows_and_long_paragraphs_are_not_headings() -> None:
    text = (
        "一、总体情况\n正文。\n三、收到和处理政府信息公开申请情况\n"
        "一、本年新收政府信息公开申请数量\t16302\t1591\n"
        "二、上年结转政府信息公开申请数量\t597\t97\n"
        "三、依托市政务服务中心平台,积极主动开展政务公开工作。市政务办作为市政府派出机构,承担进驻部门的管理协调。\n"
        "四、政府信息公开行政复议、行政诉讼情况\n"
    )
    kinds = [h.kind for h in find_headings(text)]
    assert kinds == ["overview", "requests", "review_litigation"]


def test_ordinals_may_shift_but_words_decide() -> None:
    text = "二、主动公开政府信息情况\n全年主动公开信息5条。\n五、收到和处理政府信息公开申请情况\n无。\n"
    assert [h.kind for h in find_headings(text)] == ["proactive", "requests"]


def test_a_title_on_the_line_after_its_ordinal_is_a_heading() -> None:
    """Sanming 2023 as crawled: "六、" on one line, its title on the next; the fee statement under it is "other"."""
    text = "五、存在的主要问题及改进情况\n一是加强培训。\n六、\n其他需要报告的事项\n无。本年度未收取信息处理费。\n"
    assert [(h.kind, h.heading) for h in find_headings(text)] == [
        ("problems", "五、存在的主要问题及改进情况"),
        ("other", "六、\n其他需要报告的事项"),
    ]


def test_no_headings_gives_one_unknown_section() -> None:
    text = "本机关2016年政府信息公开工作情况良好，主动公开信息12条，未收到依申请公开申请。"
    split = split_sections(text)
    assert [(s.kind, s.start, s.end) for s in split.sections] == [("unknown", 0, len(text))]


@pytest.mark.parametrize(
    ("text", "year", "template"),
    [
        ("本年制发件数 本年废止件数 现行有效件数", 2022, "ogi2021"),
        ("本年新制作数量 对外公开总数量", 2020, "ogi2019"),
        ("本年新制作数量 对外公开总数量", 2023, "ogi2019"),  # 丰收乡 used the 2019 format in 2022
        ("本年新制作数量 现行有效件数", 2021, "hybrid"),
        ("属于已主动公开范围 不属于本行政机关公开", 2016, "pre2019_stat2014"),
        ("依申请公开信息目录数 同意部分公开", 2010, "pre2019_freeform"),
        ("没有任何表格标签的正文", 2012, "pre2019_freeform"),
        ("没有任何表格标签的正文", 2021, "unknown"),
        ("本年新制作数量 属于已主动公开范围", 2019, "hybrid"),
    ],
    ids=[
        "2021",
        "2019",
        "2019-format-late",
        "both-national",
        "stat2014",
        "freeform",
        "pre2019-no-table",
        "unknown",
        "national+legacy",
    ],
)
def test_template_by_labels_not_year(text: str, year: int, template: str) -> None:
    assert detect_template(text, year) == template


# The same report in other containers must split the same way (issue: HTML copy, GB18030 copy, a PDF with tables).


def _kinds(path: Path) -> tuple[str, list[str]]:
    split = split_sections(read_document(path).normalized)
    return split.template, [s.kind for s in split.sections]


@pytest.mark.parametrize("seed", ["000", "002", "004"], ids=["000", "002", "004"])
def test_html_copy_splits_the_same(seed: str, tmp_path: Path) -> None:
    from .test_documents import seed_html

    page = tmp_path / "report.html"
    page.write_text(seed_html(seed_path(seed).read_text(encoding="utf-8")), encoding="utf-8")
    assert _kinds(page) == _kinds(seed_path(seed))


@pytest.mark.parametrize("seed", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_gb18030_copy_splits_the_same(seed: str, tmp_path: Path) -> None:
    copy = tmp_path / "report.txt"
    copy.write_bytes(seed_path(seed).read_text(encoding="utf-8").encode("gb18030"))
    assert _kinds(copy) == _kinds(seed_path(seed))


FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@pytest.mark.skipif(not FONT.exists(), reason="needs a CJK font to build the PDF: apt-get install fonts-wqy-microhei")
def test_pdf_of_the_2020_seed_with_its_tables_splits_the_same(tmp_path: Path) -> None:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("wqy", size=9)
            self.cell(0, 8, f"- {self.page_no()} -", align="C")

    pdf = Report()
    pdf.add_font("wqy", fname=str(FONT))
    pdf.add_page()
    lines = seed_path("004").read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        if "\t" in lines[i]:
            rows = []
            while i < len(lines) and "\t" in lines[i]:
                rows.append([c.strip() for c in lines[i].split("\t")])
                i += 1
            width = max(len(r) for r in rows)
            pdf.set_font("wqy", size=6)
            with pdf.table(first_row_as_headings=False, headings_style=FontFace()) as table:
                for cells in rows:
                    row = table.row()
                    for cell in [*cells, *[""] * (width - len(cells))]:
                        row.cell(cell)
            continue
        if lines[i].strip():
            pdf.set_font("wqy", size=10)
            pdf.multi_cell(0, 6, lines[i].strip(), new_x="LMARGIN", new_y="NEXT")
        i += 1
    target = tmp_path / "report.pdf"
    pdf.output(str(target))
    doc = read_document(target)
    assert doc.kind == "pdf" and "- 1 -" not in doc.normalized
    assert _kinds(target) == _kinds(seed_path("004"))


def test_scope_prefilter_words_are_in_every_match() -> None:
    from extractor.meta import _SCOPE_SIGNALS
    from extractor.sections import _literals

    for scope, pattern, words in _SCOPE_SIGNALS:
        for literal in _literals(pattern.pattern):
            assert any(w in literal for w in words), (scope, literal)


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("全市各级行政机关共主动公开信息", "region_aggregate"),
        ("全区共收到申请12件", "region_aggregate"),
        ("市政府各部门、各直属机构主动公开", "dept_aggregate"),
        ("各部门共主动公开", "dept_aggregate"),
        ("本局全年主动公开", "self"),
        ("主动公开信息", "unknown"),
    ],
)
def test_detect_scope(text: str, scope: str) -> None:
    from extractor.meta import detect_scope

    assert detect_scope(text) == scope


def test_substantive_lead_counts_chars_without_spaces() -> None:
    from extractor.sections import _substantive

    assert not _substantive("标题\n" + " \n" * 2000 + "字" * 198)
    assert _substantive("标题\n" + " \n" * 2000 + "字" * 199)
    assert _substantive("字" * 201) and not _substantive("字 " * 200)


def test_headings_inline_on_a_page_scraped_to_one_line() -> None:
    """ "…宣传。二、主动公开政府信息情况第二十条…": a page on one line still splits into its sections; table rows
    such as "一、本年新收…" and "三、本年度办理结果" are not headings."""
    page = (
        "2020年政府信息公开工作年度报告一、总体情况"
        + "本机关加强政务公开宣传培训，完善制度。" * 10
        + "二、主动公开政府信息情况第二十条第（一）项规章000"
        "三、收到和处理政府信息公开申请情况一、本年新收政府信息公开申请数量1000001三、本年度办理结果（一）予以公开1000001"
        "四、政府信息公开行政复议、行政诉讼情况000000000000000五、存在的主要问题及改进情况一是解读不够。六、其他需要报告的事项无。"
    )
    split = split_sections(normalize(page)[0])
    assert [s.kind for s in split.sections] == [
        "overview",
        "proactive",
        "requests",
        "review_litigation",
        "problems",
        "other",
    ]
