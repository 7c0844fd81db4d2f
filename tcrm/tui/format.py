"""How the TUI writes values: short, aligned, and the same on every screen."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from tcrm.model.records import Task


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """``12,000 EUR``, ``7,200.50 GBP``: cents only when there are some."""
    if amount is None:
        return ""
    text = f"{amount:,.2f}" if amount != amount.to_integral() else f"{amount:,.0f}"
    return f"{text} {currency or ''}".strip()


def money_lines(totals: Mapping[str, Decimal]) -> list[str]:
    """One line per currency, largest first: amounts in two currencies never add up."""
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [money(amount, currency) for currency, amount in ordered]


def day(value: date) -> str:
    """``Mon 23 Nov``."""
    return f"{value:%a} {value.day} {value:%b}"


def _zone_abbr(task: Task, moment: datetime) -> str:
    """``EST`` for a due local to another zone than the workspace's (``timezone`` set)."""
    if moment.tzinfo is not None:
        return moment.tzname() or ""
    if task.timezone:
        from zoneinfo import ZoneInfo

        return moment.replace(tzinfo=ZoneInfo(task.timezone)).tzname() or task.timezone
    return ""


def due(task: Task, today: date | None = None) -> str:
    """A task's due as people scan it: ``10:00`` today, ``Tue 24 Nov 15:00`` later, and
    ``24 Nov 15:00 EST`` for a time in another zone than the workspace's."""
    if task.due is None:
        return ""
    if isinstance(task.due, datetime):
        zone = _zone_abbr(task, task.due)
        text = f"{task.due:%H:%M}" + (f" {zone}" if zone else "")
        if today is not None and task.due.date() == today:
            return text
        when = task.due.date()
        return f"{when.day} {when:%b} {text}" if zone else f"{day(when)} {text}"
    if today is not None and task.due == today:
        return "today"
    return day(task.due)


def moment(value: datetime) -> str:
    """``2026-11-20 14:05``."""
    return f"{value:%Y-%m-%d %H:%M}"


def clip(text: str | None, width: int) -> str:
    """``text`` on one line, cut with an ellipsis to at most ``width`` cells."""
    line = " ".join((text or "").split())
    if width <= 0:
        return ""
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
