"""The gate (extractor.gate): each acceptance rule rejects a model value that breaks it, with a fake model.

A rejected value is a *candidate*: kept in the record's alternates with its reason, never in the tree the panel
tables, the scores and the identities read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from extractor.documents import read_text
from extractor.engine import Engine
from extractor.models import ReportRecord
from extractor.pipeline import process_document
from extractor.prompts import load_prompt

from .fakes import FakeAsker


def _run(text: str, answers: dict[str, dict[str, Any]], provider: str = "local") -> ReportRecord:
    engine = Engine(provider, client=FakeAsker(answers=answers), prompt=load_prompt("v1"), model_name="fake")
    return process_document(read_text(text, "r.txt"), engine)


def _candidate(record: ReportRecord, code: str) -> Any:
    (q,) = [a for a in record.alternates.get(code, []) if a.engine == "model"]
    assert q.status == "candidate" and q.reason
    held = record.indicators.get(code)
    assert held is None or held.engine != "model", f"the model's {code} reached the tree"
    return q


PROSE = "2016年政府信息公开工作年度报告。本机关全年举办新闻发布会145场，主动公开政府信息624条，收到投诉举报12件。"


def test_a_quote_that_does_not_name_the_indicator_is_a_candidate() -> None:
    """The 0.5B model's real mistake on the 2020 seed: "举办145场新闻发布会" given for proactive.total."""
    record = _run(PROSE, {"unknown": {"proactive_total": "举办新闻发布会145场"}})
    q = _candidate(record, "proactive.total")
    assert q.value == 145 and "does not name the indicator (it needs 主动公开)" in q.reason


def test_a_quote_whose_unit_is_not_the_codes_is_a_candidate() -> None:
    text = "2016年政府信息公开工作年度报告。全年主动公开政府信息相关培训8场，主动公开政府信息624条。"
    record = _run(text, {"unknown": {"proactive_total": "主动公开政府信息相关培训8场"}})
    q = _candidate(record, "proactive.total")
    assert q.value == 8 and "printed unit 场" in q.reason


def test_a_value_that_names_the_indicator_is_accepted() -> None:
    record = _run(PROSE, {"unknown": {"proactive_total": "主动公开政府信息624条"}})
    q = record.indicators.get("proactive.total")
    assert q is not None and q.value == 624 and q.engine == "model" and q.status == "accepted"


def test_a_value_that_would_break_an_identity_is_a_candidate() -> None:
    """The rules read a total of 12 and channels 5 + 4 + 3 (the channel sum holds); a model's fax 2 from wording
    the rules do not read would make the channels exceed the total: it is refused, the identity still holds."""
    text = (
        "2016年政府信息公开工作年度报告\n一、概述\n本机关依法公开政府信息。\n三、政府信息依申请公开情况\n"
        "全年共收到政府信息公开申请12件。其中，网上申请5件，信函申请4件，当面申请3件，另有通过传真方式提出2件。\n"
    )
    record = _run(text, {"requests": {"requests_channel_fax": "通过传真方式提出2件"}}, provider="hybrid")
    q = _candidate(record, "requests.channel.fax")
    assert q.value == 2 and "it would break pre2019.channels" in q.reason
    assert not [f for f in record.findings if f.check == "pre2019.channels" and f.severity == "error"]


def test_a_model_value_never_replaces_a_derived_one() -> None:
    """Table parts read by the rules (表四 review block: 1+0+0+0 = 1); the model gives the litigation direct total
    as 7 from prose the rules do not read, while the table's blocks derive 2: the derived value stays."""
    rows = "行政复议\t行政诉讼\n结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n"
    cells = "\t".join(["1", "0", "0", "0", "1", "2", "0", "0", "0", "", "0", "0", "0", "0", "0"])
    text = (
        "2020年政府信息公开工作年度报告\n一、总体情况\n全年涉及诉讼的案件有7件。\n"
        "四、政府信息公开行政复议、行政诉讼情况\n" + rows + cells + "\n五、存在的主要问题及改进情况\n无。\n"
    )
    record = _run(text, {"overview": {"litigation_total": "涉及诉讼的案件有7件"}}, provider="hybrid")
    derived = record.indicators.get("litigation.total")
    assert derived is not None and derived.derived and derived.value == 2  # direct 2 + after review 0
    q = _candidate(record, "litigation.total")
    assert q.value == 7 and "the identities derive 2" in q.reason
    (finding,) = [f for f in record.findings if f.check == "model.contradicts_derived"]
    assert "litigation.total" in finding.message and "7" in finding.message and "2" in finding.message


def test_a_model_value_never_replaces_a_rules_value() -> None:
    record = _run(PROSE, {"unknown": {"proactive_total": "主动公开政府信息624条"}}, provider="hybrid")
    q = record.indicators.get("proactive.total")
    assert q is not None and q.engine == "rules" and q.value == 624  # the rules read it; the model was not asked
    text = PROSE.replace("主动公开政府信息624条", "主动公开政府信息624条（另有主动公开政府信息630条）")
    record = _run(text, {"unknown": {"proactive_total": "另有主动公开政府信息630条"}}, provider="local")
    assert record.indicators.get("proactive.total").value == 630  # model only: accepted, nothing to replace


def test_candidates_reach_the_csv_only_when_asked(tmp_path: Path) -> None:
    """The long table holds accepted values (status column); --include-candidates adds the gate's candidates,
    whether the rows are streamed by the workers or rebuilt from records.jsonl."""
    import csv

    from extractor.bulk import run
    from extractor.outputs import export_tables

    src = tmp_path / "r.txt"
    src.write_text(PROSE, encoding="utf-8")
    fake = FakeAsker(answers={"unknown": {"proactive_total": "举办新闻发布会145场"}})
    engine = Engine("local", client=fake, prompt=load_prompt("v1"), model_name="fake")

    def statuses(out: Path) -> set[tuple[str, str, str]]:
        with (out / "indicators.csv").open(encoding="utf-8") as fh:
            return {(r["code"], r["value"], r["status"]) for r in csv.DictReader(fh) if r["engine"] == "model"}

    run([src], tmp_path / "plain", engine)
    assert statuses(tmp_path / "plain") == set()
    run([src], tmp_path / "with", engine, candidates=True)
    assert statuses(tmp_path / "with") == {("proactive.total", "145", "candidate")}
    export_tables(tmp_path / "with", candidates=True)  # the rebuild writes the same rows
    assert statuses(tmp_path / "with") == {("proactive.total", "145", "candidate")}
    export_tables(tmp_path / "with")
    assert statuses(tmp_path / "with") == set()


def test_a_code_whose_table_row_splits_several_ways_takes_only_one_of_its_readings_from_a_sentence() -> None:
    """Rule 6. The rules kept a run-together row's cell as a candidate (13, or 131, or 1313): a model's 131 from a
    sentence confirms one reading; a 7 is none of them; nothing else of the gate is touched."""
    from extractor import gate
    from extractor.models import Quantity, Source

    guess = Quantity(value=13, engine="rules", ambiguous=True, alternatives=[131, 1313], status="candidate",
                     source=Source(section="requests", table="表三"))  # fmt: skip
    alternates = {"requests.received.total": [guess]}
    assert gate.ambiguous_reading(alternates, "requests.received.total") is guess
    assert gate.guess_problem(alternates, "requests.received.total", 131) is None
    problem = gate.guess_problem(alternates, "requests.received.total", 7)
    assert problem is not None and "13, 131, 1313" in problem and "none of them 7" in problem
    assert gate.guess_problem(alternates, "requests.channel.online", 7) is None  # another code: no reading
    plain = {"requests.received.total": [guess.model_copy(update={"ambiguous": False})]}
    assert gate.ambiguous_reading(plain, "requests.received.total") is None


def test_the_model_is_not_asked_to_split_again_a_row_the_rules_found_splitting_several_ways() -> None:
    """A code whose table row the rules read several ways in a section counts as read there: the hybrid engine does
    not ask the model for it in that section (a second split would be a guess too), and asks it elsewhere."""
    from extractor.model_pass import _read_here
    from extractor.models import Meta, Quantity, Source

    record = ReportRecord(report="r", path="r.txt", sha256="0", provider="hybrid", meta=Meta())
    assert not _read_here(record, "litigation.total", "review_litigation")
    guess = Quantity(value=13, engine="rules", ambiguous=True, alternatives=[131], status="candidate",
                     source=Source(section="review_litigation", table="表四"))  # fmt: skip
    record.alternates["litigation.total"] = [guess]
    assert _read_here(record, "litigation.total", "review_litigation")
    assert not _read_here(record, "litigation.total", "overview")  # a sentence elsewhere is still asked
    record.alternates["litigation.total"] = [guess.model_copy(update={"ambiguous": False})]
    assert not _read_here(record, "litigation.total", "review_litigation")  # another kind of candidate: asked
