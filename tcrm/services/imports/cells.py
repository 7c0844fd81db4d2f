"""Parsing cells as spreadsheets and other CRMs write them: amounts (``1 234,50``) and
dates (``01/12/2026``, read in the workspace's ``date_order``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from tcrm.errors import Command, Field

DATE_FORMAT = str(Command(Field("date_format")))
"""How a cell's date problem names the way to read other dates: a row's problem is text,
not an error with parts, so the option reads as typed (``--date-format``)."""

# --- parsing cells -----------------------------------------------------------------------

_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB", "zł": "PLN"}
_AMOUNT_EDGE = re.compile(
    r"^(?P<pre>[A-Za-z]{3}|[€$£¥₹₽]|zł)?\s*(?P<num>.*?)\s*(?P<post>[A-Za-z]{3}|[€$£¥₹₽]|zł)?$"
)


def parse_amount_text(text: str) -> tuple[Decimal, str | None]:
    """An exact amount as spreadsheets and CRMs write it, and its currency if it shows one.

    ``1234.5``, ``1,234.50``, ``1.234,50``, ``1 234,50``, ``1'234.50``, ``€ 1.234,50``,
    ``1234,50 EUR``. When a text has both ``,`` and ``.``, the last one is the decimal
    mark. A lone ``,`` followed by exactly three digits (``1,234``) groups thousands;
    otherwise a lone ``,`` or ``.`` is the decimal mark (``1,5`` and ``1.234`` are
    1.5 and 1.234). Negative amounts are refused.
    """
    raw = " ".join(str(text).replace("\u00a0", " ").replace("\u202f", " ").split())
    bad = f"{text!r} is not an amount (e.g. 1234.50, 1,234.50, 1.234,50 or 1 234,50)"
    edge = _AMOUNT_EDGE.match(raw)
    if not edge:
        raise ValueError(bad)
    currency = None
    for part in (edge.group("pre"), edge.group("post")):
        if part:
            code = _SIGNS.get(part, part.upper())
            if currency and code != currency:
                raise ValueError(bad)
            currency = code
    number = edge.group("num")
    if number.startswith("-") or number.endswith("-"):
        raise ValueError(f"{text!r}: an amount cannot be negative")
    if not number or not re.fullmatch(r"[\d.,' \u2019_]+", number) or not re.search(r"\d", number):
        raise ValueError(bad)
    decimal_mark = _decimal_mark(number)
    whole, _, fraction = number.rpartition(decimal_mark) if decimal_mark else (number, "", "")
    if decimal_mark and not fraction.isdigit():
        raise ValueError(bad)
    digits = _ungrouped(whole or "0", bad)
    try:
        return Decimal(f"{digits}.{fraction}" if fraction else digits), currency
    except InvalidOperation:
        raise ValueError(bad) from None


def _decimal_mark(number: str) -> str | None:
    dot, comma = number.rfind("."), number.rfind(",")
    if dot >= 0 and comma >= 0:
        return "." if dot > comma else ","
    if comma >= 0:
        head, _, tail = number.rpartition(",")
        if number.count(",") > 1:
            return None
        grouped = len(tail) == 3 and tail.isdigit() and re.fullmatch(r"[1-9]\d{0,2}", head)
        return None if grouped else ","
    if dot >= 0:
        return "." if number.count(".") == 1 else None
    return None


def _ungrouped(whole: str, bad: str) -> str:
    """The digits of an integer part whose thousands are grouped by one kind of mark."""
    marks = {c for c in whole if not c.isdigit()}
    if not marks:
        return whole
    if len(marks) > 1:
        raise ValueError(bad)
    groups = whole.split(marks.pop())
    if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]):
        raise ValueError(bad)
    return "".join(groups)


DATE_FORMATS_BY_ORDER = {
    "DMY": ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"),
    "MDY": ("%m/%d/%Y", "%m.%d.%Y", "%m-%d-%Y", "%m/%d/%y", "%m.%d.%y"),
    "YMD": ("%Y/%m/%d", "%Y.%m.%d", "%y/%m/%d", "%y.%m.%d"),
}
"""Tried after ISO 8601, in the workspace's ``date_order`` (never guessed per value)."""
_SHAPES = {"DMY": "DD/MM/YYYY", "MDY": "MM/DD/YYYY", "YMD": "YYYY/MM/DD"}

_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S", "T%H:%M", "T%H:%M:%S")


def parse_date_text(text: str, formats: Sequence[str] = (), order: str = "DMY") -> date | datetime:
    """A date or naive/aware date-time: ISO 8601 first, then ``formats`` (strptime), or by
    default the numeric forms of the workspace's ``order`` (``date_order``: with DMY,
    ``01/12/2026`` is 1 December), each with an optional time."""
    raw = " ".join(str(text).split())
    iso = raw[:-1] + "+00:00" if raw.endswith("Z") else raw
    if re.match(r"^\d{4}-\d{2}-\d{2}", iso):
        try:
            if len(iso) == 10:
                return date.fromisoformat(iso)
            return datetime.fromisoformat(iso)
        except ValueError:
            pass
    for base in formats or DATE_FORMATS_BY_ORDER[order]:
        for suffix in ("",) if formats else _TIME_SUFFIXES:
            try:
                parsed = datetime.strptime(raw, base + suffix)
            except ValueError:
                continue
            has_time = any(code in base + suffix for code in ("%H", "%I", "%M"))
            return parsed if has_time else parsed.date()
    hint = (
        f"expected {' or '.join(formats)}"
        if formats
        else f"expected YYYY-MM-DD or {_SHAPES[order]} (date_order: {order} in tcrm.yaml); "
        f"for others give {DATE_FORMAT}, e.g. {DATE_FORMAT} %m/%d/%Y"
    )
    raise ValueError(f"{text!r} is not a date ({hint})")
