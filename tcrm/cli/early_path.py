"""Answers given before Typer is imported: ``tcrm status`` and shell completion.

A prompt runs ``tcrm status`` before each command line, and a shell runs ``tcrm`` on
each TAB: importing Typer, click, pydantic and rich alone takes ~0.2 s. So
``tcrm.cli.launch`` asks ``answer`` first. It answers only when it can answer exactly
as the Typer command would, from a fresh local index (``tcrm.store.early_index``) and
the same functions the commands use (``status_counts``, ``status_line``,
``completion``); in every other case (a stale or missing index, an option it does not
know, an error to report) it returns ``None`` and the normal path runs, which also
brings the index up to date. The standard library only, on purpose
(tests/test_startup.py holds it to that).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

from tcrm.errors import UsageError
from tcrm.store import early

COMPLETE_VAR = "_TCRM_COMPLETE"
"""Typer's shell-completion request (``tcrm.cli.main.COMPLETE_VAR``)."""
FLAGS = {"--json": "as_json"}


def answer(args: list[str]) -> int | None:
    """The exit code of ``tcrm ARGS`` once answered here, or ``None``: take the normal path."""
    if os.environ.get(COMPLETE_VAR):
        from tcrm.cli import completion

        return completion.early_answer(os.environ[COMPLETE_VAR])
    parsed = status_args(args)
    return None if parsed is None else status(*parsed)


def status_args(args: list[str]) -> tuple[str | None, str | None, bool] | None:
    """``(workspace, template, as_json)`` of ``tcrm [-w PATH] status [--json] [--format
    TEMPLATE]``; ``None`` for any other command line."""
    workspace, template, as_json = None, None, False
    words = iter(args)
    for arg in words:
        if arg in ("-w", "--workspace"):
            workspace = next(words, None)
            if not workspace:
                return None
        elif arg.startswith("--workspace=") and len(arg) > len("--workspace="):
            workspace = arg.partition("=")[2]
        elif arg == "status":
            break
        else:
            return None
    else:
        return None
    for arg in words:
        if arg == "--json":
            as_json = True
        elif arg == "--format":
            template = next(words, None)
            if template is None:
                return None
        elif arg.startswith("--format="):
            template = arg.partition("=")[2]
        else:
            return None
    return workspace, template, as_json


def status(workspace: str | None, template: str | None, as_json: bool) -> int | None:
    """``tcrm status``: nothing and exit 1 outside a workspace; else the counts from a
    fresh index, or ``None`` (the normal path) when they cannot be read here."""
    from tcrm.cli.status_line import check_format, render
    from tcrm.services.status_counts import from_index
    from tcrm.store.early_index import open_fresh, read_settings

    try:
        if template is not None:
            check_format(template)
    except UsageError:
        return None  # the normal path says what is wrong with it
    root = early.find_root(workspace)
    if root is None or not (root / early.SETTINGS_FILE).is_file():
        return 1  # not a workspace: a prompt shows nothing (as the command does)
    fixed = os.environ.get("TCRM_NOW")
    try:
        now = datetime.fromisoformat(fixed) if fixed else None
    except ValueError:
        return None
    conn = open_fresh(Path(root))
    if conn is None:
        return None
    try:
        kept = read_settings(conn, root)
        counts = None if kept is None else from_index(conn, kept, now)
    finally:
        conn.close()
    if counts is None:
        return None
    try:
        text = render(counts, template, as_json)
    except UsageError:
        return None
    if text:
        sys.stdout.write(text + "\n")
    return 0
