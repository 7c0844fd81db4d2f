"""When a task is due, for whom, and in what state: pure functions of a task, the settings
and a moment (``now`` is always passed in). Lists, reports, the planner, the feed and the
TUI all ask these, so each rule lives once, below every layer that needs it."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from tcrm.errors import RuleError
from tcrm.model.moments import parse_offset
from tcrm.model.value import Value

TYPE_CHECKING = False  # ``tcrm status`` asks these rules before typing or pydantic loads
if TYPE_CHECKING:
    from typing import Literal

    from tcrm.model.records import Task
    from tcrm.model.settings import Settings

    DueState = Literal["overdue", "today", "upcoming"]

ZONE_MARGIN = 2
"""Days between a due date as written and the same moment's day in any assignee's zone."""
ALL_DAY_AT = time(9, 0)
"""The moment that stands for a date-only due (for reminders and ordering): 09:00 local."""


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def assignee_zone(task: Task, settings: Settings) -> ZoneInfo:
    """Where "today" is for this task: its assignee's zone, else the workspace's."""
    return _zone(settings.member_timezone(task.assignee))


def task_zone(task: Task, settings: Settings) -> ZoneInfo:
    """The zone a naive due time is local to: the task's own, else the workspace's."""
    return _zone(task.timezone or settings.timezone)


def aware(moment: datetime, zone: tzinfo | None) -> datetime:
    """``moment`` as an aware date-time; a naive one (hand-written, no offset) is read as
    local to ``zone``, usually the workspace's: ``now.tzinfo``."""
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def due_moment(task: Task, settings: Settings) -> datetime | None:
    """The aware moment a task is due; a date-only due stands for 09:00 of that day
    in the assignee's zone (see ``ALL_DAY_AT``)."""
    if task.due is None:
        return None
    if isinstance(task.due, datetime):
        return aware(task.due, task_zone(task, settings))
    return datetime.combine(task.due, ALL_DAY_AT, tzinfo=assignee_zone(task, settings))


def due_day(task: Task, settings: Settings) -> date | None:
    """The calendar day a task is due on, as its assignee sees it."""
    if task.due is None:
        return None
    if isinstance(task.due, datetime):
        moment = due_moment(task, settings)
        assert moment is not None
        return moment.astimezone(assignee_zone(task, settings)).date()
    return task.due


def assignee_today(task: Task, settings: Settings, now: datetime) -> date:
    return now.astimezone(assignee_zone(task, settings)).date()


def is_overdue(task: Task, settings: Settings, now: datetime) -> bool:
    """An open task whose time has passed, or whose (date-only) day has ended."""
    if task.status != "open" or task.due is None:
        return False
    if isinstance(task.due, datetime):
        moment = due_moment(task, settings)
        return moment is not None and moment < now
    return task.due < assignee_today(task, settings, now)


def due_state(task: Task, settings: Settings, now: datetime) -> DueState | None:
    """``overdue``, ``today`` (due later today) or ``upcoming``; ``None`` for an undated
    or closed task (a done task is never overdue)."""
    return item(task, settings, now).state


class Reminder(Value):
    """One reminder of a task: ``offset`` before the task's due moment ``due_at``."""

    __match_args__ = ("task", "offset", "at", "due_at")
    __slots__ = __match_args__

    def __init__(self, task: Task, offset: str, at: datetime, due_at: datetime) -> None:
        self.task = task
        self.offset = offset
        self.at = at
        self.due_at = due_at


def reminders_of(task: Task, settings: Settings) -> list[Reminder]:
    """Every reminder of an open task, earliest first; none before the task was created."""
    if not task.reminders:  # most tasks: no zone to look up (called for thousands)
        return []
    moment = due_moment(task, settings)
    if task.status != "open" or moment is None:
        return []
    created = aware(task.created, _zone(settings.timezone)) if task.created else None
    out = []
    for offset in task.reminders:
        at = moment - parse_offset(offset)
        if created is None or at >= created:
            out.append(Reminder(task, offset, at, moment))
    return sorted(out, key=lambda r: r.at)


class TaskItem(Value):
    """A task with its due state computed for a given moment."""

    __match_args__ = ("task", "state", "due_at", "day", "today")
    __slots__ = __match_args__

    def __init__(
        self,
        task: Task,
        state: DueState | None,
        due_at: datetime | None,
        day: date | None = None,
        today: date | None = None,
    ) -> None:
        self.task = task
        self.state = state
        self.due_at = due_at
        self.day = day
        """The day it is due on, as its assignee sees it (``due_day``)."""
        self.today = today
        """Its assignee's today (``assignee_today``)."""


def item(task: Task, settings: Settings, now: datetime) -> TaskItem:
    """The task's due moment, day and state, each zone looked up once (lists make one
    for each of thousands of tasks): what ``due_moment``, ``due_day``, ``is_overdue`` and
    ``assignee_today`` say."""
    due = task.due
    if due is None:
        return TaskItem(task, None, None)
    zone = assignee_zone(task, settings)
    today = now.astimezone(zone).date()
    if isinstance(due, datetime):
        moment = aware(due, task_zone(task, settings))
        late, day = moment < now, moment.astimezone(zone).date()
    else:
        moment = datetime.combine(due, ALL_DAY_AT, tzinfo=zone)
        late, day = due < today, due
    state: DueState | None = None
    if task.status == "open":
        state = "overdue" if late else "today" if day == today else "upcoming"
    return TaskItem(task, state, moment, day, today)


_FAR = datetime.max.replace(tzinfo=ZoneInfo("UTC"))
_FAR_DAY = date.max
_PRIORITY_RANK = {"high": 0, "medium": 1, None: 2, "low": 3}


def sort_key(entry: TaskItem) -> tuple[int, date, int, datetime, int, str]:
    """Open before closed; overdue first, then day by day (the assignee's day), each
    day's all-day tasks before its timed ones, those by time; undated last. The CLI's
    lists, ``tcrm today`` and the TUI all order tasks by this key."""
    task = entry.task
    rank = 0 if entry.state == "overdue" else 1 if entry.due_at else 2
    if task.status != "open":
        rank += 3
    timed = 1 if isinstance(task.due, datetime) else 0
    return (
        rank,
        entry.day or _FAR_DAY,
        timed,
        entry.due_at or _FAR,
        _PRIORITY_RANK.get(task.priority, 2),
        task.id,
    )


def next_due(task: Task) -> date | datetime | None:
    """The occurrence after ``task.due`` by its recurrence rule (``None`` when it ends)."""
    from dateutil.rrule import rrulestr

    if task.repeat is None or task.due is None:
        return None
    start = task.due if isinstance(task.due, datetime) else datetime.combine(task.due, time())
    try:
        following = rrulestr(task.repeat, dtstart=start).after(start)
    except (ValueError, TypeError) as exc:
        raise RuleError(f"task {task.id}: its repeat rule {task.repeat!r} fails: {exc}") from None
    if following is None:
        return None
    return following if isinstance(task.due, datetime) else following.date()


def occurrence_id(series: str, due: date) -> str:
    """The id of a series' occurrence due on ``due``: the same in every clone."""
    return f"{series[:55].rstrip('-._')}-{due:%Y%m%d}"
