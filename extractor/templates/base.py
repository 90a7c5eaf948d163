"""What a report template declares: how to recognise it, what it must contain, the tables it prints (their
grammar: rows, columns, labels), the identities that hold between their cells and the codes it can hold.

The declarations are data. The machinery that reads them lives beside this package: ``extractor.sections``
detects the template from its markers and reports missing sections, ``extractor.tables`` compiles the table
grammars into its readers, ``extractor.identities`` checks the named identity groups, ``extractor.codebook`` maps
the code eras, ``extractor.rules`` and ``extractor.model_pass`` keep only the codes of the template's eras.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..models import SectionKind

Family = Literal["national", "legacy"]
# The table readers of extractor.tables, by the name the regulation's template prints above each table.
Reader = Literal["表二", "表三", "表四", "附表"]
READERS: tuple[Reader, ...] = ("表二", "表三", "表四", "附表")
# The identity groups of extractor.identities (domain.md §2.6): 表三 (I1–I3), 表四 (I4), pre2019 (local sums).
IdentityGroup = Literal["表三", "表四", "pre2019"]
IDENTITY_GROUPS: tuple[IdentityGroup, ...] = ("表三", "表四", "pre2019")


@dataclass(frozen=True, slots=True)
class Row:
    """One row (or column) of a table: the code (or code suffix) it fills, its canonical label as the template
    prints it, and what finds it in a text: ``words`` are matched with any whitespace between their characters
    (labels broken by PDF extraction), ``patterns`` are regular expressions used as written."""

    code: str
    label: str
    words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.words and not self.patterns:
            raise ValueError(f"row {self.code!r} has nothing to find it by")
        for p in self.patterns:
            re.compile(p)


@dataclass(frozen=True, slots=True)
class Block:
    """A 表二 block (one 第二十条 item): its rows, the columns it may print, and the columns assumed when a block
    prints no recognisable header, by the number of cells a row fills."""

    item: str  # the item's Chinese ordinal: 第二十条第(一)项 → "一"
    rows: tuple[Row, ...]
    columns: tuple[Row, ...]
    defaults: dict[int, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Grammar:
    """The tables a template prints. Empty parts are tables the template does not print.

    - ``t2``: 表二's blocks; ``t3_rows``/``t3_columns``: 表三's rows (code suffix after ``requests.``) and its
      applicant columns' labels; ``t4_blocks``/``t4_columns``: 表四's blocks (code prefix, label) and outcome columns'
      labels;
    - ``appendix_rows``: a pre-2019 附表 or statistics table, one label and one value a row. Order matters: the
      first row whose words occur wins, so longer, more specific words come first. A row coded ``_skip`` is a
      label that names no code (it only stops the row above); ``_other`` is "其他" under whichever family of rows
      precedes it (``appendix_other``: family → its "other" code).
    """

    t2: tuple[Block, ...] = ()
    t3_rows: tuple[Row, ...] = ()
    t3_columns: tuple[str, ...] = ()
    t4_blocks: tuple[tuple[str, str], ...] = ()
    t4_columns: tuple[str, ...] = ()
    appendix_rows: tuple[Row, ...] = ()
    appendix_other: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, eq=False)  # one object per module: compared and hashed by identity
class Template:
    """A report template (domain.md §2).

    - ``markers``: label words only this template's tables print (normalized text: simplified script, half-width
      parentheses). Each is a literal, optionally with ``(?:a|b)`` groups and ``?``; a report is of the template
      whose markers it holds (two national templates' markers, or a national and a legacy one: ``hybrid``);
    - ``family``: national (the 2019 template and its revisions) or legacy (pre-2019 local forms);
    - ``years``: the years a report of this template can cover; markers of a report outside them do not decide
      (the 2014 statistics table's words occur in free-form reports of other years too);
    - ``rank``: which of several legacy templates whose markers occur wins (higher first);
    - ``fallback``: the template of a report before ``fallback`` (a year) that holds no template's markers;
    - ``required``: the section kinds the regulation requires of a report of this template;
    - ``eras``: the codebook ``eras`` tags of the codes a report of this template can hold;
    - ``readers``/``identities``: which table readers run and which identity groups are checked;
    - ``grammar``: the tables it prints.
    """

    name: str
    title: str
    family: Family
    markers: tuple[str, ...]
    required: tuple[SectionKind, ...]
    eras: tuple[str, ...]
    readers: tuple[Reader, ...]
    identities: tuple[IdentityGroup, ...]
    grammar: Grammar = Grammar()
    years: tuple[int, int] | None = None
    rank: int = 0
    fallback: int | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name) or self.name in ("hybrid", "unknown"):
            raise ValueError(f"template name {self.name!r}: lower-case letters, digits and _, not hybrid/unknown")
        for marker in self.markers:
            re.compile(marker)
        unknown = set(self.readers) - set(READERS)
        if unknown:
            raise ValueError(f"template {self.name}: unknown readers {sorted(unknown)}")
        groups = set(self.identities) - set(IDENTITY_GROUPS)
        if groups:
            raise ValueError(f"template {self.name}: unknown identity groups {sorted(groups)}")

    def covers(self, year: int | None) -> bool:
        """Whether a report of ``year`` (None: not known) can be of this template."""
        return self.years is None or year is None or self.years[0] <= year <= self.years[1]
