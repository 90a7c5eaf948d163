"""``extractor schemas``: rewrite the JSON Schemas in schemas/ from the models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..resources import data_dir
from ..schema_export import export


def schemas(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="where to write (default: the schemas/ folder)")
    ] = None,
) -> None:
    """Write the JSON Schema of the stored record and of each section kind to schemas/."""
    for path in export(directory or data_dir("schemas")):
        typer.echo(str(path))
