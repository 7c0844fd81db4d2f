"""Calendar periods in the workspace's time zone: ISO weeks, months, quarters, years.

A period is a span of whole days, both ends included. A moment belongs to the period that
holds its calendar day *in the workspace zone*: 2026-11-30T23:30Z is 00:30 on December 1st
in Berlin, so it counts for December there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["day", "week", "month", "quarter", "year", "range"]
GRANULARITIES = ("week", "month", "quarter", "year")
"""What ``--period`` accepts."""


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def label(self) -> str:
        """``2026-W48``, ``2026-11``, ``2026-Q4``, ``2026``, a day, or ``start..end``."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def to_json(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "label": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def period_of(kind: PeriodKind, day: date) -> Period:
    """The calendar period of ``kind`` that holds ``day`` (weeks start on Monday)."""
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
        return Period("month", start, _next_month(start) - timedelta(days=1))
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        end = _next_month(_next_month(_next_month(start))) - timedelta(days=1)
        return Period("quarter", start, end)
    if kind == "year":
        return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))
    raise ValueError(f"not a calendar period: {kind!r}")


def following(period: Period) -> Period:
    """The period of the same kind right after ``period``."""
    return period_of(period.kind, period.end + timedelta(days=1))


def span(kind: PeriodKind, first: date, last: date) -> list[Period]:
    """Every period of ``kind`` from the one holding ``first`` to the one holding ``last``."""
    out = [period_of(kind, first)]
    while out[-1].end < last:
        out.append(following(out[-1]))
    return out


def window(
    kind: PeriodKind, today: date, since: date | None = None, until: date | None = None
) -> Period:
    """The period a report covers.

    Neither ``since`` nor ``until``: the current period of ``kind`` (holding ``today``).
    Both: exactly those days. Only ``since``: from it to today. Only ``until``: from the
    start of the period of ``kind`` holding it, to it.
    """
    if since is None and until is None:
        return period_of(kind, today)
    if since is None:
        assert until is not None
        return Period("range", period_of(kind, until).start, until)
    return Period("range", since, until if until is not None else today)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``moment`` in ``zone``; a naive moment is read as local to it."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(zone).date()


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
