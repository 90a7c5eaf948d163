"""Pre-2019 reports in free form (2008–2018): figures in prose, sometimes a 附表 of one label and one value a row
(Guangzhou style); the template of any report before 2019 that prints no other template's table words."""

from __future__ import annotations

from . import pre2019_stat2014
from .base import Grammar, Template

TEMPLATE = Template(
    name="pre2019_freeform",
    title="pre-2019 free-form report",
    family="legacy",
    markers=(
        "依申请公开信息目录数",
        "对申请的答复总数",
        "同意部分公开",
        "否决公开",
        "行政申诉数",
        "非本机关或信息不存在",
    ),
    required=pre2019_stat2014.LEGACY_SECTIONS,
    eras=("pre2019", "all"),
    readers=("附表",),
    identities=("pre2019",),
    grammar=Grammar(appendix_rows=pre2019_stat2014.APPENDIX_ROWS, appendix_other=pre2019_stat2014.APPENDIX_OTHER),
    fallback=2019,
)
