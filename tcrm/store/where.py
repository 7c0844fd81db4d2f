"""Conditions on the local index's query columns, built from typed parts.

Services narrow their reads with these (``candidates(ws, "deal", eq("client", "acme"))``)
and never write SQL: only the store turns a condition into a query (``Index.records``,
``Index.linked``, ``Index.counts``). A condition only narrows: the service still applies
its exact rules to the records it gets back, so the answer is the same without an index.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import reduce

from tcrm.model.value import Value

TYPE_CHECKING = False  # no typing at run time: the early path builds its queries here
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Literal

    Column = Literal[
        "id",
        "label",
        "status",
        "stage",
        "pipeline",
        "owner",
        "client",
        "day",
        "alert",
        "moment",
        "cadence",
        "conflicts",
        "text",
        "digits",
    ]
    """A record's id and the index's query columns (``tcrm.store.index.COLUMNS`` says
    what each holds)."""
else:
    Column = str
COLUMN_ORDER: tuple[str, ...] = (
    *("id", "label", "status", "stage", "pipeline", "owner", "client", "day", "alert"),
    *("moment", "cadence", "conflicts", "text", "digits"),
)
"""``Column``'s values in order, at run time (tests/test_startup.py holds the two the same)."""
COLUMN_NAMES: frozenset[str] = frozenset(COLUMN_ORDER)


class Where(Value):
    """A condition: its SQL (``?`` placeholders) and their values, in order.

    Combine with ``&`` (both) and ``|`` (either); build with the functions below."""

    __match_args__ = ("sql", "params")
    __slots__ = __match_args__

    def __init__(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.sql = sql
        self.params = params

    def __and__(self, other: Where) -> Where:
        return Where(f"{self.sql} AND {other.sql}", (*self.params, *other.params))

    def __or__(self, other: Where) -> Where:
        return Where(f"({self.sql} OR {other.sql})", (*self.params, *other.params))


def _column(name: Column) -> str:
    if name not in COLUMN_NAMES:
        raise ValueError(f"{name!r} is not a column of the index")
    return name


def eq(column: Column, value: str | int) -> Where:
    """``column`` holds ``value``."""
    return Where(f"{_column(column)} = ?", (value,))


def among(column: Column, values: Iterable[str]) -> Where:
    """``column`` holds one of ``values``."""
    return Where(
        f"{_column(column)} IN (SELECT value FROM json_each(?))", (json.dumps(list(values)),)
    )


def at_most(column: Column, value: str) -> Where:
    """``column`` has a value, and it is ``value`` or before (text order: ISO dates)."""
    name = _column(column)
    return Where(f"{name} IS NOT NULL AND {name} <= ?", (value,))


def at_least(column: Column, value: str) -> Where:
    """``column`` is ``value`` or after (text order: ISO dates)."""
    return Where(f"{_column(column)} >= ?", (value,))


def present(column: Column) -> Where:
    """``column`` has a value (``conflicts``: the record holds unresolved conflicts)."""
    return Where(f"{_column(column)} IS NOT NULL")


def contains(column: Column, text: str) -> Where:
    """``column`` holds ``text`` (as written: ``text`` and ``digits`` are case-folded)."""
    return Where(f"instr({_column(column)}, ?) > 0", (text,))


def like(column: Column, pattern: str) -> Where:
    """``column`` matches an SQL ``LIKE`` pattern (``%survey%``; ASCII case ignored)."""
    return Where(f"{_column(column)} LIKE ?", (pattern,))


def all_of(*conditions: Where) -> Where | None:
    """Every one of ``conditions``; ``None`` (no condition) when there are none."""
    return reduce(lambda a, b: a & b, conditions) if conditions else None


def any_of(*conditions: Where) -> Where | None:
    """One of ``conditions`` at least; ``None`` (no condition) when there are none."""
    return reduce(lambda a, b: a | b, conditions) if conditions else None


# --- the conditions the planner narrows its reads with ------------------------------------


def _last_activity(prefix: str) -> str:
    """The latest activity moment naming the row's record (``prefix``: deal, client)."""
    return f"(SELECT moment FROM touched WHERE ref = '{prefix}:' || records.id)"


def _idle_since(column: str, days: str) -> str:
    """``column`` (a UTC moment) is at least ``days`` - 1 days before the ``?`` moment."""
    return f"julianday(substr({column}, 1, 19)) <= julianday(?) - ({days}) + 1"


def _utc_param(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def may_rot(limits: dict[str, int], now: datetime) -> Where:
    """Open deals neither moved nor touched by an activity for (almost) their stage's
    rotting days; ``limits`` maps ``pipeline/stage`` to those days."""
    keys = sorted(limits)
    stages = "pipeline || '/' || stage IN (SELECT value FROM json_each(?))"
    lim = f"(CASE pipeline || '/' || stage {'WHEN ? THEN ? ' * len(keys)}END)"
    cases = [value for key in keys for value in (key, limits[key])]
    last = _last_activity("deal")
    sql = (
        f"status = 'open' AND {stages}"
        f" AND (moment IS NULL OR {_idle_since('moment', lim)})"
        f" AND ({last} IS NULL OR {_idle_since(last, lim)})"
    )
    at = _utc_param(now)
    return Where(sql, (json.dumps(keys), at, *cases, at, *cases))


def may_need_contact(now: datetime) -> Where:
    """Clients with a keep-in-touch cadence and no activity for (almost) that long."""
    last = _last_activity("client")
    idle = _idle_since(last, "CAST(cadence AS INTEGER)")
    sql = f"cadence IS NOT NULL AND ({last} IS NULL OR {idle})"
    return Where(sql, (_utc_param(now),))
