"""PDF text layers (pypdf), laid out line by line with table cells TAB-separated; page furniture dropped."""

from __future__ import annotations

import io
import logging
import math
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from extractor.errors import InputError

from .common import NeedsOcr
from .html import _join_wrapped
from .text import _one_line


class _Chunk(NamedTuple):
    text: str
    x: float
    y: float
    size: float
    broken: bool = False  # the text followed a newline inside one text operation: start a new line


@dataclass
class _Line:
    """One output line of a PDF page, built from text chunks in content-stream order."""

    cells: list[str]
    x0: float  # where the line starts
    cell_x: float  # where its last cell starts
    y: float
    end_x: float  # estimated end of the last chunk
    size: float

    @property
    def text(self) -> str:
        return "\t".join(self.cells)


def _read_pdf(path: Path, raw: bytes) -> tuple[str, str | None]:
    from pypdf import PdfReader

    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a broken file makes pypdf log a warning per recovered object
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(raw))
            if reader.is_encrypted and not reader.decrypt(""):
                raise InputError(path, "encrypted PDF")
            pages = [_page_lines(page) for page in reader.pages]
    except InputError:
        raise
    except Exception as e:  # pypdf raises PdfReadError, but also ValueError, KeyError, zlib errors on broken files
        raise InputError(path, f"damaged PDF: {_one_line(str(e)) or type(e).__name__}") from e
    finally:
        pypdf_log.setLevel(level)
    if not pages:
        raise InputError(path, "damaged PDF: no pages")
    if not any(line.strip() for page in pages for line in page):
        raise NeedsOcr  # read_document decides: OCR, or the refusal "PDF has no text layer"
    return "\n".join("\n".join(page) for page in _strip_page_furniture(pages)), None


def _page_lines(page: Any) -> list[str]:
    chunks: list[_Chunk] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float) -> None:
        # pypdf reports its own line breaks as "\n" chunks; positions tell us more, so those are skipped.
        a, b, c, d, e, f = _matmul(tm, cm)
        scale = math.sqrt(abs(a * d - b * c)) or 1.0
        for k, piece in enumerate(text.split("\n")):
            if piece.strip():
                chunks.append(_Chunk(piece, e, f, max(size * scale, 1.0), broken=k > 0))

    page.extract_text(visitor_text=visit)
    return [line.text for line in _assemble(chunks)]


def _matmul(m: Sequence[float], n: Sequence[float]) -> tuple[float, float, float, float, float, float]:
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n  # the second matrix
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _width(text: str, size: float) -> float:
    """Estimated advance of `text` in a typical font: the chunk's own glyph widths are keyed by glyph id, not char."""
    return size * sum(_em(ch) for ch in text)


_NARROW = frozenset(" .,:;!|'`ilj()[]{}")


def _em(ch: str) -> float:
    if ch in _NARROW:
        return 0.3
    if ch.isdigit():
        return 0.55
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0
    return 0.65 if ch.isupper() else 0.5


def _assemble(chunks: Sequence[_Chunk]) -> list[_Line]:
    """Lines from chunks: same baseline -> same line (a wide gap -> a TAB between cells), else a new line.

    A table cell that wraps is drawn line by line before the next cell of its row, which then jumps back up.
    When that happens, the wrapped lines are joined into one cell so the row reads label, TAB, numbers.
    """
    lines: list[_Line] = []
    for chunk in chunks:
        last = lines[-1] if lines else None
        if last is None or chunk.broken:
            lines.append(_new_line(chunk))
        elif abs(chunk.y - last.y) <= 0.4 * chunk.size:
            _extend_line(last, chunk)
        elif chunk.y > last.y and _merge_wrapped_cell(lines, chunk):
            pass
        elif _taller_neighbour(last, chunk):
            _extend_line(last, chunk)
        else:
            lines.append(_new_line(chunk))
    return lines


def _new_line(chunk: _Chunk) -> _Line:
    text = chunk.text.strip(" ")
    return _Line([text], chunk.x, chunk.x, chunk.y, chunk.x + _width(text, chunk.size), chunk.size)


def _taller_neighbour(last: _Line, chunk: _Chunk) -> bool:
    """A cell whose text starts a little above the last line and right of its end: the next cell of the same row,
    taller (it wraps) than the single line before it, which the table centres vertically."""
    return 0 < chunk.y - last.y <= 2.5 * chunk.size and chunk.x > last.end_x + chunk.size


def _extend_line(line: _Line, chunk: _Chunk) -> None:
    # pypdf starts a chunk with a space when it saw a gap before it; a chunk without one continues the text.
    text = chunk.text.lstrip(" ")
    gap = chunk.x - line.end_x
    if gap > 2 * chunk.size or (gap > 0.8 * chunk.size and chunk.text.startswith(" ")):
        line.cells.append(text)
        line.cell_x = chunk.x
        line.y = chunk.y
    else:
        line.cells[-1] += chunk.text
    line.end_x = max(line.end_x, chunk.x + _width(text, chunk.size))


def _merge_wrapped_cell(lines: list[_Line], chunk: _Chunk) -> bool:
    """If `chunk` is the next cell of a row whose previous cell wrapped over the last lines, join them; say so."""
    last = lines[-1]
    x_cell, tol = last.x0, 0.4 * chunk.size
    if len(last.cells) > 1 or chunk.x <= x_cell + chunk.size:
        return False
    run = [len(lines) - 1]  # indices of the wrapped cell's lines, bottom first
    for k in range(len(lines) - 2, max(len(lines) - 12, -1), -1):
        line, below = lines[k], lines[run[-1]]
        if not 0 < line.y - below.y <= 2.5 * line.size or abs(line.cell_x - x_cell) > tol:
            break
        run.append(k)
        if len(line.cells) > 1:  # a line with earlier cells of the same row: the row's top
            break
    if len(run) < 2:
        return False
    bottom = lines[run[0]].y
    top = _row_top(run, lines, chunk.y, bottom, tol)
    if top is None:
        return False
    keep = lines[top]
    merged = _join_wrapped([keep.cells[-1], *(lines[k].text for k in reversed(run) if k != top)])
    keep.cells[-1] = merged
    del lines[top + 1 :]
    keep.cells.append(chunk.text.strip(" "))
    keep.cell_x, keep.y, keep.end_x = chunk.x, chunk.y, chunk.x + _width(chunk.text, chunk.size)
    return True


def _row_top(run: list[int], lines: list[_Line], y: float, bottom: float, tol: float) -> int | None:
    """Which line of the run starts the row: the next cell is drawn centred on the row, or level with its top."""
    if len(lines[run[-1]].cells) > 1 and bottom - tol <= y <= lines[run[-1]].y + tol:
        return run[-1]
    for target in (2 * y - bottom, y):  # centred: top = 2y - bottom; top-aligned: top = y
        for k in run:
            if abs(lines[k].y - target) <= tol:
                return k
    return None


# Page furniture: lines at a page's top or bottom that are page numbers, or repeat at the same place on most pages.
_PAGE_NUMBER = re.compile(
    r"\s*(?:[-—–－]{1,2}\s*\d{1,4}\s*[-—–－]{1,2}|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页)\s*"
)
_EDGE = 2  # lines at each end of a page that may be furniture


def _strip_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Peel page numbers and running headers/footers off each page's top and bottom."""
    pages = [[line for line in page if line.strip()] for page in pages]
    repeated = _running_lines(pages)
    cleaned: list[list[str]] = []
    for number, page in enumerate(pages, start=1):
        top, bottom = 0, len(page)
        while top < min(_EDGE, bottom) and _is_furniture(page[top], number, repeated):
            top += 1
        while bottom > max(top, len(page) - _EDGE) and _is_furniture(page[bottom - 1], number, repeated):
            bottom -= 1
        cleaned.append(page[top:bottom])
    return cleaned


def _running_lines(pages: list[list[str]]) -> frozenset[str]:
    """Edge lines (digits masked) found on at least half the pages, and on two or more: headers and footers."""
    if len(pages) < 2:
        return frozenset()
    counts: Counter[str] = Counter()
    for page in pages:
        # Bare numbers are left to the page-index check of _is_furniture: "#" would match any lone table cell.
        counts.update({_mask(line) for line in (*page[:_EDGE], *page[-_EDGE:]) if "\t" not in line} - {"#"})
    needed = max(2, math.ceil(len(pages) / 2))
    return frozenset(key for key, n in counts.items() if n >= needed)


def _mask(line: str) -> str:
    return re.sub(r"\d+", "#", "".join(line.split()))


def _is_furniture(line: str, page_number: int, repeated: frozenset[str]) -> bool:
    if "\t" in line:
        return False
    if _PAGE_NUMBER.fullmatch(line) or _mask(line) in repeated:
        return True
    # A bare number at the edge is a page number when it is near the page's index (not a stray table cell).
    stripped = line.strip()
    return stripped.isascii() and stripped.isdigit() and len(stripped) <= 4 and abs(int(stripped) - page_number) <= 20
