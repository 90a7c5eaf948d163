"""The ``extractor`` command. Each sub-app lives in its own module; commands parse options, call the library,
render. Expected failures print one line and exit non-zero, never a traceback."""

from __future__ import annotations

import sys

import click
import typer

from ..errors import ExtractorError
from . import cache_cmd, eval_cmd, extract_cmd, model_cmd, schemas_cmd, sections_cmd, view_cmd

app = typer.Typer(
    name="extractor",
    help="Structured extraction of China's government information-disclosure annual reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("sections")(sections_cmd.sections)
app.command("extract")(extract_cmd.extract)
app.command("schemas")(schemas_cmd.schemas)
app.command("view")(view_cmd.view)
app.add_typer(model_cmd.app, name="model")
app.add_typer(cache_cmd.app, name="cache")
app.add_typer(eval_cmd.app, name="eval")


_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> None:
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="extractor", standalone_mode=False)
    except ExtractorError as e:
        print(f"error: {e.one_line()}", file=sys.stderr)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:  # Ctrl-C outside Typer's own handling
        code = _INTERRUPTED
    if code == _INTERRUPTED:  # Typer turns Ctrl-C into Exit(130), which comes back as the return value
        print("interrupted; rerun the same command to resume", file=sys.stderr)
    if isinstance(code, int) and code:  # outside standalone mode, typer.Exit(code) comes back as a return value
        sys.exit(code)
