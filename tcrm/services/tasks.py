"""Tasks: add, list, complete (moving a recurring task on), snooze, cancel, reopen.

The due-state helpers at the top are pure: the planner, reminders and the calendar
export share them, so "overdue" means the same thing everywhere.

Time rules:
- A timed due (``2026-11-24T10:00``) is local to the task's ``timezone``, else to the
  workspace's (an offset in the file wins); it is overdue once that moment has passed.
- A date-only due (``2026-11-24``) is a day *of the assignee* (of the workspace when
  unassigned): it is overdue only after that day has ended in the assignee's zone.
  Where a moment is needed (reminders, ordering) it stands for 09:00 that day.
- "today" is the assignee's today (the workspace's for an unassigned task).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tcrm.errors import AmbiguousError, Field, Hint, NotFoundError, RuleError, UsageError
from tcrm.model.due import (
    Reminder,
    TaskItem,
    aware,
    item,
    next_due,
    occurrence_id,
    reminders_of,
    task_zone,
)
from tcrm.model.records import Client, Deal, Task
from tcrm.model.settings import Settings
from tcrm.model.types import check_rrule, check_timezone, parse_offset
from tcrm.model.when import WhenError, parse_when
from tcrm.services import hooks, status_counts, task_selection
from tcrm.services.query import apply_filters, named_fields, parse_filters
from tcrm.services.records import (
    build,
    candidates,
    custom_assignments,
    ensure_valid,
    linked,
    local_now,
    resolve,
    set_fields,
    split_assignment,
    starts_with,
    updated,
)
from tcrm.services.task_selection import WEEK_DAYS as WEEK_DAYS
from tcrm.services.task_selection import Selection
from tcrm.store import early_index
from tcrm.store.where import any_of, contains, eq
from tcrm.store.workspace import Workspace

REPEAT_WORDS = {
    "daily": "FREQ=DAILY",
    "weekdays": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "weekly": "FREQ=WEEKLY",
    "monthly": "FREQ=MONTHLY",
    "yearly": "FREQ=YEARLY",
}
PRIORITIES = ("high", "medium", "low")
MAX_DURATION = 24 * 60 * 14
PROTECTED: dict[str, Hint] = {
    "status": ("use `tcrm task done REF`, `tcrm task cancel REF` or `tcrm task reopen REF`",),
    "completed": ("it is set by `tcrm task done` and cleared by `tcrm task reopen`",),
}
"""Fields ``task edit --set`` refuses, with the command that changes them."""


def next_occurrence(task: Task, settings: Settings) -> Task | None:
    """The next occurrence of a recurring task, derived from ``task`` alone.

    Its id and content depend only on the completed occurrence, so two clones completing
    the same occurrence write the identical file and converge after a sync. ``created``
    is the completed occurrence's due moment (the start of its day for a date-only due).
    """
    following = next_due(task)
    if following is None or task.due is None:
        return None
    series = task.series or task.id
    home = ZoneInfo(settings.timezone)
    if isinstance(task.due, datetime):
        created = aware(task.due, task_zone(task, settings)).astimezone(home)
    else:
        created = datetime.combine(task.due, time(), tzinfo=home)
    data = task.model_dump()
    data.pop("completed", None)
    data.update(
        id=occurrence_id(series, following),
        status="open",
        due=following,
        series=series,
        created=created.replace(second=0, microsecond=0),
    )
    new = build("task", data)
    assert isinstance(new, Task)
    return new


# --- parsing command-line input ----------------------------------------------------------


def parse_repeat(text: str) -> str:
    """``daily``, ``weekdays``, ``weekly``, ``monthly``, ``yearly`` or an RFC 5545 RRULE."""
    word = text.strip().lower()
    if word in REPEAT_WORDS:
        return REPEAT_WORDS[word]
    words = ", ".join(REPEAT_WORDS)
    try:
        rule = check_rrule(text)
    except ValueError as exc:
        raise UsageError(f"{exc}, or one of {words}", field="repeat") from None
    if re.search(r"FREQ=(HOURLY|MINUTELY|SECONDLY)", rule):
        raise UsageError(Field("repeat"), f" {text!r}: a task repeats at most daily")
    return rule


def parse_reminders(texts: Iterable[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        try:
            parse_offset(text)
        except ValueError as exc:
            raise UsageError(str(exc), field="reminders") from None
        value = text.strip().lower()
        if value not in out:
            out.append(value)
    return out


def _priority(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip().lower()
    if value not in PRIORITIES:
        raise UsageError(Field("priority"), f" {text!r} is not one of {', '.join(PRIORITIES)}")
    return value


def _timezone(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return check_timezone(text.strip())
    except ValueError as exc:
        raise UsageError(str(exc), field="timezone") from None


def check_member(ws: Workspace, member: str | None, field: str) -> str | None:
    """``member`` (given for ``field``) if the team has it, stripped."""
    if member is None:
        return None
    member = member.strip()
    team = ws.settings.team
    if team and ws.settings.member(member) is None:
        ids = ", ".join(m.id for m in team)
        raise UsageError(Field(field), f" {member!r} is not a team member ({ids})")
    return member


def local_clock(now: datetime, zone: ZoneInfo) -> datetime:
    """``now`` as the naive wall-clock time in ``zone``: what ``parse_when`` expects."""
    return now.astimezone(zone).replace(tzinfo=None)


def parse_due(
    text: str, now: datetime, zone_name: str, settings: Settings, field: str = "due"
) -> tuple[date | datetime, str | None]:
    """A due as typed, relative to ``now`` in ``zone_name``: ``(due, timezone to store)``.

    A day stays a day; a time is kept as local wall-clock time, with the zone stored
    only when it is not the workspace's.
    """
    try:
        value = parse_when(text, local_clock(now, ZoneInfo(zone_name)), settings.date_order)
    except WhenError as exc:
        raise UsageError(str(exc), field=field) from None
    if isinstance(value, datetime):
        return value, (zone_name if zone_name != settings.timezone else None)
    return value, None


def _contacts(
    ws: Workspace, names: Sequence[str], client_ids: list[str]
) -> tuple[list[str], list[str]]:
    """Contact people named on the command line, spelt as stored, and their clients.

    A name is looked up among the linked clients' contacts first, then among every
    client's (linking that client too).
    """
    if not names:
        return [], list(client_ids)
    wanted_texts = [name.strip().casefold() for name in names]
    where = any_of(*(contains("text", text) for text in wanted_texts))
    found = candidates(ws, "client", where)  # the index narrows; rules below
    clients = [c for c in found if isinstance(c, Client)]
    linked = [c for c in clients if c.id in client_ids]
    out: list[str] = []
    client_ids = list(client_ids)
    for name in names:
        wanted = name.strip().casefold()
        for pool in (linked, clients):
            people = [(c, p) for c in pool for p in c.contacts]
            owners = [
                (c, p)
                for c, p in people
                if p.name.casefold() == wanted or any(e.casefold() == wanted for e in p.emails)
            ] or [(c, p) for c, p in people if starts_with(p.name, wanted)]
            if owners:
                break
        if not owners:
            raise NotFoundError(
                Field("contacts"), f" {name!r} is not a contact person of any client"
            )
        if len({p.name for _, p in owners}) > 1:
            listed = ", ".join(sorted(f"{p.name} ({c.id})" for c, p in owners))
            raise AmbiguousError(Field("contacts"), f" {name!r} matches several people: {listed}")
        if len({c.id for c, _ in owners}) > 1:
            ids = ", ".join(sorted({c.id for c, _ in owners}))
            raise UsageError(
                Field("contacts"),
                f" {name!r} works at several clients ({ids}); add ",
                Field("clients"),
            )
        client, person = owners[0]
        if person.name not in out:
            out.append(person.name)
        if client.id not in client_ids:
            client_ids.append(client.id)
    return out, client_ids


def contact_names(ws: Workspace, names: Sequence[str]) -> list[str]:
    """Contact people as ``task add --contact`` finds them, spelt as stored; refuses one
    no client has, or one at several clients."""
    return _contacts(ws, names, [])[0]


def _links(
    ws: Workspace, client_refs: Sequence[str], deal_refs: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Client and deal ids from references; a deal's client is linked too."""
    clients: list[str] = []
    deals: list[str] = []
    for ref in deal_refs:
        deal = resolve(ws, "deal", ref)
        assert isinstance(deal, Deal)
        if deal.id not in deals:
            deals.append(deal.id)
    for ref in client_refs:
        client_id = resolve(ws, "client", ref).id
        if client_id not in clients:
            clients.append(client_id)
    for deal_id in deals:
        deal = ws.get("deal", deal_id)
        assert isinstance(deal, Deal)
        if deal.client not in clients:
            clients.append(deal.client)
    return clients, deals


# --- use cases ------------------------------------------------------------------------


def _minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def add_task(
    ws: Workspace,
    *,
    title: str,
    due: str | None = None,
    clients: Sequence[str] = (),
    deals: Sequence[str] = (),
    contacts: Sequence[str] = (),
    reminders: Sequence[str] = (),
    repeat: str | None = None,
    priority: str | None = None,
    assignee: str | None = None,
    duration: int | None = None,
    timezone: str | None = None,
    notes: str | None = None,
    now: datetime,
    assignments: Sequence[str] = (),
) -> Task:
    """``tcrm task add``: a new task; a recurring one starts its own series.

    ``assignments`` (``name=value``) set custom fields (tcrm.yaml ``fields.task``)."""
    now = local_now(ws, now)
    settings = ws.settings
    assignee = check_member(ws, assignee, "assignee")
    zone = _timezone(timezone) or settings.member_timezone(assignee)
    due_value, due_zone = parse_due(due, now, zone, settings) if due is not None else (None, None)
    offsets = parse_reminders(reminders)
    if duration is not None and not 1 <= duration <= MAX_DURATION:
        raise UsageError(Field("duration"), f" {duration}: give minutes, from 1 to {MAX_DURATION}")
    rule = parse_repeat(repeat) if repeat is not None else None
    if due_value is None and (offsets or rule):
        raise UsageError(Field("repeat" if rule else "reminders"), " needs ", Field("due"))
    client_ids, deal_ids = _links(ws, clients, deals)
    names, client_ids = _contacts(ws, contacts, client_ids)
    task_id = ws.new_id("task", title)
    data = {
        "id": task_id,
        "title": title,
        "due": due_value,
        "timezone": due_zone,
        "duration": duration,
        "reminders": offsets,
        "repeat": rule,
        "priority": _priority(priority),
        "assignee": assignee,
        "clients": client_ids,
        "deals": deal_ids,
        "contacts": names,
        "series": task_id if rule else None,
        "created": _minute(now),
        "notes": notes,
        **custom_assignments("task", assignments, settings, now),
    }
    task = build("task", {k: v for k, v in data.items() if v is not None})
    ensure_valid(ws, task)
    assert isinstance(task, Task)
    hooks.check_before(ws, "task.added", [task])
    with ws.transaction(f"task {task_id}: add") as tx:
        tx.put(task, create=True)
    hooks.fire(ws, "task.added", [task])
    return task


def _task(ws: Workspace, ref: str) -> Task:
    task = resolve(ws, "task", ref)
    assert isinstance(task, Task)
    return task


def get_task(ws: Workspace, *, ref: str, now: datetime) -> TaskItem:
    """``tcrm task show``: one task with its due state."""
    return item(_task(ws, ref), ws.settings, local_now(ws, now))


def list_tasks(
    ws: Workspace,
    *,
    now: datetime,
    today: bool = False,
    overdue: bool = False,
    week: bool = False,
    include_closed: bool = False,
    assignee: str | None = None,
    client: str | None = None,
    filters: Sequence[str] = (),
) -> list[TaskItem]:
    """``tcrm task list``: open tasks (all with ``include_closed``, or when a filter term
    names the status: ``status:done``), overdue first.

    ``today``, ``overdue`` and ``week`` each select tasks (several select their union),
    judged in each task's assignee's zone: ``today`` = due on the assignee's today
    (including a time earlier today), ``week`` = overdue or due within ``WEEK_DAYS`` days
    (up to and including the day ``+7d`` names).
    """
    now = local_now(ws, now)
    settings = ws.settings
    assignee = check_member(ws, assignee, "assignee")
    compiled = parse_filters(filters, Task, now, settings.date_order, settings.fields.of(Task.KIND))
    chosen = Selection(
        today=today,
        overdue=overdue,
        week=week,
        include_closed=include_closed or "status" in named_fields(compiled),
        assignee=assignee,
    )
    where = task_selection.window(now, chosen)
    if client is not None:
        client_id = resolve(ws, "client", client).id
        deal_ids = frozenset(
            d.id
            for d in candidates(ws, "deal", eq("client", client_id))
            if isinstance(d, Deal) and d.client == client_id
        )
        chosen = chosen.for_client(frozenset({client_id}), deal_ids)
        refs = [f"client:{client_id}", *(f"deal:{d}" for d in sorted(deal_ids))]
        found = linked(ws, "task", refs, where)
    else:
        found = candidates(ws, "task", where)
    tasks = [t for t in apply_filters(found, compiled) if isinstance(t, Task)]
    if ws.index() is not None:  # what the early path of `task list` reads of the settings
        early_index.remember_settings(ws.root, lambda: _early_summary(ws))
    return task_selection.select(tasks, settings, now, chosen)


def _early_summary(ws: Workspace) -> dict[str, object]:
    from tcrm.services.planner import early_summary  # imported once per settings change

    return early_summary(ws)


def open_tasks_due_by(ws: Workspace, day: date, assignee: str | None = None) -> list[Task]:
    """Open tasks that may be due, or remind, on or before ``day`` (index-narrowed)."""
    where = status_counts.due_by(day)
    if assignee is not None:
        where &= eq("owner", assignee)
    return [
        t
        for t in candidates(ws, "task", where)
        if isinstance(t, Task)
        and t.status == "open"
        and (assignee is None or t.assignee == assignee)
    ]


def coming_reminders(ws: Workspace, *, now: datetime, within: timedelta) -> list[Reminder]:
    """Reminders of open tasks that fall due after ``now`` and within ``within`` of it,
    earliest first (what an app that stays open should notify)."""
    now = local_now(ws, now)
    settings = ws.settings
    until = now + within
    out = [
        reminder
        for task in open_tasks_due_by(ws, until.date())
        for reminder in reminders_of(task, settings)
        if now < reminder.at <= until
    ]
    return sorted(out, key=lambda r: (r.at, r.task.id))


def _ensure_open(task: Task, action: str) -> None:
    if task.status == "open":
        return
    hint = f"reopen it first with `tcrm task reopen {task.id}`"
    raise RuleError(f"task {task.id} is already {task.status}; cannot {action} it ({hint})")


@dataclass(frozen=True)
class Completion:
    """A completed task and the next occurrence its completion created (if any)."""

    task: Task
    next: Task | None
    next_existed: bool = False


def complete_task(ws: Workspace, *, ref: str, now: datetime) -> Completion:
    """``tcrm task done``: one commit; a recurring task also gets its next occurrence.

    The next occurrence has a deterministic id (``<series>-<yyyymmdd>``); if it already
    exists (completed in another clone and synced), this only completes the task.
    """
    now = _minute(local_now(ws, now))
    with ws.lock():
        task = _task(ws, ref)
        _ensure_open(task, "complete")
        changes: dict[str, object] = {"status": "done", "completed": now}
        following = None
        existed = False
        if task.repeat:
            changes["series"] = task.series or task.id
            following = next_occurrence(task, ws.settings)
            if following is not None and ws.exists("task", following.id):
                following, existed = None, True
        done = updated(task, changes)
        assert isinstance(done, Task)
        message = f"task {task.id}: done"
        if following is not None:
            message += f"; next {following.id}"
        hooks.check_before(ws, "task.done", [done], before={task.id: task})
        with ws.transaction(message) as tx:
            tx.put(done)
            if following is not None:
                tx.put(following, create=True)
    hooks.fire(ws, "task.done", [done], before={task.id: task})
    if following is not None:
        hooks.fire(ws, "task.added", [following])
    return Completion(done, following, existed)


def _change_status(ws: Workspace, ref: str, now: datetime, action: str) -> Task:
    with ws.lock():
        task = _task(ws, ref)
        if action == "reopen":
            if task.status == "open":
                raise RuleError(f"task {task.id} is already open")
            new = updated(task, {"status": "open", "completed": None})
        else:
            _ensure_open(task, action)
            new = updated(task, {"status": "cancelled"})
        assert isinstance(new, Task)
        with ws.transaction(f"task {task.id}: {action}") as tx:
            tx.put(new)
        return new


def cancel_task(ws: Workspace, *, ref: str, now: datetime) -> Task:
    """``tcrm task cancel``: the task will not be done; it stays in the history."""
    return _change_status(ws, ref, now, "cancel")


def reopen_task(ws: Workspace, *, ref: str, now: datetime) -> Task:
    """``tcrm task reopen``: a done or cancelled task is open again (``completed`` cleared)."""
    return _change_status(ws, ref, now, "reopen")


_DAY_OFFSET = re.compile(r"^[+-]\s*\d+\s*(d|w|mo)$")


def snoozed_due(
    task: Task, text: str, now: datetime, settings: Settings
) -> tuple[date | datetime, str | None]:
    """Where ``tcrm task snooze`` moves a due: ``(due, timezone to store)``.

    A day offset (``+2d``, ``+1w``, ``+1mo``) counts from the due day, or from today when
    the task is overdue or undated, and keeps a timed task's time of day. A day
    (``fri``, ``2026-12-01``) also keeps the time of day; a time (``tomorrow 10:00``,
    ``+2h``) replaces the due. A timed task keeps its zone; for a task without a time,
    a new time is the assignee's (as in ``task add``).
    """
    timed = isinstance(task.due, datetime)
    if timed:
        zone_name = task.timezone or settings.timezone
    else:
        zone_name = settings.member_timezone(task.assignee)
    clock = local_clock(now, ZoneInfo(zone_name))
    if _DAY_OFFSET.match(text.strip().lower()):
        own_day = task.due.date() if isinstance(task.due, datetime) else task.due
        base = max(own_day or clock.date(), clock.date())
        clock = datetime.combine(base, clock.time())
    try:
        value = parse_when(text, clock, settings.date_order)
    except WhenError as exc:
        raise UsageError(f"snooze: {exc}") from None
    if isinstance(task.due, datetime):
        if not isinstance(value, datetime):
            return datetime.combine(value, task.due.timetz()), task.timezone
        if task.due.tzinfo is not None:  # an offset written in the file stays one
            local = value.replace(tzinfo=ZoneInfo(zone_name))
            return local.astimezone(task.due.tzinfo), None
        return value, task.timezone
    if isinstance(value, datetime):
        return value, (zone_name if zone_name != settings.timezone else None)
    return value, None


def snooze_task(ws: Workspace, *, ref: str, to: str, now: datetime) -> Task:
    """``tcrm task snooze``: move an open task's due (this occurrence only)."""
    now = local_now(ws, now)
    settings = ws.settings
    with ws.lock():
        task = _task(ws, ref)
        _ensure_open(task, "snooze")
        value, zone = snoozed_due(task, to, now, settings)
        changes: dict[str, object] = {"due": value, "timezone": zone}
        new = updated(task, changes)
        assert isinstance(new, Task)
        if new.to_data() == task.to_data():
            return task
        shown = new.to_data()["due"]
        with ws.transaction(f"task {task.id}: snooze to {shown}") as tx:
            tx.put(new)
        return new


def typed_assignments(
    ws: Workspace, task: Task, assignments: Sequence[str], now: datetime
) -> list[str]:
    """``--set`` assignments of a task with values as ``task add`` takes them, made into
    stored values: ``due=fri`` or ``due=tomorrow 11:00`` (in the task's zone, else the
    assignee's), ``repeat=weekly``, ``reminders=30m, 1D``, and ``contacts=jane`` (a contact
    person's name or email, spelt as the client spells it; that client is linked too).
    Anything else is left as written, for ``records.set_fields``."""
    now = local_now(ws, now)
    settings = ws.settings
    assignee = task.assignee
    for text in assignments:
        key, op, value = split_assignment(text)
        if key == "assignee" and op == "=":
            assignee = value or None
    out: list[str] = []
    for text in assignments:
        key, op, value = split_assignment(text)
        if not value or op == "-=" or (op != "=" and key in ("due", "repeat")):
            out.append(text)  # unset, remove, or not a list: set_fields says what is wrong
        elif key == "due":
            zone = task.timezone or settings.member_timezone(assignee)
            try:
                due, due_zone = parse_due(value, now, zone, settings)
            except UsageError as exc:
                if not re.match(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d", value):
                    raise UsageError(exc.words(str)) from None  # as the key reads: due: ...
                out.append(text)  # an ISO moment with an offset: the model reads it
                continue
            if isinstance(due, datetime):
                out.append(f"due={due.isoformat(timespec='minutes')}")
                if due_zone != task.timezone:
                    out.append(f"timezone={due_zone or ''}")
            else:
                out.append(f"due={due.isoformat()}")
        elif key == "repeat":
            out.append(f"repeat={parse_repeat(value)}")
        elif key == "reminders":
            out.append(f"reminders{op}{', '.join(parse_reminders(value.split(',')))}")
        elif key == "contacts":
            names, client_ids = _contacts(ws, value.split(","), list(task.clients))
            out.append(f"contacts{op}{', '.join(names)}")
            out += [f"clients+={c}" for c in client_ids if c not in task.clients]
        else:
            out.append(text)
    return out


def edit_task(ws: Workspace, *, ref: str, assignments: Sequence[str], now: datetime) -> Task:
    """``tcrm task edit REF --set ...``: one commit; values as ``typed_assignments`` reads
    them (``due=fri``, ``repeat=weekly``, ``contacts=Jane``)."""
    with ws.lock():
        task = _task(ws, ref)
        items = typed_assignments(ws, task, assignments, now)
        new = set_fields(
            ws, kind="task", ref=task.id, assignments=items, protected=PROTECTED, now=now
        )
        assert isinstance(new, Task)
        return new
