"""OCR for PDF pages without a text layer (scans): pages rendered by PDFium, read by PP-OCR (rapidocr-onnxruntime,
whose wheel carries its models: nothing is downloaded at run time), and the text boxes laid out again as lines,
table rows TAB-separated.

A page scanned on its side or upside down (most words taller than wide, or read with a low median score) is read
again turned, and the turn that reads best is kept. Before laying out, a page's boxes are turned back by its skew
(the median slope of its wide boxes: on a sheet fed two degrees crooked a row's last number sits a row higher than
its label); a box the detector framed at a tilt to the page's lines (a lone narrow digit, framed along its stroke:
"1" read as "7") is read again upright; and a box of digits spread over several cells (表四's single digits framed
as one "101465002710001") is detected again at twice the scale. Two readings that differ leave the box doubtful.

Laying out: boxes are grouped into visual lines by their vertical centres. A line holding two or more boxes that
are bare numbers is a table row; the label fragments a cell wrapped onto the lines above and below it (short
boxes left of the row's first number, "1.属于" / "国家" / "秘密") are joined to their row: a fragment opening a
label to the row at or below it, a fragment right under another in its column to that one's row (a narrow cell
wrapped over many lines), any other to the row above, never to a row below (the end of a cell begun on the page
before stays text), so a label's words never end up beside another row's numbers. A row's label boxes are read
column by column, a merged group cell ("(三)不予公开") apart from its item's label, each a TAB-separated cell as a
text layer gives them. Every other line is text.

Each box's recognition score is kept: spans of the text read with a score under :data:`LOW_CONFIDENCE` are
returned with it, and the pipeline flags every value read from such a span. The engine drops no box for its score
(RapidOCR's default drops those under 0.5, so a table row lost a cell and was left unread); and it runs without
PP-OCR's text-direction classifier, which turned lone digits upside down ("6" read as "9" with a score of 0.99,
"333" and "34" read as nothing): a page's orientation is decided once, for the whole page.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import pairwise
from typing import Any

from .common import PDFIUM_LOCK

LOW_CONFIDENCE = 0.8  # PP-OCR's recognition score below which a box's text is doubtful
_TILT = 5.0  # degrees: a box framed at more than this tilt is read again upright
_DISAGREE = 0.5  # the score of a box whose two readings differ
_UPRIGHT = 0.75  # the median score of a page's words under which it may be upside down
_SPREAD = 1.5  # heights a digit: a box of digits wider than this is several cells' digits framed as one
_DPI = 200
_NUMBER = re.compile(r"[+\-]?\d[\d,]*(?:\.\d+)?%?")
_OPENS_LABEL = re.compile(r"[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．]")
# A box of digits OCR read partly as letters ("o" for 0, "l" for 1): a table cell, once the letters are digits
_DIGITISH = re.compile(r"[\dOoIl|,.]+")
_AS_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})


class OcrUnavailable(Exception):
    """The OCR engine is not installed (the ``ocr`` extra)."""


@dataclass
class _Box:
    x0: float
    x1: float
    y0: float
    y1: float
    text: str
    score: float

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def number(self) -> bool:
        return _NUMBER.fullmatch(self.text) is not None


@dataclass
class _Line:
    boxes: list[_Box]
    label: list[_Box] = field(default_factory=list)  # wrapped label fragments joined to a table row

    @property
    def yc(self) -> float:
        return sum(b.yc for b in self.boxes) / len(self.boxes)

    @property
    def table_row(self) -> bool:
        return sum(b.number for b in self.boxes) >= 2


_threads: int | None = None  # the OCR model's threads in this process; None: onnxruntime's own (every core)


def share_cores(processes: int) -> None:
    """This process is one of ``processes`` on this machine that may read scans at once: its OCR model runs on its
    share of the cores. (The model's threads use every core by default: two processes on two cores, each with two
    threads, read two scans in 57 s where one process read them in 38 s.) Called before the first OCR."""
    global _threads
    _threads = max(1, (os.cpu_count() or 1) // max(1, processes))


@cache
def _engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as e:
        raise OcrUnavailable("pip install 'extractor[ocr]'") from e
    if _threads is None:
        return RapidOCR(use_cls=False, text_score=0.0)
    return RapidOCR(use_cls=False, text_score=0.0, intra_op_num_threads=_threads, inter_op_num_threads=1)


def ocr_pdf(raw: bytes) -> tuple[str, list[tuple[int, int, float]]]:
    """The text of every page of a PDF by OCR, and the (start, end, score) spans of doubtful boxes in it."""
    pages = ocr_pages(raw)
    doubtful: list[tuple[int, int, float]] = []
    offset = 0  # where the page's text starts in the joined text
    for text, spans in pages:
        doubtful.extend((offset + a, offset + b, s) for a, b, s in spans)
        offset += len(text) + 1
    return "\n".join(text for text, _ in pages), doubtful


def ocr_pages(raw: bytes, indexes: Sequence[int] | None = None) -> list[tuple[str, list[tuple[int, int, float]]]]:
    """The text of the given pages of a PDF (every page by default) by OCR, each with the (start, end, score) spans
    of its doubtful boxes, offsets in the page's text."""
    import pypdfium2 as pdfium

    engine = _engine()
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(raw)
        count = len(pdf)
    out: list[tuple[str, list[tuple[int, int, float]]]] = []
    try:
        for index in range(count) if indexes is None else indexes:
            image, found = _read_upright(engine, partial(_render, pdf, index))
            out.append(layout(_page_boxes(engine, image, found)))
    finally:
        with PDFIUM_LOCK:
            pdf.close()
    return out


def _render(pdf: Any, index: int, turn: int) -> Any:
    """Page ``index`` as an image at :data:`_DPI`, turned clockwise by ``turn`` degrees. Rendering holds
    :data:`PDFIUM_LOCK`; reading the image with OCR does not."""
    with PDFIUM_LOCK:
        page = pdf[index]
        try:
            bitmap = page.render(scale=_DPI / 72, rotation=turn)
            image = bitmap.to_numpy().copy()  # the bitmap's memory is PDFium's: freed here, in the lock
            bitmap.close()
        finally:
            page.close()
    return image


def _read_upright(engine: Any, render: Any) -> tuple[Any, list[Any]]:
    """A page's image and OCR results, read again turned when it was scanned on its side or upside down: most of
    its text boxes taller than wide (a quarter turn: turned by 90 degrees, or by 270 if that reads worse), or its
    text read with a median score under :data:`_UPRIGHT` (upside down: turned by 180). A turn is kept only when it
    reads better. A page of under five words is left as it is."""
    image = render(0)
    found = engine(image)[0] or []
    best = (_reading(found), image, found)
    if best[0] is None or best[0] >= (True, _UPRIGHT):
        return image, found
    for turn in (90, 270) if not best[0][0] else (180,):
        image = render(turn)
        found = engine(image)[0] or []
        reading = _reading(found)
        if reading is not None and reading > best[0]:
            best = (reading, image, found)
            if reading >= (True, _UPRIGHT):
                break
    return best[1], best[2]


def _reading(found: list[Any]) -> tuple[bool, float] | None:
    """How well a page reads: whether its words (boxes of two characters or more) lie along its lines, most of
    them wider than high, and their median score; None for a page of under five words."""
    words = [(quad, score) for quad, text, score in found if len(str(text).strip()) >= 2]
    if len(words) < 5:
        return None
    wide = 0
    for quad, _ in words:
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        wide += max(xs) - min(xs) >= max(ys) - min(ys)
    scores = sorted(score for _, score in words)
    return (2 * wide > len(words), scores[len(scores) // 2])


def _page_boxes(engine: Any, image: Any, found: list[Any]) -> list[_Box]:
    """A page's boxes as the layout reads them: tilted frames read again, and every box turned by the page's skew,
    so that a row's label and its last number (a skew of two degrees lifts one over a row's height above the other
    across an A4 table) share a line again."""
    skew = _skew(found)
    found = _split_spread(engine, image, _reread_tilted(engine, image, found, skew))
    return [_box(item, skew) for item in found]


def _split_spread(engine: Any, image: Any, found: list[Any]) -> list[Any]:
    """A box of digits spread wider than one number is printed (over :data:`_SPREAD` heights a digit: the single
    digits of 表四's fifteen narrow cells, framed as one "101465002710001") detected again at twice the scale, where
    the detector frames each cell's digits apart; kept as they are when it does not. Digits that differ from the
    first reading leave every new box doubtful."""
    import numpy  # with the engine

    out: list[Any] = []
    for quad, text, score in found:
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        height = max(ys) - min(ys)
        digits = str(text).strip()
        if not (digits.isdigit() and len(digits) >= 3 and max(xs) - min(xs) > _SPREAD * height * len(digits)):
            out.append((quad, text, score))
            continue
        top, left = max(0, int(min(ys) - height / 2)), max(0, int(min(xs) - height / 2))
        strip = image[top : int(max(ys) + height / 2) + 1, left : int(max(xs) + height / 2) + 1]
        # the detector scales an image to 736 pixels on its short side: a strip padded to 368 rows is read at twice
        # the page's scale (a bare strip would be blown up twenty times, slowly)
        pad = max(0, 368 - strip.shape[0]) // 2
        tall = numpy.pad(strip, ((pad, pad), *[(0, 0)] * (strip.ndim - 1)), constant_values=255)
        found_again, _ = engine(tall, use_cls=False)
        parts = []  # the boxes on the first box's line (the strip's margins take in the lines above and below)
        for q, t, sc in found_again or []:
            moved = [[x + left, y + top - pad] for x, y in q]
            if min(ys) < sum(y for _, y in moved) / len(moved) < max(ys):
                parts.append((moved, str(t).strip(), sc))
        parts.sort(key=lambda item: min(x for x, _ in item[0]))
        if len(parts) < 2 or not all(_DIGITISH.fullmatch(t) for _, t, _ in parts):
            out.append((quad, text, score))
            continue
        same = "".join(t.translate(_AS_DIGITS) for _, t, _ in parts) == digits
        out.extend((q, t, sc if same else min(sc, _DISAGREE)) for q, t, sc in parts)
    return out


def _angle(quad: Any) -> float:
    """The slope of a box's top edge, in degrees (y grows downwards)."""
    (ax, ay), (bx, by) = quad[0], quad[1]
    return math.degrees(math.atan2(by - ay, bx - ax))


def _skew(found: list[Any]) -> float:
    """A page's skew: the median slope of its wide boxes (three times as wide as high, whose frames follow the
    text line; a lone digit's frame may not), or 0 when it has none."""
    angles = []
    for quad, _, _ in found:
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        if max(xs) - min(xs) >= 3 * (max(ys) - min(ys)):
            angles.append(_angle(quad))
    return sorted(angles)[len(angles) // 2] if angles else 0.0


def _reread_tilted(engine: Any, image: Any, found: list[Any], skew: float = 0.0) -> list[Any]:
    """Boxes the detector framed at a tilt to the page's lines (over :data:`_TILT` degrees: a lone narrow digit on a
    skewed page, whose frame can lie along the digit's stroke, so that its crop shows a "1" as a "7") read again
    from their upright bounding rectangle. The upright reading is kept when it scores higher; when the two readings
    differ, the box's score is at most :data:`_DISAGREE`, so any value read from it is flagged."""
    out = []
    for quad, text, score in found:
        if abs(_angle(quad) - skew) > _TILT:
            # the bounding rectangle, unpadded: a margin takes in the cell's rules, which the recogniser reads as ""
            xs, ys = [p[0] for p in quad], [p[1] for p in quad]
            crop = image[max(0, int(min(ys))) : int(max(ys)) + 1, max(0, int(min(xs))) : int(max(xs)) + 1]
            again, _ = engine(crop, use_det=False, use_cls=False, use_rec=True)
            if again:
                text2, score2 = str(again[0][0]), float(again[0][1])
                if text2.strip() != str(text).strip():
                    text, score = (text2, score2) if score2 > score else (text, score)
                    score = min(score, _DISAGREE)
        out.append((quad, text, score))
    return out


def _box(item: Any, skew: float = 0.0) -> _Box:
    """One OCR result as a box, its corners turned back by the page's skew (degrees)."""
    quad, text, score = item
    cos, sin = math.cos(math.radians(skew)), math.sin(math.radians(skew))
    xs = [x * cos + y * sin for x, y in quad]
    ys = [y * cos - x * sin for x, y in quad]
    text = str(text).strip()
    if _DIGITISH.fullmatch(text) and len(text) <= 12:
        text = text.translate(_AS_DIGITS)  # a doubtful reading: its score stays as OCR gave it
    return _Box(min(xs), max(xs), min(ys), max(ys), text, float(score))


def layout(boxes: list[_Box]) -> tuple[str, list[tuple[int, int, float]]]:
    """Boxes as lines of text (table rows TAB-separated), and the spans of the doubtful ones."""
    boxes = [b for b in boxes if b.text]
    if not boxes:
        return "", []
    heights = sorted(b.y1 - b.y0 for b in boxes)
    tol = heights[len(heights) // 2] * 0.5
    lines: list[_Line] = []
    for b in sorted(boxes, key=lambda b: b.yc):
        if lines and abs(lines[-1].yc - b.yc) <= tol:
            lines[-1].boxes.append(b)
        else:
            lines.append(_Line([b]))
    for line in lines:
        line.boxes.sort(key=lambda b: b.x0)
    rows = [line for line in lines if line.table_row]
    # every label box placed so far with its row: a row's own label boxes, then the fragments joined to it
    placed = [(b, row) for row in rows for b in row.boxes if b.x1 < _first_number(row)]
    kept: list[_Line] = []
    for line in lines:
        if line.table_row:
            kept.append(line)
            continue
        hosts = _hosts(line, rows, placed)
        if hosts is None:
            kept.append(line)
            continue
        for b, host in zip(line.boxes, hosts, strict=True):
            host.label.append(b)
            placed.append((b, host))
    out: list[str] = []
    spans: list[tuple[int, int, float]] = []
    pos = 0
    for line in kept:
        cells = _cells(line)
        for i, (text, score) in enumerate(cells):
            if i:
                out.append("\t")
                pos += 1
            if score < LOW_CONFIDENCE:
                spans.append((pos, pos + len(text), score))
            out.append(text)
            pos += len(text)
        out.append("\n")
        pos += 1
    return "".join(out), spans


def _first_number(row: _Line) -> float:
    return min(b.x0 for b in row.boxes if b.number)


def _hosts(line: _Line, rows: list[_Line], placed: list[tuple[_Box, _Line]]) -> list[_Line] | None:
    """The table row each box of a line of short label fragments belongs to (a line may hold fragments of several
    label columns), or None when one of them belongs to none: the line is text then."""
    if not rows or any(len(b.text) > 16 for b in line.boxes):
        return None
    hosts: list[_Line] = []
    for i, b in enumerate(line.boxes):
        if i and _adjoins(line.boxes[i - 1].x1, b) and b.x1 < _first_number(hosts[-1]):
            host: _Line | None = hosts[-1]  # the rest of the text line its left neighbour began ("3.危及" "“")
        else:
            host = _host(b, rows, placed)
        if host is None:
            return None
        hosts.append(host)
    return hosts


def _host(b: _Box, rows: list[_Line], placed: list[tuple[_Box, _Line]]) -> _Line | None:
    """The table row a label fragment belongs to, one whose first number lies right of it.

    A fragment that opens a label ("二、", "(三)", "4.") is the first line of the row at or below it (a label
    centred in its cell starts above the row's numbers), within two and a half lines of it. Any other fragment
    continues the label line right above it in its column (overlapping it across, less than a line's height above,
    no row between them), so every line of a narrow cell wrapped over many lines joins the row its first line
    joined; failing that, it continues the label of the row above, within two and a half lines. A fragment above
    a page's first row that opens no label (the end of a cell begun on the page before, a header) joins no row."""
    if _OPENS_LABEL.match(b.text):
        below = [r for r in rows if r.yc >= b.yc - (b.y1 - b.y0) / 2]
        above = [r for r in rows if r.yc < b.yc]
        if below:
            near = min(below, key=lambda r: r.yc)
        elif above:
            near = max(above, key=lambda r: r.yc)
        else:
            return None
    else:
        chained = _continued(b, rows, placed)
        if chained is not None:
            return chained if b.x1 < _first_number(chained) else None
        above = [r for r in rows if r.yc < b.yc]
        if not above:
            return None
        near = max(above, key=lambda r: r.yc)
    row_height = max(r.y1 - r.y0 for r in near.boxes)
    if b.x1 < _first_number(near) and abs(near.yc - b.yc) <= 2.5 * row_height:
        return near
    return None


def _continued(b: _Box, rows: list[_Line], placed: list[tuple[_Box, _Line]]) -> _Line | None:
    """The row of the label line right above a fragment in its column, if there is one and no row lies between."""
    height = b.y1 - b.y0
    over = [
        (a, row) for a, row in placed if a.yc < b.yc and b.y0 - a.y1 <= height and min(a.x1, b.x1) > max(a.x0, b.x0)
    ]
    if not over:
        return None
    a, row = max(over, key=lambda pair: pair[0].y1)
    if any(a.yc < r.yc < b.yc for r in rows if r is not row):
        return None
    return row


def _cells(line: _Line) -> list[tuple[str, float]]:
    """A line's cells: for a table row, its label cells (its own and wrapped fragments, column by column) then each
    box."""
    if not line.table_row:
        text = "".join(b.text for b in line.boxes) if _tight(line.boxes) else "\t".join(b.text for b in line.boxes)
        return [(text, min(b.score for b in line.boxes))]
    first_number = min(i for i, b in enumerate(line.boxes) if b.number)
    cells = [
        ("".join(b.text for b in column), min(b.score for b in column))
        for column in _label_columns(line.label + line.boxes[:first_number])
    ]
    cells.extend((b.text, b.score) for b in line.boxes[first_number:])
    return cells


def _label_columns(boxes: list[_Box]) -> list[list[_Box]]:
    """A row's label boxes as the label cells they were printed in, left to right, each cell's lines top to bottom:
    boxes overlapping across (or a line OCR split in two) are one cell's, so a merged group cell "(三)不予公开" left
    of "1.属于国家秘密" is read apart from it, not line by line across both."""
    columns: list[tuple[float, float, list[_Box]]] = []
    for b in sorted(boxes, key=lambda b: b.x0):
        if columns and _adjoins(columns[-1][1], b):
            x0, x1, column = columns[-1]
            columns[-1] = (x0, max(x1, b.x1), [*column, b])
        else:
            columns.append((b.x0, b.x1, [b]))
    return [_reading_order(column) for _, _, column in columns]


def _adjoins(right: float, b: _Box) -> bool:
    """A box starting less than half a character right of ``right`` (or overlapping it): the same cell's text."""
    return b.x0 - right < (b.y1 - b.y0) / 2


def _reading_order(boxes: list[_Box]) -> list[_Box]:
    """Boxes top to bottom by text line (centres within half a box's height), each line left to right."""
    lines: list[list[_Box]] = []
    for b in sorted(boxes, key=lambda b: b.yc):
        if lines and b.yc - lines[-1][0].yc <= (b.y1 - b.y0) / 2:
            lines[-1].append(b)
        else:
            lines.append([b])
    return [b for line in lines for b in sorted(line, key=lambda b: b.x0)]


def _tight(boxes: list[_Box]) -> bool:
    """Boxes of one running text line (gaps under two characters), not the cells of a table."""
    for a, b in pairwise(boxes):
        char = (a.y1 - a.y0) or 1
        if b.x0 - a.x1 > 2 * char:
            return False
    return True
