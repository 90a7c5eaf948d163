"""Names the readers share."""

from __future__ import annotations

import threading
from typing import Literal

Kind = Literal["txt", "html", "pdf", "docx"]
Script = Literal["simplified", "traditional"]


class OverLimit(Exception):
    """A reader stopped at one of its limits; read_document names the file."""


class NeedsOcr(Exception):
    """A PDF has no text layer: its pages must be read by OCR."""


# PDFium is not thread-safe: every call into it (reading text layers, rendering pages for OCR) holds this lock.
PDFIUM_LOCK = threading.Lock()
