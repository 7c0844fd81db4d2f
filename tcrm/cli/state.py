"""What every command shares: the workspace it runs on, and the consoles it writes to."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console

from tcrm.errors import UsageError
from tcrm.services.records import local_now
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

    def now(self) -> datetime:
        """The current time in the workspace's zone; ``$TCRM_NOW`` fixes it (tests, demos)."""
        fixed = os.environ.get("TCRM_NOW")
        if fixed:
            try:
                value = datetime.fromisoformat(fixed)
            except ValueError:
                raise UsageError(f"TCRM_NOW={fixed!r} is not an ISO 8601 date-time") from None
            return local_now(self.ws, value)
        return local_now(self.ws)


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


def now(ctx: typer.Context) -> datetime:
    return state(ctx).now()


out = Console(soft_wrap=True)
"""Data goes to stdout; rich drops colours and decorations when it is not a terminal."""

err = Console(stderr=True, soft_wrap=True, highlight=False)


def is_tty() -> bool:
    return sys.stdout.isatty()
