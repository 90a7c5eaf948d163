"""One report, from its document to its record: sections, the rules, the model pass, the identities."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from . import identities, rules
from .documents import Document, read_document
from .engine import Engine
from .errors import (
    NotAReportError,
)
from .meta import detect_issuer, detect_scope
from .model_pass import ask_model
from .models import (
    Finding,
    Indicators,
    Meta,
    ReportRecord,
    SectionInfo,
    construct,
)
from .sections import Section, looks_like_report, split_sections
from .templates import identity_groups


def process(path: Path, engine: Engine) -> ReportRecord:
    """Read, split and extract one report. Raises InputError/NotAReportError for bad input."""
    started = time.perf_counter()
    doc = read_document(path, ocr=engine.ocr)
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
        ask_model(doc, split.sections, engine, record)
    # the rules' values are the tree's when no model added to it: derive need not walk the tree for them
    held = dict(found.values) if found is not None and not engine.uses_model else None
    reported = identities.derive(record.indicators, held)
    groups = identity_groups(split.template)
    checked = identities.check(record.indicators, reported, groups)
    if _sentences_give_way(record, checked):
        _rederive(record.indicators)
        checked = identities.check(record.indicators, None, groups)
    record.findings.extend(checked)
    if doc.ocr:
        _distrust_ocr(record, checked)
        record.findings.extend(_doubtful_reads(record, doc.doubtful))
    record.seconds = round(time.perf_counter() - started, 3)
    return record


def _section_info(doc: Document, s: Section) -> SectionInfo:
    start, end = doc.to_original(s.start, s.end) if s.end > s.start else (s.start, s.start)
    # SectionInfo(kind=..., heading=..., start=..., end=...) without validating: typed already, never negative
    return construct(SectionInfo, {"kind": s.kind, "heading": s.heading, "start": start, "end": end})


def _doubtful_reads(record: ReportRecord, doubtful: tuple[tuple[int, int, float], ...]) -> list[Finding]:
    """A finding for every value read from text that OCR recognised with a low score (the view marks them too)."""
    out: list[Finding] = []
    for code, q in record.indicators.items():
        start, end = q.source.start, q.source.end
        if start is None or end is None:
            continue
        low = [score for a, b, score in doubtful if a < end and start < b]
        if low:
            out.append(Finding(check="ocr.low_confidence", severity="warning",
                               message=f"{code}: {q.raw or q.value!r} was read by OCR with a score of {min(low):.2f}",
                               found=q.value, cells=[code], suspects=[code]))  # fmt: skip
    return out


def _distrust_ocr(record: ReportRecord, checked: list[Finding]) -> None:
    """Text read by OCR: a misread digit ("9" for "6") breaks the identities its cell is in, where a printed error
    would be the report's own. So every cell of a failed identity becomes a candidate (kept in alternates with the
    reason), and the values derived from the cells become derived again from what is left."""
    tree = record.indicators
    for f in checked:
        if f.severity != "error":
            continue
        for code in f.cells:
            q = tree.get(code)
            if q is not None and not q.derived and q.status == "accepted":
                q.status, q.reason = "candidate", f"read by OCR, and {f.check} fails: {f.message}"
                record.alternates.setdefault(code, []).append(q)
                tree.set(code, None)
    _rederive(tree)


def _rederive(tree: Indicators) -> None:
    """Derive again from what the tree holds now (values taken out leave their derived ones behind otherwise)."""
    for code, q in list(tree.items()):
        if q.derived:
            tree.set(code, None)
    identities.derive(tree)


def _sentences_give_way(record: ReportRecord, checked: list[Finding]) -> bool:
    """A figure read from a sentence that a table contradicts gives way to the table. When an identity fails and
    exactly one of its cells was read by the rules from a sentence, the others being table cells (printed, or
    derived from them) that fail no identity without it, the sentence's value becomes a candidate whose reason names
    the identity, and a finding says so; what the table implies is derived in its place. (Shanghai 2020:
    "一审行政诉讼案件687件" read as litigation.total, where 表四's blocks add up to 731.)"""
    tree = record.indicators
    errors = [f for f in checked if f.severity == "error"]
    chosen: dict[str, Finding] = {}
    for f in errors:
        sentences = [c for c in f.cells if (q := tree.get(c)) is not None and not q.derived and q.source.table is None]
        if len(sentences) != 1 or tree.get(sentences[0]).engine != "rules":  # type: ignore[union-attr]
            continue
        code = sentences[0]
        table = set(f.cells) - {code}
        if any(code not in g.cells and table.intersection(g.cells) for g in errors):
            continue  # the table cells fail on their own: no reason to trust them over the sentence
        chosen.setdefault(code, f)
    for code, f in chosen.items():
        q = tree.get(code)
        assert q is not None
        q.status, q.reason = "candidate", f"a table contradicts it: {f.check} fails: {f.message}"
        record.alternates.setdefault(code, []).append(q)
        tree.set(code, None)
        record.findings.append(
            Finding(
                check="table_over_sentence",
                severity="warning",
                message=f"{code}: the sentence {q.source.quote or q.raw!r} reads {q.value}, but {f.check} fails with "
                f"it ({f.message}); the table's value is kept, the sentence's is a candidate",
                found=q.value,
                cells=list(f.cells),
                suspects=[code],
            )
        )
    return bool(chosen)
