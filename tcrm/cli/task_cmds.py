"""``tcrm task ...``: to-dos and planned contacts, with reminders and recurrence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import typer

from tcrm.cli import completion, render
from tcrm.cli.editor import Assignments, CustomFields, edit_command
from tcrm.cli.state import now, workspace
from tcrm.cli.task_table import TASK_COLUMNS as TASK_COLUMNS
from tcrm.cli.task_table import due_text as due_text
from tcrm.cli.task_table import task_rows as task_rows
from tcrm.cli.terminal import out
from tcrm.model.due import TaskItem
from tcrm.model.records import Task
from tcrm.services import tasks as service
from tcrm.services.query import HELP as FILTER_HELP

app = typer.Typer(
    name="task",
    help="Tasks: add, list, show, done, snooze, cancel, reopen, edit.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Ref = Annotated[
    str,
    typer.Argument(
        help="Task id, unique id prefix, title or its unique start.",
        autocompletion=completion.tasks,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/json/tasks.md).")]
STATE_STYLE = {"overdue": "red", "today": "yellow"}


# --- shared with the planner --------------------------------------------------------------


def moment_json(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.isoformat(timespec="minutes")
    return moment.isoformat()


def item_json(entry: TaskItem) -> dict[str, Any]:
    """A task as in its file, plus its computed due state and due moment."""
    return {
        **render.record_json(entry.task),
        "due_state": entry.state,
        "due_at": moment_json(entry.due_at),
    }


def task_styles(entries: list[TaskItem]) -> list[str | None]:
    return [
        STATE_STYLE.get(e.state or "") or ("dim" if e.task.status != "open" else None)
        for e in entries
    ]


# --- changes --------------------------------------------------------------------------


@app.command("add")
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What to do, e.g. 'Call Jane about the offer'.")],
    due: Annotated[
        str | None,
        typer.Option(
            help="When: 2026-12-01, 'tomorrow 10:00', +3d, fri, eow... A day without a time "
            "is a whole day; a time is local to the assignee's zone (or --tz)."
        ),
    ] = None,
    client: Annotated[
        list[str] | None,
        typer.Option(help="A client it is about; repeatable.", autocompletion=completion.clients),
    ] = None,
    deal: Annotated[
        list[str] | None,
        typer.Option(
            help="A deal it is about (links its client too); repeatable.",
            autocompletion=completion.deals,
        ),
    ] = None,
    contact: Annotated[
        list[str] | None,
        typer.Option(help="A client's contact person (name or email); repeatable."),
    ] = None,
    remind: Annotated[
        list[str] | None,
        typer.Option(help="Remind this long before due: 30m, 2h, 1d, 1w; repeatable."),
    ] = None,
    repeat: Annotated[
        str | None,
        typer.Option(
            help="daily, weekdays, weekly, monthly, yearly, or an RRULE such as "
            "FREQ=WEEKLY;BYDAY=MO,TH. Needs --due."
        ),
    ] = None,
    priority: Annotated[str | None, typer.Option(help="high, medium or low.")] = None,
    assignee: Annotated[str | None, typer.Option(help="The team member who does it.")] = None,
    duration: Annotated[
        int | None, typer.Option(help="How long it takes, in minutes (for calendars).")
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            help="IANA zone of the due time, e.g. America/New_York (default: the "
            "assignee's, else the workspace's)."
        ),
    ] = None,
    note: Annotated[str | None, typer.Option(help="Free text notes.")] = None,
    custom: CustomFields = None,
) -> None:
    """Add a task; prints its id."""
    task = service.add_task(
        workspace(ctx),
        title=title,
        due=due,
        clients=client or [],
        deals=deal or [],
        contacts=contact or [],
        reminders=remind or [],
        repeat=repeat,
        priority=priority,
        assignee=assignee,
        duration=duration,
        timezone=tz,
        notes=note,
        now=now(ctx),
        assignments=custom or [],
    )
    when = f" due {due_text(task)}" if task.due is not None else ""
    render.message(f"Added task {task.id}: {task.title}{when}")
    print(task.id)


@app.command("done")
def done(ctx: typer.Context, ref: Ref) -> None:
    """Complete a task; a recurring one gets its next occurrence (same id in every clone)."""
    result = service.complete_task(workspace(ctx), ref=ref, now=now(ctx))
    render.message(f"task {result.task.id}: done")
    if result.next is not None:
        render.message(f"  next: {result.next.id} due {due_text(result.next)}")
    elif result.next_existed:
        render.message("  its next occurrence already exists")


@app.command("snooze")
def snooze(
    ctx: typer.Context,
    ref: Ref,
    to: Annotated[
        str,
        typer.Argument(
            help="+2d, +1w, +1mo (from the due day; from today when overdue; keeps the "
            "time of day), a day (fri, 2026-12-01; keeps the time), or a time "
            "('tomorrow 10:00', +2h)."
        ),
    ],
) -> None:
    """Move an open task's due date (of this occurrence only, for a recurring task)."""
    task = service.snooze_task(workspace(ctx), ref=ref, to=to, now=now(ctx))
    render.message(f"task {task.id}: due {due_text(task)}")


@app.command("cancel")
def cancel(ctx: typer.Context, ref: Ref) -> None:
    """Cancel an open task: it will not be done, and stays in the history."""
    task = service.cancel_task(workspace(ctx), ref=ref, now=now(ctx))
    render.message(f"task {task.id}: cancelled")


@app.command("reopen")
def reopen(ctx: typer.Context, ref: Ref) -> None:
    """Open a done or cancelled task again."""
    task = service.reopen_task(workspace(ctx), ref=ref, now=now(ctx))
    render.message(f"task {task.id}: open")


@app.command("edit")
def edit(ctx: typer.Context, ref: Ref, assignments: Assignments = None) -> None:
    """Change a task's fields; status has its own commands (done, cancel, reopen).

    Values are taken as `task add` takes them: --set due=fri, due="tomorrow 11:00",
    repeat=weekly, reminders=30m, contacts="Jane Doe" (a contact person's name or email).
    """
    ws = workspace(ctx)

    def apply() -> Task | None:
        items = assignments or []
        return service.edit_task(ws, ref=ref, assignments=items, now=now(ctx))

    edit_command(ws, "task", ref, apply if assignments else None)


# --- reading --------------------------------------------------------------------------

FILTERS_EPILOG = "\n\n".join("\b\n" + part for part in FILTER_HELP.strip().split("\n\n"))


@app.command("list", epilog=FILTERS_EPILOG, context_settings={"max_content_width": 100})
def list_(
    ctx: typer.Context,
    filters: Annotated[
        list[str] | None,
        typer.Argument(
            help="Filter terms, e.g. priority:high due.before:fri (see below).",
            show_default=False,
        ),
    ] = None,
    today: Annotated[
        bool, typer.Option("--today", help="Due today (the assignee's today).")
    ] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Past due.")] = False,
    week: Annotated[
        bool, typer.Option("--week", help="Overdue or due within the next 7 days.")
    ] = False,
    all_: Annotated[bool, typer.Option("--all", help="Done and cancelled tasks too.")] = False,
    assignee: Annotated[str | None, typer.Option(help="Only this member's tasks.")] = None,
    client: Annotated[
        str | None,
        typer.Option(
            help="Only tasks about this client (or its deals).", autocompletion=completion.clients
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List open tasks, overdue first, then day by day (all-day before timed); undated last.

    --today, --overdue and --week select (several: any of them); "today" and "overdue"
    are the assignee's, and a task due on a day without a time is overdue only when
    that day has ended.
    """
    entries = service.list_tasks(
        workspace(ctx),
        now=now(ctx),
        today=today,
        overdue=overdue,
        week=week,
        include_closed=all_,
        assignee=assignee,
        client=client,
        filters=filters or [],
    )
    if as_json:
        render.emit_json([item_json(e) for e in entries])
        return
    render.table(TASK_COLUMNS, task_rows(entries), styles=task_styles(entries))


@app.command("show")
def show(ctx: typer.Context, ref: Ref, as_json: AsJson = False) -> None:
    """One task with all its fields and its due state."""
    entry = service.get_task(workspace(ctx), ref=ref, now=now(ctx))
    if as_json:
        render.emit_json(item_json(entry))
        return
    task = entry.task

    def line(text: str) -> None:
        out.print(text, markup=False, highlight=False)

    line(f"{task.title}  [{task.id}]")
    state = f" ({entry.state})" if entry.state else ""
    line(f"status:      {task.status}{state}")
    for label, value in (
        ("due", due_text(task)),
        ("duration", f"{task.duration} min" if task.duration else None),
        ("reminders", ", ".join(task.reminders)),
        ("repeat", task.repeat),
        ("series", task.series),
        ("priority", task.priority),
        ("assignee", task.assignee),
        ("clients", ", ".join(task.clients)),
        ("deals", ", ".join(task.deals)),
        ("contacts", ", ".join(task.contacts)),
        ("created", moment_json(task.created)),
        ("completed", moment_json(task.completed)),
    ):
        if value:
            line(f"{label + ':':<12} {value}")
    if task.notes:
        line("")
        line(task.notes)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="task")
