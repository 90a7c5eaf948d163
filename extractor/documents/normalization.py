"""Normalization: the view every parser matches, and the offset map back to the text as read."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from array import array
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from .common import Script

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
