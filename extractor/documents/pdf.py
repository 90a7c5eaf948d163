"""PDF text layers (PDFium), laid out line by line with table cells TAB-separated; page furniture dropped.

PDFium's text page lists a page's characters in content-stream order, each with the text object (one text-showing
operation) that drew it; PDFium adds generated characters (spaces, line breaks) where it sees gaps. The characters
of text objects that follow each other on one baseline without a gap make a chunk, with its start, baseline, end
and font size (from PDFium, not estimated), and the chunks are laid out as lines and cells below; a table row's
numbers are put in their columns (blank cells as empty cells) where the page's header cells show them. All PDFium
calls hold :data:`~extractor.documents.common.PDFIUM_LOCK` (PDFium is not thread-safe).
"""

from __future__ import annotations

import ctypes
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

from extractor.errors import InputError

from .common import PDFIUM_LOCK, NeedsOcr
from .html import _join_wrapped
from .text import _one_line


class _Chunk(NamedTuple):
    text: str
    x: float
    y: float
    size: float
    end: float  # where the chunk's last character ends


@dataclass
class _Line:
    """One output line of a PDF page, built from text chunks in content-stream order."""

    cells: list[str]
    x0: float  # where the line starts
    cell_x: float  # where its last cell starts
    y: float
    end_x: float  # where its last chunk ends
    size: float
    parts: list[tuple[int, _Chunk]]  # its chunks, each with the index of the cell it went into

    @property
    def text(self) -> str:
        return "\t".join(self.cells)


def _read_pdf(path: Path, raw: bytes) -> tuple[str, str | None]:
    pages, _ = read_pdf_pages(path, raw)
    return join_pages(pages), None


def read_pdf_pages(path: Path, raw: bytes) -> tuple[list[list[str]], list[int]]:
    """Each page's text-layer lines, and the indexes of the pages that have no text but draw an image (scanned pages
    inside a text PDF, for OCR). Raises NeedsOcr when no page has text."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(raw)
        except pdfium.PdfiumError as e:
            if e.err_code == pdfium_c.FPDF_ERR_PASSWORD:  # an empty user password opens without asking
                raise InputError(path, "encrypted PDF") from e
            raise InputError(path, f"damaged PDF: {_one_line(str(e)) or type(e).__name__}") from e
        try:
            read, columns = [], None
            for k in range(len(pdf)):
                lines, image, columns = _page_lines(pdf, k, columns)
                read.append((lines, image))
        except pdfium.PdfiumError as e:
            raise InputError(path, f"damaged PDF: {_one_line(str(e)) or type(e).__name__}") from e
        finally:
            pdf.close()
    if not read:
        raise InputError(path, "damaged PDF: no pages")
    pages = [lines for lines, _ in read]
    if not any(line.strip() for page in pages for line in page):
        raise NeedsOcr  # read_document decides: OCR, or the refusal "PDF has no text layer"
    return pages, [k for k, (lines, image) in enumerate(read) if image]


def join_pages(pages: list[list[str]], scanned: dict[int, str] | None = None) -> str:
    """The document's text: text-layer pages without their furniture, and the pages in ``scanned`` as given."""
    return "\n".join(page_texts(pages, scanned))


def page_texts(pages: list[list[str]], scanned: dict[int, str] | None = None) -> list[str]:
    """Each page's text, as :func:`join_pages` joins them (with one newline between pages)."""
    stripped = _strip_page_furniture(pages)
    return [(scanned or {}).get(k, "\n".join(page)) for k, page in enumerate(stripped)]


@cache
def _text_object_of() -> Any:
    """FPDFText_GetTextObject returning the object's address as an int, None for a character PDFium generated
    between objects (cheaper than the binding's pointer objects)."""
    import pypdfium2.raw as pdfium_c

    address = ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value
    assert address is not None
    return ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(address)


def _page_lines(pdf: Any, index: int, columns: _Carry | None) -> tuple[list[str], bool, _Carry | None]:
    """A page's lines, whether it is a page without text that draws an image (a scan), and the columns of a table
    that may go on at the next page's top (``columns``: this page's from the page before)."""
    import pypdfium2.raw as pdfium_c

    page = pdf[index]
    textpage = page.get_textpage()
    try:
        assembled = _assemble(_chunks(textpage))
        columns = _place_columns(assembled, columns, lambda: _rulings(page))
        lines = [line.text for line in assembled]
        if any(line.strip() for line in lines):
            return lines, False, columns
        return lines, any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2)), None
    finally:
        textpage.close()
        page.close()


def _rulings(page: Any) -> list[tuple[float, float, float]]:
    """The vertical edges (x, bottom, top) of the page's drawn paths: table borders, cell frames and shadings. Only
    the page's own paths (inside a form XObject, bounds are in the form's space); a path without bounds is passed."""
    import pypdfium2.raw as pdfium_c

    edges = []
    raw = page.raw
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    for k in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = pdfium_c.FPDFPage_GetObject(raw, k)
        if not obj or pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        if pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top) and top.value - bottom.value >= 1:
            edges.append((left.value, bottom.value, top.value))
            edges.append((right.value, bottom.value, top.value))
    return edges


def _chunks(textpage: Any) -> list[_Chunk]:
    """The page's text as chunks in content-stream order: each text object's run of characters, joined to the
    chunk before it when it continues that chunk's baseline without a gap (the joined text lays out as it would
    apart, and the layout has fewer chunks to place).

    Cost matters (a report has thousands of text objects, and each call into PDFium costs about a microsecond):
    the text comes in one call; PDFium's generated characters between text objects cut it into segments; within
    a segment, the objects' rectangles (PDFium's, one per object) show where a group of objects following each
    other on one line ends, and a bisection on rectangle counts finds the character where the next group starts.
    Only blank characters are asked about one by one (whether PDFium generated them between objects).
    """
    import pypdfium2.raw as pdfium_c

    page = textpage.raw
    n = pdfium_c.FPDFText_CountChars(page)
    if n <= 0:
        return []
    buffer = ctypes.create_string_buffer(2 * (n + 1))
    got = pdfium_c.FPDFText_GetText(page, 0, n, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    text = buffer.raw[: 2 * max(got - 1, 0)].decode("utf-16-le", errors="replace")
    if len(text) != n:  # characters outside the BMP take two UTF-16 units: read one character at a time
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(page, i)) for i in range(n))
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)  # same length: the indices still name PDFium's characters
    # Cut where PDFium generated a character between text objects (only spaces and line breaks; it has no object).
    # A space it generated inside one object (a wide kerning gap) has that object and stays.
    object_of, handle = _text_object_of(), ctypes.cast(page, ctypes.c_void_p).value
    cuts = [m.start() for m in _BLANK.finditer(text) if object_of(handle, m.start()) is None]
    reader = _Runs(page)
    for start, stop in pairwise([-1, *cuts, n]):
        start += 1
        if start < stop and not text[start:stop].isspace():
            reader.segment(text, start, stop)
    return reader.close()


_BLANK = re.compile(r"[ \r\n]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _Runs:
    """Chunks of one text page, built segment by segment; the ctypes out-parameters are made once."""

    def __init__(self, page: Any) -> None:
        import pypdfium2.raw as pdfium_c

        self.c, self.page = pdfium_c, page
        self.handle = ctypes.cast(page, ctypes.c_void_p).value
        self.x, self.y = ctypes.c_double(), ctypes.c_double()
        self.rect = tuple(ctypes.c_double() for _ in range(4))  # left, top, right, bottom
        self.box, self.matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
        self.chunks: list[_Chunk] = []
        # the open chunk (the last one, while runs may still join it): its start, baseline, size (0: none open),
        # text run by run, and where its last run ends
        self.left, self.base, self.size, self.pieces, self.end = 0.0, 0.0, 0.0, [""], 0.0

    def segment(self, text: str, start: int, stop: int) -> None:
        """Runs of a segment: its text objects grouped while each follows the one before on its line; a new group
        where one does not (a wrapped cell's next line, the next cell)."""
        c, page = self.c, self.page
        count = c.FPDFText_CountRects(page, start, stop - start)
        starts = []  # the objects (by index among the segment's rectangles) that start a group
        if count > 1:
            boxes = []
            left, top, right, bottom = self.rect
            for k in range(count):
                c.FPDFText_GetRect(page, k, left, top, right, bottom)
                boxes.append((left.value, top.value, right.value, bottom.value))
            em = max(top - bottom for _, top, _, bottom in boxes)
            starts = [
                k
                for k, ((_, _, r0, b0), (l1, _, _, b1)) in enumerate(pairwise(boxes), start=1)
                if not (abs(b1 - b0) <= 0.3 * em and -0.3 * em <= l1 - r0 < 0.5 * em)
            ]
        bounds = [start]
        for k in starts:
            # where object k starts: the shortest prefix of the segment holding k + 1 rectangles (bisected; PDFium
            # counts the rectangles of any range of characters)
            lo, hi = bounds[-1] - start + 1, stop - start
            while lo < hi:
                mid = (lo + hi) // 2
                if c.FPDFText_CountRects(page, start, mid) > k:
                    hi = mid
                else:
                    lo = mid + 1
            bounds.append(start + lo - 1)
        bounds.append(stop)
        for a, b in pairwise(bounds):
            if a < b and not text[a:b].isspace():
                self.run(text, a, b)

    def run(self, text: str, start: int, stop: int) -> None:
        """Add one run of characters: joined to the open chunk when it continues that chunk's baseline without a
        gap, else the start of a new chunk."""
        c, page, box = self.c, self.page, self.box
        c.FPDFText_GetCharOrigin(page, start, self.x, self.y)
        left, base = self.x.value, self.y.value
        end = box.right if c.FPDFText_GetLooseCharBox(page, stop - 1, box) and box.right > left else left
        size = self.size
        if size:  # a chunk is open
            if abs(base - self.base) <= 0.05 * size and -0.1 * size <= left - self.end < 0.25 * size:
                self.pieces.append(text[start:stop])
                if end > self.end:
                    self.end = end
                return
            self.close()
        scale, matrix = 1.0, self.matrix
        if c.FPDFText_GetMatrix(page, start, matrix):
            scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c)) or 1.0
        size = max(c.FPDFText_GetFontSize(page, start) * scale, 1.0)
        piece = text[start:stop]
        if start > 0 and text[start - 1] == " " and piece[0] != " " and self.spaced(left, base, size):
            piece = " " + piece
        self.left, self.base, self.size, self.pieces, self.end = left, base, size, [piece], end

    def spaced(self, left: float, base: float, size: float) -> bool:
        """Whether the space PDFium put before a chunk is one: not the gap of a fifth of an em that word processors
        leave between Chinese and Latin letters or digits (LibreOffice's autospacing)."""
        if not self.chunks:
            return False
        last = self.chunks[-1]
        return abs(base - last.y) > 0.4 * size or left - last.end >= 0.25 * size

    def close(self) -> list[_Chunk]:
        """The chunks so far, the last one closed (the runs joined to it added)."""
        if self.size:
            self.chunks.append(_Chunk("".join(self.pieces), self.left, self.base, self.size, self.end))
            self.size = 0.0
        return self.chunks


def _assemble(chunks: Sequence[_Chunk]) -> list[_Line]:
    """Lines from chunks: same baseline -> same line (a wide gap -> a TAB between cells), else a new line.

    A table cell that wraps is drawn line by line before the next cell of its row, which then jumps back up.
    When that happens, the wrapped lines are joined into one cell so the row reads label, TAB, numbers.
    """
    lines: list[_Line] = []
    for chunk in chunks:
        last = lines[-1] if lines else None
        if last is None:
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
    return _Line([text], chunk.x, chunk.x, chunk.y, chunk.end, chunk.size, [(0, chunk)])


def _taller_neighbour(last: _Line, chunk: _Chunk) -> bool:
    """A cell whose text starts a little above the last line and right of its end: the next cell of the same row,
    taller (it wraps) than the single line before it, which the table centres vertically."""
    return 0 < chunk.y - last.y <= 2.5 * chunk.size and chunk.x > last.end_x + chunk.size


def _extend_line(line: _Line, chunk: _Chunk) -> None:
    # A chunk starts with a space when PDFium saw a gap before it; a chunk without one continues the text.
    text = chunk.text.lstrip(" ")
    gap = chunk.x - line.end_x
    if gap > 2 * chunk.size or (gap > 0.8 * chunk.size and chunk.text.startswith(" ")):
        line.cells.append(text)
        line.cell_x = chunk.x
        line.y = chunk.y
    else:
        line.cells[-1] += chunk.text
    line.parts.append((len(line.cells) - 1, chunk))
    line.end_x = max(line.end_x, chunk.end)


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
    cell = len(keep.cells) - 1
    keep.parts.extend((cell, part) for line in lines[top + 1 :] for _, part in line.parts)
    del lines[top + 1 :]
    keep.cells.append(chunk.text.strip(" "))
    keep.parts.append((cell + 1, chunk))
    keep.cell_x, keep.y, keep.end_x = chunk.x, chunk.y, chunk.end
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


# Table columns. A PDF draws nothing for a blank table cell, so a row with blank cells comes out with fewer cells
# than its table has columns ("821\t35\t2\t1\t859" for 7 columns) and the table reader cannot tell which column each
# number is in. The columns are found on the page: the header cells above a block of numeric rows (the lowest cell
# of each column: nothing of the header is drawn under it), each confirmed by the numbers under it (the x-ranges of
# a column's numbers, merged over the block's rows, overlap its header cell's text and no other). A header cell with
# no number under it (a column blank in every row) is a column only between drawn borders; the first must have
# numbers. A row is then written with one cell per column, empty where nothing is printed, as the HTML reader
# writes one. A table that goes on at the next page's top without its header keeps its columns, and a header that
# ends a page heads the rows at the next page's top (表四's row of numbers has no label). Where anything is unclear
# the lines are left as they are: a missing value is better than a value in the wrong column.

_VALUE = re.compile(r"[+\-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:万元|亿元|万|亿|元|%|％)?|—+|－+|-+|–+|/|／")
_VALUE_ENDS = frozenset("0123456789元万亿%％—－-–/／")  # how a value ends
_HEADER_LINES = 16  # lines above a block's first row searched for its header


class _Row(NamedTuple):
    line: int  # index among the page's lines
    head: int  # cells before the first value cell (the row's label)
    label_end: float  # where its label ends
    values: list[_Chunk]  # its value chunks, left to right


def _numeric_row(lines: Sequence[_Line], index: int) -> _Row | None:
    """A line that is a table row: label cells, then cells of numbers (or blank marks) only, each number a chunk."""
    parts = lines[index].parts
    if parts[-1][1].text.rstrip()[-1:] not in _VALUE_ENDS:
        return None  # (most lines: prose)
    k = len(parts)
    while k > 0 and _VALUE.fullmatch(parts[k - 1][1].text.strip()):
        k -= 1
    if k == len(parts) or (k == 0 and len(parts) < 2) or (k and parts[k][0] == parts[k - 1][0]):
        return None  # no number, a lone number (a page number), or a number glued to the label
    values = [chunk for _, chunk in parts[k:]]
    if any(b.x < a.end for a, b in pairwise(values)):
        return None
    label_end = max((chunk.end for _, chunk in parts[:k]), default=-math.inf)  # a row without a label: 表四's
    if values[0].x <= label_end:
        return None
    return _Row(index, parts[k][0], label_end, values)


_Header = list[tuple[float, float, float]]  # a table's header cells, one per number column: start, end, baseline
_Edges = list[tuple[float, float, float]]  # vertical edges of drawn paths: x, bottom, top


class _Carry(NamedTuple):
    """What a page leaves for a table going on at the next page's top: the columns of the table it ends in (checked
    there), else its last lines (a header whose rows are on the next page) and its drawn edges."""

    header: _Header | None
    tail: list[_Line]
    rulings: Callable[[], _Edges]


def _place_columns(
    lines: list[_Line], carried: _Carry | None = None, rulings: Callable[[], _Edges] | None = None
) -> _Carry | None:
    """Lay the rows of each table block of a page out one cell per column (see above), changing the lines in place.
    ``carried``: the columns of a table that the page before ended in, used for a block at this page's top that has
    no header of its own (the table goes on). ``rulings``: the page's vertical edges (see :func:`_rulings`), asked
    for only when a header cell has no number under it. Returned: the columns of the table this page ends in."""
    edges: list[_Edges] = []

    def page_edges() -> _Edges:
        if not edges:
            edges.append(rulings() if rulings is not None else [])
        return edges[0]

    blocks: list[tuple[list[_Row], float]] = []  # each block's rows, and where its leftmost number starts
    block: list[_Row] = []
    left = 0.0
    for index in range(len(lines)):
        row = _numeric_row(lines, index)
        if row is not None:
            if not block:
                left = row.values[0].x
            block.append(row)
            left = min(left, row.values[0].x)
        elif block and any(chunk.end > left for _, chunk in lines[index].parts):
            blocks.append((block, left))  # a line reaching into the numbers' columns ends the block
            block = []
        # else a line of label text only (a group's label, a label wrapped onto a line of its own): the block goes on
    if block:
        blocks.append((block, left))
    header = None
    for n, (rows, left) in enumerate(blocks):
        goes_on = carried if n == 0 and _labels_only(lines[: rows[0].line], left) else None
        floor = blocks[n - 1][0][-1].line + 1 if n else 0  # the header is below the rows of a table above
        header = _place_block(lines, rows, goes_on, page_edges, floor)
    after = blocks[-1][0][-1].line + 1 if blocks else 0
    if blocks and header is not None and _labels_only(lines[after:], blocks[-1][1], tail=True):
        return _Carry(header, [], list)  # (checked: no edges needed)
    tail = lines[max(after, len(lines) - _HEADER_LINES) :]
    if not any(len(line.cells) > 1 for line in tail):
        return None  # no header row (cells side by side) at the page's foot
    found = page_edges()  # read now: the page is closed when the next one is read
    return _Carry(None, tail, lambda: found)


def _labels_only(lines: Sequence[_Line], left: float, tail: bool = False) -> bool:
    """Whether the lines hold label text only (nothing reaching the numbers' columns); at a page's end (``tail``), a
    page number may follow."""
    for k, line in enumerate(lines):
        if all(chunk.end <= left for _, chunk in line.parts):
            continue
        if tail and k >= len(lines) - _EDGE and _PAGE_NUMBER.fullmatch(line.text):
            continue
        return False
    return True


def _place_block(
    lines: list[_Line], rows: list[_Row], carried: _Carry | None, rulings: Callable[[], _Edges], floor: int
) -> _Header | None:
    """Rows of one block written one cell per column, when its header and numbers show the columns clearly (the
    header cells in the lines from ``floor`` to its first row, or those ``carried`` from the page before when it is
    the top of a table that goes on); returned: the header cells, when the rows were placed."""
    em = rows[0].values[0].size
    label_end = max(row.label_end for row in rows)
    if any(row.values[0].x <= label_end for row in rows):
        return None  # a number left of some row's label: no clear label column
    left = min(row.values[0].x for row in rows)
    checked = False  # header cells carried from the page before were checked there
    if carried is not None and carried.header is not None:
        leaves, checked = carried.header, True
    elif carried is not None:  # the header at the foot of the page before
        leaves = _header_leaves(carried.tail[::-1], -math.inf, label_end, left, em)
        rulings = carried.rulings
    else:
        first = rows[0]
        above = lines[max(first.line - _HEADER_LINES, floor) : first.line][::-1]
        leaves = _header_leaves(above, max(v.y for v in first.values) + 0.5 * em, label_end, left, em)
    if not leaves or leaves[0][0] < label_end:
        return None
    # the numbers' columns: x-ranges of the value chunks of all rows, merged where they overlap
    spans: list[list[float]] = []
    for x, end in sorted((v.x, v.end) for row in rows for v in row.values):
        if spans and x <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([x, end])
    column_of_span: list[int] = []
    for x, end in spans:
        under = [k for k, (lx, lend, _) in enumerate(leaves) if x < lend and lx < end]
        if len(under) != 1:
            return None  # numbers under no header cell, or under two
        column_of_span.append(under[0])
    matched = set(column_of_span)
    if len(matched) < len(column_of_span):
        return None  # numbers apart from each other under one header cell: it may head two columns
    if not checked:  # (header cells carried from the page before were checked so there)
        if 0 not in matched:
            return None  # the first header cell has no number under it: it may be the labels' header
        for k in range(1, len(leaves)):
            # a header cell without numbers (a column left blank in every row): a column only when the page draws
            # a border between it and the header cells on either side (a cell's text cut in two is not two columns);
            # the last one's right border near it
            x, end, y = leaves[k]
            after = leaves[k + 1] if k + 1 < len(leaves) else (end + 4 * em + end - x, math.inf, y)
            if k not in matched and not (
                _ruled(rulings(), leaves[k - 1], leaves[k]) and _ruled(rulings(), leaves[k], after)
            ):
                return None
    starts = [x for x, _ in spans]
    placed: list[tuple[_Row, list[int]]] = []
    for row in rows:
        # each chunk lies in one merged span: the last that starts at or before it
        columns = [column_of_span[bisect_right(starts, v.x) - 1] for v in row.values]
        if any(b <= a for a, b in pairwise(columns)):
            return None  # two numbers of one row under one header cell
        placed.append((row, columns))
    width = len(leaves)
    for row, columns in placed:
        if len(columns) == width and len(lines[row.line].cells) == row.head + width:
            continue  # one cell a column already
        slots = [""] * width
        for column, value in zip(columns, row.values, strict=True):
            slots[column] = value.text.strip()
        line = lines[row.line]
        line.cells[row.head :] = slots
    return leaves


def _ruled(edges: _Edges, a: tuple[float, float, float], b: tuple[float, float, float]) -> bool:
    """Whether a drawn vertical edge runs between header cells a and b (left to right), level with both."""
    low, high = min(a[2], b[2]), max(a[2], b[2])
    return any(a[1] < x < b[0] and bottom <= low and high <= top for x, bottom, top in edges)


def _header_leaves(above: Sequence[_Line], top: float, label_end: float, left: float, em: float) -> _Header:
    """The header cells of a block's number columns, left to right as (start, end, baseline): the pieces of header
    text right of the labels that have no header text under them. ``above``: the lines above the block's first row
    (none a table row), nearest first; ``top``: the baseline header text is above. Empty when the header is
    unclear."""
    chunks: list[_Chunk] = []
    for line in above:
        if any(chunk.x < label_end and chunk.end > left for _, chunk in line.parts):
            break  # text from the labels' column into the numbers': a paragraph or a title above the table
        chunks.extend(chunk for _, chunk in line.parts if chunk.x >= label_end and chunk.y > top)
    if not chunks:
        return []
    chunks.sort(key=lambda c: c.y)  # lowest first
    leaves = []
    for c in chunks:
        below = c.y - 0.5 * em
        for o in chunks:
            if o.y >= below:
                leaves.append((c.x, c.end, c.y))  # nothing under it
                break
            if o.x < c.end and c.x < o.end:
                break
    leaves.sort()
    if any(b[0] <= a[1] for a, b in pairwise(leaves)):
        return []  # header cells that overlap: not one per column
    return leaves


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
