"""What every command shares: the workspace it runs on, and the consoles it writes to."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tcrm.errors import UsageError
from tcrm.model.text import visible

if TYPE_CHECKING:
    from rich.console import Console

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
    from tcrm.services.sync import ensure_merge_driver

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


class LazyConsole:
    """A rich ``Console`` made on first use: piped output (tab-separated tables, JSON) and
    ``--version`` never need rich, which costs ~30 ms to import."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from tcrm.cli.terminal import console

            self._console = console(**self._options)
        return self._console

    @property
    def is_terminal(self) -> bool:
        """rich's answer, without importing rich when it can only be False: the stream is no
        terminal and neither TTY_COMPATIBLE=1 nor FORCE_COLOR asks for one anyway."""
        if self._console is None and not _forced_terminal():
            stream = sys.stderr if self._options.get("stderr") else sys.stdout
            isatty = getattr(stream, "isatty", None)
            try:
                if isatty is None or not isatty():
                    return False
            except ValueError:
                return False
        return self.console.is_terminal

    def print(self, *objects: Any, markup: bool | None = None, **options: Any) -> None:
        """``Console.print``; plain text to a pipe is written as it is, without rich (which
        would only drop the style, and would turn ``:fire:`` in a title into an emoji)."""
        plain = markup is False or not objects
        if plain and self._console is None and all(type(o) is str for o in objects):
            allowed = {"style", "highlight", "end"}
            if allowed.issuperset(options) and not self.is_terminal:
                stream = sys.stderr if self._options.get("stderr") else sys.stdout
                stream.write(visible(" ".join(objects)) + options.get("end", "\n"))
                return
        self.console.print(*objects, markup=markup, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)

    # rich's Live (progress bars) enters its console as a context manager
    def __enter__(self) -> Console:
        return self.console.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.console.__exit__(*exc)


def _forced_terminal() -> bool:
    return os.environ.get("TTY_COMPATIBLE") == "1" or bool(os.environ.get("FORCE_COLOR"))


out: Console = LazyConsole(soft_wrap=True)  # type: ignore[assignment]
"""Data goes to stdout; rich drops colours and decorations when it is not a terminal."""

err: Console = LazyConsole(stderr=True, soft_wrap=True, highlight=False)  # type: ignore[assignment]


def is_tty() -> bool:
    return sys.stdout.isatty()
