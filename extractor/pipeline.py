"""From files to records: one report (``process``), and bulk runs with resume (``run``).

Output folder layout (the public contract of ``extractor extract``):

* ``records.jsonl``  one :class:`~extractor.models.ReportRecord` per finished report, appended and flushed
  line by line (a killed run loses no finished report) and fsync'ed at least once a second and at the end (a
  power cut loses at most the last second, which resume redoes): the source of truth, and what resume reads;
* ``indicators.csv`` long format, one row per value; ``findings.csv`` identity checks. Both are written under
  temporary names and moved into place at the end of a run (so a killed run never leaves them half-written):
  row by row as reports finish when the folder starts empty, else rebuilt from records.jsonl;
* ``errors.jsonl``   one line per input that failed, with the reason.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from . import gate, identities, rules
from .codebook import codebook, era_codes
from .config import Settings
from .documents import Document, read_document, supported
from .errors import (
    ExtractorError,
    InputError,
    ModelOutputError,
    NotAReportError,
    OutputError,
    describe,
    describe_unexpected,
)
from .fields import CODE_OF_KEY, LIST_SECTIONS, SECTION_CODES, number_in, relevant, squash
from .meta import detect_issuer, detect_scope
from .models import (
    Finding,
    Meta,
    Quantity,
    ReportRecord,
    SectionInfo,
    SectionKind,
    Source,
    TextItem,
    Usage,
    construct,
    quantity_codes,
)
from .numbers import to_yuan
from .prompts import Prompt
from .sections import Section, looks_like_report, split_sections

INDICATOR_COLUMNS = (
    "report", "code", "value", "unit", "qualifier", "derived", "engine", "quote", "start", "end", "status",
)  # fmt: skip
FINDING_COLUMNS = ("report", "check", "severity", "message", "expected", "found", "cells", "suspects")
MAX_SECTION_CHARS = 6000  # longer sections are asked in chunks so a prompt fits an 8k context


class Asker(Protocol):
    """What the pipeline needs of a model client (see :class:`extractor.llm.ModelClient`)."""

    def ask(self, prompt: Prompt, kind: SectionKind, text: str, codes: list[str], *, lists: bool = False) -> Any: ...


@dataclass
class Engine:
    """How reports are processed: the provider, and the model client when one is used."""

    provider: str  # rules | local | openai | hybrid
    client: Asker | None = None
    prompt: Prompt | None = None
    model_name: str | None = None
    parallel_asks: int = 1  # sections of one report asked at once

    @property
    def uses_rules(self) -> bool:
        return self.provider in ("rules", "hybrid")

    @property
    def uses_model(self) -> bool:
        return self.client is not None and self.provider in ("local", "openai", "hybrid")


def process(path: Path, engine: Engine) -> ReportRecord:
    """Read, split and extract one report. Raises InputError/NotAReportError for bad input."""
    started = time.perf_counter()
    doc = read_document(path)
    return process_document(doc, engine, started=started)


def process_document(doc: Document, engine: Engine, *, started: float | None = None) -> ReportRecord:
    started = time.perf_counter() if started is None else started
    text = doc.normalized
    if not looks_like_report(text):
        raise NotAReportError(doc.path, "not a government information-disclosure annual report (none of its key terms)")
    split = split_sections(text)
    meta = Meta(
        issuer=detect_issuer(text),
        year=split.year,
        template=split.template,
        scope=detect_scope(text),
        script=doc.script,
    )
    sections = [_section_info(doc, s) for s in split.sections]
    found = rules.extract(doc, split) if engine.uses_rules else None
    # the rules' results are given to the constructor rather than assigned after it (the same record, fields
    # set alike): the record then never builds an empty indicator tree of its own
    ruled: dict[str, Any] = {}
    if found is not None:
        ruled = {"indicators": found.indicators, "alternates": found.alternates, "problems": found.problems,
                 "improvements": found.improvements}  # fmt: skip
    record = ReportRecord(
        report=doc.path.stem,
        path=str(doc.path),
        sha256=doc.sha256,
        provider=engine.provider,
        meta=meta,
        sections=sections,
        missing_sections=list(split.missing),
        **ruled,
    )
    if found is not None:
        record.findings.extend(found.findings)
    if engine.uses_model:
        _ask_model(doc, split.sections, engine, record)
    # the rules' values are the tree's when no model added to it: derive need not walk the tree for them
    held = dict(found.values) if found is not None and not engine.uses_model else None
    reported = identities.derive(record.indicators, held)
    record.findings.extend(identities.check(record.indicators, reported))
    record.seconds = round(time.perf_counter() - started, 3)
    return record


def _section_info(doc: Document, s: Section) -> SectionInfo:
    start, end = doc.to_original(s.start, s.end) if s.end > s.start else (s.start, s.start)
    # SectionInfo(kind=..., heading=..., start=..., end=...) without validating: typed already, never negative
    return construct(SectionInfo, {"kind": s.kind, "heading": s.heading, "start": start, "end": end})


def _chunks(text: str, limit: int = MAX_SECTION_CHARS) -> list[tuple[int, str]]:
    """Paragraph-aligned pieces of at most ``limit`` characters, with their offsets."""
    if len(text) <= limit:
        return [(0, text)]
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + limit, len(text))
        if end < len(text):
            cut = text.rfind("\n", start + limit // 2, end)
            end = cut + 1 if cut != -1 else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def _ask_model(doc: Document, sections: Iterable[Section], engine: Engine, record: ReportRecord) -> None:
    assert engine.client is not None and engine.prompt is not None
    client, prompt = engine.client, engine.prompt
    hybrid = engine.provider == "hybrid"
    plan: list[tuple[Section, int, str, list[str], bool]] = []
    era = _era_filter(record.meta.template)
    for sec in sections:
        body = doc.normalized[sec.start : sec.end]
        codes = [c for c in SECTION_CODES.get(sec.kind, []) if era(c) and relevant(c, body)]
        if hybrid:
            # what the rules read in this very section is settled; a figure they read elsewhere (a 附表, say)
            # is asked again here, so prose and table cross-check (a disagreement becomes a finding)
            codes = [c for c in codes if not _read_here(record, c, sec.kind)]
        wants_lists = sec.kind in LIST_SECTIONS and not (hybrid and (record.problems or record.improvements))
        if codes or wants_lists:
            plan.extend(
                (sec, offset, piece, codes, wants_lists)
                for offset, piece in _chunks(doc.normalized[sec.start : sec.end])
            )
    if not plan:
        return
    # the sections of one report are independent questions: ask them side by side (the client bounds how many
    # calls are in flight), then merge the answers in document order so the record does not depend on timing
    pool = ThreadPoolExecutor(max_workers=max(1, min(len(plan), engine.parallel_asks)))
    try:
        futures = [
            pool.submit(client.ask, prompt, sec.kind, piece, codes, lists=lists) for sec, _, piece, codes, lists in plan
        ]
        wait(futures)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: never wait for a model call to finish
        raise
    pool.shutdown()
    pending: list[tuple[str, Quantity]] = []  # model values that passed the quote checks, in document order
    for (sec, offset, piece, _, wants_lists), future in zip(plan, futures, strict=True):
        try:
            result = future.result()  # transport failures propagate: the report is retried on resume
        except ModelOutputError as e:
            # one section's answer stayed unusable (invalid after re-asks, or cut at the token limit): the
            # report keeps everything else, and says which section the model could not answer
            record.findings.append(
                Finding(check="model.section_failed", severity="warning", message=e.one_line(), cells=[])
            )
            continue
        record.usage.add(result.usage)
        if result.answer is None:
            continue
        base = sec.start + offset
        for key, value in result.answer:
            if value is None or key in ("problems", "improvements"):
                continue
            got = _model_value(doc, record, sec.kind, CODE_OF_KEY[key], str(value), piece, base, result, engine)
            if got is not None:
                pending.append(got)
        if wants_lists:
            for name in ("problems", "improvements"):
                items = getattr(result.answer, name, None) or []
                getattr(record, name).extend(
                    _model_item(doc, sec.kind, str(i), piece, base, engine) for i in items if str(i).strip()
                )
    _settle(record, pending)


def _settle(record: ReportRecord, pending: list[tuple[str, Quantity]]) -> None:
    """Let the model values that passed the quote checks into the tree, one at a time, unless the rules' derived
    values or another answer hold the code, or the value breaks an identity that held without it (extractor.gate);
    the others become candidates."""
    tree = record.indicators
    identities.derive(tree)  # what the rules' values imply, before any model value
    held = gate.failing(tree)
    for code, q in pending:
        current = tree.get(code)
        if current is not None:
            if current.value != q.value:
                what = "the identities derive" if current.derived else f"another {current.engine} answer read"
                _candidate(record, code, q, f"{what} {current.value}")
                record.findings.append(
                    Finding(
                        check="model.contradicts_derived" if current.derived else "conflicting_values",
                        severity="warning",
                        message=f"{code}: {what} {current.value}, the model read {q.value} "
                        f"({q.source.quote or q.raw!r}); the {'derived' if current.derived else 'first'} value is kept",
                        expected=current.value,
                        found=q.value,
                        cells=[code],
                        suspects=[code],
                    )
                )
            continue
        broken = gate.breaks_identity(tree, code, q, held)
        if broken is not None:
            _candidate(record, code, q, f"it would break {broken.check}: {broken.message}")


def _candidate(record: ReportRecord, code: str, q: Quantity, reason: str) -> None:
    q.status, q.reason = "candidate", reason
    record.alternates.setdefault(code, []).append(q)


def _era_filter(template: str) -> Callable[[str], bool]:
    """Only ask for codes the report's template can hold (codebook eras): a 2020 report has no 附表 channels."""
    allowed = era_codes(template)
    return (lambda code: True) if allowed is None else allowed.__contains__


def _read_here(record: ReportRecord, code: str, kind: SectionKind) -> bool:
    q = record.indicators.get(code)
    return q is not None and (q.source.section == kind or q.source.section is None)


def _locate(quote: str, text: str) -> tuple[int, int] | None:
    """The span of ``quote`` in ``text``, ignoring whitespace differences."""
    target = squash(quote)
    if not target:
        return None
    index = [i for i, ch in enumerate(text) if not ch.isspace()]
    squashed = "".join(text[i] for i in index)
    at = squashed.find(target)
    if at == -1:
        return None
    return index[at], index[at + len(target) - 1] + 1


def _model_value(
    doc: Document,
    record: ReportRecord,
    kind: SectionKind,
    code: str,
    quote: str,
    piece: str,
    base: int,
    result: Any,
    engine: Engine,
) -> tuple[str, Quantity] | None:
    """A model's answer for one code as a quantity; returned for :func:`_settle` when it passed the quote checks
    (extractor.gate rules 1-4), else kept as a candidate (or, beside a rules value, as a disagreement)."""
    number = number_in(code, squash(quote))
    if number is None:
        return None
    span = _locate(quote, piece)
    source = Source(section=kind, quote=quote)
    if span is not None:
        o_start, o_end = doc.to_original(base + span[0], base + span[1])
        source = Source(section=kind, start=o_start, end=o_end, quote=doc.original[o_start:o_end])
    value: int | float = number.value
    unit = codebook()[code].unit
    if unit == "元" and number.unit in ("万元", "亿元"):
        value = to_yuan(number.value, number.unit)
    q = Quantity(
        value=value,
        unit=unit,
        qualifier=number.qualifier,
        raw=number.raw,
        source=source,
        engine="model",
        model=engine.model_name,
        grounded=span is not None,
        verified=bool(result.verified) and span is not None,
    )
    current = record.indicators.get(code)
    if current is not None:  # the rules read it: their value stays, the model's is a candidate
        if current.value != q.value:
            _candidate(record, code, q, f"the {current.engine} read {current.value}")
            record.findings.append(
                Finding(
                    check="hybrid.disagreement" if current.engine == "rules" else "conflicting_values",
                    severity="warning",
                    message=f"{code}: {current.engine} read {current.value}, the model read {q.value}; "
                    f"the {current.engine} value is kept",
                    expected=current.value,
                    found=q.value,
                    cells=[code],
                    suspects=[code],
                )
            )
        return None
    if span is None:
        _candidate(record, code, q, "the quote is not in the section text")
    elif not q.verified:
        _candidate(record, code, q, "the answer stayed invalid after its re-asks")
    elif (problem := gate.quote_problem(code, quote, number)) is not None:
        _candidate(record, code, q, problem)
    else:
        return code, q
    return None


def _model_item(doc: Document, kind: SectionKind, text: str, piece: str, base: int, engine: Engine) -> TextItem:
    span = _locate(text, piece)
    source = Source(section=kind)
    if span is not None:
        o_start, o_end = doc.to_original(base + span[0], base + span[1])
        source = Source(section=kind, start=o_start, end=o_end)
    return TextItem(text=text, source=source, engine="model", model=engine.model_name, grounded=span is not None)


# ---------------------------------------------------------------------------------------------------------------
# Bulk runs


def expand_inputs(inputs: Iterable[Path], unsupported: list[Path] | None = None) -> Iterator[Path]:
    """Files as given, and the supported files inside folders (recursively, sorted). A folder's files of other
    types are appended to ``unsupported`` when it is given, so a run can name what it left out."""
    for item in inputs:
        if item.is_dir():
            for p in sorted(p for p in item.rglob("*") if p.is_file()):
                if supported(p):
                    yield p
                elif unsupported is not None:
                    unsupported.append(p)
        else:
            yield item


def prepare_out_dir(out_dir: Path) -> None:
    """Create the output folder, or say in one line why it cannot be used."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(out_dir, "exists and is not a folder; pass -o a folder (new or existing)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as e:
        raise OutputError(out_dir, f"cannot write the output folder: {e.strerror or e}") from None


@dataclass
class RunStats:
    reports: int = 0
    skipped: int = 0
    failed: int = 0
    sections: int = 0
    values: int = 0
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "reports": self.reports,
            "skipped_already_done": self.skipped,
            "failed": self.failed,
            "sections": self.sections,
            "values": self.values,
            "model_calls": self.usage.model_calls,
            "cache_hits": self.usage.cache_hits,
            "prompt_tokens": self.usage.prompt_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "seconds": round(self.seconds, 2),
        }


def _done_reports(records: Path) -> set[str]:
    """Reports already in records.jsonl; a torn last line (a killed run) is cut off first, damaged lines skipped."""
    if not records.exists():
        return set()
    _truncate_torn_tail(records)
    return {data["report"] for _, data in _record_lines(records)}


def _done_records(records: Path) -> dict[str, tuple[str, str, str]]:
    """Report name -> (content hash, path, provider) of every record in records.jsonl (the last one of a name);
    a torn last line (a killed run) is cut off first, damaged lines are skipped."""
    if not records.exists():
        return {}
    _truncate_torn_tail(records)
    return {
        data["report"]: (str(data.get("sha256", "")), str(data.get("path", "")), str(data.get("provider", "")))
        for _, data in _record_lines(records)
    }


def _file_sha256(path: Path) -> str | None:
    """The file's content hash as read_document records it, or None when it cannot be read (process says why)."""
    digest = hashlib.sha256()
    try:
        if not path.is_file():
            return None
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _keep_latest(records: Path, names: set[str]) -> None:
    """Rewrite records.jsonl with only the last record of each of ``names`` (an edited file's new record)."""
    last: dict[str, int] = {}
    for number, data in _record_lines(records):
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
    with _atomic(records) as fh:
        fh.writelines(keep)


def _truncate_torn_tail(path: Path) -> None:
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


class _Appender:
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


def run(
    inputs: list[Path],
    out_dir: Path,
    engine: Engine,
    *,
    concurrency: int = 1,
    on_progress: Callable[[RunStats, str], None] | None = None,
    candidates: bool = False,
) -> RunStats:
    """Extract every input into ``out_dir``; skip reports already finished there; isolate failures. The long table
    holds the accepted values; ``candidates`` adds the model values the gate kept out (status column)."""
    prepare_out_dir(out_dir)
    with _folder_lock(out_dir):
        return _run(inputs, out_dir, engine, concurrency=concurrency, on_progress=on_progress, candidates=candidates)


@contextmanager
def _folder_lock(out_dir: Path) -> Iterator[None]:
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


def _run(
    inputs: list[Path],
    out_dir: Path,
    engine: Engine,
    *,
    concurrency: int = 1,
    on_progress: Callable[[RunStats, str], None] | None = None,
    candidates: bool = False,
) -> RunStats:
    records_path, errors_path = out_dir / "records.jsonl", out_dir / "errors.jsonl"
    done = _done_records(records_path)
    others = sorted({provider for _, _, provider in done.values()} - {engine.provider})
    if others:
        raise OutputError(
            out_dir,
            f"holds records made with --provider {', '.join(others)}; this run's {engine.provider} records would mix "
            "with them: write to another folder (-o)",
        )
    previous_errors = _read_errors(errors_path)
    stats = RunStats()
    started = time.perf_counter()
    seen: dict[str, str] = {}  # report name -> content hash, this run
    superseded: set[str] = set()  # reports whose file changed since their record: the old record goes
    errors: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    def pending() -> Iterator[tuple[Path, str]]:
        """Each input with its report name: the file's stem, or ``stem~<hash>`` when another file of that stem
        was extracted first. Resume keys on the content: a file extracted before (wherever it lies now) is skipped,
        an edited one is extracted again."""
        for path in expand_inputs(inputs):
            name, digest = path.stem, _file_sha256(path)
            if digest is not None:
                prev = done.get(name)
                if prev is not None and prev[0] != digest and prev[1] != str(path):
                    name = f"{name}~{digest[:8]}"  # a different file with a used stem: both kept, apart
                    prev = done.get(name)
                if prev is not None:
                    if prev[0] == digest:
                        stats.skipped += 1
                        continue
                    superseded.add(name)  # the same file, edited since
                if name in seen:
                    if seen[name] == digest:
                        stats.skipped += 1  # the same content twice in one run
                        continue
                    name = f"{name}~{digest[:8]}"
            elif name in seen:
                name = f"{name}~{len(seen)}"
            seen[name] = digest or ""
            yield path, name

    # A model-free run is CPU-bound Python: threads would share one core (the GIL), so its reports go to worker
    # processes. Model runs wait on HTTP: threads, one client. Either way a worker returns the record as its
    # records.jsonl line and its CSV rows.
    in_processes = concurrency > 1 and not engine.uses_model

    def new_pool() -> Executor:
        if in_processes:
            return ProcessPoolExecutor(
                max_workers=concurrency, mp_context=_worker_context(), initializer=_worker_ignores_interrupts
            )
        return ThreadPoolExecutor(max_workers=concurrency)

    pool = new_pool()
    worker_engine = Engine(engine.provider) if in_processes else engine  # nothing of a client crosses over
    # Into an empty folder the CSV rows are written as reports finish (to files moved into place at the end);
    # a run that resumes rebuilds the CSVs from records.jsonl at the end, the earlier runs' records included.
    streaming = not (records_path.exists() and records_path.stat().st_size > 0)
    interrupted = False

    def on_interrupt(kind: type[BaseException] | None, *_: object) -> None:
        nonlocal interrupted
        interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)

    with ExitStack() as stack:
        out = _Appender(stack.enter_context(records_path.open("a", encoding="utf-8")))
        stack.callback(out.close)
        # the pool of the moment (a broken one is replaced); after Ctrl-C nothing waits for a running model call
        # worker processes finish their report and exit (waited for: they hold the terminal); threads in a model call
        # are not waited for after Ctrl-C
        stack.callback(lambda: pool.shutdown(wait=in_processes or not interrupted, cancel_futures=interrupted))
        stack.push(on_interrupt)  # exits run last in, first out: this one before the pool's shutdown above
        if streaming:
            ind_fh, fnd_fh = stack.enter_context(_table_files(out_dir))
        inflight: dict[Future[_Done], tuple[Path, str]] = {}
        source = pending()
        exhausted = False
        while True:
            while not exhausted and len(inflight) < concurrency * 2:
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                    break
                inflight[pool.submit(_finish, nxt[0], worker_engine, nxt[1], candidates)] = nxt
            if not inflight:
                break
            finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken = False
            for fut in finished:
                path, name = inflight.pop(fut)
                try:
                    result = fut.result()
                except (BrokenProcessPool, CancelledError):
                    # a worker died (killed, out of memory): which report it held is unknown, so each report
                    # the pool held fails alike, and a rerun tries them again
                    broken = True
                    message = f"{path}: a worker process died while the pool held this report (killed or out of memory)"
                    result = _Done(error={"error": "WorkerDied", "message": message})
                if result.error is not None:
                    with lock:
                        errors[name] = {"report": name, "path": str(path), **result.error}
                        stats.failed += 1
                    if on_progress:
                        on_progress(stats, f"failed {path.name}")
                    continue
                out.append(result.line)
                if streaming:
                    ind_fh.write(result.rows)
                    fnd_fh.write(result.findings)
                stats.reports += 1
                stats.sections += result.sections
                stats.values += result.values
                stats.usage.add(result.usage)
                if on_progress:
                    on_progress(stats, path.name)
            if broken:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool()
    if superseded:
        _keep_latest(records_path, superseded)
    kept = {k: v for k, v in previous_errors.items() if k not in seen and k not in _done_reports(records_path)}
    _write_jsonl_atomic(errors_path, [*kept.values(), *errors.values()])
    if not streaming:
        export_tables(out_dir, candidates=candidates)
    stats.seconds = time.perf_counter() - started
    return stats


@dataclass(frozen=True, slots=True)
class _Done:
    """A worker's answer: the record as its records.jsonl line and its CSV rows, or what went wrong
    (``describe``'s dict: exceptions with arguments of their own do not always survive pickling)."""

    line: str = ""
    sections: int = 0
    values: int = 0
    usage: Usage = field(default_factory=Usage)
    rows: str = ""  # indicators.csv rows, as CSV text
    findings: str = ""  # findings.csv rows, as CSV text
    error: dict[str, Any] | None = None


def _finish(path: Path, engine: Engine, name: str | None = None, candidates: bool = False) -> _Done:
    """:func:`process`, and the record made ready to write, in a worker thread or process; ``name`` is the report's
    name when it is not the file's stem (another file of that stem came first)."""
    try:
        record = process(path, engine)
        if name is not None and name != record.report:
            record.report = name
    except (ExtractorError, OSError) as e:
        return _Done(error=describe(e if isinstance(e, ExtractorError) else InputError(path, str(e))))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:
        return _Done(error=describe_unexpected(e, path))
    return _Done(
        record.model_dump_json(),
        len(record.sections),
        len(record.indicators.reported()),
        record.usage,
        _csv_text(tuple(row[c] for c in INDICATOR_COLUMNS) for row in indicator_rows(record, candidates=candidates)),
        _csv_text(finding_rows(record)),
    )


def _csv_text(rows: Iterable[tuple[Any, ...]]) -> str:
    """Rows as csv.writer writes them to a file opened with newline="" (made in the worker, written as is)."""
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def _worker_ignores_interrupts() -> None:
    """Ctrl-C reaches the whole process group: the workers leave it to the parent, which stops the run (and
    the pool) once, instead of each printing a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers fork from a clean server with the pipeline imported, never from
    a parent that runs threads (a progress bar) and may hold their locks; spawn elsewhere."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["extractor.pipeline"])
        return context
    return multiprocessing.get_context("spawn")


def _read_errors(path: Path) -> dict[str, dict[str, Any]]:
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


def _write_jsonl_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    with _atomic(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


class _atomic:
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
    for number, data in _record_lines(out_dir / "records.jsonl", damaged):
        try:
            yield ReportRecord.model_validate(data)
        except ValidationError:
            if damaged is not None:
                damaged.append(number)


def _record_lines(path: Path, damaged: list[int] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
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
    """findings.csv rows of a record, in FINDING_COLUMNS order."""
    return [
        (record.report, f.check, f.severity, f.message, "" if f.expected is None else f.expected,
         "" if f.found is None else f.found, ";".join(f.cells), ";".join(f.suspects))
        for f in record.findings
    ]  # fmt: skip


def indicator_rows(record: ReportRecord, *, candidates: bool = False) -> Iterator[dict[str, Any]]:
    """The long table's rows of a record: its meta, every value of its tree (status accepted), its list items, and
    with ``candidates`` the model values the gate kept out of the tree (status candidate)."""
    meta = record.meta
    for code, key in _META_ROWS:
        value = getattr(meta, key)
        if value is not None:
            yield {
                "report": record.report,
                "code": code,
                "value": value,
                "unit": "year" if code == "meta.year" else "",
                "qualifier": "exact",
                "derived": False,
                "engine": "rules",
                "quote": "",
                "start": "",
                "end": "",
                "status": "accepted",
            }
    held = list(record.indicators.items())
    if candidates:
        held += [(code, q) for code, qs in record.alternates.items() for q in qs if q.status == "candidate"]
    for code, q in held:
        yield {
            "report": record.report,
            "code": code,
            "value": "" if q.value is None else q.value,
            "unit": q.unit,
            "qualifier": q.qualifier,
            "derived": q.derived,
            "engine": q.engine,
            "quote": q.source.quote or q.raw,
            "start": "" if q.source.start is None else q.source.start,
            "end": "" if q.source.end is None else q.source.end,
            "status": q.status,
        }
    for name in ("problems", "improvements"):
        for item in getattr(record, name):
            yield {
                "report": record.report,
                "code": name,
                "value": item.text,
                "unit": "",
                "qualifier": "exact",
                "derived": False,
                "engine": item.engine,
                "quote": item.text,
                "start": "" if item.source.start is None else item.source.start,
                "end": "" if item.source.end is None else item.source.end,
                "status": "accepted",
            }


@contextmanager
def _table_files(out_dir: Path) -> Iterator[tuple[Any, Any]]:
    """indicators.csv and findings.csv open under temporary names with their headers written, moved into place
    when the block ends without an exception."""
    with _atomic(out_dir / "indicators.csv") as ind, _atomic(out_dir / "findings.csv") as fnd:
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
    with _table_files(out_dir) as (ind, fnd):
        iw, fw = csv.writer(ind), csv.writer(fnd)
        if not path.exists():
            return
        for _, data in _record_lines(path):  # damaged lines and a torn last line are not records
            try:
                rows, finds = list(_indicator_rows_of(data, candidates=candidates)), list(_finding_rows_of(data))
            except (KeyError, TypeError, AttributeError, ValueError):
                continue
            iw.writerows(rows)
            fw.writerows(finds)


_META_ROWS = (("meta.issuer", "issuer"), ("meta.year", "year"), ("meta.template", "template"), ("meta.scope", "scope"))


@cache
def _code_paths() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((code, tuple(code.split("."))) for code in quantity_codes())


def _indicator_rows_of(data: dict[str, Any], *, candidates: bool = False) -> Iterator[tuple[Any, ...]]:
    """:func:`indicator_rows` of a record given as its JSON, as tuples in INDICATOR_COLUMNS order."""
    report = data["report"]
    meta = data["meta"]
    for code, key in _META_ROWS:
        value = meta.get(key)
        if value is not None:
            yield (report, code, value, "year" if code == "meta.year" else "", "exact", False, "rules", "", "", "",
                   "accepted")  # fmt: skip
    tree = data["indicators"]
    for code, path in _code_paths():
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


def _finding_rows_of(data: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    report = data["report"]
    for f in data["findings"]:
        yield (report, f["check"], f["severity"], f["message"], "" if f["expected"] is None else f["expected"],
               "" if f["found"] is None else f["found"], ";".join(f["cells"]), ";".join(f["suspects"]))  # fmt: skip


def make_engine(settings: Settings, *, notice: Callable[[str], None] | None = None) -> Engine:
    """The engine for these settings. ``hybrid`` without a local model falls back to ``rules`` with a notice."""
    if settings.provider == "rules":
        return Engine("rules")  # before importing the model client: openai and instructor take ~1.5 s to load
    from .cache import ResponseCache
    from .errors import ModelUnavailable
    from .llm import ModelClient, open_endpoint
    from .prompts import load_prompt

    prompt = load_prompt(settings.prompt)
    try:
        endpoint = open_endpoint(settings)
    except ModelUnavailable as e:
        if settings.provider != "hybrid":
            raise
        if notice:
            notice(f"{e.one_line()}. Falling back to the rules provider.")
        return Engine("rules")
    cache = ResponseCache() if settings.cache else None
    client = ModelClient(endpoint, settings, cache=cache, max_in_flight=settings.concurrency)
    return Engine(
        settings.provider,
        client=client,
        prompt=prompt,
        model_name=endpoint.identity,
        parallel_asks=settings.concurrency,
    )
