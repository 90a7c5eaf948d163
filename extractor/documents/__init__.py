"""Read a report file into a :class:`Document`: the text as read, and the normalized view every parser matches.

The two texts are linked by an offset map, so a match found in ``normalized`` can be quoted from ``original``::

    doc = read_document("report.pdf")
    m = re.search(r"本年新收.*?(\\d+)", doc.normalized)
    doc.original_quote(*m.span())          # the same words, as the report printed them

Reading turns every supported kind into plain text: ``.txt`` (encoding detected), ``.html``/``.htm`` (page chrome
dropped, tables as TAB-separated rows), ``.pdf`` (text layer, page numbers and running headers dropped, table cells
TAB-separated) and ``.docx`` (paragraphs and tables in document order). A file that cannot be read raises
:class:`~extractor.errors.InputError` with a one-line reason; no other exception type escapes :func:`read_document`.

The package holds one reader per format behind one table of suffixes (:data:`SUFFIXES`, used for a single file and
for a folder's files alike): :mod:`.text` (encodings, and HTML held in a text or JavaScript file), :mod:`.html`,
:mod:`.pdf`, :mod:`.docx`; :mod:`.normalization` makes the normalized view and its offset map.

Normalization (:func:`normalize`) keeps, for every normalized character, the index of the character it came from:

1. traditional script → simplified (OpenCC's Taiwan tables plus :data:`TW_PHRASES`, so 入口網站 becomes 门户网站),
   only when the text is traditional;
2. full-width ASCII → half-width (``（一）`` → ``(一)``, ``１２３`` → ``123``); CJK punctuation such as 、。“” stays;
3. ``\\r\\n``/``\\r`` → ``\\n``, no-break and ideographic spaces → space, and spaces between a digit and a CJK
   character dropped (``2020 年`` → ``2020年``); tabs and newlines are never touched;
4. lines that are only web or wiki chrome (:data:`NOISE_LINES`) are deleted.
"""

from __future__ import annotations

import hashlib
import re
import stat
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from extractor.config import OCR_MODES, OcrMode
from extractor.errors import InputError

from .common import Kind, NeedsOcr, OverLimit, Script
from .docx import MAX_DOCX_XML_BYTES, _read_docx
from .html import MAX_TABLE_CELLS, NAV_WORDS, _html_text, _read_html
from .normalization import NOISE_LINES, TW_PHRASES, NoiseRule, _identity, _normalize, detect_script, normalize
from .pdf import _read_pdf, join_pages, page_texts, read_pdf_pages
from .text import _decode_text, _one_line, embedded_html

__all__ = [
    "MAX_DOCX_XML_BYTES",
    "MAX_INPUT_BYTES",
    "MAX_TABLE_CELLS",
    "NAV_WORDS",
    "NOISE_LINES",
    "OCR_MODES",
    "SUFFIXES",
    "SUPPORTED_TEXT",
    "TW_PHRASES",
    "Document",
    "Kind",
    "NoiseRule",
    "OcrMode",
    "Script",
    "detect_script",
    "embedded_html",
    "normalize",
    "raw_text",
    "read_document",
    "read_text",
    "supported",
]


@dataclass(frozen=True)
class Document:
    """One report: the text as read, its normalized view and the map between them."""

    path: Path
    kind: Kind
    encoding: str | None
    original: str
    normalized: str
    script: Script
    sha256: str
    # For every normalized char, its index in `original`. None means the identity (normalized == original).
    offsets: array[int] | None = field(default=None, repr=False, compare=False)
    # OCR: whether the text was read by OCR, and the (start, end, score) spans of `original` it read with a low score
    ocr: bool = False
    doubtful: tuple[tuple[int, int, float], ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.offsets is None:
            if len(self.normalized) != len(self.original):
                raise ValueError("Document without offsets needs normalized and original of the same length")
            object.__setattr__(self, "offsets", _identity(len(self.normalized)))
        elif len(self.offsets) != len(self.normalized):
            raise ValueError("offsets must hold one index per normalized character")

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that the normalized span [start, end) came from."""
        offsets = self.offsets
        assert offsets is not None  # set in __post_init__
        if not 0 <= start <= end <= len(offsets):
            raise ValueError(f"span [{start}, {end}) is outside the normalized text (length {len(offsets)})")
        if start == end:
            # An empty span sits before the char at `start`, or after the last char at the end of the text.
            pos = offsets[start] if start < len(offsets) else (offsets[-1] + 1 if offsets else 0)
            return pos, pos
        return offsets[start], offsets[end - 1] + 1

    def original_quote(self, start: int, end: int) -> str:
        """The original text of the normalized span [start, end), for evidence quotes."""
        a, b = self.to_original(start, end)
        return self.original[a:b]


# --------------------------------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------------------------------

# The one table of file types, for a single file and for the files of a folder alike.
SUFFIXES: dict[str, Kind] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "txt",  # PDF/OCR-to-markdown conversions
    ".markdown": "txt",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",  # server-side-include pages, common on government sites
    ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
SUPPORTED_TEXT = ", ".join(SUFFIXES)


def supported(path: Path) -> bool:
    """Whether a folder's file is read as a report: by its suffix, as :func:`read_document` reads it."""
    return path.suffix.lower() in SUFFIXES


def read_document(path: Path | str, *, ocr: OcrMode = "auto") -> Document:
    """Read a report file of any supported kind. Raises InputError with a one-line reason when it cannot.

    ``ocr``: a PDF without a text layer is read by OCR (``auto``), refused (``never``), or every PDF is (``always``).
    """
    p = Path(path)
    raw = _read_bytes(p)
    kind = _kind_of(p, raw)
    if kind == "pdf" and ocr != "never":
        try:
            if ocr == "always":
                raise NeedsOcr
            pages, scanned = read_pdf_pages(p, raw)
        except NeedsOcr:
            return _ocr_document(p, raw)
        if scanned:
            return _mixed_document(p, raw, pages, scanned)
        return _document(p, kind, None, join_pages(pages), hashlib.sha256(raw).hexdigest())
    try:
        original, encoding = _READERS[kind](p, raw)
        if kind == "txt" and (embedded := embedded_html(original)) is not None:
            # a page's HTML saved as text, or held in a JavaScript string: read as the page it is
            kind, original = "html", _html_text(p, embedded)
    except InputError:
        raise
    except NeedsOcr:
        raise InputError(p, "PDF has no text layer; it needs OCR first (--ocr auto)") from None
    except OverLimit as e:
        raise InputError(p, str(e)) from None
    except Exception as e:  # the boundary: whatever a parser library raises on a bad file becomes an InputError
        raise InputError(p, f"cannot read as {kind}: {type(e).__name__}: {_one_line(str(e))}") from e
    return _document(p, kind, encoding, original, hashlib.sha256(raw).hexdigest())


def raw_text(path: Path | str) -> str:
    """A file's own text before any reading of its markup: the decoded characters of a text or HTML file, the
    extracted text of a PDF or .docx. Gold quotes are checked against it, so they do not move when a reader changes."""
    p = Path(path)
    raw = _read_bytes(p)
    kind = _kind_of(p, raw)
    if kind in ("pdf", "docx"):
        return read_document(p, ocr="never").original  # a scan's text is OCR's reading, not the file's own
    return _decode_text(p, raw)[0]


def read_text(text: str, path: Path | str = "<text>") -> Document:
    """Run the normalization pipeline on an in-memory text (kind "txt")."""
    if not text.strip():
        raise InputError(path, "empty text")
    return _document(Path(path), "txt", None, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _ocr_document(path: Path, raw: bytes) -> Document:
    from .ocr import OcrUnavailable, ocr_pdf

    try:
        original, doubtful = ocr_pdf(raw)
    except OcrUnavailable as e:
        raise InputError(path, f"PDF has no text layer; it needs OCR first: {e}") from None
    except Exception as e:  # the boundary, as for every reader
        raise InputError(path, f"OCR failed: {type(e).__name__}: {_one_line(str(e))}") from e
    if not original.strip():
        raise InputError(path, "PDF has no text layer, and OCR found no text on its pages")
    doc = _document(path, "pdf", None, original, hashlib.sha256(raw).hexdigest())
    return replace(doc, ocr=True, doubtful=tuple(doubtful))


def _mixed_document(path: Path, raw: bytes, pages: list[list[str]], scanned: list[int]) -> Document:
    """A text PDF with scanned pages in it: the text layer where there is one, OCR's reading of the scanned pages
    (the whole document then counts as read by OCR: identities broken anywhere make candidates, not values)."""
    from .ocr import OcrUnavailable, ocr_pages

    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        read = ocr_pages(raw, scanned)
    except OcrUnavailable:
        return _document(path, "pdf", None, join_pages(pages), sha256)  # the text layer alone, as with --ocr never
    except Exception as e:  # the boundary, as for every reader
        raise InputError(path, f"OCR failed: {type(e).__name__}: {_one_line(str(e))}") from e
    spans_of = dict(zip(scanned, (spans for _, spans in read), strict=True))
    texts = page_texts(pages, {k: text for k, (text, _) in zip(scanned, read, strict=True)})
    doubtful: list[tuple[int, int, float]] = []
    at = 0  # where page k's text starts in the joined text
    for k, text in enumerate(texts):
        doubtful.extend((at + a, at + b, score) for a, b, score in spans_of.get(k, ()))
        at += len(text) + 1
    original = "\n".join(texts)
    doc = _document(path, "pdf", None, original, sha256)
    return replace(doc, ocr=True, doubtful=tuple(doubtful))


def _document(path: Path, kind: Kind, encoding: str | None, original: str, sha256: str) -> Document:
    normalized, offsets, script = _normalize(original)
    if not normalized.strip():
        raise InputError(path, "only web-page chrome, no report text")
    return Document(path, kind, encoding, original, normalized, script, sha256, offsets)


MAX_INPUT_BYTES = 200 * 2**20  # a report is kilobytes to a few megabytes; a scan-heavy PDF tens of megabytes


def _read_bytes(path: Path) -> bytes:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from None
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        raise InputError(path, "not a regular file (a pipe, device or socket)")
    if info.st_size > MAX_INPUT_BYTES:
        raise InputError(path, f"{info.st_size / 2**20:.0f} MB is over the {MAX_INPUT_BYTES // 2**20} MB input limit")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, expected a file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as e:
        if path.is_dir():
            raise InputError(path, "is a directory, expected a file") from None
        raise InputError(path, f"cannot read: {e.strerror or e}") from None
    if not raw.strip():
        raise InputError(path, "empty file")
    return raw


def _kind_of(path: Path, raw: bytes) -> Kind:
    """The kind named by the suffix; for an unknown suffix, what the bytes look like."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is not None:
        return kind
    head = raw[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04") and b"word/" in raw[:65536]:
        return "docx"
    try:
        text, _ = _decode_text(path, raw)
    except InputError as e:
        raise InputError(
            path, f"unsupported file type ({SUPPORTED_TEXT}), and not readable as text: {e.reason}"
        ) from None
    return "html" if re.match(r"\s*<(?:!doctype html|html|head|body)\b", text[:2048], re.IGNORECASE) else "txt"


_READERS: dict[Kind, Callable[[Path, bytes], tuple[str, str | None]]] = {
    "txt": _decode_text,
    "html": _read_html,
    "pdf": _read_pdf,
    "docx": _read_docx,
}
