"""Report metadata by rules: issuing body, statistics year and scope (own body, departments or whole region)."""

from __future__ import annotations

import re

from .models import Scope

_TITLE = re.compile(r"(?P<issuer>[^\s\d。，,]{2,40}?)\s*(?:(?:19|20)\d{2})\s*年度?(?:政府)?(?:信息公开|政务公开)")
_COMPILED_BY = re.compile(r"由(?P<issuer>[^\s，,。]{2,40}?)(?:负责)?编制")
# What every _TITLE match ends with: a line without it holds no title (a cheap test before the slow pattern).
_TITLE_END = re.compile(r"(?:19|20)\d{2}\s*年度?(?:政府)?(?:信息公开|政务公开)")
_SPLIT_TITLE = re.compile(r"^\s*(?:19|20)\d{2}\s*年度?(?:政府)?信息公开")
# A crawler's header line "发布机构：三明市人民政府办公室", and a title that names only a region ("标题：三明市2021年…")
_PUBLISHER = re.compile(r"^发布机构[:：][ \t]*(?P<issuer>[^\s:：]{2,40})[ \t]*$", re.MULTILINE)
_REGION_ONLY = re.compile(r"(?:标题[:：])?[^\s:：]{1,12}?(?:省|市|县|区|自治州|州|旗|盟)")
_ISSUER_TAIL = re.compile(r"(?:人民政府|政府|办公室|办公厅|局|委员会|委|厅|办|中心|院|署|会|街道办事处|镇|乡|部)$")

# (scope, pattern, words of which every match holds one): a text holding none of the words is not searched
# (``in`` passes over a text several times faster than the regex engine)
_SCOPE_SIGNALS: tuple[tuple[Scope, re.Pattern[str], tuple[str, ...]], ...] = (
    ("region_aggregate", re.compile(r"全(?:市|省|区|县|州)各级(?:行政机关|政府)|全(?:市|区|县)共(?:收到|办理)"),
     ("各级", "共收到", "共办理")),
    ("dept_aggregate", re.compile(r"政府各部门、各直属机构|各部门(?:、各直属机构)?(?:共|主动公开)"), ("各部门",)),
    ("self", re.compile(r"本单位|本机关|我办|我局|我委|我厅|我署|本局|本委|我院"), ("本", "我")),
)  # fmt: skip


def detect_issuer(text: str) -> str | None:
    """The body that issued the report: a crawler header's 发布机构, its title line ("三明市2021年…" names the
    region, whose government reports), or a "由…编制" sentence."""
    head = text[:1500]
    publisher = _PUBLISHER.search(head)
    if publisher and _ISSUER_TAIL.search(publisher.group("issuer")):
        return publisher.group("issuer")
    for line_no, line in enumerate(head.splitlines()):
        m = _TITLE.search(line) if _TITLE_END.search(line) else None
        if m and _ISSUER_TAIL.search(m.group("issuer")):
            return m.group("issuer")
        if m and _REGION_ONLY.fullmatch(m.group("issuer")):
            return m.group("issuer").split("：")[-1].split(":")[-1] + "人民政府"
        if m is None and _SPLIT_TITLE.match(line):
            # the title is split over lines: the issuer is the nearest non-empty line above
            above = [x.strip() for x in head.splitlines()[:line_no] if x.strip()]
            if above and _ISSUER_TAIL.search(above[-1]):
                return above[-1]
    m = _COMPILED_BY.search(head)
    return m.group("issuer") if m else None


def detect_scope(text: str) -> Scope:
    """Whose figures the report gives: the first strong signal wins, region over departments over self."""
    for scope, pattern, words in _SCOPE_SIGNALS:
        if any(w in text for w in words) and pattern.search(text):
            return scope
    return "unknown"
