"""Tests for extractor.prose: the figures each seed's sentences state, rule by rule, and what must give nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractor.codebook import codebook, unit_of
from extractor.documents import normalize
from extractor.models import Cell
from extractor.prose import ALL_RULES, RULES, _literal_first, extract_prose

SEEDS = Path(__file__).resolve().parents[1] / "eval" / "seeds"


def seed_text(prefix: str) -> str:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return normalize(path.read_text(encoding="utf-8"))[0]


def pairs(cells: list[Cell]) -> set[tuple[str, int | float | None]]:
    return {(c.code, c.value) for c in cells}


# Every (code, value) each seed's text states, read off the seeds by hand. A code printed twice with different
# values appears twice (GZ 2009 §一 vs §四); the pipeline keeps both and flags the conflict.
SEED_FIGURES: dict[str, set[tuple[str, int | float]]] = {
    "000": {  # GZ 2015: §二 total and rate, §三 4 requests all 非本机关, §五 "(无)"
        ("proactive.total", 624),
        ("proactive.fulltext_electronic_rate", 100),
        ("requests.received", 4),
        ("requests.legacy.not_this_agency", 4),
        ("review.total", 0),
        ("litigation.total", 0),
    },
    "001": {  # GZ 2009: §一 consultation (31830 = 14330 + 17500), §二 categories, §三/§五 "(无)", §四, 附表1
        ("consult.total", 31830),
        ("consult.phone", 14330),
        ("consult.onsite", 17500),
        ("consult.web_visits", 100000),
        ("proactive.total", 81),
        ("proactive.fulltext_electronic_rate", 100),
        ("proactive.category.organization", 3),
        ("proactive.category.rules_internal", 12),
        ("proactive.category.business", 61),
        ("requests.received", 0),
        ("consult.total", 34170),
        ("consult.onsite", 19840),
        ("review.total", 0),
        ("litigation.total", 0),
        ("appeals.total", 0),
        ("proactive.fulltext_electronic", 81),  # 附表1 "其中:全文电子化的主动公开信息数 81"
    },
    "002": {  # GZ 2018, traditional script, prose only
        ("complaints.total", 29),
        ("proactive.total", 810000),
        ("proactive.category.organization", 238),
        ("proactive.category.other_docs", 4544),
        ("proactive.category.dynamics", 96000),
        ("proactive.category.enforcement", 655000),
        ("proactive.category.service_guides", 3035),
        ("proactive.category.budget", 612),
        ("proactive.category.other", 51000),
        ("proactive.channel.gazette", 219),
        ("proactive.channel.website", 162000),
        ("proactive.channel.weibo_wechat", 83000),
        ("proactive.channel.media", 36000),
        ("response.total", 2344),
        ("response.press_conferences", 376),
        ("response.online_interviews", 96),
        ("response.interpretations", 520),
        ("response.weibo_wechat", 1976),
        ("response.media_other", 1304),
        ("requests.received", 9532),
        ("requests.channel.online", 6178),
        ("requests.channel.letter", 2298),
        ("requests.channel.in_person", 1051),
        ("requests.channel.fax", 5),
        ("requests.answered", 9450),
        ("requests.legacy.already_public", 187),
        ("requests.legacy.granted", 4826),
        ("requests.legacy.partial", 225),
        ("requests.legacy.denied", 317),
        ("requests.legacy.not_this_agency", 926),
        ("requests.legacy.nonexistent", 1250),
        ("requests.legacy.unclear", 185),
        ("requests.legacy.other", 1534),
        ("fees.amount", 0),
        ("review.total", 167),
        ("review.upheld", 99),
        ("review.corrected", 28),
        ("review.other", 40),
        ("litigation.total", 36),
        ("litigation.upheld", 11),
        ("litigation.corrected", 1),
        ("litigation.other", 24),
    },
    "003": {  # Shenzhen 2017: one category, on-site consultations, four zero statements
        ("proactive.category.dynamics", 108),
        ("consult.onsite", 152762),
        ("requests.received", 0),
        ("fees.amount", 0),
        ("review.total", 0),
        ("litigation.total", 0),
    },
    "004": {  # GZ 2020: §一 whole-city reconsideration and litigation; the 市本级 "其中" clause is a subset
        ("review.total", 471),
        ("litigation.total", 258),
    },
}


@pytest.mark.parametrize("prefix", sorted(SEED_FIGURES))
def test_seed_figures(prefix: str) -> None:
    text = seed_text(prefix)
    cells = extract_prose(text, "unknown")
    assert pairs(cells) == SEED_FIGURES[prefix]
    for c in cells:
        assert text[c.start : c.end] == c.raw
        assert c.unit == unit_of(c.code)
        assert c.table is None and c.row


def _qualifiers(prefix: str) -> dict[tuple[str, int | float | None], set[str]]:
    out: dict[tuple[str, int | float | None], set[str]] = {}
    for c in extract_prose(seed_text(prefix), "unknown"):
        out.setdefault((c.code, c.value), set()).add(c.qualifier)
    return out


def test_seed_qualifiers() -> None:
    q2 = _qualifiers("002")
    for code in ("proactive.total", "proactive.category.dynamics", "proactive.category.enforcement",
                 "proactive.category.other", "proactive.channel.website", "proactive.channel.weibo_wechat",
                 "proactive.channel.media"):  # fmt: skip
        assert {q for (c, _), qs in q2.items() if c == code for q in qs} == {"approx"}, code
    assert q2[("requests.received", 9532)] == {"exact"}
    q1 = _qualifiers("001")
    assert q1[("consult.web_visits", 100000)] == {"approx", "at_least"}  # §一 "达10万人次", §四 "10万多人次"


def test_seed_spans_point_at_numbers() -> None:
    text = seed_text("002")
    cells = {c.code: c for c in extract_prose(text, "unknown")}
    assert cells["proactive.total"].raw == "81万条"
    assert cells["response.interpretations"].raw == "520篇"  # printed 篇, codebook unit 次
    assert cells["response.interpretations"].unit == "次"
    assert cells["requests.received"].raw == "9532宗" and cells["requests.received"].unit == "件"
    assert cells["fees.amount"].raw == "依申请公开不收取费用" and cells["fees.amount"].unit == "元"


# id → (sentence, section kind, expected (code, value, qualifier) cells)
SENTENCES: dict[str, tuple[str, str, set[tuple[str, int | float, str]]]] = {
    "proactive-total": ("全年主动公开政府信息81条。", "proactive", {("proactive.total", 81, "exact")}),
    "through-the-portal": (
        "通过市政府门户网站主动公开政府信息4532条。",
        "proactive",
        {("proactive.total", 4532, "exact")},
    ),
    "proactive-total-wan": (
        "各部门主动公开政府信息81万条，其中:",
        "proactive",
        {("proactive.total", 810000, "approx")},
    ),
    "fulltext-rate": (
        "主动公开政府信息624条，全文电子化100%。",
        "proactive",
        {("proactive.total", 624, "exact"), ("proactive.fulltext_electronic_rate", 100, "exact")},
    ),
    "categories-2009": (
        "机构职能类的信息3条，占3.7%;规章制度类信息12条;属于本单位业务类信息61条。",
        "proactive",
        {
            ("proactive.category.organization", 3, "exact"),
            ("proactive.category.rules_internal", 12, "exact"),
            ("proactive.category.business", 61, "exact"),
        },
    ),
    "category-regulations": (
        "规章类信息5条，规范性文件类信息7条。",
        "proactive",
        {("proactive.category.regulations", 5, "exact"), ("proactive.category.normative_docs", 7, "exact")},
    ),
    "gazette": ("通过政府公报发布信息219条。", "proactive", {("proactive.channel.gazette", 219, "exact")}),
    "received": ("共收到信息公开申请9532宗。", "requests", {("requests.received", 9532, "exact")}),
    "received-shouli": ("本单位共受理信息公开申请4件。", "requests", {("requests.received", 4, "exact")}),
    "answered": ("答复政府信息公开申请共9450宗。", "requests", {("requests.answered", 9450, "exact")}),
    "channels": (
        "其中，网上申请6178宗，占64.8%；传真申请5宗，占0.001%；电子邮件申请3宗。",
        "requests",
        {
            ("requests.channel.online", 6178, "exact"),
            ("requests.channel.fax", 5, "exact"),
            ("requests.channel.email", 3, "exact"),
        },
    ),
    "granted-partial-denied": (
        "同意公开4826宗；同意部分公开225宗；不同意公开317宗。",
        "requests",
        {
            ("requests.legacy.granted", 4826, "exact"),
            ("requests.legacy.partial", 225, "exact"),
            ("requests.legacy.denied", 317, "exact"),
        },
    ),
    "collective": (
        "经核实，4件均为 “非本机关政府信息”。",
        "requests",
        {("requests.legacy.not_this_agency", 4, "exact")},
    ),
    "label-colon": ("收到信息公开申请:12件。", "requests", {("requests.received", 12, "exact")}),
    "no-requests": ("全年未收到信息公开申请。", "requests", {("requests.received", 0, "exact")}),
    "fee-amount": ("实际收取信息处理费共计400元。", "other", {("fees.amount", 400, "exact")}),
    "fee-amount-wanyuan": ("收取费用0.12万元。", "fees", {("fees.amount", 1200, "exact")}),
    "no-fee": ("未向申请人收取费用。", "fees", {("fees.amount", 0, "exact")}),
    "no-fee-processing": ("本年度未收取信息处理费。", "other", {("fees.amount", 0, "exact")}),
    "no-fee-wu": ("2024年，无收取信息处理费的情况。", "other", {("fees.amount", 0, "exact")}),
    "review-outcomes": (
        "行政复议案件共167宗。其中，维持具体行政行为的99宗；被依法纠错的28宗；其他情形40宗。",
        "review_litigation",
        {
            ("review.total", 167, "exact"),
            ("review.upheld", 99, "exact"),
            ("review.corrected", 28, "exact"),
            ("review.other", 40, "exact"),
        },
    ),
    "litigation-outcomes": (
        "行政诉讼案件共36宗。其中，维持具体行政行为或者驳回原告诉讼请求的11宗；被依法纠错1宗；其他情形24宗。",
        "review_litigation",
        {
            ("litigation.total", 36, "exact"),
            ("litigation.upheld", 11, "exact"),
            ("litigation.corrected", 1, "exact"),
            ("litigation.other", 24, "exact"),
        },
    ),
    "no-review-litigation": (
        "年内未发生因信息公开而被申请行政复议或提起行政诉讼情况。",
        "review_litigation",
        {("review.total", 0, "exact"), ("litigation.total", 0, "exact")},
    ),
    "review-litigation-wu": (
        "五  复议、诉讼情况\n\n(无)\n",
        "review_litigation",
        {("review.total", 0, "exact"), ("litigation.total", 0, "exact")},
    ),
    "no-review-litigation-he": (
        "本机关2017年度未收到政府信息公开申请，未发生因政府信息公开引起的行政复议和行政诉讼。",
        "overview",
        {("requests.received", 0, "exact"), ("review.total", 0, "exact"), ("litigation.total", 0, "exact")},
    ),
    "no-review-litigation-wu": (
        "本年度无因政府信息公开被申请行政复议、提起行政诉讼的情况。",
        "review_litigation",
        {("review.total", 0, "exact"), ("litigation.total", 0, "exact")},
    ),
    "review-litigation-both-zero": (
        "行政复议和行政诉讼均为0件。",
        "review_litigation",
        {("review.total", 0, "exact"), ("litigation.total", 0, "exact")},
    ),
    "no-review-only": ("全年未发生行政复议案件。", "review_litigation", {("review.total", 0, "exact")}),
    "no-requests-wu": ("本年度无政府信息公开申请。", "requests", {("requests.received", 0, "exact")}),
    "received-thousands": (
        "2016年，我局共收到政府信息公开申请1,234件。",
        "requests",
        {("requests.received", 1234, "exact")},
    ),
    "received-at-least": ("全年共受理信息公开申请3万余件。", "requests", {("requests.received", 30000, "at_least")}),
    "wu-body-only": ("(无)", "review_litigation", {("review.total", 0, "exact"), ("litigation.total", 0, "exact")}),
    "wu-bare-requests": ("三、依申请公开情况\n无。", "requests", {("requests.received", 0, "exact")}),
    "wu-heading-appeals": (
        "五 复议、诉讼和申诉情况(无)",
        "review_litigation",
        {("review.total", 0, "exact"), ("litigation.total", 0, "exact"), ("appeals.total", 0, "exact")},
    ),
    "consultation": (
        "共接受市民咨询34170人次，其中咨询电话接听14330人次，现场咨询19840人次。网站访问量为10万多人次。",
        "consultation",
        {
            ("consult.total", 34170, "exact"),
            ("consult.phone", 14330, "exact"),
            ("consult.onsite", 19840, "exact"),
            ("consult.web_visits", 100000, "at_least"),
        },
    ),
    "consult-onsite-jian": ("据统计，本年度现场咨询数量152762件。", "overview", {("consult.onsite", 152762, "exact")}),
    "complaints": ("市政府办公厅全年共办理相关投诉举报29件。", "overview", {("complaints.total", 29, "exact")}),
    "response": (
        "回应公众关注热点或重大舆情2344次。举办新闻发布会376次，组织政府网站在线访谈96次，发布政策解读稿520篇。",
        "proactive",
        {
            ("response.total", 2344, "exact"),
            ("response.press_conferences", 376, "exact"),
            ("response.online_interviews", 96, "exact"),
            ("response.interpretations", 520, "exact"),
        },
    ),
    # 2014 statistics-table wordings (Sanming-style prose; made-up figures)
    "categories-without-xinxi": (
        "其中机构职能类412条，政策、规范性文件类388条。",
        "proactive",
        {("proactive.category.organization", 412, "exact"), ("proactive.category.normative_docs", 388, "exact")},
    ),
    "electronic-documents": (
        "各部门主动公开电子文档政府信息2750条。",
        "proactive",
        {("proactive.fulltext_electronic", 2750, "exact")},
    ),
    "catalog-as-on-request": (
        "共制作政府信息900条，其中主动公开700条，作为依申请公开120条。",
        "proactive",
        {("requests.catalog_entries", 120, "exact")},
    ),
    "response-2014-short": (
        "政府网站在线访谈9次，微博微信回应31次，其他方式回应4次。",
        "proactive",
        {
            ("response.online_interviews", 9, "exact"),
            ("response.weibo_wechat", 31, "exact"),
            ("response.media_other", 4, "exact"),
        },
    ),
    "channels-submitted": (
        "传真提交2条，电子邮件提交3条。",
        "requests",
        {("requests.channel.fax", 2, "exact"), ("requests.channel.email", 3, "exact")},
    ),
    "legacy-2014-wordings": (
        "属于已主动公开范围信息14条，不是《条例》所指政府信息2条，告知作出更改补充0条。",
        "requests",
        {
            ("requests.legacy.already_public", 14, "exact"),
            ("requests.legacy.not_gov_info", 2, "exact"),
            ("requests.legacy.unclear", 0, "exact"),
        },
    ),
    "three-way-zero": (
        "全年未发生因政府信息公开产生的行政复议、行政诉讼和行政申诉案件。",
        "review_litigation",
        {("review.total", 0, "exact"), ("litigation.total", 0, "exact"), ("appeals.total", 0, "exact")},
    ),
    "no-fee-of-any-kind": (
        "各级机关没有收取任何依申请公开信息费用。",
        "fees",
        {("fees.amount", 0, "exact")},
    ),
    "year-to-date-total-is-the-year": (
        "2022年全年累计主动公开政府信息15836件。",
        "proactive",
        {("proactive.total", 15836, "exact")},
    ),
    "cumulative-is-not-the-year": (
        "全年主动公开政府信息3538条。《条例》实施以来，累计主动公开政府信息33061条，共受理申请200件。",
        "proactive",
        {("proactive.total", 3538, "exact")},
    ),
}


@pytest.mark.parametrize(("text", "kind", "expected"), SENTENCES.values(), ids=SENTENCES.keys())
def test_sentences(text: str, kind: str, expected: set[tuple[str, int | float, str]]) -> None:
    cells = extract_prose(text, kind)
    assert {(c.code, c.value, c.qualifier) for c in cells} == expected
    for c in cells:
        assert text[c.start : c.end] == c.raw


# id → (text, kind): sentences that state no codebook figure
NOTHING: dict[str, tuple[str, str]] = {
    "percent-only": ("其中，网上申请占64.8%，信函申请占24.1%。", "requests"),
    "yishi-ershi": ("一是政务公开宣传形式还要进一步创新。二是有时公开的时效性不够强。", "unknown"),
    "article-item": ("根据《条例》第二十条第(五)项、第(六)项的规定公开。", "proactive"),
    "three-security": ("危及“三安全一稳定”的信息不予公开。", "requests"),
    "unrelated-count": ("共同举办了12场政企互动会，共计800余人参加。", "overview"),
    "press-conference-number-first": ("举办145场新闻发布会，及时回应关切。", "overview"),
    "gazette-issues": ("全年编印发布政府公报36期，刊登市政府和部门文件219份。", "overview"),
    "subset-clause": ("其中，办理市本级政府信息公开申请494件，办理信息公开行政复议2宗、行政诉讼2宗。", "overview"),
    "other-remarks-wu": ("(一)其他说明\n(无)", "appendix"),
    "other-matters-wu": ("六、其他需要报告的事项\n\n无。", "other"),
    "other-situation-no-subject": ("其他情形40宗。", "unknown"),
    "signed-change": ("行政许可增加5项。", "unknown"),
    "heading-without-number": ("五、申请行政复议和提起行政诉讼情况", "review_litigation"),
    "other-info-outside-proactive": ("其他信息5.1万条。", "requests"),
    "problems-section": ("全年主动公开政府信息81条。", "problems"),
    "table-row": ("(二) 部分公开(区分处理的，只计这一情形，不计其他情形)\t1382\t105\t0", "requests"),
    "processed-is-not-received": ("全市各级行政机关共办理政府信息公开申请19017宗。", "overview"),
    "no-lost-cases": ("全年未发生因政府信息公开引起的行政诉讼败诉案件。", "review_litigation"),
    "wu-in-sentence": ("申请人(无)正当理由逾期不补正的，不再处理。", "requests"),
    "one-departments-site": (
        "三是通过三明市科学技术局网公开各类科技创新政策83条、政策解读文件176条，主动公开信息87条。",
        "overview",
    ),
}


@pytest.mark.parametrize(("text", "kind"), NOTHING.values(), ids=NOTHING.keys())
def test_states_nothing(text: str, kind: str) -> None:
    assert extract_prose(text, kind) == []


@pytest.mark.parametrize(
    "text",
    ["行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计527819五、存在的主要问题", "其他结果尚未审结总计527819"],
    ids=["into-the-next-heading", "at-the-section-end"],
)
def test_a_flattened_tables_digits_are_not_a_sentences_figure(text: str) -> None:
    assert extract_prose(text, "review_litigation") == []


def test_percentages_never_become_counts() -> None:
    cells = extract_prose("同意公开占51%，不同意公开317宗，占3.4%。", "requests")
    assert pairs(cells) == {("requests.legacy.denied", 317)}


def test_subject_follows_the_nearest_mention() -> None:
    text = "复议案件5宗，其中被依法纠错的1宗。诉讼案件3宗，其中被依法纠错的2宗，尚未审结的1宗。"
    got = pairs(extract_prose(text, "review_litigation"))
    assert got == {("review.corrected", 1), ("litigation.corrected", 2), ("litigation.pending", 1)}


def test_rules_use_codebook_codes() -> None:
    codes = set(codebook())
    for rule in ALL_RULES:
        for code in rule.codes:
            targets = [code.replace("{subject}", s) for s in ("review", "litigation")] if "{" in code else [code]
            assert all(t in codes for t in targets), code
    assert len(RULES) >= 60


@pytest.mark.parametrize(
    ("pattern", "samples"),
    [
        (r"(?:收到|受理)(?:政府)?信息公开申请", ["收到信息公开申请", "受理政府信息公开申请", "办理信息公开申请"]),
        (r"(?<!不)同意公开", ["同意公开", "不同意公开"]),
        (r"(?:全年|本年度?)?(?:未|没有)收到", ["全年未收到", "本年没有收到", "本年度未收到", "未收到", "已收到"]),
        (r"网上申请(?:数)?|(?:当面|传真)申请", ["网上申请数", "当面申请", "传真申请", "信函申请"]),
    ],
    ids=["leading-group", "lookbehind", "optional-group", "top-level-alternation"],
)
def test_literal_first_keeps_the_language(pattern: str, samples: list[str]) -> None:
    alternatives = _literal_first(pattern)
    rewritten = re.compile("|".join(alternatives))
    original = re.compile(pattern)
    for alt in alternatives:
        assert alt[0] not in "\\[(.^$*+?{|)"
    for s in samples:
        for i in range(len(s)):
            a, b = original.match(s, i), rewritten.match(s, i)
            assert (a.group() if a else None) == (b.group() if b else None), (s, i)


def test_table_row_wu_is_not_a_heading() -> None:
    assert extract_prose("一、本年新收政府信息公开申请数量\t(无)\n", "requests") == []


def test_first_instance_judgments_are_not_the_cases_filed() -> None:
    """Shanghai 2020: "行政诉讼立案731件 … 一审行政诉讼案件687件": 687 counts judgments, not litigation.total."""
    text = "信息公开类行政诉讼立案731件，其中，未经复议直接起诉442件，复议后起诉289件。一审行政诉讼案件687件，结果纠正23件。"
    got = [(c.code, c.value) for c in extract_prose(text, "review_litigation")]
    assert ("litigation.total", 687) not in got
    assert ("litigation.total", 4) in [
        (c.code, c.value) for c in extract_prose("发生行政复议4件、行政诉讼4件。", "overview")
    ]


def test_a_sentence_broken_at_every_formatting_run_still_reads() -> None:
    """Sanming 2018 as crawled: Word's formatting runs became line breaks, inside numbers too."""
    text = (
        "2018年,各级各部门主动公开电子文档政府信息\n3\n1163条。\n●\n机构职能类\n3\n304条,占10.6\n%\n;\n"
        "●\n信函申请\n17条,占10.83\n%\n。\n●\n主动公开范围信息\n104条,占66.24%;\n"
    )
    got = {(c.code, c.value) for c in extract_prose(text, "proactive")} | {
        (c.code, c.value) for c in extract_prose(text, "requests")
    }
    assert {
        ("proactive.fulltext_electronic", 31163),
        ("proactive.category.organization", 3304),
        ("requests.channel.letter", 17),
        ("requests.legacy.already_public", 104),
    } <= got
    broken = next(c for c in extract_prose(text, "proactive") if c.value == 31163)
    assert text[broken.start : broken.end] == "3\n1163条"
    unit_below = (
        "2022\n年年累计主动公开政府信息\n15836\n件,包括机构职能类信息"  # Sanming 2022: the unit on its own line
    )
    assert [(c.code, c.value) for c in extract_prose(unit_below, "proactive")] == [("proactive.total", 15836)]


@pytest.mark.parametrize(
    "text",
    [
        "信函申请\n17\n当面申请\n69\n",  # a table's cells one per line: a bare number under its label
        "机构职能类\n3\n304\n",  # three cells, not one broken number
        "机构职能类 3\n304条\n",  # the digits share their line: not a fragment
    ],
)
def test_a_bare_number_on_the_next_line_is_not_a_sentences_figure(text: str) -> None:
    got = {(c.code, c.value) for c in extract_prose(text, "requests") + extract_prose(text, "proactive")}
    assert not any(v in (17, 69, 3304, 304) for _, v in got), got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("予以公开及部分公开258件，占33.9%；其他处理0件。", [("requests.other.total", 0)]),  # Shanghai 2019
        ("（六）其他处理\t3\t2\t0\t0\t0\t0\t5", []),  # the table row: its first cell is not the total
        ("（六）其他处理 3 2 0 0 0 0 5\n", []),
    ],
)
def test_other_handling_is_read_from_a_sentence_only(text: str, expected: list[tuple[str, int]]) -> None:
    assert [(c.code, c.value) for c in extract_prose(text, "requests")] == expected


def test_a_headers_last_word_then_a_flattened_rows_numbers_is_no_sentence() -> None:
    """Shanghai 2019's 表四 flattened with spaces: "… 尚未审结 总计 5 2 7 8 1 9" is a header, then a row's cells."""
    text = "结果维持 结果纠正 其他结果 尚未审结 总计 5 2 7 8 1 9"
    assert [c for c in extract_prose(text, "review_litigation") if c.value == 5] == []
    assert [(c.code, c.value) for c in extract_prose("行政复议尚未审结2件。", "review_litigation")] == [
        ("review.pending", 2)
    ]


def test_times_published_are_not_items_published() -> None:
    """Sanming 2015: "通过各种公开载体主动公开政府信息3.53万条次" counts publications on every channel, not the
    33696 items (条) its table gives: never proactive.total. "件次" of applications still counts them."""
    assert extract_prose("通过各种公开载体主动公开政府信息3.53万条次。", "overview") == []
    assert [(c.code, c.value) for c in extract_prose("网上申请5件次。", "requests")] == [("requests.channel.online", 5)]
