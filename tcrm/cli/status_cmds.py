"""``tcrm status``: one line for a shell prompt or a status bar (docs/shell.md)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tcrm.cli.state import state
from tcrm.cli.status_line import check_format, render
from tcrm.errors import TcrmError
from tcrm.services.status_counts import FIELDS


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
    text = render(counts, template, as_json)
    if text:
        sys.stdout.write(text + "\n")


def register(root: typer.Typer) -> None:
    root.command()(status)
