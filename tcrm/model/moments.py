"""Dates, date-times and reminder offsets as a person writes them in a record file.

The standard library only, on purpose: the model's types (``tcrm.model.types``) validate
with these, and ``tcrm status`` reads the same fields from the local index with them
before pydantic is imported (``tcrm.services.status_counts``), so both read a due date
the same way.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from tcrm.model.limits import MAX_OFFSET, YEAR_MAX, YEAR_MIN

TYPE_CHECKING = False  # ``tcrm status`` reads dates with these before typing loads
if TYPE_CHECKING:
    from typing import Any


def in_range(value: date, shown: Any = None) -> date:
    """``value`` if its year is within the accepted range (``limits``), else ValueError."""
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        text = shown if isinstance(shown, str) else _iso(value)
        raise ValueError(f"{text!r} is outside the accepted range (years {YEAR_MIN}-{YEAR_MAX})")
    return value


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{value!r} is a date-time; a date (YYYY-MM-DD) is expected here")
    if isinstance(value, date):
        return in_range(value)
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date (write YYYY-MM-DD)") from None
    return in_range(parsed, value)


def parse_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return in_range(value)  # type: ignore[return-value]
    text = str(value).strip()
    if "T" not in text and " " not in text:
        raise ValueError(f"{value!r} is not a date-time (write YYYY-MM-DDTHH:MM, with an offset)")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date-time (write YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM+01:00)"
        ) from None
    return in_range(parsed, value)  # type: ignore[return-value]


def parse_date_or_datetime(value: Any) -> date | datetime:
    """A due date: a whole day (``2026-12-01``) or a moment (``2026-12-01T10:00``)."""
    if isinstance(value, date):
        return in_range(value)
    text = str(value).strip()
    if "T" in text or " " in text:
        return parse_datetime(text)
    return parse_date(text)


def _iso(value: date) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    return value.isoformat()


OFFSET_RE = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_OFFSET_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_offset(text: str) -> timedelta:
    """``30m``, ``2h``, ``1d``, ``1w``: how long before a due time a reminder fires, at
    most ``MAX_OFFSET`` (366 days)."""
    match = OFFSET_RE.match(str(text).strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not an offset (write e.g. 30m, 2h, 1d or 1w)")
    digits, unit = match.group(1), _OFFSET_UNITS[match.group(2)]
    if len(digits) > 9 or timedelta(**{unit: int(digits)}) > MAX_OFFSET:
        raise ValueError(
            f"{text!r}: a reminder fires at most {MAX_OFFSET.days} days (52 weeks) before "
            "the due time"
        )
    return timedelta(**{unit: int(digits)})


def check_offset(value: Any) -> str:
    parse_offset(value)
    return str(value).strip().lower()


def as_utc(moment: datetime) -> datetime:
    """An aware moment; a naive one (hand-written) is read in this machine's zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=None).astimezone()


def day_of(moment: datetime, zone: str) -> date:
    """The calendar day of ``moment`` in time zone ``zone``."""
    from zoneinfo import ZoneInfo

    return as_utc(moment).astimezone(ZoneInfo(zone)).date()


def local_now(zone: str, now: datetime | None) -> datetime:
    """``now`` as an aware date-time in ``zone`` (a naive one is read there)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    if now is None:
        return datetime.now(tz)
    return now.astimezone(tz) if now.tzinfo else now.replace(tzinfo=tz)
