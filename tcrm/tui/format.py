"""How the TUI writes values: short, aligned, and the same on every screen."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from tcrm.model.money import money_text
from tcrm.model.records import Task
from tcrm.model.text import visible


def money_lines(totals: Mapping[str, Decimal]) -> list[str]:
    """One line per currency, largest first: amounts in two currencies never add up."""
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [money_text(amount, currency) for currency, amount in ordered]


@lru_cache(maxsize=4096)
def day(value: date) -> str:
    """``Mon 23 Nov`` (cached: a screen of thousands of tasks has a few hundred days)."""
    return f"{value:%a} {value.day} {value:%b}"


def _zone_abbr(timezone: str | None, moment: datetime) -> str:
    """``EST`` for a due local to another zone than the workspace's (``timezone`` set)."""
    if moment.tzinfo is not None:
        return moment.tzname() or ""
    if timezone:
        from zoneinfo import ZoneInfo

        return moment.replace(tzinfo=ZoneInfo(timezone)).tzname() or timezone
    return ""


def due(task: Task, today: date | None = None) -> str:
    """A task's due as people scan it: ``10:00`` today, ``Tue 24 Nov 15:00`` later, and
    ``24 Nov 15:00 EST`` for a time in another zone than the workspace's."""
    value = task.due
    if value is None:
        return ""
    # equal datetimes can differ in offset or zone name: both are part of the cache key
    shown = (value.isoformat(), value.tzname()) if isinstance(value, datetime) else None
    return _due(value, shown, task.timezone, today)


@lru_cache(maxsize=8192)
def _due(value: date | datetime, shown: object, timezone: str | None, today: date | None) -> str:
    if isinstance(value, datetime):
        zone = _zone_abbr(timezone, value)
        text = f"{value:%H:%M}" + (f" {zone}" if zone else "")
        if today is not None and value.date() == today:
            return text
        when = value.date()
        return f"{when.day} {when:%b} {text}" if zone else f"{day(when)} {text}"
    if today is not None and value == today:
        return "today"
    return day(value)


def moment(value: datetime) -> str:
    """``2026-11-20 14:05``."""
    return f"{value:%Y-%m-%d %H:%M}"


def clip(text: str | None, width: int) -> str:
    """``text`` on one line, cut with an ellipsis to at most ``width`` cells; control
    characters shown as their escapes (``tcrm.model.text``)."""
    line = visible(" ".join((text or "").split()))
    if width <= 0:
        return ""
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"
