"""Tests for extractor.documents: reading each kind, encodings, bad inputs, normalization and the offset map."""

from __future__ import annotations

import hashlib
import html
import itertools
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from extractor.documents import (
    NOISE_LINES,
    TW_PHRASES,
    Document,
    NoiseRule,
    detect_script,
    normalize,
    read_document,
    read_text,
)
from extractor.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "eval" / "seeds").glob("*.txt"))
SEED_IDS = [p.name[:3] for p in SEEDS]
FIXTURES = Path(__file__).parent / "fixtures" / "documents"
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
needs_cjk_font = pytest.mark.skipif(
    not FONT.exists(), reason=f"needs a CJK font to build test PDFs: apt-get install fonts-wqy-microhei ({FONT})"
)
REPORT_TITLE = "广州市人民政府2020年政府信息公开工作年度报告"


def seed(prefix: str) -> Path:
    return next(p for p in SEEDS if p.name.startswith(prefix))


def seed_text(prefix: str) -> str:
    return seed(prefix).read_text(encoding="utf-8")


def collapsed_lines(text: str) -> list[str]:
    """Lines with all whitespace runs (tabs included) made one space; empty lines dropped."""
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


# --------------------------------------------------------------------------------------------------------------------
# Seeds and the offset map
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SEEDS, ids=SEED_IDS)
def test_seed_reads(path: Path) -> None:
    doc = read_document(path)
    assert doc.kind == "txt"
    assert doc.encoding == "utf-8"
    assert doc.original == path.read_text(encoding="utf-8")
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.script == ("traditional" if path.name.startswith("002") else "simplified")
    assert "年度报告" in doc.normalized


def _expected_char(original: str) -> set[str]:
    """What one original char may become in the normalized view of a simplified text."""
    if original in "\u00a0\u3000":
        return {" "}
    if original == "\r":
        return {"\n"}
    return {original, unicodedata.normalize("NFKC", original)}


@pytest.mark.parametrize("path", SEEDS, ids=SEED_IDS)
def test_offset_map_round_trip(path: Path) -> None:
    doc = read_document(path)
    offsets = doc.offsets
    assert offsets is not None and len(offsets) == len(doc.normalized)
    assert all(a <= b for a, b in itertools.pairwise(offsets)), "the map must be monotone"
    assert offsets[0] >= 0 and offsets[-1] < len(doc.original)
    rng = random.Random(path.name)
    for _ in range(300):
        start = rng.randrange(len(doc.normalized) + 1)
        end = rng.randrange(start, min(len(doc.normalized), start + 80) + 1)
        a, b = doc.to_original(start, end)
        assert 0 <= a <= b <= len(doc.original)
        assert doc.original_quote(start, end) == doc.original[a:b]
        if end > start:
            assert b > a, "a non-empty normalized span quotes something"


@pytest.mark.parametrize("path", [p for p in SEEDS if not p.name.startswith("002")], ids=lambda p: p.name[:3])
def test_every_normalized_char_points_at_its_source(path: Path) -> None:
    # Simplified seeds only change width and spacing, so each char's source must be that same char (or its
    # full-width / odd-space form).
    doc = read_document(path)
    assert doc.offsets is not None
    for i, char in enumerate(doc.normalized):
        source = doc.original[doc.offsets[i]]
        assert char in _expected_char(source), (i, char, source)


def test_empty_and_end_spans_map() -> None:
    doc = read_text("共 535 件\n相关新闻\n")
    assert doc.normalized == "共535件\n"
    assert doc.to_original(0, 0) == (0, 0)
    assert doc.to_original(len(doc.normalized), len(doc.normalized)) == (len("共 535 件\n"), len("共 535 件\n"))
    assert doc.original_quote(1, 4) == "535"
    assert doc.original_quote(0, 5) == "共 535 件"
    with pytest.raises(ValueError, match="outside"):
        doc.to_original(3, len(doc.normalized) + 1)
    with pytest.raises(ValueError, match="outside"):
        doc.to_original(4, 3)


def test_document_without_offsets_is_the_identity() -> None:
    doc = Document(Path("x.txt"), "txt", None, "abc", "abc", "simplified", "0" * 64)
    assert doc.to_original(1, 3) == (1, 3)
    with pytest.raises(ValueError, match="same length"):
        Document(Path("x.txt"), "txt", None, "abc", "ab", "simplified", "0" * 64)


def test_normalize_returns_a_list_map() -> None:
    text, offsets = normalize("（一）2020 年\r\n")
    assert text == "(一)2020年\n"
    assert offsets == [0, 1, 2, 3, 4, 5, 6, 8, 10]


# --------------------------------------------------------------------------------------------------------------------
# Normalization
# --------------------------------------------------------------------------------------------------------------------

NORMALIZATION_CASES = [
    ("full-width digits", "１２３", "123"),
    ("full-width letters and signs", "ＡＢｃ％＋－：", "ABc%+-:"),
    ("full-width parentheses", "（一）主动公开情况", "(一)主动公开情况"),
    ("full-width comma", "8，9", "8,9"),
    ("cjk punctuation kept", "一、公开。“五公开”《条例》", "一、公开。“五公开”《条例》"),
    ("year space", "2020 年", "2020年"),
    ("count space", "共 535 件", "共535件"),
    ("items space", "6343 项", "6343项"),
    ("several spaces", "共   12   宗", "共12宗"),
    ("decimal and unit", "9.6 万条", "9.6万条"),
    ("digit space digit kept", "16302 1591 10", "16302 1591 10"),
    ("tabs kept", "规章\t8\t8\t239", "规章\t8\t8\t239"),
    ("tab between cjk and digit kept", "总计\t18291", "总计\t18291"),
    ("newline between cjk and digit kept", "总计\n18291", "总计\n18291"),
    ("crlf", "一\r\n二\r三", "一\n二\n三"),
    ("nbsp", "共\u00a0535\u00a0件", "共535件"),
    ("ideographic space", "引\u3000\u3000言", "引  言"),
    ("latin words keep spaces", "PDF 格式 and Word", "PDF 格式 and Word"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in NORMALIZATION_CASES], ids=[c[0] for c in NORMALIZATION_CASES]
)
def test_normalization(text: str, expected: str) -> None:
    assert normalize(text)[0] == expected


# Taiwan phrasing of a mainland report (as a wiki copy carries it) -> mainland phrasing, and its original quote.
TRADITIONAL_CASES = [
    ("入口網站", "门户网站"),
    ("檔案", "文件"),
    ("最佳化", "优化"),
    ("計畫", "计划"),
    ("程式", "程序"),
    ("網路", "网络"),
    ("81萬條", "81万条"),
    ("行政複議", "行政复议"),
    ("答覆", "答复"),
    ("部門檔案類資訊", "部门文件类信息"),
    ("網際網路+政務服務", "互联网+政务服务"),
    # words tw2sp would rewrite, that these reports use in their mainland sense
    ("預算執行", "预算执行"),
    ("建立健全", "建立健全"),
    ("複製費", "复制费"),
    ("資料", "资料"),
    ("聯絡員", "联络员"),
]


@pytest.mark.parametrize(("traditional", "simplified"), TRADITIONAL_CASES, ids=[c[0] for c in TRADITIONAL_CASES])
def test_traditional_phrases(traditional: str, simplified: str) -> None:
    # Embedded in enough traditional text that the script is detected as traditional.
    text = f"廣州市政府資訊公開工作年度報告:{traditional}。"
    doc = read_text(text)
    assert doc.script == "traditional"
    start = doc.normalized.index(simplified)
    assert doc.original_quote(start, start + len(simplified)) == traditional


@pytest.mark.parametrize(("tw", "mainland"), TW_PHRASES, ids=[p[0] for p in TW_PHRASES])
def test_every_tw_phrase_is_applied(tw: str, mainland: str) -> None:
    assert normalize(f"這是{tw}的說明")[0] == normalize(f"這是{mainland}的說明")[0]
    assert tw not in normalize(f"這是{tw}的說明")[0]


def test_phrase_of_another_length_maps_to_its_whole_source() -> None:
    doc = read_text("針對最佳化調整的程式,網站最佳化改版")
    assert doc.normalized == "针对优化调整的程序,网站优化改版"
    assert doc.original_quote(2, 4) == "最佳化"
    assert doc.original_quote(4, 6) == "調整"
    assert doc.original_quote(12, 16) == "最佳化改版"
    assert doc.offsets is not None and list(doc.offsets) == sorted(doc.offsets)


def _align_whole(src: str, out: str) -> list[int]:
    """A changed line aligned as one piece (what _align_lines falls back to)."""
    from extractor.documents import normalization as documents

    per_char = documents._char_conversions(set(src))
    irregular = {c for c, piece in per_char.items() if len(piece) != 1}
    return documents._align(src, out, per_char, str.maketrans(per_char), irregular)


def test_changed_lines_align_piece_by_piece_or_whole() -> None:
    from extractor.documents import normalization as documents

    src = ["針對最佳化調整的程式,網站最佳化改版", "資訊。最佳化"]
    out = [documents._opencc("tw2mainland").convert(line) for line in src]
    piecewise = documents._align_lines(src, out)
    assert piecewise == [_align_whole(a, b) for a, b in zip(src, out, strict=True)]
    assert piecewise[1] == [0, 1, 2, 3, 5]  # 资讯。 one to one, 优化 over 最佳化


def test_lines_whose_punctuation_changed_are_aligned_whole() -> None:
    from extractor.documents import normalization as documents

    src = ["網站最佳化,改版", "最佳化「改版」"]
    out = ["网站优化，改版", "优化“改版”"]  # as if a dictionary entry had converted the punctuation too
    assert documents._align_lines(src, out) == [_align_whole(a, b) for a, b in zip(src, out, strict=True)]


SEED_002_PHRASES = [
    ("门户网站", "入口網站"),
    ("部门文件类信息", "部門檔案類信息"),
    ("优化调整", "最佳化調整"),
    ("计划", "計畫"),
    ("复议", "複議"),
    ("答复", "答覆"),
    ("81万条", "81萬條"),
    ("9.6万条", "9.6萬條"),
    ("复制费", "複製費"),
]


@pytest.mark.parametrize(("phrase", "original"), SEED_002_PHRASES, ids=[p[0] for p in SEED_002_PHRASES])
def test_seed_002_traditional_to_mainland(phrase: str, original: str) -> None:
    doc = read_document(seed("002"))
    start = doc.normalized.index(phrase)
    assert doc.original_quote(start, start + len(phrase)) == original


def test_seed_002_has_no_taiwan_phrasing_left() -> None:
    normalized = read_document(seed("002")).normalized
    for tw_simplified in ("入口网站", "档案类", "最佳化", "计画", "网路", "拷贝", "资讯"):
        assert tw_simplified not in normalized


@pytest.mark.parametrize(
    ("text", "script"),
    [
        (seed_text("004")[:3000], "simplified"),
        (seed_text("004")[:3000] + "臺灣鄉親來穗參觀", "simplified"),  # a few traditional chars do not flip it
        (seed_text("002")[:3000], "traditional"),
        ("2020 12 31", "simplified"),
        ("政府信息公开" * 170 + "臺灣鄉親來穗參觀" * 500, "traditional"),  # traditional only after the first 1,000
        ("臺灣鄉親" * 37 + "政府信息公开" * 700, "simplified"),  # 148 changed chars: most of the head, 3.7% of all
        ("臺灣鄉親來穗", "traditional"),
    ],
    ids=[
        "simplified",
        "simplified with a quote",
        "traditional",
        "no cjk",
        "late traditional",
        "early quote",
        "short traditional",
    ],
)
def test_detect_script(text: str, script: str) -> None:
    assert detect_script(text) == script


# --------------------------------------------------------------------------------------------------------------------
# Noise lines
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", NOISE_LINES, ids=[r.name for r in NOISE_LINES])
def test_each_noise_rule_deletes_its_example(rule: NoiseRule) -> None:
    text = f"一、总体情况\n{rule.example}\n全年主动公开政府信息624条。"
    kept = [line for line in normalize(text)[0].split("\n") if line.strip()]
    assert kept == ["一、总体情况", "全年主动公开政府信息624条。"]


KEPT_LINES = [
    "相关新闻发布会共举办12场",
    "打印机采购5台",
    "来源:本年新收申请535件",
    "关闭网站12个",
    "分享到微信公众号推文36篇",
    "一、总体情况",
    "六、其他需要报告的事项",
    "\t-",  # a table cell holding a dash means "none": never chrome
    "\t6",
    "6",  # a bare number is only a page number right above a "- n -" marker
    "6\n-",
    "2020年12月31日",
    "基本介绍政府信息公开指南",
]


@pytest.mark.parametrize("line", KEPT_LINES)
def test_noise_removal_keeps_report_lines(line: str) -> None:
    kept = line.split("\n")[0]
    assert normalize(f"前文\n{line}\n后文")[0].split("\n")[:2] == ["前文", normalize(kept)[0]]


@pytest.mark.parametrize(
    ("prefix", "gone"),
    [
        ("001", ["听全文", "2012-11-29", "来源:市政务办", "分享到", "相关附件", "相关新闻", "扫一扫在手机打开当前页",
                 "关注 · 广州政府网"]),
        ("002", ["基本介绍", "中文名:", "发布单位:", "相关词条", "热门词条", "联系我们"]),
        ("003", ["相关文章"]),
    ],
    ids=["001 web page", "002 wiki", "003 web page"],
)  # fmt: skip
def test_seed_chrome_is_removed(prefix: str, gone: list[str]) -> None:
    doc = read_document(seed(prefix))
    lines = [line.strip(" •") for line in doc.normalized.split("\n")]
    for chrome in gone:
        assert not any(line.startswith(chrome) for line in lines), chrome
    # lines go from the view only; `original` keeps them
    assert doc.original.count("\n") - doc.normalized.count("\n") >= len(gone) - 1


def test_seed_000_page_markers_removed() -> None:
    doc = read_document(seed("000"))
    assert doc.original.rstrip().endswith("－8－")
    assert doc.normalized.rstrip().endswith("行政诉讼数\n\t0")


# --------------------------------------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------------------------------------

ENCODINGS = ["gb18030", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"]
ENCODING_CASES = [(p, e) for p in SEEDS for e in ENCODINGS] + [(seed("002"), "big5")]


@pytest.mark.parametrize(("path", "encoding"), ENCODING_CASES, ids=[f"{p.name[:3]}-{e}" for p, e in ENCODING_CASES])
def test_seed_in_other_encodings(path: Path, encoding: str, tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data = text.encode(encoding, errors="ignore")  # Big5 lacks a few chars of the seed: drop them
    target = tmp_path / "report.txt"
    target.write_bytes(data)
    doc = read_document(target)
    reference = read_document(path) if encoding != "big5" else read_text(data.decode("big5"))
    assert doc.normalized == reference.normalized
    assert not doc.original.startswith("\ufeff")
    expected = {"big5": ("cp950", "big5hkscs", "big5")}.get(encoding, (encoding,))
    assert doc.encoding in expected


def test_short_gbk_text_is_not_taken_for_korean(tmp_path: Path) -> None:
    target = tmp_path / "short.txt"
    target.write_bytes("广州市政府信息公开".encode("gbk"))
    doc = read_document(target)
    assert doc.original == "广州市政府信息公开"
    assert doc.encoding == "gb18030"


# --------------------------------------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------------------------------------


def _pdf_bytes(draw: Callable[[FPDF], None], pages: int = 1, user_password: str | None = None) -> bytes:
    pdf = FPDF()
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)  # RC4, fpdf2's default
    for _ in range(pages):
        pdf.add_page()
        draw(pdf)
    return bytes(pdf.output())


def _latin_text(pdf: FPDF) -> None:
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Annual report on government information disclosure. " * 20)


def _rectangle_only(pdf: FPDF) -> None:
    pdf.rect(20, 20, 100, 60, style="F")


def _encrypted(user_password: str) -> bytes:
    return _pdf_bytes(_latin_text, user_password=user_password)


def _write(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        target = tmp_path / name
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
        return target

    return make


def _directory(tmp_path: Path) -> Path:
    target = tmp_path / "reports"
    target.mkdir()
    return target


_BINARY = bytes(random.Random(7).randrange(256) for _ in range(4000)) + b"\x00" * 64
# UTF-8, then GBK bytes, then stray high bytes: no single encoding decodes this
_MIXED = "广州市政府".encode() + "信息公开年度报告".encode("gbk") + b"\xff\xfe\x80\x81" * 3

BAD_INPUTS: list[tuple[str, Callable[[Path], Path], str]] = [
    ("empty", _write("empty.txt", b""), "empty file"),
    ("whitespace only", _write("blank.txt", " \n\t\r\n\u3000\n"), "empty file"),
    ("binary", _write("data.txt", _BINARY), "binary file, not text"),
    ("nul bytes in utf-8", _write("padded.txt", "2020年报告".encode() + b"\x00" * 200), "binary file, not text"),
    ("directory", _directory, "is a directory, expected a file"),
    ("missing", lambda tmp: tmp / "nope.txt", "no such file"),
    ("undecodable", _write("mixed.txt", _MIXED), "undetectable or mixed text encoding"),
    ("control characters", _write("ctrl.txt", "报告\x01\x02\x03\x04\x05\x06" * 20), "control characters"),
    ("encrypted pdf", _write("locked.pdf", _encrypted("user-secret")), "encrypted PDF"),
    ("truncated pdf", _write("cut.pdf", _pdf_bytes(_latin_text, pages=3)[:700]), "damaged PDF"),
    ("not a pdf", _write("fake.pdf", b"<html>404 Not Found</html>"), "damaged PDF"),
    ("pdf without text", _write("scan.pdf", _pdf_bytes(_rectangle_only, pages=2)), "PDF has no text layer"),
    ("html with only nav", lambda tmp: FIXTURES / "nav_only.html", "no text in the HTML page"),
    ("corrupt docx", _write("broken.docx", b"PK\x03\x04" + b"\x00garbage" * 50), "damaged DOCX"),
    ("unknown binary type", _write("report.doc", _BINARY), "unsupported file type"),
    ("only chrome", _write("chrome.txt", "相关新闻\n  • 分享到\n扫一扫在手机打开当前页\n"), "no report text"),
]


@pytest.mark.parametrize(("make", "reason"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_raises_input_error(make: Callable[[Path], Path], reason: str, tmp_path: Path) -> None:
    path = make(tmp_path)
    with pytest.raises(InputError) as info:
        read_document(path)
    error = info.value
    assert reason in error.reason
    assert str(path) in str(error) and reason in str(error)
    assert "\n" not in str(error)
    assert error.path == path


def test_read_document_accepts_a_str_path() -> None:
    assert read_document(str(seed("003"))).path == seed("003")


def test_read_text_rejects_empty_text() -> None:
    with pytest.raises(InputError, match="empty text"):
        read_text(" \n ", "inline")


def test_read_text() -> None:
    doc = read_text("2020 年政府信息公开工作年度报告", "memo")
    assert (doc.kind, doc.encoding, doc.path, doc.normalized) == (
        "txt",
        None,
        Path("memo"),
        "2020年政府信息公开工作年度报告",
    )
    assert doc.sha256 == hashlib.sha256("2020 年政府信息公开工作年度报告".encode()).hexdigest()


def test_owner_only_encrypted_pdf_opens_with_the_empty_password(tmp_path: Path) -> None:
    target = tmp_path / "owner.pdf"
    target.write_bytes(_encrypted(""))
    assert "Annual report" in read_document(target).normalized


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("report.md", "# 2020 年报告\n共 5 件".encode(), "txt"),
        ("report", "2020年报告".encode("gb18030"), "txt"),
        ("report.dat", _pdf_bytes(_latin_text), "pdf"),
        ("page.asp", b"<!DOCTYPE html><html><body><p>2020 \xe5\xb9\xb4</p></body></html>", "html"),
    ],
    ids=["markdown", "no suffix gbk", "pdf bytes", "html bytes"],
)
def test_unknown_suffix_is_sniffed(name: str, data: bytes, kind: str, tmp_path: Path) -> None:
    target = tmp_path / name
    target.write_bytes(data)
    assert read_document(target).kind == kind


# --------------------------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------------------------

CHROME_HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年度报告</title>
<script>var nav = "首页 政务公开";</script><style>p { margin: 0 }</style></head><body>
<div id="header" class="top-nav"><ul><li><a href="/">站点首页</a></li><li><a>政务公开栏目</a></li></ul></div>
<div class="crumbs">当前位置:首页 &gt; 政务公开 &gt; 年度报告</div>
<div class="bdsharebuttonbox"><a>分享到</a><a>微信</a><a>微博</a></div>
<div id="content">
"""
CHROME_TAIL = """</div>
<div class="relatedLinks"><h3>相关词条</h3><ul><li><a>政府信息公开条例</a></li><li><a>政务公开</a></li></ul></div>
<script type="text/javascript">document.write("扫一扫在手机打开当前页");</script>
<footer>版权所有:广州市人民政府 备案号 12345</footer>
</body></html>"""


def seed_html(text: str) -> str:
    """An HTML copy of a seed in a page with chrome; runs of TAB lines become real <table> elements."""
    body: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if "\t" in lines[i]:
            rows = []
            while i < len(lines) and "\t" in lines[i]:
                cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in lines[i].split("\t"))
                rows.append(f"<tr>{cells}</tr>")
                i += 1
            body.append(f'<table border="1"><tbody>{"".join(rows)}</tbody></table>')
        else:
            if lines[i].strip():
                body.append(f"<p>{html.escape(lines[i]).replace('  ', '&nbsp; ')}</p>")
            i += 1
    return CHROME_HEAD + "\n".join(body) + CHROME_TAIL


@pytest.mark.parametrize("prefix", ["004", "000", "002"])
def test_html_copy_of_a_seed(prefix: str, tmp_path: Path) -> None:
    text = seed_text(prefix)
    target = tmp_path / "report.html"
    target.write_text(seed_html(text), encoding="utf-8")
    doc = read_document(target)
    reference = read_text(text)
    assert (doc.kind, doc.encoding) == ("html", "utf-8")
    assert collapsed_lines(doc.normalized) == collapsed_lines(reference.normalized)
    for chrome in ("站点首页", "政务公开栏目", "当前位置", "分享到", "相关词条", "版权所有", "var nav", "扫一扫"):
        assert chrome not in doc.normalized
    lines = doc.normalized.split("\n")
    table_rows = [
        "\t".join(" ".join(cell.split()) for cell in line.split("\t"))  # HTML trims and collapses cell text
        for line in reference.normalized.split("\n")
        if "\t" in line and line.strip()
    ]
    assert table_rows or prefix == "002"
    for row in table_rows:
        assert row in lines, row  # each row comes out as the same TAB-separated cells


def test_html_tables_in_the_2020_seed_are_tab_separated(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text(seed_html(seed_text("004")), encoding="utf-8")
    lines = read_document(target).normalized.split("\n")
    assert "规章\t8\t8\t239" in lines
    assert "273\t62\t68\t68\t471\t104\t27\t43\t24\t198\t32\t10\t10\t8\t60" in lines
    assert "\t(七) 总计\t16266\t1645\t11\t20\t37\t347\t18326\t" in lines


def test_html_fixture_with_declared_gb2312_and_spans() -> None:
    doc = read_document(FIXTURES / "gov_page_gb2312.html")
    assert doc.encoding == "gb18030"
    assert doc.normalized.split("\n") == [
        "某区人民政府2021年政府信息公开工作年度报告",
        "一、总体情况",
        "2021年,全区共收到政府信息公开申请128件,",
        "上年结转6件。",
        "二、主动公开政府信息情况",
        "第二十条第(一)项\t\t\t",  # colspan=4
        "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
        "规章\t0\t0\t0",
        "行政规范性文件\t12\t3\t45",
        "三、收到和处理政府信息公开申请情况",
        "三、本年度办理结果\t(一)予以公开\t60",
        "\t(二)部分公开\t7",  # the rowspan above leaves an empty first cell
        "四、结转下年度继续办理\t\t5",
        "六、其他需要报告的事项",
        "无。",
    ]


def test_html_with_a_lying_charset_is_detected(tmp_path: Path) -> None:
    target = tmp_path / "page.htm"
    page = '<html><head><meta charset="utf-8"></head><body><p>广州市政府信息公开年度报告,共收到申请 19017 宗。</p></body></html>'
    target.write_bytes(page.encode("gbk"))
    doc = read_document(target)
    assert doc.normalized == "广州市政府信息公开年度报告,共收到申请19017宗。"
    assert doc.encoding == "gb18030"


CHROME_ATTRIBUTES = [
    ('class="main-nav"', False),
    ('id="mainMenu"', False),
    ('class="bdsharebuttonbox"', False),
    ('class="breadcrumb"', False),
    ('id="footer"', False),
    ('class="related_links"', False),
    ('class="ad"', False),
    ('class="comment-list"', False),
    ('class="canvas-wrap"', True),  # "nav" only as a whole word
    ('class="footnote"', True),
    ('class="article-content"', True),
    ('id="zoom"', True),
]


@pytest.mark.parametrize(("attribute", "kept"), CHROME_ATTRIBUTES, ids=[a for a, _ in CHROME_ATTRIBUTES])
def test_html_chrome_by_id_or_class(attribute: str, kept: bool, tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_text(f"<body><p>一、总体情况</p><div {attribute}>本年新收申请 12 件</div></body>", encoding="utf-8")
    assert ("本年新收申请12件" in read_document(target).normalized) == kept


def test_html_rowspan_over_the_last_column(tmp_path: Path) -> None:
    target = tmp_path / "t.html"
    target.write_text(
        "<body><table><tr><td>a</td><td rowspan=3>b</td></tr><tr><td>c</td></tr><tr><td>d</td></tr>"
        "<tr><td>e</td><td>f</td></tr></table></body>",
        encoding="utf-8",
    )
    assert read_document(target).normalized == "a\tb\nc\t\nd\t\ne\tf"


# --------------------------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------------------------


def _cjk_pdf(
    paragraphs: list[str], rows: list[list[str]], footer: str = "- {n} -", header: str = REPORT_TITLE
) -> bytes:
    from fpdf.fonts import FontFace

    class Report(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("wqy", size=9)
                self.cell(0, 8, header, align="C", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("wqy", size=9)
            self.cell(0, 8, footer.format(n=self.page_no()), align="C")

    pdf = Report()
    pdf.add_font("wqy", fname=str(FONT))
    pdf.add_page()
    pdf.set_font("wqy", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 7, paragraph, new_x="LMARGIN", new_y="NEXT")
    if rows:
        pdf.set_font("wqy", size=8)
        width = max(len(r) for r in rows)
        widths = (34, 44, *[14] * (width - 2))
        with pdf.table(col_widths=widths[:width], first_row_as_headings=False, headings_style=FontFace()) as table:
            for cells in rows:
                row = table.row()
                for cell in [*cells, *[""] * (width - len(cells))]:
                    row.cell(cell)
    return bytes(pdf.output())


def _seed_004_parts() -> tuple[list[str], list[list[str]]]:
    lines = seed_text("004").split("\n")
    prose = [line for line in lines[:54] if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith("一、本年新收"))
    rows = [line.split("\t") for line in lines[start:105] if "\t" in line and re.search(r"\d{2}", line)]
    return prose, rows


@needs_cjk_font
def test_pdf_from_the_2020_seed(tmp_path: Path) -> None:
    prose, rows = _seed_004_parts()
    target = tmp_path / "report.pdf"
    target.write_bytes(_cjk_pdf(prose, rows))
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(target)
    assert len(pdf) >= 3
    pdf.close()
    doc = read_document(target)
    assert (doc.kind, doc.encoding) == ("pdf", None)
    lines = doc.normalized.split("\n")
    assert not [line for line in lines if re.fullmatch(r"\s*-\s*\d+\s*-\s*", line)], "page markers remain"
    assert REPORT_TITLE not in lines, "the running header remains"
    assert "一、总体情况" in lines
    flat = "".join(lines)
    assert "44个政府部门共6343项行政权力事项" in flat
    # every table row comes back as one line of TAB-separated cells, wrapped cells joined, numbers in order
    for cells in rows:
        expected = "\t".join(normalize(c)[0].replace(" ", "") for c in cells if c.strip())
        assert expected in [line.replace(" ", "") for line in lines], expected
    table = doc.normalized[doc.normalized.index("一、本年新收") :]
    assert re.findall(r"\d+", table) == re.findall(r"\d+", "\n".join("\t".join(r) for r in rows))


@needs_cjk_font
def test_pdf_wrapped_cells_stay_in_their_row(tmp_path: Path) -> None:
    rows = [
        ["三、本年度办理结果", "(二) 部分公开（区分处理的，只计这一情形，不计其他情形）", "1382", "105", "0"],
        ["", "(三) 不予公开", "1.属于国家秘密", "49", "8"],  # the third cell is taller than the second
        ["四、结转下年度继续办理", "", "633", "43", "0"],
    ]
    target = tmp_path / "table.pdf"
    target.write_bytes(_cjk_pdf(["二、表格"], rows, header=""))
    assert read_document(target).normalized.split("\n") == [
        "二、表格",
        "三、本年度办理结果\t(二)部分公开(区分处理的,只计这一情形,不计其他情形)\t1382\t105\t0",
        "(三) 不予公开\t1.属于国家秘密\t49\t8",
        "四、结转下年度继续办理\t633\t43\t0",
    ]


@needs_cjk_font
@pytest.mark.parametrize("footer", ["- {n} -", "－{n}－", "—{n}—", "第 {n} 页", "{n}/3", "{n}"])
def test_pdf_page_number_styles_are_removed(footer: str, tmp_path: Path) -> None:
    paragraphs = [f"第{k}段:本年新收政府信息公开申请{k}件。" * 12 for k in range(1, 12)]
    target = tmp_path / "report.pdf"
    target.write_bytes(_cjk_pdf(paragraphs, [], footer=footer, header=""))
    lines = read_document(target).normalized.split("\n")
    assert len(lines) > 10
    assert all("本年新收" in line or "件。" in line for line in lines), [ln for ln in lines if "本年新收" not in ln]


@needs_cjk_font
def test_pdf_title_on_page_one_survives_the_running_header(tmp_path: Path) -> None:
    paragraphs = ["广州市人民政府", "2020年政府信息公开工作年度报告", "一、总体情况", "正文内容。" * 400]
    target = tmp_path / "report.pdf"
    target.write_bytes(_cjk_pdf(paragraphs, []))
    lines = read_document(target).normalized.split("\n")
    assert lines[:3] == ["广州市人民政府", "2020年政府信息公开工作年度报告", "一、总体情况"]
    assert REPORT_TITLE not in lines


def _latin_table(pdf: FPDF) -> None:
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 7, "3. Requests received and processed", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=(70, 25, 25, 25), first_row_as_headings=False) as table:
        for cells in LATIN_ROWS:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.multi_cell(0, 7, "4. Reviews and lawsuits", new_x="LMARGIN", new_y="NEXT")


LATIN_ROWS = [
    ["New requests this year", "1382", "105", "0"],
    # a label that wraps over three lines in its narrow cell: joined again, then its row's numbers
    ["Carried over from last year, counted apart from the new requests of this year and reported here", "43", "7", "1"],
    ["Total", "1425", "112", "1"],
]


def test_pdf_table_rows_are_tab_separated_cells(tmp_path: Path) -> None:
    target = tmp_path / "table.pdf"
    target.write_bytes(_pdf_bytes(_latin_table))
    lines = read_document(target).normalized.split("\n")
    assert lines == [
        "3. Requests received and processed",
        *("\t".join(cells) for cells in LATIN_ROWS),
        "4. Reviews and lawsuits",
    ]


# 表三 with blank cells (nothing printed): the PDF draws only the printed numbers
T3_HEADER = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
T3_ROWS = [
    ["一、本年新收政府信息公开申请数量", "821", "35", "", "", "2", "1", "859"],
    ["二、上年结转政府信息公开申请数量", "18", "", "", "", "", "", "18"],
    ["（一）予以公开", "258", "12", "", "", "1", "1", ""],
    ["（二）部分公开", "3", "", "", "", "", "", ""],
]


def _t3_pdf(header: bool, align: str = "CENTER", rows: list[list[str]] = T3_ROWS) -> bytes:
    from fpdf.fonts import FontFace

    pdf = FPDF()
    pdf.add_font("wqy", fname=str(FONT))
    pdf.add_page()
    pdf.set_font("wqy", size=11)
    pdf.multi_cell(0, 7, "三、收到和处理政府信息公开申请情况", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("wqy", size=8)
    options = {"first_row_as_headings": False, "headings_style": FontFace(), "text_align": align}
    with pdf.table(col_widths=(50, 18, 18, 18, 18, 18, 18, 18), **options) as table:  # type: ignore[arg-type]
        if header:
            row = table.row()
            row.cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=2)
            row.cell(T3_HEADER[0], rowspan=2)
            row.cell("法人或其他组织", colspan=5)
            row.cell(T3_HEADER[6], rowspan=2)
            row = table.row()
            for name in T3_HEADER[1:6]:
                row.cell(name)
        _body(table, rows)
    pdf.set_font("wqy", size=11)
    pdf.multi_cell(0, 7, "四、政府信息公开行政复议、行政诉讼情况", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _body(table: Any, rows: Sequence[Sequence[str]]) -> None:
    """The rows of an fpdf2 table, one cell a string."""
    for cells in rows:
        row = table.row()
        for cell in cells:
            row.cell(cell)


def _random_table_options(rng: random.Random) -> dict[str, Any]:
    """fpdf2 table options drawn at random: the cells' alignment and whether borders are drawn."""
    from fpdf.fonts import FontFace

    return {
        "first_row_as_headings": False,
        "headings_style": FontFace(),
        "text_align": rng.choice(["CENTER", "RIGHT", "LEFT"]),
        "borders_layout": rng.choice(["ALL", "ALL", "NONE"]),
    }


def _row_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.startswith(("一、本年", "二、上年", "(一)", "(二)"))]


def _normalized(rows: list[list[str]], blank_cells: bool) -> list[str]:
    return [normalize("\t".join(c for c in row if c or blank_cells))[0] for row in rows]


@needs_cjk_font
@pytest.mark.parametrize("align", ["CENTER", "RIGHT", "LEFT"])
def test_pdf_blank_table_cells_keep_their_columns(align: str, tmp_path: Path) -> None:
    """Blank cells draw nothing in a PDF: each number is put in its column by its position under the header, and the
    blank columns become empty cells, as the HTML reader writes them."""
    target = tmp_path / "table.pdf"
    target.write_bytes(_t3_pdf(header=True, align=align))
    assert _row_lines(read_document(target).normalized) == _normalized(T3_ROWS, blank_cells=True)


@needs_cjk_font
def test_pdf_table_rows_without_a_header_are_left_as_printed(tmp_path: Path) -> None:
    """No header above the numbers: their columns are not clear, so each row keeps only its printed cells."""
    target = tmp_path / "table.pdf"
    target.write_bytes(_t3_pdf(header=False))
    assert _row_lines(read_document(target).normalized) == _normalized(T3_ROWS, blank_cells=False)


@needs_cjk_font
def test_pdf_a_header_cell_without_numbers_at_the_left_leaves_the_rows_as_printed(tmp_path: Path) -> None:
    """The leftmost column has no number in any row: its header might be the labels' own, so nothing is moved."""
    rows = [[row[0], "", *row[2:]] for row in T3_ROWS]
    target = tmp_path / "table.pdf"
    target.write_bytes(_t3_pdf(header=True, rows=rows))
    assert _row_lines(read_document(target).normalized) == _normalized(rows, blank_cells=False)


@needs_cjk_font
@pytest.mark.parametrize("seed", range(12))
def test_pdf_random_tables_never_put_a_number_in_another_column(seed: int, tmp_path: Path) -> None:
    """Tables of 2 to 8 columns with blank cells (some columns blank in every row), headers or none, one or two
    header rows, borders or none, numbers centred or right or left aligned: every row comes out either as printed
    (blank cells dropped) or one cell a column, never with a number in another column."""

    rng = random.Random(seed)
    names = [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
        "尚未审结",
        "本年新制作数量",
    ]
    ncols = rng.randint(2, 8)
    blank = {c for c in range(ncols) if rng.random() < 0.25}
    numbers = ["0", "1", "3", "12", "45", "128", "1024", "35000"]
    rows = [
        [f"第{r}项", *("" if c in blank or rng.random() < 0.3 else rng.choice(numbers) for c in range(ncols))]
        for r in range(rng.choice([3, 8, 40]))
    ]
    heads = [rng.choice(names) for _ in range(ncols)]
    pdf = FPDF()
    pdf.add_font("wqy", fname=str(FONT))
    pdf.add_page()
    pdf.set_font("wqy", size=11)
    pdf.multi_cell(0, 7, "三、收到和处理政府信息公开申请情况", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("wqy", size=rng.choice([7, 8, 9]))
    options = _random_table_options(rng)
    with pdf.table(col_widths=(40, *[rng.choice([14, 18, 22])] * ncols), **options) as table:  # type: ignore[arg-type]
        if rng.random() < 0.5 and ncols >= 4:
            row = table.row()
            row.cell("（本列数据）", rowspan=2)
            row.cell(heads[0], rowspan=2)
            row.cell("法人或其他组织", colspan=ncols - 2)
            row.cell(heads[-1], rowspan=2)
            row = table.row()
            for name in heads[1:-1]:
                row.cell(name)
        elif rng.random() < 0.8:
            row = table.row()
            for name in ["项目", *heads]:
                row.cell(name)
        _body(table, rows)
    target = tmp_path / "table.pdf"
    target.write_bytes(bytes(pdf.output()))
    lines = {line.split("\t")[0]: line for line in read_document(target).normalized.split("\n")}
    for label, *cells in rows:
        if any(cells):
            assert lines[label] in (label + "".join(f"\t{c}" for c in cells if c), "\t".join([label, *cells]))


@needs_cjk_font
@pytest.mark.parametrize("seed", range(8))
def test_pdf_random_rows_without_labels_never_put_a_number_in_another_column(seed: int, tmp_path: Path) -> None:
    """表四-like tables (groups of columns under spanning header cells, rows of numbers without a label, blank cells),
    after some prose so that the header may end a page and the row start the next: every row comes out either as
    printed or one cell a column."""

    rng = random.Random(seed)
    groups, per = rng.randint(1, 3), rng.randint(2, 5)
    blank = {c for c in range(groups * per) if rng.random() < 0.3}
    numbers = ["0", "1", "2", "5", "7", "12", "130"]
    rows = [
        ["" if c in blank or rng.random() < 0.3 else rng.choice(numbers) for c in range(groups * per)]
        for _ in range(rng.choice([1, 2]))
    ]
    pdf = FPDF()
    pdf.add_font("wqy", fname=str(FONT))
    pdf.add_page()
    pdf.set_font("wqy", size=10)
    for _ in range(rng.randint(0, 40)):
        pdf.multi_cell(0, 6, "正文" * rng.randint(5, 40), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("wqy", size=rng.choice([7, 8, 9]))
    options = _random_table_options(rng)
    with pdf.table(col_widths=[rng.choice([10, 12, 14])] * (groups * per), **options) as table:  # type: ignore[arg-type]
        row = table.row()
        for _ in range(groups):
            row.cell(rng.choice(["行政复议", "未经复议直接起诉", "复议后起诉"]), colspan=per)
        row = table.row()
        for c in range(groups * per):
            row.cell(["维持", "纠正", "其他", "尚未审结", "总计"][c % per % 5])
        _body(table, rows)
    pdf.set_font("wqy", size=10)
    pdf.multi_cell(0, 6, "五、存在的主要问题", new_x="LMARGIN", new_y="NEXT")
    target = tmp_path / "table.pdf"
    target.write_bytes(bytes(pdf.output()))
    lines = read_document(target).normalized.split("\n")
    for cells in rows:
        if sum(1 for c in cells if c) >= 2:
            assert "\t".join(c for c in cells if c) in lines or "\t".join(cells) in lines


def _synthetic_page(header: list[tuple[str, float]], rows: list[list[tuple[str, float]]], top: float = 700) -> list:
    """A page's lines from chunks placed by hand (size 9): header cells, then rows of (text, x) 20 points apart."""
    from extractor.documents.pdf import _assemble, _Chunk

    def chunk(text: str, x: float, y: float) -> _Chunk:
        width = 9 * len(text) if not text.isascii() else 5 * len(text)
        return _Chunk(text, x, y, 9.0, x + width)

    chunks = [chunk(text, x, top) for text, x in header]
    for k, row in enumerate(rows, start=1):
        chunks.extend(chunk(text, x, top - 20 * k) for text, x in row)
    return _assemble(chunks)


HEADER_4 = [("自然人", 200), ("商业企业", 250), ("科研机构", 300), ("总计", 350)]
ROWS_4 = [
    [("一、本年新收", 50), ("5", 210), ("3", 265), ("8", 356)],  # 科研机构 blank
    [("二、上年结转", 50), ("1", 210), ("2", 265), ("3", 356)],
]
BORDERS_4 = [(x, 600.0, 720.0) for x in (40, 195, 245, 295, 345, 400)]


@pytest.mark.parametrize(
    ("borders", "expected"),
    [
        (BORDERS_4, ["一、本年新收\t5\t3\t\t8", "二、上年结转\t1\t2\t\t3"]),
        ([], ["一、本年新收\t5\t3\t8", "二、上年结转\t1\t2\t3"]),  # borderless: the blank column is not sure
    ],
    ids=["between borders", "no borders"],
)
def test_pdf_a_column_blank_in_every_row_needs_borders(borders: list, expected: list[str]) -> None:
    from extractor.documents.pdf import _place_columns

    lines = _synthetic_page(HEADER_4, ROWS_4)
    _place_columns(lines, None, lambda: borders)
    assert [line.text for line in lines[1:]] == expected


def test_pdf_a_header_cell_cut_in_two_is_not_two_columns() -> None:
    """ "科研" and "机构" drawn apart inside one bordered cell: no border between them, so the rows stay as printed."""
    from extractor.documents.pdf import _place_columns

    header = [("自然人", 200), ("商业企业", 250), ("科研", 300), ("机构", 321), ("总计", 350)]
    lines = _synthetic_page(header, ROWS_4)
    _place_columns(lines, None, lambda: BORDERS_4)
    assert [line.text for line in lines[1:]] == ["一、本年新收\t5\t3\t8", "二、上年结转\t1\t2\t3"]


@pytest.mark.parametrize(
    ("borders", "row", "expected"),
    [
        (BORDERS_4, [("5", 210), ("3", 265), ("8", 356)], "5\t3\t\t8"),
        (BORDERS_4, [("5", 210), ("3", 265)], "5\t3\t\t"),  # the last columns blank: bordered on both sides
        ([], [("5", 210), ("3", 265), ("8", 356)], "5\t3\t8"),
        ([], [("5", 210), ("3", 265)], "5\t3"),
    ],
    ids=["borders", "borders, last columns blank", "no borders", "no borders, last columns blank"],
)
def test_pdf_a_row_without_label_under_a_header_at_the_foot_of_the_page_before(
    borders: list, row: list[tuple[str, float]], expected: str
) -> None:
    """表四's numbers have no label: its header may end one page and its row start the next."""
    from extractor.documents.pdf import _place_columns

    carried = _place_columns(_synthetic_page(HEADER_4, []), None, lambda: borders)
    lines = _synthetic_page([], [row])
    _place_columns(lines, carried)
    assert [line.text for line in lines] == [expected]


def test_pdf_numbers_apart_under_one_header_cell_are_left_as_printed() -> None:
    """Two columns of numbers under one header cell (its own header cells not found): which is which is not clear."""
    from extractor.documents.pdf import _place_columns

    header = [("自然人", 200), ("法人或其他组织", 250), ("总计", 350)]
    rows = [[("一、本年新收", 50), ("5", 210), ("3", 255), ("8", 356)], [("二、上年结转", 50), ("1", 210), ("2", 300)]]
    lines = _synthetic_page(header, rows)
    _place_columns(lines, None, lambda: BORDERS_4)
    assert [line.text for line in lines[1:]] == ["一、本年新收\t5\t3\t8", "二、上年结转\t1\t2"]


def test_pdf_a_table_going_on_at_the_next_page_keeps_its_columns() -> None:
    from extractor.documents.pdf import _place_columns

    first = _synthetic_page(HEADER_4, ROWS_4)
    carried = _place_columns(first, None, lambda: BORDERS_4)
    assert carried is not None
    rows = [[("（七）总计", 50), ("9", 210), ("10", 356)], [("四、结转下年度", 50), ("4", 210), ("4", 356)]]
    assert [line.text for line in _synthetic_page([("（六）其他处理", 50)], rows)] == [
        "（六）其他处理",
        "（七）总计\t9\t10",
        "四、结转下年度\t4\t4",
    ]
    second = _synthetic_page([("（六）其他处理", 50)], rows)
    _place_columns(second, carried)
    assert [line.text for line in second] == ["（六）其他处理", "（七）总计\t9\t\t\t10", "四、结转下年度\t4\t\t\t4"]
    # text across the page above the rows: not the same table going on
    third = _synthetic_page([("正文段落，横贯页面的一行文字，直到右边的页边距为止。", 50)], rows)
    _place_columns(third, carried)
    assert [line.text for line in third[1:]] == ["（七）总计\t9\t10", "四、结转下年度\t4\t4"]


def test_pdf_without_text_needs_ocr(tmp_path: Path) -> None:
    from extractor.documents.common import NeedsOcr
    from extractor.documents.pdf import _read_pdf

    target = tmp_path / "scan.pdf"
    target.write_bytes(_pdf_bytes(_rectangle_only, pages=2))
    with pytest.raises(NeedsOcr):
        _read_pdf(target, target.read_bytes())


@pytest.mark.parametrize("user_password", ["", "user-secret"], ids=["owner password only", "user password"])
def test_encrypted_pdf(user_password: str, tmp_path: Path) -> None:
    target = tmp_path / "locked.pdf"
    target.write_bytes(_encrypted(user_password))
    assert b"/Encrypt" in target.read_bytes()
    if user_password:
        with pytest.raises(InputError, match="encrypted PDF"):
            read_document(target)
    else:
        assert "Annual report on government information disclosure." in read_document(target).normalized


def test_pdfium_is_called_only_under_its_lock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PDFium is not thread-safe: reading a text layer and rendering pages for OCR hold one lock; OCR itself (seconds
    a page) runs outside it."""
    import pypdfium2 as pdfium

    from extractor.documents import ocr, pdf
    from extractor.documents.common import PDFIUM_LOCK

    held: dict[str, list[bool]] = {"text page": [], "render": [], "ocr": []}
    read_page, render = pdf._chunks, pdfium.PdfPage.render

    def spy_page(textpage: object) -> object:
        held["text page"].append(PDFIUM_LOCK.locked())
        return read_page(textpage)

    def spy_render(page: object, **kwargs: object) -> object:
        held["render"].append(PDFIUM_LOCK.locked())
        return render(page, **kwargs)

    def engine(image: object) -> tuple[list[object], None]:
        held["ocr"].append(PDFIUM_LOCK.locked())
        return [], None

    monkeypatch.setattr(pdf, "_chunks", spy_page)
    monkeypatch.setattr(pdfium.PdfPage, "render", spy_render)
    monkeypatch.setattr(ocr, "_engine", lambda: engine)
    target = tmp_path / "table.pdf"
    target.write_bytes(_pdf_bytes(_latin_table, pages=2))
    read_document(target)
    ocr.ocr_pdf(target.read_bytes())
    assert held == {"text page": [True, True], "render": [True, True], "ocr": [False, False]}
    assert not PDFIUM_LOCK.locked()


# --------------------------------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("广州市人民政府2020年政府信息公开工作年度报告")
    document.add_paragraph("二、主动公开政府信息情况")
    table = document.add_table(rows=3, cols=4)
    table.cell(0, 0).merge(table.cell(0, 3)).text = "第二十条第（一）项"
    for r, values in enumerate(
        [["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"], ["规章", "8", "8", "239"]], 1
    ):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(2, 1).add_paragraph("")  # an empty second paragraph must not split the row
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    target = tmp_path / "report.docx"
    document.save(str(target))
    doc = read_document(target)
    assert doc.kind == "docx"
    assert doc.normalized.split("\n") == [
        "广州市人民政府2020年政府信息公开工作年度报告",
        "二、主动公开政府信息情况",
        "第二十条第(一)项\t\t\t",
        "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量",
        "规章\t8\t8\t239",
        "三、收到和处理政府信息公开申请情况",
    ]


# --------------------------------------------------------------------------------------------------------------------
# HTML held in a text file
# --------------------------------------------------------------------------------------------------------------------

_PAGE_ROWS = "".join(f'<tr><td>行{i}</td><td colspan="2">{i}</td><td>{i * 2}</td></tr>' for i in range(12))
_PAGE = f"<p>一、总体情况</p><p>本机关全年主动公开政府信息35条。</p><table>{_PAGE_ROWS}</table>"


@pytest.mark.parametrize(
    ("wrapper", "suffix"),
    [
        (lambda html: html, ".txt"),  # the page's HTML saved as text
        (lambda html: 'var a = 1;\nlet content = "' + html.replace('"', '\\"') + '"\nlet b = [];\n', ".js"),
        (lambda html: '{"title": "x", "content": "' + html.replace('"', '\\"').replace("/", "\\/") + '"}', ".json"),
    ],
    ids=["html-in-txt", "javascript-string", "json-string"],
)
def test_html_held_in_a_text_file_is_read_as_html(wrapper: Callable[[str], str], suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"page{suffix}"
    path.write_text(wrapper(_PAGE), encoding="utf-8")
    doc = read_document(path)
    assert doc.kind == "html"
    assert "<" not in doc.original and "\\" not in doc.original
    assert "本机关全年主动公开政府信息35条。" in doc.original
    assert "行3\t3\t\t6" in doc.original  # table cells apart, the colspan's empty column kept


def test_a_few_angle_brackets_in_prose_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("一、总体情况\n收到申请<10件，其中<p>标记说明。\n", encoding="utf-8")
    assert read_document(path).kind == "txt"


def test_markdown_table_rows_become_tab_rows() -> None:
    """PDF/OCR-to-markdown conversions: "| a | b |" reads as "a<TAB>b" (as an HTML row), the rule line goes, and
    every normalized char still maps back to the original."""
    md = "## 表二\n\n| 信息内容 | 本年新 | 对外公开总数量 |\n|---|:---:|---|\n|  | 制作数量 |  |\n| 规章 | 13 | 524 |\n\n正文 | 不是表格\n"
    text, offsets = normalize(md)
    assert "信息内容\t本年新\t对外公开总数量\n\t制作数量\t\n规章\t13\t524\n" in text
    assert "---" not in text and "正文 | 不是表格" in text
    for i, ch in enumerate(text):
        if ch not in "\t\n":
            assert md[offsets[i]] == ch
