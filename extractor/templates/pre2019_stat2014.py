"""The 2014 statistics table of the pre-2019 reports (2014–2018): a 附表 or 统计表 with one label and one value a
row (指标名称 | 计量单位 | 数量), the legacy answer categories (属已主动公开范围, 不属于本行政机关公开 …) and the
outcomes of reconsideration and litigation (维持具体行政行为, 被依法纠错)."""

from __future__ import annotations

from ..models import SectionKind
from .base import Grammar, Row, Template


def _row(code: str, *words: str) -> Row:
    """A 附表 row: its label is the first of its words (the tables print no single canonical label)."""
    return Row(code, words[0], words)


# code → words (longer, more specific words first: the first row whose words occur wins; domain.md §3.2)
APPENDIX_ROWS = (
    _row("_skip", "否决公开答复", "信函、传真", "减免金额"),  # no code: a super-group, two channels, waivers
    _row("proactive.fulltext_electronic", "全文电子化"),
    _row("proactive.total", "主动公开信息数", "主动公开信息总数", "主动公开政府信息数", "主动公开文件数"),
    _row("proactive.channel.website", "政府网站公开数", "网站公开数"),
    _row("proactive.channel.gazette", "政府公报公开数", "政府公报数", "公报公开数"),
    _row("proactive.category.organization", "组织机构", "机构职能"),
    _row("proactive.category.rules_internal", "规章制度"),
    _row("proactive.category.regulations", "规章"),
    _row("proactive.category.normative_docs", "规范性文件"),
    _row("proactive.category.other_docs", "其他文件", "部门文件"),
    _row("proactive.category.dynamics", "动态类"),
    _row("proactive.category.enforcement", "行政执法类"),
    _row("proactive.category.service_guides", "办事指南"),
    _row("proactive.category.budget", "预决算"),
    _row("proactive.category.gov_work_report", "政府工作报告"),
    _row("proactive.category.annual_report", "年度报告"),
    _row("proactive.category.business", "业务类"),
    _row("proactive.category.other", "其他信息"),
    _row("requests.catalog_entries", "依申请公开信息目录"),
    _row("requests.channel.online", "网上申请", "网络申请"),
    _row("requests.channel.letter", "信函申请"),
    _row("requests.channel.in_person", "当面申请"),
    _row("requests.channel.fax", "传真申请"),
    _row("requests.channel.email", "电子邮件申请"),
    _row("requests.channel.phone", "电话申请"),
    _row("requests.channel.other", "其他形式申请", "其他方式申请"),
    _row("requests.received", "申请总数", "收到申请数", "受理申请数"),
    _row("requests.answered", "答复总数", "申请答复数", "已答复数"),
    _row("requests.legacy.partial", "同意部分公开"),
    _row("requests.legacy.denied", "不同意公开", "不予公开答复"),
    _row("requests.legacy.granted", "同意公开"),
    _row("requests.legacy.already_public", "已主动公开"),
    _row("requests.legacy.not_gov_info", "不属于政府信息公开范围", "非政府信息", "不是政府信息"),
    _row("requests.legacy.not_this_agency_or_nonexistent", "非本机关或信息不存在"),
    _row("requests.legacy.not_this_agency", "不属于本行政机关", "非本机关"),
    _row("requests.legacy.nonexistent", "信息不存在"),
    _row("requests.legacy.irrelevant_to_needs", "需要无关"),
    _row("requests.legacy.unclear", "申请内容不明确"),
    _row("requests.legacy.other_route", "其他途径"),
    _row("requests.legacy.duplicate", "重复申请"),
    _row("requests.legacy.other", "其他答复", "其他类型答复"),
    _row("consult.total", "接受咨询", "咨询总数"),
    _row("consult.phone", "咨询电话", "电话咨询"),
    _row("consult.onsite", "现场咨询", "现场接待"),
    _row("consult.online", "网上咨询", "网络咨询"),
    _row("consult.web_visits", "访问量"),
    _row("complaints.total", "投诉举报", "举报投诉", "行政申诉、举报"),
    _row("review.total", "行政复议"),
    _row("litigation.total", "行政诉讼"),
    _row("appeals.total", "行政申诉", "申诉数"),
    _row("_other", "其他"),
)
APPENDIX_OTHER = (
    ("proactive.category", "proactive.category.other"),
    ("requests.legacy", "requests.legacy.other"),
    ("requests.channel", "requests.channel.other"),
)
LEGACY_SECTIONS: tuple[SectionKind, ...] = (
    "overview",
    "proactive",
    "requests",
    "fees",
    "review_litigation",
    "problems",
)

TEMPLATE = Template(
    name="pre2019_stat2014",
    title="pre-2019 report with the 2014 statistics table",
    family="legacy",
    markers=(
        "属(?:于)?已主动公开范围",
        "不属于本行政机关公开",
        "被依法纠错",
        "维持具体行政行为",
        "回应解读",
        "机构建设和保障经费",
    ),
    required=LEGACY_SECTIONS,
    eras=("pre2019", "all"),
    readers=("附表",),
    identities=("pre2019",),
    grammar=Grammar(appendix_rows=APPENDIX_ROWS, appendix_other=APPENDIX_OTHER),
    years=(2014, 2018),
    rank=1,
)
