"""HTML pages: chrome dropped, blocks on lines of their own, tables as TAB-separated rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from extractor.errors import InputError

from .common import OverLimit
from .normalization import _CJK_RE
from .text import _BOMS, _SUPERSETS, _codec_key, _decode, _decode_text

_DROP_TAGS = (
    "script", "style", "nav", "header", "footer", "aside", "form", "iframe", "noscript",
    "template", "svg", "button", "select", "object", "embed",
)  # fmt: skip
# id/class words that mark page chrome. Matched against the id/class split into lower-case words; words of 5+
# letters also match inside a word ("bdsharebuttonbox"), shorter ones only whole ("nav", not "canvas").
NAV_WORDS: tuple[str, ...] = (
    "nav", "navbar", "subnav", "topnav", "mainnav", "navigation", "menu", "mainmenu", "topmenu", "submenu",
    "breadcrumb", "crumb", "crumbs", "share", "sharing", "footer", "foot", "related", "relate", "comment",
    "ad", "ads", "advert", "sidebar", "toolbar", "social", "topbar", "sitemap", "copyright", "skip",
    "xgxw", "xgwz", "xglj", "fenxiang",  # pinyin initials used by gov CMSs: 相关新闻/相关文章/相关链接, 分享
)  # fmt: skip
_NAV_EXACT = frozenset(w for w in NAV_WORDS if len(w) < 5)
_NAV_INSIDE = re.compile("|".join(re.escape(w) for w in NAV_WORDS if len(w) >= 5))
_BLOCK_TAGS = frozenset((
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dir", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "menu", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
))  # fmt: skip
_HTML_WS = re.compile(r"[ \t\n\r\f]+")
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_KEEP_ALWAYS = frozenset({"html", "body", "main", "article"})


def _read_html(path: Path, raw: bytes) -> tuple[str, str | None]:
    html, encoding = _decode_html(path, raw)
    from selectolax.lexbor import LexborHTMLParser

    body = LexborHTMLParser(html).body
    text = _clean_lines(_node_text(body)) if body is not None else ""
    if not text.strip():
        raise InputError(path, "no text in the HTML page")
    return text, encoding


def _decode_html(path: Path, raw: bytes) -> tuple[str, str]:
    if not any(raw.startswith(bom) for bom, _ in _BOMS):
        m = _META_CHARSET.search(raw[:4096])
        if m:
            declared = _codec_key(m.group(1).decode("ascii"))
            for codec in (*_SUPERSETS.get(declared, ()), declared):
                try:
                    return _decode(raw, codec)
                except (UnicodeDecodeError, LookupError):
                    continue  # the page lies about its charset: detect instead
    return _decode_text(path, raw)


def _is_chrome(node: Any, in_article: bool) -> bool:
    tag = node.tag
    if tag in _KEEP_ALWAYS:
        return False
    if tag in _DROP_TAGS:
        # An <article>'s own <header> holds its title; a page-level <header> holds the site's banner and menu.
        return not (tag == "header" and in_article)
    attributes = node.attributes
    return ("id" in attributes or "class" in attributes) and _looks_like_chrome(attributes)


def _looks_like_chrome(attributes: dict[str, str | None]) -> bool:
    words = " ".join(v for k, v in attributes.items() if k in ("id", "class") and v)
    # split camelCase and separators: "shareBtn main-nav" -> share btn main nav
    tokens = re.sub(r"([a-z])([A-Z])", r"\1 \2", words).lower()
    for token in re.split(r"[^a-z0-9]+", tokens):
        if token in _NAV_EXACT or (len(token) >= 5 and _NAV_INSIDE.search(token)):
            return True
    return False


def _node_text(root: Any, in_article: bool = False) -> str:
    """Text of a node without its chrome: blocks on their own lines, <br> a newline, tables as TAB-separated rows."""
    out: list[str] = []
    # Nodes with their "inside an <article>" flag, and "\n" markers to emit when a block element closes.
    stack: list[tuple[Any, bool] | str] = [(root, in_article)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node, in_article = item
        tag = node.tag
        if tag == "-text":
            out.append(_HTML_WS.sub(" ", (node.text(deep=False) or "").replace("\xa0", " ")))
        elif tag.startswith("-") or tag == "head" or _is_chrome(node, in_article):
            continue
        elif tag == "br":
            out.append("\n")
        elif tag == "table":
            out.append("\n" + _table_text(node, in_article) + "\n")
        else:
            if tag in _BLOCK_TAGS:
                out.append("\n")
                stack.append("\n")
            in_article = in_article or tag == "article"
            stack.extend((child, in_article) for child in reversed(list(node.iter(include_text=True))))
    return "".join(out)


def _table_text(table: Any, in_article: bool) -> str:
    """Rows one per line, cells joined by TAB; colspan/rowspan leave empty cells so columns stay aligned."""
    lines: list[str] = []
    grid = _SpanGrid()
    for child in _table_children(table):
        if child.tag == "caption":
            lines.append(_join_wrapped(_node_text(child, in_article).split("\n")))
            continue
        row = grid.start_row()
        for cell in child.iter():
            if cell.tag in ("td", "th") and not _is_chrome(cell, in_article):
                text = _join_wrapped(_node_text(cell, in_article).replace("\t", " ").split("\n"))
                row.add(text, _span(cell.attributes.get("colspan")), _span(cell.attributes.get("rowspan")))
        cells = row.finish()
        grid.cells += len(cells)
        if grid.cells > MAX_TABLE_CELLS:
            raise OverLimit(f"an HTML table spans over {MAX_TABLE_CELLS:,} cells (the limit)")
        lines.append("\t".join(cells))
    return "\n".join(lines)


def _table_children(table: Any) -> Iterator[Any]:
    """The caption and rows of this table, not of tables nested in its cells."""
    for child in table.iter():
        if child.tag in ("thead", "tbody", "tfoot"):
            yield from (row for row in child.iter() if row.tag == "tr")
        elif child.tag in ("tr", "caption"):
            yield child


class _SpanGrid:
    """Tracks the columns that a rowspan from an earlier row still covers."""

    def __init__(self) -> None:
        self.covered: dict[int, int] = {}  # column -> rows it is still covered for
        self.cells = 0  # emitted so far, against MAX_TABLE_CELLS

    def start_row(self) -> _GridRow:
        row = _GridRow(self.covered)
        self.covered = row.next_covered
        return row


class _GridRow:
    def __init__(self, covered: dict[int, int]) -> None:
        self.covered = covered
        self.next_covered: dict[int, int] = {}
        self.cells: list[str] = []

    def _skip_covered(self, until: int | None) -> None:
        """Put an empty cell in each column covered from above: the next ones, or all up to `until`."""
        while True:
            col = len(self.cells)
            if until is not None and col >= until:
                return
            rows = self.covered.get(col, 0)
            if until is None and rows == 0:
                return
            if rows > 1:
                self.next_covered[col] = rows - 1
            self.cells.append("")

    def add(self, text: str, colspan: int, rowspan: int) -> None:
        self._skip_covered(None)
        col = len(self.cells)
        self.cells.append(text)
        self.cells.extend([""] * (colspan - 1))
        if rowspan > 1:
            self.next_covered.update({col + k: rowspan - 1 for k in range(colspan)})

    def finish(self) -> list[str]:
        self._skip_covered(max(self.covered, default=-1) + 1)
        return self.cells


MAX_TABLE_CELLS = 200_000  # a report's tables have hundreds; a page of huge colspans would take gigabytes
_MAX_SPAN = 64  # the widest report table has 15 columns


def _span(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), _MAX_SPAN)
    except ValueError:
        return 1


def _join_wrapped(parts: Iterable[str]) -> str:
    """Join the lines of one wrapped cell: nothing between CJK chars, one space between other words."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if out and not (_CJK_RE.match(out[-1]) or _CJK_RE.match(part[0]) or not out[-1].isalnum()):
            out += " "
        out += part
    return _HTML_WS.sub(" ", out)


def _clean_lines(text: str) -> str:
    lines = (re.sub(" {2,}", " ", line).strip(" ") for line in text.split("\n"))
    return "\n".join(line for line in lines if line.strip())


def _html_text(path: Path, html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    body = LexborHTMLParser(html).body
    text = _clean_lines(_node_text(body)) if body is not None else ""
    if not text.strip():
        raise InputError(path, "no text in the HTML held in the file")
    return text
