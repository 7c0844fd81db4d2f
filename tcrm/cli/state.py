"""What every command shares: the workspace it runs on, and the consoles it writes to."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console

from tcrm.store.workspace import Workspace


@dataclass
class State:
    workspace_arg: Path | None = None
    _ws: Workspace | None = None

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            self._ws = Workspace.open(self.workspace_arg)
        return self._ws


current: State | None = None
"""The state of the command running in this process, for the error boundary in main()."""


def state(ctx: typer.Context) -> State:
    global current
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    current = root.obj
    return root.obj


def workspace(ctx: typer.Context) -> Workspace:
    return state(ctx).ws


out = Console(soft_wrap=True)
"""Data goes to stdout; rich drops colours and decorations when it is not a terminal."""

err = Console(stderr=True, soft_wrap=True, highlight=False)


def is_tty() -> bool:
    return sys.stdout.isatty()
