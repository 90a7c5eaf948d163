"""``extractor export OUT`` (the panel's tables in CSV, Parquet or DuckDB) and ``extractor panel OUT`` (one body's
reports checked across years)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import OutputError
from ..panel import FORMATS, build_tables, check_panel, export, finding_rows, require, summary, write_panel_findings
from ..view import write_panel_page

Opt = typer.Option


def _folder(out: Path) -> Path:
    if not (out / "records.jsonl").is_file():
        raise OutputError(out, "no records.jsonl here: run extractor extract … -o this folder first")
    return out


def export_cmd(
    out: Annotated[Path, typer.Argument(help="an output folder of extractor extract")],
    fmt: Annotated[str, Opt("--format", "-f", help=f"{' | '.join(FORMATS)}")] = "csv",
    bom: Annotated[bool, Opt("--bom", help="CSV with a UTF-8 byte-order mark (for Excel)")] = False,
    include_candidates: Annotated[
        bool, Opt("--include-candidates", help="also the model values the gate did not accept (status column)")
    ] = False,
    as_json: Annotated[bool, Opt("--json", help="the summary as one JSON line")] = False,
) -> None:
    """Rebuild the panel's tables (panel, values, items, codebook, findings) from OUT/records.jsonl."""
    if fmt not in FORMATS:  # a usage error (with the usage hint), before require() checks the library
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}", param_hint="--format")
    written = export(_folder(out), require(fmt), candidates=include_candidates, bom=bom)
    if as_json:
        typer.echo(json.dumps({"format": fmt, "files": [str(p) for p in written]}, ensure_ascii=False))
        return
    for path in written:
        typer.echo(f"wrote {path}")


def panel_cmd(
    out: Annotated[Path, typer.Argument(help="an output folder of extractor extract")],
    jump: Annotated[
        float, Opt("--jump", help="flag a headline count that changes more than this factor in a year")
    ] = 10.0,
    as_json: Annotated[bool, Opt("--json", help="the findings as JSON")] = False,
) -> None:
    """Check each body's consecutive years: carry-over, documents in force, jumps, two reports for one year."""
    if not jump > 1:
        raise typer.BadParameter("must be more than 1", param_hint="--jump")
    findings = check_panel(build_tables(_folder(out)), jump=jump)
    path = write_panel_findings(out, findings)
    page = write_panel_page(out, finding_rows(findings))
    if as_json:
        typer.echo(json.dumps({**summary(findings), "file": str(path), "page": str(page)}, ensure_ascii=False))
        return
    for f in findings:
        typer.echo(f"{f.severity}: {f.check}: {f.message}")
    typer.echo(f"{len(findings)} finding(s); wrote {path} and {page} (each report's view shows its own)")
