"""The planner: ``tcrm today`` (what needs doing now) and ``tcrm remind`` (for cron).

``remind`` prints each reminder once, ever, in this clone: it keeps the moment of its
last run and the reminders it printed in ``.tcrm/remind.json`` (local, never synced),
and holds the workspace lock while it reads and updates that state, so two cron runs
at the same time never print the same reminder twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tcrm.model import insights
from tcrm.model.due import Reminder, TaskItem, is_overdue, reminders_of
from tcrm.model.flows import flows_of
from tcrm.model.records import Client, Deal
from tcrm.services import client_selection, hooks, status_counts
from tcrm.services.completion_values import completion_values
from tcrm.services.conflicts import OpenConflict, open_conflicts, settings_conflicts
from tcrm.services.records import candidates, contact_activities, local_now
from tcrm.services.tasks import check_member, open_tasks_due_by
from tcrm.store import early_index
from tcrm.store.local_state import read_state, write_state
from tcrm.store.where import eq, may_need_contact, may_rot, present
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
    clients_to_contact: list[insights.DueContact[Client]]
    conflicts: list[OpenConflict] = field(default_factory=list)
    """Open merge conflicts (every one, whoever's): a sync left them for anyone to settle."""


def agenda(ws: Workspace, *, now: datetime, assignee: str | None = None) -> Agenda:
    """``tcrm today``: overdue and today's tasks, reminders that are due, rotting deals
    and clients past their keep-in-touch cadence (with ``assignee``: only theirs, i.e.
    tasks assigned to them, deals and clients they own), and the open merge conflicts."""
    now = local_now(ws, now)
    settings = ws.settings
    assignee = check_member(ws, assignee, "assignee")
    entries, reminders = _due(ws, now, assignee)
    deals = _rotting_candidates(ws, now, assignee)
    clients = _cadence_clients(ws, now, assignee)
    refs = [f"deal:{d.id}" for d in deals if insights.may_rot(d, settings, now)]
    refs += [f"client:{c.id}" for c in clients]
    activities = contact_activities(ws, refs)
    return Agenda(
        overdue=[e for e in entries if e.state == "overdue"],
        today=[e for e in entries if e.state == "today"],
        reminders=reminders,
        rotting_deals=insights.rotting_deals(deals, activities, settings, now),
        clients_to_contact=insights.clients_to_contact(
            clients, activities, now, settings.mail.counts_as_contact
        ),
        conflicts=open_conflicts(ws),
    )


def _due(
    ws: Workspace, now: datetime, assignee: str | None
) -> tuple[list[TaskItem], list[Reminder]]:
    """The open tasks due by today (overdue first), and the reminders that are due (the
    latest fired one of each task not overdue yet), earliest first."""
    return status_counts.due_entries(open_tasks_due_by(ws, now.date(), assignee), ws.settings, now)


@dataclass(frozen=True)
class Status:
    """``tcrm status``: the counts of ``tcrm today``'s first sections, for a prompt."""

    overdue: int
    today: int
    reminders: int
    conflicts: int


def status(ws: Workspace, *, now: datetime) -> Status:
    """How many tasks are overdue and due today, reminders due and open merge conflicts:
    what ``agenda`` lists, without the rotting deals and clients (which read every deal's
    and client's latest activity). Only the tasks due by today and the records holding a
    conflict are read, through the index. Counted by ``status_counts.tally``, which the
    early path of ``tcrm status`` calls too; what it needs of the settings is kept in the
    index for that path (``early_index.remember_settings``)."""
    now = local_now(ws, now)
    counts = status_counts.tally(
        open_tasks_due_by(ws, now.date()), ws.settings, len(open_conflicts(ws)), now
    )
    if ws.index() is not None:
        early_index.remember_settings(ws.root, lambda: early_summary(ws))
    return Status(**counts)


def early_summary(ws: Workspace) -> dict[str, Any]:
    """What the early paths ask of the settings, read again from ``tcrm.yaml`` now (the
    caller checks the file stood still): the zones, the conflicts it holds, and what
    completion offers (stages, members, activity kinds), and what ``deal list`` reads
    (the pipelines' order and probabilities, the workspace's currency), and what
    ``client list`` reads (the lists its options are checked against, which mail counts
    as contact)."""
    settings = ws.load_settings()
    return {
        **status_counts.zones_of(settings),
        "pipelines": flows_of(settings),
        "currency": settings.currency,
        "client_lists": client_selection.lists_of(settings),
        "mail_counts": settings.mail.counts_as_contact,
        "conflicts": len(settings_conflicts(ws)),
        **completion_values(settings),
    }


def _rotting_candidates(ws: Workspace, now: datetime, owner: str | None) -> list[Deal]:
    """Open deals (of ``owner``) that may be rotting."""
    limits = {
        f"{p.id}/{s.id}": s.rotting_days
        for p in ws.settings.pipelines
        for s in p.stages
        if s.rotting_days is not None
    }
    if not limits:
        return []
    where = may_rot(limits, now)
    if owner is not None:
        where &= eq("owner", owner)
    return [
        d
        for d in candidates(ws, "deal", where)
        if isinstance(d, Deal) and (owner is None or d.owner == owner)
    ]


def _cadence_clients(ws: Workspace, now: datetime, owner: str | None) -> list[Client]:
    """Clients (of ``owner``) with a keep-in-touch cadence that may be due a contact.

    The index knows each client's last activity, not whether it was mail that does not
    count (``mail.counts_as_contact``): then every client with a cadence may be due."""
    where = may_need_contact(now)
    if ws.settings.mail.counts_as_contact != "both":
        where = present("cadence")
    if owner is not None:
        where &= eq("owner", owner)
    return [
        c
        for c in candidates(ws, "client", where)
        if isinstance(c, Client) and (owner is None or c.owner == owner)
    ]


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
            for task in open_tasks_due_by(ws, now.date())
            for r in reminders_of(task, settings)
            if since < r.at <= now and _key(r) not in sent
        ]
        due.sort(key=lambda r: (r.at, r.task.id, r.offset))
        sent.update({_key(r): r.at.isoformat() for r in due})
        latest = max(last_run, now) if last_run else now
        write_state(ws, REMIND_STATE, {"last_run": latest.isoformat(), "sent": sent})
    overdue = [t for t in open_tasks_due_by(ws, now.date()) if is_overdue(t, settings, now)]
    hooks.fire_overdue(ws, sorted(overdue, key=lambda t: t.id), now.date(), now)
    return due
