"""Dates as people type them: ``2026-12-01``, ``tomorrow 10:00``, ``+3d``, ``fri``, ``eow``.

Relative words are ours (a handful, like taskwarrior's); absolute forms go to dateutil's
parser. Everything is relative to a ``now`` passed in, so tests fix the clock.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta

from tcrm.model.limits import YEAR_MAX, YEAR_MIN

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_REL = re.compile(r"^([+-])\s*(\d+)\s*(m|min|h|d|w|mo)$")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_NUMERIC = re.compile(r"^(\d{1,4})([/.-])(\d{1,2})(?:\2(\d{1,4}))?(?:\s+(.+))?$")
"""``31/12/2026``, ``12.31.26``, ``24/12`` (this year), each with an optional time."""
HELP = (
    "use YYYY-MM-DD, YYYY-MM-DD HH:MM, today, tomorrow, yesterday, a weekday (fri), "
    "+3d, +2h, +1w, eow, eom, optionally followed by a time (tomorrow 10:00)"
)
DATE_ORDERS = ("DMY", "MDY", "YMD")
"""How numeric dates with ``/``, ``.`` or ``-`` are read (``date_order`` in tcrm.yaml)."""
DEFAULT_DATE_ORDER = "DMY"
_ORDER_NAMES = {"DMY": "day/month/year", "MDY": "month/day/year", "YMD": "year/month/day"}


class WhenError(ValueError):
    """Text that is not a date we understand."""


def _weekday(word: str) -> int | None:
    """0 for ``mon``/``monday``... A weekday needs at least its first three letters."""
    word = word.lower().rstrip(".")
    if len(word) < 3:
        return None
    return next((i for i, name in enumerate(WEEKDAYS) if name.startswith(word)), None)


def _parse_time(text: str) -> time | None:
    match = _TIME.match(text.strip().lower())
    if not match:
        return None
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if meridiem == "pm" and hour < 12:
        hour += 12
    if meridiem == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _day_word(word: str, today: date) -> date | None:
    word = word.lower()
    if word in ("today", "now"):
        return today
    if word in ("tomorrow", "tmr", "tom"):
        return today + timedelta(days=1)
    if word == "yesterday":
        return today - timedelta(days=1)
    if word in ("eow", "endofweek"):
        return today + timedelta(days=6 - today.weekday())
    if word in ("eom", "endofmonth"):
        first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first_next - timedelta(days=1)
    if word in ("sow", "nextweek"):
        return today + timedelta(days=7 - today.weekday())
    weekday = _weekday(word)
    if weekday is not None:
        ahead = (weekday - today.weekday()) % 7 or 7  # "fri" on a Friday is next Friday
        return today + timedelta(days=ahead)
    return None


def _numeric(text: str, raw: str, today: date, order: str) -> date | datetime | None:
    """A date written in numbers, read in the workspace's ``order``, never guessed.

    A four-digit first number is a year whatever the order (``2026/12/31``). A value that
    does not fit the order is refused, naming the order that would have read it.
    """
    match = _NUMERIC.match(raw)
    if not match:
        return None
    first, _sep, second, third, rest = match.groups()
    at = None
    if rest is not None:
        at = _parse_time(rest.removeprefix("at "))
        if at is None:
            raise WhenError(f"{text!r}: {rest!r} is not a time (write e.g. 10:00 or 3pm)")
    numbers = [first, second] if third is None else [first, second, third]

    def read(in_order: str) -> date | None:
        if len(numbers[0]) == 4 and len(numbers) == 3:
            in_order = "YMD"
        if len(numbers) == 2:  # no year: the order's day and month, this year
            parts = dict(zip(in_order.replace("Y", ""), numbers, strict=True))
            parts["Y"] = str(today.year)
        else:
            parts = dict(zip(in_order, numbers, strict=True))
        if len(parts["Y"]) not in (2, 4) or len(parts["D"]) > 2 or len(parts["M"]) > 2:
            return None
        year = int(parts["Y"]) + (2000 if len(parts["Y"]) == 2 else 0)
        try:
            return date(year, int(parts["M"]), int(parts["D"]))
        except ValueError:
            return None

    day = read(order)
    if day is None:
        fits = [o for o in DATE_ORDERS if o != order and read(o) is not None]
        hint = f", or set date_order: {fits[0]} there" if fits else ""
        example = (read(fits[0]) if fits else None) or date(2026, 12, 31)
        raise WhenError(
            f"{text!r} does not fit date_order {order} ({_ORDER_NAMES[order]}, set in"
            f" tcrm.yaml); write {example.isoformat()}{hint}"
        )
    return day if at is None else datetime.combine(day, at)


def parse_when(text: str, now: datetime, order: str = DEFAULT_DATE_ORDER) -> date | datetime:
    """A date (whole day) or a naive local date-time, relative to ``now`` (local, naive),
    within the accepted range of years (``tcrm.model.limits``): ``+99999999d`` is refused
    in one line, like ``0001-01-01``.

    Numeric dates (``01/02/2027``) are read in ``order``, the workspace's ``date_order``.
    """
    outside = f"{text!r} is outside the accepted range of dates (years {YEAR_MIN}-{YEAR_MAX})"
    try:
        value = _parse_when(text, now, order)
    except WhenError:
        raise
    except (OverflowError, ValueError):  # past datetime's own ends (years 1-9999)
        raise WhenError(outside) from None
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise WhenError(outside)
    return value


def _parse_when(text: str, now: datetime, order: str) -> date | datetime:
    raw = " ".join(str(text).split())
    if not raw:
        raise WhenError(f"empty date; {HELP}")
    today = now.date()
    lowered = raw.lower()
    rel = _REL.match(lowered)
    if rel:
        sign = 1 if rel.group(1) == "+" else -1
        n, unit = int(rel.group(2)) * sign, rel.group(3)
        if unit in ("m", "min"):
            return (now + timedelta(minutes=n)).replace(second=0, microsecond=0)
        if unit == "h":
            return (now + timedelta(hours=n)).replace(second=0, microsecond=0)
        if unit == "mo":
            month = today.month - 1 + n
            year, month = today.year + month // 12, month % 12 + 1
            return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
        return today + timedelta(days=n * (7 if unit == "w" else 1))
    first, _, rest = lowered.partition(" ")
    day = _day_word(first, today)
    if day is not None:
        if not rest:
            if first == "now":
                return now.replace(second=0, microsecond=0)
            return day
        at = _parse_time(rest.removeprefix("at "))
        if at is None:
            raise WhenError(f"{text!r}: {rest!r} is not a time (write e.g. 10:00 or 3pm)")
        return datetime.combine(day, at)
    if re.match(r"^\d{4}-\d{2}-\d{2}$", raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise WhenError(f"{text!r} is not a date of the calendar") from None
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2})?$", raw):
        try:
            return datetime.fromisoformat(raw.replace(" ", "T"))
        except ValueError:
            raise WhenError(f"{text!r} is not a date and time of the calendar") from None
    numeric = _numeric(text, raw, today, order)
    if numeric is not None:
        return numeric
    return _dateutil(text, raw, now)


def _dateutil(text: str, raw: str, now: datetime) -> date | datetime:
    """Other absolute forms: ``1 Dec 2026``, ``Dec 1 10:00``, ``01.12.2026``."""
    from dateutil import parser

    if not re.search(r"\d", raw) or not re.search(r"[a-z]{3}", raw.lower()):
        # only written months are left to dateutil: numbers alone would be guessed
        raise WhenError(f"{text!r} is not a date; {HELP}")
    try:
        parsed, tokens = parser.parse(
            raw, default=datetime.combine(now.date(), time()), dayfirst=True, fuzzy_with_tokens=True
        )
    except (ValueError, OverflowError):
        raise WhenError(f"{text!r} is not a date; {HELP}") from None
    if any(t.strip(" ,.") for t in tokens):
        raise WhenError(f"{text!r} is not a date; {HELP}")
    has_time = bool(re.search(r"\d:\d|\d\s*(am|pm)\b", raw.lower()))
    return parsed.replace(tzinfo=None) if has_time else parsed.date()


def parse_day(text: str, now: datetime, order: str = DEFAULT_DATE_ORDER) -> date:
    """A whole day (``--since``, ``--close-date``): a time in the text is refused."""
    value = parse_when(text, now, order)
    if isinstance(value, datetime):
        raise WhenError(f"{text!r} has a time; a day is expected here")
    return value
