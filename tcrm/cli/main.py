"""The ``tcrm`` command: global options, sub-commands, and the one error boundary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tcrm import __version__
from tcrm.cli import state as cli_state
from tcrm.cli.state import err, state
from tcrm.errors import TcrmError

app = typer.Typer(
    name="tcrm",
    help="A CRM for people who live in the terminal: YAML records in a git repository.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"tcrm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace directory (default: $TCRM_WORKSPACE, else found from the "
            "current directory upwards, like git).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """A CRM for people who live in the terminal: YAML records in a git repository."""
    state(ctx).workspace_arg = workspace


COMMAND_MODULES = (
    "workspace_cmds",
    "client_cmds",
    "deal_cmds",
    "task_cmds",
    "activity_cmds",
    "planner_cmds",
    "search_cmds",
    "team_cmds",
    "report_cmds",
    "io_cmds",
    "ics_cmds",
    "tui_cmds",
    "dev_cmds",
)


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"tcrm.cli.{name}").register(app)


_register()


def _is_tty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def default_args(argv: list[str] | None) -> list[str] | None:
    """Bare ``tcrm`` on a terminal opens the TUI; piped or in a script it prints the help."""
    args = sys.argv[1:] if argv is None else argv
    if not args and _is_tty(sys.stdin) and _is_tty(sys.stdout):
        return ["tui"]
    return argv


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every ``TcrmError`` becomes one line on stderr and an exit code."""
    code: int | str | None = 0
    cli_state.current = None
    try:
        app(args=default_args(argv), prog_name="tcrm")
    except SystemExit as exc:  # how click ends every command, with its exit code
        code = exc.code
    except TcrmError as exc:
        err.print(f"tcrm: error: {exc}", markup=False)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        sys.stderr.close()
    current = cli_state.current
    if current is not None and current._ws is not None:
        for warning in current._ws.warnings:
            err.print(f"tcrm: warning: {warning}", markup=False)
    sys.exit(code)
