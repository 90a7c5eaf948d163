"""The development corpus: real reports as published (``eval/corpus/docs``), each with a gold file
(``eval/corpus/gold``), scored per layout class, per template and per report.

A corpus gold file is a seed gold file (:mod:`.gold`) plus where the report came from and what its text looks like:

- ``layout``: the text's physical form (:data:`LAYOUTS`), the axis the table readers are measured on;
- ``origin``: ``real`` (the file as published) or ``variant`` (a real report's content rendered in another layout,
  counted apart); ``variant_of`` names the real one;
- ``source``: repository, path and commit of the file;
- ``source_errors``: identities the report itself breaks (checked: every identity that fails on the labels must be
  listed, so a labelling slip cannot pass as the source's error);
- ``problems``/``improvements`` may be ``null`` (not labelled; not scored).

Quotes are compared with whitespace, HTML tags and entities, ``|`` and backslashes removed on both sides, so a table
row can be quoted as its label and numbers whatever the file puts between the cells (line breaks, ``</td><td>``,
markdown pipes, JavaScript escapes). The document text is the file's own decoded text, or for PDF and .docx what
:func:`extractor.documents.raw_text` extracts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict

from ..codebook import codebook
from ..documents import raw_text
from ..errors import ExtractorError, GoldError
from ..identities import check
from ..models import Finding, Indicators, Quantity, ReportRecord, Scope, TemplateKind
from .gold import Gold, GoldValue, code_problems, known_template, number_in_quote, read_gold
from .score import ReportScore, score_report
from .summary import Counts

Layout = Literal[
    "pdf_text",
    "pdf_scan",
    "html_page",
    "html_in_text",
    "flat_line",
    "cell_per_line",
    "spaced_cells",
    "markdown",
    "docx",
    "prose",
]
LAYOUTS: tuple[Layout, ...] = get_args(Layout)
Origin = Literal["real", "variant"]
NOT_REPORT = "not_report"


def _template_or_not_report(name: str) -> str:
    return name if name == NOT_REPORT else known_template(name)


class SourceRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    repo: str | None = None
    path: str | None = None
    commit: str | None = None


class SourceError(BaseModel):
    """An identity the report itself breaks, as printed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identity: str
    note: str


class CorpusGold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    report: str
    issuer: str
    year: int
    template: Annotated[TemplateKind, AfterValidator(_template_or_not_report)]
    scope: Scope
    layout: Layout
    origin: Origin
    variant_of: str | None = None
    source: SourceRef | None = None
    values: list[GoldValue]
    source_errors: list[SourceError] = []
    problems: list[str] | None = None
    improvements: list[str] | None = None

    def as_gold(self) -> Gold:
        """The seed-gold view the scorer reads (lists that were not labelled become empty and are not scored)."""
        template = "unknown" if self.template == NOT_REPORT else self.template
        return Gold(
            report=self.report,
            issuer=self.issuer,
            year=self.year,
            template=template,
            scope=self.scope,
            values=self.values,
            problems=self.problems or [],
            improvements=self.improvements or [],
        )


@dataclass(frozen=True)
class CorpusEntry:
    gold: CorpusGold
    path: Path


_CLEAN = re.compile(r"<[^>]*>|&(?:nbsp|#160|#xa0|emsp|ensp|thinsp);|\\[nrt]|[\s|\\\u00a0\u3000\u200b]", re.IGNORECASE)


def clean(text: str) -> str:
    """Text with whitespace, tags, space entities, table pipes and escapes removed: how quotes are compared."""
    return _CLEAN.sub("", text)


def load_corpus(root: Path) -> list[CorpusEntry]:
    """Every gold file under ``root/gold`` with its document under ``root/docs``, validated."""
    files = sorted((root / "gold").glob("*.json"))
    if not files:
        raise GoldError(f"{root / 'gold'}: no corpus gold files (*.json)")
    return [load_entry(path, root / "docs") for path in files]


def load_entry(path: Path, docs: Path) -> CorpusEntry:
    gold = read_gold(path, CorpusGold)
    if gold.report != path.stem:
        raise GoldError(f"{path}: report {gold.report!r} does not match the file name")
    matches = sorted(p for p in docs.glob(f"{gold.report}.*") if p.stem == gold.report)
    if len(matches) != 1:
        raise GoldError(f"{path}: expected one document {docs}/{gold.report}.*, found {len(matches)}")
    return CorpusEntry(gold, matches[0])


def label_problems(entry: CorpusEntry) -> list[str]:
    """Every disagreement of a corpus gold file with the codebook, its document and the identities."""
    gold = entry.gold
    problems: list[str] = []
    try:
        text: str | None = clean(raw_text(entry.path))
    except ExtractorError as e:
        if gold.layout != "pdf_scan":
            return [f"cannot read the document: {e.one_line()}"]
        text = None  # a scan's quotes are read off the page images; only OCR can check them
    problems.extend(code_problems(gold.values, gold.template))
    for v in gold.values:
        entry_ = codebook().get(v.code)
        if entry_ is None or text is None:
            continue
        if not clean(v.quote) or clean(v.quote) not in text:
            problems.append(f"{v.code}: quote {v.quote[:60]!r} is not in the document")
        elif not _printed(v.value, v.quote, entry_.unit):
            problems.append(f"{v.code}: value {v.value} is not printed in its quote {v.quote[:60]!r}")
    for name in ("problems", "improvements"):
        for item in getattr(gold, name) or []:
            if text is not None and clean(item) not in text:
                problems.append(f"{name}: item {item[:30]!r} is not in the document")
    listed = {e.identity for e in gold.source_errors}
    for finding in identity_failures(gold):
        keyword = finding.check.rsplit(".", 1)[-1]  # "I3", or "channels" for pre2019.channels
        if not any(keyword in name for name in listed):
            problems.append(f"identity {finding.check} fails on the labels and is not a listed source error: "
                            f"{finding.message}")  # fmt: skip
    return problems


def _printed(value: int | float, quote: str, unit: str) -> bool:
    """Whether the quote prints the value: as the seed gold checks it, or inside a run of digits (a flattened row
    prints its cells without separators), or for money in 元 as 万元."""
    if number_in_quote(value, quote):
        return True
    runs = re.findall(r"\d+", quote.replace(",", ""))
    candidates = [value, value / 10_000] if unit == "元" else [value]
    for candidate in candidates:
        if number_in_quote(candidate, quote):
            return True
        digits = str(round(candidate)) if float(candidate).is_integer() else None
        if digits and any(digits in run for run in runs):
            return True
    return False


def identity_failures(gold: CorpusGold) -> list[Finding]:
    """The identities (I1-I4, pre-2019 sums) that fail on the labelled values, as the extractor would report them."""
    tree = Indicators()
    for v in gold.values:
        tree.set(v.code, Quantity(value=v.value, qualifier=v.qualifier, raw=str(v.value)))
    return [f for f in check(tree) if f.severity == "error"]


# --------------------------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class CorpusScore:
    entry: CorpusEntry
    score: ReportScore | None  # None: the report failed (its values all count as missing)
    error: str | None = None
    ambiguous: int = 0
    rejected: bool = False  # the extractor refused it as not a report

    def counts(self) -> Counts:
        counts = Counts()
        if self.score is None:
            for _ in self.entry.gold.values:
                counts.checks += 1
                counts.missing += 1
            return counts
        for result in self.score.fields:
            if not result.code.startswith("meta."):
                counts.add(result)
        return counts


@dataclass
class CorpusSummary:
    """Value counts (meta checks apart) overall and per group."""

    scores: list[CorpusScore]
    groups: dict[str, dict[str, Counts]] = field(default_factory=dict)

    def total(self, origin: Origin | None = "real") -> Counts:
        out = Counts()
        for s in self.scores:
            if origin is None or s.entry.gold.origin == origin:
                _merge(out, s.counts())
        return out


def _merge(into: Counts, more: Counts) -> None:
    for name in ("checks", "correct", "wrong", "missing", "spurious", "null_vs_zero", "qualifier_mismatch"):
        setattr(into, name, getattr(into, name) + getattr(more, name))


def group_counts(scores: Iterable[CorpusScore], key: Callable[[CorpusScore], str]) -> dict[str, Counts]:
    out: dict[str, Counts] = {}
    for s in scores:
        _merge(out.setdefault(key(s), Counts()), s.counts())
    return dict(sorted(out.items()))


def score_entry(entry: CorpusEntry, record: ReportRecord | None, error: str | None = None) -> CorpusScore:
    if record is None:
        rejected = error is not None and "NotAReportError" in error
        return CorpusScore(entry, None, error=error, rejected=rejected)
    # cells whose table row splits several ways: candidates (rules.extract), or a value a sentence confirmed
    ambiguous = len(
        {code for code, q in record.indicators.items() if q.ambiguous}
        | {code for code, qs in record.alternates.items() if any(q.ambiguous for q in qs)}
    )
    return CorpusScore(entry, score_report(entry.gold.as_gold(), record), ambiguous=ambiguous)


# --------------------------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------------------------

TABLE_COLUMNS = ("group", "reports", "values", "correct", "wrong", "missing", "spurious", "accuracy", "precision",
                 "ambiguous")  # fmt: skip


def table_rows(scores: list[CorpusScore]) -> list[tuple[str, ...]]:
    """Rows per layout class of the real reports, their total, then variants per layout and per template."""
    rows: list[tuple[str, ...]] = []
    real = [s for s in scores if s.entry.gold.origin == "real"]
    variants = [s for s in scores if s.entry.gold.origin == "variant"]

    def add(label: str, group: list[CorpusScore]) -> None:
        if not group:
            return
        c = Counts()
        for s in group:
            _merge(c, s.counts())
        amb = sum(s.ambiguous for s in group)
        rows.append((label, str(len(group)), str(c.checks), str(c.correct), str(c.wrong), str(c.missing),
                     str(c.spurious), f"{c.accuracy:.3f}", f"{c.precision:.3f}", str(amb)))  # fmt: skip

    for layout in LAYOUTS:
        add(f"real · {layout}", [s for s in real if s.entry.gold.layout == layout])
    add("real · all", real)
    for template in sorted({s.entry.gold.template for s in real}):
        add(f"real · {template}", [s for s in real if s.entry.gold.template == template])
    for layout in LAYOUTS:
        add(f"variant · {layout}", [s for s in variants if s.entry.gold.layout == layout])
    add("variant · all", variants)
    return rows


REPORT_COLUMNS = ("report", "origin", "layout", "template", "values", "correct", "wrong", "missing", "spurious",
                  "accuracy", "error")  # fmt: skip


def report_rows(scores: list[CorpusScore]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for s in scores:
        g = s.entry.gold
        c = s.counts()
        note = s.error or ""
        rows.append((g.report, g.origin, g.layout, g.template, str(c.checks), str(c.correct), str(c.wrong),
                     str(c.missing), str(c.spurious), f"{c.accuracy:.3f}", note))  # fmt: skip
    return rows


def markdown(rows: list[tuple[str, ...]], columns: tuple[str, ...] = TABLE_COLUMNS) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def group_figures(scores: list[CorpusScore]) -> dict[str, dict[str, float]]:
    """Accuracy, precision and wrong values per table group (as :func:`table_rows` groups them), for a baseline."""
    out: dict[str, dict[str, float]] = {}
    for row in table_rows(scores):
        group, wrong, accuracy, precision = row[0], row[4], row[7], row[8]
        out[group] = {"accuracy": float(accuracy), "precision": float(precision), "wrong": float(wrong)}
    return out
