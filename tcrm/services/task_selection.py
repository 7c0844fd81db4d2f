"""Which tasks ``tcrm task list`` shows, and in what order: worked out in one place.

``tcrm task list`` is answered two ways: through Typer and the models
(``tcrm.services.tasks.list_tasks``), and before Typer and pydantic are imported, from a
fresh local index (``tcrm.cli.early_path``; scripts call it in loops). Both ask
``window`` what to read from the index and ``select`` what to keep of it, over anything
with a task's fields (``ListedTask``: the pydantic ``Task``, or the index row
``status_counts.IndexedTask``). The due rules are ``tcrm.model.due``'s. The standard
library only, on purpose: the early path imports this module.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tcrm.model.due import ZONE_MARGIN, item, sort_key
from tcrm.model.value import Value
from tcrm.services import status_counts
from tcrm.store import early_index
from tcrm.store.where import all_of, at_least, at_most, eq

TYPE_CHECKING = False  # no typing, no dataclasses at run time: a script's loop pays them
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping
    from typing import Any, Protocol

    from tcrm.model.due import TaskItem
    from tcrm.model.settings import Settings
    from tcrm.store.where import Where

WEEK_DAYS = 7
"""``--week``: overdue, or due by the same weekday next week (``+7d``) at the latest."""


if TYPE_CHECKING:

    class ListedTask(Protocol):
        """What the selection and the due rules read of a task."""

        @property
        def id(self) -> str: ...
        @property
        def status(self) -> str: ...
        @property
        def due(self) -> date | datetime | None: ...
        @property
        def timezone(self) -> str | None: ...
        @property
        def assignee(self) -> str | None: ...
        @property
        def priority(self) -> str | None: ...
        @property
        def clients(self) -> list[str]: ...
        @property
        def deals(self) -> list[str]: ...

    class Zones(Protocol):
        """What the due rules ask of the settings (``Settings``, ``status_counts.Zones``)."""

        @property
        def timezone(self) -> str: ...
        def member_timezone(self, member_id: str | None) -> str: ...


class Selection(Value):
    """The options of ``tcrm task list``, checked: ``assignee`` a team member, the
    client resolved to its id, with the ids of its deals."""

    __match_args__ = (
        "today",
        "overdue",
        "week",
        "include_closed",
        "assignee",
        "client_ids",
        "deal_ids",
    )
    __slots__ = __match_args__

    def __init__(
        self,
        today: bool = False,
        overdue: bool = False,
        week: bool = False,
        include_closed: bool = False,
        assignee: str | None = None,
        client_ids: frozenset[str] | None = None,
        deal_ids: frozenset[str] = frozenset(),
    ) -> None:
        self.today = today
        self.overdue = overdue
        self.week = week
        self.include_closed = include_closed
        self.assignee = assignee
        self.client_ids = client_ids
        self.deal_ids = deal_ids

    @property
    def windowed(self) -> bool:
        return self.today or self.overdue or self.week

    def for_client(self, client_ids: frozenset[str], deal_ids: frozenset[str]) -> Selection:
        """The same options, narrowed to the tasks of these clients and deals."""
        return Selection(
            self.today,
            self.overdue,
            self.week,
            self.include_closed,
            self.assignee,
            client_ids,
            deal_ids,
        )


def checked_member(member: str | None, team: Collection[str]) -> str | None:
    """``member`` stripped, when the team has it or there is no team; ``LookupError``
    when there is a team without it (``tasks.check_member`` words that)."""
    if member is None:
        return None
    member = member.strip()
    if team and member not in team:
        raise LookupError(member)
    return member


def window(now: datetime, chosen: Selection) -> Where | None:
    """An index condition that keeps every task ``select`` could keep (and more)."""
    conditions: list[Where] = []
    if not chosen.include_closed:
        conditions.append(eq("status", "open"))
    if chosen.assignee is not None:
        conditions.append(eq("owner", chosen.assignee))
    if chosen.windowed:
        ahead = WEEK_DAYS if chosen.week else 0
        conditions.append(at_most("day", (now.date() + timedelta(ahead + ZONE_MARGIN)).isoformat()))
        if chosen.today and not (chosen.overdue or chosen.week):
            conditions.append(at_least("day", (now.date() - timedelta(ZONE_MARGIN)).isoformat()))
    return all_of(*conditions)


def select(
    tasks: Iterable[ListedTask], settings: Zones, now: datetime, chosen: Selection
) -> list[TaskItem]:
    """The tasks ``chosen`` keeps, with their due states at ``now``, overdue first
    (``tcrm.model.due.sort_key``). ``today``, ``overdue`` and ``week`` each select tasks
    (several select their union), judged in each task's assignee's zone."""
    rules: Settings = settings  # type: ignore[assignment]  # what the due rules read of it
    out = []
    for task in tasks:
        if task.status != "open" and not chosen.include_closed:
            continue
        if chosen.assignee is not None and task.assignee != chosen.assignee:
            continue
        if chosen.client_ids is not None and not (
            chosen.client_ids & set(task.clients) or chosen.deal_ids & set(task.deals)
        ):
            continue
        entry = item(task, rules, now)  # type: ignore[arg-type]  # a Task's fields
        if chosen.windowed and not _selected(entry, chosen):
            continue
        out.append(entry)
    return sorted(out, key=sort_key)


def _selected(entry: TaskItem, chosen: Selection) -> bool:
    day, local_today = entry.day, entry.today
    if entry.task.status != "open" or day is None or local_today is None:
        return False
    return (
        (chosen.overdue and entry.state == "overdue")
        or (chosen.today and day == local_today)
        or (chosen.week and (entry.state == "overdue" or day <= local_today + timedelta(WEEK_DAYS)))
    )


# --- the early path: from the index's rows, without the models ------------------------


class Asked(Value):
    """The options of ``tcrm task list`` as given, before they are checked."""

    __match_args__ = ("today", "overdue", "week", "include_closed", "assignee", "client")
    __slots__ = __match_args__

    def __init__(
        self,
        today: bool = False,
        overdue: bool = False,
        week: bool = False,
        include_closed: bool = False,
        assignee: str | None = None,
        client: str | None = None,
    ) -> None:
        self.today = today
        self.overdue = overdue
        self.week = week
        self.include_closed = include_closed
        self.assignee = assignee
        self.client = client


def from_index(
    conn: early_index.Connection, settings: Mapping[str, Any], now: datetime | None, asked: Asked
) -> list[TaskItem] | None:
    """``tcrm task list``'s tasks from a fresh index (``early_index.open_fresh``) and the
    settings it keeps, as ``tasks.list_tasks`` selects them; ``None`` when the normal
    path must answer: something to report (a member not on the team, a client given
    other than by its id, a file of the kinds read that is not valid), or a task's
    fields not written in the plain way ``status_counts.indexed_task`` reads."""
    zones = status_counts.kept_zones(settings)
    if zones is None or settings.get("conflicts") != 0:
        return None
    try:
        at = status_counts.local_now(zones.timezone, now)
        assignee = checked_member(asked.assignee, list(zones.members))
    except (KeyError, ValueError, LookupError):  # not a zone; not a member
        return None
    chosen = Selection(
        asked.today, asked.overdue, asked.week, asked.include_closed, assignee=assignee
    )
    if early_index.holds_broken(conn, "task"):
        return None
    if asked.client is not None:
        client_id = early_index.sole_id(conn, "client", asked.client)
        if client_id is None:
            return None
        if early_index.holds_broken(conn, "deal"):
            return None
        deal_ids = frozenset(early_index.ids_where(conn, "deal", eq("client", client_id)))
        chosen = chosen.for_client(frozenset({client_id}), deal_ids)
    rows = early_index.task_rows(conn, window(at, chosen))
    try:
        tasks = [status_counts.indexed_task(i, d) for i, d in rows]
        return select(tasks, zones, at, chosen)
    except (ValueError, TypeError, KeyError):
        return None
