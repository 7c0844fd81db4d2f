"""Calendar feeds: which tasks, deals and activities a calendar shows, when, and since when
each one last changed.

The iCalendar format itself is the front end's (``tcrm.ics``): this module hands it a
``Feed`` of plain facts, so the rules of what a calendar shows live next to the other use
cases and the due-time rules stay those of ``services.tasks``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from tcrm.errors import Field, TcrmError, UsageError
from tcrm.model.due import aware, due_day, due_moment, reminders_of
from tcrm.model.records import Activity, Client, Deal, Record, Task
from tcrm.model.settings import Settings
from tcrm.model.types import slugify
from tcrm.services.records import all_records, local_now, option_day, revisions
from tcrm.services.tasks import check_member
from tcrm.store import files, git
from tcrm.store.early import folder_stamps
from tcrm.store.git import Revision
from tcrm.store.workspace import SETTINGS_FILE, Workspace

DEFAULT_MINUTES = 30
"""How long a timed task without a ``duration``, or a logged activity, lasts in a calendar."""

FEED_MODE = 0o644
"""Permissions of a new exported file: a calendar app or web server may need to read it."""

_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "Etc/Zulu", "UCT", "Zulu", "Universal"})


class ExportError(TcrmError):
    """The calendar file cannot be written where it was asked for."""


@dataclass(frozen=True)
class FeedOptions:
    """What a feed shows; the same for ``ics export`` and every feed ``ics serve`` answers."""

    tasks: bool = True
    deals: bool = True
    activities: bool = False
    closed: bool = False
    todo: bool = False
    assignee: str | None = None
    since: date | None = None


@dataclass(frozen=True)
class Item:
    """One record as a calendar entry.

    ``start`` is a day (all-day) or an aware moment whose zone is a ``ZoneInfo`` (written
    with its TZID) or UTC; ``minutes`` is ``None`` for all-day entries.
    """

    uid: str
    record: Record
    start: date | datetime
    minutes: int | None
    revision: Revision
    clients: tuple[Client, ...] = ()
    deals: tuple[Deal, ...] = ()


@dataclass(frozen=True)
class TaskItem(Item):
    """A task; ``alarms`` are offsets from ``start`` (from the start of the day when all-day),
    one per reminder, negative before."""

    alarms: tuple[timedelta, ...] = ()

    @property
    def task(self) -> Task:
        assert isinstance(self.record, Task)
        return self.record


@dataclass(frozen=True)
class Feed:
    """Everything a calendar shows, in a stable order (by kind, then id)."""

    name: str
    domain: str
    settings: Settings
    options: FeedOptions
    tasks: list[TaskItem] = field(default_factory=list)
    deals: list[Item] = field(default_factory=list)
    activities: list[Item] = field(default_factory=list)

    def member_name(self, member_id: str | None) -> str | None:
        member = self.settings.member(member_id) if member_id else None
        return member.name if member else member_id


@dataclass(frozen=True)
class Export:
    """What ``export_calendar`` produced: the feed, its bytes, and where they were written."""

    feed: Feed
    data: bytes
    path: Path | None


# --- options and identity ---------------------------------------------------------------


def feed_options(
    ws: Workspace,
    *,
    tasks: bool = True,
    deals: bool = True,
    activities: bool = False,
    closed: bool = False,
    todo: bool = False,
    assignee: str | None = None,
    since: str | None = None,
    now: datetime,
) -> FeedOptions:
    """Options from the command line, checked: a known assignee, a day for ``since``."""
    now = local_now(ws, now)
    member = check_member(ws, assignee, "assignee")
    day = option_day("since", since, now, ws.settings.date_order)
    if not (tasks or deals or activities):
        raise UsageError(
            "nothing to export: ",
            Field("no_tasks"),
            " and ",
            Field("no_deals"),
            " without ",
            Field("activities"),
        )
    return FeedOptions(tasks, deals, activities, closed, todo, member, day)


def workspace_domain(settings: Settings) -> str:
    """The right-hand side of every UID: the workspace name's slug, shared by all clones.

    ``tcrm.yaml`` travels with every clone while paths do not, so the same task has the
    same UID in every team member's calendar. A name with no Latin letters gets a hash.
    """
    slug = slugify(settings.name) or "ws-" + hashlib.sha1(settings.name.encode()).hexdigest()[:8]
    return f"{slug}.tcrm"


def uid(kind: str, record_id: str, domain: str) -> str:
    return f"{kind}-{record_id}@{domain}"


# --- gathering --------------------------------------------------------------------------


def _calendar_zone(moment: datetime) -> datetime:
    """A moment with a named zone keeps it (TZID); an offset alone, or UTC, becomes UTC."""
    zone = moment.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key not in _UTC_NAMES:
        return moment
    return moment.astimezone(UTC)


def task_start(task: Task, settings: Settings) -> date | datetime | None:
    """A task's calendar start: its due day (all-day), or its due moment (``due_moment``)."""
    if task.due is None:
        return None
    if not isinstance(task.due, datetime):
        return task.due
    moment = due_moment(task, settings)
    assert moment is not None
    return _calendar_zone(moment)


def task_alarms(task: Task, settings: Settings) -> tuple[timedelta, ...]:
    """Each reminder of ``reminders_of`` as an offset from the calendar start.

    An all-day entry starts at midnight, while tcrm reminds relative to 09:00 of the
    assignee's day, so ``1d`` on an all-day task is 15 hours before the day starts.
    """
    out = []
    for reminder in reminders_of(task, settings):
        if isinstance(task.due, datetime):
            out.append(reminder.at - reminder.due_at)
        else:
            assert task.due is not None
            local = reminder.at.astimezone(reminder.due_at.tzinfo).replace(tzinfo=None)
            out.append(local - datetime.combine(task.due, time()))
    return tuple(out)


def _recurs_since(task: Task, start: date | datetime, since: date) -> bool:
    from dateutil.rrule import rrulestr

    first = start.replace(tzinfo=None) if isinstance(start, datetime) else start
    if not isinstance(first, datetime):
        first = datetime.combine(first, time())
    try:
        rule = rrulestr(task.repeat or "", dtstart=first)
        return rule.after(datetime.combine(since, time()), inc=True) is not None
    except (ValueError, TypeError):  # a rule dateutil cannot expand: keep the task
        return True


def _task_shown(task: Task, settings: Settings, options: FeedOptions) -> bool:
    if task.due is None or (task.status != "open" and not options.closed):
        return False
    if options.assignee is not None and task.assignee != options.assignee:
        return False
    if options.since is None:
        return True
    if task.repeat and task.status == "open":
        start = task_start(task, settings)
        assert start is not None
        return _recurs_since(task, start, options.since)
    day = due_day(task, settings)
    return day is not None and day >= options.since


LINKED_REVISIONS = 1 << 16
"""SEQUENCE is ``own * LINKED_REVISIONS + linked``: the record's own revisions weigh more
than all the revisions of the records its text shows, so linking another client (a
change of its own file) can never lower it."""

_NEVER = Revision(datetime.fromtimestamp(0, UTC), 0)


def sequence(own: Revision, linked: list[Revision]) -> int:
    """An entry's SEQUENCE, from committed history only: the revisions of its record (0
    for a record never changed since it was added), and those of the linked clients and
    deals its DESCRIPTION and URL show. Each count only grows as history grows, and a
    change of any of these files is a commit that adds one, so SEQUENCE grows with every
    change of the entry's text or times and never goes down (RFC 5545 3.8.7.4)."""
    others = sum(max(r.changes - 1, 0) for r in linked)
    return max(own.changes - 1, 0) * LINKED_REVISIONS + min(others, LINKED_REVISIONS - 1)


@dataclass(frozen=True)
class _Lookup:
    """What building entries needs besides the record: names and revisions."""

    domain: str
    settings: Settings
    clients: dict[str, Client]
    deals: dict[str, Deal]
    paths: dict[str, dict[str, str]]
    revisions: dict[str, Revision]

    def _of(self, kind: str, record_id: str) -> Revision:
        return self.revisions.get(self.paths[kind].get(record_id, ""), _NEVER)

    def revision(
        self, record: Record, clients: tuple[Client, ...] = (), deals: tuple[Deal, ...] = ()
    ) -> Revision:
        """The entry's revision: SEQUENCE from its record's and the linked records'
        committed revisions (:func:`sequence`), LAST-MODIFIED the newest of them."""
        own = self._of(record.KIND, record.id)
        linked = [self._of("client", c.id) for c in clients]
        linked += [self._of("deal", d.id) for d in deals]
        changed = max([own.changed, *(r.changed for r in linked)])
        return Revision(changed, sequence(own, linked) + 1)  # the writer puts changes - 1

    def links(self, record: Task | Activity) -> tuple[tuple[Client, ...], tuple[Deal, ...]]:
        return (
            tuple(self.clients[c] for c in record.clients if c in self.clients),
            tuple(self.deals[d] for d in record.deals if d in self.deals),
        )


def build_feed(ws: Workspace, *, options: FeedOptions) -> Feed:
    """The records ``options`` select, with their calendar facts and revisions.

    Unreadable record files are left out (``tcrm check`` reports them). Revisions come
    from the git history (``records.revisions``), so exporting twice with
    no change gives the same bytes. Nothing here reads the clock: ``feed_options`` has
    already turned relative dates into days.
    """
    settings = ws.settings
    clients = {r.id: r for r in all_records(ws, "client") if isinstance(r, Client)}
    deals = {r.id: r for r in all_records(ws, "deal") if isinstance(r, Deal)}
    tasks = [
        t
        for t in (all_records(ws, "task") if options.tasks else [])
        if isinstance(t, Task) and _task_shown(t, settings, options)
    ]
    shown_deals = [d for d in deals.values() if options.deals and _deal_shown(d, options)]
    activities = [
        a
        for a in (all_records(ws, "activity") if options.activities else [])
        if isinstance(a, Activity) and _activity_shown(a, settings, options)
    ]
    paths = {kind: dict(ws.rel_files(kind)) for kind in ("client", "task", "deal", "activity")}

    def wanted() -> list[str]:
        shown: list[Record] = [*tasks, *shown_deals, *activities]
        linked: list[Record] = [clients[d.client] for d in shown_deals if d.client in clients]
        for r in [*tasks, *activities]:
            assert isinstance(r, Task | Activity)
            linked += [clients[c] for c in r.clients if c in clients]
            linked += [deals[d] for d in r.deals if d in deals]
        return sorted({paths[r.KIND][r.id] for r in [*shown, *linked] if r.id in paths[r.KIND]})

    found = revisions(ws, wanted())
    edited = sorted(p for p, r in found.items() if not r.committed)
    if edited:  # the feed shows committed records only (see docs/calendar.md)
        committed = _committed_records(ws, edited)
        clients = _replaced(clients, committed, "client", Client)
        deals = _replaced(deals, committed, "deal", Deal)
        task_ids = {r.id: r for r in tasks}
        every_task = _replaced(task_ids, committed, "task", Task)
        tasks = [t for t in every_task.values() if _task_shown(t, settings, options)]
        shown_deals = [d for d in deals.values() if options.deals and _deal_shown(d, options)]
        every_activity = _replaced({a.id: a for a in activities}, committed, "activity", Activity)
        activities = [a for a in every_activity.values() if _activity_shown(a, settings, options)]
        found = revisions(ws, wanted())
    lookup = _Lookup(workspace_domain(settings), settings, clients, deals, paths, found)
    return Feed(
        name=_feed_name(settings, options.assignee),
        domain=lookup.domain,
        settings=settings,
        options=options,
        tasks=[_task_item(t, lookup) for t in sorted(tasks, key=lambda t: t.id)],
        deals=[_deal_item(d, lookup) for d in sorted(shown_deals, key=lambda d: d.id)],
        activities=[_activity_item(a, lookup) for a in sorted(activities, key=lambda a: a.id)],
    )


def _committed_records(ws: Workspace, paths: list[str]) -> dict[tuple[str, str], Record | None]:
    """``{(kind, id): record at HEAD}`` for record files that differ from HEAD; ``None``
    for one HEAD does not have (or cannot read): left out of the feed until committed."""
    from tcrm.model.records import RECORD_TYPES
    from tcrm.model.validate import ModelProblems, parse_record
    from tcrm.store import yamlio
    from tcrm.store.listing import kind_of

    data = git.read_at_head(ws.root, paths)
    out: dict[tuple[str, str], Record | None] = {}
    for rel in paths:
        found = kind_of(rel)
        if found is None:
            continue
        kind, record_id = found
        record = None
        if rel in data:
            try:
                parsed = yamlio.load_fast(data[rel], rel)
                record = parse_record(RECORD_TYPES[kind], parsed, record_id)
            except (ModelProblems, TcrmError, ValueError):
                record = None
        out[(kind, record_id)] = record
    return out


R = TypeVar("R", bound=Record)


def _replaced(
    records: Mapping[str, R],
    committed: Mapping[tuple[str, str], Record | None],
    kind: str,
    cls: type[R],
) -> dict[str, R]:
    """``records`` with the committed version of each edited one (dropped when none)."""
    out = dict(records)
    for (found_kind, record_id), record in committed.items():
        if found_kind != kind:
            continue
        if isinstance(record, cls):
            out[record_id] = record
        else:
            out.pop(record_id, None)
    return dict(sorted(out.items()))


def _feed_name(settings: Settings, assignee: str | None) -> str:
    """The calendar's display name: the workspace's, with the member's for their feed."""
    if assignee is None:
        return settings.name
    member = settings.member(assignee)
    return f"{settings.name} ({member.name if member else assignee})"


def _task_item(task: Task, lookup: _Lookup) -> TaskItem:
    start = task_start(task, lookup.settings)
    assert start is not None
    clients, deals = lookup.links(task)
    return TaskItem(
        uid=uid("task", task.id, lookup.domain),
        record=task,
        start=start,
        minutes=(task.duration or DEFAULT_MINUTES) if isinstance(start, datetime) else None,
        revision=lookup.revision(task, clients, deals),
        clients=clients,
        deals=deals,
        alarms=task_alarms(task, lookup.settings),
    )


def _deal_item(deal: Deal, lookup: _Lookup) -> Item:
    assert deal.close_date is not None
    client = lookup.clients.get(deal.client)
    return Item(
        uid=uid("deal", deal.id, lookup.domain),
        record=deal,
        start=deal.close_date,
        minutes=None,
        revision=lookup.revision(deal, (client,) if client else ()),
        clients=(client,) if client else (),
    )


def _activity_item(activity: Activity, lookup: _Lookup) -> Item:
    clients, deals = lookup.links(activity)
    moment = aware(activity.at, ZoneInfo(lookup.settings.timezone))
    return Item(
        uid=uid("activity", activity.id, lookup.domain),
        record=activity,
        start=_calendar_zone(moment),
        minutes=DEFAULT_MINUTES,
        revision=lookup.revision(activity, clients, deals),
        clients=clients,
        deals=deals,
    )


def _deal_shown(deal: Deal, options: FeedOptions) -> bool:
    """Open deals with an expected close date (on or after ``since``), of the owner."""
    if deal.status != "open" or deal.close_date is None:
        return False
    if options.assignee is not None and deal.owner != options.assignee:
        return False
    return options.since is None or deal.close_date >= options.since


def _activity_shown(activity: Activity, settings: Settings, options: FeedOptions) -> bool:
    if options.assignee is not None and activity.author != options.assignee:
        return False
    if options.since is None:
        return True
    zone = ZoneInfo(settings.timezone)
    return aware(activity.at, zone).astimezone(zone).date() >= options.since


# --- use cases --------------------------------------------------------------------------

Render = Callable[[Feed], bytes]
"""The front end's iCalendar writer (``tcrm.ics.calendar.render``)."""


def export_calendar(
    ws: Workspace,
    *,
    render: Render,
    output: Path | None = None,
    tasks: bool = True,
    deals: bool = True,
    activities: bool = False,
    closed: bool = False,
    todo: bool = False,
    assignee: str | None = None,
    since: str | None = None,
    now: datetime,
) -> Export:
    """``tcrm ics export``: the calendar's bytes, written atomically to ``output`` if given.

    The file is replaced by a rename, so a calendar app polling it never reads half a
    file; an existing file keeps its permissions, a new one is readable by all (0644).
    """
    options = feed_options(
        ws,
        tasks=tasks,
        deals=deals,
        activities=activities,
        closed=closed,
        todo=todo,
        assignee=assignee,
        since=since,
        now=now,
    )
    target = _target(output) if output is not None else None
    feed = build_feed(ws, options=options)
    data = render(feed)
    if target is not None:
        write_feed(target, data)
    return Export(feed, data, target)


def _target(output: Path) -> Path:
    target = output.expanduser()
    if target.is_dir():
        raise UsageError(f"-o {output}: is a directory; give a file name, e.g. {output}/crm.ics")
    if not target.parent.is_dir():
        raise UsageError(f"-o {output}: folder {target.parent} does not exist")
    return target.absolute()


def write_feed(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping an existing file's permissions."""
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else FEED_MODE
        files.atomic_write(path, data, mode=mode)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


def feed_fingerprint(ws: Workspace) -> tuple[object, ...]:
    """A cheap token that changes when a feed may have: the git HEAD and the modification
    times of ``tcrm.yaml`` and the record folders (a tcrm write renames a file into its
    folder, which touches the folder), without parsing a single record."""
    stamps = (_mtime(ws.root / SETTINGS_FILE), *sorted(folder_stamps(ws.root).items()))
    return (git.head(ws.root) if git.is_repo(ws.root) else None, stamps)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def counts(feed: Feed) -> dict[str, int]:
    """How many entries of each kind a feed holds (for the confirmation message)."""
    return {"tasks": len(feed.tasks), "deals": len(feed.deals), "activities": len(feed.activities)}
