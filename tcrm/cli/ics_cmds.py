"""``tcrm ics ...``: tasks, deal dates and activities in any calendar app (docs/calendar.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tcrm.cli import completion, render
from tcrm.cli.state import now, workspace
from tcrm.cli.terminal import write_bytes
from tcrm.services import calendar as service

app = typer.Typer(
    name="ics",
    help="Calendar feeds: export an .ics file, or serve a live feed to subscribe to.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Tasks = Annotated[
    bool, typer.Option("--tasks/--no-tasks", help="Tasks with a due date, as events.")
]
Deals = Annotated[
    bool,
    typer.Option("--deals/--no-deals", help="Open deals' expected close dates, all-day."),
]
Activities = Annotated[
    bool, typer.Option("--activities", help="Logged calls, meetings, emails as past events.")
]
Closed = Annotated[
    bool,
    typer.Option(
        "--closed",
        help="Also done and cancelled tasks (STATUS:COMPLETED/CANCELLED with --todo; as "
        "events: cancelled, or '✓ ' before the title).",
    ),
]
Todo = Annotated[
    bool, typer.Option("--todo", help="Tasks as to-dos (VTODO), for apps with a task list.")
]


@app.command("export")
def export(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to FILE, replaced atomically (default: stdout; '-' is stdout).",
            show_default=False,
        ),
    ] = None,
    tasks: Tasks = True,
    deals: Deals = True,
    activities: Activities = False,
    closed: Closed = False,
    todo: Todo = False,
    assignee: Annotated[
        str | None,
        typer.Option(
            help="Only this member's tasks, deals they own and activities they logged.",
            autocompletion=completion.members,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only entries on or after this day: 2026-11-01, -30d, today..."),
    ] = None,
) -> None:
    """Write the calendar (RFC 5545) of the workspace; the same data gives the same bytes."""
    from tcrm.ics import calendar as ics_calendar  # icalendar: only for the command using it

    result = service.export_calendar(
        workspace(ctx),
        render=ics_calendar.render,
        output=None if output is None or str(output) == "-" else output,
        tasks=tasks,
        deals=deals,
        activities=activities,
        closed=closed,
        todo=todo,
        assignee=assignee,
        since=since,
        now=now(ctx),
    )
    if result.path is None:
        write_bytes(result.data)
        return
    shown = ", ".join(f"{n} {kind}" for kind, n in service.counts(result.feed).items() if n)
    render.message(f"Wrote {result.path} ({shown or 'empty'})")


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback needs --token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="TCRM_ICS_TOKEN",
            help="Secret first path segment: /TOKEN/calendar.ics (or $TCRM_ICS_TOKEN).",
            show_default=False,
        ),
    ] = None,
    tasks: Tasks = True,
    deals: Deals = True,
    activities: Activities = False,
    closed: Closed = False,
    todo: Todo = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No line per request on stderr.")] = False,
) -> None:
    """Serve the live feed at /[TOKEN/]calendar.ics and /[TOKEN/]MEMBER.ics until Ctrl-C."""
    from tcrm.ics import server as ics_server  # http.server, ssl, icalendar: only here

    ws = workspace(ctx)
    options = service.feed_options(
        ws,
        tasks=tasks,
        deals=deals,
        activities=activities,
        closed=closed,
        todo=todo,
        now=now(ctx),
    )
    server = ics_server.make_server(
        ws.root,
        host=host,
        port=port,
        token=token,
        options=options,
        quiet=quiet,
    )
    render.message(f"Serving {server.url()} (per member: {server.url('MEMBER')})")
    if token is not None:
        render.message(f"{ics_server.MASK} is {_token_source(ctx)}.")
    render.message("Press Ctrl-C to stop.")
    ics_server.run(server)
    render.message("Stopped.")


def _token_source(ctx: typer.Context) -> str:
    """Where the token came from, so its owner can find it: it is never shown."""
    source = ctx.get_parameter_source("token")  # click's ParameterSource, by name
    if source is not None and source.name == "ENVIRONMENT":
        return "the value of $TCRM_ICS_TOKEN (never printed or logged)"
    return (
        "the value given to --token (never printed or logged; $TCRM_ICS_TOKEN would keep "
        "it out of `ps`)"
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ics")
