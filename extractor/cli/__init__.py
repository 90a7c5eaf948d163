"""The ``extractor`` command. Each sub-app lives in its own module; commands parse options, call the library,
render. Expected failures print one line and exit non-zero, never a traceback."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Annotated, Any

import typer

from .. import __version__
from ..errors import ExtractorError
from . import cache_cmd, eval_cmd, extract_cmd, model_cmd, panel_cmd, schemas_cmd, sections_cmd, view_cmd

app = typer.Typer(
    name="extractor",
    help="Structured extraction of China's government information-disclosure annual reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"extractor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Structured extraction of China's government information-disclosure annual reports."""


app.command("sections")(sections_cmd.sections)
app.command("extract")(extract_cmd.extract)
app.command("schemas")(schemas_cmd.schemas)
app.command("view")(view_cmd.view)
app.command("export")(panel_cmd.export_cmd)
app.command("panel")(panel_cmd.panel_cmd)
app.add_typer(model_cmd.app, name="model")
app.add_typer(cache_cmd.app, name="cache")
app.add_typer(eval_cmd.app, name="eval")


_INTERRUPTED = 130


_USAGE = 2


def _terminate(signum: int, frame: object) -> None:
    from ..bulk import STOP

    STOP.set()  # heard by the run's loop even when the raise below lands where Python drops it
    raise KeyboardInterrupt  # SIGTERM ends a run as Ctrl-C does: files closed, temp files removed, exit 130


def main(argv: list[str] | None = None) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="extractor", standalone_mode=False)
    except ExtractorError as e:
        print(f"error: {e.one_line()}", file=sys.stderr)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:  # Ctrl-C outside Typer's own handling
        code = _INTERRUPTED
    except Exception as e:
        # click's exceptions, whichever copy of click raised them: typer >= 0.22 vendors its own (typer._click), so
        # they are recognised by their names and attributes, never by importing one click's classes.
        kind = _click_kind(e)
        if kind is None:
            raise
        code = _click_exit(e, kind)
    if code == _INTERRUPTED:  # Typer turns Ctrl-C into Exit(130), which comes back as the return value
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        if threading.active_count() > 1:
            # a model call still runs in a worker thread (HTTP, or the embedded llama.cpp server): the interpreter
            # would wait for it at exit, minutes for a slow model; every record and file is already closed
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(_INTERRUPTED)
    if isinstance(code, int) and code:  # outside standalone mode, typer.Exit(code) comes back as a return value
        sys.exit(code)


def _click_kind(e: BaseException) -> str | None:
    names = {cls.__name__ for cls in type(e).__mro__ if "click" in cls.__module__}
    for kind in ("Exit", "Abort", "NoArgsIsHelpError", "UsageError", "ClickException"):
        if kind in names:
            return kind
    return None


def _click_exit(e: Any, kind: str) -> int:
    """One line for a usage mistake, then where to look; never a traceback."""
    if kind == "Exit":
        return int(getattr(e, "exit_code", 0) or 0)
    if kind == "Abort":  # click's word for Ctrl-C (and EOF at a prompt): the interrupted message follows
        return _INTERRUPTED
    ctx = getattr(e, "ctx", None)
    path = getattr(ctx, "command_path", None) or "extractor"
    if kind == "NoArgsIsHelpError":
        print(f"error: {path}: no command given", file=sys.stderr)
    else:
        message = e.format_message() if hasattr(e, "format_message") else str(e)
        print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    if kind in ("NoArgsIsHelpError", "UsageError"):
        print(f"usage: see '{path} --help'", file=sys.stderr)
        return _USAGE
    return int(getattr(e, "exit_code", 1) or 1)
