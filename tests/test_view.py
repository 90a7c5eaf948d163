"""The HTML view: highlights at their spans, the findings panel, escaping, the files it reads, and a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from extractor.documents import read_document
from extractor.errors import InputError, UsageError
from extractor.models import Finding, Meta, Quantity, ReportRecord, SectionInfo, Source, TextItem
from extractor.view import _blocks, find_record, render_view, write_view

from .conftest import seed_path

HOSTILE = "</script><script>alert(1)</script><b>x</b>&amp;"
TEXT = (
    "某市人民政府2020年政府信息公开工作年度报告\n"
    "一、总体情况\n"
    "本年共收到申请 12 件，办结 10 件。\n"
    f"注：{HOSTILE}\n"
    "三、收到和处理政府信息公开申请情况\n"
    "项目\t自然人\t总计\n"
    "一、本年新收\t7\t12\n"
    "五、存在的主要问题及改进情况\n"
    "一是公开不够及时。\n"
)


def span(needle: str, *, after: str = "") -> tuple[int, int]:
    start = TEXT.index(needle, TEXT.index(after) if after else 0)
    return start, start + len(needle)


def q(value: int, where: tuple[int, int] | None, **kw: Any) -> Quantity:
    table = kw.pop("table", None)
    if where is None:
        return Quantity(value=value, unit="件", raw=str(value), **kw)
    start, end = where
    source = Source(section="requests", table=table, start=start, end=end, quote=TEXT[start:end])
    return Quantity(value=value, unit="件", raw=str(value), source=source, **kw)


def make_record(path: str = "report.txt", sha256: str = "0" * 64) -> ReportRecord:
    record = ReportRecord(
        report="demo",
        path=path,
        sha256=sha256,
        provider="hybrid",
        meta=Meta(issuer="某市人民政府", year=2020, template="ogi2019", scope="self"),
        sections=[
            SectionInfo(kind="overview", heading="一、总体情况", start=span("一、总体情况")[0], end=span("三、")[0]),
            SectionInfo(kind="requests", heading="三、收到和处理", start=span("三、")[0], end=span("五、")[0]),
            SectionInfo(kind="problems", heading="五、存在的主要问题", start=span("五、")[0], end=len(TEXT)),
        ],
    )
    ind = record.indicators
    ind.set("requests.new.natural_person", q(7, span("7", after="一、本年新收"), table="表三"))
    ind.set("requests.new.total", q(12, span("12", after="一、本年新收"), table="表三"))
    # a sentence value with a second value nested inside it: the segments must handle the overlap
    ind.set("requests.received", q(12, span("收到申请 12 件")))
    ind.set("appeals.total", q(12, span("12")))
    ind.set("requests.answered", q(10, span("10"), engine="model", model="qwen", grounded=True))
    ind.set("consult.total", q(5, None, engine="model", model="qwen", grounded=False, verified=False))
    ind.set("requests.carried_out.total", q(2, None, derived=True))
    # a quote with markup in it, and an offset beyond the text
    ind.set("complaints.total", q(1, span(HOSTILE)))
    ind.set("fees.amount", Quantity(value=3, source=Source(start=len(TEXT) + 5, end=len(TEXT) + 9)))
    record.alternates["requests.new.total"] = [q(13, span("12"), engine="model", model="qwen", grounded=True)]
    record.problems.append(
        TextItem(text="公开不够及时", source=Source(start=span("公开不够及时")[0], end=span("公开不够及时")[1]))
    )
    record.findings.append(
        Finding(
            check="I1",
            severity="error",
            message="新收 + 结转 ≠ 办结 + 结转下年",
            expected=12,
            found=10,
            cells=["requests.new.total", "requests.new.natural_person", "requests.carried_out.total", "review.total"],
            suspects=["requests.new.total"],
        )
    )
    return record


def index_of(record: ReportRecord, code: str) -> int:
    return [c for c, _ in record.indicators.items()].index(code)


def marks_by_item(tree: LexborHTMLParser, selector: str = "main#text mark") -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for m in tree.css(selector):
        for i in m.attributes["data-i"].split():
            out.setdefault(int(i), []).append(m)
    return out


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def page() -> tuple[ReportRecord, str, LexborHTMLParser]:
    record = make_record()
    html = render_view(record, TEXT)
    return record, html, LexborHTMLParser(html)


def test_every_value_with_a_span_is_highlighted_and_the_text_is_complete(page: Any) -> None:
    record, _, tree = page
    marked = marks_by_item(tree, "main#text mark.v")
    spanned = {
        k
        for k, (_, v) in enumerate(record.indicators.items())
        if v.source.start is not None and v.source.end <= len(TEXT)
    }
    values = len(list(record.indicators.items()))
    assert {i for i in marked if i < values} == spanned
    assert values in marked  # the alternate value, after the indicators
    # every character of the report is on the page, in order (tabs and line breaks become table structure)
    assert squash(tree.css_first("main#text").text()) == squash(TEXT)
    assert tree.css("main#text table.tb td mark.v")  # table cells are marked inside a real table


def test_marks_are_colored_by_engine_and_flag_doubted_cells(page: Any) -> None:
    record, _, tree = page
    marked = marks_by_item(tree)
    classes = {
        code: marked[index_of(record, code)][0].attributes["class"].split()
        for code in ("requests.new.total", "requests.new.natural_person", "requests.answered", "requests.received")
    }
    assert {"v", "e-rules", "suspect"} <= set(classes["requests.new.total"])
    assert {"e-rules", "checked"} <= set(classes["requests.new.natural_person"])
    assert "e-model" in classes["requests.answered"]
    assert "suspect" not in classes["requests.received"]


def test_nested_spans_become_segments_that_list_every_value_narrowest_first(page: Any) -> None:
    record, _, tree = page
    outer, inner = index_of(record, "requests.received"), index_of(record, "appeals.total")
    alternate = len(list(record.indicators.items()))
    marks = marks_by_item(tree)[outer]
    assert [m.text() for m in marks] == ["收到申请 ", "12", " 件"]
    middle = marks[1]
    assert middle.attributes["data-i"].split() == [str(inner), str(alternate), str(outer)]
    assert "nest" in middle.attributes["class"].split()
    assert tree.css_first(f"#v-{outer}") is not None and tree.css_first(f"#v-{inner}") is not None


def test_findings_panel_links_each_cell(page: Any) -> None:
    record, _, tree = page
    finding = tree.css_first("#findings li.finding")
    assert "sev-error" in finding.attributes["class"]
    text = finding.text()
    assert "I1" in text and "新收 + 结转" in text and "expected 12" in text and "found 10" in text
    cells = {li.text().split(" ")[0]: li for li in finding.css("ul.cells li")}
    suspect = cells["requests.new.total"]
    assert suspect.attributes["class"] == "suspect"
    link = suspect.css_first("a.go")
    assert link.attributes["data-i"] == str(index_of(record, "requests.new.total"))
    assert link.attributes["href"] == f"#v-{index_of(record, 'requests.new.total')}"
    assert "no span (derived)" in cells["requests.carried_out.total"].text()
    assert "not reported" in cells["review.total"].text()
    head = finding.css_first("a.fhead").attributes["data-cells"].split()
    assert str(index_of(record, "requests.new.natural_person")) in head


def test_values_without_a_span_are_listed_and_marked(page: Any) -> None:
    record, _, tree = page
    derived = tree.css_first("#derived").text()
    assert "requests.carried_out.total" in derived
    ungrounded = tree.css_first("#ungrounded")
    assert "consult.total" in ungrounded.text() and "requests.answered" not in ungrounded.text()
    assert "fees.amount" in tree.css_first("#unplaced").text()  # its offsets lie outside the text
    items = json.loads(tree.css_first("script#view-data").text())["items"]
    assert items[index_of(record, "consult.total")]["grounded"] is False
    assert items[index_of(record, "fees.amount")]["note"] == "its span lies outside the text"
    assert items[index_of(record, "requests.new.total")]["label"].startswith("一、本年新收")
    assert tree.css("main#text mark.t-problem")  # the problem's span is highlighted too


def test_report_text_and_quotes_are_escaped(page: Any) -> None:
    _, html, tree = page
    assert "<script>alert" not in html and "<b>x</b>" not in html
    assert html.count("</script>") == 2  # the data block and the code, nothing from the report
    data = tree.css_first("script#view-data").text()
    assert "<" not in data
    assert HOSTILE in tree.css_first("main#text").text()  # shown as text, intact
    assert any(d.get("quote") == HOSTILE for d in json.loads(data)["items"])
    assert re.search(r"\bon[a-z]+=", html) is None  # no inline event handlers
    assert "http://" not in html and "https://" not in html  # no external resources


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("段落", ["text"]),
        ("a\tb\nc\td", ["table 2x2"]),
        ("标题\n\n项目\t数量\n合计\t3\n\n说明", ["text", "table 2x2", "text"]),
        ("\t缩进的段落\n下一段", ["text"]),
        ("第二十条第（九）项\t\t\n信息内容\t采购项目数量\t采购总金额", ["table 2x3"]),
    ],
    ids=["prose", "table", "prose-table-prose", "indented-paragraph", "trailing-tabs-row"],
)
def test_text_blocks(text: str, shape: list[str]) -> None:
    blocks = _blocks(text)
    assert [b.kind if b.kind == "text" else f"table {len(b.rows)}x{len(b.rows[0])}" for b in blocks] == shape
    tree = LexborHTMLParser(render_view(make_record(), text))
    assert squash(tree.css_first("main#text").text()) == squash(text)


def text_after(html: str, anchor_id: str) -> str:
    """The page's plain text after the element with this id, whitespace removed."""
    tail = html[html.index(f'id="{anchor_id}"') :]
    return squash(unescape(re.sub(r"<[^>]+>", "", tail[tail.index(">") + 1 :])))


def test_anchors_sit_where_sections_and_values_start(page: Any) -> None:
    record, html, tree = page
    links = tree.css("a.sec-link")
    assert len(links) == len(record.sections)
    for k, (link, section) in enumerate(zip(links, record.sections, strict=True)):
        assert link.attributes["href"] == f"#sec-{k}"
        assert text_after(html, f"sec-{k}").startswith(squash(section.heading))
    for k, (_, v) in enumerate(record.indicators.items()):
        if v.source.start is not None and v.source.end is not None and v.source.end <= len(TEXT):
            assert text_after(html, f"v-{k}").startswith(squash(TEXT[v.source.start : v.source.end]))
    assert "ogi2019" in tree.css_first("aside#panel").text()


# ---------------------------------------------------------------------------------------------------------------
# Files


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    source = tmp_path / "src" / "demo.txt"
    source.parent.mkdir()
    source.write_text(TEXT, encoding="utf-8")
    doc = read_document(source)
    assert doc.original == TEXT
    out = tmp_path / "out"
    out.mkdir()
    lines = [make_record(str(source), doc.sha256).model_dump_json()]
    other = make_record(str(source), doc.sha256)
    other.report = "demo_other"
    lines.append(other.model_dump_json())
    (out / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def test_write_view_writes_the_default_destination(out_dir: Path) -> None:
    path = write_view(out_dir, "demo")
    assert path == out_dir / "view" / "demo.html"
    assert 'data-i="' in path.read_text(encoding="utf-8")


def test_report_names_are_matched_by_stem_and_unique_prefix(out_dir: Path) -> None:
    assert find_record(out_dir, "demo.txt").report == "demo"
    assert find_record(out_dir, "demo_o").report == "demo_other"
    with pytest.raises(UsageError, match="ambiguous"):
        find_record(out_dir, "dem")
    with pytest.raises(UsageError, match=r"no report 'nope'.*available: demo, demo_other"):
        find_record(out_dir, "nope")
    with pytest.raises(UsageError, match=r"no records\.jsonl"):
        find_record(out_dir / "missing", "demo")


def test_a_changed_or_moved_source_is_refused(out_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "src" / "demo.txt"
    source.write_text(TEXT + "改", encoding="utf-8")
    with pytest.raises(InputError, match="changed since extraction"):
        write_view(out_dir, "demo")
    source.unlink()
    with pytest.raises(InputError, match="gone"):
        write_view(out_dir, "demo")


def test_cli_prints_the_path_and_fails_in_one_line(
    out_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from extractor.cli import main

    dest = tmp_path / "page.html"
    main(["view", str(out_dir), "demo", "-o", str(dest)])
    assert capsys.readouterr().out.strip() == str(dest)
    assert dest.is_file()
    with pytest.raises(SystemExit) as exit_info:
        main(["view", str(out_dir), "nope"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no report 'nope'") and err.count("\n") == 1


# ---------------------------------------------------------------------------------------------------------------
# The real pipeline on the largest seed


def seed_record() -> tuple[ReportRecord, str]:
    try:
        from extractor.engine import Engine
        from extractor.pipeline import process
    except ImportError as e:  # pragma: no cover - only while the rules engine is being landed
        pytest.skip(f"the pipeline is not importable yet: {e}")
    path = seed_path("004")
    return process(path, Engine("rules")), read_document(path).original


def test_view_of_the_largest_seed() -> None:
    record, text = seed_record()
    html = render_view(record, text)
    tree = LexborHTMLParser(html)
    values = list(record.indicators.items())
    spanned = {k for k, (_, v) in enumerate(values) if v.source.start is not None and v.source.end is not None}
    assert len(spanned) > 50
    marked = marks_by_item(tree, "main#text mark.v")
    assert {i for i in marked if i < len(values)} == spanned
    for k in spanned:  # each mark shows exactly the text its value was read from
        v = values[k][1]
        assert squash("".join(m.text() for m in marked[k])) == squash(text[v.source.start : v.source.end])
    assert squash(tree.css_first("main#text").text()) == squash(text)
    for k in spanned:
        v = values[k][1]
        assert text_after(html, f"v-{k}").startswith(squash(text[v.source.start : v.source.end]))
    for k, section in enumerate(record.sections):
        assert text_after(html, f"sec-{k}").startswith(squash(text[section.start : section.end])[:10])
    assert len(tree.css("main#text table.tb")) >= 3
    assert len(html) < 400_000


# ---------------------------------------------------------------------------------------------------------------
# Headless Chromium: the page as a user's browser runs it

CHROMIUM = shutil.which("chromium")


def dump_dom(page: Path, tmp_path: Path, fragment: str = "") -> LexborHTMLParser:
    assert CHROMIUM is not None
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", page.resolve().as_uri() + fragment,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return LexborHTMLParser(done.stdout)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_page_runs_in_headless_chromium(tmp_path: Path) -> None:
    record = make_record()
    page = tmp_path / "view.html"
    page.write_text(render_view(record, TEXT), encoding="utf-8")
    suspect = index_of(record, "requests.new.total")
    tree = dump_dom(page, tmp_path, "#value=requests.new.total")
    assert tree.css_first("body").attributes.get("data-ready") == "1"  # the script ran without an error
    marked = marks_by_item(tree, "main#text mark.v")
    values = list(record.indicators.items())
    assert len({i for i in marked if i < len(values)}) == sum(1 for _, v in values if v.source.start is not None) - 1
    assert "suspect" in marked[suspect][0].attributes["class"].split()
    assert "I1" in tree.css_first("#findings li.finding").text()
    # opening a value's link selects it: the mark is pinned and the detail box describes it
    assert "pinned" in marked[suspect][0].attributes["class"].split()
    tip = tree.css_first("#tip")
    assert "hidden" not in tip.attributes
    assert "requests.new.total" in tip.text() and "I1 (error): suspect" in tip.text() and "表三" in tip.text()
