"""``tcrm status``: one line for a shell prompt or a status bar (docs/shell.md)."""

from __future__ import annotations

import json
import string
import sys
from typing import Annotated

import typer

from tcrm.cli.state import state
from tcrm.errors import TcrmError, UsageError

FIELDS = ("overdue", "today", "conflicts", "reminders")
"""The placeholders of ``--format`` and the keys of ``--json``."""

_WORDS = (
    ("overdue", "overdue", "overdue"),
    ("today", "today", "today"),
    ("conflicts", "conflict", "conflicts"),
)
"""``(count, its word for 1, for more)`` in the order of the default line."""


def check_format(template: str) -> str:
    """``template`` when every placeholder in it is one of FIELDS, else a usage error."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise UsageError(f"--format {template!r}: {exc}") from None
    for name in names:
        if name not in FIELDS:
            known = ", ".join("{" + f + "}" for f in FIELDS)
            raise UsageError(f"--format: unknown placeholder {{{name}}} (known: {known})")
    return template


def line(counts: dict[str, int]) -> str:
    """``3 overdue · 5 today · 2 conflicts``: the non-zero parts only, "" when none."""
    parts = [
        f"{counts[key]} {one if counts[key] == 1 else many}"
        for key, one, many in _WORDS
        if counts[key]
    ]
    return " · ".join(parts)


def status(
    ctx: typer.Context,
    template: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="TEMPLATE",
            help="Print TEMPLATE with each placeholder (overdue, today, conflicts or "
            "reminders, in braces) replaced by its count; printed even when all are 0 "
            "(see docs/shell.md).",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the counts as one line of JSON."),
    ] = False,
) -> None:
    """One line for a shell prompt or a status bar: `3 overdue · 5 today · 2 conflicts`.

    Only the counts that are not 0 are shown; nothing at all when there is nothing to do.
    The counts are those of `tcrm today` (overdue and today's tasks, reminders due, open
    merge conflicts), read from the local index. A prompt must never show errors: outside
    a workspace, or when the workspace cannot be read, it prints nothing and exits 1
    (run `tcrm today` or `tcrm check` to see why). A wrong --format is an error (exit 2).
    """
    if template is not None:
        check_format(template)
    current = state(ctx)
    try:
        from tcrm.services.planner import status as count

        ws = current.ws
        ws.index_progress = None  # no bar while a first index is built: a prompt draws it
        found = count(ws, now=current.now())
    except TcrmError as exc:
        current._ws = None  # nor any warning about skipped records: the prompt stays clean
        raise typer.Exit(exc.exit_code) from None
    ws.skipped.clear()  # a broken record is `tcrm check`'s to report, not the prompt's
    ws.warnings.clear()
    counts = {name: getattr(found, name) for name in FIELDS}
    if as_json:
        text = json.dumps(counts)
    elif template is not None:
        try:
            text = template.format_map(counts)
        except ValueError as exc:  # a format spec that does not fit a number: {today:q}
            raise UsageError(f"--format {template!r}: {exc}") from None
    else:
        text = line(counts)
    if text:
        sys.stdout.write(text + "\n")


def register(root: typer.Typer) -> None:
    root.command()(status)
