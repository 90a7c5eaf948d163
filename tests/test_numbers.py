"""Tests for extractor.numbers: every row of domain.md §5 as a named table case, the stop-list, zero statements."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from extractor.numbers import (
    STOP_PHRASES,
    ZERO_PHRASES,
    Number,
    cn_to_int,
    find_numbers,
    is_zero_statement,
    match_number,
    parse_number,
    to_yuan,
)


class Case(NamedTuple):
    text: str
    value: int | float
    qualifier: str = "exact"
    unit: str | None = None
    signed: bool = False
    percent: bool = False


# id → one number phrase and what it reads as (domain.md §5, examples from the seeds)
PARSE_CASES: dict[str, Case] = {
    # Arabic digits, separators, full-width digits
    "plain": Case("624", 624),
    "plain-unit": Case("624条", 624, unit="条"),
    "thousands-separators": Case("1,225,224", 1225224),
    "thousands-separators-unit": Case("1,225,224件", 1225224, unit="件"),
    "full-width-digits": Case("１２３", 123),
    "full-width-unit": Case("１２３件", 123, unit="件"),
    "decimal": Case("728.1", 728.1),
    "zero-count": Case("0件", 0, unit="件"),
    "zero-bare": Case("0", 0),
    "bare-year-like-cell": Case("2015", 2015),  # a table cell has no context: a count
    "padded": Case("  14330人次 ", 14330, unit="人次"),
    # 万 / 亿 expansion: rounded counts are approx
    "wan-count": Case("81万条", 810000, "approx", "条"),
    "wan-decimal": Case("9.6万条", 96000, "approx", "条"),
    "wan-decimal-2": Case("65.5万条", 655000, "approx", "条"),
    "wan-bare": Case("358.6万", 3586000, "approx"),
    "yi-count": Case("2亿次", 200000000, "approx", "次"),
    "wan-tong": Case("367.6万通", 3676000, "approx", "通"),
    # money: exact, unit kept as printed
    "money-wanyuan": Case("1471599.16万元", 1471599.16, unit="万元"),
    "money-yuan": Case("251000元", 251000, unit="元"),
    "money-yiyuan": Case("1.2亿元", 1.2, unit="亿元"),
    "money-fee": Case("400元", 400, unit="元"),
    # at_least: 多 / 余 / 超过 / 逾 / 以上
    "duo-after-wan": Case("10万多", 100000, "at_least"),
    "duo-after-wan-unit": Case("126万多人", 1260000, "at_least", "人"),
    "duo-tong": Case("1万多通", 10000, "at_least", "通"),
    "yu": Case("800余人", 800, "at_least", "人"),
    "yu-before-wan": Case("10余万条", 100000, "at_least", "条"),
    "chaoguo": Case("超过1729万条", 17290000, "at_least", "条"),
    "yu-prefix": Case("逾500件", 500, "at_least", "件"),
    "yishang": Case("500件以上", 500, "at_least", "件"),
    "duo-ge": Case("20多个", 20, "at_least", "个"),
    # approx: 近 / 约 / 左右 / 上万
    "jin": Case("近33万条", 330000, "approx", "条"),
    "yue": Case("约5170万次", 51700000, "approx", "次"),
    "yue-plain": Case("约347个", 347, "approx", "个"),
    "zuoyou": Case("100件左右", 100, "approx", "件"),
    "shangwan": Case("上万", 10000, "approx"),
    "jinwan": Case("近万家", 10000, "approx", "家"),
    # at_most: 不足 / 不到 / 以下
    "buzu": Case("不足10件", 10, "at_most", "件"),
    "budao": Case("不到5个", 5, "at_most", "个"),
    "yixia": Case("30件以下", 30, "at_most", "件"),
    # signed changes
    "plus": Case("+247", 247, signed=True),
    "plus-2195": Case("+2195", 2195, signed=True),
    "minus": Case("-3", -3, signed=True),
    "zengjia": Case("增加5项", 5, unit="项", signed=True),
    "jianshao": Case("减少2项", -2, unit="项", signed=True),
    # Chinese numerals, positional
    "liang-ge": Case("两个", 2, unit="个"),
    "shi-er-chang": Case("十二场", 12, unit="场"),
    "sanbai-yu": Case("三百余", 300, "at_least"),
    "yiqian-ling-wu": Case("一千零五", 1005),
    "yi-ming": Case("一名", 1, unit="名"),
    "wan-cn": Case("五万元", 50000, unit="元"),
    "cn-wan-count": Case("三万人", 30000, "approx", "人"),
    "ling": Case("零", 0),
    # percentages: ratios, never counts
    "percent": Case("64.8%", 64.8, unit="%", percent=True),
    "percent-zhan": Case("占64.8%", 64.8, unit="%", percent=True),
    "percent-100": Case("100%", 100, unit="%", percent=True),
    "percent-small": Case("0.001%", 0.001, unit="%", percent=True),
    "percent-full-width": Case("９８％", 98, unit="%", percent=True),
    # lead words of a cell or a quoted span
    "lead-gong": Case("共9450宗", 9450, unit="宗"),
    "lead-gong-space": Case("  共 12件。", 12, unit="件"),
}


@pytest.mark.parametrize("case", PARSE_CASES.values(), ids=PARSE_CASES.keys())
def test_parse_number(case: Case) -> None:
    n = parse_number(case.text)
    assert n is not None
    assert (n.value, n.qualifier, n.unit, n.signed, n.percent) == (
        case.value,
        case.qualifier,
        case.unit,
        case.signed,
        case.percent,
    )
    assert type(n.value) is type(case.value)
    assert case.text[n.start : n.end] == n.raw


# id → a phrase that is not one number (labels, years, dates, ordinals, blanks)
NOT_A_NUMBER: dict[str, str] = {
    "empty-parenthesized": "（无）",
    "empty-half-width": "(无)",
    "wu": "无",
    "blank": "",
    "dash": "—",
    "hyphen": "-",
    "slash": "/",
    "nbsp": "&nbsp;",
    "year": "2015年",
    "year-du": "2009年度",
    "year-cn": "二〇二〇年",
    "date": "2017年4月1日",
    "phone": "020-38920823",
    "doc-number": "〔2012〕571号",
    "article": "第二十条",
    "article-item": "第(五)项",
    "ordinal-paren": "(一)",
    "ordinal-yishi": "一是",
    "ordinal-dot": "1.",
    "label": "三安全一稳定",
    "label-digit": "4级服务",
    "text": "政府信息公开",
}


@pytest.mark.parametrize("text", NOT_A_NUMBER.values(), ids=NOT_A_NUMBER.keys())
def test_parse_number_none(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize("phrase", STOP_PHRASES, ids=STOP_PHRASES)
def test_stop_phrases_are_not_numbers(phrase: str) -> None:
    assert parse_number(phrase) is None
    assert find_numbers(f"全面推进“{phrase}”工作，") == []
    assert find_numbers(f"推进{phrase}工作") == []


# id → a sentence and the raw phrases find_numbers returns, in order
FIND_CASES: dict[str, tuple[str, list[str]]] = {
    "counts-and-percent": (
        "网上申请6178宗，占64.8%；信函申请2298宗，占24.1%。",
        ["6178宗", "64.8%", "2298宗", "24.1%"],
    ),
    "year-is-not-a-count": ("本单位2015年共受理信息公开申请4件。", ["4件"]),
    "year-du": ("我办2009年度共接受市民咨询34170人次", ["34170人次"]),
    "year-in-title": ("《中国营商环境2020》中获评", []),
    "year-range": ("三年行动计划(2020—2022年)", []),
    "date": ("自2017年4月1日起不收取费用", []),
    "date-dashes": ("2017-04-01发布", []),
    "date-month-day": ("截至12月31日，共3件", ["3件"]),
    "phone": ("电话:020-38920823。", []),
    "phone-labelled": ("设立了统一的服务保障电话38920001,专人受理", []),
    "phone-after-label-text": ("请联系:市政务办政务服务处,38920851。", []),
    "doc-number": ("(粤办函〔2012〕571号)要求", []),
    "decree-number": ("国务院令第492号", []),
    "url": ("网站(http://www.gz.gov.cn/index123.jsp)上可下载", []),
    "url-ip": ("http://122.137.242.24:8080/pub/ltq", []),
    "article-item": ("第二十条第(五)项", []),
    "ordinal-list": ("其中:1.组织机构类信息238条;2.部门文件类信息4544条", ["238条", "4544条"]),
    "ordinal-yishi": ("一是政务公开宣传形式还要进一步创新。二是有时公开的时效性不够强。", []),
    "hotline-label": ("12345热线已整合51个部门63条热线", ["51个", "63条"]),
    "version-label": ("构建“四通八达”2.0版政务公开模式", []),
    "duration": ("开展了为期3个月的集中专项整治", []),
    "duration-hours": ("建立了24小时响应机制", []),
    "approx-wan": ("分发商事主体信息近33万条，上传行政许可信息近40万条", ["近33万条", "近40万条"]),
    "at-least-chinese": ("共同举办了12场政企互动会，共计800余人参加", ["12场", "800余人"]),
    "chinese-count": ("支持办事过程使用两个网页提供的信息", ["两个"]),
    "word-yi": ("统一规范，进一步提高", []),
    "yicixing": ("一次性告知", []),
    "signed-table-row": ("行政许可\t6905\t+247\t7664756", ["6905", "+247", "7664756"]),
    "page-mark": ("－8－", []),
    "money": ("政府集中采购\t22938\t1471599.16万元", ["22938", "1471599.16万元"]),
    "zengjia-jianshao": ("增加5项，减少2项", ["增加5项", "减少2项"]),
    "nine-aspects": ("从9个方面32个项目对各部门进行量化考核", ["9个", "32个"]),  # counts, kept on purpose
    "after-colon": ("网上申请:6178件，传真申请: 5件", ["6178件", "5件"]),
    "mobile": ("手机13800138000", []),
    "code-letters": ("5G网络和APP2", []),
}


@pytest.mark.parametrize(("text", "raws"), FIND_CASES.values(), ids=FIND_CASES.keys())
def test_find_numbers(text: str, raws: list[str]) -> None:
    found = find_numbers(text)
    assert [n.raw for n in found] == raws
    for n in found:
        assert text[n.start : n.end] == n.raw


def test_find_numbers_values_and_flags() -> None:
    found = find_numbers("全年共受理4件，网站访问量为10万多人次，占0.001%，+247")
    assert [(n.value, n.qualifier, n.percent, n.signed) for n in found] == [
        (4, "exact", False, False),
        (100000, "at_least", False, False),
        (0.001, "exact", True, False),
        (247, "exact", False, True),
    ]


def test_find_numbers_full_width_input_keeps_offsets() -> None:
    text = "共受理申请１２件，占６４．８％。"
    found = find_numbers(text)
    assert [(n.value, n.start, n.end) for n in found] == [(12, 5, 8), (64.8, 10, 15)]


def test_match_number_at_offset() -> None:
    text = "共收到信息公开申请9532宗。其中"
    n = match_number(text, text.index("9"))
    assert n == Number(9532, "exact", "宗", "9532宗", 9, 14)
    assert match_number(text, 0) is None
    assert match_number("第二十条", 1) is None  # preceded by 第: an ordinal


# to_yuan: 万元 ×1e4, 亿元 ×1e8, 元 unchanged, no float dust
@pytest.mark.parametrize(
    ("value", "unit", "yuan"),
    [(1471599.16, "万元", 14715991600.0), (96171.6, "万元", 961716000.0), (251000, "元", 251000.0),
     (1.2, "亿元", 120000000.0), (0.01, "万元", 100.0), (400, None, 400.0)],
    ids=["procurement-wanyuan", "fees-wanyuan", "yuan", "yiyuan", "small-wanyuan", "no-unit"],
)  # fmt: skip
def test_to_yuan(value: float, unit: str | None, yuan: float) -> None:
    assert to_yuan(value, unit) == yuan


@pytest.mark.parametrize(
    ("text", "value"),
    [("十", 10), ("十二", 12), ("二十", 20), ("三百", 300), ("一千零五", 1005), ("两万三千", 23000), ("万", 10000),
     ("一亿二千万", 120000000), ("二〇二〇", 2020), ("零", 0)],
    ids=["shi", "shi-er", "er-shi", "san-bai", "yi-qian-ling-wu", "liang-wan", "wan", "yi-yi", "digit-by-digit",
         "ling"],
)  # fmt: skip
def test_cn_to_int(text: str, value: int) -> None:
    assert cn_to_int(text) == value


ZERO_CASES: dict[str, tuple[str, bool]] = {
    "wu-full-width": ("（无）", True),
    "wu-half-width": ("(无)", True),
    "no-requests": ("全年未收到信息公开申请。", True),
    "no-requests-short": ("本年度未收到政府信息公开申请", True),
    "no-review-litigation": ("年内未发生因信息公开而被申请行政复议或提起行政诉讼情况。", True),
    "no-fee-applicant": ("在信息公开工作中，未向申请人收取费用。", True),
    "no-fee-policy": ("广州市政府各部门依申请公开不收取费用", True),
    "no-processing-fee": ("本年度未收取信息处理费", True),
    "zero-jian": ("0件", True),
    "ling": ("零", True),
    "a-count": ("共收到信息公开申请9532宗", False),
    "other-remarks": ("其他需要报告的事项", False),
}


@pytest.mark.parametrize(("text", "zero"), ZERO_CASES.values(), ids=ZERO_CASES.keys())
def test_is_zero_statement(text: str, zero: bool) -> None:
    assert is_zero_statement(text) is zero


def test_zero_phrase_topics() -> None:
    assert {topic for topic, _ in ZERO_PHRASES} >= {"requests", "review_litigation", "fees", "empty", "zero"}
