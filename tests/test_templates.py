"""The templates package: each bundled template declared in one module, and a new template is one new module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import extractor
from extractor import templates
from extractor.evaluation.gold import known_template
from extractor.schema_export import schemas
from extractor.sections import _literals, detect_template, split_sections
from extractor.templates import Row, Template

BUNDLED = ("ogi2019", "ogi2021", "pre2019_freeform", "pre2019_stat2014")


def test_every_bundled_template_is_a_module_of_the_package() -> None:
    assert tuple(t.name for t in templates.all_templates()) == BUNDLED
    assert templates.names() == (*BUNDLED, "hybrid", "unknown")
    for t in templates.all_templates():
        for marker in t.markers:
            assert _literals(marker), marker  # the splitter's fast scan needs literal markers
        assert templates.era_codes(t.name), t.name
    assert templates.get("hybrid") is None and templates.era_codes("unknown") is None
    assert templates.readers("hybrid") == templates.READERS


def test_merged_rows_keep_every_templates_printed_order() -> None:
    merged = [r.code for r in templates.merged(t.grammar.t3_rows for t in templates.all_templates())]
    for t in templates.all_templates():
        own = [r.code for r in t.grammar.t3_rows]
        assert [c for c in merged if c in own] == own, t.name
    # 2021's （六） sub-rows come right before the （六） line, as the 2021 template prints them
    assert merged.index("other.misc") + 1 == merged.index("other")


def test_a_template_declaration_is_checked() -> None:
    with pytest.raises(ValueError, match="template name"):
        Template("Hybrid", "", "legacy", (), (), (), (), ())
    with pytest.raises(ValueError, match="unknown readers"):
        Template("toy", "", "legacy", (), (), (), ("表九",), ())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nothing to find it by"):
        Row("proactive.total", "主动公开")


# A toy template, as a contributor would add one: one module in the package, nothing else touched. Its report
# prints a table of the trial regulation (2004–2007) under words no bundled template has; it requires fewer
# sections and checks no identity.
TOY = """
from extractor.templates import Template, pre2019_stat2014

TEMPLATE = Template(
    name="trial2006",
    title="toy: reports under the 2004 trial rules",
    family="legacy",
    markers=("试行办法实施情况统计",),
    required=("overview", "proactive"),
    eras=("pre2019", "all"),
    readers=("附表",),
    identities=(),
    grammar=pre2019_stat2014.TEMPLATE.grammar,
    years=(2004, 2007),
    rank=2,
)
"""

REPORT = """2006年政府信息公开工作年度报告
一、概述
本年度我办依照试行办法推进政府信息公开工作。
二、主动公开政府信息情况
全年主动公开政府信息120条。
附表1 试行办法实施情况统计表
主动公开信息数 120
网上申请 3
信函申请 2
申请总数 4
"""


@pytest.fixture
def toy_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    folder = tmp_path / "more_templates"
    folder.mkdir()
    (folder / "trial2006.py").write_text(TOY, encoding="utf-8")
    monkeypatch.setattr(templates, "__path__", [*templates.__path__, str(folder)])
    templates.reload()
    yield
    monkeypatch.undo()
    templates.reload()


def test_without_the_toy_module_the_report_is_free_form() -> None:
    split = split_sections(REPORT)
    assert split.template == "pre2019_freeform"
    assert "requests" in split.missing  # the free-form template requires more sections
    record = extractor.extract(REPORT)
    assert any(f.check == "pre2019.channels" for f in record.findings)  # 3 + 2 channels > 4 received


def test_a_toy_template_is_one_new_module(toy_module: None) -> None:
    assert "trial2006" in templates.names()
    assert detect_template(REPORT, 2006) == "trial2006"
    assert detect_template(REPORT, 2012) == "pre2019_freeform"  # outside its years its words do not decide
    split = split_sections(REPORT)
    assert split.template == "trial2006"
    assert split.missing == ()  # its own required sections
    record = extractor.extract(REPORT)
    assert record.meta.template == "trial2006"
    # its table is read with the grammar it declares, and only its identities are checked (none)
    assert record.indicators.get("requests.channel.online").value == 3  # type: ignore[union-attr]
    assert not any(f.check == "pre2019.channels" for f in record.findings)
    # the stored record's schema and the gold files know it
    enum = schemas()["report_record.schema.json"]["$defs"]["Meta"]["properties"]["template"]["enum"]
    assert "trial2006" in enum
    assert known_template("trial2006") == "trial2006"
    json.dumps(record.model_dump(mode="json"))


def test_gold_with_an_unknown_template_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown template 'ogi2030'"):
        known_template("ogi2030")
