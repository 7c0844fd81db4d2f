"""What every command shares: the workspace it runs on (the consoles it writes to are
``tcrm.cli.terminal``'s ``out`` and ``err``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tcrm.errors import UsageError

if TYPE_CHECKING:
    from tcrm.store.workspace import Workspace


@dataclass
class State:
    workspace_arg: Path | None = None
    allow_detached: bool = False
    commit_hand_edits: bool = False
    _ws: Workspace | None = None

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            from tcrm.cli.progress import index_bar
            from tcrm.store.workspace import Workspace

            ws = Workspace.open(self.workspace_arg)
            ws.index_progress = index_bar
            ws.allow_detached = ws.allow_detached or self.allow_detached
            ws.commit_hand_edits = ws.commit_hand_edits or self.commit_hand_edits
            self._ws = ws
            _merge_driver(ws)
            ws.recover()  # a change a killed tcrm left half done, before anything reads
        return self._ws

    def now(self) -> datetime:
        """The current time in the workspace's zone; ``$TCRM_NOW`` fixes it (tests, demos)."""
        from tcrm.services.records import local_now

        fixed = os.environ.get("TCRM_NOW")
        if fixed:
            try:
                value = datetime.fromisoformat(fixed)
            except ValueError:
                raise UsageError(f"TCRM_NOW={fixed!r} is not an ISO 8601 date-time") from None
            return local_now(self.ws, value)
        return local_now(self.ws)


def _merge_driver(ws: Workspace) -> None:
    """A plain ``git clone`` has no merge driver (git never shares it): the first command
    installs it, so a later ``git pull`` merges records instead of writing markers."""
    from tcrm.store import driver

    if not driver.missing(ws.root):
        return
    from tcrm.services.merging import ensure_merge_driver

    if ensure_merge_driver(ws.root):
        from tcrm.cli import render

        render.message(
            "tcrm: configured the merge driver in this clone's .git/config, so "
            "`git pull` merges records field by field (see docs/sync.md)"
        )


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
