"""Table blocks the rules could not complete, asked of a capable endpoint one block at a time (issue 13, item 3).

A block is a row of 表三 (its seven applicant columns) or a block of 表四 (its five outcome columns), as the report's
template declares them (``extractor.templates``). A block is asked when the report prints its table (the rules
read some of the table's cells) but not every cell of this block; the rules' values are never replaced. The
answer's cells are checked against every identity through them (I1–I4), with the rules' values around them: an
answer that breaks one is re-asked with a message that names the identity and its cells and values. Its cells are
accepted only when every identity through them holds and at least one of those is complete (all its cells have a
value); otherwise they stay candidates, out of the panel.

Off unless asked for (``--table-asks``), and refused for the embedded model: the small local models cannot read a
table row (they take a component for a total and cannot split run-together digits; README, "The model's values").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from . import gate, identities, templates
from .codebook import codebook
from .documents import Document
from .engine import Engine
from .errors import ModelOutputError
from .fields import BlockAnswer, TableBlock, locate
from .models import APPLICANT_COLUMNS, OUTCOME_COLUMNS, Finding, Indicators, Quantity, ReportRecord, Source, Usage
from .sections import Section

MAX_BLOCK_TEXT = 6000  # characters of a section sent with a block; a longer one is cut around the table


def blocks(template: str) -> list[TableBlock]:
    """The table blocks of a template (none for hybrid or unknown: which grammar would they follow?)."""
    t = templates.get(template)
    if t is None:
        return []
    allowed = templates.era_codes(template) or frozenset()
    g = t.grammar
    out: list[TableBlock] = []
    for row in g.t3_rows:
        codes = tuple(f"requests.{row.code}.{c}" for c in APPLICANT_COLUMNS)
        if all(c in allowed for c in codes):
            out.append(TableBlock(f"表三 {row.label}", row.label, "requests", codes, APPLICANT_COLUMNS, g.t3_columns))
    for prefix, label in g.t4_blocks:
        codes = tuple(f"{prefix}.{c}" for c in OUTCOME_COLUMNS)
        if all(c in allowed for c in codes):
            out.append(TableBlock(f"表四 {label}", label, "review_litigation", codes, OUTCOME_COLUMNS, g.t4_columns))
    return out


def incomplete(tree: Indicators, candidates: Iterable[TableBlock]) -> list[TableBlock]:
    """The blocks whose table the rules read (some cell of it) but not every cell of the block."""
    reported = tree.reported()
    tables = {
        "表三": any(c.startswith("requests.") and c.count(".") >= 2 for c in reported),
        "表四": any(c.startswith(("review.", "litigation.")) and c.count(".") == 1 for c in reported),
    }
    return [b for b in candidates if tables[b.title[:2]] and any(c not in reported for c in b.codes)]


def ask_tables(doc: Document, sections: Iterable[Section], engine: Engine, record: ReportRecord) -> None:
    """Ask the blocks the rules left incomplete, one at a time, and let in what the identities confirm."""
    assert engine.client is not None and engine.prompt is not None
    todo = incomplete(record.indicators, blocks(record.meta.template))
    if not todo:
        return
    by_kind: dict[str, list[Section]] = {}
    for sec in sections:
        by_kind.setdefault(sec.kind, []).append(sec)
    groups = templates.identity_groups(record.meta.template)
    lock = threading.Lock()
    engine.activity.plan(len(todo))
    for block in todo:
        place = _text_of(doc, by_kind.get(block.section, []), block)
        if place is None:
            engine.activity.answered()
            continue
        base, text = place
        guessed = frozenset(c for c in block.codes if gate.ambiguous_reading(record.alternates, c) is not None)
        try:
            result = engine.client.ask_block(
                engine.prompt, block, text, _checker(record.indicators, block, groups, lock, guessed)
            )
        except ModelOutputError as e:
            record.findings.append(Finding(check="model.block_failed", severity="warning", message=e.one_line()))
            record.usage.add(Usage(model_calls=e.attempts))
            continue
        finally:
            engine.activity.answered()
        record.usage.add(result.usage)
        if isinstance(result.answer, BlockAnswer):
            _settle_block(doc, record, block, result.answer, bool(result.verified), base, text, engine, groups, guessed)


def _text_of(doc: Document, sections: list[Section], block: TableBlock) -> tuple[int, str] | None:
    """(offset, text) of the section holding the block's table: the first of its kind that prints the block's
    label (whitespace aside), cut to ``MAX_BLOCK_TEXT`` characters around the label when longer."""
    label = block.label.split()[-1][-4:]  # the label's last words: "(一)予以公开" may be printed "予以公开"
    for sec in sections:
        body = doc.normalized[sec.start : sec.end]
        span = locate(label, body)
        if span is None:
            continue
        if len(body) <= MAX_BLOCK_TEXT:
            return sec.start, body
        start = max(0, min(span[0] - MAX_BLOCK_TEXT // 3, len(body) - MAX_BLOCK_TEXT))
        return sec.start + start, body[start : start + MAX_BLOCK_TEXT]
    return None


def _trial(tree: Indicators, block: TableBlock, answer: BlockAnswer, guessed: frozenset[str]) -> list[str]:
    """Put the answer's cells the tree lacks into ``tree`` (the caller takes them out again); their codes. The
    cells in ``guessed`` (their row splits several ways in the text) are left out: a copy of them is a guess, and
    nothing is confirmed through it."""
    put: list[str] = []
    for code, value in zip(block.codes, answer.cells().values(), strict=True):
        if value is not None and tree.get(code) is None and code not in guessed:
            tree.set(code, Quantity(value=value, unit=codebook()[code].unit, engine="model"))
            put.append(code)
    return put


def _verdict(
    tree: Indicators,
    block: TableBlock,
    answer: BlockAnswer,
    groups: tuple[templates.IdentityGroup, ...],
    guessed: frozenset[str],
) -> tuple[list[Finding], list[str]]:
    """The identity errors through the block's cells with the answer in the tree, and the complete identities
    through them."""
    put = _trial(tree, block, answer, guessed)
    try:
        broken = [
            f
            for f in identities.check(tree, groups=groups)
            if f.severity == "error" and set(f.cells).intersection(block.codes)
        ]
        complete = identities.complete_through(tree, block.codes, groups)
    finally:
        for code in put:
            tree.set(code, None)
    return broken, complete


def _checker(
    tree: Indicators,
    block: TableBlock,
    groups: tuple[templates.IdentityGroup, ...],
    lock: threading.Lock,
    guessed: frozenset[str],
) -> Callable[[BlockAnswer], list[str]]:
    """What a re-ask tells the model: each identity the answer breaks, with its cells and their values."""

    def check(answer: BlockAnswer) -> list[str]:
        with lock:
            broken, _ = _verdict(tree, block, answer, groups, guessed)
        return [f"{f.check} 不成立：{f.message}" for f in broken]

    return check


def _settle_block(
    doc: Document,
    record: ReportRecord,
    block: TableBlock,
    answer: BlockAnswer,
    verified: bool,
    base: int,
    text: str,
    engine: Engine,
    groups: tuple[templates.IdentityGroup, ...],
    guessed: frozenset[str],
) -> None:
    tree = record.indicators
    broken, complete = _verdict(tree, block, answer, groups, guessed)
    reason = None
    if broken or not verified:
        reason = f"it breaks {broken[0].check}: {broken[0].message}" if broken else "its answer stayed invalid"
    elif not complete:
        reason = "no identity through its cells is complete, so nothing confirms it"
    source = _row_source(doc, block, answer, base, text)
    for code, column, label in zip(block.codes, block.columns, block.labels, strict=True):
        value = getattr(answer, column)
        if value is None or tree.get(code) is not None:
            continue
        q = Quantity(
            value=value,
            unit=codebook()[code].unit,
            raw=str(value),
            source=source.model_copy(update={"column": label}),
            engine="model",
            model=engine.model_name,
            grounded=True,
            verified=verified,
        )
        if reason is None and code not in guessed:
            tree.set(code, q)
        else:
            q.status, q.reason = "candidate", reason or "its table row splits several ways: the model's copy is a guess"
            record.alternates.setdefault(code, []).append(q)


def _row_source(doc: Document, block: TableBlock, answer: BlockAnswer, base: int, text: str) -> Source:
    """Where the row the model copied is printed (the schema has checked that it is in ``text``)."""
    source = Source(section=block.section, table=block.title[:2], row=block.label, quote=answer.row)
    span = locate(answer.row or "", text)
    if span is None:
        return source
    start, end = doc.to_original(base + span[0], base + span[1])
    return source.model_copy(update={"start": start, "end": end, "quote": doc.original[start:end]})
