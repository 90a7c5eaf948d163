"""Split a report's normalized text into sections, and decide which template it follows.

Headings are recognised by their words, never by their ordinals: numbering shifts between reports
(Shenzhen 2017 has no "一、概述" line, Guangzhou 2018 starts at "二、"). Sub-headings such as "(一)…" stay inside
their section. The template kind is decided by the labels of the statistics tables (domain.md §2.8), never by
the year alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from . import templates
from .models import SectionKind, TemplateKind
from .templates import Template

# (kind, words) in priority order: the first kind whose word occurs in a heading wins.
# "说明与附表" is an appendix, not "other"; "复议、诉讼和申诉" is review_litigation even though it says 申诉.
HEADING_KEYWORDS: tuple[tuple[SectionKind, tuple[str, ...]], ...] = (
    ("appendix", ("附表",)),
    ("problems", ("问题", "改进")),
    ("review_litigation", ("复议", "诉讼", "申诉")),
    ("fees", ("收费", "减免")),
    ("requests", ("依申请", "收到和处理", "公开申请")),
    ("proactive", ("主动公开",)),
    ("complaints", ("投诉", "举报")),
    ("consultation", ("咨询",)),
    ("overview", ("总体情况", "概述", "引言", "概况", "基本情况")),
    ("other", ("其他需要报告", "其他情况", "其他事项", "其他说明", "说明", "其他")),
)

_CN_ORDINALS = "一二三四五六七八九十"
# A top-level heading: a Chinese ordinal followed by 、 . ． or spaces, or a bare 引言-like word; short; no tabs.
# A crawler may put the title on the line after its ordinal ("六、\n其他需要报告的事项").
_HEADING = re.compile(
    rf"^[ \t]*(?P<ord>[{_CN_ORDINALS}]{{1,3}})(?:[、.．][ \t]*\n?|\s+)[ ]*(?P<title>\S[^\t\n]*?)[ ]*$|"
    r"^[ \t]*(?P<bare>引\s*言|概\s*述|前\s*言)[ ]*$",
    re.MULTILINE,
)
# The same headings found after their line break: "^" alone makes the regex engine try every char, a leading
# literal "\n" lets it jump from line to line (see _heading_matches).
_HEADING_AFTER_BREAK = re.compile(r"\n(?=" + _HEADING.pattern + ")", re.MULTILINE)
_MAX_HEADING_CHARS = 36  # longer lines are paragraphs that happen to start with 一、
_WS = re.compile(r"\s+")
_TWO_DIGITS = re.compile(r"\d{2,}")
_EMPTY_BODY = re.compile(r"\((?:无|無)\)$")


def _literals(pattern: str) -> tuple[str, ...]:
    """Every string that ``pattern`` matches, for a pattern made of literal (or escaped) chars, ``(?:…|…)`` groups
    and ``?``; anything else raises. ``any(s in text for s in _literals(p))`` is then ``p.search(text)``, and
    ``in`` skips through a text far faster than an alternation whose branches start with different chars."""

    def alternatives(i: int) -> tuple[list[str], int]:  # the alternation at i, up to its ")" or the end
        out: list[str] = []
        seq, i = sequence(i)
        out.extend(seq)
        while i < len(pattern) and pattern[i] == "|":
            seq, i = sequence(i + 1)
            out.extend(seq)
        return out, i

    def sequence(i: int) -> tuple[list[str], int]:
        strings = [""]
        while i < len(pattern) and pattern[i] not in "|)":
            if pattern.startswith("(?:", i):
                options, i = alternatives(i + 3)
                if i >= len(pattern) or pattern[i] != ")":
                    raise ValueError(f"unbalanced group in {pattern!r}")
                i += 1
            elif pattern[i] == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
                options, i = [pattern[i + 1]], i + 2
            elif pattern[i] in ".^$*+?{}[]()\\":
                raise ValueError(f"not a literal pattern: {pattern!r}")
            else:
                options, i = [pattern[i]], i + 1
            if i < len(pattern) and pattern[i] == "?":
                options, i = [*options, ""], i + 1
            strings = [a + b for a in strings for b in options]
        return strings, i

    found, end = alternatives(0)
    if end != len(pattern):
        raise ValueError(f"not a literal pattern: {pattern!r}")
    compiled = re.compile(pattern)
    assert all(compiled.fullmatch(s) for s in found)
    return tuple(dict.fromkeys(found))


# The 200 commonest CJK chars of the five seed reports (normalized text), commonest first.
_COMMON = (
    "政公开务信息市府的作工办和一行进全理年服发网项广部情动人事州制中门报规度申请关新件建提化在实会通要业大体等厅定统"
    "况布数上各机有展主设文管平共及推为加组条范议民法强个站效单位台了方量过次织其我内审策国询步批社解诉成接点依系是咨"
    "复目不施指对导重分性时二计本标企三区传合处资闻式力类宣第据众领省案求完与现高责程深督以问并容准用整访他专升读告题"
    "认多级评出结媒宗改电形促保员好调构任做流立万权入应线基同培训例果取投四总决相明表优面善到持落心收经层属占真印监五"
)


def _anchored(literal: str, name: str) -> str:
    """A regex for ``literal`` that starts at its least common char and checks the chars before it with a
    look-behind: ``本年制发件数`` → ``制(?<=本年制)发件数``. It finds the same occurrences (each at its anchor),
    and an alternation of such regexes starts with rare chars, so the engine's first-char skip passes over
    most of a text. ``(?P<name>)`` at the end names the literal that matched."""
    rank = [len(_COMMON) if c not in _COMMON else _COMMON.index(c) for c in literal]
    i = max(range(len(literal)), key=lambda k: (rank[k], -k))
    behind = f"(?<={re.escape(literal[: i + 1])})" if i else ""
    return f"{re.escape(literal[i])}{behind}{re.escape(literal[i + 1 :])}(?P<{name}>)"


@cache
def _marker_scan(templates: tuple[Template, ...]) -> tuple[re.Pattern[str], dict[str, Template]]:
    """One regex for every template's markers, each literal anchored at its rarest char (see :func:`_anchored`),
    and the template each named group belongs to."""
    words = [(t, w) for t in templates for marker in t.markers for w in _literals(marker)]
    kinds = {f"m{n}": t for n, (t, _) in enumerate(words)}
    return re.compile("|".join(_anchored(w, f"m{n}") for n, (_, w) in enumerate(words)) or "(?!)"), kinds


_REPORT_WORDS = re.compile(r"信息公开|政务公开|政府信息|依申请公开|主动公开")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度?(?:政府)?(?:信息公开|政务公开|政府信息公开)?(?:工作)?年度报告")
_YEAR_LOOSE = re.compile(r"((?:19|20)\d{2})年")


@dataclass(frozen=True, slots=True)
class Section:
    """A span of the normalized text; ``heading`` is the heading line as printed ("" for implicit sections)."""

    kind: SectionKind
    heading: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Split:
    template: TemplateKind
    year: int | None
    sections: tuple[Section, ...]
    missing: tuple[SectionKind, ...]

    def of_kind(self, kind: SectionKind) -> list[Section]:
        return [s for s in self.sections if s.kind == kind]


def classify_heading(title: str) -> SectionKind | None:
    """The section kind a heading's words name, or None when they name none."""
    words = _WS.sub("", title)
    for kind, keys in HEADING_KEYWORDS:
        if any(k in words for k in keys):
            return kind
    return None


_ORDINAL_DIGITS = {c: i + 1 for i, c in enumerate(_CN_ORDINALS)}


def _ordinal_value(ordinal: str) -> int:
    digits = _ORDINAL_DIGITS
    if ordinal == "十":
        return 10
    if ordinal.startswith("十"):
        return 10 + digits.get(ordinal[1:], 0)
    if ordinal.endswith("十"):
        return digits[ordinal[0]] * 10
    if "十" in ordinal:
        a, b = ordinal.split("十")
        return digits[a] * 10 + digits[b]
    return digits.get(ordinal, 0)


def _heading_matches(text: str) -> Iterator[re.Match[str]]:
    """``_HEADING.finditer(text)``: a match starts at a line start, so only line starts are tried (a match may
    run over several lines, and the search resumes where it ended)."""
    end = 0
    first = _HEADING.match(text)
    if first is not None:
        yield first
        end = first.end()
    for c in _HEADING_AFTER_BREAK.finditer(text):
        if c.end() < end:
            continue
        m = _HEADING.match(text, c.end())
        if m is not None:  # always: the look-ahead matched the same pattern there
            yield m
            end = m.end()


def find_headings(text: str) -> list[Section]:
    """Top-level headings, in order; ``end`` is provisional (the heading line's end)."""
    found: list[Section] = []
    last_ordinal = 0
    for m in _heading_matches(text):
        line = m.group(0).strip()
        if len(line) > _MAX_HEADING_CHARS and len(_WS.sub("", line)) > _MAX_HEADING_CHARS:
            continue  # (a line no longer than the limit is within it without its spaces too)
        if m.group("bare"):
            found.append(Section("overview", line, m.start(), m.end()))
            continue
        title = _EMPTY_BODY.sub("", m.group("title"))
        if _TWO_DIGITS.search(title) or title.endswith(("。", "；", ";")):
            continue  # a table row or a sentence, not a heading
        kind = classify_heading(title)
        ordinal = _ordinal_value(m.group("ord"))
        if kind is None or ordinal <= last_ordinal:
            continue
        last_ordinal = ordinal
        found.append(Section(kind, line, m.start() + (len(m.group(0)) - len(m.group(0).lstrip())), m.end()))
    return found


# A heading run into the text around it, on a page scraped to one line: "…宣传。二、主动公开政府信息情况第二十条…".
# The title ends at the word that closes a heading (情况, 事项 …); only tried on such pages.
_INLINE_HEADING = re.compile(
    rf"(?<![{_CN_ORDINALS}第(（])(?P<ord>[{_CN_ORDINALS}]{{1,2}})、(?P<title>[^。，,；;\d\n]{{2,30}}?"
    r"(?:情况|事项|问题|措施|概述|说明|附表))"
)
_LONG_LINE = 300  # a "line" this long holds a flattened table or page


def find_inline_headings(text: str) -> list[Section]:
    """Top-level headings inside long lines, in order, each with a strictly larger ordinal than the one before."""
    found: list[Section] = []
    last_ordinal = 0
    for m in _INLINE_HEADING.finditer(text):
        kind = classify_heading(m.group("title"))
        ordinal = _ordinal_value(m.group("ord"))
        if kind is None or ordinal <= last_ordinal:
            continue
        last_ordinal = ordinal
        found.append(Section(kind, m.group(0), m.start(), m.end()))
    return found


def _has_long_line(text: str) -> bool:
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > _LONG_LINE:
            return True
        start = end + 1
    return False


def detect_template(text: str, year: int | None) -> TemplateKind:
    """Decide the template by table labels (domain.md §2.8); the year only separates pre-2019 from unknown."""
    bundled = templates.all_templates()
    scan, kinds = _marker_scan(bundled)
    hits: dict[str, Template] = {}  # templates.hits(text), in one pass that stops once every template is found
    for m in scan.finditer(text):
        t = kinds[m.lastgroup or ""]
        hits[t.name] = t
        if len(hits) == len(bundled):
            break
    return templates.decide(hits.values(), year)


def required(template: TemplateKind) -> tuple[SectionKind, ...]:
    """The section kinds the regulation's report content requires of a report of ``template`` (a missing one is
    reported, not skipped); a ``hybrid`` report, those every template requires."""
    t = templates.get(template)
    if t is not None:
        return t.required
    if template == "hybrid":
        sets = [set(t.required) for t in templates.all_templates()]
        common = set.intersection(*sets) if sets else set()
        return tuple(k for k in templates.all_templates()[0].required if k in common) if sets else ()
    return ()


def detect_year(text: str) -> int | None:
    """The year the report covers: from its title, else the first plausible year in its opening."""
    m = _YEAR.search(text[:3000])
    if m:
        return int(m.group(1))
    m = _YEAR_LOOSE.search(text[:1500])
    return int(m.group(1)) if m else None


def looks_like_report(text: str) -> bool:
    """Whether the text is about government information disclosure at all."""
    words = _REPORT_WORDS.finditer(text, 0, 20000)  # len(findall(text[:20000])) >= 2, stopping at the second
    return next(words, None) is not None and next(words, None) is not None


def split_sections(text: str) -> Split:
    """Cut the normalized text into sections and name the template."""
    year = detect_year(text)
    template = detect_template(text, year)
    heads = find_headings(text)
    if len(heads) < max(len(required(template)), 2) and _has_long_line(text):
        inline = find_inline_headings(text)
        if len(inline) > len(heads):
            heads = inline
    sections: list[Section] = []
    if not heads:
        sections.append(Section("unknown", "", 0, len(text)))
    else:
        lead = text[: heads[0].start]
        if heads[0].kind != "overview" and _substantive(lead):
            sections.append(Section("overview", "", _first_body_offset(lead), heads[0].start))
        for head, nxt in zip(heads, [*heads[1:], None], strict=True):
            end = nxt.start if nxt is not None else len(text)
            sections.append(Section(head.kind, head.heading, head.start, _rstrip_offset(text, head.start, end)))
    present = {s.kind for s in sections}
    missing = tuple(k for k in required(template) if k not in present)
    return Split(template=template, year=year, sections=tuple(sections), missing=missing)


def _substantive(lead: str) -> bool:
    """A preamble with paragraphs of its own (an implicit 概述), not just a title line."""
    # len(_WS.sub("", lead)) > 200, counted a chunk at a time: the lead may be most of the text
    count = 0
    for at in range(0, len(lead), 512):
        count += len(_WS.sub("", lead[at : at + 512]))
        if count > _SUBSTANTIVE:
            return True
    return False


_SUBSTANTIVE = 200


def _first_body_offset(lead: str) -> int:
    return len(lead) - len(lead.lstrip())


def _rstrip_offset(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in " \t\n":
        end -= 1
    return end
