"""``tcrm log`` and ``tcrm activity ...``: the log of calls, meetings, emails and notes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from tcrm.cli import completion, render
from tcrm.cli.editor import Assignments, CustomFields, edit_command
from tcrm.cli.state import now as cli_now
from tcrm.cli.state import workspace
from tcrm.cli.terminal import out
from tcrm.model.records import Activity
from tcrm.services import activities as service
from tcrm.services.query import HELP as FILTERS_HELP

activity_app = typer.Typer(
    name="activity",
    help="The activity log: list, show, edit and delete logged calls, meetings, emails, notes.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Ref = Annotated[
    str,
    typer.Argument(
        help="Activity id, unique id prefix, summary or its unique start.",
        autocompletion=completion.activities,
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/json/activities.md).")]
Kind = Annotated[
    str | None,
    typer.Option(
        "--kind",
        "-k",
        help="call, meeting, email, note... (lists.activity_kinds; default: the summary's "
        "KIND: prefix, else the first).",
        autocompletion=completion.activity_kinds,
        metavar="KIND",
        show_default=False,
    ),
]


def log(
    ctx: typer.Context,
    words: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="REF... SUMMARY",
            help="Clients, contact people (name or email) or deals, then the summary.",
            autocompletion=completion.clients_and_deals,
            show_default=False,
        ),
    ] = None,
    kind: Kind = None,
    outcome: Annotated[
        str | None, typer.Option(help="What came out of it.", metavar="TEXT")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            help="When it happened (default now): 2026-11-20 14:30, yesterday 10:00, -2h. "
            "A day alone means 12:00 that day (today: now). See `tcrm help dates`.",
            metavar="WHEN",
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="Longer free-text notes.", metavar="TEXT")
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            help="Team member who did it (default: the one whose email is your git email).",
            autocompletion=completion.members,
            metavar="MEMBER",
        ),
    ] = None,
    next_title: Annotated[
        str | None,
        typer.Option(
            "--next",
            help='Plan the next contact: a follow-up task, e.g. --next "send proposal".',
            metavar="TITLE",
        ),
    ] = None,
    next_due: Annotated[
        str | None,
        typer.Option("--next-due", help="When the follow-up is due (default +3d).", metavar="WHEN"),
    ] = None,
    next_assignee: Annotated[
        str | None,
        typer.Option(
            "--next-assignee",
            help="Who does the follow-up (default: the author).",
            autocompletion=completion.members,
            metavar="MEMBER",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the new activity (and task) as JSON.")
    ] = False,
    custom: CustomFields = None,
) -> None:
    """Log a call, meeting, email or note; prints the new activity's id.

    The last argument is the summary; each REF before it is a client, a contact person
    (who is added to the activity's contacts) or a deal (its client is linked too).
    A summary starting with a listed activity kind and a colon ("email: sent the deck",
    any case) sets the kind, and the prefix is not stored; any other text is kept as
    written. Logging restarts the clients' keep-in-touch clock. --next also creates the
    follow-up task, linked to the same clients and deals, in the same commit.

    \b
    Examples:
      tcrm log acme jane@acme.com "call: wants a proposal" --next "send proposal"
      tcrm log acme "email: sent the deck"
    """
    ws = workspace(ctx)
    logged = service.log_activity(
        ws,
        words=words or [],
        kind=kind,
        outcome=outcome,
        at=at,
        note=note,
        author=author,
        next_title=next_title,
        next_due=next_due,
        next_assignee=next_assignee,
        now=cli_now(ctx),
        assignments=custom or [],
    )
    activity, task = logged.activity, logged.task
    if as_json:
        render.emit_json(
            {
                "activity": render.record_json(activity),
                "task": render.record_json(task) if task else None,
            }
        )
    else:
        print(activity.id)
    text = f"Logged {activity.kind} {activity.id} ({', '.join(activity.clients)})"
    if task is not None:
        text += f"; follow-up task {task.id} due {_when(task.due)}"
    render.message(text + ".")


def _when(value: Any, zone: str | None = None) -> str:
    """A moment as local wall-clock time in ``zone`` (the workspace's), a day as is."""
    if isinstance(value, datetime):
        if zone and value.tzinfo:
            value = value.astimezone(ZoneInfo(zone))
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def _activity_row(activity: Activity, zone: str) -> list[Any]:
    return [
        activity.id,
        _when(activity.at, zone),
        activity.kind,
        activity.author,
        ", ".join(activity.clients + activity.deals),
        activity.summary,
    ]


@activity_app.command("list", epilog="\n\n".join(f"\b\n{p}" for p in FILTERS_HELP.split("\n\n")))
def list_(
    ctx: typer.Context,
    filters: Annotated[
        list[str] | None,
        typer.Argument(
            help="Filter terms, e.g. outcome.has:proposal contact:Jane (see below).",
            show_default=False,
        ),
    ] = None,
    client: Annotated[
        str | None,
        typer.Option(
            help="Only activities with this client.",
            autocompletion=completion.clients,
            metavar="REF",
        ),
    ] = None,
    deal: Annotated[
        str | None,
        typer.Option(
            help="Only activities about this deal.", autocompletion=completion.deals, metavar="REF"
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            "-k",
            help="Only activities of this kind.",
            autocompletion=completion.activity_kinds,
            metavar="KIND",
        ),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            help="Only activities by this member.",
            autocompletion=completion.members,
            metavar="MEMBER",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="From this day on (inclusive): 2026-11-01, -7d, mon.", metavar="DAY"),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Up to this day (inclusive).", metavar="DAY")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most N, the newest.", metavar="N")] = None,
    as_json: AsJson = False,
) -> None:
    """List logged activities, newest first."""
    ws = workspace(ctx)
    found = service.list_activities(
        ws,
        client=client,
        deal=deal,
        kind=kind,
        author=author,
        since=since,
        until=until,
        filters=filters or [],
        limit=limit,
        now=cli_now(ctx),
    )
    if as_json:
        render.emit_json([render.record_json(a) for a in found])
        return
    render.table(
        ["Id", "When", "Kind", "Author", "Links", "Summary"],
        (_activity_row(a, ws.settings.timezone) for a in found),
    )


@activity_app.command("show")
def show(ctx: typer.Context, ref: Ref, as_json: AsJson = False) -> None:
    """Show one activity."""
    ws = workspace(ctx)
    activity = service.get_activity(ws, ref=ref)
    if as_json:
        render.emit_json(render.record_json(activity))
        return
    out.print(
        f"{activity.kind} {activity.id}: {activity.summary}",
        style="bold",
        markup=False,
        highlight=False,
    )
    for label, value in (
        ("When", _when(activity.at, ws.settings.timezone)),
        ("Author", activity.author),
        ("Clients", ", ".join(activity.clients)),
        ("Deals", ", ".join(activity.deals)),
        ("Contacts", ", ".join(activity.contacts)),
        ("Outcome", activity.outcome),
    ):
        if value:
            out.print(f"{label + ':':<10}{value}", markup=False, highlight=False)
    if activity.notes:
        out.print()
        out.print(activity.notes, markup=False, highlight=False)


@activity_app.command("edit")
def edit(ctx: typer.Context, ref: Ref, assignments: Assignments = None) -> None:
    """Change an activity: with --set directly, otherwise in $EDITOR."""
    ws = workspace(ctx)

    def apply() -> Activity | None:
        edited = service.edit_activity(ws, ref=ref, assignments=assignments or [], now=cli_now(ctx))
        return edited.activity if edited.changed else None

    edit_command(ws, "activity", ref, apply if assignments else None)


@activity_app.command("rm")
def rm(ctx: typer.Context, ref: Ref) -> None:
    """Delete an activity (it stays in git history)."""
    activity = service.remove_activity(workspace(ctx), ref=ref)
    render.message(f"Deleted activity {activity.id} ({activity.summary}).")


def register(app: typer.Typer) -> None:
    app.command("log")(log)
    app.add_typer(activity_app, name="activity")
