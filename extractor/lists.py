"""Problems and improvement measures: split a 存在的主要问题及改进 section into list items by rules.

Reports enumerate with 一是/二是, (一)/(二), 1./2. or 第一/第二; the improvements usually start at a cue such as
"改进措施:" or a sentence that says what the body *will* do (…将…). Unenumerated lists of problems written as
one sentence ("如A有待提高，B有待深化，C有待提升等") are split on their clauses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN = "一二三四五六七八九十"
_MARKER = re.compile(
    rf"(?:(?<=[。；;：:，,\n\s])|^)(?:[{_CN}]是|\([{_CN}]{{1,2}}\)|（[{_CN}]{{1,2}}）|第[{_CN}]{{1,2}}[，,、]|"
    r"(?<![\d.])\d{1,2}[.．、](?!\d))"
)
_IMPROVEMENT_CUE = re.compile(
    r"改进措施[:：]?|下一步[，,:：]?|今后[，,]?|(?:我们|我办|我局|我委)将|(?:19|20)\d{2}年[，,][^。]{0,30}?将|"
    r"(?:问题|不足)[^。]{0,40}?将|加以改进[^。]*。"
)
_PROBLEM_CLAUSES = re.compile(
    r"(?:如|主要有|主要是|包括|存在)[:：]?(?P<body>[^。]*?(?:有待|不够|仍需|需要|不足)[^。]*?)等"
)
_INNER_LEAD = re.compile(r"(?:^|[，,])(?:如|主要有|主要是|包括)[:：]?")
_PARAGRAPH_END = re.compile(r"[。!！]\s*(?:\n|$)")
_TRIM = " \t\n。；;，,：:"


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    start: int  # offsets in the text given to split_problems
    end: int


def _flat(text: str) -> str:
    """An item's text on one line (page breaks in PDFs and web copies split sentences)."""
    return re.sub(r"\s*\n\s*", "", text).strip()


def _enumerated(text: str, base: int) -> list[Item]:
    marks = list(_MARKER.finditer(text))
    if len(marks) < 2:
        return []
    items: list[Item] = []
    for m, nxt in zip(marks, [*marks[1:], None], strict=True):
        if nxt is not None:
            stop = nxt.start()
        else:
            # the last item ends with its paragraph: a full stop at a line end (a page break may split a sentence)
            para = _PARAGRAPH_END.search(text, m.end())
            stop = para.start() + 1 if para else len(text)
        s, e = m.end(), stop
        while s < e and text[s] in _TRIM:
            s += 1
        while e > s and text[e - 1] in _TRIM:
            e -= 1
        if e - s >= 4:
            items.append(Item(_flat(text[s:e]), base + s, base + e))
    return items


def _clauses(text: str, base: int) -> list[Item]:
    m = _PROBLEM_CLAUSES.search(text)
    if not m:
        return []
    body, offset = m.group("body"), m.start("body")
    # "存在问题和不足，如A有待提高，B…": the list starts after the innermost lead word, not at 存在
    inner = _INNER_LEAD.search(body)
    if inner:
        body, offset = body[inner.end() :], offset + inner.end()
    items = []
    for part in re.finditer(r"[^，,、]+", body):
        s = offset + part.start()
        e = offset + part.end()
        if e - s >= 4:
            items.append(Item(_flat(text[s:e]).strip(_TRIM), base + s, base + e))
    return items if len(items) >= 2 else []


def split_problems(text: str) -> tuple[list[Item], list[Item]]:
    """(problems, improvements) of a problems section's body (without its heading line)."""
    cue = _IMPROVEMENT_CUE.search(text)
    cut = cue.start() if cue else len(text)
    head, tail = text[:cut], text[cut:]
    problems = _enumerated(head, 0) or _clauses(head, 0)
    improvements = _enumerated(tail, cut) if cue else []
    return problems, improvements
