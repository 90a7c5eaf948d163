"""The national template of 2019 (国办公开办函〔2019〕60号): 表二 (第二十条 items), 表三 (requests by applicant),
表四 (reconsideration and litigation). Reports for 2019 and 2020."""

from __future__ import annotations

from ..models import SectionKind
from .base import Block, Grammar, Row, Template

# 表二: item → rows and columns (domain.md §2.3)
T2_ROWS: dict[str, tuple[Row, ...]] = {
    "一": (
        Row("art20.normative_docs", "规范性文件", ("规范性文件",)),
        Row("art20.regulations", "规章", ("规章",)),
    ),
    "五": (
        Row("art20.licensing", "行政许可", ("行政许可",)),
        Row("art20.other_services", "其他对外管理服务事项", ("对外管理服务", "其他对外管理")),
    ),
    "六": (
        Row("art20.penalty", "行政处罚", ("行政处罚",)),
        Row("art20.coercion", "行政强制", ("行政强制",)),
    ),
    "八": (Row("art20.admin_fees", "行政事业性收费", ("事业性收费", "行政收费")),),
    "九": (Row("art20.procurement", "政府集中采购", ("集中采购",)),),
}
SERVICE_COLUMNS = (
    Row("prev_items", "上一年项目数量", ("上一年项目",)),
    Row("change", "本年增/减", ("增/减", "增减", "增/ 减")),
    Row("decisions", "处理决定数量", ("处理决定",)),
)
SERVICE_DEFAULTS = {3: ("prev_items", "change", "decisions"), 1: ("decisions",)}
T2_LATER_BLOCKS = (  # 五 六 八 九
    Block("五", T2_ROWS["五"], SERVICE_COLUMNS, SERVICE_DEFAULTS),
    Block("六", T2_ROWS["六"], SERVICE_COLUMNS, SERVICE_DEFAULTS),
    Block(
        "八",
        T2_ROWS["八"],
        (Row("prev_items", "上一年项目数量", ("上一年项目",)), Row("change", "本年增/减", ("增/减", "增减"))),
        {2: ("prev_items", "change")},
    ),
    Block(
        "九",
        T2_ROWS["九"],
        (Row("projects", "采购项目数量", ("采购项目",)), Row("amount", "采购总金额", ("采购总金额", "总金额"))),
        {2: ("projects", "amount")},
    ),
)
T2 = (
    Block(
        "一",
        T2_ROWS["一"],
        (
            Row("new_made", "本年新制作数量", ("新制作",)),
            Row("new_published", "本年新公开数量", ("新公开",)),
            Row("total_published", "对外公开总数量", ("公开总数",)),
        ),
        {3: ("new_made", "new_published", "total_published")},
    ),
    *T2_LATER_BLOCKS,
)

# 表三: rows (code after "requests.") in printed order; the columns are the applicants (domain.md §2.4)
T3_OUTCOMES = (
    Row("granted", "(一)予以公开", ("予以公开",)),
    Row("partial", "(二)部分公开", ("部分公开",)),
    Row("denied.state_secret", "(三)不予公开 1.属于国家秘密", ("国家秘密",)),
    Row("denied.law_prohibited", "(三)不予公开 2.其他法律行政法规禁止公开", ("法律行政法规", "法规禁止")),
    Row("denied.security_stability", "(三)不予公开 3.危及“三安全一稳定”", ("三安全", "危及")),
    Row("denied.third_party", "(三)不予公开 4.保护第三方合法权益", ("第三方",)),
    Row("denied.internal_affairs", "(三)不予公开 5.属于三类内部事务信息", ("内部事务",)),
    Row("denied.process_info", "(三)不予公开 6.属于四类过程性信息", ("过程性",)),
    Row("denied.enforcement_file", "(三)不予公开 7.属于行政执法案卷", ("执法案卷",)),
    Row("denied.admin_query", "(三)不予公开 8.属于行政查询事项", ("行政查询", "查询事项")),
    Row("unable.not_held", "(四)无法提供 1.本机关不掌握相关政府信息", ("不掌握",)),
    Row("unable.needs_creation", "(四)无法提供 2.没有现成信息需要另行制作", ("现成信息", "另行制作")),
    Row("unable.unclear", "(四)无法提供 3.补正后申请内容仍不明确", ("仍不明确", "补正后")),
    Row("not_processed.complaint", "(五)不予处理 1.信访举报投诉类申请", ("信访", "举报投诉")),
    Row("not_processed.duplicate", "(五)不予处理 2.重复申请", ("重复申请",)),
    Row("not_processed.publication", "(五)不予处理 3.要求提供公开出版物", ("出版物",)),
    Row("not_processed.mass_repeat", "(五)不予处理 4.无正当理由大量反复申请", ("大量反复",)),
    Row(
        "not_processed.confirm_reissue",
        "(五)不予处理 5.要求行政机关确认或重新出具已获取信息",
        ("重新出具", "确认或"),
    ),
)
T3_HEAD = (
    Row("new", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    Row("carried_in", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    *T3_OUTCOMES,
)
T3_OTHER = Row("other", "(六)其他处理", ("其他处理",))
T3_TAIL = (
    Row("processed", "(七)总计", patterns=(r"七\s*[)）、.．]?\s*总\s*计",)),
    Row("carried_out", "四、结转下年度继续办理", ("结转下年度",)),
)
T3_COLUMNS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")

# 表四: blocks (code prefix, label) and outcome columns (domain.md §2.5)
T4_BLOCKS = (
    ("review", "行政复议"),
    ("litigation.direct", "行政诉讼 未经复议直接起诉"),
    ("litigation.after_review", "行政诉讼 复议后起诉"),
)
T4_COLUMNS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")

NATIONAL_SECTIONS: tuple[SectionKind, ...] = (
    "overview",
    "proactive",
    "requests",
    "review_litigation",
    "problems",
    "other",
)

TEMPLATE = Template(
    name="ogi2019",
    title="2019 national template",
    family="national",
    markers=(
        "本年新制作数量",
        "对外公开总数量",
        "上一年项目数量",
        "其他对外管理服务事项",
        r"第二十条第\(九\)项",
        "政府集中采购",
    ),
    required=NATIONAL_SECTIONS,
    eras=("ogi2019", "all"),
    readers=("表二", "表三", "表四"),
    identities=("表三", "表四"),
    grammar=Grammar(
        t2=T2,
        t3_rows=(*T3_HEAD, T3_OTHER, *T3_TAIL),
        t3_columns=T3_COLUMNS,
        t4_blocks=T4_BLOCKS,
        t4_columns=T4_COLUMNS,
    ),
)
