"""OCR for PDFs without a text layer: the layout of text boxes into rows, and a scan made in the test from the
2020 seed's 表三 (rendered to 300 dpi images, so the PDF has no text layer; once square, once turned by two
degrees) read back with every one of the text layer's accepted values (147 of 147, measured, both ways), the values
read from low-confidence boxes flagged, and no wrong value: a row where OCR dropped a box is left unread, and every
cell of an identity a misread breaks becomes a candidate, never a wrong value."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

import pytest

from extractor.documents import read_document
from extractor.documents.ocr import LOW_CONFIDENCE, _Box, _page_boxes, _read_upright, layout
from extractor.engine import Engine
from extractor.errors import InputError
from extractor.pipeline import process

from .test_documents import FONT, _cjk_pdf, _seed_004_parts

HAVE_OCR = importlib.util.find_spec("rapidocr_onnxruntime") is not None
needs_ocr = pytest.mark.skipif(not HAVE_OCR, reason="needs the ocr extra: pip install 'extractor[ocr]'")
needs_font = pytest.mark.skipif(
    not FONT.exists(), reason=f"needs a CJK font: apt-get install fonts-wqy-microhei ({FONT})"
)


def _box(x0: float, y: float, text: str, score: float = 0.99, width: float = 40) -> _Box:
    return _Box(x0, x0 + width, y, y + 20, text, score)


def test_wrapped_label_fragments_join_their_row_and_never_another() -> None:
    """A label cell wrapped over three lines ("1.属于" beside the numbers, "国家", "秘密" below) belongs to its row;
    the next row's label starts on its own line. A doubtful box's span is returned with its score."""
    boxes = [
        _box(10, 100, "1.属于"), _box(200, 100, "2"), _box(260, 100, "0"), _box(320, 100, "2", score=0.5),
        _box(10, 125, "国家"),
        _box(10, 150, "秘密"),
        _box(10, 190, "2.其他"), _box(200, 190, "1"), _box(260, 190, "0"), _box(320, 190, "1"),
        _box(10, 215, "法律"),
    ]  # fmt: skip
    text, doubtful = layout(boxes)
    assert text.splitlines() == ["1.属于国家秘密\t2\t0\t2", "2.其他法律\t1\t0\t1"]
    ((start, end, score),) = doubtful
    assert text[start:end] == "2" and start == text.index("\t2\n") + 1 and score == 0.5


def test_a_narrow_cell_wrapped_over_many_lines_joins_one_row() -> None:
    """A label in a narrow column, two characters a line: its first line opens it beside or above the row's numbers,
    and every line under it in its column joins that row, however far down the cell runs, up to the next row."""
    boxes = [
        _box(10, 100, "2.其他"), _box(200, 100, "1"), _box(260, 100, "0"), _box(320, 100, "1"),
        *[_box(10, 100 + 22 * k, text) for k, text in enumerate(["法律", "行政", "法规", "禁止", "公开"], 1)],
        _box(10, 240, "3.危"), _box(200, 240, "3"), _box(260, 240, "0"), _box(320, 240, "3"),
        _box(10, 262, "及三"),
    ]  # fmt: skip
    assert layout(boxes)[0].splitlines() == ["2.其他法律行政法规禁止公开\t1\t0\t1", "3.危及三\t3\t0\t3"]
    # the first line of a label above the row's numbers: the line between it and the numbers joins the row too
    boxes = [
        _box(10, 100, "2.其他法"), _box(10, 122, "律行政法"),
        _box(10, 144, "规禁止公"), _box(200, 140, "86"), _box(260, 140, "6"), _box(320, 140, "97"),
        _box(10, 166, "开"),
    ]  # fmt: skip
    assert layout(boxes)[0].splitlines() == ["2.其他法律行政法规禁止公开\t86\t6\t97"]


def test_label_columns_are_read_apart() -> None:
    """A merged group cell ("(三)不予公开", wrapped) left of its first item's label: each label cell is read down its
    own column and the two are cells of the row, not one line read across both."""
    boxes = [
        _box(10, 100, "(三"), _box(70, 100, "1.属于"), _box(200, 100, "2"), _box(260, 100, "0"), _box(320, 100, "2"),
        _box(10, 122, "）不"), _box(70, 122, "国家"),
        _box(10, 144, "予公"), _box(70, 144, "秘密"),
    ]  # fmt: skip
    assert layout(boxes)[0].splitlines() == ["(三）不予公\t1.属于国家秘密\t2\t0\t2"]


def test_a_cell_continued_from_the_page_before_joins_no_row() -> None:
    """Lines at the top of a page that open no label end a cell begun on the page before: they stay text, never
    joined to the page's first row."""
    boxes = [
        _box(10, 60, "他情形)"),
        _box(10, 100, "(三)不予公开"), _box(200, 100, "2"), _box(260, 100, "0"), _box(320, 100, "2"),
    ]  # fmt: skip
    assert layout(boxes)[0].splitlines() == ["他情形)", "(三)不予公开\t2\t0\t2"]


def test_a_label_line_read_as_two_boxes_stays_one() -> None:
    """OCR split a label's first line ("3.危及" and a quote mark it read apart, a little higher on a skewed page):
    the quote goes with the box it follows, to that box's row, in reading order."""
    boxes = [
        _box(10, 100, "3.危及", width=60), _box(72, 98, "“", width=10, score=0.46),
        _box(10, 124, "三安全一"), _box(200, 125, "12"), _box(260, 125, "4"), _box(320, 125, "16"),
        _box(10, 148, "稳定”"),
    ]  # fmt: skip
    text, doubtful = layout(boxes)
    assert text.splitlines() == ["3.危及“三安全一稳定”\t12\t4\t16"]
    assert [text[a:b] for a, b, _ in doubtful] == ["3.危及“三安全一稳定”"]


def _turned(x0: float, y0: float, w: float, h: float, degrees: float) -> list[list[float]]:
    """The corners of an upright box turned about the page's origin, as a detector frames it on a skewed page."""
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return [[x * cos - y * sin, x * sin + y * cos] for x, y in ((x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h))]


def _no_reading(crop: Any, **_: Any) -> tuple[None, None]:
    raise AssertionError("no box is tilted to the page's lines: nothing is read again")


def test_a_skewed_page_is_laid_out_square() -> None:
    """On a page skewed by two degrees a row's last number sits more than a row's height above its label: the
    page's skew (the slope of its wide boxes) is turned back before lines are formed, so each label keeps its row."""
    rows = [
        ("1.属于国家秘密", "49", "61"),
        ("2.其他法律行政法规禁止公开", "86", "97"),
        ("3.危及三安全一稳定", "12", "16"),
    ]
    found = []
    for k, (label, first, last) in enumerate(rows):
        y = 100 + 30 * k
        found += [
            (_turned(10, y, 240, 22, 2), label, 0.99),
            (_turned(700, y, 30, 22, 2), first, 0.99),
            (_turned(1400, y, 30, 22, 2), last, 0.99),
        ]
    text, _ = layout(_page_boxes(_no_reading, None, found))
    assert text.splitlines() == ["\t".join(row) for row in rows]


def test_a_box_framed_at_a_tilt_is_read_again_upright() -> None:
    """A lone digit whose frame the detector laid along its stroke ("1" read as "7"): read again from its upright
    rectangle; the readings differ, so the better one is kept with a score that flags it."""
    crops: list[Any] = []

    class Image:
        def __getitem__(self, region: tuple[slice, slice]) -> tuple[slice, slice]:
            return region

    def upright(crop: Any, **kwargs: Any) -> tuple[list[list[Any]], list[float]]:
        crops.append(crop)
        assert kwargs == {"use_det": False, "use_cls": False, "use_rec": True}
        return [["1", 0.99]], [0.01]

    found = [([[16, 21], [30, 17], [36, 39], [22, 43]], "7", 0.97), (_turned(0, 0, 50, 10, 0), "本年", 1.0)]
    (digit, label) = _page_boxes(upright, Image(), found)
    assert (digit.text, label.text) == ("1", "本年") and crops == [(slice(17, 44), slice(16, 37))]
    assert digit.score < LOW_CONFIDENCE and label.score == 1.0


def test_single_digits_framed_as_one_number_are_detected_again() -> None:
    """表四's fifteen narrow cells of one digit each, framed as one box "10146" five digits wide over four heights
    each: the strip is detected again (padded to twice the scale) and its digits become cells; a box of the line
    below, taken in by the strip's margin, is no part of them."""
    numpy = pytest.importorskip("numpy")
    image = numpy.full((400, 1000, 3), 255, dtype=numpy.uint8)
    seen: list[tuple[int, ...]] = []

    def detector(strip: Any, **kwargs: Any) -> tuple[list[Any], list[float]]:
        seen.append(strip.shape)
        pad = (strip.shape[0] - 41) // 2  # the strip: 41 rows, from half a height above the box to half below
        digits = [(_turned(10 + 80 * k, 10 + pad, 12, 20, 0), d, 0.9) for k, d in enumerate("10146")]
        return [*digits, (_turned(10, 45 + pad, 200, 20, 0), "五、存在的主要问题", 0.99)], [0.1]

    found = [(_turned(100, 100, 332, 20, 0), "10146", 0.98)]
    boxes = _page_boxes(detector, image, found)
    assert seen == [(367, 353, 3)]
    assert [(b.text, round(b.x0)) for b in boxes] == [("1", 100), ("0", 180), ("1", 260), ("4", 340), ("6", 420)]
    assert layout(boxes)[0] == "1\t0\t1\t4\t6\n"


@pytest.mark.parametrize(
    ("pages", "renders"),
    [
        ({0: ("wide", 0.99)}, [0]),  # upright: read once
        ({0: ("wide", 0.62), 180: ("wide", 0.99)}, [0, 180]),  # upside down: its words read with low scores
        ({0: ("tall", 0.99), 90: ("wide", 0.60), 270: ("wide", 0.99)}, [0, 90, 270]),  # on its side
        ({0: ("tall", 0.99), 90: ("wide", 0.99), 270: ("wide", 0.99)}, [0, 90]),
        ({0: ("wide", 0.62), 180: ("wide", 0.50)}, [0, 180]),  # a poor scan, no better turned: kept as read
    ],
    ids=["upright", "upside-down", "on-its-side-270", "on-its-side-90", "poor-scan"],
)
def test_a_page_turned_on_the_glass_is_read_upright(pages: dict[int, tuple[str, float]], renders: list[int]) -> None:
    rendered: list[int] = []

    def render(turn: int) -> int:
        rendered.append(turn)
        return turn

    def engine(turn: int) -> tuple[list[Any], list[float]]:
        shape, score = pages[turn]
        w, h = (80, 20) if shape == "wide" else (20, 80)
        return [(_turned(10, 30 * k, w, h, 0), "本年收到", score) for k in range(6)], [0.1]

    image, found = _read_upright(engine, render)
    assert rendered == renders
    best = max(rendered, key=lambda turn: (pages[turn][0] == "wide", pages[turn][1]))
    assert image == best and found == engine(best)[0]


def test_a_text_line_stays_text() -> None:
    text, _ = layout([_box(10, 10, "本机关全年主动公开政府信息", width=300), _box(312, 10, "624条", width=60)])
    assert text == "本机关全年主动公开政府信息624条\n"


@needs_ocr
@needs_font
@pytest.mark.parametrize("skew", [0, 2], ids=["square", "skewed-2deg"])
def test_a_scanned_table_reads_as_its_text_layer(tmp_path: Path, skew: float) -> None:
    import pypdfium2 as pdfium
    from fpdf import FPDF
    from PIL import Image

    _, rows = _seed_004_parts()  # 表三 as the seed prints it, its wrapped and merged labels included
    text_pdf = tmp_path / "text.pdf"
    text_pdf.write_bytes(_cjk_pdf(["三、收到和处理政府信息公开申请情况"], rows, header=""))
    scan = FPDF()
    for page in pdfium.PdfDocument(str(text_pdf)):
        image = page.render(scale=300 / 72).to_pil()  # a scanner's usual resolution
        if skew:  # a sheet fed crooked: the table's right end two rows higher than its left
            image = image.convert("L").rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
        scan.add_page()
        scan.image(image, x=0, y=0, w=scan.w, h=scan.h)
    scan_pdf = tmp_path / "scan.pdf"
    scan_pdf.write_bytes(bytes(scan.output()))
    with pytest.raises(InputError, match="PDF has no text layer; it needs OCR first"):
        read_document(scan_pdf, ocr="never")

    def accepted(path: Path) -> tuple[dict[str, object], set[str]]:
        record = process(path, Engine("rules"))
        values: dict[str, object] = {
            c: q.value for c, q in record.indicators.items() if c.startswith("requests.") and not q.derived
        }
        return values, {c for f in record.findings if f.check == "ocr.low_confidence" for c in f.cells}

    (expected, none), (got, flagged) = accepted(text_pdf), accepted(scan_pdf)
    assert not none
    # lone "0"s in narrow cells are read with scores under LOW_CONFIDENCE: kept, and every value read from them flagged
    assert flagged and flagged <= got.keys(), flagged
    assert len(expected) >= 100
    same = sum(got.get(code) == value for code, value in expected.items())
    assert same == len(expected), {c: (v, got.get(c)) for c, v in expected.items() if got.get(c) != v}
    wrong = {c: (expected.get(c), v) for c, v in got.items() if v is not None and v != expected.get(c)}
    assert not wrong, wrong  # a misread cell is left unread or made a candidate, never a wrong value


def test_ocr_unavailable_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.documents import ocr

    def missing(raw: bytes) -> tuple[str, list[tuple[int, int, float]]]:
        raise ocr.OcrUnavailable("pip install 'extractor[ocr]'")

    monkeypatch.setattr(ocr, "ocr_pdf", missing)
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")
    path = tmp_path / "scan.pdf"
    path.write_bytes(bytes(pdf.output()))
    with pytest.raises(InputError, match=r"no text layer; it needs OCR first: pip install 'extractor\[ocr\]'"):
        read_document(path)


@needs_ocr
@needs_font
def test_scanned_pages_inside_a_text_pdf_are_read_by_ocr(tmp_path: Path) -> None:
    """A text PDF whose table pages were scanned and inserted as images: the text layer where there is one, OCR's
    reading of the image-only pages in their place, and no value lost or wrong against the all-text PDF."""
    import pypdfium2 as pdfium
    from fpdf import FPDF

    _, rows = _seed_004_parts()
    text_pdf = tmp_path / "text.pdf"
    text_pdf.write_bytes(_cjk_pdf(["三、收到和处理政府信息公开申请情况"], rows, header=""))
    mixed = FPDF()
    mixed.add_font("wqy", fname=str(FONT))
    mixed.add_page()
    mixed.set_font("wqy", size=11)
    mixed.multi_cell(0, 8, "一、总体情况\n2020年，本机关全年主动公开政府信息1234条。")
    for page in pdfium.PdfDocument(str(text_pdf)):
        mixed.add_page()
        mixed.image(page.render(scale=300 / 72).to_pil(), x=0, y=0, w=mixed.w, h=mixed.h)
    mixed_pdf = tmp_path / "mixed.pdf"
    mixed_pdf.write_bytes(bytes(mixed.output()))

    layer_only = read_document(mixed_pdf, ocr="never")
    assert "1234条" in layer_only.original and "本年新收" not in layer_only.original and not layer_only.ocr
    doc = read_document(mixed_pdf)
    assert doc.ocr and doc.original.startswith(layer_only.original.split("\n")[0])
    assert "1234条" in doc.original and "本年新收" in doc.original

    def values(path: Path) -> dict[str, object]:
        record = process(path, Engine("rules"))
        return {c: q.value for c, q in record.indicators.items() if c.startswith("requests.") and not q.derived}

    expected, got = values(text_pdf), values(mixed_pdf)
    assert len(expected) >= 100
    same = sum(got.get(code) == value for code, value in expected.items())
    assert same >= 0.95 * len(expected), {c: (v, got.get(c)) for c, v in expected.items() if got.get(c) != v}
    wrong = {c: (expected.get(c), v) for c, v in got.items() if v is not None and v != expected.get(c)}
    assert not wrong, wrong
    assert process(mixed_pdf, Engine("rules")).indicators.get("proactive.total").value == 1234
