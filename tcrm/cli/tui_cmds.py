"""``tcrm tui`` (and bare ``tcrm`` on a terminal): the Textual TUI.

Textual is imported inside the command, so no other command pays for it at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer

from tcrm.cli.state import state
from tcrm.errors import UsageError
from tcrm.services import indexing
from tcrm.store.workspace import Workspace


def launch(ws: Workspace, clock: Callable[[], datetime], theme: str | None) -> None:
    """Run the app until the user quits (a seam for tests: they replace it)."""
    from textual.theme import BUILTIN_THEMES

    from tcrm.tui.app import TcrmApp
    from tcrm.tui.keymap import keymap_path

    if theme is not None and theme not in BUILTIN_THEMES:
        names = ", ".join(sorted(BUILTIN_THEMES))
        raise UsageError(f"--theme {theme!r} is not a theme (one of {names})")
    TcrmApp(ws, clock=clock, theme=theme, keymap=keymap_path()).run()


def tui(
    ctx: typer.Context,
    theme: Annotated[
        str | None,
        typer.Option(help="Colour theme, e.g. textual-light or nord (default: textual-dark)."),
    ] = None,
) -> None:
    """Open the terminal UI: today's planner, pipeline board, clients, tasks agenda and
    knowledge base. Every change it makes is the same git commit as the CLI's.

    Keys are shown at the bottom of each screen and by ?; ctrl+p or : lists every action;
    q quits. Keys can be changed in $XDG_CONFIG_HOME/tcrm/keymap.yaml (docs/tui.md).
    $TCRM_NOW fixes its clock, as for every command.
    """
    current = state(ctx)
    ws = current.ws
    current.now()  # a bad $TCRM_NOW is an error before the screen is taken over
    indexing.warm_up(ws)  # a first index: on every core, with a progress bar, before Textual
    launch(ws, current.now, theme)


def register(root: typer.Typer) -> None:
    root.command("tui")(tui)
