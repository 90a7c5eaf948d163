""".docx files: paragraphs and tables in document order."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from extractor.errors import InputError

from .html import _clean_lines, _join_wrapped
from .text import _one_line

MAX_DOCX_XML_BYTES = 64 * 2**20  # the text parts of a .docx, uncompressed (a zip bomb inflates to gigabytes)


def _read_docx(path: Path, raw: bytes) -> tuple[str, str | None]:
    import docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            inflated = sum(i.file_size for i in archive.infolist() if i.filename.endswith((".xml", ".rels")))
    except zipfile.BadZipFile as e:
        raise InputError(path, f"damaged DOCX: {e}") from e
    if inflated > MAX_DOCX_XML_BYTES:
        raise InputError(
            path, f"DOCX text inflates to {inflated / 2**20:.0f} MB, over the {MAX_DOCX_XML_BYTES // 2**20} MB limit"
        )
    try:
        document = docx.Document(io.BytesIO(raw))
        blocks = [_docx_table(item) if isinstance(item, Table) else item.text for item in document.iter_inner_content()]
    except Exception as e:  # python-docx raises zip, XML and key errors alike for a damaged file
        raise InputError(path, f"damaged DOCX: {_one_line(str(e)) or type(e).__name__}") from e
    text = _clean_lines("\n".join(blocks))
    if not text.strip():
        raise InputError(path, "no text in the DOCX document")
    return text, None


def _docx_table(table: Any) -> str:
    rows: list[str] = []
    seen: set[Any] = set()  # a merged cell comes once per grid column/row it covers: print it once
    for row in table.rows:
        cells = [""] * row.grid_cols_before
        for cell in row.cells:
            element = cell._tc  # the <w:tc> element; the _Cell proxies are new objects each time
            cells.append("" if element in seen else _join_wrapped(p.text for p in cell.paragraphs).replace("\t", " "))
            seen.add(element)
        rows.append("\t".join(cells))
    return "\n".join(rows)
