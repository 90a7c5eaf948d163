"""The indicator codebook (schemas/codebook.csv): the public contract every extraction exports to."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from .resources import data_dir


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    label_zh: str
    unit: str
    type: str  # int | number | text | enum | list[text]
    eras: tuple[str, ...]
    note: str

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "number")


@cache
def codebook() -> dict[str, Code]:
    """Every code, in the order of the CSV."""
    path = data_dir("schemas") / "codebook.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        r["code"]: Code(
            code=r["code"],
            label_zh=r["label_zh"],
            unit=r["unit"],
            type=r["type"],
            eras=tuple(e.strip() for e in r["eras"].split(",")),
            note=r["note"],
        )
        for r in rows
    }


def numeric_codes() -> list[str]:
    return [c.code for c in codebook().values() if c.numeric]


def unit_of(code: str) -> str:
    return codebook()[code].unit


@cache
def codes_of_eras(eras: frozenset[str]) -> frozenset[str]:
    """The codes whose ``eras`` name any of ``eras``."""
    return frozenset(c.code for c in codebook().values() if eras.intersection(c.eras))


@dataclass(frozen=True, slots=True)
class Cue:
    """The words that show a text is about a code (schemas/cues.csv): ``section`` decides whether a section is
    asked for the code at all; ``quote`` whether a model's quote names it. "&" joins parts that must all match,
    "|" separates alternatives."""

    section: str
    quote: str


@cache
def cues() -> dict[str, Cue]:
    path = data_dir("schemas") / "cues.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["code"]: Cue(r["section_cue"], r["quote_cue"]) for r in csv.DictReader(fh)}
