"""Answers given before Typer is imported: ``tcrm status``, ``tcrm task list``,
``tcrm deal list``, ``tcrm client list`` and ``tcrm search`` piped, and shell completion.

A prompt runs ``tcrm status`` before each command line, a shell runs ``tcrm`` on each
TAB, and scripts run ``tcrm task list``, ``deal list``, ``client list`` and ``search``
in loops: importing Typer, click, pydantic and rich alone takes ~0.2 s. So ``tcrm.cli.launch`` asks
``answer`` first. It answers only when it can answer exactly as the Typer command
would, from a fresh local index (``tcrm.store.early_index``) and the same functions the
commands use (``status_counts``, ``status_line``, ``completion``, ``task_selection``,
``task_table``, ``deal_selection``, ``deal_table``, ``client_selection``,
``client_table``, ``search_selection``, ``search_table``, ``plain_table``); in every other
case (a stale or missing index, an option it does not know, an error to report, a
terminal on stdout) it returns ``None`` and the normal path runs, which also brings the
index up to date. The standard library
only, on purpose (tests/test_startup.py holds it to that).
"""

from __future__ import annotations

import os
import sys

from tcrm.errors import UsageError
from tcrm.store import early

TYPE_CHECKING = False  # typing, pathlib, dataclasses: ~90 ms of a prompt, not imported
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import Any, TypeVar

    from tcrm.services.client_selection import Asked as ClientsAsked
    from tcrm.services.deal_selection import Asked as DealsAsked
    from tcrm.services.search_selection import SearchResult
    from tcrm.services.task_selection import Asked

    T = TypeVar("T")

COMPLETE_VAR = "_TCRM_COMPLETE"
"""Typer's shell-completion request (``tcrm.cli.main.COMPLETE_VAR``)."""
FLAGS = {"--json": "as_json"}


def answer(args: list[str]) -> int | None:
    """The exit code of ``tcrm ARGS`` once answered here, or ``None``: take the normal path."""
    if os.environ.get(COMPLETE_VAR):
        from tcrm.cli import completion

        return completion.early_answer(os.environ[COMPLETE_VAR])
    command = global_args(args)
    if command is None:
        return None
    workspace, rest = command
    if rest[:2] == ["task", "list"]:
        asked = task_list_args(rest[2:])
        return None if asked is None else task_list(workspace, asked)
    if rest[:2] == ["deal", "list"]:
        dealt = deal_list_args(rest[2:])
        return None if dealt is None else deal_list(workspace, dealt)
    if rest[:2] == ["client", "list"]:
        listed = client_list_args(rest[2:])
        return None if listed is None else client_list(workspace, listed)
    if rest[0] == "search":
        sought = search_args(rest[1:])
        return None if sought is None else search(workspace, *sought)
    parsed = status_args(args)
    return None if parsed is None else status(*parsed)


def global_args(args: list[str]) -> tuple[str | None, list[str]] | None:
    """``(workspace, the command's words)`` of ``tcrm [-w PATH] COMMAND...``; ``None``
    when another global option comes first (the normal path handles those)."""
    workspace = None
    words = iter(args)
    for arg in words:
        if arg in ("-w", "--workspace"):
            workspace = next(words, None)
            if not workspace:
                return None
        elif arg.startswith("--workspace=") and len(arg) > len("--workspace="):
            workspace = arg.partition("=")[2]
        elif arg.startswith("-"):
            return None
        else:
            return workspace, [arg, *words]
    return None


TASK_LIST_FLAGS = {"--today": "today", "--overdue": "overdue", "--week": "week", "--all": "all_"}
"""The flags of ``tcrm task list`` answered here, by the name of the Typer command's
parameter (tests/test_list_early.py holds both tables to the command's declaration)."""
TASK_LIST_VALUES = {"--assignee": "assignee", "--client": "client"}
"""Its options taking a value answered here; ``--json``, ``--help`` and filter terms are
left to the normal path."""


def options(
    args: list[str], flags: dict[str, str], values: dict[str, str]
) -> dict[str, bool | str] | None:
    """``{parameter: True or its value}`` of a command's options ``ARGS``, when every word
    is one of ``flags`` or ``values`` (option -> the Typer parameter's name), each given
    once, no value empty or starting with ``-``; ``None`` for anything else."""
    given: dict[str, bool | str] = {}
    words = iter(args)
    for arg in words:
        name, eq, value = arg.partition("=")
        if name in values:
            value = value if eq else next(words, "")
            if not value or value.startswith("-"):
                return None
            key: str = values[name]
            found: bool | str = value
        elif arg in flags:
            key, found = flags[arg], True
        else:
            return None
        if key in given:
            return None
        given[key] = found
    return given


def task_list_args(args: list[str]) -> Asked | None:
    """What ``tcrm task list ARGS`` asks, when every word is in the tables above, each
    given once, no value starting with ``-``; ``None`` for anything else."""
    given = options(args, TASK_LIST_FLAGS, TASK_LIST_VALUES)
    if given is None:
        return None
    from tcrm.services.task_selection import Asked

    return Asked(
        today="today" in given,
        overdue="overdue" in given,
        week="week" in given,
        include_closed="all_" in given,
        assignee=_value(given.get("assignee")),
        client=_value(given.get("client")),
    )


def _value(found: bool | str | None) -> str | None:
    return found if isinstance(found, str) else None


def task_list(workspace: str | None, asked: Asked) -> int | None:
    """``tcrm task list`` to a pipe, from a fresh index; ``None`` (the normal path) for
    a terminal, outside a workspace, or whatever ``task_selection.from_index`` leaves."""
    from tcrm.cli import plain_table
    from tcrm.cli.task_table import TASK_COLUMNS, task_rows
    from tcrm.services import task_selection

    root = table_root(workspace)
    if root is None:
        return None
    entries = from_fresh_index(
        root, lambda conn, kept, now: task_selection.from_index(conn, kept, now, asked)
    )
    if entries is None:
        return None
    plain_table.write(TASK_COLUMNS, plain_table.cells(task_rows(entries)))
    return 0


def table_root(workspace: str | None) -> str | None:
    """The workspace a list piped (not to a terminal: rich lays the table out there) may
    be answered from here; ``None`` (the normal path) outside a workspace, or in one the
    normal path has something to say about."""
    from tcrm.cli.terminal import out
    from tcrm.store import driver

    if out.is_terminal:
        return None
    root = early.find_root(workspace)
    if root is None or not os.path.isfile(os.path.join(root, early.SETTINGS_FILE)):
        return None
    if driver.missing(root):
        return None
    if any(os.path.islink(os.path.join(root, f)) for f in early.RECORD_FOLDERS):
        return None  # the normal path says what it refuses
    return root


DEAL_LIST_FLAGS = {"--open": "open_", "--won": "won_", "--lost": "lost_", "--all": "all_"}
"""The flags of ``tcrm deal list`` answered here, by the name of the Typer command's
parameter (tests/test_deal_list_early.py holds both tables to the command's declaration)."""
DEAL_LIST_VALUES = {
    "--pipeline": "pipeline",
    "--stage": "stage",
    "--owner": "owner",
    "--client": "client",
}
"""Its options taking a value answered here; ``--stale`` (which reads activities),
``--json``, ``--help`` and filter terms are left to the normal path."""


def deal_list_args(args: list[str]) -> DealsAsked | None:
    """What ``tcrm deal list ARGS`` asks, when every word is in the tables above, each
    given once, no value empty or starting with ``-``; ``None`` for anything else."""
    given = options(args, DEAL_LIST_FLAGS, DEAL_LIST_VALUES)
    if given is None:
        return None
    from tcrm.services.deal_selection import Asked as DealsAsked

    return DealsAsked(
        pipeline=_value(given.get("pipeline")),
        stage=_value(given.get("stage")),
        owner=_value(given.get("owner")),
        client=_value(given.get("client")),
        open_="open_" in given,
        won="won_" in given,
        lost="lost_" in given,
        all_="all_" in given,
    )


def deal_list(workspace: str | None, asked: DealsAsked) -> int | None:
    """``tcrm deal list`` to a pipe, from a fresh index; ``None`` (the normal path) for
    a terminal, outside a workspace, or whatever ``deal_selection.from_index`` leaves."""
    from tcrm.cli import plain_table
    from tcrm.cli.deal_table import DEAL_COLUMNS, deal_rows
    from tcrm.services import deal_selection

    root = table_root(workspace)
    if root is None:
        return None
    rows = from_fresh_index(
        root, lambda conn, kept, _now: deal_selection.from_index(conn, kept, asked)
    )
    if rows is None:
        return None
    plain_table.write(DEAL_COLUMNS, plain_table.cells(deal_rows(rows)))
    return 0


CLIENT_LIST_VALUES = {
    "--tag": "tag",
    "--owner": "owner",
    "--source": "source",
    "--status": "status",
}
"""The options of ``tcrm client list`` answered here (all take a value), by the name of
the Typer command's parameter (tests/test_client_list_early.py holds the table to the
command's declaration); ``nps:`` filter terms are answered too. ``--search`` (which
reads the whole file as the model writes it), ``--json``, ``--help`` and other filter
terms are left to the normal path."""


def client_list_args(args: list[str]) -> ClientsAsked | None:
    """What ``tcrm client list ARGS`` asks, when every word is an option of the table
    above (each given once, its value not empty nor starting with ``-``) or an ``nps:``
    term; ``None`` for anything else."""
    terms = [a for a in args if a[:4].lower() == "nps:"]
    given = options([a for a in args if a[:4].lower() != "nps:"], {}, CLIENT_LIST_VALUES)
    if given is None:
        return None
    from tcrm.services.client_selection import Asked as ClientsAsked

    return ClientsAsked(
        tag=_value(given.get("tag")),
        owner=_value(given.get("owner")),
        source=_value(given.get("source")),
        status=_value(given.get("status")),
        filters=terms,
    )


def client_list(workspace: str | None, asked: ClientsAsked) -> int | None:
    """``tcrm client list`` to a pipe, from a fresh index; ``None`` (the normal path) for
    a terminal, outside a workspace, or whatever ``client_selection.from_index`` leaves."""
    from tcrm.cli import plain_table
    from tcrm.cli.client_table import CLIENT_COLUMNS, client_rows
    from tcrm.services import client_selection

    root = table_root(workspace)
    if root is None:
        return None
    found = from_fresh_index(
        root, lambda conn, kept, now: client_selection.from_index(conn, kept, now, asked)
    )
    if found is None:
        return None
    zone, rows = found
    plain_table.write(CLIENT_COLUMNS, plain_table.cells(client_rows(rows, zone)))
    return 0


SEARCH_VALUES = {"--kind": "kind", "-k": "kind", "--limit": "limit"}
"""The options of ``tcrm search`` answered here (both take a value; ``--kind`` may be
repeated), by the name of the Typer command's parameter (tests/test_search_early.py
holds the table to the command's declaration); ``--json`` and ``--help`` are left to the
normal path."""


def search_args(args: list[str]) -> tuple[str, list[str], int] | None:
    """``(text, kinds, limit)`` of ``tcrm search ARGS``, when every word is a word of the
    text (not starting with ``-``) or an option of the table above (its value neither
    empty nor starting with ``-``; the limit in ASCII digits, given once); ``None`` for
    anything else."""
    from tcrm.cli.search_table import DEFAULT_LIMIT

    words: list[str] = []
    kinds: list[str] = []
    limit: int | None = None
    given = iter(args)
    for arg in given:
        name, eq, value = arg.partition("=")
        if eq and name.startswith("--") and name in SEARCH_VALUES:
            option = SEARCH_VALUES[name]
        elif arg in SEARCH_VALUES:
            option, value = SEARCH_VALUES[arg], next(given, "")
        elif arg.startswith("-"):
            return None
        else:
            words.append(arg)
            continue
        if not value or value.startswith("-"):
            return None
        if option == "kind":
            kinds.append(value)
        elif limit is not None or not (value.isascii() and value.isdigit()):
            return None
        else:
            limit = int(value)
    return " ".join(words), kinds, DEFAULT_LIMIT if limit is None else limit


def search(workspace: str | None, text: str, kinds: list[str], limit: int) -> int | None:
    """``tcrm search`` to a pipe, from a fresh index and the kb pages (files the index
    does not hold, read as the command reads them); ``None`` (the normal path) for a
    terminal, outside a workspace, a link tcrm refuses, a kb folder that cannot be
    listed, a note due on a terminal's stderr, or whatever
    ``search_selection.from_index`` leaves."""
    from tcrm.cli import plain_table
    from tcrm.cli.search_table import SEARCH_COLUMNS, more_note, no_matches, search_rows
    from tcrm.cli.terminal import err
    from tcrm.services import search_selection
    from tcrm.services.kb_pages import read_pages

    root = table_root(workspace)
    if root is None:
        return None
    if early.guarded_links(root):
        return None  # the normal path warns of each link it skips
    try:
        found: SearchResult | None = from_fresh_index(
            root,
            lambda conn, _kept, _now: search_selection.from_index(
                conn, text, kinds, limit, lambda: read_pages(root)
            ),
            settings=False,
        )
    except OSError:  # the kb folder could not be listed: the command says so
        return None
    if found is None:
        return None
    note = more_note(found) if found.hits else no_matches(found)
    if note is not None and err.is_terminal:
        return None  # rich lays the note out there
    if found.hits:
        plain_table.write(SEARCH_COLUMNS, search_rows(found))
    if note is not None:
        err.print(note, markup=False, highlight=False)
    return 0


def status_args(args: list[str]) -> tuple[str | None, str | None, bool] | None:
    """``(workspace, template, as_json)`` of ``tcrm [-w PATH] status [--json] [--format
    TEMPLATE]``; ``None`` for any other command line."""
    as_json, template = False, None
    command = global_args(args)
    if command is None or command[1][0] != "status":
        return None
    workspace, rest = command
    words = iter(rest[1:])
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

    try:
        if template is not None:
            check_format(template)
    except UsageError:
        return None  # the normal path says what is wrong with it
    root = early.find_root(workspace)
    if root is None or not os.path.isfile(os.path.join(root, early.SETTINGS_FILE)):
        return 1  # not a workspace: a prompt shows nothing (as the command does)
    counts = from_fresh_index(root, from_index)
    if counts is None:
        return None
    try:
        text = render(counts, template, as_json)
    except UsageError:
        return None
    if text:
        sys.stdout.write(text + "\n")
    return 0


def from_fresh_index(
    root: str,
    answer: Callable[[Any, dict[str, Any], datetime | None], T | None],
    *,
    settings: bool = True,
) -> T | None:
    """``answer(index, kept settings, $TCRM_NOW)`` from a fresh local index; ``None`` (the
    normal path) when the clock is not a moment, or the index or its settings are not
    fresh. Without ``settings`` (a command that reads none) no settings are given."""
    from datetime import datetime  # here: a TAB needs no clock

    from tcrm.store.early_index import open_fresh, read_settings

    fixed = os.environ.get("TCRM_NOW")
    try:
        now = datetime.fromisoformat(fixed) if fixed else None
    except ValueError:
        return None
    conn = open_fresh(root)
    if conn is None:
        return None
    try:
        kept = read_settings(conn, root) if settings else {}
        return None if kept is None else answer(conn, kept, now)
    finally:
        conn.close()
