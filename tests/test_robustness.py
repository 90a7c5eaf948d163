"""What a file, an output folder, the cache or a setting does must never crash a bulk run or lose a report.

Each test is one case of the adversarial review (odd digits, unexpected exceptions, two runs into one folder,
damaged records, bad settings, a damaged cache, an unwritable home, NUL bytes, pipes, a .docx bomb), plus a
bounded fuzzer over mutated seed reports.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import random
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from extractor import documents
from extractor.bulk import run
from extractor.cache import CachedAnswer, ResponseCache, cache_key, clear_directory
from extractor.cli import main
from extractor.config import resolve
from extractor.documents import read_document, read_text
from extractor.engine import Engine
from extractor.errors import CacheError, ConfigError, ExtractorError, InputError
from extractor.outputs import iter_records
from extractor.pipeline import process_document

from .conftest import SEEDS, extract_cli, seed_path

_extract = extract_cli


SEED_2020 = seed_path("004").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "cell", ["8²", "①", "⑴", "9" * 5000], ids=["superscript", "circled", "parenthesized", "5000-digits"]
)
def test_an_odd_digit_in_a_cell_or_sentence_does_not_fail_the_report(cell: str) -> None:
    """``str.isdigit`` accepts these and ``int`` refuses them (or refuses more than 4,300 digits)."""
    text = SEED_2020.replace("规章\t8\t8\t239", f"规章\t{cell}\t8\t239", 1) + f"\n全年主动公开政府信息{cell}条。\n"
    record = process_document(read_text(text), Engine("rules"))
    assert record.indicators.get("requests.new.total") is not None  # the rest of the report is read


def test_an_unexpected_exception_is_one_error_line_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for p in sorted(SEEDS.glob("*.txt"))[:3]:
        shutil.copy(p, inputs / p.name)
    poison = sorted(inputs.iterdir())[1]
    real = documents.read_document

    def flaky(path: Path | str, **options: Any) -> documents.Document:
        if Path(path).name == poison.name:
            raise ZeroDivisionError("a bug of ours")
        return real(path, **options)

    monkeypatch.setattr("extractor.pipeline.read_document", flaky)
    out = tmp_path / "out"
    stats = run([inputs], out, Engine("rules"))
    assert (stats.reports, stats.failed) == (2, 1)
    (error,) = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert error["error"] == "ZeroDivisionError" and "a bug of ours" in error["message"]
    assert "test_robustness.py" in error["message"] or "pipeline.py" in error["message"]  # where it happened
    monkeypatch.setattr("extractor.pipeline.read_document", real)
    again = run([inputs], out, Engine("rules"))  # the failed report is tried again
    assert (again.reports, again.skipped, again.failed) == (1, 2, 0)
    assert not (out / "errors.jsonl").read_text(encoding="utf-8").strip()


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with (out / ".extractor.lock").open("a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another run holds the folder
        code, _, err = _extract([str(seed_path("000")), "-o", str(out)], capsys)
    assert code == 2 and "another extract run is writing to this folder" in err and "Traceback" not in err
    assert not (out / "records.jsonl").exists()
    code, _, _ = _extract([str(seed_path("000")), "-o", str(out)], capsys)  # released: it runs
    assert code == 0


def test_damaged_lines_anywhere_in_records_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, _, _ = _extract([str(seed_path("000")), str(seed_path("002")), "-o", str(out)], capsys)
    assert code == 0
    records = out / "records.jsonl"
    first, second = records.read_text(encoding="utf-8").splitlines()
    records.write_text(f"{first}\n\n{{not json\n[1, 2]\n{second}\n", encoding="utf-8")
    damaged: list[int] = []
    assert [r.report for r in iter_records(out, damaged)] == [json.loads(first)["report"], json.loads(second)["report"]]
    assert damaged == [2, 3, 4]
    code, out_text, err = _extract([str(seed_path("000")), str(seed_path("003")), "-o", str(out)], capsys)
    assert code == 0 and "Traceback" not in err
    summary = json.loads(out_text.strip().splitlines()[-1])
    assert (summary["reports"], summary["skipped_already_done"]) == (1, 1)
    main(["view", str(out), json.loads(first)["report"]])


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf"])
def test_a_timeout_must_be_a_positive_finite_number(value: str) -> None:
    with pytest.raises(ConfigError, match="timeout must be a positive number"):
        resolve(timeout=value)


def test_a_damaged_cache_says_so_in_one_line_and_clear_removes_it(private_home: Path) -> None:
    cache_dir = private_home / "cache"
    cache_dir.mkdir(parents=True)
    (cache_dir / "cache.db").write_bytes(os.urandom(4096))
    with pytest.raises(CacheError, match=r"damaged or unusable.*extractor cache clear"):
        ResponseCache(cache_dir)
    assert clear_directory(cache_dir) == -1 and not cache_dir.exists()
    fresh = ResponseCache(cache_dir)  # and the next run starts a new one
    fresh.put("k", CachedAnswer("{}", 1, 1, 1, True))
    assert fresh.get("k") is not None
    fresh.close()


def test_a_cache_entry_is_per_endpoint() -> None:
    common = {"provider": "openai", "model": "m", "prompt_version": "v1", "prompt_text": "p", "schema": {},
              "sampling": {}, "text": "t"}  # fmt: skip
    assert cache_key(**common, endpoint="http://a/v1") != cache_key(**common, endpoint="http://b/v1")


def test_an_unusable_home_does_not_stop_a_rules_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("EXTRACTOR_HOME", str(blocker / "home"))  # cannot be created: a file is in the way
    code, _, err = _extract([str(seed_path("000")), "-o", str(tmp_path / "out")], capsys)
    assert code == 0, err


def test_a_stray_nul_byte_in_utf8_text_is_not_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    raw = SEED_2020.encode("utf-8")
    path.write_bytes(raw[:5000] + b"\x00" + raw[5000:])
    assert "本年新收" in read_document(path).normalized


def test_a_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_document(fifo)


def test_a_docx_that_inflates_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents.docx, "MAX_DOCX_XML_BYTES", 1_000_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>" + " " * 3_000_000 + "</w:document>")
    path = tmp_path / "bomb.docx"
    path.write_bytes(buf.getvalue())
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError, match=r"DOCX text inflates to 3 MB, over the 0 MB limit"):
        read_document(path)


def test_fuzzed_reports_raise_only_the_projects_errors() -> None:
    """Bounded in time: mutations (deleted, duplicated, swapped and replaced spans, odd characters) of the seed
    reports go through the whole rules pipeline; only ExtractorError may come out."""
    rng = random.Random(20261207)
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    odd = ["8²", "①", "⑴", "\x00", "\ufffd", "9" * 400, "\t\t\t", "（三）不予公开", "—", "-", "万", "%", "\n"]
    deadline = time.monotonic() + 20
    runs = 0
    while time.monotonic() < deadline and runs < 400:
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 6)):
            i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
            op = rng.randrange(4)
            if op == 0:
                text = text[:i] + text[j:]
            elif op == 1:
                text = text[:i] + text[i:j] * 2 + text[j:]
            elif op == 2:
                text = text[:i] + rng.choice(odd) + text[i:]
            else:
                text = text[:i] + text[j : j + (j - i)] + text[i:j] + text[j + (j - i) :]
        with contextlib.suppress(ExtractorError):  # anything else fails the test
            process_document(read_text(text), Engine("rules"))
        runs += 1
    assert runs >= 20


def test_a_cache_database_cut_short_is_reported_or_missed_never_a_crash(private_home: Path) -> None:
    cache_dir = private_home / "c2"
    cache = ResponseCache(cache_dir)
    cache.put("k", CachedAnswer("{}", 1, 1, 1, True))
    cache.close()
    db = cache_dir / "cache.db"
    db.write_bytes(db.read_bytes()[:100])
    try:
        reopened = ResponseCache(cache_dir)
    except CacheError:
        return  # said in one line
    assert reopened.get("k") is None  # or read as a miss


def _records(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def test_resume_keys_on_content_not_on_the_stem(tmp_path: Path) -> None:
    """The same stem in two folders: both extracted (the second as stem~hash); a rerun skips both; an edited file
    is extracted again and its old record goes; the CSV has each report once."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "report.txt").write_text(seed_path("000").read_text(encoding="utf-8"), encoding="utf-8")
    (b / "report.txt").write_text(seed_path("002").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    first = run([a, b], out, Engine("rules"))
    names = sorted(str(r["report"]) for r in _records(out))
    assert first.reports == 2 and names[0] == "report" and names[1].startswith("report~")
    again = run([a, b], out, Engine("rules"))
    assert (again.reports, again.skipped) == (0, 2)
    (a / "report.txt").write_text(seed_path("003").read_text(encoding="utf-8"), encoding="utf-8")  # edited
    third = run([a, b], out, Engine("rules"))
    assert (third.reports, third.skipped) == (1, 1)
    records = _records(out)
    assert sorted(str(r["report"]) for r in records) == names  # still one record each
    edited = next(r for r in records if r["report"] == "report")
    assert edited["sha256"] == hashlib.sha256((a / "report.txt").read_bytes()).hexdigest()  # the new content's
    rows = (out / "indicators.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert {row.split(",")[0] for row in rows} == set(names)


def test_another_provider_does_not_mix_into_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, _, _ = _extract([str(seed_path("000")), "-o", str(out)], capsys)
    assert code == 0
    records = out / "records.jsonl"
    data = json.loads(records.read_text(encoding="utf-8"))
    data["provider"] = "hybrid"  # as a model run would have written it
    records.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    code, _, err = _extract([str(seed_path("002")), "-o", str(out)], capsys)
    assert code == 2 and "holds records made with --provider hybrid" in err


def test_an_html_table_past_the_cell_limit_is_refused_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`<td colspan=1000>` pages took gigabytes: a span counts at most 64 columns, and a table at most
    MAX_TABLE_CELLS cells (lowered here so the test stays small)."""
    monkeypatch.setattr(documents.html, "MAX_TABLE_CELLS", 5_000)
    page = (
        "<html><body><p>政府信息公开年度报告</p><table>"
        + "<tr><td colspan=1000>1</td></tr>" * 100
        + "</table></body></html>"
    )
    path = tmp_path / "wide.html"
    path.write_text(page, encoding="utf-8")
    with pytest.raises(InputError, match=r"wide\.html: an HTML table spans over 5,000 cells \(the limit\)"):
        read_document(path)


def test_an_output_file_that_is_a_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    (out / "indicators.csv").mkdir(parents=True)
    code, _, err = _extract([str(seed_path("000")), "-o", str(out)], capsys)
    assert code == 2 and "indicators.csv in it is a folder" in err and "Traceback" not in err


def test_a_full_disk_is_one_line_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    from extractor import outputs

    def full(self: object, line: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs.Appender, "append", full)
    out = tmp_path / "out"
    code, _, err = _extract([str(seed_path("000")), "-o", str(out)], capsys)
    assert code == 2 and "writing the output failed: No space left on device" in err and "Traceback" not in err
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".extractor.lock"]


def test_temporary_files_a_killed_run_left_are_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    orphans = [out / ".indicators.csv.abc123", out / ".findings.csv.x", out / ".errors.jsonl.y"]
    for p in orphans:
        p.write_text("half", encoding="utf-8")
    keep = out / ".notes"
    keep.write_text("mine", encoding="utf-8")
    run([seed_path("000")], out, Engine("rules"))
    assert not any(p.exists() for p in orphans) and keep.exists()


def test_the_calls_of_a_section_that_failed_are_counted() -> None:
    from extractor.errors import ModelOutputError
    from extractor.prompts import load_prompt

    from .fakes import FakeAsker

    class Failing(FakeAsker):
        def ask(self, *args: Any, **kwargs: Any) -> Any:
            raise ModelOutputError("proactive: stayed invalid", section="proactive", attempts=3)

    engine = Engine("local", client=Failing(), prompt=load_prompt("v1"), model_name="fake")
    record = process_document(read_text(SEED_2020), engine)
    failed = [f for f in record.findings if f.check == "model.section_failed"]
    assert failed and record.usage.model_calls == 3 * len(failed)
