"""``tcrm search`` over every kind of record, and ``tcrm help`` on topics and commands."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from tcrm.cli import render, search_table
from tcrm.cli.state import now as cli_now
from tcrm.cli.state import workspace as cli_workspace
from tcrm.cli.terminal import out
from tcrm.errors import TcrmError, UsageError
from tcrm.model import when
from tcrm.services import search as service
from tcrm.services.query import HELP as FILTERS_HELP

DEFAULT_LIMIT = search_table.DEFAULT_LIMIT


def _kinds(incomplete: str) -> list[str]:
    return [k for k in service.SELECTABLE if k.startswith(incomplete)]


def search(
    ctx: typer.Context,
    words: Annotated[
        list[str] | None,
        typer.Argument(
            help="The text to look for (any case; several words are one text).",
            show_default=False,
            metavar="TEXT",
        ),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            "-k",
            help="Only this kind: client (with its contact people), contact, deal, task, "
            "activity, kb (repeatable).",
            autocompletion=_kinds,
            metavar="KIND",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(help="At most N results, the best; 0 for all.", metavar="N")
    ] = DEFAULT_LIMIT,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (see docs/json/activities.md).")
    ] = False,
) -> None:
    """Search clients, contact people, deals, tasks, activities and kb pages.

    Best matches first: the whole field, then its start, then the start of a word, then
    anywhere; names and titles before emails, tags and notes. Results are grouped by kind
    and show the field that matched.
    """
    result = service.search(
        cli_workspace(ctx), text=" ".join(words or []), kinds=kind or [], limit=limit
    )
    if as_json:
        render.emit_json(
            {
                "query": result.query,
                "total": result.total,
                "count": len(result.hits),
                "hits": [hit.to_json() for hit in result.hits],
            }
        )
        return
    if not result.hits:
        render.message(search_table.no_matches(result))
        return
    render.table(
        [render.Column(h, role=search_table.ROLES.get(h)) for h in search_table.SEARCH_COLUMNS],
        search_table.search_rows(result),
    )
    note = search_table.more_note(result)
    if note:
        render.message(note)


DATE_EXAMPLES = (
    ("2026-12-01", "a whole day"),
    ("2026-12-01 14:30", "a day and a time"),
    ("today", "today (a whole day)"),
    ("now", "this minute"),
    ("tomorrow 10:00", "a day word, then a time"),
    ("yesterday 3pm", "12-hour times work too"),
    ("fri", "the next Friday (on a Friday: a week later)"),
    ("monday 9:00", "the next Monday, at 9:00"),
    ("+3d", "in 3 days; also +2w, +1mo"),
    ("+2h", "in 2 hours (a time); also +30m"),
    ("-2d", "2 days ago"),
    ("eow", "end of week (Sunday)"),
    ("eom", "end of month"),
    ("nextweek", "next Monday"),
    ("1 Dec 2026", "a written month is never ambiguous"),
)

NUMERIC_EXAMPLES = {
    "DMY": ("31/12/2026", "31.12.2026 14:30", "24/12", "2026/12/31"),
    "MDY": ("12/31/2026", "12-31-2026 2pm", "12/24", "2026/12/31"),
    "YMD": ("2026/12/31", "26.12.31 14:30", "12/24", "2026.12.31"),
}
"""Numeric dates as each ``date_order`` reads them (a four-digit year first always works)."""

DATES_NOTES = """\
Where dates go: task add --due, task snooze, log --at and --next-due, deal --close-date,
activity list --since/--until, and filters such as due.before:fri or at.after:-7d.

- Times are in the workspace's time zone (timezone in tcrm.yaml); a task's "today" and
  "overdue" are computed in its assignee's time zone.
- A task due on a day without a time is overdue only once that day has ended.
- tcrm log --at: a day without a time means 12:00 that day (today means now); a moment
  in the future is refused, since an activity is logged after it happens.
- --since and --until take whole days and include them."""


def _dates_help(now: datetime, order: str) -> str:
    def row(text: str, meaning: str) -> str:
        value = when.parse_when(text, now.replace(tzinfo=None), order)
        shown = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value
        return f"  {text:<18}{shown!s:<18}{meaning}".rstrip()

    rows = [row(text, meaning) for text, meaning in DATE_EXAMPLES]
    numeric = [row(text, "") for text in NUMERIC_EXAMPLES[order]]
    others = " and ".join(o for o in when.DATE_ORDERS if o != order)
    head = (
        f"Dates, as you type them: {when.HELP}.\n\n"
        f"Examples, relative to now ({now:%a %Y-%m-%d %H:%M}):\n"
    )
    slashes = (
        f"Numeric dates (with /, . or -) are read in this workspace's date_order: {order}\n"
        f"(date_order in tcrm.yaml: DMY day/month/year, the default; MDY; YMD). A date that\n"
        f"does not fit is refused, never guessed; a four-digit year first always works:\n"
    )
    return (
        head
        + "\n".join(rows)
        + "\n\n"
        + slashes
        + "\n".join(numeric)
        + f"\n  (with {others}, the same days are written in their order)\n\n"
        + DATES_NOTES
        + "\n"
    )


def _date_order(ctx: typer.Context) -> str:
    """The workspace's ``date_order`` if there is a workspace; the default outside one."""
    try:
        return cli_workspace(ctx).settings.date_order
    except TcrmError:
        return when.DEFAULT_DATE_ORDER


COMPLETIONS_HELP = """\
Shell completion of commands, options, and client, deal, task and activity ids.
The scripts are in completions/ of tcrm's source (see docs/completions.md):

  bash:  source completions/tcrm.bash            (e.g. from ~/.bashrc)
  zsh:   cp completions/_tcrm ~/.zfunc/_tcrm     (with fpath+=(~/.zfunc) before compinit)
  fish:  cp completions/tcrm.fish ~/.config/fish/completions/

Or let tcrm install the one for your shell: tcrm --install-completion
Ids complete from the workspace in $TCRM_WORKSPACE, else the current directory's.
"""

TOPICS = {
    "filters": "the filter terms of list commands (stage:proposal amount.gt:5000 ...)",
    "dates": "how to write dates and times (2026-12-01, tomorrow 10:00, +3d, fri ...)",
    "completions": "shell completion for bash, zsh and fish",
}


def _topics(ctx: typer.Context, incomplete: str) -> list[str]:
    root = ctx.find_root().command
    names = list(TOPICS) + sorted(getattr(root, "commands", {}))
    return [n for n in names if n.startswith(incomplete)]


def _now(ctx: typer.Context) -> datetime:
    """The workspace's clock if there is a workspace; help works outside one too."""
    try:
        return cli_now(ctx)
    except TcrmError:
        return datetime.now().astimezone()


def help_(
    ctx: typer.Context,
    topic: Annotated[
        str | None,
        typer.Argument(
            help="A topic (filters, dates, completions) or a command (client, log...).",
            autocompletion=_topics,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Help on a topic or a command; without one, list the topics."""
    if topic is None:
        lines = ["Help topics (tcrm help TOPIC):", ""]
        lines += [f"  {name:<13}{about}" for name, about in TOPICS.items()]
        lines += ["", "Commands: tcrm --help, and tcrm help COMMAND (or tcrm COMMAND --help)."]
        out.print("\n".join(lines), markup=False, highlight=False)
        return
    if topic == "filters":
        text = FILTERS_HELP
    elif topic == "dates":
        text = _dates_help(_now(ctx), _date_order(ctx))
    elif topic == "completions":
        text = COMPLETIONS_HELP
    else:
        text = _command_help(ctx, topic)
    out.print(text.rstrip("\n"), markup=False, highlight=False)


def _command_help(ctx: typer.Context, name: str) -> str:
    root = ctx.find_root()
    command = root.command.get_command(root, name) if hasattr(root.command, "get_command") else None
    if command is None:
        raise UsageError(
            f"no help topic or command {name!r}; topics: {', '.join(TOPICS)} "
            "(see `tcrm --help` for the commands)"
        )
    sub = type(ctx)(command, info_name=name, parent=root)
    return command.get_help(sub)


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("help")(help_)
