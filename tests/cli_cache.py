"""The click command built from the Typer app once per set of registered commands.

``tcrm.cli.main.main`` builds the click command from the Typer app on every call
(``cli_main.command``): a real ``tcrm`` process runs one command, so it builds once. The
tests run thousands of commands in one process, where every module registered so far is
built again on each run (~25-150 ms). ``command`` here builds it once for each state of
the registrations (the ids of every registered command and group, sub-apps included:
registering a module, or a test registering one by hand, changes the key) and hands the
same click command to every later run, as a long-lived process would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

_built: dict[tuple[Any, ...], Any] = {}
_kept: list[Any] = []
"""Every object a key names, kept alive: an id is never reused while it is a key."""


def shape(app: typer.Typer) -> tuple[Any, ...]:
    """What ``typer.main.get_command(app)`` is built from: the registered commands and
    groups, recursively, by identity."""
    groups = tuple(
        (id(g), shape(g.typer_instance) if g.typer_instance is not None else ())
        for g in app.registered_groups
    )
    return (id(app), tuple(id(c) for c in app.registered_commands), groups)


def _keep(app: typer.Typer) -> None:
    _kept.append(app)
    _kept.extend(app.registered_commands)
    for group in app.registered_groups:
        _kept.append(group)
        if group.typer_instance is not None:
            _keep(group.typer_instance)


def cached(build: Callable[[], Any], app: typer.Typer) -> Callable[[], Any]:
    """``build`` (``cli_main.command``) remembered per ``shape(app)``."""

    def command() -> Any:
        key = shape(app)
        found = _built.get(key)
        if found is None:
            _keep(app)
            found = _built[key] = build()
        return found

    return command
