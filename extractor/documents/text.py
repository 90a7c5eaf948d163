"""Text files: strict decoding (BOM, UTF-8, BOM-less UTF-16, detected legacy encodings), and HTML held in text."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from extractor.errors import InputError

from .normalization import _CJK

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Detected legacy encodings -> the superset codec to decode with (a GBK file may hold GB18030-only chars).
_SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "gb18030": ("gb18030",),
    "hz": ("gb18030",),
    "big5": ("cp950", "big5hkscs"),
    "cp950": ("cp950", "big5hkscs"),
    "big5hkscs": ("big5hkscs",),
}
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")


_STRAY_NULS = 8


def _decode_text(path: Path, raw: bytes) -> tuple[str, str]:
    """Decode bytes strictly: BOM, then UTF-8, then BOM-less UTF-16, then detection. Never guesses with U+FFFD."""
    text, encoding = _decode_guess(path, raw)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError(path, "empty file")
    bad = len(_CONTROL_RE.findall(text))
    if bad > max(2, len(text) // 200):
        raise InputError(path, f"undetectable or mixed text encoding ({bad} control characters after decoding)")
    return text, encoding


def _decode_guess(path: Path, raw: bytes) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return _decode(raw, codec)
            except UnicodeDecodeError:
                raise InputError(path, f"undetectable or mixed text encoding (invalid {codec} after its BOM)") from None
    if b"\x00" in raw:  # no text encoding but UTF-16/32 has NUL bytes
        utf16 = _utf16_without_bom(raw)
        if utf16 is not None:
            return utf16
        if raw.count(b"\x00") <= _STRAY_NULS:  # a stray NUL (a copy's glitch) in otherwise valid UTF-8 text
            try:
                return _decode(raw.replace(b"\x00", b""), "utf-8")
            except UnicodeDecodeError:
                pass
        raise InputError(path, "binary file, not text")
    try:
        return _decode(raw, "utf-8")
    except UnicodeDecodeError:
        pass
    return _detect_legacy(path, raw)


def _utf16_without_bom(raw: bytes) -> tuple[str, str] | None:
    """UTF-16LE/BE without a BOM: its ASCII chars (newlines, digits) put NULs on one side of the byte pairs."""
    if len(raw) % 2:
        return None
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    if max(even, odd) < len(raw) // 2 * 0.02 or max(even, odd) < 3 * min(even, odd):
        return None
    try:
        text, codec = _decode(raw, "utf-16-le" if odd > even else "utf-16-be")
    except UnicodeDecodeError:
        return None
    # Random binary also decodes as UTF-16; real text is mostly ASCII, CJK and CJK punctuation.
    plausible = len(_PLAUSIBLE_RE.findall(text))
    return (text, codec) if plausible >= 0.9 * len(text) else None


_PLAUSIBLE_RE = re.compile(f"[\t\n\r\x20-\x7e\u00a0-\u00ff\u2000-\u206f\u3000-\u303f\uff00-\uffef{_CJK}]")


def _detect_legacy(path: Path, raw: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw))
    # These are Chinese reports: on short texts the detector ranks Korean or Japanese codecs level with GBK/Big5.
    chosen = next((m for m in matches if _codec_key(m.encoding) in _SUPERSETS), matches[0] if matches else None)
    if chosen is None:
        raise InputError(path, "undetectable or mixed text encoding")
    detected = _codec_key(chosen.encoding)
    for codec in (*_SUPERSETS.get(detected, ()), detected):
        try:
            return _decode(raw, codec)
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError(path, f"undetectable or mixed text encoding (not valid {detected})")


def _decode(raw: bytes, codec: str) -> tuple[str, str]:
    """Strict decoding; the codec under its canonical Python name ("utf-8", "gb18030", "cp950", "utf-16-le")."""
    return raw.decode(codec), codecs.lookup(codec).name


def _codec_key(name: str) -> str:
    key = name.lower().replace("-", "_")
    return {"big5_hkscs": "big5hkscs", "gb_2312": "gb2312", "x_gbk": "gbk"}.get(key, key)


def _one_line(message: str) -> str:
    return " ".join(message.split())[:200]


# HTML markup inside a text file: enough block tags to be a page, not a stray "<" in prose.
_HTML_TAG_RE = re.compile(r"<(?:p|td|tr|table|br|div|span|th)\b[^<>]{0,400}>|</(?:p|td|tr|table|div|span|th)>", re.I)
_MIN_HTML_TAGS = 20
# A JavaScript/JSON string literal: "…" or '…' with backslash escapes (kept to one line, as a literal must be).
_JS_STRING_RE = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'')
_JS_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "", "f": "", "v": "", "0": ""}


def embedded_html(text: str) -> str | None:
    """The HTML a text file holds, or None. Markup in a JavaScript string (``let content = "<p>…"``) is unquoted and
    unescaped first; markup in the text itself is taken as it is."""
    if len(_HTML_TAG_RE.findall(text[:200_000])) < _MIN_HTML_TAGS:
        return None
    literals = [m.group(1) if m.group(1) is not None else m.group(2) for m in _JS_STRING_RE.finditer(text)]
    marked = [s for s in literals if len(_HTML_TAG_RE.findall(s)) >= _MIN_HTML_TAGS]
    if not marked:
        return text
    return "\n".join(_JS_ESCAPE_RE.sub(_unescape_js, s) for s in marked)


def _unescape_js(m: re.Match[str]) -> str:
    code = m.group(1)
    if len(code) > 1:
        return chr(int(code[1:], 16))
    return _JS_ESCAPES.get(code, code)
