"""A ``Feed`` as an RFC 5545 calendar, written with the icalendar library.

The bytes depend only on the feed: no clock, no random value, properties in a fixed order
(icalendar sorts them) and components by kind and id, so exporting twice gives the same
file and a diff of two exports shows exactly the records that changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Component, Event, Timezone, Todo, vDuration, vRecur, vText

from tcrm.model.due import aware
from tcrm.model.money import money_text
from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.services.calendar import Feed, Item, TaskItem
from tcrm.store import parallel

PRODID = "-//tcrm//tcrm calendar feed//EN"
REFRESH = timedelta(minutes=15)
"""How often a subscribed app should fetch the feed again (a hint; apps decide)."""

YEARS_AHEAD = 10
"""How far a VTIMEZONE's transitions reach past the last entry, for repeating tasks."""

PRIORITY = {"high": 1, "medium": 5, "low": 9}
"""RFC 5545 PRIORITY: 1 is the highest, 5 medium, 9 the lowest."""

TODO_STATUS = {"open": "NEEDS-ACTION", "done": "COMPLETED", "cancelled": "CANCELLED"}

DONE_MARK = "✓ "
"""Prefix of a done task's summary as an event (VEVENT has no COMPLETED status)."""


def render(feed: Feed) -> bytes:
    """The whole calendar: VTIMEZONEs for the zones used, then tasks, deals, activities.

    A calendar's text is its lines, a component's lines between its own BEGIN and END;
    so the entries are written chunk by chunk (on every core for a big feed: icalendar
    takes ~0.5 ms an entry) and put between the calendar's head and its END line, which
    gives the bytes ``to_ical`` of the whole calendar would.
    """
    head = _head(feed)
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    entries = [
        *((_task, item) for item in feed.tasks),
        *((_deal, item) for item in feed.deals),
        *((_activity, item) for item in feed.activities),
    ]
    spans = [(i, min(i + ENTRIES, len(entries))) for i in range(0, len(entries), ENTRIES)]
    parts = parallel.map_chunks(_entries, spans, len(entries), share=(entries, feed))
    return b"".join([head[: -len(end)], *parts, end])


ENTRIES = 500
"""Entries written per piece of work."""


def _entries(span: tuple[int, int]) -> bytes:
    entries, feed = parallel.shared()
    return b"".join(make(item, feed).to_ical() for make, item in entries[span[0] : span[1]])


def _head(feed: Feed) -> bytes:
    """The calendar with its properties and time zones, and no entry yet."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", vText(feed.name))
    cal.add("x-wr-calname", vText(feed.name))
    cal.add("x-wr-timezone", vText(feed.settings.timezone))
    cal.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    for zone in timezones([*feed.tasks, *feed.deals, *feed.activities]):
        cal.add_component(zone)
    feed_bytes: bytes = cal.to_ical()
    return feed_bytes


def timezones(items: Sequence[Item]) -> list[Timezone]:
    """A VTIMEZONE per zone used, in TZID order, with the transitions from January of the
    first year an entry uses it to ``YEARS_AHEAD`` years past the last (repeating tasks)."""
    years: dict[str, list[int]] = {}
    for item in items:
        if isinstance(item.start, datetime) and isinstance(item.start.tzinfo, ZoneInfo):
            years.setdefault(item.start.tzinfo.key, []).append(item.start.year)
    return [
        Timezone.from_tzid(
            key,
            first_date=date(min(seen), 1, 1),
            last_date=date(max(seen) + YEARS_AHEAD, 1, 1),
        )
        for key, seen in sorted(years.items())
    ]


# --- components ------------------------------------------------------------------------


def _common(
    component: Component, item: Item, summary: str, description: str, tags: Iterable[str]
) -> None:
    """What every entry has: a stable UID and the revision of its record file.

    DTSTAMP is LAST-MODIFIED: a published calendar (no METHOD) stamps each entry with its
    last revision (RFC 5545 3.8.7.2), which keeps the bytes independent of the clock.
    """
    revision = item.revision
    component.add("uid", item.uid)
    component.add("dtstamp", revision.changed)
    component.add("last-modified", revision.changed)
    component.add("sequence", max(revision.changes - 1, 0))
    created = getattr(item.record, "created", None)
    if isinstance(created, datetime):
        component.add("created", _utc(created))
    component.add("summary", summary)
    if description:
        component.add("description", description)
    categories = list(dict.fromkeys(tags))
    if categories:
        component.add("categories", categories)
    website = next((c.website for c in item.clients if c.website), None)
    if website:
        component.add("url", website)


def _task(item: TaskItem, feed: Feed) -> Component:
    task = item.task
    todo = feed.options.todo
    summary = task.title
    if task.status == "done" and not todo:
        summary = DONE_MARK + summary
    component: Component = Todo() if todo else Event()
    tags = [t for c in item.clients for t in c.tags] + [t for d in item.deals for t in d.tags]
    _common(component, item, summary, _task_description(item, feed), tags)
    recurring = bool(task.repeat) and task.status == "open"
    if todo:
        component.add("due", item.start)
        if recurring:  # the anchor of RRULE; DUE itself keeps the due
            component.add("dtstart", item.start)
        component.add("status", TODO_STATUS[task.status])
        if task.status == "done":
            component.add("percent-complete", 100)
            if task.completed is not None:
                component.add("completed", _utc(task.completed))
    else:
        _when(component, item)
        component.add("status", "CANCELLED" if task.status == "cancelled" else "CONFIRMED")
    if recurring:
        assert task.repeat is not None
        component.add("rrule", recurrence(task.repeat, item.start))
    if task.priority:
        component.add("priority", PRIORITY[task.priority])
    for offset in item.alarms:
        component.add_component(_alarm(offset, task.title, related_end=todo))
    return component


def _deal(item: Item, feed: Feed) -> Event:
    deal = item.record
    assert isinstance(deal, Deal)
    event = Event()
    _common(event, item, f"Close: {deal.title}", _deal_description(item, feed), deal.tags)
    _when(event, item)
    event.add("transp", "TRANSPARENT")  # a date to keep in mind, not busy time
    return event


def _activity(item: Item, feed: Feed) -> Event:
    activity = item.record
    assert isinstance(activity, Activity)
    event = Event()
    summary = f"{activity.kind.capitalize()}: {activity.summary}"
    _common(event, item, summary, _activity_description(item, feed), [activity.kind])
    _when(event, item)
    event.add("transp", "TRANSPARENT")  # it happened; it blocks no future time
    return event


def _when(event: Component, item: Item) -> None:
    """DTSTART with DURATION (exact, even across a DST change), or a whole day."""
    event.add("dtstart", item.start)
    if item.minutes is None:
        assert not isinstance(item.start, datetime)
        event.add("dtend", item.start + timedelta(days=1))
    else:
        event.add("duration", timedelta(minutes=item.minutes))


def _alarm(offset: timedelta, title: str, related_end: bool) -> Alarm:
    """A display alarm ``offset`` from the start (from DUE for a to-do: RELATED=END)."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"Reminder: {title}")
    if related_end:
        alarm.add("trigger", offset, parameters={"RELATED": "END"})
    else:
        alarm.add("trigger", offset)
    return alarm


def recurrence(rule: str, start: date | datetime) -> vRecur:
    """The task's RRULE, with UNTIL in the form RFC 5545 requires for ``start``: a day for
    an all-day start, UTC for a zoned one (a day's UNTIL then ends with that day)."""
    recur: vRecur = vRecur.from_ical(rule)
    until = recur.get("UNTIL")
    if until:
        value = until[0]
        if isinstance(start, datetime):
            if not isinstance(value, datetime):
                value = datetime.combine(value, time(23, 59, 59), tzinfo=start.tzinfo)
            elif value.tzinfo is None:
                value = value.replace(tzinfo=start.tzinfo)
            recur["UNTIL"] = [value.astimezone(UTC)]
        elif isinstance(value, datetime):
            recur["UNTIL"] = [value.date()]
    return recur


# --- descriptions --------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return aware(moment, UTC).astimezone(UTC)


def _money(amount: Decimal | None, currency: str) -> str | None:
    if amount is None:
        return None
    return money_text(amount, currency)


def _client_line(clients: Sequence[Client]) -> str | None:
    if not clients:
        return None
    label = "Client" if len(clients) == 1 else "Clients"
    return f"{label}: " + "; ".join(
        f"{c.name} <{c.website}>" if c.website else c.name for c in clients
    )


def _deal_line(deals: Sequence[Deal], feed: Feed) -> str | None:
    if not deals:
        return None
    parts = []
    for deal in deals:
        pipeline = feed.settings.pipeline(deal.pipeline)
        stage = pipeline.stage(deal.stage) if pipeline else None
        amount = _money(deal.amount, deal.currency or feed.settings.currency)
        details = ", ".join(x for x in (stage.name if stage else deal.stage, amount) if x)
        parts.append(f"{deal.title} ({details})")
    return ("Deal: " if len(deals) == 1 else "Deals: ") + "; ".join(parts)


def _lines(*lines: str | None, notes: str | None, command: str) -> str:
    """Facts first, then the notes, then the command that shows the record in tcrm."""
    blocks = ["\n".join(line for line in lines if line)]
    if notes:
        blocks.append(notes)
    blocks.append(command)
    return "\n\n".join(b for b in blocks if b)


def _task_description(item: TaskItem, feed: Feed) -> str:
    task: Task = item.task
    return _lines(
        _client_line(item.clients),
        _deal_line(item.deals, feed),
        f"Contacts: {', '.join(task.contacts)}" if task.contacts else None,
        f"Assigned to: {feed.member_name(task.assignee)}" if task.assignee else None,
        f"Priority: {task.priority}" if task.priority else None,
        f"Status: {task.status}" if task.status != "open" else None,
        notes=task.notes,
        command=f"tcrm task show {task.id}",
    )


def _deal_description(item: Item, feed: Feed) -> str:
    deal = item.record
    assert isinstance(deal, Deal)
    pipeline = feed.settings.pipeline(deal.pipeline)
    stage = pipeline.stage(deal.stage) if pipeline else None
    where = f"{pipeline.name if pipeline else deal.pipeline}, {stage.name if stage else deal.stage}"
    probability = (
        deal.probability if deal.probability is not None else (stage.probability if stage else None)
    )
    if probability is not None:
        where += f" ({probability}%)"
    return _lines(
        _client_line(item.clients),
        f"Stage: {where}",
        f"Amount: {_money(deal.amount, deal.currency or feed.settings.currency)}"
        if deal.amount is not None
        else None,
        f"Owner: {feed.member_name(deal.owner)}" if deal.owner else None,
        f"Contacts: {', '.join(deal.contacts)}" if deal.contacts else None,
        notes=deal.notes,
        command=f"tcrm deal show {deal.id}",
    )


def _activity_description(item: Item, feed: Feed) -> str:
    activity = item.record
    assert isinstance(activity, Activity)
    return _lines(
        _client_line(item.clients),
        _deal_line(item.deals, feed),
        f"Contacts: {', '.join(activity.contacts)}" if activity.contacts else None,
        f"Outcome: {activity.outcome}" if activity.outcome else None,
        f"By: {feed.member_name(activity.author)}" if activity.author else None,
        notes=activity.notes,
        command=f"tcrm activity show {activity.id}",
    )
