"""The eval gold set: one hand-labelled JSON file per seed report, validated against the codebook and the seed.

A gold file that disagrees with the codebook (unknown code, wrong unit, era) or with its seed (a quote that is not
in the text, a number that is not in its quote) is a labelling mistake, and :func:`load_gold` refuses it with a
:class:`~extractor.errors.GoldError` naming the file, the code and the problem.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from .. import templates
from ..codebook import codebook, codes_of_eras
from ..errors import GoldError
from ..fields import squash
from ..models import Qualifier, Scope, SectionKind, TemplateKind

# A zero may be stated in words: "全年未收到…", "不收取費用", "…情况(无)".
_ZERO_WORDS = ("未", "无", "無", "不", "没有", "沒有", "零")


class GoldValue(BaseModel):
    """One labelled figure: the normalized value and where it is printed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    value: int | float
    unit: str
    qualifier: Qualifier
    quote: str
    section: SectionKind
    note: str | None = None


class Gold(BaseModel):
    """The answer for one report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    report: str
    issuer: str
    year: int
    template: Annotated[TemplateKind, AfterValidator(known_template)]
    scope: Scope
    values: list[GoldValue]
    problems: list[str]
    improvements: list[str]

    def value_of(self, code: str) -> GoldValue | None:
        return next((v for v in self.values if v.code == code), None)


def load_gold(gold_dir: Path, seeds_dir: Path | None = None) -> dict[str, Gold]:
    """Every ``<report>.json`` in ``gold_dir``, validated; seeds default to ``gold_dir/../seeds``."""
    seeds_dir = seeds_dir if seeds_dir is not None else gold_dir.parent / "seeds"
    files = sorted(gold_dir.glob("*.json"))
    if not files:
        raise GoldError(f"{gold_dir}: no gold files (*.json)")
    golds = [load_gold_file(path, seeds_dir) for path in files]
    return {g.report: g for g in golds}


_G = TypeVar("_G", bound=BaseModel)


def read_gold(path: Path, model: type[_G]) -> _G:
    """A gold file read and validated as ``model``; any problem is one GoldError line naming the file and field."""
    try:
        return model.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GoldError(f"{path}: cannot read gold file: {e}") from e
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise GoldError(f"{path}: {where}: {first['msg']} ({e.error_count()} problem(s))") from e


def load_gold_file(path: Path, seeds_dir: Path) -> Gold:
    gold = read_gold(path, Gold)
    if gold.report != path.stem:
        raise GoldError(f"{path}: report {gold.report!r} does not match the file name")
    seed = seeds_dir / f"{gold.report}.txt"
    try:
        text = seed.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise GoldError(f"{path}: cannot read its seed {seed}: {e}") from e
    for problem in gold_problems(gold, text):
        raise GoldError(f"{path}: {problem}")
    return gold


def gold_problems(gold: Gold, text: str) -> list[str]:
    """Every disagreement of ``gold`` with the codebook and its seed ``text``; each names its code."""
    problems = code_problems(gold.values, gold.template)
    for v in gold.values:
        if v.code not in codebook():
            continue
        if v.quote not in text:
            problems.append(f"{v.code}: quote {v.quote!r} is not in the seed text")
        elif not number_in_quote(v.value, v.quote):
            problems.append(f"{v.code}: value {v.value} is not printed in its quote {v.quote!r}")
    for field in ("problems", "improvements"):
        for item in getattr(gold, field):
            if squash(item) not in squash(text):
                problems.append(f"{field}: item {item[:30]!r} is not in the seed text")
    return problems


def known_template(name: str) -> str:
    """``name`` when it is a template's (or hybrid/unknown); else a validation error listing the names."""
    if name not in templates.names():
        raise ValueError(f"unknown template {name!r}; one of {', '.join(templates.names())}")
    return name


def code_problems(values: list[GoldValue], template: str) -> list[str]:
    """Labels against the codebook: a numeric code, once per report, its unit, and an era that admits the
    template (shared by the seed gold and the corpus gold)."""
    problems: list[str] = []
    seen: set[str] = set()
    book = codebook()
    allowed = templates.era_codes(template) or codes_of_eras(frozenset({"all"}))
    for v in values:
        entry = book.get(v.code)
        if entry is None or not entry.numeric:
            problems.append(f"{v.code}: not a numeric code of the codebook")
            continue
        if v.code in seen:
            problems.append(f"{v.code}: labelled twice (one value per code)")
        seen.add(v.code)
        if v.unit != entry.unit:
            problems.append(f"{v.code}: unit {v.unit!r} is not the codebook unit {entry.unit!r}")
        if v.code not in allowed:
            problems.append(f"{v.code}: era {'/'.join(entry.eras)} excludes template {template}")
    return problems


def number_in_quote(value: int | float, quote: str) -> bool:
    """Whether ``value`` is printed in ``quote``: as digits, as N万/萬, or (for 0) as a zero phrase."""
    plain = quote.replace(",", "").replace("，", "")
    forms = [re.escape(_digits(value)), re.escape(_digits(value / 10_000)) + r"\s*[多余]?\s*[万萬]"]
    if any(re.search(rf"(?<![\d.]){form}(?!\d)", plain) for form in forms):
        return True
    return value == 0 and any(word in quote for word in _ZERO_WORDS)


def _digits(value: float) -> str:
    """The shortest decimal string of ``value`` (81.0 -> "81", 9.6 -> "9.6")."""
    if math.isclose(value, round(value), rel_tol=0, abs_tol=1e-9):
        return str(round(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")
