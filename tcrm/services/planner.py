"""The planner: ``tcrm today`` (what needs doing now) and ``tcrm remind`` (for cron).

``remind`` prints each reminder once, ever, in this clone: it keeps the moment of its
last run and the reminders it printed in ``.tcrm/remind.json`` (local, never synced),
and holds the workspace lock while it reads and updates that state, so two cron runs
at the same time never print the same reminder twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.services import insights
from tcrm.services.records import all_records, local_now
from tcrm.services.tasks import (
    Reminder,
    TaskItem,
    check_member,
    item,
    reminders_of,
    sort_key,
)
from tcrm.store.local_state import read_state, write_state
from tcrm.store.workspace import Workspace

REMIND_STATE = "remind"
FIRST_RUN = timedelta(hours=24)
"""On its first run, ``remind`` prints the reminders of the last 24 hours."""
KEEP_SENT = timedelta(days=7)
"""How long printed reminders are remembered (only a clock moved back needs them)."""


@dataclass(frozen=True)
class Agenda:
    """The sections of ``tcrm today``."""

    overdue: list[TaskItem]
    today: list[TaskItem]
    reminders: list[Reminder]
    rotting_deals: list[insights.Rotting]
    clients_to_contact: list[insights.DueContact]


def _open_tasks(ws: Workspace, assignee: str | None) -> list[Task]:
    return [
        t
        for t in all_records(ws, "task")
        if isinstance(t, Task)
        and t.status == "open"
        and (assignee is None or t.assignee == assignee)
    ]


def agenda(ws: Workspace, *, now: datetime, assignee: str | None = None) -> Agenda:
    """``tcrm today``: overdue and today's tasks, reminders that are due, rotting deals
    and clients past their keep-in-touch cadence (with ``assignee``: only theirs, i.e.
    tasks assigned to them, deals and clients they own)."""
    now = local_now(ws, now)
    settings = ws.settings
    assignee = check_member(ws, assignee, "--assignee")
    entries = sorted((item(t, settings, now) for t in _open_tasks(ws, assignee)), key=sort_key)
    activities = [a for a in all_records(ws, "activity") if isinstance(a, Activity)]
    deals = [
        d
        for d in all_records(ws, "deal")
        if isinstance(d, Deal) and (assignee is None or d.owner == assignee)
    ]
    clients = [
        c
        for c in all_records(ws, "client")
        if isinstance(c, Client) and (assignee is None or c.owner == assignee)
    ]
    reminders = []
    for entry in entries:
        fired = [r for r in reminders_of(entry.task, settings) if r.at <= now]
        if fired and entry.state != "overdue":
            reminders.append(fired[-1])
    return Agenda(
        overdue=[e for e in entries if e.state == "overdue"],
        today=[e for e in entries if e.state == "today"],
        reminders=sorted(reminders, key=lambda r: (r.at, r.task.id)),
        rotting_deals=insights.rotting_deals(deals, activities, settings, now),
        clients_to_contact=insights.clients_to_contact(clients, activities, now),
    )


def _key(reminder: Reminder) -> str:
    return f"{reminder.task.id} {reminder.offset} {reminder.at.isoformat()}"


def _moment(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def due_reminders(ws: Workspace, *, now: datetime) -> list[Reminder]:
    """``tcrm remind``: the reminders that fell due since the last run, each once, ever.

    First run: those of the last 24 hours. Closed tasks never remind, and no reminder
    is older than its task. The state is updated even when nothing is due.
    """
    now = local_now(ws, now)
    settings = ws.settings
    with ws.lock():
        state = read_state(ws, REMIND_STATE) or {}
        last_run = _moment(state.get("last_run"))
        raw_sent = state.get("sent")
        sent = {
            key: at
            for key, at in (raw_sent.items() if isinstance(raw_sent, dict) else [])
            if (moment := _moment(at)) is not None and moment > now - KEEP_SENT
        }
        since = last_run or now - FIRST_RUN
        due = [
            r
            for task in _open_tasks(ws, None)
            for r in reminders_of(task, settings)
            if since < r.at <= now and _key(r) not in sent
        ]
        due.sort(key=lambda r: (r.at, r.task.id, r.offset))
        sent.update({_key(r): r.at.isoformat() for r in due})
        latest = max(last_run, now) if last_run else now
        write_state(ws, REMIND_STATE, {"last_run": latest.isoformat(), "sent": sent})
    return due
