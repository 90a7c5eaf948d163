"""OCR for PDFs without a text layer: the layout of text boxes into rows, and a scan made in the test from the
2020 seed's 表三 (rendered to 300 dpi images, so the PDF has no text layer) read back with every one of the text
layer's accepted values (147 of 147, measured) and no wrong value: a row where OCR dropped a box is left unread,
and every cell of an identity a misread breaks becomes a candidate, never a wrong value."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from extractor.documents import read_document
from extractor.documents.ocr import _Box, layout
from extractor.engine import Engine
from extractor.errors import InputError
from extractor.pipeline import process

from .test_documents import FONT, _cjk_pdf, _seed_004_parts

HAVE_OCR = all(importlib.util.find_spec(m) for m in ("rapidocr_onnxruntime", "pypdfium2"))
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


def test_a_text_line_stays_text() -> None:
    text, _ = layout([_box(10, 10, "本机关全年主动公开政府信息", width=300), _box(312, 10, "624条", width=60)])
    assert text == "本机关全年主动公开政府信息624条\n"


@needs_ocr
@needs_font
def test_a_scanned_table_reads_as_its_text_layer(tmp_path: Path) -> None:
    import pypdfium2 as pdfium
    from fpdf import FPDF

    _, rows = _seed_004_parts()  # 表三 as the seed prints it, its wrapped and merged labels included
    text_pdf = tmp_path / "text.pdf"
    text_pdf.write_bytes(_cjk_pdf(["三、收到和处理政府信息公开申请情况"], rows, header=""))
    scan = FPDF()
    for page in pdfium.PdfDocument(str(text_pdf)):
        image = page.render(scale=300 / 72).to_pil()  # a scanner's usual resolution
        scan.add_page()
        scan.image(image, x=0, y=0, w=scan.w, h=scan.h)
    scan_pdf = tmp_path / "scan.pdf"
    scan_pdf.write_bytes(bytes(scan.output()))
    with pytest.raises(InputError, match="PDF has no text layer; it needs OCR first"):
        read_document(scan_pdf, ocr="never")

    def accepted(path: Path) -> tuple[dict[str, object], set[str]]:
        record = process(path, Engine("rules"))
        values = {c: q.value for c, q in record.indicators.items() if c.startswith("requests.") and not q.derived}
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
