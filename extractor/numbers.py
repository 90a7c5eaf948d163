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

This module imports nothing from the project but the ``Qualifier`` type of ``extractor.models``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .models import Qualifier


@dataclass(slots=True)  # not frozen: see models.Cell
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
    "人次", "万元", "亿元", "篇次", "件次", "批次", "条次",
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
_LEAD = re.compile(r"\s*(?:占|共计|合计|总计|累计|共|达到|达|为|约为)?\s*")
_MULTIPLIER = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_DIGITS = frozenset("0123456789")
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


def _by_first_char(alternatives: list[str]) -> str:
    """One alternation, grouped by first character: each branch starts with a literal, so the regex engine skips
    every position whose character starts no alternative (and tries few branches where one does)."""
    groups: dict[str, list[str]] = {}
    for alt in alternatives:
        groups.setdefault(alt[0], []).append(alt[1:])
    return "|".join(f"{re.escape(c)}(?:{'|'.join(rests)})" for c, rests in groups.items())


_STOP = re.compile(_by_first_char([re.escape(p) for p in sorted(set(STOP_PHRASES), key=len, reverse=True)]))
_STOP_MAX = max(map(len, STOP_PHRASES))
_STOP_SET = frozenset(STOP_PHRASES)
# A candidate number: a run of digits or Chinese numerals (a charset-led pattern, so the scan is fast).
_SCAN = re.compile(rf"[\d{_CN_CHARS}][\d,.{_CN_CHARS}]*")
_PRE_END = re.compile(r"(?:不超过|超过|多达|将近|接近|大约|不足|不到|逾|近|约|上|增加了?|减少了?|[+\-])\Z")
_PRE_LAST = frozenset("过达近足到逾约上加少了+-")
_CN_NEXT = frozenset("多余以左" + "".join(u[0] for u in UNITS))  # what may follow a Chinese-numeral count
_PHONE_WORDS = ("电话", "联系", "热线", "传真", "手机", "号码")
_URL_CHARS = re.compile(r"(?:https?://|www\.)[!-~]*\Z")
_CODE_BEFORE = frozenset("@/_#&=?~\\")  # not ":": "网上申请:6178件" is a label and its value
_CODE_AFTER = frozenset("@/_#=&?~\\")
_FULL_WIDTH = re.compile("[\uff01-\uff0b\uff0d-\uff1a\uff1c-\uff5e\u3000]")  # not "，" "；": they stay
_DATE_NEXT = frozenset("年月日号时点分秒周天岁")
_AFTER_GE = ("月", "星期", "工作日", "小时", "季度", "周")
_WORD_BEFORE_YI = frozenset("统唯同进单逐划专合归整万纯均第之其每某任")
_CJK_LO, _CJK_HI = "\u4e00", "\u9fff"

# Explicit zero statements (domain.md §5), by topic: the prose rules map each topic to its codes.
_WHEN = r"(?:年内|全年|本年度?|今年)"
_NONE_HAPPENED = rf"(?:{_WHEN}?(?:未|没有)(?:发生|出现|有)|{_WHEN}无)[^。；;\n]{{0,15}}?"
_BOTH = r"行政复议(?:或者?|和|及|、)(?:被)?(?:提起)?行政诉讼"
_NOT_OUTCOME = r"(?!(?:案件)?(?:败诉|被?纠错|被撤销))"  # "未发生行政诉讼败诉" says nothing of the total
ZERO_PHRASES: tuple[tuple[str, str], ...] = (
    ("requests", rf"{_WHEN}?(?:未|没有)(?:收到|受理|接到|接收)(?:任何)?(?:政府)?信息公开(?:的)?申请"),
    ("requests", rf"{_WHEN}无(?:依申请公开|(?:政府)?信息公开申请)"),
    # "未发生…行政复议、行政诉讼和行政申诉案件": all three (before the pair, which it holds)
    (
        "review_litigation_appeals",
        _NONE_HAPPENED + r"行政复议、(?:被)?(?:提起)?行政诉讼(?:和|及|、)行政申诉" + _NOT_OUTCOME,
    ),
    ("review_litigation", _NONE_HAPPENED + _BOTH + _NOT_OUTCOME),
    ("review_litigation", r"行政复议(?:、|和|及|或)行政诉讼(?:案件)?(?:数量?)?均为(?:0|零)"),
    ("review", _NONE_HAPPENED + "行政复议" + _NOT_OUTCOME),
    ("litigation", _NONE_HAPPENED + "行政诉讼" + _NOT_OUTCOME),
    ("fees", r"未向申请人收取(?:任何)?费用"),
    ("fees", r"(?:依申请公开|信息公开)[^。；;\n]{0,12}?不收取(?:任何)?费用"),
    ("fees", r"(?:未|没有|无)收取(?:任何)?(?:依申请公开)?(?:政府)?(?:信息)?(?:信息处理费|费用|检索费|复制费)"),
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


def _value(ar: str | None, cn: str | None, armul: str | None, mul2: str | None) -> tuple[int | float, bool]:
    """The numeric value of a token and whether it was written with 万/亿 (so rounded)."""
    rounded = bool(armul or mul2)
    if ar is not None:
        if not rounded and "." not in ar:
            return int(Decimal(ar.replace(",", ""))), False  # Decimal: no 4,300-digit limit
        number = Decimal(ar.replace(",", ""))
    else:
        number = Decimal(cn_to_int(cn or ""))
        rounded = rounded or (cn or "").endswith(("万", "亿"))
    for mul in (armul, mul2):
        if mul:
            number *= _MULTIPLIER[mul]
    if number == number.to_integral_value():
        return int(number), rounded
    return float(number), rounded


def _build(m: re.Match[str], printed: str) -> Number:
    """A Number from a token match; ``printed`` is the string as given (before full-width folding), for ``raw``."""
    pre, sign, ar, armul, cn, q1, mul2, unit, q2 = m.groups()
    value, rounded = _value(ar, cn, armul, mul2)
    negative = sign == "-" or (pre is not None and pre.startswith("减少"))
    qualifier: Qualifier = "exact"
    for word, table in ((pre, _PRE), (q1, _SUFFIX), (q2, _SUFFIX)):
        if word and word in table:
            qualifier = table[word]
    if qualifier == "exact" and rounded and unit not in MONEY_UNITS:
        qualifier = "approx"
    return Number(
        value=-value if negative else value,
        qualifier=qualifier,
        unit=unit,
        raw=printed[m.start() : m.end()],
        start=m.start(),
        end=m.end(),
        signed=sign is not None or (pre is not None and pre.startswith(("增加", "减少"))),
        percent=unit in ("%", "‰"),
    )


def parse_number(text: str) -> Number | None:
    """Read one number phrase that is the whole string ("81万条", "10万多", "+247", "三百余", "1471599.16万元").

    Blank or "(无)" cells, years ("2015年"), ordinals and labels give None. Offsets are in ``text``.
    """
    t = to_halfwidth(text)
    if t.strip() in _EMPTY_CELL or t.strip() in _STOP_SET:
        return None
    lead = _LEAD.match(t)
    m = _TOKEN.fullmatch(t, lead.end() if lead else 0, len(t.rstrip(_TRAILING)))
    return _build(m, text) if m is not None else None


def _context_ok(t: str, m: re.Match[str], urls: bool = True) -> bool:
    """Whether a token match is a count/amount in its context (not a year, date, phone, ordinal, code or label)."""
    pre, sign, ar, armul, cn, q1, mul2, unit, q2 = m.groups()
    s, e = m.span()
    before = t[s - 1] if s > 0 else ""
    after = t[e] if e < len(t) else ""
    if before == "第" or before in _CODE_BEFORE:
        return False
    if (before.isascii() and before.isalpha()) or (unit is None and after.isascii() and after.isalpha()):
        return False  # part of a code: APP2, 5G, G20
    if unit is None and after in _CODE_AFTER:
        return False
    if sign is not None and after and after in "-—":
        return False  # -8- : a page number
    if ar is not None:
        plain = unit is None and not (pre or sign or q1 or q2 or armul or mul2)
        if not _arabic_ok(t, m.start(3), m.end(), ar, plain, before, after):
            return False
    if unit is None:
        if after in _DATE_NEXT:
            return False
        if _CJK_LO <= after <= _CJK_HI:
            return False  # glued to a word: 12345热线, 2.0版, 898电台
    elif unit == "个" and t.startswith(_AFTER_GE, e):
        return False  # 3个月: a duration
    if cn is not None:
        if cn == "一" and before in _WORD_BEFORE_YI:
            return False  # 统一, 唯一, 进一步 …
        if after == "性":
            return False  # 一次性
    return not (cn is not None and _in_stop_phrase(t, s, e)) and not (urls and _in_url(t, s))


def _arabic_ok(t: str, s: int, e: int, ar: str, plain: bool, before: str, after: str) -> bool:
    """Arabic digits that are not dates, phone numbers or list markers (``s`` is where the digits start)."""
    if s >= 2 and t[s - 1] in "-/.)" and t[s - 2].isdigit():
        return False  # the tail of 2017-4-1, 020-38920823, (020)38920823
    if len(ar) > 1 and ar[0] == "0" and ar[1] != ".":
        return False  # 020, 04: an area code or a zero-padded date part
    if not plain:
        return True
    whole = ar.split(".")[0]
    if len(whole) == 4 and "19" <= whole[:2] <= "20":
        return False  # a year (or year.month)
    if before and after and before in "(（" and after in ")）":
        return False  # (1)
    if after and after in ".．、" and not t[e + 1 : e + 2].isdigit():
        return False  # 1. / 1、 list markers
    if len(whole) == 11 and whole[0] == "1":
        return False  # a mobile number
    if len(whole) >= 5:
        window = t[max(0, s - 25) : s]
        cut = max(window.rfind("。"), window.rfind("\n"), window.rfind("；"))
        if any(w in window[cut + 1 :] for w in _PHONE_WORDS):
            return False  # 电话:38920001
    return True


def _in_stop_phrase(t: str, s: int, e: int) -> bool:
    lo, hi = max(0, s - _STOP_MAX + 1), min(len(t), e + _STOP_MAX - 1)
    return any(x.start() < e and x.end() > s for x in _STOP.finditer(t, lo, hi))


def _in_url(t: str, s: int) -> bool:
    lo = max(0, s - 120)
    if t.rfind("://", lo, s) < 0 and t.rfind("www.", lo, s) < 0:
        return False
    return _URL_CHARS.search(t, lo, s) is not None


def _token_at(t: str, s: int) -> re.Match[str] | None:
    """The token whose digits start at ``s``, with a qualifier or sign printed just before them."""
    pre = _PRE_END.search(t, max(0, s - 3), s) if s and t[s - 1] in _PRE_LAST else None
    if pre is not None:
        m = _TOKEN.match(t, pre.start())
        if m is not None and (m.start(3) == s or m.start(5) == s):
            return m
    return _TOKEN.match(t, s)


def match_number(text: str, pos: int) -> Number | None:
    """The number phrase starting exactly at ``pos`` in ``text`` (offsets are in ``text``), or None.

    ``text`` is normalized text (half-width digits and punctuation), as every caller in the pipeline has.
    """
    m = _TOKEN.match(text, pos)
    if m is None or not _context_ok(text, m):
        return None
    return _build(m, text)


def find_numbers(text: str) -> list[Number]:
    """Every count, amount and percentage in ``text``, in order, without years, dates, ordinals and labels."""
    t = to_halfwidth(text) if _FULL_WIDTH.search(text) else text
    found: list[Number] = []
    urls = "://" in t or "www." in t
    pos = 0
    n = len(t)
    search = _SCAN.search
    while True:
        c = search(t, pos)
        if c is None:
            break
        s, ce = c.span()
        if t[s] not in _DIGITS and ce < n and t[ce] not in _CN_NEXT and t[ce - 1] not in _DIGITS:
            pos = ce  # Chinese numerals with no unit after them: 统一, 一是, 五公开 …
            continue
        m = _token_at(t, s)
        if m is None:
            pos = ce
            continue
        if _context_ok(t, m, urls):
            found.append(_build(m, text))
        pos = max(m.end(), s + 1)
    return found


def is_zero_statement(text: str) -> bool:
    """Whether ``text`` states an explicit zero: "(无)", "0件", "零", or a phrase such as "全年未收到信息公开申请",
    "年内未发生…行政复议或…行政诉讼", "未向申请人收取费用", "依申请公开不收取费用"."""
    t = to_halfwidth(text)
    return bool(_ZERO_WHOLE.fullmatch(t) or _ZERO_ANY.search(t))
