"""The pipeline: providers, hybrid merging, provenance, bulk runs with isolation and resume."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from extractor.bulk import run
from extractor.documents import read_text
from extractor.engine import Engine
from extractor.errors import NotAReportError
from extractor.fields import SECTION_CODES, relevant
from extractor.models import Finding, Quantity
from extractor.outputs import INDICATOR_COLUMNS, export_tables, finding_rows, indicator_rows, record_rows
from extractor.pipeline import process, process_document
from extractor.prompts import load_prompt

from .conftest import SEEDS, seed_path
from .fakes import FakeAsker


def test_rules_values_point_at_their_original_text() -> None:
    record = process(seed_path("002"), Engine("rules"))  # traditional script: offsets must map back
    original = seed_path("002").read_text(encoding="utf-8")
    q = record.indicators.get("requests.received")
    assert q is not None and q.value == 9532 and q.engine == "rules"
    assert q.source.start is not None and q.source.end is not None
    assert "9532" in original[q.source.start : q.source.end]
    dyn = record.indicators.get("proactive.category.dynamics")
    assert dyn is not None and dyn.value == 96000 and dyn.qualifier == "approx"
    assert "9.6萬" in original[dyn.source.start or 0 : dyn.source.end or 0]


def test_hybrid_asks_only_for_what_rules_left_empty() -> None:
    text = (
        "某局2016年政府信息公开工作年度报告\n一、概述\n本局认真做好政府信息公开工作。\n"
        "二、主动公开政府信息情况\n全年主动公开政府信息624条。\n"
        "三、依申请公开情况\n共收到信息公开申请9宗，其中网上申请6宗，告知申请人通过其他途径获取3宗。\n"
    )
    rules_only = process_document(read_text(text, "bureau.txt"), Engine("rules"))
    fake = FakeAsker(answers={"requests": {"requests_legacy_other_route": "告知申请人通过其他途径获取3宗"}})
    engine = Engine("hybrid", client=fake, prompt=load_prompt("v1"), model_name="fake")
    record = process_document(read_text(text, "bureau.txt"), engine)
    asked = dict(fake.calls)
    assert rules_only.indicators.get("proactive.total") is not None
    assert "proactive.total" not in asked.get("proactive", [])  # the rules read it in that section
    section = text[text.index("三、") :]
    expected = [
        c
        for c in SECTION_CODES["requests"]
        if relevant(c, section) and ((q := rules_only.indicators.get(c)) is None or q.source.section != "requests")
    ]
    assert "requests.channel.fax" not in expected  # the section never mentions 传真: not asked
    assert asked["requests"] == expected and "requests.received" not in expected
    other = record.indicators.get("requests.legacy.other_route")
    assert other is not None and other.value == 3 and other.engine == "model" and other.grounded


def test_hybrid_disagreement_keeps_rules_and_records_a_finding() -> None:
    # the rules read 81 from the 附表; the model, asked in the prose section, reads 80 there
    fake = FakeAsker(answers={"proactive": {"proactive_total": "本年度共发布各类信息80条"}})
    engine = Engine("hybrid", client=fake, prompt=load_prompt("v1"), model_name="fake")
    doc = read_text(
        "某局2016年政府信息公开工作年度报告\n二、主动公开政府信息情况\n本年度共发布各类信息80条。\n"
        "七、附表\n附表1 主动公开情况统计\n\t指标\n\t数量\n\t主动公开信息数\n\t81\n",
        "bureau.txt",
    )
    record = process_document(doc, engine)
    q = record.indicators.get("proactive.total")
    assert q is not None and q.value == 81 and q.engine == "rules"
    assert [a.value for a in record.alternates["proactive.total"]] == [80]
    finding = next(f for f in record.findings if f.check == "hybrid.disagreement")
    assert (finding.expected, finding.found, finding.cells) == (81, 80, ["proactive.total"])


def test_local_model_value_has_provenance() -> None:
    fake = FakeAsker(answers={"unknown": {"proactive_total": "主动公开政府信息624条"}})
    engine = Engine("local", client=fake, prompt=load_prompt("v1"), model_name="fake")
    doc = read_text("本机关2016年政府信息公开工作：主动公开政府信息624条。", "x.txt")
    q = process_document(doc, engine).indicators.get("proactive.total")
    assert q is not None and q.value == 624 and q.engine == "model"
    assert q.grounded is True and q.source.quote == "主动公开政府信息624条"


def test_ungrounded_model_value_is_flagged() -> None:
    fake = FakeAsker(answers={"unknown": {"proactive_total": "主动公开政府信息999条"}}, verified=False)
    engine = Engine("local", client=fake, prompt=load_prompt("v1"), model_name="fake")
    doc = read_text("本机关2016年政府信息公开工作：主动公开政府信息624条。", "x.txt")
    record = process_document(doc, engine)
    assert record.indicators.get("proactive.total") is None  # never in the panel's tree
    (q,) = record.alternates["proactive.total"]  # kept for review, with the reason
    assert q.value == 999 and q.grounded is False and q.verified is False and q.status == "candidate"
    assert q.source.start is None and q.reason == "the quote is not in the section text"


def test_not_a_report() -> None:
    with pytest.raises(NotAReportError):
        process_document(read_text("今天天气很好，我们去公园散步。", "walk.txt"), Engine("rules"))


def _copy_seeds(dest: Path) -> Path:
    dest.mkdir()
    for p in SEEDS.glob("*.txt"):
        shutil.copy(p, dest / p.name)
    return dest


def test_bulk_run_isolates_failures_and_resumes(tmp_path: Path) -> None:
    inputs = _copy_seeds(tmp_path / "in")
    (inputs / "empty.txt").write_text("")
    (inputs / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 50)
    out = tmp_path / "out"
    stats = run([inputs], out, Engine("rules"))
    assert (stats.reports, stats.failed) == (5, 2)
    records = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(records) == 5
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {e["report"] for e in errors} == {"empty", "binary"}
    assert all(e["message"] and e["path"] for e in errors)
    rows = list(csv.DictReader((out / "indicators.csv").open(encoding="utf-8")))
    assert {r["report"] for r in rows} == {p.stem for p in SEEDS.glob("*.txt")}
    assert set(rows[0]) == {
        "report",
        "code",
        "value",
        "unit",
        "qualifier",
        "derived",
        "engine",
        "quote",
        "start",
        "end",
        "status",
    }
    assert {r["status"] for r in rows} == {"accepted"}  # no candidate in the panel unless asked

    # second run: nothing new to do; the failed inputs are tried again and still fail
    again = run([inputs], out, Engine("rules"))
    assert (again.reports, again.skipped, again.failed) == (0, 5, 2)
    assert len((out / "records.jsonl").read_text(encoding="utf-8").splitlines()) == 5
    assert len((out / "errors.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_resume_after_a_torn_last_line(tmp_path: Path) -> None:
    inputs = _copy_seeds(tmp_path / "in")
    out = tmp_path / "out"
    run([inputs], out, Engine("rules"))
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    # simulate a kill in the middle of writing the 4th record
    (out / "records.jsonl").write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2], encoding="utf-8")
    (out / "indicators.csv").write_text("report,code\nhalf", encoding="utf-8")
    stats = run([inputs], out, Engine("rules"))
    assert (stats.reports, stats.skipped) == (2, 3)
    names = [json.loads(x)["report"] for x in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(names) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    reports = {r["report"] for r in csv.DictReader((out / "indicators.csv").open(encoding="utf-8"))}
    assert len(reports) == 5


def test_export_tables_rebuilds_from_records(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run([seed_path("004")], out, Engine("rules"))
    (out / "indicators.csv").unlink()
    export_tables(out)
    rows = list(csv.DictReader((out / "indicators.csv").open(encoding="utf-8")))
    cell = next(r for r in rows if r["code"] == "requests.new.natural_person")
    assert cell["value"] == "16302" and cell["engine"] == "rules" and cell["start"]


def test_seed_inconsistencies_are_findings() -> None:
    gz2009 = process(seed_path("001"), Engine("rules"))
    categories = next(f for f in gz2009.findings if f.check == "pre2019.categories")
    assert {categories.expected, categories.found} == {81, 76}
    gz2018 = process(seed_path("002"), Engine("rules"))
    share = next(f for f in gz2018.findings if f.check == "share")
    assert share.cells == ["requests.channel.fax", "requests.received"] and share.found == 0.001
    assert share.expected is not None and abs(share.expected - 0.0525) < 0.001
    assert [f.check for f in gz2018.findings] == ["share"]  # the other printed shares are right within rounding


def test_problem_clauses_start_after_the_innermost_lead_word() -> None:
    record = process(seed_path("002"), Engine("rules"))
    assert [p.text for p in record.problems] == [
        "部分单位政务公开水平有待提高",
        "个别重点领域政府信息公开有待深化",
        "政策解读材料质效和依申请公开办理水平有待提升",
    ]


def test_the_one_row_builder_writes_blank_cells_floats_and_findings() -> None:
    """indicators.csv and findings.csv rows come from one builder over the record's JSON (outputs.record_rows), for
    streamed and rebuilt tables alike: a blank cell is "", money keeps its cents, cells and suspects join by ";"."""
    fake = FakeAsker(answers={"unknown": {"proactive_total": "主动公开政府信息624条"}})
    engine = Engine("local", client=fake, prompt=load_prompt("v1"), model_name="fake")
    record = process_document(read_text("本机关2016年政府信息公开工作：主动公开政府信息624条。", "m.txt"), engine)
    record.indicators.set("requests.new.commercial", Quantity(value=None, raw="", unit="件"))
    record.indicators.set("fees.amount", Quantity(value=1471599.16, unit="元", raw="147.159916万元"))
    record.findings.append(Finding(check="model.section_failed", message="x", cells=["a", "b"]))
    rows = {r["code"]: tuple(r[c] for c in INDICATOR_COLUMNS) for r in indicator_rows(record)}
    assert rows["requests.new.commercial"] == ("m", "requests.new.commercial", "", "件", "exact", False, "rules", "", "",
                                               "", "accepted")  # fmt: skip
    assert rows["fees.amount"][2:4] == (1471599.16, "元")
    assert rows["proactive.total"][2] == 624 and rows["proactive.total"][6] == "model"
    data = json.loads(record.model_dump_json())
    assert list(record_rows(data)) == [tuple(r[c] for c in INDICATOR_COLUMNS) for r in indicator_rows(record)]
    assert finding_rows(record)[-1] == ("m", "model.section_failed", "error", "x", "", "", "a;b", "")


@pytest.mark.parametrize("concurrency", [1, 2])
def test_model_free_runs_in_worker_processes_give_the_same_records(
    tmp_path: Path, concurrency: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extractor import bulk

    pools: list[object] = []
    real = bulk._worker_context
    monkeypatch.setattr(bulk, "_worker_context", lambda: pools.append(1) or real())
    inputs = _copy_seeds(tmp_path / "in")
    (inputs / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 50)
    (inputs / "walk.txt").write_text("今天天气很好，我们去公园散步。" * 20, encoding="utf-8")
    out = tmp_path / f"out{concurrency}"
    stats = run([inputs], out, Engine("rules"), concurrency=concurrency)
    assert (stats.reports, stats.failed) == (5, 2)
    assert len(pools) == (concurrency > 1)  # worker processes only when more than one report at a time
    assert stats.values == sum(1 for p in SEEDS.glob("*.txt") for _ in process(p, Engine("rules")).indicators.items())

    def records(folder: Path) -> dict[str, dict[str, object]]:
        lines = (folder / "records.jsonl").read_text(encoding="utf-8").splitlines()
        return {
            r["report"]: {k: v for k, v in r.items() if k not in ("seconds", "path")} for r in map(json.loads, lines)
        }

    single = tmp_path / "single"
    run([inputs], single, Engine("rules"))
    assert records(out) == records(single)
    errors = {e["report"]: e for e in map(json.loads, (out / "errors.jsonl").read_text(encoding="utf-8").splitlines())}
    assert set(errors) == {"binary", "walk"} and errors["walk"]["error"] == "NotAReportError"
    assert sorted((out / "indicators.csv").read_text(encoding="utf-8").splitlines()) == sorted(
        (single / "indicators.csv").read_text(encoding="utf-8").splitlines()
    )


def test_appended_lines_are_flushed_at_once_and_synced_at_most_once_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extractor import outputs

    synced: list[int] = []
    monkeypatch.setattr(outputs.os, "fsync", lambda fd: synced.append(fd))
    path = tmp_path / "records.jsonl"
    with path.open("a", encoding="utf-8") as fh:
        out = outputs.Appender(fh, every=3600)
        for i in range(50):
            out.append(json.dumps({"n": i}))
            assert path.read_text(encoding="utf-8").count("\n") == i + 1  # on disk for any other reader
        assert synced == []
        out.close()
        assert len(synced) == 1
        out = outputs.Appender(fh, every=0)
        out.append("{}")
        assert len(synced) == 2


def test_streamed_csvs_are_what_a_rebuild_writes(tmp_path: Path) -> None:
    inputs = _copy_seeds(tmp_path / "in")
    out = tmp_path / "out"
    run([inputs], out, Engine("rules"), concurrency=2)
    streamed = {name: (out / name).read_bytes() for name in ("indicators.csv", "findings.csv")}
    assert all(streamed.values())
    export_tables(out)
    assert {name: (out / name).read_bytes() for name in streamed} == streamed
    assert oct((out / "indicators.csv").stat().st_mode & 0o777) == "0o644"
    # no temporary file left (the folder's lock file stays: removing it would let two runs lock two files)
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.name != ".extractor.lock"]


def _die_on_poison(path: Path, engine: Engine, name: str | None = None, candidates: bool = False) -> object:
    """A worker task that kills its process on the input named poison (as the OOM killer would)."""
    import os

    from extractor import bulk

    if path.stem == "poison":
        os._exit(9)
    return bulk._finish_real(path, engine, name, candidates)  # type: ignore[attr-defined]


def test_a_dead_worker_fails_the_reports_it_held_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    from extractor import bulk

    # fork: the workers inherit this test's replacement of the task (forkserver workers import it afresh)
    monkeypatch.setattr(bulk, "_worker_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setattr(bulk, "_finish_real", bulk.finish_report, raising=False)
    monkeypatch.setattr(bulk, "finish_report", _die_on_poison)
    inputs = _copy_seeds(tmp_path / "in")
    shutil.copy(seed_path("000"), inputs / "poison.txt")
    out = tmp_path / "out"
    stats = run([inputs], out, Engine("rules"), concurrency=2)
    errors = {e["report"]: e for e in map(json.loads, (out / "errors.jsonl").read_text(encoding="utf-8").splitlines())}
    assert "poison" in errors and errors["poison"]["error"] == "WorkerDied"
    assert all(e["error"] == "WorkerDied" for e in errors.values())
    assert stats.reports + stats.failed == 6 and stats.reports >= 3  # the pool is replaced and the rest go on
    monkeypatch.undo()
    again = run([inputs], out, Engine("rules"), concurrency=2)  # a rerun retries what failed
    assert again.reports == 6 - stats.reports and again.failed == 0


def test_a_sentence_a_table_contradicts_gives_way_to_the_table() -> None:
    """A figure read from a sentence that breaks the identities of table cells which hold without it is a
    candidate, with a finding naming the identity; the table's value is derived in its place."""
    text = seed_path("004").read_text(encoding="utf-8")
    assert text.count("258 宗") == 1  # the report's own sentence on its lawsuits, made to contradict 表四
    planted = text.replace("258 宗", "999 宗")
    record = process_document(read_text(planted, "planted.txt"), Engine("rules"))
    q = record.indicators.get("litigation.total")
    assert q is not None and q.value == 258 and q.derived  # 表四's two litigation blocks add up to 258
    [finding] = [f for f in record.findings if f.check == "table_over_sentence"]
    assert finding.suspects == ["litigation.total"] and "999" in finding.message and "I4" in finding.message
    assert any(a.value == 999 and a.status == "candidate" for a in record.alternates["litigation.total"])
    assert not [f for f in record.findings if f.check == "I4"]
    # the same sentence in prose only (no table to contradict it) stays
    prose_only = process_document(
        read_text("2020年政府信息公开工作年度报告\n一、总体情况\n本年度主动公开政府信息120条，共发生行政诉讼999件。"),
        Engine("rules"),
    )
    kept = prose_only.indicators.get("litigation.total")
    assert kept is not None and kept.value == 999 and kept.status == "accepted"


def test_a_row_that_splits_more_than_one_way_is_a_candidate_never_a_guess(tmp_path: Path) -> None:
    """Seed 004 with its table cells run together ("行政许可6905+2477664756"): no identity says where +247 ends and
    7664756 begins, so none of the readings reaches the panel; each is a candidate naming the others."""
    text = seed_path("004").read_text(encoding="utf-8")
    flat = tmp_path / "flat.txt"
    flat.write_text(text.replace("\t", ""), encoding="utf-8")
    record = process(flat, Engine("rules"))
    assert record.indicators.get("art20.licensing.change") is None
    assert record.indicators.get("art20.licensing.decisions") is None
    (guess,) = record.alternates["art20.licensing.change"]
    assert guess.status == "candidate" and "several readings" in (guess.reason or "")
    exact = process(seed_path("004"), Engine("rules"))
    wrong = {
        code: (q.value, exact.indicators.get(code).value)  # type: ignore[union-attr]
        for code, q in record.indicators.items()
        if not q.derived and exact.indicators.get(code) is not None and exact.indicators.get(code).value != q.value  # type: ignore[union-attr]
    }
    assert not wrong, wrong


def test_a_zero_run_into_a_page_number_is_not_read_as_a_count(tmp_path: Path) -> None:
    """Seed 000 scraped to one line: its 附表4 ends "行政诉讼数0", then the page number "6" and "－8－": "06" is two
    things run together, never the count 6."""
    text = seed_path("000").read_text(encoding="utf-8")
    one_line = tmp_path / "one_line.txt"
    one_line.write_text(text.replace("\t", "").replace("\n", ""), encoding="utf-8")
    q = process(one_line, Engine("rules")).indicators.get("litigation.total")
    assert q is None or q.value == 0, (q.value, q.raw)
    assert process(seed_path("000"), Engine("rules")).indicators.get("litigation.total").value == 0  # type: ignore[union-attr]
