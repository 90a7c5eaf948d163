"""``extractor cache stats|clear``."""

from __future__ import annotations

import typer

from ..cache import ResponseCache, clear_directory

app = typer.Typer(help="Inspect or clear the model-response cache.", no_args_is_help=True)


@app.command("stats")
def stats() -> None:
    """Entries, size and stored token usage of the response cache."""
    cache = ResponseCache()
    info = cache.stats()
    cache.close()
    for key, value in info.items():
        typer.echo(f"{key}: {value}")


@app.command("clear")
def clear() -> None:
    """Delete every cached model response."""
    removed = clear_directory()
    typer.echo("removed the damaged cache" if removed < 0 else f"removed {removed} entries")
