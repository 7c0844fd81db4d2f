"""Value types shared by the records: ids, money, dates, offsets, recurrence rules.

Every type parses the plain text a person writes in a YAML file (our YAML dialect keeps
dates, amounts and phone numbers as text) and says in plain words what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from tcrm.model.limits import EXTERNAL_ID_CHARS, EXTERNAL_ID_TOOLS
from tcrm.model.moments import OFFSET_RE as OFFSET_RE  # re-exported: the model's value types
from tcrm.model.moments import _iso, check_offset, parse_date_or_datetime
from tcrm.model.moments import in_range as in_range
from tcrm.model.moments import parse_date as parse_date
from tcrm.model.moments import parse_datetime as parse_datetime
from tcrm.model.moments import parse_offset as parse_offset
from tcrm.model.money import CURRENCIES as CURRENCIES  # re-exported: the model's value types
from tcrm.model.money import amount_in_range as amount_in_range
from tcrm.model.money import check_currency as check_currency
from tcrm.model.money import parse_amount as parse_amount


def new_list() -> list[Any]:
    """A field's empty list: the ``default_factory`` of every list field of the models.

    Not ``list`` itself: pydantic asks each factory's signature when it builds a model's
    validator, and a builtin type's costs ~0.3 ms (its text signature is parsed and
    compiled) against ~0.01 ms for a function, for each of ~40 list fields, on every
    command that validates a record or the settings.
    """
    return []


ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
"""A record id: lower-case, safe as a file name on every OS, never hidden, no `..`."""


def check_id(value: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value) or ".." in value:
        raise ValueError(
            f"{value!r} is not a valid id: use lower-case letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit (at most 64 characters)"
        )
    return value


# Latin letters that Unicode does not decompose into a base letter plus an accent.
_TRANSLITERATE = str.maketrans(
    {"ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o"}
    | {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ł": "l", "Ł": "l"}
)


def slugify(text: str, max_length: int = 48) -> str:
    """The id a name suggests: ``"Müller & Söhne GmbH"`` -> ``"muller-sohne-gmbh"``."""
    text = text.translate(_TRANSLITERATE)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


RecordId = Annotated[str, AfterValidator(check_id)]

Currency = Annotated[str, BeforeValidator(check_currency)]


Amount = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "pattern": r"^[0-9]+(\.[0-9]+)?$",
            "minimum": 0,
            "description": "a decimal amount, e.g. 12000 or 12000.50",
        }
    ),
]


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)"
        ) from None
    return str(value)


TimeZoneName = Annotated[str, AfterValidator(check_timezone)]


Date = Annotated[
    date,
    BeforeValidator(parse_date),
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date"}),
]
DateTime = Annotated[
    datetime,
    BeforeValidator(parse_datetime),
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"}),
]
DateOrDateTime = Annotated[
    date | datetime,
    BeforeValidator(parse_date_or_datetime),
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "description": "a date (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM[+HH:MM])",
            "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$",
        }
    ),
]

Offset = Annotated[
    str,
    BeforeValidator(check_offset),
    WithJsonSchema({"type": "string", "pattern": r"^\d+\s*(m|min|h|d|w)$"}),
]


def check_rrule(value: Any) -> str:
    """An RFC 5545 recurrence rule such as ``FREQ=WEEKLY;BYDAY=MO``."""
    from dateutil.rrule import rrulestr  # imported only when a task repeats

    text = str(value).strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text.upper().startswith("FREQ=") and ";FREQ=" not in text.upper():
        raise ValueError(f"{value!r} is not a recurrence rule (write e.g. FREQ=WEEKLY;BYDAY=MO)")
    try:
        rrulestr(text, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{value!r} is not a valid recurrence rule: {exc}") from None
    return text.upper()


RRule = Annotated[
    str,
    BeforeValidator(check_rrule),
    WithJsonSchema({"type": "string", "pattern": "^(RRULE:)?FREQ=", "description": "RFC 5545"}),
]

EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def check_email(value: Any) -> str:
    text = str(value).strip()
    if not EMAIL_RE.match(text):
        raise ValueError(f"{value!r} is not an email address")
    return text


Email = Annotated[str, BeforeValidator(check_email)]


def check_phone(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"\+?[0-9][0-9 ()./-]{2,30}(\s*(x|ext\.?)\s*\d+)?", text):
        raise ValueError(f"{value!r} is not a phone number (digits, spaces, +, -, (, ))")
    return text


Phone = Annotated[str, BeforeValidator(check_phone)]


TOOL_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_external_ids(value: Any) -> dict[str, str]:
    """``{hubspot: "10021"}``: a tool's name (lower-case, like ``salesforce``) to the id it
    gave the record, as text (a number written by hand is read as its digits)."""
    if not isinstance(value, dict):
        raise ValueError("must be a mapping of tool name to id, e.g. {hubspot: '10021'}")
    if len(value) > EXTERNAL_ID_TOOLS:
        raise ValueError(f"holds ids of {len(value)} tools; at most {EXTERNAL_ID_TOOLS}")
    out: dict[str, str] = {}
    for tool, ident in value.items():
        if not isinstance(tool, str) or not TOOL_RE.match(tool):
            raise ValueError(
                f"{tool!r} is not a tool name: lower-case letters, digits, '-' or '_', "
                "starting with a letter (at most 40 characters)"
            )
        if isinstance(ident, bool) or not isinstance(ident, str | int):
            raise ValueError(f"{tool}: the id must be text")
        text = str(ident).strip()
        if not text or len(text) > EXTERNAL_ID_CHARS or _CONTROL.search(text):
            raise ValueError(
                f"{tool}: the id must be 1-{EXTERNAL_ID_CHARS} characters without control "
                "characters"
            )
        out[tool] = text
    return out


ExternalIds = Annotated[
    dict[str, str],
    BeforeValidator(check_external_ids),
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": TOOL_RE.pattern},
            "maxProperties": EXTERNAL_ID_TOOLS,
            "additionalProperties": {
                "type": ["string", "integer"],
                "minLength": 1,
                "maxLength": EXTERNAL_ID_CHARS,
            },
        }
    ),
]
