"""``tcrm today`` (the morning view) and ``tcrm remind`` (for cron)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer

from tcrm.cli import render
from tcrm.cli.error_words import error_text
from tcrm.cli.render import Column
from tcrm.cli.state import now, workspace
from tcrm.cli.task_cmds import (
    TASK_COLUMNS,
    due_text,
    item_json,
    moment_json,
    task_rows,
)
from tcrm.cli.terminal import out
from tcrm.errors import TcrmError
from tcrm.model.due import Reminder
from tcrm.model.insights import DueContact, Rotting
from tcrm.services import planner as service

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/json/tasks.md).")]


def reminder_json(reminder: Reminder) -> dict[str, Any]:
    task = reminder.task
    return {
        "task": task.id,
        "title": task.title,
        "offset": reminder.offset,
        "at": moment_json(reminder.at),
        "due": moment_json(task.due),
        "due_at": moment_json(reminder.due_at),
        "assignee": task.assignee,
        "clients": task.clients,
        "deals": task.deals,
    }


def rotting_json(rotting: Rotting) -> dict[str, Any]:
    deal = rotting.deal
    return {
        "id": deal.id,
        "title": deal.title,
        "client": deal.client,
        "pipeline": deal.pipeline,
        "stage": deal.stage,
        "owner": deal.owner,
        "amount": format(deal.amount, "f") if deal.amount is not None else None,
        "currency": deal.currency,
        "idle_days": rotting.idle_days,
        "threshold": rotting.threshold,
    }


def contact_json(due: DueContact) -> dict[str, Any]:
    return {
        "id": due.client.id,
        "name": due.client.name,
        "owner": due.client.owner,
        "last_contact": moment_json(due.last_contact),
        "days_since": due.days_since,
        "cadence_days": due.cadence_days,
    }


REMINDER_COLUMNS = ["Remind at", "Before", "Id", "Due", "Title", "Assignee", "Clients"]


def reminder_rows(reminders: list[Reminder]) -> list[list[Any]]:
    return [
        [
            f"{r.at:%Y-%m-%d %H:%M}",
            r.offset,
            r.task.id,
            due_text(r.task),
            r.task.title,
            r.task.assignee,
            ", ".join(r.task.clients),
        ]
        for r in reminders
    ]


def _section(
    title: str,
    empty: str,
    columns: Sequence[Column | str],
    rows: list[list[Any]],
    style: str | None = None,
) -> None:
    heading = f"{title} ({len(rows)})" if rows else f"{title}: {empty}"
    out.print(heading, markup=False, highlight=False, style=f"bold {style or ''}".strip())
    if rows:
        render.table(columns, rows, styles=[style] * len(rows) if style else None)
    out.print("", markup=False)


def today(
    ctx: typer.Context,
    assignee: Annotated[
        str | None,
        typer.Option(help="Only this member's tasks, and the deals and clients they own."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """What needs doing now: overdue and today's tasks, reminders that are due, rotting
    deals, and clients not contacted for longer than their cadence; open merge conflicts
    first, when a sync left some.

    "Today" and "overdue" are each task's assignee's (see `tcrm task list --help`). A
    task due on a day without a time reminds as if due at 09:00 that day.
    """
    _escalate(ctx)
    plan = service.agenda(workspace(ctx), now=now(ctx), assignee=assignee)
    if as_json:
        render.emit_json(
            {
                "overdue": [item_json(e) for e in plan.overdue],
                "today": [item_json(e) for e in plan.today],
                "reminders": [reminder_json(r) for r in plan.reminders],
                "rotting_deals": [rotting_json(r) for r in plan.rotting_deals],
                "clients_to_contact": [contact_json(c) for c in plan.clients_to_contact],
                "conflicts": [render.conflict_json(c) for c in plan.conflicts],
            }
        )
        return
    if plan.conflicts:
        _section(
            "Open conflicts",
            "none",
            ["Record", "Field", "Kept", "Other", "Resolve"],
            render.conflict_rows(plan.conflicts),
            "red",
        )
    sections: list[tuple[str, str, Sequence[Column | str], list[list[Any]], str | None]] = [
        ("Overdue", "none", TASK_COLUMNS, task_rows(plan.overdue), "red"),
        ("Today", "nothing due", TASK_COLUMNS, task_rows(plan.today), None),
        ("Reminders", "none due", REMINDER_COLUMNS, reminder_rows(plan.reminders), None),
        (
            "Rotting deals",
            "none",
            ["Id", "Title", "Client", "Stage", "Owner", Column("Idle days", justify="right")],
            [
                [r.deal.id, r.deal.title, r.deal.client, r.deal.stage, r.deal.owner, _idle(r)]
                for r in plan.rotting_deals
            ],
            None,
        ),
        (
            "Clients to contact",
            "none",
            ["Id", "Name", "Owner", "Last contact", Column("Days", justify="right"), "Cadence"],
            [
                [
                    c.client.id,
                    c.client.name,
                    c.client.owner,
                    f"{c.last_contact:%Y-%m-%d}" if c.last_contact else "never",
                    c.days_since,
                    f"{c.cadence_days} days",
                ]
                for c in plan.clients_to_contact
            ],
            None,
        ),
    ]
    for title, empty, columns, rows, style in sections:
        _section(title, empty, columns, rows, style)


def _escalate(ctx: typer.Context) -> None:
    """Create the escalation tasks now due (docs/automation.md); a workspace that cannot
    take a commit now (a detached HEAD, a merge under way) is told, never fatal here."""
    from tcrm.services.escalation import escalate

    ws = workspace(ctx)
    try:
        created = escalate(ws, now=now(ctx))
    except TcrmError as exc:
        ws.warnings.append(f"escalation tasks not created: {error_text(exc, ctx.command)}")
        return
    for task in created:
        render.message(f"escalated: task {task.id} for {task.assignee or 'nobody'}: {task.title}")


def _idle(rotting: Rotting) -> str:
    return f"{rotting.idle_days} (> {rotting.threshold})"


def remind(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Print the reminders that fell due since the last run, each once, ever.

    Made for cron (e.g. every 5 minutes): prints nothing when nothing is due and always
    exits 0 on success. The first run shows the reminders of the last 24 hours. The
    state lives in .tcrm/remind.json of this workspace (local, never synced).
    """
    _escalate(ctx)
    due = service.due_reminders(workspace(ctx), now=now(ctx))
    if as_json:
        render.emit_json([reminder_json(r) for r in due])
        return
    if due:
        render.table(REMINDER_COLUMNS, reminder_rows(due))


def register(root: typer.Typer) -> None:
    root.command("today")(today)
    root.command("remind")(remind)
