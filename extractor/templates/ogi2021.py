"""The 2021 revision of the national template (国办公开办函〔2021〕30号): 表二's first block counts documents made,
repealed and in force; 表三's （六）其他处理 has three sub-rows. Reports from 2021 on."""

from __future__ import annotations

from . import ogi2019
from .base import Block, Grammar, Row, Template

T2 = (
    Block(
        "一",
        ogi2019.T2_ROWS["一"],
        (
            Row("issued", "本年制发件数", ("制发",)),
            Row("repealed", "本年废止件数", ("废止",)),
            Row("in_force", "现行有效件数", ("现行有效",)),
        ),
        {3: ("issued", "repealed", "in_force")},
    ),
    # 五 六: only the decisions of the year; 八: only the amount collected; 九 (procurement) is gone
    Block("五", ogi2019.T2_ROWS["五"], ogi2019.SERVICE_COLUMNS[2:], {1: ("decisions",)}),
    Block("六", ogi2019.T2_ROWS["六"], ogi2019.SERVICE_COLUMNS[2:], {1: ("decisions",)}),
    Block("八", ogi2019.T2_ROWS["八"], (Row("amount", "本年收费金额", ("收费金额",)),), {1: ("amount",)}),
)
T3_OTHER_SUBS = (
    Row("other.no_correction", "(六)其他处理 1.申请人无正当理由逾期不补正", ("逾期不补正",)),
    Row("other.fee_unpaid", "(六)其他处理 2.申请人逾期未按收费通知要求缴纳费用", ("收费通知", "缴纳费用")),
    Row("other.misc", "(六)其他处理 3.其他", patterns=(r"3\s*[.、．]\s*其\s*他(?!\s*(?:处\s*理|法\s*律))",)),
)

TEMPLATE = Template(
    name="ogi2021",
    title="2021 revision of the national template",
    family="national",
    rank=1,  # its 表二 columns, when a report prints words of both
    markers=("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额", "逾期不补正", "逾期未按收费通知"),
    required=ogi2019.NATIONAL_SECTIONS,
    eras=("ogi2021", "all"),
    readers=("表二", "表三", "表四"),
    identities=("表三", "表四"),
    grammar=Grammar(
        t2=T2,
        # the sub-rows are printed before the （六） line they add up to
        t3_rows=(*ogi2019.T3_HEAD, *T3_OTHER_SUBS, ogi2019.T3_OTHER, *ogi2019.T3_TAIL),
        t3_columns=ogi2019.T3_COLUMNS,
        t4_blocks=ogi2019.T4_BLOCKS,
        t4_columns=ogi2019.T4_COLUMNS,
    ),
)
