"""Chinese number normalization (domain.md §5): read counts, amounts and percentages as printed in the reports.

``parse_number`` reads one number phrase that is the whole string (a table cell, a matched span);
``match_number`` reads the number phrase that starts at an offset (used by the prose rules);
``find_numbers`` finds every count, amount and percentage in a sentence and leaves out what only *looks* like a
number: years and dates, phone and document numbers, URLs, ordinals (第二十条, (五), 一是, 1.) and the
stop-list of numeral labels (三安全一稳定, 一网通办, 六稳六保 …).

Rules, in short:

* ``N万``/``N亿`` counts are rounded, so they are ``approx`` ("81万条" → 810000 approx) unless a qualifier says
  more ("10万多" → 100000 at_least); money in 万元/亿元 is exact and keeps its printed unit (``to_yuan`` converts).
* 多/余/超过/逾/以上/之多 → at_least; 近/约/左右/上万 → approx; 不足/不到/以下 → at_most.
* "+247", "-3", "增加5项", "减少2项" are ``signed`` changes; percentages are ``percent`` and never counts.
* In ``find_numbers`` a 4-digit number 1900–2099 with no unit is a year, and a unitless number glued to a CJK
  word ("12345热线", "2.0版") is a label. ``parse_number`` reads a bare cell such as "2015" as a count, because a
  table cell has no context to say otherwise; "2015年" is still None.
* Decided: "9个方面32个项目" are real counts (of an assessment scheme), so they are *not* stop-listed; no prose
  rule maps them to a code.

This module imports nothing from the project: it sits in the bottom layer beside ``extractor.models`` (an
independent sibling in the import-linter contract), so ``Qualifier`` is restated here with the same literals.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Qualifier = Literal["exact", "approx", "at_least", "at_most"]  # same literals as extractor.models.Qualifier


@dataclass(frozen=True, slots=True)
class Number:
    """One number phrase as printed, normalized."""

    value: int | float
    qualifier: Qualifier
    unit: str | None  # the unit word as printed (人次, 条, 万元, %, …), or None
    raw: str  # the matched text, qualifiers and unit included
    start: int  # span in the string that was searched
    end: int
    signed: bool = False  # printed with + / - / 增加 / 减少
    percent: bool = False  # a percentage: a ratio, never a count


# Full-width ASCII → half-width, length-preserving (offsets stay valid). "，" and "；" stay CJK punctuation,
# like extractor.documents leaves them; the ideographic space becomes a space.
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if c not in (0xFF0C, 0xFF1B)}
_HALF_WIDTH[0x3000] = 0x20

UNITS: tuple[str, ...] = (
    "人次", "万元", "亿元", "篇次", "件次", "批次",
    "元", "条", "件", "宗", "份", "篇", "项", "个", "次", "场", "通", "人", "名", "家", "期", "批", "册",
    "封", "面", "种", "所", "台", "笔", "户", "套", "张", "类", "位", "页", "例", "起", "%", "‰",
)  # fmt: skip
MONEY_UNITS: frozenset[str] = frozenset({"元", "万元", "亿元"})

_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_CHARS = "〇零一二两三四五六七八九十百千万亿"

_UNIT_ALT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_PRE: dict[str, Qualifier] = {
    "不超过": "at_most", "超过": "at_least", "多达": "at_least", "将近": "approx", "接近": "approx",
    "大约": "approx", "不足": "at_most", "不到": "at_most", "逾": "at_least", "近": "approx", "约": "approx",
    "上": "approx",
}  # fmt: skip
_SUFFIX: dict[str, Qualifier] = {
    "多": "at_least", "余": "at_least", "以上": "at_least", "之多": "at_least", "有余": "at_least",
    "左右": "approx", "以下": "at_most",
}  # fmt: skip

# One number phrase. Chinese numerals only count when a unit or a qualifier follows (else 统一/一是/五公开 …).
TOKEN_PATTERN = (
    r"(?P<pre>不超过|超过|多达|将近|接近|大约|不足|不到|逾|近|约|上(?=万)|增加了?|减少了?)?"
    r"(?P<sign>(?<![0-9A-Za-z.])[+\-](?=\d))?"
    r"(?:(?P<ar>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<armul>[万亿](?!元))?"
    rf"|(?P<cn>[{_CN_CHARS}]+)(?=多|余|以上|以下|左右|{_UNIT_ALT}|\Z))"
    r"(?P<q1>多|余)?(?P<mul2>[万亿](?!元))?"
    rf"(?P<unit>{_UNIT_ALT})?"
    r"(?P<q2>以上|以下|左右|之多|有余)?"
)
_TOKEN = re.compile(TOKEN_PATTERN)
_LEAD = r"(?:占|共计|合计|总计|累计|共|达到|达|为|约为)?"
_WHOLE = re.compile(rf"\s*{_LEAD}(?P<tok>{TOKEN_PATTERN})")
_TRAILING = " \t\r\n。；;，,"
_EMPTY_CELL = frozenset(
    {"", "-", "—", "–", "/", "／", "&nbsp;", "\xa0", "无", "(无)", "（无）", "無", "(無)", "（無）"}
)

# Numeral phrases that are names or list markers, never counts.
STOP_PHRASES: tuple[str, ...] = (
    *(f"{c}是" for c in "一二三四五六七八九十"),
    "三安全一稳定", "三类内部事务", "四类过程性", "五公开", "五个一", "五位一体", "一网通办", "一门一网",
    "一门式", "一网一门", "双随机、一公开", "双随机一公开", "一公开", "六稳六保", "六稳", "六保", "三同步",
    "三公经费", "三公", "一年多来", "一年来", "一件事一次办", "一件事", "一次办", "一带一路", "4级服务",
    "四级服务", "放管服", "一窗", "一号通", "一卡通", "一站式", "最多跑一次", "一次性", "千家万户",
    "两学一做", "三严三实", "三重一大", "十三五", "十四五", "四通八达", "零件", "零部件", "零售", "零星",
    "零距离", "零容忍", "零跑腿", "一把手", "一线", "之一", "其一", "其二", "其三",
)  # fmt: skip

_STOP_ALT = "|".join(re.escape(p) for p in sorted(set(STOP_PHRASES), key=len, reverse=True))
# Spans whose digits are never counts: stop phrases, URLs and e-mail, phone numbers, document numbers, dates.
_EXCLUDED = re.compile(
    rf"{_STOP_ALT}"
    r"|https?://[!-~]+|www\.[!-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|(?<!\d)(?:\(\d{3,4}\)|\d{3,4}-)\d{7,8}(?:-\d{1,5})?(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)"
    rf"|(?:电话|联系|热线|传真|手机|号码)[^。；;\n\d]{{0,20}}?\d{{5,}}(?:-\d+)?(?![\d.,万亿]|{_UNIT_ALT})"
    r"|[〔\[(（【]\s*(?:19|20)\d{2}\s*[〕\])）】]\s*\d*号?"
    r"|(?<!\d)(?:19|20)\d{2}(?:[-/.]\d{1,2}){1,2}(?![\d])"
    r"|(?<!\d)(?:19|20)\d{2}年(?:\d{1,2}月(?:\d{1,2}日)?)?|(?<!\d)\d{1,2}月\d{1,2}日"
)
_DATE_NEXT = frozenset("年月日号时点分秒周天岁")
_AFTER_GE = ("月", "星期", "工作日", "小时", "季度", "周")
_WORD_BEFORE_YI = frozenset("统唯同进单逐划专合归整万纯均第之其每某任")
_CJK_LO, _CJK_HI = "\u4e00", "\u9fff"
_WINDOW = 48  # characters read after an offset by match_number

# Explicit zero statements (domain.md §5), by topic: the prose rules map each topic to its codes.
ZERO_PHRASES: tuple[tuple[str, str], ...] = (
    ("requests", r"(?:全年|本年度?|年内)?(?:未|没有)(?:收到|受理|接到|接收)(?:任何)?(?:政府)?信息公开(?:的)?申请"),
    (
        "review_litigation",
        r"(?:年内|全年|本年度?)?(?:未|没有)(?:发生|出现|有)[^。；;\n]{0,15}?行政复议(?:或者?|和|及|、)"
        r"(?:被)?(?:提起)?行政诉讼",
    ),
    ("review", r"(?:年内|全年|本年度?)?(?:未|没有)(?:发生|出现|有)[^。；;\n]{0,15}?行政复议"),
    ("litigation", r"(?:年内|全年|本年度?)?(?:未|没有)(?:发生|出现|有)[^。；;\n]{0,15}?行政诉讼"),
    ("fees", r"未向申请人收取(?:任何)?费用"),
    ("fees", r"(?:依申请公开|信息公开)[^。；;\n]{0,12}?不收取(?:任何)?费用"),
    ("fees", r"(?:未|没有)收取(?:任何)?(?:信息处理费|费用|检索费|复制费)"),
    ("empty", r"[(（][无無][)）]"),
    ("zero", r"(?<![\d.])0(?:件|宗|条|项|次|人次|个|元)?(?![\d.])|零"),
)
_ZERO_ANY = re.compile("|".join(f"(?:{p})" for topic, p in ZERO_PHRASES if topic not in ("empty", "zero")))
_ZERO_WHOLE = re.compile(r"\s*(?:[(（][无無][)）]|无|0(?:件|宗|条|项|次|人次|个|元)?|零)[\s。]*")


def to_halfwidth(text: str) -> str:
    """Full-width ASCII to half-width, keeping "，" and "；" (length-preserving)."""
    return text.translate(_HALF_WIDTH)


def to_yuan(value: float, unit: str | None) -> float:
    """Money in yuan: 万元 ×1e4, 亿元 ×1e8, 元 (or no unit) unchanged; rounded to cents (no float dust)."""
    factor = {"万元": Decimal(10_000), "亿元": Decimal(100_000_000)}.get(unit or "", Decimal(1))
    return float(round(Decimal(str(value)) * factor, 2))


def cn_to_int(s: str) -> int:
    """A Chinese numeral: positional ("一千零五" → 1005, "十二" → 12, "万" → 10000) or digit-by-digit ("二〇二〇")."""
    if "〇" in s or (len(s) > 1 and not any(c in _CN_SMALL or c in "万亿" for c in s)):
        return int("".join(str(_CN_DIGIT[c]) for c in s if c in _CN_DIGIT))
    total = section = digit = 0
    for c in s:
        if c in _CN_DIGIT:
            digit = _CN_DIGIT[c]
        elif c in _CN_SMALL:
            section += (digit or 1) * _CN_SMALL[c]
            digit = 0
        elif c == "万":
            total += (section + digit or (0 if total else 1)) * 10_000
            section = digit = 0
        else:  # 亿
            total = (total + section + digit or 1) * 100_000_000
            section = digit = 0
    return total + section + digit


def _value(m: re.Match[str]) -> tuple[int | float, bool]:
    """The numeric value of a token match and whether it was written with 万/亿 (rounded)."""
    ar, cn = m.group("ar"), m.group("cn")
    mult = Decimal(1)
    rounded = False
    for g in ("armul", "mul2"):
        mul = m.group(g)
        if mul:
            mult *= Decimal(10_000 if mul == "万" else 100_000_000)
            rounded = True
    if ar is not None:
        number = Decimal(ar.replace(",", "")) * mult
    else:
        number = Decimal(cn_to_int(cn)) * mult
        rounded = rounded or cn.endswith(("万", "亿"))
    if number == number.to_integral_value():
        return int(number), rounded
    return float(number), rounded


def _build(m: re.Match[str], offset: int = 0) -> Number:
    value, rounded = _value(m)
    unit = m.group("unit")
    pre, q1, q2 = m.group("pre"), m.group("q1"), m.group("q2")
    signed = bool(m.group("sign")) or bool(pre and pre.startswith(("增加", "减少")))
    if m.group("sign") == "-" or (pre and pre.startswith("减少")):
        value = -value
    qualifier: Qualifier = "exact"
    for word, table in ((pre, _PRE), (q1, _SUFFIX), (q2, _SUFFIX)):
        if word and word in table:
            qualifier = table[word]
    if qualifier == "exact" and rounded and unit not in MONEY_UNITS:
        qualifier = "approx"
    percent = unit in ("%", "‰")
    return Number(
        value=value,
        qualifier=qualifier,
        unit=unit,
        raw=m.group(0) if "tok" not in m.re.groupindex else m.group("tok"),
        start=(m.start("tok") if "tok" in m.re.groupindex else m.start()) + offset,
        end=(m.end("tok") if "tok" in m.re.groupindex else m.end()) + offset,
        signed=signed,
        percent=percent,
    )


def parse_number(text: str) -> Number | None:
    """Read one number phrase that is the whole string ("81万条", "10万多", "+247", "三百余", "1471599.16万元").

    Blank or "(无)" cells, years ("2015年"), ordinals and labels give None.
    """
    t = to_halfwidth(text)
    if t.strip() in _EMPTY_CELL:
        return None
    m = _WHOLE.fullmatch(t.rstrip(_TRAILING))
    if m is None:
        return None
    return _build(m)


def _context_ok(t: str, m: re.Match[str]) -> bool:
    """Whether a token match is a count/amount in its context (not a year, date, ordinal or label)."""
    s, e = m.start(), m.end()
    unit, ar, cn = m.group("unit"), m.group("ar"), m.group("cn")
    qualified = bool(m.group("pre") or m.group("q1") or m.group("q2") or m.group("sign"))
    before = t[s - 1] if s > 0 else ""
    after = t[e] if e < len(t) else ""
    if before == "第":
        return False
    if (before.isascii() and before.isalpha()) or (unit is None and after.isascii() and after.isalpha()):
        return False  # part of a code: APP2, 5G, G20
    if unit is None:
        if after in _DATE_NEXT:
            return False
        if ar is not None and not qualified and not m.group("armul") and not m.group("mul2"):
            if before and after and before in "(（" and after in ")）":
                return False  # (1)
            if after and after in ".．、" and not t[e + 1 : e + 2].isdigit():
                return False  # 1. / 1、 list markers
            if len(ar) == 4 and 1900 <= int(ar) <= 2099:
                return False  # a year
        if _CJK_LO <= after <= _CJK_HI:
            return False  # glued to a word: 12345热线, 2.0版, 898电台
    elif unit == "个" and t.startswith(_AFTER_GE, e):
        return False  # 3个月: a duration
    if cn is not None:
        if cn == "一" and before in _WORD_BEFORE_YI:
            return False  # 统一, 唯一, 进一步 …
        if after == "性":
            return False  # 一次性
    return True


def match_number(text: str, pos: int) -> Number | None:
    """The number phrase starting exactly at ``pos`` in ``text`` (offsets are in ``text``), or None."""
    lo = max(0, pos - 1)
    hi = pos + _WINDOW
    w = to_halfwidth(text[lo:hi])
    m = _TOKEN.match(w, pos - lo)
    if m is not None and hi < len(text) and m.end() >= len(w) - 2:
        lo, w = 0, to_halfwidth(text)  # the phrase may run past the window: read it in the whole text
        m = _TOKEN.match(w, pos)
    if m is None:
        return None
    stop = _EXCLUDED.match(w, m.start())
    if stop is not None and stop.end() > stop.start():
        return None
    if not _context_ok(w, m):
        return None
    return _build(m, lo)


def _excluded_spans(t: str) -> tuple[list[int], list[int]]:
    starts: list[int] = []
    ends: list[int] = []
    for x in _EXCLUDED.finditer(t):
        if x.end() > x.start():
            starts.append(x.start())
            ends.append(x.end())
    return starts, ends


def find_numbers(text: str) -> list[Number]:
    """Every count, amount and percentage in ``text``, in order, without years, dates, ordinals and labels."""
    t = to_halfwidth(text)
    starts, ends = _excluded_spans(t)
    found: list[Number] = []
    for m in _TOKEN.finditer(t):
        if not m.group(0):
            continue
        i = bisect_right(starts, m.start()) - 1
        if i >= 0 and ends[i] > m.start():
            continue  # inside an excluded span
        j = bisect_right(starts, m.end() - 1) - 1
        if j >= 0 and j != i and starts[j] < m.end():
            continue  # overlaps the next excluded span
        if _context_ok(t, m):
            found.append(_build(m))
    return found


def is_zero_statement(text: str) -> bool:
    """Whether ``text`` states an explicit zero: "(无)", "0件", "零", or a phrase such as "全年未收到信息公开申请",
    "年内未发生…行政复议或…行政诉讼", "未向申请人收取费用", "依申请公开不收取费用"."""
    t = to_halfwidth(text)
    return bool(_ZERO_WHOLE.fullmatch(t) or _ZERO_ANY.search(t))
