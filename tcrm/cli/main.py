"""The ``tcrm`` command: global options, sub-commands, and the one error boundary."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.models
from typer.core import TyperArgument, TyperGroup, TyperOption

from tcrm import __version__
from tcrm.cli import state as cli_state
from tcrm.cli.state import state
from tcrm.cli.terminal import err
from tcrm.errors import TcrmError, skipped_summary

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
    allow_detached: Annotated[
        bool,
        typer.Option(
            "--allow-detached",
            help="Commit on a detached HEAD (refused otherwise: no branch would hold the "
            "commit). Also: TCRM_ALLOW_DETACHED=1.",
        ),
    ] = False,
    commit_hand_edits: Annotated[
        bool,
        typer.Option(
            "--commit-hand-edits",
            help="When a file the command changes has uncommitted edits, commit them first "
            "as their own commit (refused otherwise). Also: TCRM_COMMIT_HAND_EDITS=1.",
        ),
    ] = False,
) -> None:
    """A CRM for people who live in the terminal: YAML records in a git repository."""
    current = state(ctx)
    current.workspace_arg = workspace
    current.allow_detached = allow_detached
    current.commit_hand_edits = commit_hand_edits


COMMAND_MODULES = (
    "workspace_cmds",
    "client_cmds",
    "deal_cmds",
    "task_cmds",
    "activity_cmds",
    "mail_cmds",
    "survey_cmds",
    "planner_cmds",
    "status_cmds",
    "search_cmds",
    "kb_cmds",
    "hooks_cmds",
    "team_cmds",
    "access_cmds",
    "people_cmds",
    "privacy_cmds",
    "report_cmds",
    "io_cmds",
    "export_cmds",
    "bulk_cmds",
    "ics_cmds",
    "index_cmds",
    "tui_cmds",
    "dev_cmds",
)
"""Every command module, in the order of ``tcrm --help`` (and of the completions)."""

COMMANDS: dict[str, str] = {
    "init": "workspace_cmds",
    "check": "workspace_cmds",
    "schema": "workspace_cmds",
    "client": "client_cmds",
    "deal": "deal_cmds",
    "pipeline": "deal_cmds",
    "task": "task_cmds",
    "log": "activity_cmds",
    "activity": "activity_cmds",
    "mail": "mail_cmds",
    "survey": "survey_cmds",
    "today": "planner_cmds",
    "remind": "planner_cmds",
    "status": "status_cmds",
    "search": "search_cmds",
    "help": "search_cmds",
    "kb": "kb_cmds",
    "hooks": "hooks_cmds",
    "sync": "team_cmds",
    "clone": "team_cmds",
    "remote": "team_cmds",
    "history": "team_cmds",
    "undo": "team_cmds",
    "docs": "team_cmds",
    "conflicts": "team_cmds",
    "resolve": "team_cmds",
    "merge-driver": "team_cmds",
    "verify": "access_cmds",
    "team": "people_cmds",
    "forget": "privacy_cmds",
    "rekey": "privacy_cmds",
    "report": "report_cmds",
    "import": "io_cmds",
    "export": "export_cmds",
    "dedupe": "bulk_cmds",
    "ics": "ics_cmds",
    "index": "index_cmds",
    "tui": "tui_cmds",
    "dev": "dev_cmds",
}
"""Top-level command -> the module that registers it (tests/test_startup.py holds this to
the real registrations). A command imports only its own module, so ``tcrm task list``
never pays for Textual, icalendar or the report engine."""

NEEDS = {"bulk_cmds": ("client_cmds", "deal_cmds", "task_cmds")}
"""bulk_cmds adds ``update`` to these groups, so they must be registered first."""

DESCRIBE_OTHERS = frozenset({"help"})
"""Commands that describe the others: they need every command registered."""

COMPLETE_VAR = "_TCRM_COMPLETE"
"""Typer's shell-completion request (see completions/): it may ask about any command."""

_registered: set[str] = set()


def _name(info: typer.models.CommandInfo | typer.models.TyperInfo) -> str:
    """The name a command or group is invoked by (Typer derives it from the function)."""
    if info.name:
        return info.name
    callback = getattr(info, "callback", None)
    return callback.__name__.lower().replace("_", "-") if callback else ""


def _top_level(typer_app: typer.Typer) -> dict[str, typer.Typer | None]:
    """Name -> sub-Typer (None for a plain command) of what ``typer_app`` has registered."""
    names: dict[str, typer.Typer | None] = {_name(c): None for c in typer_app.registered_commands}
    names.update({_name(g): g.typer_instance for g in typer_app.registered_groups})
    return names


def register(modules: Iterable[str]) -> None:
    """Register these command modules on ``app`` (each once, with what they build on), and
    keep the registrations in the order of COMMAND_MODULES, whatever order they came in."""
    wanted = set(modules)
    wanted.update(need for name in list(wanted) for need in NEEDS.get(name, ()))
    present = _top_level(app)
    for module in COMMAND_MODULES:
        if module not in wanted or module in _registered:
            continue
        # registered by hand already (a test fixture may): registering twice would duplicate
        if not any(COMMANDS[n] == module for n in present if n in COMMANDS):
            importlib.import_module(f"tcrm.cli.{module}").register(app)
        _registered.add(module)
    rank = {module: i for i, module in enumerate(COMMAND_MODULES)}

    def order(info: typer.models.CommandInfo | typer.models.TyperInfo) -> int:
        return rank.get(COMMANDS.get(_name(info), ""), len(rank))

    app.registered_commands.sort(key=order)
    app.registered_groups.sort(key=order)


def register_all() -> None:
    """Every command, as ``tcrm --help`` and the completion scripts show them."""
    register(COMMAND_MODULES)


def _invoked(args: Sequence[str]) -> tuple[str | None, str | None]:
    """The command word of ``args`` and the word after it, past the global options.

    ``("--version", None)`` when ``--version`` comes first (it exits before any command
    runs); ``(None, None)`` for anything else that needs every command: no command, or an
    option other than ``-w``/``--workspace`` (``--help``, ``--show-completion``...).
    """
    words = iter(args)
    for arg in words:
        if arg in ("-w", "--workspace"):
            next(words, None)
        elif arg.startswith("--workspace=") or (arg.startswith("-w") and arg != "-w"):
            continue
        elif arg == "--version":
            return arg, None
        elif arg.startswith("-"):
            return None, None
        else:
            return arg, next(words, None)
    return None, None


def register_for(args: Sequence[str]) -> None:
    """Register what ``tcrm ARGS`` runs: its command's module only, when that is enough.

    Everything is registered for help, completion, ``tcrm help``, an unknown command (so
    Typer's suggestions still see every name), and a group without one of its commands
    (``tcrm client``, ``tcrm task --help``: the group's help lists commands other modules
    add, such as ``update``).
    """
    command, sub = (None, None) if COMPLETE_VAR in os.environ else _invoked(args)
    if command == "--version":
        return
    if command is None or command in DESCRIBE_OTHERS or command not in COMMANDS:
        register_all()
        return
    register([COMMANDS[command]])
    group = _top_level(app).get(command)
    if group is not None and (sub is None or sub not in _top_level(group)):
        register_all()


_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.")


def first_sentence(help_text: str) -> str:
    """The first sentence of a help text's first paragraph, whole: what a command list
    shows for it (Click's default cuts it at 45 characters or so, mid-sentence, with
    "..."). A full stop inside parentheses or after "e.g." ends no sentence."""
    paragraph = help_text.strip().split("\n\n", 1)[0]
    words = paragraph.replace("\b", " ").split()
    depth = 0
    taken: list[str] = []
    for word in words:
        taken.append(word)
        depth += word.count("(") - word.count(")")
        if depth <= 0 and word.endswith((".", "!", "?")) and word.lower() not in _ABBREVIATIONS:
            break
    return " ".join(taken)


PLACEHOLDERS = {
    "due": "WHEN",
    "since": "WHEN",
    "until": "WHEN",
    "note": "TEXT",
    "notes": "TEXT",
    "owner": "MEMBER",
    "assignee": "MEMBER",
    "author": "MEMBER",
    "tz": "ZONE",
    "timezone": "ZONE",
}
"""The placeholder of an option named so, when it gives none itself (else its name)."""


class _Argument(TyperArgument):
    """An argument listed by its placeholder alone (``REF``), without Typer's ``<str>``."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _one_style(param: object) -> None:
    """Every placeholder in one style, as the explicit ones are written: an upper-case
    word (``--due WHEN``, ``--client CLIENT``, ``--duration N``, ``REF``), never Typer's
    ``<str>``, ``<list[str]>`` or ``{ref}``."""
    if isinstance(param, TyperArgument):
        if param.metavar is None:
            name = (param.name or "value").upper().replace("_", "-")
            param.metavar = name + ("..." if param.nargs != 1 else "")
        param.__class__ = _Argument
        return
    if not isinstance(param, TyperOption) or param.is_flag or param.count:
        return
    if param.metavar is not None:
        return
    label = param.display_type(None)  # type: ignore[arg-type]
    name = (param.name or "").lower()
    if label in ("<int>", "<float>"):
        param.metavar = "N"
    elif label in ("<path>", "<file>"):
        param.metavar = "FILE" if name in ("output", "file") else "PATH"
    else:
        param.metavar = PLACEHOLDERS.get(name, name.upper().replace("_", "-") or "VALUE")


def _polish(command: object) -> None:
    """Each command's short help its whole first sentence; placeholders in one style."""
    if not getattr(command, "short_help", None) and getattr(command, "help", None):
        command.short_help = first_sentence(command.help)  # type: ignore[attr-defined]
    for param in getattr(command, "params", ()):
        _one_style(param)
    for sub in (getattr(command, "commands", None) or {}).values():
        _polish(sub)


def command() -> TyperGroup:
    """``app`` as the click command it runs as, help texts polished (``_polish``)."""
    built = typer.main.get_command(app)
    _polish(built)
    return built  # type: ignore[return-value]


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
    args = default_args(argv)
    words = sys.argv[1:] if args is None else args
    root: TyperGroup | None = None
    try:
        register_for(words)
        root = command()
        root(args=args, prog_name="tcrm")
    except SystemExit as exc:  # how click ends every command, with its exit code
        code = exc.code
    except TcrmError as exc:
        from tcrm.cli.error_words import command_of, error_text

        ran = command_of(root, words) if root is not None else None
        err.print(f"tcrm: error: {error_text(exc, ran)}", markup=False)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        sys.stderr.close()
    current = cli_state.current
    if current is not None and current._ws is not None:
        ws = current._ws
        if ws.skipped:  # a read left records out: say so, whatever the output format
            problems = sorted(ws.skipped.values())
            err.print(f"tcrm: warning: {skipped_summary(problems)}", markup=False, soft_wrap=True)
        for warning in ws.warnings:
            err.print(f"tcrm: warning: {warning}", markup=False)
    sys.exit(code)
