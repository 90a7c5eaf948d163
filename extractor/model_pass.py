"""The model pass of one report: which sections and codes to ask, the answers turned into quantities, and the gate
(:mod:`extractor.gate`) that decides which reach the tree and which stay candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import (
    ThreadPoolExecutor,
    wait,
)
from typing import Any

from . import gate, identities
from .codebook import codebook
from .documents import Document
from .engine import Engine
from .errors import (
    ModelOutputError,
)
from .fields import CODE_OF_KEY, LIST_SECTIONS, SECTION_CODES, locate, number_in, relevant, squash
from .models import (
    Finding,
    Quantity,
    ReportRecord,
    SectionKind,
    Source,
    TextItem,
    Usage,
)
from .numbers import Number, to_yuan
from .sections import Section
from .table_pass import ask_tables
from .templates import era_codes

MAX_SECTION_CHARS = 6000  # longer sections are asked in chunks so a prompt fits an 8k context


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


def ask_model(doc: Document, sections: Iterable[Section], engine: Engine, record: ReportRecord) -> None:
    assert engine.client is not None and engine.prompt is not None
    client, prompt = engine.client, engine.prompt
    sections = tuple(sections)  # walked twice: the sections' asks, then the table blocks'
    hybrid = engine.kind == "hybrid"
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
        _tables_then(doc, sections, engine, record)
        return
    # the sections of one report are independent questions: ask them side by side (the client bounds how many
    # calls are in flight), then merge the answers in document order so the record does not depend on timing
    activity = engine.activity
    activity.plan(len(plan))

    def ask(kind: SectionKind, piece: str, codes: list[str], lists: bool) -> Any:
        try:
            return client.ask(prompt, kind, piece, codes, lists=lists)
        finally:
            activity.answered()  # answered, failed or from the cache: this section is no longer to ask

    pool = ThreadPoolExecutor(max_workers=max(1, min(len(plan), engine.parallel_asks)))
    try:
        futures = [pool.submit(ask, sec.kind, piece, codes, lists) for sec, _, piece, codes, lists in plan]
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
            record.usage.add(Usage(model_calls=e.attempts))  # the calls it took count, whatever came of them
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
    _tables_then(doc, sections, engine, record)


def _tables_then(doc: Document, sections: Iterable[Section], engine: Engine, record: ReportRecord) -> None:
    """After the sections: the table blocks the rules left incomplete, when the engine asks them."""
    if engine.table_asks:
        identities.derive(record.indicators)  # a cell the identities fix is not asked
        ask_tables(doc, sections, engine, record)


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
                check = "model.contradicts_derived" if current.derived else "conflicting_values"
                _disagreement(record, code, current, q, check, what, "derived" if current.derived else "first")
            continue
        broken = gate.breaks_identity(tree, code, q, held)
        if broken is not None:
            _candidate(record, code, q, f"it would break {broken.check}: {broken.message}")


def _disagreement(
    record: ReportRecord, code: str, kept: Quantity, q: Quantity, check: str, what: str, which: str
) -> None:
    """The model's ``q`` differs from the value ``kept`` in the tree: ``q`` becomes a candidate, and a finding names
    both ("{what} {kept}, the model read {q}")."""
    _candidate(record, code, q, f"{what} {kept.value}")
    record.findings.append(
        Finding(
            check=check,
            severity="warning",
            message=f"{code}: {what} {kept.value}, the model read {q.value} ({q.source.quote or q.raw!r}); "
            f"the {which} value is kept",
            expected=kept.value,
            found=q.value,
            cells=[code],
            suspects=[code],
        )
    )


def _candidate(record: ReportRecord, code: str, q: Quantity, reason: str) -> None:
    q.status, q.reason = "candidate", reason
    record.alternates.setdefault(code, []).append(q)


def _era_filter(template: str) -> Callable[[str], bool]:
    """Only ask for codes the report's template can hold (codebook eras): a 2020 report has no 附表 channels."""
    allowed = era_codes(template)
    return (lambda code: True) if allowed is None else allowed.__contains__


def _read_here(record: ReportRecord, code: str, kind: SectionKind) -> bool:
    """Whether the rules read ``code`` in this section: a value, or a table row of it that splits several ways
    (asking the model to split it again would only add a guess)."""
    q = record.indicators.get(code)
    if q is None:
        q = gate.ambiguous_reading(record.alternates, code)
    return q is not None and (q.source.section == kind or q.source.section is None)


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
    (extractor.gate rules 1-4 and 6), else kept as a candidate (or, beside a rules value, as a disagreement)."""
    number = number_in(code, squash(quote))
    if number is None:
        return None
    span = locate(quote, piece)
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
            check = "hybrid.disagreement" if current.engine == "rules" else "conflicting_values"
            _disagreement(record, code, current, q, check, f"the {current.engine} read", current.engine)
        return None
    if span is None:
        _candidate(record, code, q, "the quote is not in the section text")
    elif not q.verified:
        _candidate(record, code, q, "the answer stayed invalid after its re-asks")
    elif (problem := _problem(record, code, quote, number, q.value)) is not None:
        _candidate(record, code, q, problem)
    else:
        return code, q
    return None


def _problem(record: ReportRecord, code: str, quote: str, number: Number, value: int | float | None) -> str | None:
    """Why a grounded, valid answer still cannot stand for ``code`` (extractor.gate rules 2, 3 and 6), or None."""
    return gate.quote_problem(code, quote, number) or gate.guess_problem(record.alternates, code, value)


def _model_item(doc: Document, kind: SectionKind, text: str, piece: str, base: int, engine: Engine) -> TextItem:
    span = locate(text, piece)
    source = Source(section=kind)
    if span is not None:
        o_start, o_end = doc.to_original(base + span[0], base + span[1])
        source = Source(section=kind, start=o_start, end=o_end)
    return TextItem(text=text, source=source, engine="model", model=engine.model_name, grounded=span is not None)
