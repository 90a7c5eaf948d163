"""What the model is asked for, per section kind, and the small flat schema it sees.

The stored record (:mod:`extractor.models`) is deep and wide; a 0.5B model on two cores pays for every token of
schema and every nesting level of grammar. So the model sees one flat object per section: one optional *string*
per indicator, holding the shortest phrase of the section that states the figure, copied verbatim
("全年主动公开政府信息624条"). The number is read from that phrase by the deterministic normalizer, which is
better at "81万条" and "10万多" than a small model, and the phrase doubles as the grounding quote.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from .codebook import codebook, cues
from .models import SectionKind
from .numbers import Number, find_numbers

_PROACTIVE = [
    "proactive.total",
    "proactive.fulltext_electronic",
    "proactive.fulltext_electronic_rate",
    *[f"proactive.category.{k}" for k in (
        "organization", "regulations", "normative_docs", "other_docs", "dynamics", "enforcement",
        "service_guides", "budget", "gov_work_report", "annual_report", "rules_internal", "business", "other",
    )],
    *[f"proactive.channel.{k}" for k in ("gazette", "website", "weibo_wechat", "media")],
    *[f"response.{k}" for k in (
        "total", "press_conferences", "online_interviews", "interpretations", "weibo_wechat", "media_other",
    )],
]  # fmt: skip
_REQUESTS = [
    "requests.received",
    *[f"requests.channel.{k}" for k in ("online", "letter", "in_person", "fax", "email", "phone", "other")],
    "requests.answered",
    "requests.catalog_entries",
    *[f"requests.legacy.{k}" for k in (
        "already_public", "granted", "partial", "denied", "not_gov_info", "not_this_agency", "nonexistent",
        "not_this_agency_or_nonexistent", "irrelevant_to_needs", "unclear", "other_route", "duplicate", "other",
    )],
]  # fmt: skip
_REVIEW = [
    *[f"review.{k}" for k in ("upheld", "corrected", "other", "pending", "total")],
    *[f"litigation.{k}" for k in ("upheld", "corrected", "other", "pending", "total")],
    "appeals.total",
]
_CONSULT = [f"consult.{k}" for k in ("total", "phone", "onsite", "online", "web_visits")]

SECTION_CODES: dict[SectionKind, list[str]] = {
    "overview": ["proactive.total", "requests.received", "review.total", "litigation.total", "complaints.total"],
    "proactive": _PROACTIVE,
    "requests": _REQUESTS,
    "fees": ["fees.amount"],
    "review_litigation": _REVIEW,
    "consultation": _CONSULT,
    "complaints": ["complaints.total", "consult.total"],
    "problems": [],
    "other": ["fees.amount", "complaints.total"],
    "appendix": [*_PROACTIVE[:15], *_REQUESTS, *_CONSULT, "complaints.total", "review.total", "litigation.total"],
    "unknown": [*_PROACTIVE, *_REQUESTS, *_REVIEW, *_CONSULT, "fees.amount", "complaints.total"],
}
# Cue words (schemas/cues.csv, data beside the codebook): a code is only asked for in a text that mentions at least
# one of its cues (and, for an outcome of 复议/诉讼, also the proceeding). A 200-character section is not asked 25
# questions it cannot answer, which is most of what a small local model spends its time writing.
CUES: dict[str, str] = {code: cue.section for code, cue in cues().items()}
_CUE_PATTERNS = {code: [re.compile(part) for part in cue.split("&")] for code, cue in CUES.items()}


def relevant(code: str, text: str) -> bool:
    """Whether ``text`` mentions what ``code`` is about (every &-part of its cue matches); unknown codes: yes."""
    patterns = _CUE_PATTERNS.get(code)
    return patterns is None or all(p.search(text) for p in patterns)


LIST_SECTIONS: frozenset[SectionKind] = frozenset({"problems"})

RATE_CODES = frozenset({"proactive.fulltext_electronic_rate"})


def key_of(code: str) -> str:
    """The flat JSON key the model sees for a code."""
    return code.replace(".", "_")


def describe(code: str) -> str:
    entry = codebook()[code]
    unit = f"({entry.unit})" if entry.unit else ""
    return f"{entry.label_zh}{unit}"


_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Text with all whitespace removed: quotes are compared this way (PDF and web copies break lines)."""
    return _WS.sub("", text)


def locate(quote: str, text: str) -> tuple[int, int] | None:
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


def number_in(code: str, quote: str) -> Number | None:
    """The figure a quote states for a code: its first count (or, for rate codes, its first percentage)."""
    want_percent = code in RATE_CODES
    for n in find_numbers(quote):
        if n.percent == want_percent:
            return n
    return None


class Answer(BaseModel):
    """Base of every generated per-section schema; validates grounding when given the section text."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Cached per class and arguments: a generated schema class never changes, and instructor asks for its
        JSON Schema on every request (tens of milliseconds each)."""
        return copy.deepcopy(_cached_json_schema(cls, args, tuple(sorted(kwargs.items()))))

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> Answer:
        context = info.context if isinstance(info.context, dict) else None
        if not context or "text" not in context:
            return self
        text = squash(str(context["text"]))
        errors: list[str] = []
        for key, value in self:
            code = CODE_OF_KEY.get(key)
            if code is None or value is None or key in ("problems", "improvements"):  # lists: checked below
                continue
            quote = squash(str(value))
            if not quote or quote not in text:
                errors.append(f"{key}: 原文片段“{value}”不在文本中，请从文本逐字复制，或填 null")
            elif number_in(code, quote) is None:
                errors.append(f"{key}: 片段“{value}”中没有该指标的数字，请摘录含数字的原文，或填 null")
        for key in ("problems", "improvements"):
            for item in getattr(self, key, None) or []:
                if squash(item)[:12] not in text:
                    errors.append(f"{key}: 条目“{item[:20]}”不是文本原文，请逐条摘录原文")
        if errors:
            raise ValueError("；".join(errors))
        return self


@cache
def _cached_json_schema(
    cls: type[Answer], args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
) -> dict[str, Any]:
    return BaseModel.model_json_schema.__func__(cls, *args, **dict(kwargs))  # type: ignore[attr-defined,no-any-return]


CODE_OF_KEY: dict[str, str] = {key_of(c): c for c in codebook()}


def build_schema(kind: SectionKind, codes: list[str], *, lists: bool) -> type[Answer]:
    """A flat pydantic model with one optional string per code (and the two lists for the problems section)."""
    return _schema(kind, tuple(codes), lists)


@cache
def _schema(kind: SectionKind, codes: tuple[str, ...], lists: bool) -> type[Answer]:
    fields: dict[str, Any] = {
        key_of(code): (str | None, Field(default=None, description=describe(code))) for code in codes
    }
    if lists:
        fields["problems"] = (list[str], Field(default_factory=list, description="存在的主要问题，每条一项，原文"))
        fields["improvements"] = (list[str], Field(default_factory=list, description="改进措施，每条一项，原文"))
    name = "Answer_" + kind
    return create_model(name, __base__=Answer, **fields)


# --------------------------------------------------------------------------------------------------------------
# Table blocks (issue 13 item 3): a table row or block the rules could not complete, asked of a capable endpoint
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableBlock:
    """One row or block of a statistics table, as asked of a model: ``codes`` in column order, the schema's keys
    (``columns``) and their printed labels, the section it is printed in and ``label``, the row's own label."""

    title: str  # "表三 (一)予以公开"
    label: str
    section: SectionKind
    codes: tuple[str, ...]
    columns: tuple[str, ...]
    labels: tuple[str, ...]


class BlockAnswer(BaseModel):
    """Base of a table block's schema: one integer per cell (null when the text prints none) and ``row``, the
    block's text as printed. Given the text, checks that ``row`` is in it and that the cells' digits occur in
    ``row`` in order (a row printed with its cells run together, "750000075", holds them too)."""

    model_config = ConfigDict(extra="forbid")
    row: str | None = Field(default=None, description="该行（块）在文本中的原文，逐字复制")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return copy.deepcopy(_cached_json_schema(cls, args, tuple(sorted(kwargs.items()))))

    def cells(self) -> dict[str, int | None]:
        """Column → value, in column order."""
        return {k: v for k, v in self if k != "row"}

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> BlockAnswer:
        context = info.context if isinstance(info.context, dict) else None
        if not context or "text" not in context:
            return self
        values = [v for v in self.cells().values() if v is not None]
        if not values:
            return self
        row = squash(self.row or "")
        if not row or row not in squash(str(context["text"])):
            raise ValueError("row: 原文不在文本中，请从文本逐字复制该行，或全部填 null")
        at = 0
        for key, value in self.cells().items():
            if value is None:
                continue
            found = row.find(str(abs(value)), at)
            if found < 0:
                raise ValueError(f"{key}: {value} 不在该行原文中，请按原文填写，或填 null")
            at = found + len(str(abs(value)))
        return self


def build_block_schema(columns: tuple[str, ...], labels: tuple[str, ...]) -> type[BlockAnswer]:
    """A flat pydantic model with one optional integer per column of a table block, and its row text."""
    return _block_schema(columns, labels)


@cache
def _block_schema(columns: tuple[str, ...], labels: tuple[str, ...]) -> type[BlockAnswer]:
    fields: dict[str, Any] = {
        col: (int | None, Field(default=None, description=label)) for col, label in zip(columns, labels, strict=True)
    }
    return create_model("Block_" + "_".join(columns), __base__=BlockAnswer, **fields)
