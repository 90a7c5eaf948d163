"""``extractor sections FILE``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..documents import read_document
from ..errors import NotAReportError
from ..pipeline import _section_info
from ..sections import looks_like_report, split_sections


def sections(
    file: Annotated[Path, typer.Argument(help="a report: .txt .html .pdf .docx")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON with keys template and sections")] = False,
) -> None:
    """Print a report's sections (kind, heading, character span, length) and its template kind."""
    doc = read_document(file)
    if not looks_like_report(doc.normalized):
        raise NotAReportError(file, "not a government information-disclosure annual report (none of its key terms)")
    split = split_sections(doc.normalized)
    infos = [_section_info(doc, s) for s in split.sections]
    if as_json:
        payload = {
            "template": split.template,
            "year": split.year,
            "sections": [i.model_dump() for i in infos],
            "missing": list(split.missing),
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{file.name}: template {split.template}, year {split.year or '?'}")
    for col in ("kind", "heading", "start", "end", "length"):
        table.add_column(col, justify="right" if col in ("start", "end", "length") else "left")
    for i in infos:
        table.add_row(i.kind, i.heading or "(implicit)", str(i.start), str(i.end), str(i.end - i.start))
    console = Console()
    console.print(table)
    if split.missing:
        console.print(f"[yellow]missing sections the template requires:[/] {', '.join(split.missing)}")
