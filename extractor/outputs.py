"""The output folder (the public contract of ``extractor extract``), in one place:

* ``records.jsonl``  one :class:`~extractor.models.ReportRecord` per finished report, appended and flushed
  line by line (a killed run loses no finished report) and fsync'ed at least once a second and at the end: the
  source of truth, and what resume reads; damaged lines are skipped by every reader;
* ``indicators.csv`` long format, one row per value (:func:`record_rows`, the one row builder);
  ``findings.csv`` identity checks. Both are written under temporary names and moved into place at the end of a
  run: row by row as reports finish when the folder starts empty, else rebuilt from records.jsonl;
* ``errors.jsonl``   one line per input that failed, with the reason;
* ``.extractor.lock`` held by the run writing the folder.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import (
    OutputError,
)
from .models import (
    ReportRecord,
    quantity_codes,
)

INDICATOR_COLUMNS = (
    "report", "code", "value", "unit", "qualifier", "derived", "engine", "quote", "start", "end", "status",
)  # fmt: skip


FINDING_COLUMNS = ("report", "check", "severity", "message", "expected", "found", "cells", "suspects")


_META_ROWS = (("meta.issuer", "issuer"), ("meta.year", "year"), ("meta.template", "template"), ("meta.scope", "scope"))


@cache
def code_paths() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((code, tuple(code.split("."))) for code in quantity_codes())


OUTPUT_FILES = ("records.jsonl", "indicators.csv", "findings.csv", "errors.jsonl")


def prepare_out_dir(out_dir: Path) -> None:
    """Create the output folder, or say in one line why it cannot be used."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(out_dir, "exists and is not a folder; pass -o a folder (new or existing)")
    for name in OUTPUT_FILES:
        if (out_dir / name).is_dir():
            raise OutputError(out_dir, f"{name} in it is a folder; move it away (the run writes a file there)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as e:
        raise OutputError(out_dir, f"cannot write the output folder: {e.strerror or e}") from None


@contextmanager
def folder_lock(out_dir: Path) -> Iterator[None]:
    """One run at a time into an output folder: a second one would write every report twice."""
    path = out_dir / ".extractor.lock"
    try:
        fh = path.open("a+")
    except OSError as e:
        raise OutputError(out_dir, f"cannot write the output folder: {e.strerror or e}") from None
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                out_dir, "another extract run is writing to this folder; wait for it or use another -o"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def done_reports(records: Path) -> set[str]:
    """Reports already in records.jsonl; a torn last line (a killed run) is cut off first, damaged lines skipped."""
    if not records.exists():
        return set()
    truncate_torn_tail(records)
    return {data["report"] for _, data in record_lines(records)}


def done_records(records: Path) -> dict[str, tuple[str, str, str]]:
    """Report name -> (content hash, path, provider) of every record in records.jsonl (the last one of a name);
    a torn last line (a killed run) is cut off first, damaged lines are skipped."""
    if not records.exists():
        return {}
    truncate_torn_tail(records)
    return {
        data["report"]: (str(data.get("sha256", "")), str(data.get("path", "")), str(data.get("provider", "")))
        for _, data in record_lines(records)
    }


def keep_latest(records: Path, names: set[str]) -> None:
    """Rewrite records.jsonl with only the last record of each of ``names`` (an edited file's new record)."""
    last: dict[str, int] = {}
    for number, data in record_lines(records):
        if data["report"] in names:
            last[data["report"]] = number
    keep: list[str] = []
    with records.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            try:
                report = json.loads(line).get("report")
            except (json.JSONDecodeError, AttributeError):
                report = None
            if report in names and last.get(report) != number:
                continue
            keep.append(line)
    with atomic(records) as fh:
        fh.writelines(keep)


def truncate_torn_tail(path: Path) -> None:
    with path.open("rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        # walk back to the last newline and cut there
        pos = size - 1
        while pos > 0:
            step = min(65536, pos)
            fh.seek(pos - step)
            block = fh.read(step)
            nl = block.rfind(b"\n")
            if nl != -1:
                fh.truncate(pos - step + nl + 1)
                return
            pos -= step
        fh.truncate(0)


class Appender:
    """Appends lines to an open file: each flushed at once (the OS has it, whatever becomes of this process),
    fsync'ed once ``every`` seconds and on ``close`` (an fsync per line would cap a fast run at a few hundred
    reports a second on an ordinary disk)."""

    def __init__(self, fh: Any, every: float = 1.0) -> None:
        self.fh, self.every = fh, every
        self.synced = time.monotonic()

    def append(self, line: str) -> None:
        self.fh.write(line + "\n")
        self.fh.flush()
        now = time.monotonic()
        if now - self.synced >= self.every:
            os.fsync(self.fh.fileno())
            self.synced = now

    def close(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())


def csv_text(rows: Iterable[tuple[Any, ...]]) -> str:
    """Rows as csv.writer writes them to a file opened with newline="" (made in the worker, written as is)."""
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def read_errors(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    out: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            out[str(entry["report"])] = entry
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return out


def write_jsonl_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    with atomic(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


class atomic:
    """Write a file under a temporary name and move it into place, so readers never see half a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Any:
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        os.fchmod(fd, 0o644)  # an output file like any other (mkstemp makes it readable by its owner only)
        self.fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        return self.fh

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            os.unlink(self.tmp)


def iter_records(out_dir: Path, damaged: list[int] | None = None) -> Iterator[ReportRecord]:
    """The records of an output folder. A blank or damaged line anywhere is skipped (its line number appended to
    ``damaged`` when given), so one bad line never stops a later run or view; a torn last line is not a record."""
    for number, data in record_lines(out_dir / "records.jsonl", damaged):
        try:
            yield ReportRecord.model_validate(data)
        except ValidationError:
            if damaged is not None:
                damaged.append(number)


def record_lines(path: Path, damaged: list[int] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if not line.endswith("\n"):
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("report"), str):
                yield number, data
            elif damaged is not None:
                damaged.append(number)


def finding_rows(record: ReportRecord) -> list[tuple[Any, ...]]:
    """findings.csv's rows of a record (:func:`finding_rows_of` of its JSON)."""
    return list(finding_rows_of(json.loads(record.model_dump_json())))


def indicator_rows(record: ReportRecord, *, candidates: bool = False) -> Iterator[dict[str, Any]]:
    """indicators.csv's rows of a record, by column name (:func:`record_rows` of its JSON: one builder for both)."""
    data = json.loads(record.model_dump_json())
    return (dict(zip(INDICATOR_COLUMNS, row, strict=True)) for row in record_rows(data, candidates=candidates))


def clean_orphans(out_dir: Path) -> list[Path]:
    """Remove the temporary files a killed run left (``.indicators.csv.*`` …): they are never anyone's output once
    the folder's lock is held. Returns what was removed."""
    removed = []
    for name in OUTPUT_FILES:
        for orphan in out_dir.glob(f".{name}.*"):
            with contextlib.suppress(OSError):
                orphan.unlink()
                removed.append(orphan)
    return removed


@contextmanager
def table_files(out_dir: Path) -> Iterator[tuple[Any, Any]]:
    """indicators.csv and findings.csv open under temporary names with their headers written, moved into place
    when the block ends without an exception."""
    with atomic(out_dir / "indicators.csv") as ind, atomic(out_dir / "findings.csv") as fnd:
        csv.writer(ind).writerow(INDICATOR_COLUMNS)
        csv.writer(fnd).writerow(FINDING_COLUMNS)
        yield ind, fnd


def export_tables(out_dir: Path, *, candidates: bool = False) -> None:
    """(Re)build indicators.csv and findings.csv from records.jsonl, atomically.

    The rows are those of :func:`indicator_rows` and of each record's findings, read straight off each line's
    JSON (what validating the records into models and walking them gives, at a fraction of the cost: this runs
    over the whole folder at the end of every run).
    """
    path = out_dir / "records.jsonl"
    with table_files(out_dir) as (ind, fnd):
        iw, fw = csv.writer(ind), csv.writer(fnd)
        if not path.exists():
            return
        for _, data in record_lines(path):  # damaged lines and a torn last line are not records
            try:
                rows, finds = list(record_rows(data, candidates=candidates)), list(finding_rows_of(data))
            except (KeyError, TypeError, AttributeError, ValueError):
                continue
            iw.writerows(rows)
            fw.writerows(finds)


def record_rows(data: dict[str, Any], *, candidates: bool = False) -> Iterator[tuple[Any, ...]]:
    """The long table's rows of a record given as its JSON (a records.jsonl line), as tuples in INDICATOR_COLUMNS
    order: its meta, every value of its tree (status accepted), its list items, and with ``candidates`` the model
    values the gate kept out (status candidate). The one row builder: streamed rows and rebuilt ones are these."""
    report = data["report"]
    meta = data["meta"]
    for code, key in _META_ROWS:
        value = meta.get(key)
        if value is not None:
            yield (report, code, value, "year" if code == "meta.year" else "", "exact", False, "rules", "", "", "",
                   "accepted")  # fmt: skip
    tree = data["indicators"]
    for code, path in code_paths():
        node = tree
        for key in path:
            node = node.get(key)
            if node is None:
                break
        if node is None:
            continue
        yield _quantity_row(report, code, node)
    if candidates:
        for code, nodes in data.get("alternates", {}).items():
            yield from (_quantity_row(report, code, n) for n in nodes if n.get("status") == "candidate")
    for name in ("problems", "improvements"):
        for item in data[name]:
            start, end = item["source"]["start"], item["source"]["end"]
            yield (report, name, item["text"], "", "exact", False, item["engine"], item["text"],
                   "" if start is None else start, "" if end is None else end, "accepted")  # fmt: skip


def _quantity_row(report: str, code: str, node: dict[str, Any]) -> tuple[Any, ...]:
    value, source = node["value"], node["source"]
    start, end = source["start"], source["end"]
    return (report, code, "" if value is None else value, node["unit"], node["qualifier"], node["derived"],
            node["engine"], source["quote"] or node["raw"], "" if start is None else start,
            "" if end is None else end, node.get("status", "accepted"))  # fmt: skip


def finding_rows_of(data: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    report = data["report"]
    for f in data["findings"]:
        yield (report, f["check"], f["severity"], f["message"], "" if f["expected"] is None else f["expected"],
               "" if f["found"] is None else f["found"], ";".join(f["cells"]), ";".join(f["suspects"]))  # fmt: skip
