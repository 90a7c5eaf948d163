"""Deterministic parsing of the statistics tables printed in OGI annual reports.

:func:`parse_tables` reads the document's *normalized* text (see ``documents``) and returns one
:class:`~extractor.models.Cell` per table cell it recognizes, keyed by codebook code. Layouts:

- 2019 national format (ogi2019) and its 2021 revision (ogi2021): 表二 (第二十条 blocks), 表三 (requests
  matrix, 7 columns) and 表四 (reconsideration / litigation, 15 cells);
- pre-2019 附表 (Guangzhou style): one label and one value per row (domain.md §3.2).

Rows are found by the words of their labels, never by position: a label may be split over lines, displaced out
of its group or preceded by a repeated header block. Cells may be separated by tabs (HTML), spaces or newlines
(PDF). Scraped copies that lost every separator (``行政规范性文件1231456``) are split back into cells using
the column count and the accounting identities (I1–I4); when several splits survive, the cells are returned with
``ambiguous=True`` and the other readings in ``alternatives`` instead of a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import pairwise
from typing import Literal, NamedTuple

from . import templates
from .models import APPLICANT_COLUMNS, OUTCOME_COLUMNS, Cell, Qualifier
from .templates import READERS, Block, Reader, Row, Template

__all__ = ["parse_tables"]

# --------------------------------------------------------------------------------------------------------------
# Numbers and tokens
# --------------------------------------------------------------------------------------------------------------

_UNSIGNED = (
    r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
    r"(?:万元|亿元|万|亿|元)?(?:多|余)?(?:人次|条|件|宗|项|个|次|篇|份|元)?(?:多|余)?"
)
_NUM = rf"[+\-]?{_UNSIGNED}"
_NUM_END = r"(?![\d%％.．、)）])"
# A number is not part of a list marker ("1.属于", "1、", "(1)"), a percentage or a longer number.
_NUM_TOKEN = rf"(?<![\d.,(（第])(?:{_NUM}){_NUM_END}"
_GLUED_SIGNED_RE = re.compile(rf"(?P<num>[+\-]{_UNSIGNED}){_NUM_END}")  # "+247" right after "6905"
_BLANK_TOKEN = r"(?:—+|－+|-+|–+|/|／|&nbsp;)"
_TOKEN_RE = re.compile(rf"(?P<num>{_NUM_TOKEN})|(?<!\S)(?P<blank>{_BLANK_TOKEN})(?!\S)")
_NUM_FULL_RE = re.compile(
    r"(?P<sign>[+\-])?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?"
    r"(?P<mag>万元|亿元|万|亿|元)?(?P<more1>多|余)?(?P<unit>人次|条|件|宗|项|个|次|篇|份|元)?(?P<more2>多|余)?"
)
_BLANK_FULL_RE = re.compile(rf"{_BLANK_TOKEN}")
_ONE_CELL_RE = re.compile(rf"\s*(?:(?P<num>{_NUM})|(?P<blank>{_BLANK_TOKEN}))?\s*")
_SIGN_NEXT_RE = re.compile(r"[+\-]\d")
# Page markers: a line "- 12 -" or "3/12", or "第3页(共12页)". Every branch starts with "\n" or "第" so the
# engine can skip to candidate positions; the leading "\n" is kept when masking.
_PAGE_LINE = r"\n[ \t]*(?:[-—–－][ \t]*\d{1,3}[ \t]*[-—–－]|\d{1,3}[ \t]*/[ \t]*\d{1,3})[ \t]*(?=\n|$)"
_PAGE_OF = r"第[ \t]*\d{1,3}[ \t]*页(?:[ \t]*[,，/]?[ \t]*共[ \t]*\d{1,3}[ \t]*页)?"
_PAGE_MARKER_RE = re.compile(f"{_PAGE_LINE}|{_PAGE_OF}")
# Each branch alone starts with one literal, which the regex engine finds far faster than a choice of two: most
# texts have no page marker, and these tell so before the (slower) substitution runs.
_PAGE_LINE_RE = re.compile(_PAGE_LINE)
_PAGE_OF_RE = re.compile(_PAGE_OF)
_MAX_LABEL_TAIL = 80  # characters of label text allowed between a label keyword and its first number

TokKind = Literal["num", "blank", "empty"]


class _Tok(NamedTuple):
    kind: TokKind
    start: int
    end: int
    raw: str


class _Val(NamedTuple):
    """One parsed cell value (before it becomes a :class:`Cell`)."""

    value: int | float | None
    raw: str
    start: int
    end: int
    qualifier: Qualifier = "exact"
    unit: str | None = None


def _to_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def _ascii_digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "²", "①" and "⑴", which ``int`` refuses."""
    return text.isascii() and text.isdigit()


def _int(digits: str) -> int:
    """``int`` of a digit string of any length (``int`` refuses more than 4,300 digits; ``Decimal`` does not)."""
    return int(digits) if len(digits) < 4000 else int(Decimal(digits))


def _parse_cell(raw: str, *, money: bool = False, scale: int = 1) -> tuple[int | float | None, Qualifier, str | None]:
    """A printed cell → (value, qualifier, unit). Money is returned in 元; ``scale`` applies to bare numbers.

    Local stand-in for extractor.numbers: digits, commas, +/-, 万/亿/万元, 多/余 and a trailing unit word.
    """
    text = raw.strip()
    if _ascii_digits(text) and scale == 1:  # the common case
        return _int(text), "exact", "元" if money else None
    if not text or _BLANK_FULL_RE.fullmatch(text):
        return None, "exact", None
    m = _NUM_FULL_RE.fullmatch(text)
    if m is None:
        return None, "exact", None
    try:
        number = Decimal(m["int"].replace(",", "") + (f".{m['frac']}" if m["frac"] else ""))
    except InvalidOperation:  # pragma: no cover - the regex only admits digits
        return None, "exact", None
    if m["sign"] == "-":
        number = -number
    mag = m["mag"] or ""
    unit = m["unit"]
    qualifier: Qualifier = "exact"
    if mag.startswith("万"):
        number *= 10_000
    elif mag.startswith("亿"):
        number *= 100_000_000
    elif scale != 1 and not mag:
        number *= scale
    if mag.endswith("元") or unit == "元" or money:
        unit = "元"
    elif mag:
        qualifier = "approx"  # a count printed in 万/亿 is rounded
    if m["more1"] or m["more2"]:
        qualifier = "at_least"
    return _to_number(number), qualifier, unit


def _make_val(tok: _Tok, *, money: bool = False, scale: int = 1) -> _Val:
    if tok.kind != "num":
        return _Val(None, tok.raw, tok.start, tok.end)
    if not money and scale == 1 and _ascii_digits(tok.raw):
        return _Val(_int(tok.raw), tok.raw, tok.start, tok.end)
    value, qualifier, unit = _parse_cell(tok.raw, money=money, scale=scale)
    return _Val(value, tok.raw, tok.start, tok.end, qualifier, unit)


def _cell_tokens(text: str, start: int, end: int) -> list[_Tok] | None:
    """Tokens of one tab cell; ``[]`` for an empty cell, None when the cell holds text."""
    m = _ONE_CELL_RE.fullmatch(text, start, end)
    if m is not None:  # the common case: one number, one blank marker, or nothing
        if m["num"]:
            return [_Tok("num", m.start("num"), m.end("num"), m["num"])]
        if m["blank"]:
            return [_Tok("blank", m.start("blank"), m.end("blank"), m["blank"])]
        return []
    seg = text[start:end]
    stripped = seg.strip()
    if not stripped:
        return []
    toks: list[_Tok] = []
    pos = start
    for piece in stripped.split():
        off = text.index(piece, pos, end)
        if _NUM_FULL_RE.fullmatch(piece):
            toks.append(_Tok("num", off, off + len(piece), piece))
        elif _BLANK_FULL_RE.fullmatch(piece):
            toks.append(_Tok("blank", off, off + len(piece), piece))
        else:
            return None
        pos = off + len(piece)
    return toks


def _read_tab_line(text: str, pos: int, end: int, first_is_label: bool) -> tuple[list[_Tok], bool]:
    """Tab cells of one line from ``pos`` to ``end``; (tokens, stopped_on_text)."""
    toks: list[_Tok] = []
    b = pos - 1
    for i, cell in enumerate(text[pos:end].split("\t")):
        a = b + 1  # the cell is text[a:b]
        b = a + len(cell)
        if i or not first_is_label:
            if not cell:
                toks.append(_Tok("empty", a, a, ""))
                continue
            if _ascii_digits(cell):  # the common cases, without a regex
                toks.append(_Tok("num", a, b, cell))
                continue
        elif a == b:
            continue
        if i == 0 and first_is_label:
            # the rest of the label; a number glued to its end ("规章8") is the first cell
            m = None
            for m in _TOKEN_RE.finditer(text, a, b):  # noqa: B007 - keep the last token of the label cell
                pass
            if m is not None and m["num"] and not text[m.end() : b].strip():
                head = _cell_tokens(text, m.start(), b)
                if head:
                    toks.extend(head)
            continue
        got = _cell_tokens(text, a, b)
        if got is None:
            return toks, True
        toks.extend(got if got else [_Tok("empty", a, a, "")])
    return toks, False


def _read_cells(text: str, pos: int, limit: int, ncols: int, *, first_is_label: bool = True) -> list[_Tok]:
    """The cells of a table row whose label ends at ``pos``; reading stops at text or at ``limit``.

    Tab-separated lines keep empty cells (``empty`` tokens); otherwise cells are whitespace-separated numbers or
    blank markers, the first of which may follow the rest of the label (split over lines) directly. At most
    ``ncols`` + a few tokens are read (a stray page number is tolerated, see :func:`_row_readings`).
    """
    line_end = text.find("\n", pos, limit)
    seg_end = limit if line_end < 0 else line_end
    tab = text.find("\t", pos, seg_end)
    if tab >= 0 and _TOKEN_RE.search(text, tab, seg_end):
        toks, stopped = _read_tab_line(text, pos, seg_end, first_is_label)
        # a row wrapped over several tab lines (the 15 cells of 表四 in rows of 5)
        while not stopped and seg_end < limit and sum(t.kind != "empty" for t in toks) < ncols:
            nxt = seg_end + 1
            line_end = text.find("\n", nxt, limit)
            nxt_end = limit if line_end < 0 else line_end
            line = text[nxt:nxt_end]
            lead = len(line) - len(line.lstrip())
            if not line.strip() or _TOKEN_RE.match(text, nxt + lead) is None:
                break
            more, stopped = _read_tab_line(text, nxt, nxt_end, False)
            toks.extend(more)
            seg_end = nxt_end
        return toks
    return _read_spaced(text, pos, limit, ncols + _MAX_WINDOWS, first_is_label)


def _stacked(text: str, toks: Sequence[_Tok]) -> bool:
    """Whether a row's tokens (two or more) each stand on a line of their own: one cell per line."""
    nums = [t for t in toks if t.kind != "empty"]
    return len(nums) >= 2 and all("\n" in text[a.end : b.start] for a, b in pairwise(nums))


def _read_spaced(text: str, pos: int, limit: int, max_tokens: int, first_is_label: bool) -> list[_Tok]:
    m = _TOKEN_RE.search(text, pos, limit)
    if m is None:
        return []
    gap = text[pos : m.start()]
    if first_is_label:
        if len(gap) > _MAX_LABEL_TAIL or any(ch.isdigit() for ch in gap):
            return []
    elif gap.strip():
        return []
    toks: list[_Tok] = []
    while m is not None and len(toks) < max_tokens:
        kind: TokKind = "num" if m["num"] else "blank"
        toks.append(_Tok(kind, m.start(), m.end(), m.group()))
        p = m.end()
        if p < limit and _SIGN_NEXT_RE.match(text, p):  # "6905+247": a signed cell glued to the previous one
            m = _GLUED_SIGNED_RE.match(text, p, limit)
            continue
        q = p
        while q < limit and text[q].isspace():
            q += 1
        if q == p or q >= limit:
            break
        m = _TOKEN_RE.match(text, q)
        if m is not None and m.end() > limit:
            break
    return toks


# --------------------------------------------------------------------------------------------------------------
# Splitting a row's tokens into its columns (including run-together digits)
# --------------------------------------------------------------------------------------------------------------

_SPLIT_BUDGET = 10_000  # search nodes per row; beyond it the row is reported ambiguous, never guessed
_TABLE_SPLIT_BUDGET = 40_000  # search nodes per table (a 表三 of 26 run-together rows)
_MAX_READINGS = 64
_MAX_WINDOWS = 3  # extra tokens (a stray page number) tolerated in a row
_INF = float("inf")


@dataclass(frozen=True, slots=True)
class _RowSpec:
    ncols: int
    sum_groups: tuple[tuple[int, int], ...] = ()  # (first, last): cell[last] == sum(cells[first:last])
    money: tuple[bool, ...] = ()
    scale: tuple[int, ...] = ()
    plausible: Callable[[Sequence[_Val]], bool] | None = None


@dataclass(slots=True)
class _Row:
    readings: list[list[_Val]]
    exhaustive: bool = True  # False when enumeration hit its budget

    @property
    def ambiguous(self) -> bool:
        return len(self.readings) > 1 or not self.exhaustive


def _sum_ok(vals: Sequence[_Val], spec: _RowSpec) -> bool:
    for first, last in spec.sum_groups:
        total = vals[last].value
        parts = [v.value for v in vals[first:last]]
        if total is None or any(p is None for p in parts):
            continue
        if abs(sum(p for p in parts if p is not None) - total) > 1e-6:
            return False
    return True


def _vals(toks: Sequence[_Tok], spec: _RowSpec) -> list[_Val]:
    if not spec.money and not spec.scale:
        return [
            _Val(_int(t.raw), t.raw, t.start, t.end) if t.kind == "num" and _ascii_digits(t.raw) else _make_val(t)
            for t in toks
        ]
    out = []
    for i, t in enumerate(toks):
        money = spec.money[i] if spec.money else False
        scale = spec.scale[i] if spec.scale else 1
        out.append(_make_val(t, money=money, scale=scale))
    return out


_SIGNED_DIGITS_RE = re.compile(r"[+\-]?\d+")


def _splittable(tok: _Tok) -> bool:
    return tok.kind == "num" and _SIGNED_DIGITS_RE.fullmatch(tok.raw) is not None


class _Stream:
    """A row's tokens as one character stream: digits of splittable tokens, ``#`` for any other token.

    A cell is a slice of the stream that crosses no token boundary and has no leading zero.
    """

    def __init__(self, toks: Sequence[_Tok], spec: _RowSpec) -> None:
        self.spec = spec
        chars: list[str] = []
        self.offsets: list[int] = []  # text offset of each stream character
        self.atoms: dict[int, _Tok] = {}
        self.signs: dict[int, str] = {}
        cuts: list[int] = []
        for tok in toks:
            cuts.append(len(chars))
            if _splittable(tok):
                sign = tok.raw[0] if tok.raw[0] in "+-" else ""
                if sign:
                    self.signs[len(chars)] = sign
                for j, ch in enumerate(tok.raw[len(sign) :]):
                    chars.append(ch)
                    self.offsets.append(tok.start + len(sign) + j)
            else:
                self.atoms[len(chars)] = tok
                chars.append("#")
                self.offsets.append(tok.start)
        self.chars = "".join(chars)
        size = len(self.chars)
        cuts.append(size)
        # seg_end[i]: the end of the token holding stream position i; min_parts[i]: tokens left from i
        self.seg_end = [0] * (size + 1)
        self.min_parts = [0] * (size + 1)
        self.next_atom = [size] * (size + 1)
        for i in range(size - 1, -1, -1):
            self.next_atom[i] = i if self.chars[i] == "#" else self.next_atom[i + 1]
        for k in range(len(cuts) - 1):
            for i in range(cuts[k], cuts[k + 1]):
                self.seg_end[i] = cuts[k + 1]
                self.min_parts[i] = len(cuts) - 1 - k

    def ends(self, i: int) -> range:
        """Possible ends of a cell starting at stream position ``i``."""
        if self.chars[i] in "#0":
            return range(i + 1, i + 2)
        return range(i + 1, self.seg_end[i] + 1)

    def val(self, i: int, j: int, slot: int) -> _Val:
        atom = self.atoms.get(i)
        money = self.spec.money[slot] if self.spec.money else False
        scale = self.spec.scale[slot] if self.spec.scale else 1
        if atom is not None:
            return _make_val(atom, money=money, scale=scale)
        sign = self.signs.get(i, "")
        raw = sign + self.chars[i:j]
        value, qualifier, unit = _parse_cell(raw, money=money, scale=scale)
        return _Val(value, raw, self.offsets[i] - len(sign), self.offsets[j - 1] + 1, qualifier, unit)


class _Splitter:
    """Every way to cut a row's tokens into ``spec.ncols`` cells, under the row's sum groups.

    For a sum group the total is placed first (its digits fix its value); the cells before it are then split
    with that value as a target, abandoning a branch as soon as a cell exceeds what is left of it. A node budget
    bounds the work; when it runs out the readings found so far are returned as non-exhaustive.
    """

    def __init__(self, toks: Sequence[_Tok], spec: _RowSpec, budget: int = _SPLIT_BUDGET) -> None:
        self.st = _Stream(toks, spec)
        self.spec = spec
        self.size = len(self.st.chars)
        self.groups = {first: last for first, last in spec.sum_groups}
        self.budget = budget
        self.results: list[list[_Val]] = []

    def run(self) -> tuple[list[list[_Val]], bool]:
        self._solve(0, 0, [])
        return self.results, self.budget > 0 and len(self.results) < _MAX_READINGS

    def _spent(self) -> bool:
        self.budget -= 1
        return self.budget <= 0 or len(self.results) >= _MAX_READINGS

    def _feasible(self, pos: int, slot: int) -> bool:
        left = self.spec.ncols - slot
        if pos == self.size:
            return left == 0
        return self.st.min_parts[pos] <= left <= self.size - pos

    def _solve(self, pos: int, slot: int, acc: list[_Val]) -> None:
        if self._spent() or not self._feasible(pos, slot):
            return
        if slot == self.spec.ncols:
            self.results.append(list(acc))
            return
        st = self.st
        last = self.groups.get(slot)
        if last is None:
            for e in st.ends(pos):
                self._solve(e, slot + 1, [*acc, st.val(pos, e, slot)])
            return
        k = last - slot
        after = self.spec.ncols - last - 1
        for ts in range(pos + k, self.size - after):
            for te in st.ends(ts):
                if te > self.size - after:
                    break
                if after == 0 and te != self.size:
                    continue
                total = st.val(ts, te, last)
                target = total.value
                if target is not None and not self._reachable(pos, ts, k, target):
                    continue
                for parts in self._split_sum(pos, ts, k, target, slot):
                    self._solve(te, last + 1, [*acc, *parts, total])

    def _split_sum(self, a: int, b: int, k: int, target: int | float | None, slot: int) -> list[list[_Val]]:
        """Cut stream[a:b] into ``k`` cells summing to ``target`` (None: any sum)."""
        st = self.st
        if k == 1:
            if b not in st.ends(a):
                return []
            v = st.val(a, b, slot)
            ok = target is None or v.value is None or abs(v.value - target) < 1e-6
            return [[v]] if ok else []
        if self._spent():
            return []
        plain = st.chars[a] != "#" and a not in st.signs
        longest = b - a - k + 1 if target is None or target < 0 else min(b - a - k + 1, len(str(int(target))))
        out: list[list[_Val]] = []
        for e in st.ends(a):
            if e - a > longest:
                break  # a cell is never longer than the target, and leaves a digit for each cell after it
            number = int(st.chars[a:e]) if plain else st.val(a, e, slot).value
            rest = target
            if target is not None and number is not None:
                if number > target and number >= 0:
                    break  # longer cells starting here are larger still
                rest = target - number
                if not self._reachable(e, b, k - 1, rest):
                    continue
            tails = self._split_sum(e, b, k - 1, rest, slot + 1)
            if tails:
                head = st.val(a, e, slot)
                out.extend([head, *tail] for tail in tails)
        return out

    def _reachable(self, a: int, b: int, k: int, target: int | float) -> bool:
        """Can stream[a:b] cut into ``k`` cells (no leading zeros) sum to ``target``? A quick necessary test."""
        if self.st.next_atom[a] < b:
            return True  # an atom's value does not follow from its width
        if target < 0:
            return False
        width = b - a
        digits = len(str(int(target)))
        # no cell exceeds the target, so none is longer than it; the longest cell has width - k + 1 digits
        if width > k * digits or digits > width - k + 1 + len(str(k)) or target >= k * 10 ** (width - k + 1):
            return False
        # ... and the cells are smallest when their lengths are even: q or q+1 digits, leading digit 1
        q, r = divmod(width, k)
        low = (r * 10**q if q >= 1 else 0) + ((k - r) * 10 ** (q - 1) if q >= 2 else 0)
        return target >= low


class _Budget:
    """Search nodes left for splitting run-together rows, shared by the rows of one table."""

    def __init__(self, nodes: int) -> None:
        self.nodes = nodes


def _row_readings(
    toks: list[_Tok], spec: _RowSpec, budget: _Budget | None = None, *, stacked: bool = False
) -> _Row | None:
    """Align a row's tokens to its columns; None when nothing sensible can be read.

    ``stacked``: the tokens stood on lines of their own (one cell per line), so each is a whole cell and none is
    split; a row short of cells lost repeated lines to the copy ("0\n0\n0" kept as "0"), and is rebuilt only
    where the row's sums leave one answer."""
    ncols = spec.ncols
    idx = [i for i, t in enumerate(toks) if t.kind != "empty"]
    if not idx:
        return None
    lead, trail = idx[0], len(toks) - 1 - idx[-1]
    core = toks[idx[0] : idx[-1] + 1]
    if all(t.kind != "num" for t in core):
        return None
    n = len(core)
    candidates: list[list[_Val]] = []
    exhaustive = True
    if stacked and n < ncols:
        return _rebuilt(core, spec)
    if n == ncols:
        candidates.append(_vals(core, spec))
    elif n > ncols and sum(t.kind != "empty" for t in core) == ncols and any(t.kind == "empty" for t in core):
        # an HTML cell spanning two columns leaves an empty one beside it ("规章\t13\t13\t\t524"): with exactly
        # one token per column left, the empties are the span's, not blank cells
        candidates.append(_vals([t for t in core if t.kind != "empty"], spec))
    elif n > ncols:
        if n - ncols > _MAX_WINDOWS:
            candidates.append(_vals(core[:ncols], spec))
        else:
            for s in range(n - ncols + 1):
                candidates.append(_vals(core[s : s + ncols], spec))
            if spec.sum_groups and n - ncols <= _MAX_JOINS:
                # a number broken over two lines or cells by the copy ("1\n62" for 162): rejoin adjacent digit
                # tokens, kept only where the row's sums then hold
                joined = [_vals(t, spec) for t in _joined(core, n - ncols)]
                candidates.extend(c for c in joined if _sum_ok(c, spec))
    else:
        missing = ncols - n
        for k in range(missing + 1):  # blank cells that lost their content at the row's borders (tab layout)
            if k <= lead and missing - k <= trail:
                pad_l = [_Tok("empty", core[0].start, core[0].start, "")] * k
                pad_r = [_Tok("empty", core[-1].end, core[-1].end, "")] * (missing - k)
                candidates.append(_vals([*pad_l, *core, *pad_r], spec))
        if any(_splittable(t) and len(t.raw.lstrip("+-")) > 1 for t in core):
            allowed = _SPLIT_BUDGET if budget is None else min(_SPLIT_BUDGET, budget.nodes)
            splitter = _Splitter(core, spec, allowed)
            split, exhaustive = splitter.run()
            if budget is not None:
                budget.nodes -= allowed - max(splitter.budget, 0)
            candidates.extend(split)
    candidates = [c for c in candidates if _plausible(c)]
    if not candidates:
        return None
    if len(candidates) == 1:  # the common case: a lone reading is kept whether its sums hold or not
        return _Row(candidates, exhaustive)
    valid = [c for c in candidates if _sum_ok(c, spec)] or candidates
    if len(valid) > 1:
        valid.sort(key=_balance_key)
        if spec.plausible is not None:
            # plausibility is a heuristic, not an identity: it orders the readings (the first is reported)
            # but the implausible ones stay as alternatives and the cells stay flagged
            check = spec.plausible
            valid = [c for c in valid if check(c)] + [c for c in valid if not check(c)]
    return _Row(valid[:_MAX_READINGS], exhaustive)


def _rebuilt(core: Sequence[_Tok], spec: _RowSpec) -> _Row | None:
    """A one-cell-per-line row whose repeated lines the copy dropped: each token stands for one or more equal
    cells in a row. Only readings whose sums hold are kept; none (or no sum to check) leaves the row unread, several
    make it ambiguous: a repeat is never guessed."""
    if not spec.sum_groups or any(t.kind == "empty" for t in core):
        return None
    readings: list[list[_Val]] = []
    for counts in _compositions(spec.ncols, len(core)):
        toks = [t for t, k in zip(core, counts, strict=True) for _ in range(k)]
        vals = _vals(toks, spec)
        if _sum_ok(vals, spec) and _plausible(vals):
            readings.append(vals)
        if len(readings) >= _MAX_READINGS:
            break
    if not readings:
        return None
    return _Row(readings)


def _compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to write ``total`` as ``parts`` positive counts, in order."""
    if parts == 1:
        return [(total,)] if total >= 1 else []
    return [(k, *rest) for k in range(1, total - parts + 2) for rest in _compositions(total - k, parts - 1)]


_MAX_JOINS = 2  # numbers broken in two that a row may rejoin
_MAX_CELL = 10**15  # no report prints a larger count or sum of money in 元: a longer digit run is not one cell


_LEADING_ZERO = re.compile(r"[+\-]?0\d+")  # "06": no report prints a count so; cells run together ("0" and "6")


def _plausible(vals: Sequence[_Val]) -> bool:
    """No cell of a reading is beyond what a report prints (``_MAX_CELL``), or a digit run with a leading zero."""
    return all(v.value is None or (abs(v.value) < _MAX_CELL and not _LEADING_ZERO.fullmatch(v.raw)) for v in vals)


def _joined(core: Sequence[_Tok], joins: int) -> list[list[_Tok]]:
    """Every way to rejoin ``joins`` pairs of adjacent plain-digit tokens (no leading zero) into one token each."""
    out: list[list[_Tok]] = []
    for i in range(len(core) - 1):
        a, b = core[i], core[i + 1]
        if not (a.kind == b.kind == "num" and _ascii_digits(a.raw) and _ascii_digits(b.raw) and a.raw[0] != "0"):
            continue
        merged = [*core[:i], _Tok("num", a.start, b.end, a.raw + b.raw), *core[i + 2 :]]
        out.extend([merged] if joins == 1 else [t for t in _joined(merged, joins - 1) if t not in out])
    return out


def _balance_key(reading: Sequence[_Val]) -> tuple[int, float, int]:
    """Order readings of a split: keep unsplit ones first, then digit lengths as even as possible."""
    lengths = [len(v.raw) for v in reading if v.value is not None]
    blanks = sum(v.value is None for v in reading)
    if not lengths:
        return (blanks, 0.0, 0)
    mean = sum(lengths) / len(lengths)
    spread = sum((x - mean) ** 2 for x in lengths)
    return (blanks, spread, -lengths[-1])


# --------------------------------------------------------------------------------------------------------------
# Label patterns
# --------------------------------------------------------------------------------------------------------------


def _kw(word: str) -> str:
    """A keyword that tolerates whitespace between its characters (labels broken by PDF extraction)."""
    return r"\s*".join(re.escape(ch) for ch in word)


def _alternation(rows: Sequence[tuple[str, Sequence[str]]], raw: bool = False) -> re.Pattern[str]:
    """One regex whose group ``r<i>`` matches row i's keywords.

    A look-ahead on the possible first characters lets the engine skip most positions without trying every
    branch (a many-branch alternation is otherwise the slowest part of a scan).
    """
    branches = []
    firsts: set[str] = set()
    for i, (_, words) in enumerate(rows):
        alts = "|".join(w if raw else _kw(w) for w in words)
        branches.append(f"(?P<r{i}>{alts})")
        for w in words:
            firsts.add(w[0] if not raw else _first_char(w))
    lead = "".join(sorted(re.escape(c) for c in firsts))
    return re.compile(f"(?=[{lead}])(?:{'|'.join(branches)})")


def _first_char(pattern: str) -> str:
    """The literal first character of a keyword regex built by :func:`_kw` (or written by hand)."""
    return pattern[1] if pattern.startswith("\\") else pattern[0]


# The tables' grammar: every template's rows, columns and labels (extractor.templates), one list per table.
_TEMPLATES = templates.all_templates()


def _keywords(row: Row) -> tuple[str, ...]:
    return (*(_kw(w) for w in row.words), *row.patterns)


# 表三 rows: code prefix, canonical label, keyword regexes (matched by words, whitespace-tolerant)
_T3_ROWS: tuple[tuple[str, str, tuple[str, ...]], ...] = tuple(
    (r.code, r.label, _keywords(r)) for r in templates.merged(t.grammar.t3_rows for t in _TEMPLATES)
)
_T3_RE = _alternation([(code, words) for code, _, words in _T3_ROWS], raw=True)
_T3_START_RE = re.compile(_kw("本年新收"))
_T3_COLUMNS_ZH = next(t.grammar.t3_columns for t in _TEMPLATES if t.grammar.t3_columns)
_T3_LABELS = {code: label for code, label, _ in _T3_ROWS}
_T3_CODES = {code: tuple(f"requests.{code}.{col}" for col in APPLICANT_COLUMNS) for code, _, _ in _T3_ROWS}
_T3_SPEC = _RowSpec(ncols=7, sum_groups=((0, 6),))
_T3_ZONE = 9000  # characters after 本年新收 searched for the rest of 表三
_T3_LAST_ROW = 400  # characters after 结转下年度 that may still hold its cells

# 表三 column identities for splitting run-together rows: (plus rows, minus rows), per column
_T3_OUTCOMES = tuple(
    code for code, _, _ in _T3_ROWS if code.startswith(("granted", "partial", "denied.", "unable.", "not_processed."))
)


def _t3_constraints(present: set[str]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The column identities (I1, I3 and 2021's （六） = Σ sub-rows) among the rows present."""
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    if {"new", "carried_in", "processed", "carried_out"} <= present:
        out.append((("new", "carried_in"), ("processed", "carried_out")))
    subs = ("other.no_correction", "other.fee_unpaid", "other.misc")
    if "other" in present:
        other: tuple[str, ...] = ("other",)
        if set(subs) <= present:
            out.append((subs, ("other",)))
    elif set(subs) <= present:
        other = subs
    else:
        other = ()
    if other and "processed" in present and set(_T3_OUTCOMES) <= present:
        out.append(((*_T3_OUTCOMES, *other), ("processed",)))
    return out


# 表二 blocks: item → rows (code, label, keywords) and column vocabularies (field, label, keywords)
_T2_ANCHOR_RE = re.compile(r"第\s*二\s*十\s*条\s*第?\s*[(（]?\s*([一二三四五六七八九十]+)\s*[)）]?\s*项")
_T2_BLOCKS: dict[str, list[tuple[Template, Block]]] = {}  # item → the templates that print it, and how
for _t in _TEMPLATES:
    for _block in _t.grammar.t2:
        _T2_BLOCKS.setdefault(_block.item, []).append((_t, _block))
_T2_ROWS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    item: tuple((r.code, r.label, r.words) for r in templates.merged(b.rows for _, b in blocks))
    for item, blocks in _T2_BLOCKS.items()
}
_T2_COLUMNS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    item: tuple((r.code, r.label, r.words) for r in templates.merged(b.columns for _, b in blocks))
    for item, blocks in _T2_BLOCKS.items()
}
# Columns assumed when a block prints no recognizable header: item → number of cells read → (template, columns)
_T2_DEFAULTS: dict[str, dict[int, list[tuple[Template, tuple[str, ...]]]]] = {}
for _item, _blocks in _T2_BLOCKS.items():
    for _t, _block in _blocks:
        for _n, _cols in _block.defaults.items():
            _T2_DEFAULTS.setdefault(_item, {}).setdefault(_n, []).append((_t, _cols))
_T2_COLUMN_ZH = {c: zh for cols in _T2_COLUMNS.values() for c, zh, _ in cols}
_T2_ROW_RES = {item: _alternation([(c, w) for c, _, w in rows]) for item, rows in _T2_ROWS.items()}
_T2_COL_RES = {item: _alternation([(c, w) for c, _, w in cols]) for item, cols in _T2_COLUMNS.items()}
_WAN_HEADER_RE = re.compile(r"万\s*元")
_T2_BLOCK_MAX = 1500

# 表四
_T4_ANCHOR_RE = re.compile(_kw("行政复议"))
_T4_HEADER_RE = re.compile(_kw("维持"))
_T4_GRAMMAR = next(t.grammar for t in _TEMPLATES if t.grammar.t4_blocks)
_T4_BLOCKS = tuple(code for code, _ in _T4_GRAMMAR.t4_blocks)
_T4_BLOCK_ZH = tuple(zh for _, zh in _T4_GRAMMAR.t4_blocks)
_T4_COLUMNS_ZH = _T4_GRAMMAR.t4_columns
_T4_SPEC = _RowSpec(ncols=15, sum_groups=((0, 4), (5, 9), (10, 14)))
_T4_HEADER_MAX = 800

# pre-2019 附表: code → keywords (longer, more specific words first: the alternation picks the first branch)
_APPX_ANCHOR_RE = re.compile(r"附\s*表\s*(\d+)|^[^\n。，,]{0,30}统\s*计\s*表[ \t\u3000]*$", re.MULTILINE)
# Where an _APPX_ANCHOR_RE match can start: at a 附 (first branch), or at the start of a line holding 统计表 (second
# branch). A pattern that starts with "^" is tried at every char; these start with a literal, which the regex
# engine skips to.
_APPX_NUMBERED_RE = re.compile(r"附\s*表\s*(\d+)")  # the first branch alone
_APPX_FU_RE = re.compile("附")
_APPX_STAT_TABLE_RE = re.compile(r"统\s*计\s*表")
# A statistics table's header row (local pre-2019 forms: 指标名称 | 计量单位 | 本年度 | 历年累计); the group is empty
# so the zone is named like an unnumbered 附表
_APPX_HEADER_RE = re.compile(r"指\s*标\s*名\s*称()")
_APPX_HEADER_REACH = 200  # a header this close after a 附表 anchor belongs to it
_APPX_ZONE_MAX = 2500  # a 附表 ends at the next one, at the first full stop (prose) or after this many characters
_APPX_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (r.code, r.words) for r in templates.merged(t.grammar.appendix_rows for t in _TEMPLATES)
)
_APPX_RE = _alternation(_APPX_ROWS)
_APPX_VALUE_RE = re.compile(
    rf"[^\d\s]{{0,12}}?[ \t]*[:：]?\s*(?:(?P<ucol>人次|条|件|宗|个|次|项|元)(?!\d)\s*|(?P<ucol2>人次|条|件|宗|个|次|项|元))?"
    rf"(?P<num>{_NUM_TOKEN})"
)
_APPX_OTHER_BY_FAMILY = {family: code for t in _TEMPLATES for family, code in t.grammar.appendix_other}
_APPX_MAX_TAIL = 12


# --------------------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------------------


def parse_tables(text: str, readers: Collection[Reader] = READERS) -> list[Cell]:
    """Every cell of every table recognized in ``text`` (a whole report or one section), by the ``readers`` of
    the report's template (``templates.readers``; all of them when the template is not known).

    Offsets in the returned cells are offsets in ``text``. Blank cells are returned with ``value=None``.
    """
    work = _mask_page_markers(text)
    cells: list[Cell] = []
    t3_spans: list[tuple[int, int]] = []
    if "条" in work and "表二" in readers:
        cells.extend(_parse_t2(work))
    if "收" in work and "表三" in readers:
        got, t3_spans = _parse_t3(work)
        cells.extend(got)
    if "复" in work and "表四" in readers:
        cells.extend(_parse_t4(work, t3_spans))
    if "表" in work and "附表" in readers:
        national = (min(c.start for c in cells), max(c.end for c in cells)) if cells else (-1, -1)
        # a 附表 label inside a national table (a "附表" heading above 表二–表四) is not a pre-2019 row
        cells.extend(c for c in _parse_appendix(work) if not national[0] <= c.start < national[1])
    cells.sort(key=lambda c: c.start)
    return cells


def _mask_page_markers(text: str) -> str:
    """Blank out page markers ("- 5 -", "第3页") with spaces, keeping every offset."""
    if _PAGE_LINE_RE.search(text) is None and _PAGE_OF_RE.search(text) is None:
        return text  # no marker: what the substitution would return
    return _PAGE_MARKER_RE.sub(_blank_out, text)


def _blank_out(m: re.Match[str]) -> str:
    marker = m.group()
    return "\n" + " " * (len(marker) - 1) if marker.startswith("\n") else " " * len(marker)


def _emit(
    row: _Row,
    codes: Sequence[str],
    table: str,
    row_label: str,
    columns: Sequence[str],
    alt_rows: Sequence[list[_Val]] | None = None,
) -> list[Cell]:
    """Cells of one resolved row; cells whose value differs among readings are flagged ambiguous."""
    readings = list(alt_rows) if alt_rows is not None else row.readings
    first = readings[0]
    if len(readings) == 1 and row.exhaustive:  # the common case; Cell's fields passed by position (faster)
        return [
            Cell(code, v.value, v.raw, v.start, v.end, table, row_label, col, v.qualifier, v.unit)
            for code, v, col in zip(codes, first, columns, strict=True)
        ]
    out: list[Cell] = []
    for i, code in enumerate(codes):
        v = first[i]
        others: list[int | float] = []
        for r in readings[1:]:
            x = r[i].value
            if x is not None and x != v.value and x not in others:
                others.append(x)
        ambiguous = bool(others) or not row.exhaustive
        cell = Cell(code, v.value, v.raw, v.start, v.end, table, row_label, columns[i], v.qualifier, v.unit)
        out.append(replace(cell, ambiguous=ambiguous, alternatives=tuple(others)))
    return out


# --------------------------------------------------------------------------------------------------------------
# 表三
# --------------------------------------------------------------------------------------------------------------


def _parse_t3(text: str) -> tuple[list[Cell], list[tuple[int, int]]]:
    cells: list[Cell] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        start = _T3_START_RE.search(text, pos)
        if start is None:
            break
        zone_end = min(len(text), start.start() + _T3_ZONE)
        last_row = text.find("结转下年度", start.end(), zone_end)  # usually unbroken: bound the scan early
        if last_row >= 0:
            zone_end = min(zone_end, last_row + _T3_LAST_ROW)
        table, end = _read_t3(text, start.start(), zone_end)
        if table:
            cells.extend(_solve_t3(table))
            spans.append((start.start(), end))
            pos = end
        else:
            pos = start.end()
    return cells, spans


def _read_t3(text: str, start: int, zone_end: int) -> tuple[dict[str, tuple[int, _Row]], int]:
    """Rows of one 表三 starting at its 本年新收 label: row code → (label offset, row)."""
    matches = list(_T3_RE.finditer(text, start, zone_end))
    rows: dict[str, tuple[int, _Row]] = {}
    budget = _Budget(_TABLE_SPLIT_BUDGET)
    end = start
    for i, m in enumerate(matches):
        code = _T3_ROWS[int((m.lastgroup or "r0")[1:])][0]
        limit = _before_ordinal(text, m.end(), matches[i + 1].start()) if i + 1 < len(matches) else zone_end
        toks = _read_cells(text, m.end(), limit, _T3_SPEC.ncols)
        if not toks:
            continue
        row = _row_readings(toks, _T3_SPEC, budget, stacked=_stacked(text, toks))
        if row is None:
            continue
        if code in rows:
            break  # a second table begins (e.g. 本级 after 全市)
        rows[code] = (m.start(), row)
        end = max(t.end for t in toks)
        if code == "carried_out":
            break
    if "new" not in rows and len(rows) < 3:
        return {}, start  # a stray 本年新收 in prose, not a table
    _fill_orphan_rows(text, rows)
    return rows, end


# The rows of 表三 in the order the format prints them; "other" (the 2019 single row) and its 2021 sub-rows are
# alternatives, so a gap is only filled where the codes on both sides leave no doubt.
_T3_ORDER_2021 = tuple(code for code, _, _ in _T3_ROWS if code != "other")
_T3_ORDER_2019 = tuple(code for code, _, _ in _T3_ROWS if not code.startswith("other."))
_DIGITS_RE = re.compile(r"\d+")
_ORPHAN_LINE_RE = re.compile(r"^[^\d\n]*?(?:\d\s*[.．、]\s*)?[^\d\n]{0,30}?(?P<cells>(?:[ \t]+\d+){7})[ \t]*$", re.M)


def _fill_orphan_rows(text: str, rows: dict[str, tuple[int, _Row]]) -> None:
    """Rows whose label words were lost (a PDF broke "4.无正当理由大量反复申请" into "4.无" and a fragment further
    down) by the format's row order: between two rows read, the lines holding exactly seven numbers are the rows
    the format puts between them, when there are as many such lines as missing rows and each row's sum holds."""
    if any(code.startswith("other.") for code in rows):
        order = _T3_ORDER_2021
    elif "other" in rows:
        order = _T3_ORDER_2019
    else:  # neither (六) form was read: gaps that would take one are left alone
        order = tuple(c for c in _T3_ORDER_2019 if c != "other")
    found = sorted((pos, code) for code, (pos, _) in rows.items() if code in order)
    for (_, a), (pos_b, b) in pairwise(found):
        ia, ib = order.index(a), order.index(b)
        missing = [c for c in order[ia + 1 : ib] if c not in rows]
        if not missing or len(missing) != ib - ia - 1:
            continue
        after = max(v.end for v in rows[a][1].readings[0])
        lines = list(_ORPHAN_LINE_RE.finditer(text, after, pos_b))
        if len(lines) != len(missing):
            continue
        readings: list[tuple[str, _Row]] = []
        for code, line in zip(missing, lines, strict=True):
            cells = _DIGITS_RE.finditer(text, line.start("cells"), line.end("cells"))
            toks = [_Tok("num", m.start(), m.end(), m.group()) for m in cells]
            vals = _vals(toks, _T3_SPEC)
            if not _sum_ok(vals, _T3_SPEC):
                break
            readings.append((code, _Row([vals])))
        else:
            for code, row in readings:
                rows[code] = (row.readings[0][0].start, row)


def _before_ordinal(text: str, floor: int, label: int) -> int:
    """Where a row's cells end before the next row's label keyword at ``label``: before the label's own words and,
    on a flattened page, before its ordinal glued to the cells ("…属于国家秘密2100003" + "2.其他法律…")."""
    j = label
    while j > floor and not text[j - 1].isdigit():
        j -= 1
    if floor < j - 1 < label - 1 and text[j] in ".．、" and text[j - 2].isdigit():
        return j - 1  # the digit before "." opens the next label, not the previous row
    return label


def _solve_t3(rows: dict[str, tuple[int, _Row]]) -> list[Cell]:
    """Choose each row's reading so that the column identities hold; ambiguous rows keep every survivor."""
    resolved: dict[str, list[list[_Val]]] = {code: row.readings for code, (_, row) in rows.items()}
    ambiguous = [code for code, rs in resolved.items() if len(rs) > 1]
    if ambiguous:
        constraints = _t3_constraints(set(resolved))
        solutions = _joint_solve(resolved, ambiguous, constraints)
        if solutions:
            for code in ambiguous:
                seen: list[list[_Val]] = []
                for sol in solutions:
                    if all(_reading_key(sol[code]) != _reading_key(s) for s in seen):
                        seen.append(sol[code])
                resolved[code] = seen
    cells: list[Cell] = []
    for code, (_, row) in sorted(rows.items(), key=lambda kv: kv[1][0]):
        cells.extend(_emit(row, _T3_CODES[code], "表三", _T3_LABELS[code], _T3_COLUMNS_ZH, resolved[code]))
    return cells


def _reading_key(reading: Sequence[_Val]) -> tuple[tuple[int | float | None, int], ...]:
    return tuple((v.value, v.start) for v in reading)


_JOINT_BUDGET = 4_000  # search nodes for the joint choice of 表三 readings

_Constraint = tuple[tuple[str, ...], tuple[str, ...]]  # per column: sum(plus rows) == sum(minus rows)


def _joint_solve(
    resolved: dict[str, list[list[_Val]]], ambiguous: list[str], constraints: list[_Constraint]
) -> list[dict[str, list[_Val]]]:
    """Assignments of the ambiguous rows under which every column identity holds.

    Backtracking over rows (fewest readings first); after each choice every identity touching the row is
    checked against the range the unassigned rows can still reach, so dead branches are cut early. Bounded by
    ``_JOINT_BUDGET`` nodes; an empty list means "no consistent assignment found" (the caller keeps all readings).
    """
    if not constraints:
        return []
    ncols = len(APPLICANT_COLUMNS)
    assign: dict[str, list[_Val]] = {code: rs[0] for code, rs in resolved.items() if len(rs) == 1}
    order = sorted(ambiguous, key=lambda r: len(resolved[r]))
    bounds: dict[str, list[tuple[float, float]]] = {}
    for r in order:
        cols: list[tuple[float, float]] = []
        for c in range(ncols):
            values = [o[c].value for o in resolved[r]]
            if any(v is None for v in values):
                cols.append((-_INF, _INF))
            else:
                nums = [float(v) for v in values if v is not None]
                cols.append((min(nums), max(nums)))
        bounds[r] = cols
    touching = {r: [cs for cs in constraints if r in cs[0] or r in cs[1]] for r in order}

    def consistent(cons: _Constraint) -> bool:
        plus, minus = cons
        for c in range(ncols):
            known, lo, hi = 0.0, 0.0, 0.0
            vacuous = False
            for sign, rows in ((1, plus), (-1, minus)):
                for r in rows:
                    got = assign.get(r)
                    if got is not None:
                        v = got[c].value
                        if v is None:
                            vacuous = True
                            break
                        known += sign * v
                    else:
                        rlo, rhi = bounds[r][c]
                        lo, hi = (lo + rlo, hi + rhi) if sign > 0 else (lo - rhi, hi - rlo)
                if vacuous:
                    break
            if not vacuous and not known + lo - 1e-6 <= 0 <= known + hi + 1e-6:
                return False
        return True

    solutions: list[dict[str, list[_Val]]] = []
    budget = [_JOINT_BUDGET]

    def search(i: int) -> None:
        if i == len(order):
            solutions.append(dict(assign))
            return
        r = order[i]
        for option in resolved[r]:
            budget[0] -= 1
            if budget[0] <= 0 or len(solutions) >= _MAX_READINGS:
                return
            assign[r] = option
            if all(consistent(cs) for cs in touching[r]):
                search(i + 1)
            del assign[r]

    search(0)
    if budget[0] <= 0:
        return []  # not exhaustive: do not pretend a unique answer
    return solutions


# --------------------------------------------------------------------------------------------------------------
# 表二
# --------------------------------------------------------------------------------------------------------------


def _parse_t2(text: str) -> list[Cell]:
    anchors = [m for m in _T2_ANCHOR_RE.finditer(text) if m.group(1) in _T2_ROWS]
    if not anchors:
        return []
    printed: list[frozenset[str]] = []  # the templates whose markers the text holds, found once when needed
    cells: list[Cell] = []
    for i, anchor in enumerate(anchors):
        item = anchor.group(1)
        block_end = anchors[i + 1].start() if i + 1 < len(anchors) else len(text)
        block_end = min(block_end, anchor.end() + _T2_BLOCK_MAX)
        t3 = text.find("本年新收", anchor.end(), block_end)
        if t3 >= 0:
            block_end = t3
        row_matches = list(_T2_ROW_RES[item].finditer(text, anchor.end(), block_end))
        if not row_matches:
            continue
        header_cols = _t2_header(text, item, anchor.end(), row_matches[0].start())
        wan = _WAN_HEADER_RE.search(text, anchor.end(), row_matches[0].start()) is not None
        seen: set[str] = set()
        for j, m in enumerate(row_matches):
            prefix, label, _ = _T2_ROWS[item][int((m.lastgroup or "r0")[1:])]
            if prefix in seen:
                continue
            limit = row_matches[j + 1].start() if j + 1 < len(row_matches) else block_end
            toks = _read_cells(text, m.end(), limit, 3)
            if not any(t.kind == "num" for t in toks):
                continue
            cols = header_cols
            n = sum(t.kind != "empty" for t in toks)
            if cols and len(cols) < n and n in _T2_DEFAULTS[item]:
                cols = ()  # the header named only some of the columns the row fills: read it as the format has them
            if not cols:
                cols = _t2_default(item, n, text, printed)
            spec = _t2_spec(cols, wan)
            row = _row_readings(_trim_trailing_empties(toks, len(cols)), spec, stacked=_stacked(text, toks))
            if row is None:
                continue
            seen.add(prefix)
            codes = [f"{prefix}.{c}" for c in cols]
            cells.extend(_emit(row, codes, "表二", label, [_T2_COLUMN_ZH[c] for c in cols]))
    return cells


def _t2_default(item: str, n: int, text: str, printed: list[frozenset[str]]) -> tuple[str, ...]:
    """The columns of a 表二 block that prints no header, by the number of cells its row fills: the template's
    whose block it is; when several templates print the block with that many cells (2019's and 2021's first
    block), the best-ranked one whose markers the text holds, else the earliest (lowest-ranked)."""
    by_n = _T2_DEFAULTS[item]
    choices = by_n.get(n) or next(iter(by_n.values()))
    if len(choices) == 1:
        return choices[0][1]
    if not printed:
        printed.append(frozenset(t.name for t in templates.hits(text)))
    found = printed[0]
    return max(choices, key=lambda c: (c[0].name in found, c[0].rank if c[0].name in found else -c[0].rank))[1]


def _trim_trailing_empties(toks: list[_Tok], ncols: int) -> list[_Tok]:
    """Drop tab cells beyond the block's columns ("行政事业性收费\t244\t+38\t" has 2 columns)."""
    return toks[:ncols] if len(toks) > ncols and all(t.kind == "empty" for t in toks[ncols:]) else toks


def _t2_header(text: str, item: str, start: int, end: int) -> tuple[str, ...]:
    """The block's column names in column order. A header split over two rows ("本年新 / 制作数量", a markdown or
    HTML table) is ordered by the tab column each name sits in, then by position."""
    found: list[tuple[int, int, str]] = []
    names = _T2_COLUMNS[item]
    for m in _T2_COL_RES[item].finditer(text, start, end):
        name = names[int((m.lastgroup or "r0")[1:])][0]
        if all(name != n for _, _, n in found):
            line_start = text.rfind("\n", 0, m.start()) + 1
            found.append((text.count("\t", line_start, m.start()), m.start(), name))
    return tuple(n for _, _, n in sorted(found))


@cache
def _t2_spec(cols: tuple[str, ...], wan_header: bool) -> _RowSpec:
    money = tuple(c == "amount" for c in cols)
    scale = tuple(10_000 if (c == "amount" and wan_header) else 1 for c in cols)

    def plausible(vals: Sequence[_Val]) -> bool:
        got = {c: v.value for c, v in zip(cols, vals, strict=True)}
        for c, v in got.items():
            if v is not None and c != "change" and v < 0:
                return False
        pub, total = got.get("new_published"), got.get("total_published")
        if pub is not None and total is not None and total < pub:
            return False
        made = got.get("new_made")
        return not (made is not None and total is not None and total < made)

    return _RowSpec(ncols=len(cols), money=money, scale=scale, plausible=plausible)


# --------------------------------------------------------------------------------------------------------------
# 表四
# --------------------------------------------------------------------------------------------------------------


def _parse_t4(text: str, t3_spans: Sequence[tuple[int, int]]) -> list[Cell]:
    cells: list[Cell] = []
    pos = t3_spans[-1][1] if t3_spans else 0
    while True:
        anchor = _T4_ANCHOR_RE.search(text, pos)
        if anchor is None:
            break
        window_end = min(len(text), anchor.end() + _T4_HEADER_MAX)
        first = _TOKEN_RE.search(text, anchor.end(), window_end)
        if first is None:
            pos = anchor.end()
            continue
        header = text[anchor.end() : first.start()]
        if not _T4_HEADER_RE.search(header) or any(ch.isdigit() for ch in header):
            pos = anchor.end()
            continue
        line_start = text.rfind("\n", 0, first.start()) + 1
        begin = line_start if not text[line_start : first.start()].strip() else first.start()
        toks = _read_cells(text, begin, len(text), _T4_SPEC.ncols, first_is_label=False)
        row = _row_readings(toks, _T4_SPEC) if toks else None
        if row is None:
            pos = first.end()
            continue
        codes: list[str] = []
        cols: list[str] = []
        for block, zh in zip(_T4_BLOCKS, _T4_BLOCK_ZH, strict=True):
            codes.extend(f"{block}.{c}" for c in OUTCOME_COLUMNS)
            cols.extend(f"{zh} {c}" for c in _T4_COLUMNS_ZH)
        cells.extend(_emit(row, codes, "表四", "政府信息公开行政复议、行政诉讼情况", cols))
        pos = max(t.end for t in toks)
    return cells


# --------------------------------------------------------------------------------------------------------------
# pre-2019 附表
# --------------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Zone:
    name: str
    start: int
    end: int
    cells: list[Cell] = field(default_factory=list)


def _appendix_anchors(text: str) -> list[re.Match[str]]:
    """The 附表 anchors, and the header of a statistics table that has none (``指标名称 计量单位 …``)."""
    anchors = _numbered_anchors(text)
    headers = list(_APPX_HEADER_RE.finditer(text))
    if not headers:
        return anchors
    taken = [(a.start(), a.end() + _APPX_HEADER_REACH) for a in anchors]
    extra = [h for h in headers if not any(a <= h.start() <= b for a, b in taken)]
    return sorted([*anchors, *extra], key=lambda m: m.start())


def _numbered_anchors(text: str) -> list[re.Match[str]]:
    """``list(_APPX_ANCHOR_RE.finditer(text))``, trying the pattern only where a match can start."""
    tables = [m.start() for m in _APPX_STAT_TABLE_RE.finditer(text)]
    if not tables:  # the second branch never matches: the first alone finds the same matches
        return list(_APPX_NUMBERED_RE.finditer(text))
    # a second-branch match starts at the line start before a 统计表 (no line break in between)
    candidates = sorted(
        {text.rfind("\n", 0, at) + 1 for at in tables} | {m.start() for m in _APPX_FU_RE.finditer(text)}
    )
    anchors: list[re.Match[str]] = []
    end = 0  # finditer resumes its search where the last match ended
    for at in candidates:
        if at < end:
            continue
        m = _APPX_ANCHOR_RE.match(text, at)
        if m is not None:
            anchors.append(m)
            end = m.end()
    return anchors


def _parse_appendix(text: str) -> list[Cell]:
    anchors = _appendix_anchors(text)
    if not anchors:
        return []
    cells: list[Cell] = []
    for i, a in enumerate(anchors):
        end = anchors[i + 1].start() if i + 1 < len(anchors) else len(text)
        end = min(end, a.end() + _APPX_ZONE_MAX)
        stop = text.find("。", a.end(), end)
        if stop >= 0:
            end = stop
        name = f"附表{a.group(1)}" if a.group(1) else "附表"
        cells.extend(_read_appendix(text, _Zone(name, a.end(), end)))
    return cells


def _read_appendix(text: str, zone: _Zone) -> list[Cell]:
    out: list[Cell] = []
    last_family = ""
    pos = zone.start
    # a statistics table with a 历年累计 column prints two numbers a row: this year's must stand apart from the
    # cumulative one, or the two ran together ("35382330613") and no split of them is certain
    paired = _CUMULATIVE_RE.search(text, zone.start, min(zone.end, zone.start + _APPX_HEADER_SPAN)) is not None
    while (m := _APPX_RE.search(text, pos, zone.end)) is not None:
        pos = m.end()
        code = _APPX_ROWS[int((m.lastgroup or "r0")[1:])][0]
        if code == "_skip":
            continue
        vm = _APPX_VALUE_RE.match(text, m.end(), zone.end)
        if vm is None:
            continue
        pos = vm.end()
        if paired and _TOKEN_RE.match(text, _skip_spaces(text, vm.end(), zone.end)) is None:
            continue
        if paired and vm.end() < zone.end and not text[vm.end()].isspace():
            continue
        if code == "_other":
            resolved = _APPX_OTHER_BY_FAMILY.get(last_family)
            if resolved is None:
                continue
            code = resolved
        raw = vm["num"]
        if _LEADING_ZERO.fullmatch(raw):
            continue  # "06": this row's 0 run into what follows it (a page number), not a count
        value, qualifier, unit = _parse_cell(raw)
        unit = unit or vm["ucol"] or vm["ucol2"]
        label = text[_label_start(text, m.start(), zone.start) : m.end()].strip()
        out.append(
            Cell(
                code=code,
                value=value,
                raw=raw,
                start=vm.start("num"),
                end=vm.end("num"),
                table=zone.name,
                row=label,
                column="数量",
                qualifier=qualifier,
                unit=unit,
            )
        )
        last_family = code.rsplit(".", 1)[0]
    return out


_CUMULATIVE_RE = re.compile(r"累\s*计")
_APPX_HEADER_SPAN = 120


def _skip_spaces(text: str, pos: int, end: int) -> int:
    while pos < end and text[pos].isspace():
        pos += 1
    return pos


def _label_start(text: str, pos: int, floor: int) -> int:
    """Start of the printed label around a keyword: back to the previous tab or line break."""
    i = pos
    while i > floor and text[i - 1] not in "\t\n":
        i -= 1
    return i
