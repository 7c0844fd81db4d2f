"""What ``tcrm status`` counts, worked out in one place for both of its paths.

``tcrm status`` runs on every shell prompt. Its answer is counted here, by ``tally``,
from the open tasks that may be due and the settings' zones: the planner (``tcrm
today``, the normal path) passes its models, and the early path (``tcrm.cli.early_path``,
before Typer and pydantic are imported) passes ``IndexedTask``s read from a fresh local
index. The due rules are ``tcrm.model.due``'s in both. The standard library only, on
purpose: the early path imports this module.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from tcrm.model.due import ZONE_MARGIN, item, reminders_of, sort_key
from tcrm.model.moments import check_offset, parse_date_or_datetime, parse_datetime
from tcrm.model.moments import local_now as local_now  # here too: its callers import it here
from tcrm.model.value import Value
from tcrm.model.whitespace import SPACES as SPACES  # re-exported: what the models strip
from tcrm.model.whitespace import optional_text, required_text
from tcrm.store import early_index
from tcrm.store.where import at_most, eq, present

TYPE_CHECKING = False  # no typing, no dataclasses at run time: ~60 ms of each prompt
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from tcrm.model.due import Reminder, TaskItem
    from tcrm.model.records import Task
    from tcrm.model.settings import Settings
    from tcrm.store.where import Where

FIELDS = ("overdue", "today", "conflicts", "reminders")
"""The counts, in the order of ``--json``; the placeholders of ``--format``."""
STATUSES = ("open", "done", "cancelled")
PRIORITIES = ("high", "medium", "low")


def due_by(day: date) -> Where:
    """The index condition for open tasks that may be due, or remind, on or before
    ``day`` in some zone (``alert``: a task's earliest reminder day, a day early)."""
    limit = (day + timedelta(ZONE_MARGIN)).isoformat()
    return eq("status", "open") & present("alert") & at_most("alert", limit)


def due_entries(
    tasks: Iterable[Task], settings: Settings, now: datetime
) -> tuple[list[TaskItem], list[Reminder]]:
    """The open tasks' due states (overdue first), and the reminders that are due (the
    latest fired one of each task not overdue yet), earliest first: ``tcrm today``'s
    first sections."""
    entries = sorted((item(t, settings, now) for t in tasks if t.status == "open"), key=sort_key)
    reminders = []
    for entry in entries:
        fired = [r for r in reminders_of(entry.task, settings) if r.at <= now]
        if fired and entry.state != "overdue":
            reminders.append(fired[-1])
    return entries, sorted(reminders, key=lambda r: (r.at, r.task.id))


def tally(
    tasks: Iterable[Task], settings: Settings, conflicts: int, now: datetime
) -> dict[str, int]:
    """The counts of ``tcrm status``: tasks overdue and due today, reminders due (of the
    open tasks that may be due by today), and ``conflicts`` as given."""
    entries, reminders = due_entries(tasks, settings, now)
    return {
        "overdue": sum(e.state == "overdue" for e in entries),
        "today": sum(e.state == "today" for e in entries),
        "conflicts": conflicts,
        "reminders": len(reminders),
    }


# --- the early path: from the index's rows, without the models ------------------------


class IndexedTask(Value):
    """The fields of a task the due rules read, from a valid row of the index."""

    __match_args__ = (
        "id",
        "status",
        "due",
        "timezone",
        "assignee",
        "reminders",
        "created",
        "priority",
        "title",
        "clients",
        "deals",
    )
    __slots__ = __match_args__

    def __init__(
        self,
        id: str,
        status: str,
        due: date | datetime | None,
        timezone: str | None,
        assignee: str | None,
        reminders: list[str],
        created: datetime | None,
        priority: str | None,
        title: str = "",
        clients: list[str] | None = None,
        deals: list[str] | None = None,
    ) -> None:
        self.id = id
        self.status = status
        self.due = due
        self.timezone = timezone
        self.assignee = assignee
        self.reminders = reminders
        self.created = created
        self.priority = priority
        self.title = title
        self.clients: list[str] = [] if clients is None else clients
        self.deals: list[str] = [] if deals is None else deals


class Zones(Value):
    """What the due rules ask the settings: the workspace's zone, each member's."""

    __match_args__ = ("timezone", "members")
    __slots__ = __match_args__

    def __init__(self, timezone: str, members: Mapping[str, str | None] | None = None) -> None:
        self.timezone = timezone
        self.members: Mapping[str, str | None] = {} if members is None else members

    def member_timezone(self, member_id: str | None) -> str:
        return (self.members.get(member_id) if member_id else None) or self.timezone


def zones_of(settings: Settings) -> dict[str, Any]:
    """What ``Zones`` holds, as JSON, from the settings (kept in the index)."""
    members: dict[str, str | None] = {}
    for member in settings.team:
        members.setdefault(member.id, member.timezone)
    return {"timezone": settings.timezone, "member_zones": members}


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(value)
    return [required_text(v) for v in value]


def indexed_task(record_id: str, data: str) -> IndexedTask:
    """A valid task row's data as the due rules read it; ``ValueError`` for any value
    not written the way this reader knows for certain the model reads it too."""
    raw = json.loads(data)
    if not isinstance(raw, dict):
        raise ValueError(record_id)
    status = raw.get("status", "open")
    priority = raw.get("priority")
    reminders = raw.get("reminders", [])
    if status not in STATUSES or (priority is not None and priority not in PRIORITIES):
        raise ValueError(record_id)
    if not isinstance(reminders, list) or not all(isinstance(r, str) for r in reminders):
        raise ValueError(record_id)
    due, created = raw.get("due"), raw.get("created")
    if not isinstance(due, str | None) or not isinstance(created, str | None):
        raise ValueError(record_id)
    return IndexedTask(
        id=record_id,
        status=status,
        due=None if due is None else parse_date_or_datetime(due),
        timezone=optional_text(raw.get("timezone")),
        assignee=optional_text(raw.get("assignee")),
        reminders=[check_offset(r) for r in reminders],
        created=None if created is None else parse_datetime(created),
        priority=priority,
        title=required_text(raw.get("title")),
        clients=_texts(raw.get("clients", [])),
        deals=_texts(raw.get("deals", [])),
    )


def kept_zones(settings: Mapping[str, Any]) -> Zones | None:
    """The zones of the settings the index keeps (``zones_of``); ``None`` when they are
    not as ``zones_of`` writes them."""
    timezone, members = settings.get("timezone"), settings.get("member_zones")
    if not isinstance(timezone, str) or not isinstance(members, dict):
        return None
    if not all(isinstance(m, str) and isinstance(z, str | None) for m, z in members.items()):
        return None
    return Zones(timezone, members)


def from_index(
    conn: early_index.Connection, settings: Mapping[str, Any], now: datetime | None
) -> dict[str, int] | None:
    """The counts from a fresh index (``tcrm.store.early_index.open_fresh``) and the
    settings it keeps; ``None`` when the normal path must answer: a record holds merge
    conflicts (``tcrm.services.conflicts`` reads those), or a task's fields are not
    written in the plain way ``indexed_task`` reads."""
    conflicts = settings.get("conflicts")
    zones = kept_zones(settings)
    if zones is None or not isinstance(conflicts, int):
        return None
    try:
        at = local_now(zones.timezone, now)
    except (KeyError, ValueError):  # not a zone (ZoneInfoNotFoundError is a KeyError)
        return None
    if early_index.holds_conflicts(conn):
        return None
    where = due_by(at.date())
    try:
        tasks = [indexed_task(i, d) for i, d in early_index.task_rows(conn, where)]
        # an IndexedTask, the Zones: the fields of a Task, Settings the due rules read
        return tally(tasks, zones, conflicts, at)  # type: ignore[arg-type]
    except (ValueError, TypeError, KeyError):
        return None
