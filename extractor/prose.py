"""Sentence-level statistics by rules: the figures that pre-2019 reports (and the prose beside tables) state in words.

Every rule is data: a codebook code, the label that precedes the number ("共收到信息公开申请" → 9532宗), the
section kinds where the label means that code, and what the number must be (a count, money, a rate). A few
rules read the number printed before them ("4件均为“非本机关政府信息”"), and the zero rules read explicit zero
statements ("全年未收到信息公开申请", a data heading followed by "(无)").

All rules of a section kind are compiled into one alternation, so a text is scanned once; the number after a
label is read by :func:`extractor.numbers.match_number`. Every alternative starts with a literal character and the
alternation is grouped by that character, so the regex engine skips the positions where no rule can start (see
:func:`_literal_first`). Outcome rules shared by 行政复议 and 行政诉讼
("被依法纠错的28宗") take their subject from the nearest preceding mention of 复议 or 诉讼. A clause that starts
with 其中 and names 本级 is a subset of the figures before it (GZ 2020 "其中，办理市本级…") and is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Literal

from .codebook import unit_of
from .models import Cell
from .numbers import MONEY_UNITS, ZERO_PHRASES, Number, match_number, to_yuan

ValueKind = Literal["count", "money", "rate", "zero"]

# every section kind but "problems" (which states no statistics)
_ALL: frozenset[str] = frozenset(
    {"overview", "proactive", "requests", "fees", "review_litigation", "consultation", "complaints", "other",
     "appendix", "unknown"}
)  # fmt: skip
_PROACTIVE = frozenset({"proactive", "overview", "appendix", "unknown", "other"})
_PROACTIVE_ONLY = frozenset({"proactive", "appendix", "unknown"})
_REQUESTS = frozenset({"requests", "overview", "appendix", "unknown", "other"})
_REVIEW = frozenset({"review_litigation", "overview", "appendix", "unknown", "other"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One statement pattern: the label before the number, or (``number_before``) the words after it, or
    (``value="zero"``) the zero statement itself. Its alternatives must reduce to literal-first ones
    (:func:`_literal_first` raises at import otherwise)."""

    codes: tuple[str, ...]  # "{subject}" is replaced by review / litigation from the context
    pattern: str
    row: str
    kinds: frozenset[str] = _ALL
    value: ValueKind = "count"
    number_before: bool = False  # the number precedes the pattern ("4件均为…")
    with_unit: bool = False  # only a number printed with a count unit ("其他处理0件"): a table row's bare cells never


def _r(code: str, pattern: str, row: str, kinds: frozenset[str] = _ALL, value: ValueKind = "count") -> Rule:
    return Rule((code,), pattern, row, kinds, value)


_ALL_ARE = r"(?:均|全部|都)(?:为|是|属于?|属)\s*[“\"「]?"

# fmt: off
RULES: tuple[Rule, ...] = (
    # proactive disclosure: total, full-text rate, categories, channels (GZ 2009/2015/2018, Shenzhen 2017)
    _r("proactive.fulltext_electronic", r"全文电子化(?:的)?主动公开(?:政府)?信息数?|主动公开电子文档(?:政府)?信息", "全文电子化的主动公开信息数",
       _PROACTIVE),
    _r("proactive.fulltext_electronic_rate", r"全文电子化(?:率)?", "全文电子化率", _PROACTIVE, "rate"),
    _r("proactive.total", r"主动公开(?:了)?(?:政府)?信息(?:数|总数)?", "主动公开政府信息", _PROACTIVE),
    _r("proactive.category.organization", r"(?:组织机构|机构职能)类(?:的)?(?:信息)?", "组织机构类信息", _PROACTIVE),
    _r("proactive.category.regulations", r"规章类(?:的)?信息", "规章类信息", _PROACTIVE),
    _r("proactive.category.normative_docs", r"规范性文件类(?:的)?(?:信息)?", "规范性文件类信息", _PROACTIVE),
    _r("proactive.category.other_docs", r"(?:部门|其他)(?:文件|档案)类(?:的)?信息", "部门文件类信息", _PROACTIVE),
    _r("proactive.category.dynamics", r"动态类(?:的)?信息|工作动态", "动态类信息", _PROACTIVE),
    _r("proactive.category.enforcement", r"行政执法类(?:的)?信息", "行政执法类信息", _PROACTIVE),
    _r("proactive.category.service_guides", r"办事指南类(?:的)?信息", "办事指南类信息", _PROACTIVE),
    _r("proactive.category.budget", r"财政预决算(?:类)?(?:的)?信息", "财政预决算信息", _PROACTIVE),
    _r("proactive.category.gov_work_report", r"政府工作报告类(?:的)?信息", "政府工作报告类信息", _PROACTIVE),
    _r("proactive.category.annual_report", r"(?:政府)?信息公开年度报告类(?:的)?信息", "年度报告类信息", _PROACTIVE),
    _r("proactive.category.rules_internal", r"规章制度类(?:的)?信息", "规章制度类信息", _PROACTIVE),
    _r("proactive.category.business", r"(?:本单位)?业务类(?:的)?信息", "本单位业务类信息", _PROACTIVE),
    _r("proactive.category.other", r"(?<!的)其他(?:类)?信息", "其他信息", _PROACTIVE_ONLY),
    _r("proactive.channel.gazette", r"通过(?:政府)?公报(?:发布|公开)(?:政府)?信息", "通过政府公报发布信息", _PROACTIVE),
    _r("proactive.channel.website", r"通过(?:政府)?(?:门户)?网站(?:发布|公开)(?:政府)?信息", "通过政府网站发布信息",
       _PROACTIVE),
    _r("proactive.channel.weibo_wechat", r"通过(?:政务)?微博、?微信(?:发布|公开)(?:政府)?信息", "通过微博微信发布信息",
       _PROACTIVE),
    _r("proactive.channel.media", r"通过(?:新闻)?媒体(?:发布|公开)(?:政府)?信息|报刊、?广播、?电视(?:等媒体)?(?:发布|公开)(?:政府)?信息", "通过新闻媒体发布信息", _PROACTIVE),
    # response and interpretation (2014 statistics table era)
    _r("response.total", r"回应(?:公众|社会)关注(?:热点|焦点)(?:或|和|及)?重大舆情(?:次数)?", "回应公众关注热点或重大舆情",
       _PROACTIVE),
    _r("response.press_conferences", r"举办(?:新闻)?发布会", "举办新闻发布会", _PROACTIVE),
    _r("response.online_interviews", r"(?:组织|开展)?(?:政府网站)?(?:在线|线上)访谈(?:活动)?", "组织政府网站在线访谈", _PROACTIVE),
    _r("response.interpretations", r"发布(?:政策)?解读稿(?:件)?|政策解读稿(?:件)?发布", "发布政策解读稿", _PROACTIVE),
    _r("response.weibo_wechat", r"(?:通过)?(?:政务)?微博、?微信回应(?:事件)?", "通过微博微信回应事件", _PROACTIVE),
    _r("response.media_other", r"(?:通过新闻媒体等)?其他方式回应(?:事件)?", "通过新闻媒体等其他方式回应事件", _PROACTIVE),
    # requests: volume, channels, answers, legacy outcomes
    _r("requests.received", r"(?:收到|受理|接收|接到)(?:政府)?信息公开(?:的)?申请|(?:依申请公开)?申请总数|收到申请数",
       "收到信息公开申请", _REQUESTS),
    _r("requests.answered", r"答复(?:政府)?信息公开(?:的)?申请|对申请的答复总数|申请答复数", "答复信息公开申请",
       _REQUESTS),
    _r("requests.catalog_entries", r"依申请公开信息目录数", "依申请公开信息目录数", _REQUESTS),
    # "制作政府信息…条，其中主动公开…条，作为依申请公开…条" (2014 statistics-table era): the on-request catalogue
    _r("requests.catalog_entries", r"作为依申请公开(?:的)?(?:政府)?(?:信息)?", "作为依申请公开", _PROACTIVE | _REQUESTS),
    _r("requests.channel.online", r"(?:网上|网络|在线)申请(?:数)?", "网上申请", _REQUESTS),
    _r("requests.channel.letter", r"信函申请(?:数)?", "信函申请", _REQUESTS),
    _r("requests.channel.in_person", r"当面申请(?:数)?", "当面申请", _REQUESTS),
    _r("requests.channel.fax", r"传真(?:申请|提交)(?:数)?", "传真申请", _REQUESTS),
    _r("requests.channel.email", r"电子邮件(?:申请|提交)(?:数)?", "电子邮件申请", _REQUESTS),
    _r("requests.channel.phone", r"电话申请(?:数)?", "电话申请", _REQUESTS),
    _r("requests.channel.other", r"其他形式申请(?:数)?", "其他形式申请", _REQUESTS),
    _r("requests.legacy.already_public", r"属(?:于)?已主动公开(?:的)?范围(?:的)?(?:信息)?|主动公开范围(?:的)?信息", "属已主动公开范围", _REQUESTS),
    _r("requests.legacy.partial", r"同意部分公开", "同意部分公开", _REQUESTS),
    _r("requests.legacy.denied", r"不同意公开", "不同意公开", _REQUESTS),
    _r("requests.legacy.granted", r"(?<!不)同意公开", "同意公开", _REQUESTS),
    _r("requests.legacy.not_gov_info", r"不属于政府信息(?:公开)?范围|(?:非|不是)《(?:条例|规定)》所指(?:的)?政府信息",
       "不属于政府信息公开范围", _REQUESTS),
    _r("requests.legacy.not_this_agency_or_nonexistent", r"非本机关或信息不存在", "非本机关或信息不存在", _REQUESTS),
    _r("requests.legacy.not_this_agency", r"不属于本(?:行政)?机关(?:公开|职责)(?:范围)?|非本(?:行政)?机关(?:政府)?信息",
       "不属于本行政机关公开", _REQUESTS),
    _r("requests.legacy.nonexistent", r"申请(?:的)?信息不存在", "申请信息不存在", _REQUESTS),
    _r("requests.legacy.irrelevant_to_needs", r"与(?:申请人)?(?:自身)?生产生活科研(?:等)?(?:特殊)?需要无关",
       "与生产生活科研需要无关", _REQUESTS),
    _r("requests.legacy.unclear", r"申请内容不明确|告知作出更改补充", "申请内容不明确", _REQUESTS),
    _r("requests.legacy.other_route", r"告知通过其他途径办理", "告知通过其他途径办理", _REQUESTS),
    _r("requests.legacy.other", r"其他答复情形", "其他答复情形", _REQUESTS),
    # 2019 template outcome in a sentence ("其他处理0件"); the table row of the same words holds bare numbers, whose
    # first cell is the natural persons' count, not the total: only a number with its unit is read
    Rule(("requests.other.total",), r"其他处理", "其他处理", _REQUESTS, with_unit=True),
    # collective phrases: the number comes first and every request got the same answer
    Rule(("requests.legacy.not_this_agency",), _ALL_ARE + r"非本(?:行政)?机关", "均为非本机关政府信息",
         _REQUESTS, number_before=True),
    Rule(("requests.legacy.nonexistent",), _ALL_ARE + r"(?:申请的?)?信息不存在", "均为信息不存在", _REQUESTS,
         number_before=True),
    Rule(("requests.legacy.already_public",), _ALL_ARE + r"已主动公开", "均属已主动公开", _REQUESTS,
         number_before=True),
    # fees
    _r("fees.amount", r"(?:实际)?收取(?:了)?(?:信息处理费|费用|检索费|复制费|邮寄费)", "收取费用", value="money"),
    # reconsideration, litigation, appeals (2014 type: 维持 / 纠错 / 其他情形 after a 复议 or 诉讼 subject)
    _r("review.total", r"行政复议(?:案件)?(?:数)?", "行政复议", _REVIEW),
    # "一审行政诉讼案件687件" counts first-instance judgments, not the cases filed (Shanghai 2020)
    _r("litigation.total", r"(?<![一二]审)行政诉讼(?:案件)?(?:数)?", "行政诉讼", _REVIEW),
    _r("appeals.total", r"行政申诉(?:案件)?(?:数)?", "行政申诉", _REVIEW),
    _r("{subject}.upheld", r"维持具体行政行为(?:或者?驳回原告(?:的)?诉讼请求)?(?:的)?", "维持具体行政行为", _REVIEW),
    _r("{subject}.corrected", r"被依法纠错(?:的)?", "被依法纠错", _REVIEW),
    _r("{subject}.other", r"其他情形(?:的)?", "其他情形", _REVIEW),
    _r("{subject}.pending", r"尚未审结(?:的)?", "尚未审结", _REVIEW),
    # consultation
    _r("consult.total", r"接受(?:市民|群众|公众|社会)?(?:的)?(?:各类)?咨询(?:数量|人次|总量)?|接待(?:市民|群众|公众)咨询",
       "接受咨询"),
    _r("consult.phone", r"咨询电话接听(?:数)?|电话咨询|接听(?:咨询)?电话", "咨询电话接听"),
    _r("consult.onsite", r"现场咨询(?:数量|人数)?|来访咨询|现场接待(?:人数)?", "现场咨询"),
    _r("consult.online", r"网上咨询(?:数量?)?|网络咨询|在线咨询", "网上咨询"),
    _r("consult.web_visits", r"网站(?:的)?(?:政府信息公开)?(?:专栏)?(?:页面)?访问量", "网站访问量"),
    # complaints
    _r("complaints.total",
       r"(?:办理|受理|收到|接到|处理)(?:了)?(?:相关|(?:政府)?信息公开(?:类)?)?(?:的)?(?:投诉举报|举报投诉)"
       r"|(?:投诉举报|举报投诉)(?:数量|件数|数)", "投诉举报"),
)
# fmt: on

_ZERO_CODES: dict[str, tuple[str, ...]] = {
    "requests": ("requests.received",),
    "review_litigation_appeals": ("review.total", "litigation.total", "appeals.total"),
    "review_litigation": ("review.total", "litigation.total"),
    "review": ("review.total",),
    "litigation": ("litigation.total",),
    "fees": ("fees.amount",),
}
_ZERO_ROWS = {"requests": "未收到信息公开申请", "review_litigation": "未发生行政复议或行政诉讼",
              "review_litigation_appeals": "未发生行政复议、行政诉讼和行政申诉",
              "review": "未发生行政复议", "litigation": "未发生行政诉讼", "fees": "未收取费用"}  # fmt: skip
ZERO_RULES: tuple[Rule, ...] = tuple(
    Rule(_ZERO_CODES[topic], pattern, _ZERO_ROWS[topic], value="zero")
    for topic, pattern in ZERO_PHRASES
    if topic in _ZERO_CODES
)
ALL_RULES: tuple[Rule, ...] = ZERO_RULES + RULES  # zero statements first: they start before the labels they hold

# Label → number glue: "共", "为", "达", ":" … but never a line break (prose numbers are inline).
_GAP = r"[ \t]*\n?[ \t]*(?:[:：][ \t]*)?(?:共计|合计|总计|累计|共)?(?:约为|为|达到|达|是|有)?[ \t]*(?:[:：][ \t]*)?"
_COUNT_START = r"(?=(?:不超过|超过|多达|将近|接近|大约|不足|不到|逾|近|约|上)?[\d〇零一二两三四五六七八九十百千万])"
_RATE_START = r"(?=\d[\d.]*%)"

# "(无)" under a data heading: the heading's words name the codes that are zero.
_EMPTY = re.compile(r"[(（][无無][)）]")
_BARE_EMPTY = re.compile(r"\s*(?P<head>[^\n]*\n)?\s*(?P<z>[无無])[。.]?\s*")
_HEADING_ZERO: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("复议", ("review.total",)),
    ("诉讼", ("litigation.total",)),
    ("申诉", ("appeals.total",)),
    ("依申请", ("requests.received",)),
    ("公开申请", ("requests.received",)),
    ("收费", ("fees.amount",)),
    ("咨询", ("consult.total",)),
    ("投诉", ("complaints.total",)),
    ("举报", ("complaints.total",)),
    ("主动公开", ("proactive.total",)),
)
_KIND_ZERO: dict[str, tuple[str, ...]] = {
    "requests": ("requests.received",),
    "review_litigation": ("review.total", "litigation.total"),
    "fees": ("fees.amount",),
    "consultation": ("consult.total",),
    "complaints": ("complaints.total",),
    "proactive": ("proactive.total",),
}
_NUMBER_BEFORE = re.compile(r"(?<![\d.])\d+(?:件|宗|条|项|个)?[，,]?\s*\Z")
_MAX_HEADING = 40
_SUBJECT_WINDOW = 300
_CLAUSE_ENDS = "。\n；;"


def _structure(pattern: str) -> Iterator[tuple[int, str, int]]:
    """(index, char, group depth after it) for each character of a regex outside escapes and [...] classes."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        else:
            depth += (c == "(") - (c == ")")
            yield i, c, depth
        i += 1


def _split_top(pattern: str) -> list[str]:
    """Split a regex on its top-level ``|``."""
    cuts = [i for i, c, depth in _structure(pattern) if c == "|" and depth == 0]
    return [pattern[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(pattern)], strict=True)]


def _group_end(pattern: str) -> int:
    """Index of the ``)`` closing the group that opens at index 0."""
    for i, c, depth in _structure(pattern):
        if c == ")" and depth == 0:
            return i
    raise ValueError(f"unbalanced group in {pattern!r}")


def _literal_first(pattern: str) -> list[str]:
    """Rewrite a regex as alternatives that each start with a literal character (same language).

    Leading ``(?:A|B)`` / ``(?:A|B)?`` groups are distributed, and a leading one-character lookbehind ``(?<!X)`` moves
    behind the first character as ``(?<!X.)``. The regex engine then skips positions no rule can start at.
    """
    out: list[str] = []
    for alt in _split_top(pattern):
        if alt.startswith(("(?<!", "(?<=")):
            end = _group_end(alt)
            inner = alt[4:end]
            for rest in _literal_first(alt[end + 1 :]):
                out.append(f"{rest[0]}{alt[:4]}{inner}.){rest[1:]}")
        elif alt.startswith("(?:"):
            end = _group_end(alt)
            optional = alt[end + 1 : end + 2] == "?"
            rest = alt[end + 2 :] if optional else alt[end + 1 :]
            for head in _literal_first(alt[3:end]):
                out.extend(_literal_first(head + rest))
            if optional:
                out.extend(_literal_first(rest))
        elif alt and alt[0] not in "\\[(.^$*+?{|)" and alt[1:2] not in ("?", "*", "+", "{"):
            out.append(alt)
        else:
            raise ValueError(f"rule pattern does not start with a literal character: {alt!r}")
    return out


@cache
def _compiled(kind: str) -> tuple[re.Pattern[str], tuple[Rule, ...]]:
    """One alternation of every rule allowed in ``kind``, grouped by first character.

    The empty group ``r{i}_{j}`` at the end of each alternative names the rule that matched (``m.lastgroup``)
    without hiding the alternative's first literal from the regex engine's fast path.
    """
    rules = tuple(r for r in ALL_RULES if kind in r.kinds)
    by_char: dict[str, list[str]] = {}
    for i, rule in enumerate(rules):
        if rule.value == "zero" or rule.number_before:
            tail = ""
        else:
            tail = _GAP + (_RATE_START if rule.value == "rate" else _COUNT_START)
        for j, alt in enumerate(_literal_first(rule.pattern)):
            by_char.setdefault(alt[0], []).append(f"{alt[1:]}{tail}(?P<r{i}_{j}>)")
    pattern = "|".join(f"{re.escape(c)}(?:{'|'.join(alts)})" for c, alts in by_char.items())
    return re.compile(pattern), rules


def _subject(text: str, start: int, label: str) -> str | None:
    """review or litigation: the nearest preceding mention of 复议 / 诉讼 (the label itself may say 驳回原告诉讼请求)."""
    if "诉讼" in label:
        return "litigation"
    window = text[max(0, start - _SUBJECT_WINDOW) : start]
    r, lit = window.rfind("复议"), window.rfind("诉讼")
    if r < 0 and lit < 0:
        return None
    return "review" if r > lit else "litigation"


def _number_before(text: str, start: int) -> Number | None:
    """The number printed just before ``start`` ("4件，均为…")."""
    m = _NUMBER_BEFORE.search(text, max(0, start - 16), start)
    return match_number(text, m.start()) if m is not None else None


def _is_subset_clause(text: str, start: int) -> bool:
    """A clause like "其中，办理市本级…" restates a part of the totals before it."""
    last = -1  # max(text.rfind(c, 0, start) for c in _CLAUSE_ENDS), each search stopping at the best so far
    for c in _CLAUSE_ENDS:
        at = text.rfind(c, last + 1, start)
        if at > last:
            last = at
    prefix = text[last + 1 : start]
    return "其中" in prefix and "本级" in prefix


# "三是通过三明市科学技术局网公开…，主动公开信息87条": what one department's website published, a part of the
# report's total (Sanming 2017, whose total is its 附表's 34073); the city's own portal ("通过政府门户网站") is not one
_OWN_SITE = re.compile(r"通过[^，,。；;]{0,30}?(?:局|委|办|厅|中心|站)(?:门户)?网(?:站)?")
_TOTALS = frozenset({"proactive.total"})


def _one_departments_site(text: str, start: int) -> bool:
    """Whether the sentence before ``start`` says its figures went through one department's website."""
    last = max(text.rfind(c, max(0, start - _SUBJECT_WINDOW), start) for c in "。；;")
    return _OWN_SITE.search(text, last + 1, start) is not None


def _number_value(rule: Rule, n: Number) -> int | float | None:
    """The value a rule stores for a number, or None when the number is not the kind the rule needs."""
    if rule.value == "rate":
        return n.value if n.percent else None
    if n.percent:
        return None
    if rule.value == "money":
        if n.unit not in MONEY_UNITS:
            return None
        yuan = to_yuan(n.value, n.unit)
        return int(yuan) if yuan == int(yuan) else yuan
    if n.unit in MONEY_UNITS or n.signed:
        return None
    if n.unit == "条次" and any(unit_of(c) == "条" for c in rule.codes):
        return None  # "3.53万条次" counts times items were published, not the items (条) the code counts
    return n.value


def _cell(code: str, value: int | float, raw: str, start: int, end: int, row: str, number: Number | None) -> Cell:
    return Cell(
        code=code,
        value=value,
        raw=raw,
        start=start,
        end=end,
        table=None,
        row=row,
        qualifier=number.qualifier if number is not None else "exact",
        unit=unit_of(code),
    )


@cache
def _rule_of_group(kind: str) -> dict[str, Rule]:
    """The rule of each named group of ``_compiled(kind)`` ("r{i}_{j}" names ``rules[i]``)."""
    pattern, rules = _compiled(kind)
    return {name: rules[int(name[1:].partition("_")[0])] for name in pattern.groupindex}


_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_NEXT_BARE = re.compile(r"[ \t]+\d")  # another number after spaces: cells of a row, not a sentence's figure


def _glued_to_text(text: str, n: Number) -> bool:
    """A bare digit run (no unit) that runs straight into the next words, or ends the section, or is followed by
    another number, is a flattened table's cells ("尚未审结总计527819五、…"), not a sentence's figure."""
    if n.unit is not None or n.percent:
        return False
    if _NEXT_BARE.match(text, n.end) is not None:
        return True  # "尚未审结 总计 5 2 7 8 1 9": a header's last words, then a flattened row's cells
    return n.end == len(text) or _CJK_CHAR.match(text, n.end) is not None  # (a section may end right there)


# Units a sentence prints after a count; a number on the line after its label counts as that sentence's only with one.
_COUNT_UNITS = frozenset({"条", "件", "宗", "项", "个", "次", "人次", "件次"})
# Pages copied from Word by some crawlers break a sentence at every formatting run, digits included:
# "机构职能类\n3\n304条,占10.6\n%": a bare run of 1-3 digits alone on its line, the next line starting with digits
# and a count unit, is one number; so is a number alone on its line whose unit opens the next ("15836\n件,").
_NUMBER_CONTINUES = re.compile(r"\n(\d+)(人次|件次|条|件|宗|项|个|次)(?![\d.])")
_UNIT_CONTINUES = re.compile(r"\n(人次|件次|条|件|宗|项|个|次)(?=[,，。;；、\n]|\Z)")


def _broken_number(text: str, n: Number) -> Number:
    """``n`` joined with what the next line continues it with, when a crawler broke it there: more digits and a unit
    ("3\n1163条"), or just its unit ("15836\n件,")."""
    if n.unit is not None or n.percent or n.signed or not n.raw.isdigit():
        return n
    line_start = text.rfind("\n", 0, n.start) + 1
    if text[line_start : n.start].strip() or text[n.end : n.end + 1] != "\n":
        return n  # the digits share their line with other text: not a broken-off fragment
    m = _NUMBER_CONTINUES.match(text, n.end) if len(n.raw) <= 3 else None
    if m is not None:
        return Number(int(n.raw + m.group(1)), n.qualifier, m.group(2), text[n.start : m.end()], n.start, m.end())
    u = _UNIT_CONTINUES.match(text, n.end)
    if u is not None:
        return Number(n.value, n.qualifier, u.group(1), text[n.start : u.end()], n.start, u.end())
    return n


_CUMULATIVE = re.compile(r"(?<!年)累计|以来|历年")  # "全年累计" is the year's own total
_CUMULATIVE_REACH = 8


def _rule_cells(text: str, kind: str) -> list[Cell]:
    pattern, _ = _compiled(kind)
    rule_of = _rule_of_group(kind)
    cells: list[Cell] = []
    for m in pattern.finditer(text):
        rule = rule_of[m.lastgroup] if m.lastgroup else None
        if rule is None or _is_subset_clause(text, m.start()):
            continue
        if _TOTALS.intersection(rule.codes) and _one_departments_site(text, m.start()):
            continue
        if rule.value != "zero" and _CUMULATIVE.search(text, max(0, m.start() - _CUMULATIVE_REACH), m.start()):
            continue  # "《条例》实施以来，累计主动公开政府信息330613条": a running total, not the year's
        if rule.value == "zero":
            cells.extend(_cell(c, 0, m.group(), m.start(), m.end(), rule.row, None) for c in rule.codes)
            continue
        n = _number_before(text, m.start()) if rule.number_before else match_number(text, m.end())
        if n is not None and not rule.number_before:
            n = _broken_number(text, n)
        if n is None or _glued_to_text(text, n):
            continue
        if rule.with_unit and n.unit not in _COUNT_UNITS:
            continue
        if not rule.number_before and "\n" in text[m.start() : n.start] and n.unit not in _COUNT_UNITS:
            continue  # a label on one line and a bare number on the next is a table's cells, not a sentence
        value = _number_value(rule, n)
        if value is None:
            continue
        for code in rule.codes:
            if "{subject}" in code:
                subject = _subject(text, m.start(), m.group())
                if subject is None:
                    continue
                code = code.replace("{subject}", subject)
            cells.append(_cell(code, value, n.raw, n.start, n.end, rule.row, n))
    return cells


def _heading_codes(heading: str) -> tuple[str, ...]:
    codes: list[str] = []
    for word, targets in _HEADING_ZERO:
        if word in heading:
            codes.extend(c for c in targets if c not in codes)
    return tuple(codes)


def _empty_cells(text: str, kind: str) -> list[Cell]:
    """Zeros from "(无)" directly under (or at the end of) a data heading, or a section body that is just 无."""
    cells: list[Cell] = []
    has_empty = "无" in text or "無" in text  # ``in`` passes over a text faster than the regex engine
    spans = [(m.start(), m.end()) for m in _EMPTY.finditer(text)] if has_empty else []
    if not spans:
        bare = _BARE_EMPTY.fullmatch(text) if has_empty else None
        if bare is None:
            return cells
        spans = [(bare.start("z"), bare.end("z"))]
    for s, e in spans:
        line_end = text.find("\n", e)
        if text[e : line_end if line_end >= 0 else len(text)].strip(" \t。.") != "":
            continue  # "(无)" inside a sentence
        line_start = text.rfind("\n", 0, s) + 1
        if "\t" in text[line_start:s]:
            continue  # a table cell, not a heading
        heading = text[line_start:s].strip()
        if not heading:
            before = text[:line_start].rstrip()
            heading = before[before.rfind("\n") + 1 :].strip()
        if heading:
            if len(heading) > _MAX_HEADING or heading.endswith(("。", "；", ";")):
                continue  # a sentence, not a heading
            codes = _heading_codes(heading)
        else:
            codes = _KIND_ZERO.get(kind, ())
        cells.extend(_cell(c, 0, text[s:e], s, e, heading or kind, None) for c in codes)
    return cells


def extract_prose(text: str, kind: str) -> list[Cell]:
    """Every figure the sentences of ``text`` state, as cells with codebook codes; ``kind`` is the section's kind.

    Counts keep their printed value and qualifier ("81万条" → 810000 approx); money is in 元; rates in %.
    Offsets are in ``text``. Sections of kind "problems" hold no statistics and give nothing.
    """
    if kind == "problems" or not text:
        return []
    cells = _empty_cells(text, kind) + _rule_cells(text, kind)
    seen: set[tuple[str, int, int]] = set()
    unique: list[Cell] = []
    for cell in sorted(cells, key=lambda c: (c.start, c.code)):
        key = (cell.code, cell.start, cell.end)
        if key not in seen:
            seen.add(key)
            unique.append(cell)
    return unique


__all__ = ["ALL_RULES", "RULES", "ZERO_RULES", "Rule", "extract_prose"]
