"""``extractor view OUT_DIR REPORT``: one report's extraction as a self-contained HTML page."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from ..view import write_view


def view(
    out_dir: Annotated[Path, typer.Argument(help="an output folder of `extractor extract` (holds records.jsonl)")],
    report: Annotated[str, typer.Argument(help="the report's name (its file stem); a unique prefix will do")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="the HTML file to write (default: OUT_DIR/view/REPORT.html)")
    ] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="open the page in the default browser")] = False,
) -> None:
    """Write an HTML view of one report: its text with every extracted value highlighted, and the failed checks."""
    path = write_view(out_dir, report, output)
    typer.echo(str(path))
    if open_browser:
        webbrowser.open(path.resolve().as_uri())
