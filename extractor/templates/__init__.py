"""Report templates, one module each (see ``base``): every module of this package that defines ``TEMPLATE`` is one.

Adding a template is adding a module here (and its tests): the section splitter, the table readers, the identity
checks and the era filter read what it declares. ``hybrid`` (tables of two templates in one report) and ``unknown``
are not templates; they are what detection answers when no single template fits.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from functools import cache

from ..codebook import codes_of_eras
from .base import IDENTITY_GROUPS, READERS, Block, Grammar, IdentityGroup, Reader, Row, Template

__all__ = [
    "IDENTITY_GROUPS",
    "NOT_TEMPLATES",
    "READERS",
    "Block",
    "Grammar",
    "IdentityGroup",
    "Reader",
    "Row",
    "Template",
    "all_templates",
    "decide",
    "detect",
    "era_codes",
    "get",
    "hits",
    "identity_groups",
    "merged",
    "names",
    "readers",
    "reload",
]

NOT_TEMPLATES = ("hybrid", "unknown")


@cache
def all_templates() -> tuple[Template, ...]:
    """Every template module's ``TEMPLATE``, in module-name order."""
    found: list[Template] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "base":
            continue
        template = getattr(importlib.import_module(f"{__name__}.{info.name}"), "TEMPLATE", None)
        if isinstance(template, Template):
            if template.name != info.name:
                raise ValueError(f"template module {info.name} declares the name {template.name!r}")
            found.append(template)
    return tuple(found)


def reload() -> None:
    """Read the package's modules again (after one was added, e.g. by a test)."""
    all_templates.cache_clear()
    _by_name.cache_clear()
    _marker_regexes.cache_clear()


@cache
def _by_name() -> dict[str, Template]:
    return {t.name: t for t in all_templates()}


def names() -> tuple[str, ...]:
    """The templates' names, then ``hybrid`` and ``unknown``: every value a record's ``template`` can take."""
    return (*(t.name for t in all_templates()), *NOT_TEMPLATES)


def era_codes(name: str) -> frozenset[str] | None:
    """The codes a report of template ``name`` can hold (the codebook's eras it declares), or None when the name
    is no template (hybrid, unknown): a 2020 report has no 附表 channels, a 2009 one no 表三."""
    t = get(name)
    return None if t is None else codes_of_eras(frozenset(t.eras))


def readers(name: str) -> tuple[Reader, ...]:
    """The table readers for a report of template ``name``; every reader for hybrid or unknown."""
    t = get(name)
    return READERS if t is None else t.readers


def identity_groups(name: str) -> tuple[IdentityGroup, ...]:
    """The identity groups checked in a report of template ``name``; every group for hybrid or unknown."""
    t = get(name)
    return IDENTITY_GROUPS if t is None else t.identities


def get(name: str) -> Template | None:
    """The template called ``name``; None for ``hybrid``, ``unknown`` or a name no module declares."""
    return _by_name().get(name)


@cache
def _marker_regexes() -> tuple[tuple[Template, re.Pattern[str]], ...]:
    return tuple((t, re.compile("|".join(t.markers))) for t in all_templates() if t.markers)


def hits(text: str) -> list[Template]:
    """The templates whose markers occur in ``text``."""
    return [t for t, pattern in _marker_regexes() if pattern.search(text)]


def decide(found: Iterable[Template], year: int | None) -> str:
    """The template of a report whose text holds the markers of ``found`` (domain.md §2.8): one national
    template, or the best-ranked legacy one that covers the year; two national ones, or a national and a legacy
    one, make it ``hybrid``; none, a report before a legacy template's ``fallback`` year is of that template."""
    found = list(found)
    national = [t for t in found if t.family == "national"]
    legacy = [t for t in found if t.family == "legacy"]
    if len(national) > 1 or (national and legacy):
        return "hybrid"
    if national:
        return national[0].name
    fitting = [t for t in legacy if t.covers(year)]
    if fitting:
        return max(fitting, key=lambda t: t.rank).name
    if legacy or year is not None:
        for t in all_templates():
            if t.fallback is not None and (legacy or (year is not None and year < t.fallback)):
                return t.name
    return "unknown"


def detect(text: str, year: int | None) -> str:
    """:func:`decide` on the templates whose markers occur in ``text`` (the section splitter has a faster scan)."""
    return decide(hits(text), year)


def merged(rows: Iterable[Iterable[Row]]) -> tuple[Row, ...]:
    """Several templates' rows of one table as one list: each row once (by code, the first declaration wins),
    each placed right after the row it follows in its own template, so every template's printed order holds."""
    out: list[Row] = []
    for listing in rows:
        after = -1
        for row in listing:
            at = next((i for i, r in enumerate(out) if r.code == row.code), None)
            if at is None:
                out.insert(after + 1, row)
                at = after + 1
            after = at
    return tuple(out)
