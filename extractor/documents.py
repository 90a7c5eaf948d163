"""Read a report file into a :class:`Document`: the text as read, and the normalized view every parser matches.

The two texts are linked by an offset map, so a match found in ``normalized`` can be quoted from ``original``::

    doc = read_document("report.pdf")
    m = re.search(r"本年新收.*?(\\d+)", doc.normalized)
    doc.original_quote(*m.span())          # the same words, as the report printed them

Reading turns every supported kind into plain text: ``.txt`` (encoding detected), ``.html``/``.htm`` (page chrome
dropped, tables as TAB-separated rows), ``.pdf`` (text layer, page numbers and running headers dropped, table cells
TAB-separated) and ``.docx`` (paragraphs and tables in document order). A file that cannot be read raises
:class:`~extractor.errors.InputError` with a one-line reason; no other exception type escapes :func:`read_document`.

Normalization (:func:`normalize`) keeps, for every normalized character, the index of the character it came from:

1. traditional script → simplified (OpenCC's Taiwan tables plus :data:`TW_PHRASES`, so 入口網站 becomes 门户网站),
   only when the text is traditional;
2. full-width ASCII → half-width (``（一）`` → ``(一)``, ``１２３`` → ``123``); CJK punctuation such as 、。“” stays;
3. ``\\r\\n``/``\\r`` → ``\\n``, no-break and ideographic spaces → space, and spaces between a digit and a CJK
   character dropped (``2020 年`` → ``2020年``); tabs and newlines are never touched;
4. lines that are only web or wiki chrome (:data:`NOISE_LINES`) are deleted.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import logging
import math
import os
import re
import stat
import tempfile
import unicodedata
import warnings
import zipfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

from extractor.errors import InputError

__all__ = [
    "NAV_WORDS",
    "NOISE_LINES",
    "TW_PHRASES",
    "Document",
    "Kind",
    "NoiseRule",
    "Script",
    "detect_script",
    "normalize",
    "read_document",
    "read_text",
]

Kind = Literal["txt", "html", "pdf", "docx"]
Script = Literal["simplified", "traditional"]


@dataclass(frozen=True)
class Document:
    """One report: the text as read, its normalized view and the map between them."""

    path: Path
    kind: Kind
    encoding: str | None
    original: str
    normalized: str
    script: Script
    sha256: str
    # For every normalized char, its index in `original`. None means the identity (normalized == original).
    offsets: array[int] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.offsets is None:
            if len(self.normalized) != len(self.original):
                raise ValueError("Document without offsets needs normalized and original of the same length")
            object.__setattr__(self, "offsets", _identity(len(self.normalized)))
        elif len(self.offsets) != len(self.normalized):
            raise ValueError("offsets must hold one index per normalized character")

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that the normalized span [start, end) came from."""
        offsets = self.offsets
        assert offsets is not None  # set in __post_init__
        if not 0 <= start <= end <= len(offsets):
            raise ValueError(f"span [{start}, {end}) is outside the normalized text (length {len(offsets)})")
        if start == end:
            # An empty span sits before the char at `start`, or after the last char at the end of the text.
            pos = offsets[start] if start < len(offsets) else (offsets[-1] + 1 if offsets else 0)
            return pos, pos
        return offsets[start], offsets[end - 1] + 1

    def original_quote(self, start: int, end: int) -> str:
        """The original text of the normalized span [start, end), for evidence quotes."""
        a, b = self.to_original(start, end)
        return self.original[a:b]


# --------------------------------------------------------------------------------------------------------------------
# Normalization
# --------------------------------------------------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
# Share of CJK chars that t2s changes above which a text counts as traditional. Simplified reports score ~0
# (a stray name or variant at most); traditional ones score far above (the 002 seed: about a third).
_TRADITIONAL_SHARE = 0.05

# Full-width ASCII block (U+FF01..U+FF5E) -> ASCII, as NFKC does; plus the spaces and line breaks we unify.
# Every mapping is one char to one char, so the offset map does not change.
_HALF_WIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {
    "\u00a0": " ",  # no-break space (&nbsp;)
    "\u3000": " ",  # ideographic space
    "\u2028": "\n",
    "\u2029": "\n",
    "\x0b": "\n",  # vertical tab: a manual line break in Word exports
    "\x0c": "\n",  # form feed: a page break in pdftotext output
}
_HALF_WIDTH_RE = re.compile("[" + "".join(re.escape(c) for c in _HALF_WIDTH) + "]")

# A space run between a digit and a CJK char (either order). Starting the pattern with a literal space lets the
# regex engine skip ahead fast; the fixed-width look-behinds check the char before the run.
_DIGIT_CJK_SPACES = re.compile(f" (?:(?<=[0-9] ) *(?=[{_CJK}])|(?<=[{_CJK}] ) *(?=[0-9]))")
_CR = re.compile(r"\r(\n?)")

# A number followed by a unit of quantity. Noise rules never delete a line holding one (years and dates are fine).
_QUANTITY = re.compile(r"\d(?:[\d,.]*\d)?\s*(?:件|项|条|宗|个|万|亿|%|元|次|人|份|篇|场|期|家|户|所|批|天|日内)")

_PAGE_MARK = r"[-—–]{1,2}[ \t]*\d{1,4}[ \t]*[-—–]{1,2}"


class NoiseRule(NamedTuple):
    """A kind of line that is only page chrome, matched on the whole line after steps 1-3 of normalization."""

    name: str
    pattern: str  # the line's body; an optional leading bullet and surrounding spaces are allowed around it
    example: str  # a line it deletes (tested)


NOISE_LINES: tuple[NoiseRule, ...] = (
    NoiseRule("listen", r"听全文", "  • 听全文"),
    NoiseRule("share", r"分享到[:]?[^\d\n]{0,30}", "  • 分享到"),
    NoiseRule(
        "print-close",
        r"(?:[【\[]?(?:打印(?:本页|此页)?|关闭(?:窗口|本页)?|返回顶部|收藏)[】\]]?[ \t]*)+",
        "【打印】【关闭】",
    ),
    NoiseRule("related", r"相关(?:附件|新闻|文章|词条|链接|阅读|推荐)[:]?", "相关附件"),
    NoiseRule("hot-entries", r"热门词条", "熱門詞條"),
    NoiseRule("contact", r"联[络系]我们", "聯絡我們"),
    NoiseRule("wiki-intro", r"基本介绍", "基本介紹"),
    NoiseRule("qr-code", r"扫一扫在手机(?:上)?打开当前页", "扫一扫在手机打开当前页"),
    NoiseRule("follow", r"关注[ \t]*[·•][ \t]*[^\n]*", "关注 · 广州政府网"),
    NoiseRule(
        "infobox",
        r"[•·‧・∙●▪◆■] *(?:中文名|外文名|发布单位|发布机关|发布时间|发布日期|来源)[:][^\n]*",
        "  • 中文名:廣州市人民政府2018年政府信息公開工作年度報告",
    ),
    NoiseRule("date", r"\d{4}-\d{1,2}-\d{1,2}(?:[ \t]+\d{1,2}:\d{2}(?::\d{2})?)?", "  • 2012-11-29"),
    NoiseRule("source", r"来源[:][^\n]{0,40}", "  • 来源:市政务办"),
    NoiseRule("dash", r"[-—–]", "  • -"),
    NoiseRule("page-marker", _PAGE_MARK, "－8－"),
    NoiseRule("page-of", r"第[ \t]*\d{1,4}[ \t]*页(?:[ \t]*[,/]?[ \t]*共[ \t]*\d{1,4}[ \t]*页)?", "第 2 页"),
    # A bare page number printed just above a "- n -" marker (the 000 seed ends with "6" then "－8－").
    NoiseRule("page-number", rf"\d{{1,3}}(?=[ \t]*\n(?:[ \t]*\n)*[ \t]*{_PAGE_MARK}[ \t]*(?:\n|\Z))", "6\n\n－8－"),
)

_BULLET = r"(?:[•·‧・∙●▪◆■][ ]*)?"
_NOISE_LINE = (
    r" *"  # spaces, never a TAB: a line that starts with one is a table cell
    + _BULLET
    + "(?:"
    + "|".join(f"(?P<r{i}>{rule.pattern})" for i, rule in enumerate(NOISE_LINES))
    + r") *(?:\n|\Z)"
)
_NOISE_RE = re.compile("^" + _NOISE_LINE, re.MULTILINE)


def _first_chars(pattern: str) -> str | None:
    """A regex char class of the chars a match of ``pattern`` can start with, or None when the pattern may match
    the empty string or uses a construct this reading does not follow (then no such shortcut is taken)."""
    import importlib

    # the regex parser of the standard library: private modules, so any surprise in them means "no shortcut"
    try:
        c: Any = importlib.import_module("re._constants")
        parser: Any = importlib.import_module("re._parser")
    except ImportError:
        return None

    def sequence(items: Any) -> tuple[set[str], bool, bool]:  # (chars, any digit, may match empty)
        chars: set[str] = set()
        digit = False
        for op, av in items:
            got, any_digit, empty = item(op, av)
            chars |= got
            digit = digit or any_digit
            if not empty:
                return chars, digit, False
        return chars, digit, True

    def item(op: Any, av: Any) -> tuple[set[str], bool, bool]:
        if op is c.LITERAL:
            return {chr(av)}, False, False
        if op is c.IN:
            chars: set[str] = set()
            digit = False
            for member, value in av:
                if member is c.LITERAL:
                    chars.add(chr(value))
                elif member is c.RANGE and value[1] - value[0] <= 256:
                    chars.update(map(chr, range(value[0], value[1] + 1)))
                elif member is c.CATEGORY and value is c.CATEGORY_DIGIT:
                    digit = True
                else:
                    raise ValueError(member)
            return chars, digit, False
        if op is c.SUBPATTERN and not av[1] & c.SRE_FLAG_IGNORECASE:
            return sequence(av[3])
        if op is c.BRANCH:
            parts = [sequence(alternative) for alternative in av[1]]
            return set().union(*(p[0] for p in parts)), any(p[1] for p in parts), any(p[2] for p in parts)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            chars, digit, empty = sequence(av[2])
            return chars, digit, empty or av[0] == 0
        raise ValueError(op)

    try:
        parsed = parser.parse(pattern)
        if parsed.state.flags & c.SRE_FLAG_IGNORECASE:
            return None
        chars, digit, empty = sequence(parsed)
    except (ValueError, AttributeError, TypeError, re.error):
        return None
    if empty:
        return None
    return "[" + "".join(re.escape(ch) for ch in sorted(chars)) + (r"\d" if digit else "") + "]"


# Where a noise line can start after a line break: the spaces, then a char that can start the bullet or a rule.
# Most lines start with none of them, and the full pattern is only tried on the others.
_NOISE_FIRST = _first_chars(_NOISE_LINE.removeprefix(" *"))
_NOISE_CANDIDATE_RE = re.compile(r"\n(?= *" + _NOISE_FIRST + ")") if _NOISE_FIRST else re.compile(r"\n")

_Edit = tuple[int, int, str]  # replace text[start:end] by the string


class _IdentityCache:
    """One growing array 0..n-1; slicing it is a memcpy, building it with range() is a per-int loop."""

    values: array[int] = array("i")


def _identity(n: int) -> array[int]:
    if len(_IdentityCache.values) < n:
        _IdentityCache.values = array("i", range(max(n, 2 * len(_IdentityCache.values), 1 << 16)))
    return _IdentityCache.values[:n]


# Taiwan phrases -> mainland phrases, applied before the character conversion (so both sides are traditional).
# OpenCC's own tw2sp reverses ~30,000 phrases, many from computing, and rewrites words these reports use in their
# mainland sense: 执行->运行, 建立->创建, 复制费->拷贝费, 资料->数据, 整合->集成, 联络员->联系员, 线上->在线. So we
# keep its character tables and use this short list of phrases that wiki copies of mainland reports carry.
TW_PHRASES: tuple[tuple[str, str], ...] = (
    ("入口網站", "門戶網站"),
    ("網際網路", "互聯網"),
    ("網路", "網絡"),
    ("檔案", "文件"),
    ("最佳化", "優化"),
    ("程式", "程序"),
    ("資訊", "信息"),
    ("訊息", "信息"),
    ("資料庫", "數據庫"),
    ("視窗", "窗口"),
    ("專案", "項目"),
    ("列印", "打印"),
    ("連結", "鏈接"),
    ("軟體", "軟件"),
    ("硬體", "硬件"),
    ("伺服器", "服務器"),
    ("簡訊", "短信"),
    ("部落格", "博客"),
    ("計程車", "出租車"),
    ("數位", "數字"),
    ("聯絡我們", "聯繫我們"),
)


@cache
def _opencc(config: str) -> Any:
    """An OpenCC converter, built once: "t2s.json" (to detect the script) or "tw2mainland" (to convert)."""
    import opencc  # deferred: loading the dictionaries costs tens of ms, and simplified-only runs need just t2s

    if config == "tw2mainland":
        try:
            config = str(_tw2mainland_config(Path(opencc.__file__).parent / "clib" / "share" / "opencc"))
        except OSError:  # no writable temp dir: OpenCC's own tw2sp still gets the listed phrases right
            config = "tw2sp.json"
    return opencc.OpenCC(config)


def _tw2mainland_config(share: Path) -> Path:
    """Write (once per content) an OpenCC config like tw2sp.json, with TW_PHRASES as its phrase dictionary."""
    phrases = "".join(f"{tw}\t{mainland}\n" for tw, mainland in TW_PHRASES)

    def ocd2(name: str, **extra: Any) -> dict[str, Any]:
        return {"type": "ocd2", "file": str(share / name), **extra}

    config = {
        "name": "Traditional Chinese (Taiwan) to Simplified Chinese, mainland phrases of TW_PHRASES",
        "normalization": [{"dict": ocd2("CJK_Compatibility_Ideographs.ocd2")}],
        "segmentation": {"type": "mmseg", "dict": ocd2("TSPhrases.ocd2")},
        "conversion_chain": [
            {"dict": {"type": "group", "match_policy": "short_circuit", "dicts": [
                {"type": "text", "file": "PHRASES"},
                ocd2("TWVariantsRevPhrases.ocd2"),
                ocd2("TWVariantsRev.ocd2"),
            ]}},
            {"dict": {"type": "group", "match_policy": "short_circuit", "dicts": [
                ocd2("TSPhrases.ocd2"),
                ocd2("TSCharactersExt.ocd2", may_output_tofu=True),
                ocd2("TSCharacters.ocd2"),
            ]}},
        ],
    }  # fmt: skip
    key = hashlib.sha256((phrases + json.dumps(config, sort_keys=True)).encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"extractor-opencc-{key}"
    target = folder / "tw2mainland.json"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(folder / "phrases.txt", phrases)
        text = json.dumps(config, ensure_ascii=False).replace('"PHRASES"', json.dumps(str(folder / "phrases.txt")))
        _write_atomically(target, text)
    return target


def _write_atomically(target: Path, text: str) -> None:
    """Write then rename, so a parallel worker never reads half a file."""
    scratch = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(target)


def normalize(text: str) -> tuple[str, list[int]]:
    """The normalized view of `text` and, for every normalized char, its index in `text`."""
    normalized, offsets, _ = _normalize(text)
    return normalized, offsets.tolist()


def _normalize(text: str) -> tuple[str, array[int], Script]:
    script = detect_script(text)
    if script == "traditional":
        out, offsets = _to_simplified(text)
    else:
        out, offsets = text, _identity(len(text))
    out = _half_width(out)
    out, offsets = _apply(out, offsets, _space_edits(out))
    if "|" in out:
        out, offsets = _apply(out, offsets, _markdown_edits(out))
    out, offsets = _apply(out, offsets, _noise_edits(out))
    return out, offsets, script


def detect_script(text: str) -> Script:
    """Traditional when a clear share of the CJK chars of the text's first 4,000 are ones that OpenCC's t2s
    changes (on their own: phrase context aside, which only matters for the conversion itself)."""
    sample = text[:_SAMPLE]
    pattern = _t2s_changed()
    # The share only grows with more chars counted, and there are no more CJK chars than chars: when the chars
    # changed in the first part already reach the share of the whole sample, it is traditional (the usual case
    # for a traditional text, which then is not scanned to the end).
    changed = len(pattern.findall(sample, 0, _HEAD))
    if changed >= _TRADITIONAL_SHARE * len(sample) and changed:
        return "traditional"
    changed += len(pattern.findall(sample, _HEAD)) if len(sample) > _HEAD else 0
    if not changed:
        return "simplified"
    cjk = _count_cjk(sample)
    return "traditional" if cjk and changed / cjk >= _TRADITIONAL_SHARE else "simplified"


_SAMPLE = 4000
_HEAD = 1000


@cache
def _t2s_changed() -> re.Pattern[str]:
    """A class of the CJK chars that t2s changes on their own, from OpenCC itself: every CJK char converted in
    one call (no dictionary entry holds a newline, so each line converts alone). Built once, in ~25 ms."""
    chars = [chr(c) for lo, hi in _CJK_RANGES for c in range(lo, hi + 1)]
    converted = _opencc("t2s.json").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # cannot happen with OpenCC's dictionaries; converting one by one is exact
        converted = [_opencc("t2s.json").convert(c) for c in chars]
    return re.compile("[" + "".join(c for c, out in zip(chars, converted, strict=True) if out != c) + "]")


_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def _count_cjk(text: str) -> int:
    """``len(_CJK_RE.findall(text))``, read off the high bytes of the text's UTF-16 code units.

    _CJK is U+3400..U+4DBF, U+4E00..U+9FFF and U+F900..U+FAFF: a code unit whose high byte is 0x34..0x4C,
    0x4E..0x9F or 0xF9..0xFA, or 0x4D with a low byte up to 0xBF. Chars beyond the BMP become surrogate pairs
    (high bytes 0xD8..0xDF), which _CJK does not hold either.
    """
    units = text.encode("utf-16-be", "surrogatepass")
    high = units[0::2]
    count = high.translate(_CJK_HIGH_BYTES).count(1)
    at = high.find(0x4D)
    while at >= 0:
        count += units[2 * at + 1] <= 0xBF
        at = high.find(0x4D, at + 1)
    return count


_CJK_HIGH_BYTES = bytes(int(0x34 <= b <= 0x4C or 0x4E <= b <= 0x9F or 0xF9 <= b <= 0xFA) for b in range(256))
assert _CJK == "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff", "_count_cjk and _CJK_RANGES read these ranges"


def _to_simplified(text: str) -> tuple[str, array[int]]:
    """Traditional -> simplified with an offset map. Phrases may change length (最佳化 -> 优化), never across a newline."""
    converted: str = _opencc("tw2mainland").convert(text)
    src_lines, out_lines = text.split("\n"), converted.split("\n")
    if len(out_lines) != len(src_lines):  # a newline was converted: give up alignment, map proportionally
        return _apply(text, _identity(len(text)), [(0, len(text), converted)])
    src_lengths, out_lengths = list(map(len, src_lines)), list(map(len, out_lines))
    identity = _identity(len(text))
    if src_lengths == out_lengths:
        return converted, identity
    # Lines of unchanged length map one to one, so between the changed lines (and across the newlines) the map
    # is a run of the identity; only the changed lines are aligned, piece by piece.
    changed = [k for k, (a, b) in enumerate(zip(src_lengths, out_lengths, strict=True)) if a != b]
    starts = [0]
    for n in src_lengths:
        starts.append(starts[-1] + n + 1)
    line_maps = _align_lines([src_lines[k] for k in changed], [out_lines[k] for k in changed])
    offsets = array("i")
    pos = 0  # the next source index the identity run starts at
    for k, line_map in zip(changed, line_maps, strict=True):
        src = starts[k]
        offsets.extend(identity[pos:src])
        offsets.extend([src + i for i in line_map])
        pos = src + src_lengths[k]  # the newline after the line maps to itself
    offsets.extend(identity[pos:])
    return converted, offsets


# No OpenCC dictionary entry holds punctuation or a space, and conversion leaves them as they are: a line and its
# conversion hold the same runs of these chars, and the pieces between them convert one by one. Aligning piece by
# piece is exact and cheap: most pieces keep their length, and only the others need :func:`_align`.
_PIECE_SPLIT = re.compile(r"([，。、；：！？,.;:!?（）()《》“”‘’「」 \t]+)")


def _align_lines(src_lines: list[str], out_lines: list[str]) -> list[list[int]]:
    """For each changed line (``out_lines[k]`` converts ``src_lines[k]``), the source index of each of its chars.

    Both are cut at runs of punctuation; when the runs agree, the pieces between them pair up, and a piece of
    unchanged length maps one to one (a same-length phrase stands char for char), another by :func:`_align`.
    A line whose runs differ from its conversion's (a dictionary entry that reaches over punctuation or converts
    it, after all) is aligned whole.
    """
    splits: list[tuple[list[str], list[str]] | None] = []
    chars: set[str] = set()  # the chars to convert one by one, for _align
    for src, out in zip(src_lines, out_lines, strict=True):
        a, b = _PIECE_SPLIT.split(src), _PIECE_SPLIT.split(out)
        if len(a) == len(b) and a[1::2] == b[1::2]:
            splits.append((a, b))
            chars.update(*(x for x, y in zip(a[0::2], b[0::2], strict=True) if len(x) != len(y)))
        else:
            splits.append(None)
            chars.update(src)
    per_char = _char_conversions(chars) if chars else {}
    table = str.maketrans(per_char)
    irregular = {c for c, piece in per_char.items() if len(piece) != 1}  # chars that do not convert to one char
    results: list[list[int]] = []
    for src, out, split in zip(src_lines, out_lines, splits, strict=True):
        if split is None:
            results.append(_align(src, out, per_char, table, irregular))
            continue
        line_map: list[int] = []
        at = 0
        for x, y in zip(*split, strict=True):  # pieces and runs of punctuation in turn
            if len(x) == len(y):
                line_map.extend(range(at, at + len(x)))
            else:
                line_map.extend([at + i for i in _align(x, y, per_char, table, irregular)])
            at += len(x)
        results.append(line_map)
    return results


def _char_conversions(chars: set[str]) -> dict[str, str]:
    """Each char converted on its own (no phrase context), in one OpenCC call."""
    ordered = sorted(chars)
    pieces = _opencc("tw2mainland").convert("\n".join(ordered)).split("\n")
    return dict(zip(ordered, pieces, strict=True)) if len(pieces) == len(ordered) else {c: c for c in ordered}


def _align(src: str, out: str, per_char: dict[str, str], table: dict[int, str], irregular: set[str]) -> list[int]:
    """For each char of `out` (a phrase conversion of `src`), the index of the `src` char it stands for.

    Converting char by char gives a string that differs from `out` only where a phrase changed. Walking both, the
    chars that agree map one to one; at a disagreement the walk resyncs a few chars on, and the phrase in between
    maps proportionally onto the source chars it replaced. ``table`` is ``str.maketrans(per_char)``, and
    ``irregular`` the chars whose conversion is not exactly one char.
    """
    chars = src.translate(table)  # "".join(per_char.get(c, c) for c in src)
    owner: Sequence[int]  # owner[k]: index in src of chars[k]
    if not irregular or irregular.isdisjoint(src):
        owner = range(len(src))
    else:
        owner = [i for i, c in enumerate(src) for _ in per_char.get(c, c)]
    result: list[int] = []
    i = j = 0
    while j < len(out):
        run = _common_run(chars, i, out, j)
        if run:  # chars that agree: one to one
            result.extend(owner[i : i + run])
            i, j = i + run, j + run
            continue
        di, dj = _resync(chars, i, out, j)
        lo = owner[i] if i < len(owner) else (owner[-1] if owner else 0)
        hi = owner[i + di - 1] + 1 if di else lo + 1
        result.extend(lo + k * (hi - lo) // dj for k in range(dj))
        i, j = i + di, j + dj
    return result


def _common_run(a: str, i: int, b: str, j: int) -> int:
    """The length of the common prefix of ``a[i:]`` and ``b[j:]``, by slice comparisons (a binary search)."""
    n = min(len(a) - i, len(b) - j)
    if n <= 0 or a[i] != b[j]:
        return 0
    if a[i : i + n] == b[j : j + n]:
        return n
    lo, hi = 1, n  # a[i:i+lo] == b[j:j+lo]; a[i:i+hi] != b[j:j+hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[i : i + mid] == b[j : j + mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _resync(a: str, i: int, b: str, j: int, window: int = 3, reach: int = 8) -> tuple[int, int]:
    """The shortest skip (di, dj) after which a[i+di:] and b[j+dj:] agree again for `window` chars (or to the end)."""
    len_a, len_b = len(a), len(b)
    for total in range(1, 2 * reach + 1):
        for di in range(max(0, total - reach), min(total, reach) + 1):
            p, q = i + di, j + total - di
            if window and p < len_a and q < len_b and a[p] != b[q]:
                continue  # the windows differ at their first char (the common case): no slicing
            x, y = a[p : p + window], b[q : q + window]
            if x == y and (len(x) == window or (p + len(x) == len_a and q + len(y) == len_b)):
                return di, total - di
    return len_a - i, len_b - j  # no resync in reach: the rest of the line is one replaced run


def _half_width(text: str) -> str:
    """Full-width ASCII to ASCII and odd spaces/breaks to plain ones; one str.replace per distinct char present."""
    # Search for the first char left to fold, then fold all of its kind: no replacement is itself one to fold,
    # so the search resumes where it stopped and the text is scanned about once.
    pos = 0
    while (m := _HALF_WIDTH_RE.search(text, pos)) is not None:
        char = m.group()
        text = text.replace(char, _HALF_WIDTH[char])
        pos = m.end()
    return text


def _space_edits(text: str) -> list[_Edit]:
    edits: list[_Edit] = []
    if "\r" in text:
        # "\r\n" -> drop the "\r" (the "\n" keeps its own offset); a lone "\r" becomes "\n".
        edits.extend((m.start(), m.start() + 1, "" if m.group(1) else "\n") for m in _CR.finditer(text))
    edits.extend((m.start(), m.end(), "") for m in _DIGIT_CJK_SPACES.finditer(text))
    edits.sort()
    return edits


# Markdown tables (PDF/OCR-to-markdown conversions): a row "| a | b |" becomes "a<TAB>b", as an HTML table's row
# does, and the "|---|---|" rule under a header goes.
_MD_ROW_RE = re.compile(r"^[ \t]*\|(?P<body>[^\n]*\|)[ \t]*$", re.MULTILINE)
_MD_RULE_RE = re.compile(r"[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*")
_MD_PIPE_RE = re.compile(r"[ \t]*\|[ \t]*")


def _markdown_edits(text: str) -> list[_Edit]:
    edits: list[_Edit] = []
    for m in _MD_ROW_RE.finditer(text):
        start, end = m.start(), m.end()
        if _MD_RULE_RE.fullmatch(text, start, end):
            edits.append((start, end + 1 if text.startswith("\n", end) else end, ""))  # the line and its break
            continue
        pipes = list(_MD_PIPE_RE.finditer(text, start, end))
        if len(pipes) < 3:  # "| x |" is no table row
            continue
        for i, pipe in enumerate(pipes):
            a, b = pipe.start(), pipe.end()
            if i == 0:
                edits.append((start, b, ""))
            elif i == len(pipes) - 1:
                edits.append((a, end, ""))
            else:
                edits.append((a, b, "\t"))
    return edits


def _noise_edits(text: str) -> list[_Edit]:
    """The noise lines (as ``_NOISE_RE.finditer`` finds them) that hold no quantity, to delete."""
    edits: list[_Edit] = []
    first = _NOISE_RE.match(text)
    if first is not None and not _QUANTITY.search(first.group()):
        edits.append((first.start(), first.end(), ""))
    # A match never crosses a line, so every line start is tried on its own, as _NOISE_RE.finditer would
    for c in _NOISE_CANDIDATE_RE.finditer(text):
        m = _NOISE_RE.match(text, c.end())
        if m is not None and not _QUANTITY.search(m.group()):
            edits.append((m.start(), m.end(), ""))
    return edits


def _apply(text: str, offsets: array[int], edits: Sequence[_Edit]) -> tuple[str, array[int]]:
    """Apply sorted, non-overlapping edits to `text` and carry the offset map along, slice by slice."""
    if not edits:
        return text, offsets
    parts: list[str] = []
    new = array("i")
    pos = 0
    for start, end, repl in edits:
        parts.append(text[pos:start])
        new.extend(offsets[pos:start])
        if repl:
            parts.append(repl)
            if len(repl) == end - start:
                new.extend(offsets[start:end])
            else:  # proportional: each new char maps into the replaced span, monotone
                width = max(end - start, 1)
                last = min(start, len(offsets) - 1)
                new.extend(offsets[min(start + k * width // len(repl), last + width - 1)] for k in range(len(repl)))
        pos = end
    parts.append(text[pos:])
    new.extend(offsets[pos:])
    return "".join(parts), new


# --------------------------------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------------------------------

# The one table of file types, for a single file and for the files of a folder alike.
SUFFIXES: dict[str, Kind] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "txt",  # PDF/OCR-to-markdown conversions
    ".markdown": "txt",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",  # server-side-include pages, common on government sites
    ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
SUPPORTED_TEXT = ", ".join(SUFFIXES)


def supported(path: Path) -> bool:
    """Whether a folder's file is read as a report: by its suffix, as :func:`read_document` reads it."""
    return path.suffix.lower() in SUFFIXES


def read_document(path: Path | str) -> Document:
    """Read a report file of any supported kind. Raises InputError with a one-line reason when it cannot."""
    p = Path(path)
    raw = _read_bytes(p)
    kind = _kind_of(p, raw)
    try:
        original, encoding = _READERS[kind](p, raw)
        if kind == "txt" and (embedded := embedded_html(original)) is not None:
            # a page's HTML saved as text, or held in a JavaScript string: read as the page it is
            kind, original = "html", _html_text(p, embedded)
    except InputError:
        raise
    except _OverLimit as e:
        raise InputError(p, str(e)) from None
    except Exception as e:  # the boundary: whatever a parser library raises on a bad file becomes an InputError
        raise InputError(p, f"cannot read as {kind}: {type(e).__name__}: {_one_line(str(e))}") from e
    return _document(p, kind, encoding, original, hashlib.sha256(raw).hexdigest())


# HTML markup inside a text file: enough block tags to be a page, not a stray "<" in prose.
_HTML_TAG_RE = re.compile(r"<(?:p|td|tr|table|br|div|span|th)\b[^<>]{0,400}>|</(?:p|td|tr|table|div|span|th)>", re.I)
_MIN_HTML_TAGS = 20
# A JavaScript/JSON string literal: "…" or '…' with backslash escapes (kept to one line, as a literal must be).
_JS_STRING_RE = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'')
_JS_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "", "f": "", "v": "", "0": ""}


def embedded_html(text: str) -> str | None:
    """The HTML a text file holds, or None. Markup in a JavaScript string (``let content = "<p>…"``) is unquoted and
    unescaped first; markup in the text itself is taken as it is."""
    if len(_HTML_TAG_RE.findall(text[:200_000])) < _MIN_HTML_TAGS:
        return None
    literals = [m.group(1) if m.group(1) is not None else m.group(2) for m in _JS_STRING_RE.finditer(text)]
    marked = [s for s in literals if len(_HTML_TAG_RE.findall(s)) >= _MIN_HTML_TAGS]
    if not marked:
        return text
    return "\n".join(_JS_ESCAPE_RE.sub(_unescape_js, s) for s in marked)


def _unescape_js(m: re.Match[str]) -> str:
    code = m.group(1)
    if len(code) > 1:
        return chr(int(code[1:], 16))
    return _JS_ESCAPES.get(code, code)


def _html_text(path: Path, html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    body = LexborHTMLParser(html).body
    text = _clean_lines(_node_text(body)) if body is not None else ""
    if not text.strip():
        raise InputError(path, "no text in the HTML held in the file")
    return text


def raw_text(path: Path | str) -> str:
    """A file's own text before any reading of its markup: the decoded characters of a text or HTML file, the
    extracted text of a PDF or .docx. Gold quotes are checked against it, so they do not move when a reader changes."""
    p = Path(path)
    raw = _read_bytes(p)
    kind = _kind_of(p, raw)
    if kind in ("pdf", "docx"):
        return read_document(p).original
    return _decode_text(p, raw)[0]


def read_text(text: str, path: Path | str = "<text>") -> Document:
    """Run the normalization pipeline on an in-memory text (kind "txt")."""
    if not text.strip():
        raise InputError(path, "empty text")
    return _document(Path(path), "txt", None, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _document(path: Path, kind: Kind, encoding: str | None, original: str, sha256: str) -> Document:
    normalized, offsets, script = _normalize(original)
    if not normalized.strip():
        raise InputError(path, "only web-page chrome, no report text")
    return Document(path, kind, encoding, original, normalized, script, sha256, offsets)


MAX_INPUT_BYTES = 200 * 2**20  # a report is kilobytes to a few megabytes; a scan-heavy PDF tens of megabytes
MAX_DOCX_XML_BYTES = 64 * 2**20  # the text parts of a .docx, uncompressed (a zip bomb inflates to gigabytes)


def _read_bytes(path: Path) -> bytes:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from None
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        raise InputError(path, "not a regular file (a pipe, device or socket)")
    if info.st_size > MAX_INPUT_BYTES:
        raise InputError(path, f"{info.st_size / 2**20:.0f} MB is over the {MAX_INPUT_BYTES // 2**20} MB input limit")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, expected a file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as e:
        if path.is_dir():
            raise InputError(path, "is a directory, expected a file") from None
        raise InputError(path, f"cannot read: {e.strerror or e}") from None
    if not raw.strip():
        raise InputError(path, "empty file")
    return raw


def _kind_of(path: Path, raw: bytes) -> Kind:
    """The kind named by the suffix; for an unknown suffix, what the bytes look like."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is not None:
        return kind
    head = raw[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04") and b"word/" in raw[:65536]:
        return "docx"
    try:
        text, _ = _decode_text(path, raw)
    except InputError as e:
        raise InputError(
            path, f"unsupported file type ({SUPPORTED_TEXT}), and not readable as text: {e.reason}"
        ) from None
    return "html" if re.match(r"\s*<(?:!doctype html|html|head|body)\b", text[:2048], re.IGNORECASE) else "txt"


def _one_line(message: str) -> str:
    return " ".join(message.split())[:200]


# ---- text ----------------------------------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Detected legacy encodings -> the superset codec to decode with (a GBK file may hold GB18030-only chars).
_SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "gb18030": ("gb18030",),
    "hz": ("gb18030",),
    "big5": ("cp950", "big5hkscs"),
    "cp950": ("cp950", "big5hkscs"),
    "big5hkscs": ("big5hkscs",),
}
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")


_STRAY_NULS = 8


def _decode_text(path: Path, raw: bytes) -> tuple[str, str]:
    """Decode bytes strictly: BOM, then UTF-8, then BOM-less UTF-16, then detection. Never guesses with U+FFFD."""
    text, encoding = _decode_guess(path, raw)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError(path, "empty file")
    bad = len(_CONTROL_RE.findall(text))
    if bad > max(2, len(text) // 200):
        raise InputError(path, f"undetectable or mixed text encoding ({bad} control characters after decoding)")
    return text, encoding


def _decode_guess(path: Path, raw: bytes) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return _decode(raw, codec)
            except UnicodeDecodeError:
                raise InputError(path, f"undetectable or mixed text encoding (invalid {codec} after its BOM)") from None
    if b"\x00" in raw:  # no text encoding but UTF-16/32 has NUL bytes
        utf16 = _utf16_without_bom(raw)
        if utf16 is not None:
            return utf16
        if raw.count(b"\x00") <= _STRAY_NULS:  # a stray NUL (a copy's glitch) in otherwise valid UTF-8 text
            try:
                return _decode(raw.replace(b"\x00", b""), "utf-8")
            except UnicodeDecodeError:
                pass
        raise InputError(path, "binary file, not text")
    try:
        return _decode(raw, "utf-8")
    except UnicodeDecodeError:
        pass
    return _detect_legacy(path, raw)


def _utf16_without_bom(raw: bytes) -> tuple[str, str] | None:
    """UTF-16LE/BE without a BOM: its ASCII chars (newlines, digits) put NULs on one side of the byte pairs."""
    if len(raw) % 2:
        return None
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    if max(even, odd) < len(raw) // 2 * 0.02 or max(even, odd) < 3 * min(even, odd):
        return None
    try:
        text, codec = _decode(raw, "utf-16-le" if odd > even else "utf-16-be")
    except UnicodeDecodeError:
        return None
    # Random binary also decodes as UTF-16; real text is mostly ASCII, CJK and CJK punctuation.
    plausible = len(_PLAUSIBLE_RE.findall(text))
    return (text, codec) if plausible >= 0.9 * len(text) else None


_PLAUSIBLE_RE = re.compile(f"[\t\n\r\x20-\x7e\u00a0-\u00ff\u2000-\u206f\u3000-\u303f\uff00-\uffef{_CJK}]")


def _detect_legacy(path: Path, raw: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw))
    # These are Chinese reports: on short texts the detector ranks Korean or Japanese codecs level with GBK/Big5.
    chosen = next((m for m in matches if _codec_key(m.encoding) in _SUPERSETS), matches[0] if matches else None)
    if chosen is None:
        raise InputError(path, "undetectable or mixed text encoding")
    detected = _codec_key(chosen.encoding)
    for codec in (*_SUPERSETS.get(detected, ()), detected):
        try:
            return _decode(raw, codec)
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError(path, f"undetectable or mixed text encoding (not valid {detected})")


def _decode(raw: bytes, codec: str) -> tuple[str, str]:
    """Strict decoding; the codec under its canonical Python name ("utf-8", "gb18030", "cp950", "utf-16-le")."""
    return raw.decode(codec), codecs.lookup(codec).name


def _codec_key(name: str) -> str:
    key = name.lower().replace("-", "_")
    return {"big5_hkscs": "big5hkscs", "gb_2312": "gb2312", "x_gbk": "gbk"}.get(key, key)


# ---- html ----------------------------------------------------------------------------------------------------------

_DROP_TAGS = (
    "script", "style", "nav", "header", "footer", "aside", "form", "iframe", "noscript",
    "template", "svg", "button", "select", "object", "embed",
)  # fmt: skip
# id/class words that mark page chrome. Matched against the id/class split into lower-case words; words of 5+
# letters also match inside a word ("bdsharebuttonbox"), shorter ones only whole ("nav", not "canvas").
NAV_WORDS: tuple[str, ...] = (
    "nav", "navbar", "subnav", "topnav", "mainnav", "navigation", "menu", "mainmenu", "topmenu", "submenu",
    "breadcrumb", "crumb", "crumbs", "share", "sharing", "footer", "foot", "related", "relate", "comment",
    "ad", "ads", "advert", "sidebar", "toolbar", "social", "topbar", "sitemap", "copyright", "skip",
    "xgxw", "xgwz", "xglj", "fenxiang",  # pinyin initials used by gov CMSs: 相关新闻/相关文章/相关链接, 分享
)  # fmt: skip
_NAV_EXACT = frozenset(w for w in NAV_WORDS if len(w) < 5)
_NAV_INSIDE = re.compile("|".join(re.escape(w) for w in NAV_WORDS if len(w) >= 5))
_BLOCK_TAGS = frozenset((
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dir", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "menu", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
))  # fmt: skip
_HTML_WS = re.compile(r"[ \t\n\r\f]+")
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_KEEP_ALWAYS = frozenset({"html", "body", "main", "article"})


def _read_html(path: Path, raw: bytes) -> tuple[str, str | None]:
    html, encoding = _decode_html(path, raw)
    from selectolax.lexbor import LexborHTMLParser

    body = LexborHTMLParser(html).body
    text = _clean_lines(_node_text(body)) if body is not None else ""
    if not text.strip():
        raise InputError(path, "no text in the HTML page")
    return text, encoding


def _decode_html(path: Path, raw: bytes) -> tuple[str, str]:
    if not any(raw.startswith(bom) for bom, _ in _BOMS):
        m = _META_CHARSET.search(raw[:4096])
        if m:
            declared = _codec_key(m.group(1).decode("ascii"))
            for codec in (*_SUPERSETS.get(declared, ()), declared):
                try:
                    return _decode(raw, codec)
                except (UnicodeDecodeError, LookupError):
                    continue  # the page lies about its charset: detect instead
    return _decode_text(path, raw)


def _is_chrome(node: Any, in_article: bool) -> bool:
    tag = node.tag
    if tag in _KEEP_ALWAYS:
        return False
    if tag in _DROP_TAGS:
        # An <article>'s own <header> holds its title; a page-level <header> holds the site's banner and menu.
        return not (tag == "header" and in_article)
    attributes = node.attributes
    return ("id" in attributes or "class" in attributes) and _looks_like_chrome(attributes)


def _looks_like_chrome(attributes: dict[str, str | None]) -> bool:
    words = " ".join(v for k, v in attributes.items() if k in ("id", "class") and v)
    # split camelCase and separators: "shareBtn main-nav" -> share btn main nav
    tokens = re.sub(r"([a-z])([A-Z])", r"\1 \2", words).lower()
    for token in re.split(r"[^a-z0-9]+", tokens):
        if token in _NAV_EXACT or (len(token) >= 5 and _NAV_INSIDE.search(token)):
            return True
    return False


def _node_text(root: Any, in_article: bool = False) -> str:
    """Text of a node without its chrome: blocks on their own lines, <br> a newline, tables as TAB-separated rows."""
    out: list[str] = []
    # Nodes with their "inside an <article>" flag, and "\n" markers to emit when a block element closes.
    stack: list[tuple[Any, bool] | str] = [(root, in_article)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node, in_article = item
        tag = node.tag
        if tag == "-text":
            out.append(_HTML_WS.sub(" ", (node.text(deep=False) or "").replace("\xa0", " ")))
        elif tag.startswith("-") or tag == "head" or _is_chrome(node, in_article):
            continue
        elif tag == "br":
            out.append("\n")
        elif tag == "table":
            out.append("\n" + _table_text(node, in_article) + "\n")
        else:
            if tag in _BLOCK_TAGS:
                out.append("\n")
                stack.append("\n")
            in_article = in_article or tag == "article"
            stack.extend((child, in_article) for child in reversed(list(node.iter(include_text=True))))
    return "".join(out)


def _table_text(table: Any, in_article: bool) -> str:
    """Rows one per line, cells joined by TAB; colspan/rowspan leave empty cells so columns stay aligned."""
    lines: list[str] = []
    grid = _SpanGrid()
    for child in _table_children(table):
        if child.tag == "caption":
            lines.append(_join_wrapped(_node_text(child, in_article).split("\n")))
            continue
        row = grid.start_row()
        for cell in child.iter():
            if cell.tag in ("td", "th") and not _is_chrome(cell, in_article):
                text = _join_wrapped(_node_text(cell, in_article).replace("\t", " ").split("\n"))
                row.add(text, _span(cell.attributes.get("colspan")), _span(cell.attributes.get("rowspan")))
        cells = row.finish()
        grid.cells += len(cells)
        if grid.cells > MAX_TABLE_CELLS:
            raise _OverLimit(f"an HTML table spans over {MAX_TABLE_CELLS:,} cells (the limit)")
        lines.append("\t".join(cells))
    return "\n".join(lines)


def _table_children(table: Any) -> Iterator[Any]:
    """The caption and rows of this table, not of tables nested in its cells."""
    for child in table.iter():
        if child.tag in ("thead", "tbody", "tfoot"):
            yield from (row for row in child.iter() if row.tag == "tr")
        elif child.tag in ("tr", "caption"):
            yield child


class _SpanGrid:
    """Tracks the columns that a rowspan from an earlier row still covers."""

    def __init__(self) -> None:
        self.covered: dict[int, int] = {}  # column -> rows it is still covered for
        self.cells = 0  # emitted so far, against MAX_TABLE_CELLS

    def start_row(self) -> _GridRow:
        row = _GridRow(self.covered)
        self.covered = row.next_covered
        return row


class _GridRow:
    def __init__(self, covered: dict[int, int]) -> None:
        self.covered = covered
        self.next_covered: dict[int, int] = {}
        self.cells: list[str] = []

    def _skip_covered(self, until: int | None) -> None:
        """Put an empty cell in each column covered from above: the next ones, or all up to `until`."""
        while True:
            col = len(self.cells)
            if until is not None and col >= until:
                return
            rows = self.covered.get(col, 0)
            if until is None and rows == 0:
                return
            if rows > 1:
                self.next_covered[col] = rows - 1
            self.cells.append("")

    def add(self, text: str, colspan: int, rowspan: int) -> None:
        self._skip_covered(None)
        col = len(self.cells)
        self.cells.append(text)
        self.cells.extend([""] * (colspan - 1))
        if rowspan > 1:
            self.next_covered.update({col + k: rowspan - 1 for k in range(colspan)})

    def finish(self) -> list[str]:
        self._skip_covered(max(self.covered, default=-1) + 1)
        return self.cells


class _OverLimit(Exception):
    """A reader stopped at one of its limits; read_document names the file."""


MAX_TABLE_CELLS = 200_000  # a report's tables have hundreds; a page of huge colspans would take gigabytes
_MAX_SPAN = 64  # the widest report table has 15 columns


def _span(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), _MAX_SPAN)
    except ValueError:
        return 1


def _join_wrapped(parts: Iterable[str]) -> str:
    """Join the lines of one wrapped cell: nothing between CJK chars, one space between other words."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if out and not (_CJK_RE.match(out[-1]) or _CJK_RE.match(part[0]) or not out[-1].isalnum()):
            out += " "
        out += part
    return _HTML_WS.sub(" ", out)


def _clean_lines(text: str) -> str:
    lines = (re.sub(" {2,}", " ", line).strip(" ") for line in text.split("\n"))
    return "\n".join(line for line in lines if line.strip())


# ---- pdf -----------------------------------------------------------------------------------------------------------


class _Chunk(NamedTuple):
    text: str
    x: float
    y: float
    size: float
    broken: bool = False  # the text followed a newline inside one text operation: start a new line


@dataclass
class _Line:
    """One output line of a PDF page, built from text chunks in content-stream order."""

    cells: list[str]
    x0: float  # where the line starts
    cell_x: float  # where its last cell starts
    y: float
    end_x: float  # estimated end of the last chunk
    size: float

    @property
    def text(self) -> str:
        return "\t".join(self.cells)


def _read_pdf(path: Path, raw: bytes) -> tuple[str, str | None]:
    from pypdf import PdfReader

    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a broken file makes pypdf log a warning per recovered object
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(raw))
            if reader.is_encrypted and not reader.decrypt(""):
                raise InputError(path, "encrypted PDF")
            pages = [_page_lines(page) for page in reader.pages]
    except InputError:
        raise
    except Exception as e:  # pypdf raises PdfReadError, but also ValueError, KeyError, zlib errors on broken files
        raise InputError(path, f"damaged PDF: {_one_line(str(e)) or type(e).__name__}") from e
    finally:
        pypdf_log.setLevel(level)
    if not pages:
        raise InputError(path, "damaged PDF: no pages")
    if not any(line.strip() for page in pages for line in page):
        raise InputError(path, "PDF has no text layer; it needs OCR first")
    return "\n".join("\n".join(page) for page in _strip_page_furniture(pages)), None


def _page_lines(page: Any) -> list[str]:
    chunks: list[_Chunk] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float) -> None:
        # pypdf reports its own line breaks as "\n" chunks; positions tell us more, so those are skipped.
        a, b, c, d, e, f = _matmul(tm, cm)
        scale = math.sqrt(abs(a * d - b * c)) or 1.0
        for k, piece in enumerate(text.split("\n")):
            if piece.strip():
                chunks.append(_Chunk(piece, e, f, max(size * scale, 1.0), broken=k > 0))

    page.extract_text(visitor_text=visit)
    return [line.text for line in _assemble(chunks)]


def _matmul(m: Sequence[float], n: Sequence[float]) -> tuple[float, float, float, float, float, float]:
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n  # the second matrix
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _width(text: str, size: float) -> float:
    """Estimated advance of `text` in a typical font: the chunk's own glyph widths are keyed by glyph id, not char."""
    return size * sum(_em(ch) for ch in text)


_NARROW = frozenset(" .,:;!|'`ilj()[]{}")


def _em(ch: str) -> float:
    if ch in _NARROW:
        return 0.3
    if ch.isdigit():
        return 0.55
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0
    return 0.65 if ch.isupper() else 0.5


def _assemble(chunks: Sequence[_Chunk]) -> list[_Line]:
    """Lines from chunks: same baseline -> same line (a wide gap -> a TAB between cells), else a new line.

    A table cell that wraps is drawn line by line before the next cell of its row, which then jumps back up.
    When that happens, the wrapped lines are joined into one cell so the row reads label, TAB, numbers.
    """
    lines: list[_Line] = []
    for chunk in chunks:
        last = lines[-1] if lines else None
        if last is None or chunk.broken:
            lines.append(_new_line(chunk))
        elif abs(chunk.y - last.y) <= 0.4 * chunk.size:
            _extend_line(last, chunk)
        elif chunk.y > last.y and _merge_wrapped_cell(lines, chunk):
            pass
        elif _taller_neighbour(last, chunk):
            _extend_line(last, chunk)
        else:
            lines.append(_new_line(chunk))
    return lines


def _new_line(chunk: _Chunk) -> _Line:
    text = chunk.text.strip(" ")
    return _Line([text], chunk.x, chunk.x, chunk.y, chunk.x + _width(text, chunk.size), chunk.size)


def _taller_neighbour(last: _Line, chunk: _Chunk) -> bool:
    """A cell whose text starts a little above the last line and right of its end: the next cell of the same row,
    taller (it wraps) than the single line before it, which the table centres vertically."""
    return 0 < chunk.y - last.y <= 2.5 * chunk.size and chunk.x > last.end_x + chunk.size


def _extend_line(line: _Line, chunk: _Chunk) -> None:
    # pypdf starts a chunk with a space when it saw a gap before it; a chunk without one continues the text.
    text = chunk.text.lstrip(" ")
    gap = chunk.x - line.end_x
    if gap > 2 * chunk.size or (gap > 0.8 * chunk.size and chunk.text.startswith(" ")):
        line.cells.append(text)
        line.cell_x = chunk.x
        line.y = chunk.y
    else:
        line.cells[-1] += chunk.text
    line.end_x = max(line.end_x, chunk.x + _width(text, chunk.size))


def _merge_wrapped_cell(lines: list[_Line], chunk: _Chunk) -> bool:
    """If `chunk` is the next cell of a row whose previous cell wrapped over the last lines, join them; say so."""
    last = lines[-1]
    x_cell, tol = last.x0, 0.4 * chunk.size
    if len(last.cells) > 1 or chunk.x <= x_cell + chunk.size:
        return False
    run = [len(lines) - 1]  # indices of the wrapped cell's lines, bottom first
    for k in range(len(lines) - 2, max(len(lines) - 12, -1), -1):
        line, below = lines[k], lines[run[-1]]
        if not 0 < line.y - below.y <= 2.5 * line.size or abs(line.cell_x - x_cell) > tol:
            break
        run.append(k)
        if len(line.cells) > 1:  # a line with earlier cells of the same row: the row's top
            break
    if len(run) < 2:
        return False
    bottom = lines[run[0]].y
    top = _row_top(run, lines, chunk.y, bottom, tol)
    if top is None:
        return False
    keep = lines[top]
    merged = _join_wrapped([keep.cells[-1], *(lines[k].text for k in reversed(run) if k != top)])
    keep.cells[-1] = merged
    del lines[top + 1 :]
    keep.cells.append(chunk.text.strip(" "))
    keep.cell_x, keep.y, keep.end_x = chunk.x, chunk.y, chunk.x + _width(chunk.text, chunk.size)
    return True


def _row_top(run: list[int], lines: list[_Line], y: float, bottom: float, tol: float) -> int | None:
    """Which line of the run starts the row: the next cell is drawn centred on the row, or level with its top."""
    if len(lines[run[-1]].cells) > 1 and bottom - tol <= y <= lines[run[-1]].y + tol:
        return run[-1]
    for target in (2 * y - bottom, y):  # centred: top = 2y - bottom; top-aligned: top = y
        for k in run:
            if abs(lines[k].y - target) <= tol:
                return k
    return None


# Page furniture: lines at a page's top or bottom that are page numbers, or repeat at the same place on most pages.
_PAGE_NUMBER = re.compile(
    r"\s*(?:[-—–－]{1,2}\s*\d{1,4}\s*[-—–－]{1,2}|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页)\s*"
)
_EDGE = 2  # lines at each end of a page that may be furniture


def _strip_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Peel page numbers and running headers/footers off each page's top and bottom."""
    pages = [[line for line in page if line.strip()] for page in pages]
    repeated = _running_lines(pages)
    cleaned: list[list[str]] = []
    for number, page in enumerate(pages, start=1):
        top, bottom = 0, len(page)
        while top < min(_EDGE, bottom) and _is_furniture(page[top], number, repeated):
            top += 1
        while bottom > max(top, len(page) - _EDGE) and _is_furniture(page[bottom - 1], number, repeated):
            bottom -= 1
        cleaned.append(page[top:bottom])
    return cleaned


def _running_lines(pages: list[list[str]]) -> frozenset[str]:
    """Edge lines (digits masked) found on at least half the pages, and on two or more: headers and footers."""
    if len(pages) < 2:
        return frozenset()
    counts: Counter[str] = Counter()
    for page in pages:
        # Bare numbers are left to the page-index check of _is_furniture: "#" would match any lone table cell.
        counts.update({_mask(line) for line in (*page[:_EDGE], *page[-_EDGE:]) if "\t" not in line} - {"#"})
    needed = max(2, math.ceil(len(pages) / 2))
    return frozenset(key for key, n in counts.items() if n >= needed)


def _mask(line: str) -> str:
    return re.sub(r"\d+", "#", "".join(line.split()))


def _is_furniture(line: str, page_number: int, repeated: frozenset[str]) -> bool:
    if "\t" in line:
        return False
    if _PAGE_NUMBER.fullmatch(line) or _mask(line) in repeated:
        return True
    # A bare number at the edge is a page number when it is near the page's index (not a stray table cell).
    stripped = line.strip()
    return stripped.isascii() and stripped.isdigit() and len(stripped) <= 4 and abs(int(stripped) - page_number) <= 20


# ---- docx ----------------------------------------------------------------------------------------------------------


def _read_docx(path: Path, raw: bytes) -> tuple[str, str | None]:
    import docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            inflated = sum(i.file_size for i in archive.infolist() if i.filename.endswith((".xml", ".rels")))
    except zipfile.BadZipFile as e:
        raise InputError(path, f"damaged DOCX: {e}") from e
    if inflated > MAX_DOCX_XML_BYTES:
        raise InputError(
            path, f"DOCX text inflates to {inflated / 2**20:.0f} MB, over the {MAX_DOCX_XML_BYTES // 2**20} MB limit"
        )
    try:
        document = docx.Document(io.BytesIO(raw))
        blocks = [_docx_table(item) if isinstance(item, Table) else item.text for item in document.iter_inner_content()]
    except Exception as e:  # python-docx raises zip, XML and key errors alike for a damaged file
        raise InputError(path, f"damaged DOCX: {_one_line(str(e)) or type(e).__name__}") from e
    text = _clean_lines("\n".join(blocks))
    if not text.strip():
        raise InputError(path, "no text in the DOCX document")
    return text, None


def _docx_table(table: Any) -> str:
    rows: list[str] = []
    seen: set[Any] = set()  # a merged cell comes once per grid column/row it covers: print it once
    for row in table.rows:
        cells = [""] * row.grid_cols_before
        for cell in row.cells:
            element = cell._tc  # the <w:tc> element; the _Cell proxies are new objects each time
            cells.append("" if element in seen else _join_wrapped(p.text for p in cell.paragraphs).replace("\t", " "))
            seen.add(element)
        rows.append("\t".join(cells))
    return "\n".join(rows)


_READERS: dict[Kind, Callable[[Path, bytes], tuple[str, str | None]]] = {
    "txt": _decode_text,
    "html": _read_html,
    "pdf": _read_pdf,
    "docx": _read_docx,
}
