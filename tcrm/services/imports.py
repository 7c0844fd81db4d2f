"""Importing records from other tools: rows in, validated records out, one commit.

The front end (``tcrm.io``) reads a file into a ``Source``: headers and rows of text.
Here the headers are recognised (HubSpot, Pipedrive, Google Contacts and plain
spreadsheets, any case and spacing; ``--map`` overrides), each cell is parsed (amounts
like ``1 234,50``, dates like ``01/12/2026``), each row becomes a record validated by its
model and the workspace settings, duplicates are found within the file and against the
workspace, and everything is written in one transaction: one commit, or nothing.

Columns nobody recognises are kept on the records as extra fields (snake_case keys), so
nothing in the file is lost without a word.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pydantic

from tcrm.errors import Problem, UsageError, ValidationError
from tcrm.model.due import aware
from tcrm.model.fields import FieldDef, parse_input
from tcrm.model.records import RECORD_TYPES, Client, Deal, Record
from tcrm.model.rules import missing_required, record_findings
from tcrm.model.settings import Pipeline, Settings
from tcrm.model.types import ID_RE, slugify
from tcrm.model.validate import findings_of
from tcrm.model.words import plural
from tcrm.services import hooks, routing
from tcrm.services.bulk import (
    ClientIndex,
    Match,
    key_reason,
    merge_fill,
    record_key,
)
from tcrm.services.clients import normalised_name, parse_contact
from tcrm.services.import_upsert import (
    ExternalIndex,
    apply_row,
    external_ids_cell,
    fold_external,
    ids_of,
    row_fields,
)
from tcrm.services.import_values import (
    LIST_FIELDS,
    SINGULAR,
    NewValue,
    NewValueError,
    ValuePolicy,
    additions,
    settings_text_with,
)
from tcrm.services.records import all_records, label, local_now
from tcrm.store import files
from tcrm.store.workspace import SETTINGS_FILE, Workspace

Progress = Callable[[int, int], None]
ON_DUPLICATE = ("skip", "update", "create")


# --- what the front end hands over -------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """One row (or vCard) as read: its number as a person would find it, and its cells.

    A cell is text, or a list of texts where the format has several values (vCard EMAIL).
    """

    number: int
    values: Sequence[str | list[str]]


@dataclass
class Source:
    """A parsed input file: what the service needs, and nothing about its syntax."""

    name: str
    headers: list[str]
    rows: list[SourceRow]
    unit: str = "row"
    """How a problem names a row: ``row 7`` (a spreadsheet's row number) or ``card 3``."""
    column_word: str = "column"
    canonical: bool = False
    """Headers are already field names (a vCard reader's output): no recognition."""
    problems: list[tuple[int, str]] = field(default_factory=list)
    """``(row number, message)`` the reader found: a row with more cells than headers."""


class ImportProblems(ValidationError):
    """Rows that cannot be imported: each names its row and column.

    Values outside tcrm.yaml's lists are not among ``problems`` (a line per row would
    bury the rest): ``new_values`` lists each once, with how many rows hold it.
    """

    def __init__(
        self, problems: list[Problem], *, new_values: Sequence[NewValue] = (), rows: int = 0
    ) -> None:
        self.new_values = list(new_values)
        self.rows = rows or len({p.path.split(",")[0] for p in problems})
        super().__init__(problems or [Problem("", None, f"{self.rows:,} invalid rows")])
        self.problems = problems


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
        "for others give --date-format, e.g. --date-format %m/%d/%Y"
    )
    raise ValueError(f"{text!r} is not a date ({hint})")


# --- recognising headers -----------------------------------------------------------------


def header_key(text: str) -> str:
    """``"E-mail 1 - Value"`` -> ``"e mail 1 value"``: headers compared without case,
    accents, punctuation or spacing."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9%]+", " ", ascii_text.casefold()).split())


def snake(text: str) -> str:
    """An extra field's key from a header: ``"Annual Revenue"`` -> ``annual_revenue``."""
    key = "_".join(header_key(text).replace("%", " percent").split())
    if not key or not key[0].isalpha():
        key = f"column_{key}" if key else "column"
    return key


_COMMON: dict[str, tuple[str, ...]] = {
    "owner": ("owner", "owner id", "assigned to", "sales rep", "salesperson", "account manager"),
    "source": ("source", "lead source", "original source", "source of lead", "channel source"),
    "tags": ("tags", "tag", "labels", "label", "categories", "category"),
    "notes": ("notes", "note", "description", "comments", "comment", "remarks", "details"),
    "created": ("created", "created at", "created on", "create date", "date created", "add time"),
}

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "client": {
        "company": (
            "company",
            "company name",
            "organization",
            "organisation",
            "organization name",
            "organisation name",
            "organization 1 name",
            "account",
            "account name",
            "business",
            "business name",
            "customer",
            "customer name",
            "client",
            "client name",
            "firm",
            "person organization",
            "associated company",
        ),
        "name": ("name",),
        "full_name": ("full name", "display name", "file as"),
        "contact_name": (
            "contact",
            "contact name",
            "contact person",
            "person",
            "person name",
            "primary contact",
        ),
        "first_name": ("first name", "given name", "firstname", "forename", "vorname"),
        "middle_name": ("middle name", "additional name"),
        "last_name": ("last name", "family name", "surname", "lastname", "nachname"),
        "contact_role": (
            "job title",
            "title",
            "position",
            "role",
            "organization title",
            "organization 1 title",
            "organization job title",
        ),
        "type": ("type", "client type", "contact type", "kind"),
        "status": ("status", "client status", "account status"),
        "owner": (
            *_COMMON["owner"],
            "contact owner",
            "company owner",
            "account owner",
            "organization owner",
            "person owner",
        ),
        "source": _COMMON["source"],
        "region": ("region", "territory", "sales region", "area"),
        "tags": (
            *_COMMON["tags"],
            "group membership",
            "groups",
            "organization labels",
            "person labels",
            "organization label",
            "person label",
        ),
        "website": (
            "website",
            "web site",
            "web",
            "url",
            "homepage",
            "home page",
            "domain",
            "company domain name",
            "website url",
            "organization website",
        ),
        "emails": ("email", "emails", "e mail", "email address", "e mail address", "mail"),
        "phones": ("phone", "phones", "telephone", "tel", "phone number", "mobile", "cell"),
        "address": (
            "address",
            "street address",
            "full address",
            "postal address",
            "mailing address",
            "billing address",
            "organization address",
            "person address",
        ),
        "cadence_days": ("cadence", "cadence days", "contact every", "keep in touch days"),
        "contacts": ("contacts",),
        "created": (
            *_COMMON["created"],
            "organization add time",
            "person add time",
            "became a customer date",
        ),
        "notes": (*_COMMON["notes"], "organization notes", "person notes", "about"),
    },
    "deal": {
        "title": (
            "title",
            "deal",
            "deal name",
            "deal title",
            "name",
            "opportunity",
            "opportunity name",
            "subject",
        ),
        "client": (
            "client",
            "client id",
            "client name",
            "company",
            "company name",
            "organization",
            "organisation",
            "organization name",
            "deal organization",
            "account",
            "account name",
            "customer",
            "associated company",
        ),
        "pipeline": ("pipeline", "deal pipeline", "sales pipeline"),
        "stage": ("stage", "deal stage", "sales stage", "phase", "stage name"),
        "status": ("status", "deal status", "state"),
        "amount": (
            "amount",
            "value",
            "deal value",
            "deal amount",
            "price",
            "total",
            "opportunity amount",
        ),
        "currency": ("currency", "deal currency", "value currency", "currency code"),
        "probability": (
            "probability",
            "probability %",
            "deal probability",
            "win probability",
            "deal stage probability",
        ),
        "close_date": (
            "close date",
            "closing date",
            "expected close date",
            "expected close",
            "deal expected close date",
            "close date expected",
        ),
        "owner": (*_COMMON["owner"], "deal owner", "user"),
        "source": (*_COMMON["source"], "deal source"),
        "tags": (*_COMMON["tags"], "deal label", "deal labels"),
        "contacts": (
            "contacts",
            "contact",
            "contact person",
            "contact name",
            "deal contact person",
            "person",
            "associated contact",
        ),
        "lost_reason": (
            "lost reason",
            "deal lost reason",
            "closed lost reason",
            "reason lost",
            "loss reason",
        ),
        "closed": (
            "closed",
            "closed date",
            "date closed",
            "close time",
            "won time",
            "lost time",
            "deal won time",
            "deal lost time",
        ),
        "created": (*_COMMON["created"], "deal created", "deal add time", "deal creation date"),
        "stage_history": ("stage history",),
        "notes": (*_COMMON["notes"], "deal notes", "deal description"),
    },
    "task": {
        "title": ("title", "task", "task title", "task name", "subject", "name", "to do", "todo"),
        "status": ("status", "task status", "done", "completed?"),
        "due": ("due", "due date", "deadline", "due on", "due at", "due date time"),
        "timezone": ("timezone", "time zone"),
        "duration": ("duration", "duration minutes", "minutes"),
        "reminders": ("reminders", "reminder", "remind"),
        "repeat": ("repeat", "recurrence", "rrule", "repeats"),
        "priority": ("priority", "task priority", "importance"),
        "assignee": (
            "assignee",
            "assigned to",
            "owner",
            "task owner",
            "responsible",
            "assigned user",
        ),
        "clients": (
            "clients",
            "client",
            "company",
            "organization",
            "account",
            "associated company",
        ),
        "deals": ("deals", "deal", "associated deal", "opportunity"),
        "contacts": ("contacts", "contact", "contact person", "person", "associated contact"),
        "series": ("series",),
        "created": _COMMON["created"],
        "completed": ("completed", "completed at", "completion date", "done at", "done time"),
        "notes": (*_COMMON["notes"], "task notes", "body"),
    },
    "activity": {
        "kind": ("kind", "type", "activity type", "channel", "activity"),
        "at": ("at", "date", "when", "time", "date time", "activity date", "timestamp", "done at"),
        "summary": ("summary", "subject", "title", "activity subject"),
        "clients": (
            "clients",
            "client",
            "company",
            "organization",
            "account",
            "associated company",
        ),
        "deals": ("deals", "deal", "associated deal", "opportunity"),
        "contacts": ("contacts", "contact", "contact person", "person", "associated contact"),
        "outcome": ("outcome", "result", "call outcome", "disposition"),
        "author": ("author", "owner", "user", "assigned to", "logged by", "by", "created by"),
        "notes": (*_COMMON["notes"], "activity note", "activity notes", "body"),
    },
}
"""Header keys (see ``header_key``) each field is recognised by, per kind. A field's own
name (``close_date``) always works too; Pipedrive's ``Deal - Title`` form is read as
``Title``."""

_KINDS_OF = r"(?:work |home |other |private |business |primary |main |office |mobile )?"
_PATTERNS: dict[str, list[tuple[re.Pattern[str], str | None]]] = {
    "client": [
        (re.compile(_KINDS_OF + r"e ?mail(?: address)?(?: \d+)?(?: value)?$"), "emails"),
        (re.compile(r"^e ?mail (?:work|home|other)$"), "emails"),
        (
            re.compile(
                _KINDS_OF + r"(?:phone|telephone|tel|mobile|cell)(?: number)?(?: \d+)?"
                r"(?: value)?$"
            ),
            "phones",
        ),
        (re.compile(r"^phone (?:work|home|mobile|other)$"), "phones"),
        (re.compile(r"^website(?: \d+)?(?: value)?$"), "website"),
        (re.compile(r"^address(?: \d+)? formatted$"), "address"),
        (
            re.compile(
                r"^(?:e ?mail|phone|website|address|relation|event|im|organization)"
                r"(?: \d+)? (?:label|type)$"
            ),
            None,
        ),
    ],
}
"""Numbered and typed columns (Google's ``E-mail 2 - Value``, Pipedrive's ``Person - Phone -
Work``); a pattern mapped to ``None`` names a column read as a label of another and left
out (reported as ignored)."""

_PREFIX = re.compile(r"^(deal|organization|organisation|person|activity|task|company|contact) ")
PSEUDO = {
    "client": (
        "company",
        "full_name",
        "contact_name",
        "first_name",
        "middle_name",
        "last_name",
        "contact_role",
    ),
}
"""Columns about a client's contact person rather than the client itself."""


@dataclass(frozen=True)
class Column:
    """How one column of the input is read."""

    index: int
    header: str
    target: str | None
    """A field of the record (or a contact-person part), an extra field, or ``None``."""
    how: str
    """``recognised``, ``mapped`` (by --map), ``extra`` (kept as-is) or ``ignored``."""


def _target_names(kind: str) -> set[str]:
    return set(RECORD_TYPES[kind].model_fields) | set(PSEUDO.get(kind, ())) | {"id"}


def _recognise(kind: str, key: str) -> str | bool | None:
    """The target a header key names, ``None`` for an ignored label column, ``False`` when
    the header is unknown."""
    aliases = ALIASES[kind]
    fields = RECORD_TYPES[kind].model_fields
    for candidate in (key, _PREFIX.sub("", key)):
        underscored = candidate.replace(" ", "_")
        if underscored in fields and underscored != "id":
            return underscored
        for target, keys in aliases.items():
            if candidate in keys:
                return target
        for pattern, named in _PATTERNS.get(kind, []):
            if pattern.match(candidate):
                return named
    return False


EXTERNAL_TARGET = re.compile(r"^external_ids\.[a-z][a-z0-9_-]{0,39}$")
"""``--map "Copper ID=external_ids.copper"``: the column is that tool's id of the row."""


def parse_mappings(
    texts: Iterable[str], kind: str, custom: Collection[str] = ()
) -> dict[str, str | None]:
    """``--map "Company Name=name"`` (``HEADER=`` leaves the column out) -> {header key: field}.

    ``custom``: the kind's custom field names (tcrm.yaml ``fields:``), mappable too."""
    allowed = _target_names(kind) | set(custom)
    out: dict[str, str | None] = {}
    for text in texts:
        header, sep, target = text.rpartition("=")
        if not sep or not header.strip():
            raise UsageError(f'--map {text!r}: write HEADER=FIELD, e.g. --map "Company Name=name"')
        target = target.strip()
        if target in ("", "-"):
            out[header_key(header)] = None
            continue
        if EXTERNAL_TARGET.match(target):  # another tool's id of the row: external_ids
            out[header_key(header)] = target
            continue
        if target not in allowed:
            close = get_close_matches(target, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"--map {text!r}: {RECORD_TYPES[kind].KIND} has no field {target!r}{hint} "
                f"(fields: {', '.join(sorted(allowed - {'conflicts'}))})"
            )
        out[header_key(header)] = target
    return out


def plan_columns(
    kind: str,
    headers: Sequence[str],
    mappings: Mapping[str, str | None],
    canonical: bool = False,
    custom: Mapping[str, FieldDef] | None = None,
    known: Mapping[str, str | None] | None = None,
) -> list[Column]:
    """How each column will be read; refuses a file without the columns a kind needs.

    A header naming a custom field (``custom``) by its name or its label is that field.
    ``known`` holds the headers another tool's export names (``import_vendors``), read
    after ``mappings`` (``--map`` overrides) and before the common names."""
    known = known or {}
    by_header = {
        header_key(text): name
        for name, definition in (custom or {}).items()
        for text in (name, definition.label or name)
    }
    keys = [header_key(h) for h in headers]
    unknown = sorted(set(mappings) - set(keys))
    if unknown:
        shown = ", ".join(h for h in headers) or "none"
        raise UsageError(
            f"--map names column {unknown[0]!r}, which the file lacks (columns: {shown})"
        )
    columns: list[Column] = []
    for i, (header, key) in enumerate(zip(headers, keys, strict=True)):
        if key in mappings:
            target = mappings[key]
            columns.append(Column(i, header, target, "mapped" if target else "ignored"))
            continue
        if canonical:
            columns.append(Column(i, header, header, "recognised"))
            continue
        if header.strip() == "id":
            columns.append(Column(i, header, "id", "recognised"))
            continue
        found = known[key] if key in known else _recognise(kind, key)
        if found is False and key in by_header:
            columns.append(Column(i, header, by_header[key], "recognised"))
        elif (
            isinstance(found, str)
            and found not in _target_names(kind)
            and found not in (custom or {})
            and "." not in found
        ):
            columns.append(Column(i, header, found, "extra"))  # a tool's column, renamed
        elif found is False:
            columns.append(Column(i, header, _extra_key(kind, header), "extra"))
        elif found is None:
            columns.append(Column(i, header, None, "ignored"))
        else:
            columns.append(Column(i, header, str(found), "recognised"))
    if kind == "client":
        columns = _people_columns(columns)
    _require(kind, columns, headers)
    return columns


def _extra_key(kind: str, header: str) -> str:
    key = snake(header)
    return f"imported_{key}" if key in RECORD_TYPES[kind].model_fields or key == "id" else key


def _people_columns(columns: list[Column]) -> list[Column]:
    """A ``Name`` beside a ``Company`` is the contact person's; alone, it is the client's."""
    has_company = any(c.target == "company" for c in columns)
    out = []
    for c in columns:
        target = c.target
        if target in ("name", "full_name") and has_company:
            target = "contact_name"
        elif target == "company" or (target == "name" and not has_company):
            target = "name"
        out.append(Column(c.index, c.header, target, c.how))
    return out


_REQUIRED = {
    "client": (
        ("name", "full_name", "contact_name", "first_name", "last_name"),
        "name",
        "Company or Name",
    ),
    "deal": (("title",), "title", "Deal Name or Title"),
    "task": (("title",), "title", "Title or Subject"),
    "activity": (("summary",), "summary", "Summary or Subject"),
}


def _require(kind: str, columns: list[Column], headers: Sequence[str]) -> None:
    targets = {c.target for c in columns}
    needs = [_REQUIRED[kind]]
    if kind == "deal":
        needs.append((("client",), "client", "Company or Organization"))
    if kind == "activity":
        needs.append((("at",), "at", "Date"))
        needs.append((("kind",), "kind", "Type"))
    for accepted, field_name, example in needs:
        if not targets & set(accepted):
            shown = ", ".join(headers) or "none"
            raise UsageError(
                f"no column gives the {RECORD_TYPES[kind].KIND}'s {field_name} (e.g. {example}); "
                f'name one with --map "HEADER={field_name}" (columns: {shown})'
            )


# --- reading cells into fields ---------------------------------------------------------

_LIST_SPLIT = re.compile(r"\s*(?:;|\n|:::)\s*")
_LIST_SPLIT_COMMA = re.compile(r"\s*(?:;|,|\n|:::)\s*")
COMMA_LISTS = frozenset({"tags", "emails", "phones", "reminders", "clients", "deals"})
"""List fields whose items never hold a comma, so ``vip, retainer`` is two tags; names of
people (``Müller, Hans``) are split on ``;`` and new lines only."""

JSON_FIELDS = frozenset({"stage_history", "conflicts"})
STATUS_WORDS = {
    "deal": {
        "open": "open",
        "won": "won",
        "closed won": "won",
        "closedwon": "won",
        "lost": "lost",
        "closed lost": "lost",
        "closedlost": "lost",
    },
    "task": {
        "open": "open",
        "to do": "open",
        "todo": "open",
        "not started": "open",
        "in progress": "open",
        "waiting": "open",
        "deferred": "open",
        "pending": "open",
        "no": "open",
        "false": "open",
        "0": "open",
        "done": "done",
        "completed": "done",
        "complete": "done",
        "finished": "done",
        "yes": "done",
        "true": "done",
        "1": "done",
        "cancelled": "cancelled",
        "canceled": "cancelled",
    },
}
PRIORITY_WORDS = {
    "high": "high",
    "urgent": "high",
    "important": "high",
    "medium": "medium",
    "normal": "medium",
    "low": "low",
}
TYPE_WORDS = {
    "company": "company",
    "organization": "company",
    "organisation": "company",
    "org": "company",
    "business": "company",
    "person": "person",
    "individual": "person",
    "contact": "person",
}


def split_list(text: str | list[str], field_name: str) -> list[str]:
    """The items of a list cell: a JSON list as exported, else separated by ``;``, new
    lines or Google's ``:::`` (and ``,`` for fields whose items never hold one)."""
    if isinstance(text, list):
        return [t.strip() for t in text if t.strip()]
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
    splitter = _LIST_SPLIT_COMMA if field_name in COMMA_LISTS else _LIST_SPLIT
    return [part.lstrip("* ").strip() for part in splitter.split(stripped) if part.strip("* ")]


def _choose(value: str, allowed: Sequence[str]) -> str:
    """``Referral`` -> ``referral`` when the list has it in another case; else as given
    (the settings rules then name the list)."""
    if value in allowed:
        return value
    folded = value.casefold()
    return next((a for a in allowed if a.casefold() == folded), value)


@dataclass
class Lookups:
    """What rows are checked against, read once per import (never per row)."""

    settings: Settings
    zone: ZoneInfo
    now: datetime
    date_formats: Sequence[str]
    members: dict[str, str]
    values: ValuePolicy
    client_ids: dict[str, str] = field(default_factory=dict)
    client_names: dict[str, list[str]] = field(default_factory=dict)
    deal_ids: dict[str, str] = field(default_factory=dict)
    deal_titles: dict[str, list[str]] = field(default_factory=dict)
    deal_clients: dict[str, str] = field(default_factory=dict)

    def exists(self, kind: str, record_id: str) -> bool:
        return record_id in (self.client_ids if kind == "client" else self.deal_ids)


def _members(settings: Settings) -> dict[str, str]:
    out: dict[str, str] = {}
    for member in settings.team:
        for key in (member.id, member.name, member.email):
            if key:
                out.setdefault(key.casefold(), member.id)
    return out


def _lookups(
    ws: Workspace, kind: str, now: datetime, date_formats: Sequence[str], values: ValuePolicy
) -> Lookups:
    settings = values.settings
    found = Lookups(
        settings, ZoneInfo(settings.timezone), now, date_formats, _members(settings), values
    )
    refs = {d.to for d in settings.fields.of(kind).values() if d.type == "ref"}
    if kind in ("deal", "task", "activity") or "client" in refs:
        for client in all_records(ws, "client"):
            assert isinstance(client, Client)
            found.client_ids[client.id] = client.id
            found.client_names.setdefault(client.name.casefold(), []).append(client.id)
    if kind in ("task", "activity") or "deal" in refs:
        for deal in all_records(ws, "deal"):
            assert isinstance(deal, Deal)
            found.deal_ids[deal.id] = deal.id
            found.deal_titles.setdefault(deal.title.casefold(), []).append(deal.id)
            found.deal_clients[deal.id] = deal.client
    return found


def _ref(value: str, ids: Mapping[str, str], names: Mapping[str, list[str]], kind: str) -> str:
    """An id from an id or an exact name (any case)."""
    text = value.strip()
    if text in ids:
        return text
    if text.lower() in ids:
        return text.lower()
    matches = names.get(text.casefold(), [])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ValueError(
            f"{text!r} names {len(matches)} {kind}s ({', '.join(sorted(matches)[:5])}); use the id"
        )
    hint = "import the clients first" if kind == "client" else "import the deals first"
    raise ValueError(f"no {kind} {text!r} in the workspace ({hint}, or use an id)")


def _int(text: str, what: str) -> int:
    raw = text.strip().removesuffix("%").strip()
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not {what}") from None
    if number != number.to_integral_value():
        raise ValueError(f"{text!r} is not {what}")
    return int(number)


def _probability(text: str) -> int:
    raw = text.strip()
    if not raw.endswith("%"):
        try:
            number = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a probability (e.g. 40 or 40%)") from None
        if 0 < number < 1 and "." in raw.replace(",", "."):
            return int(number * 100)
    return _int(raw, "a probability (e.g. 40 or 40%)")


def _custom_cell(definition: FieldDef, target: str, texts: list[str], look: Lookups) -> Any:
    """A custom field's cell, read as ``--set`` reads it; dates as the other date columns
    (``--date-format``, ``date_order``); a multi's items as any list cell."""
    if definition.type == "multi":
        items = [i for t in texts for i in split_list(t, target)]
        return parse_input(definition, ",".join(items))
    if definition.type == "date":
        value = parse_date_text(texts[0].strip(), look.date_formats, look.settings.date_order)
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    first = texts[0].strip()
    if definition.type == "member":
        return look.members.get(first.casefold(), first)
    if definition.type == "ref" and definition.to == "client":
        return _ref(first, look.client_ids, look.client_names, "client")
    if definition.type == "ref":
        return _ref(first, look.deal_ids, look.deal_titles, "deal")
    return parse_input(definition, first)


class RowReader:
    """Turns one row's cells into a record's data, noting each problem by column."""

    def __init__(self, kind: str, columns: list[Column], look: Lookups, force: bool) -> None:
        self.kind = kind
        self.columns = columns
        self.look = look
        self.force = force
        self.mapped = {c.target for c in columns if c.target and c.how != "extra"}
        self.listed = LIST_FIELDS[kind]
        self.new_value_problems: set[tuple[int, str | None, str]] = set()
        """``(row, header, message)`` of values refused for being outside their list."""
        fields = RECORD_TYPES[kind].model_fields
        self.list_fields = frozenset(
            name for name, info in fields.items() if "list" in str(info.annotation).lower()
        )
        """Fields whose cells hold several items; worked out once, not per cell."""

    def read(
        self, row: SourceRow
    ) -> tuple[dict[str, Any], dict[str, str], list[tuple[str | None, str]]]:
        """``(data, field -> header, problems)``; ``data`` may hold contact-person parts."""
        cells: dict[str, list[tuple[str, str | list[str]]]] = {}
        extras: dict[str, str] = {}
        origin: dict[str, str] = {}
        for column in self.columns:
            if column.target is None or column.index >= len(row.values):
                continue
            value = row.values[column.index]
            if (isinstance(value, str) and not value.strip()) or value == []:
                continue
            if column.how == "extra":
                extras[column.target] = value if isinstance(value, str) else "; ".join(value)
                continue
            cells.setdefault(column.target, []).append((column.header, value))
            origin.setdefault(column.target, column.header)
        data: dict[str, Any] = {}
        problems: list[tuple[str | None, str]] = []
        for target in self._order(cells):
            try:
                value = self._convert(target, cells[target], data)
            except NewValueError as exc:
                problems.append((origin[target], str(exc)))
                self.new_value_problems.add((row.number, origin[target], str(exc)))
                continue
            except ValueError as exc:
                problems.append((origin[target], str(exc)))
                continue
            if value not in (None, [], ""):
                data[target] = value
        data.update({k: v for k, v in extras.items() if k not in data})
        for column in self.columns:
            if column.how == "extra" and column.target in extras:
                origin[column.target] = column.header
        return data, origin, problems

    @staticmethod
    def _order(cells: Mapping[str, Any]) -> list[str]:
        first = [t for t in ("pipeline", "amount", "client", "clients", "deals") if t in cells]
        return first + [t for t in cells if t not in first]

    def _texts(self, values: list[tuple[str, str | list[str]]]) -> list[str]:
        out: list[str] = []
        for _, value in values:
            out.extend(value if isinstance(value, list) else [value])
        return out

    def _convert(
        self, target: str, values: list[tuple[str, str | list[str]]], data: dict[str, Any]
    ) -> Any:
        texts = self._texts(values)
        first = texts[0].strip()
        look, lists, kind = self.look, self.look.settings.lists, self.kind
        custom = look.settings.fields.of(kind).get(target)
        if custom is not None:
            return _custom_cell(custom, target, texts, look)
        if target in JSON_FIELDS or (target == "contacts" and kind == "client"):
            return self._structured(target, first)
        if target == "external_ids":
            return external_ids_cell(first)
        if target in self.listed:
            if target in self.list_fields:
                items = list(dict.fromkeys(i for t in texts for i in split_list(t, target)))
                return self._listed(self.listed[target], items)
            listed = self._listed(self.listed[target], [first])
            return listed[0] if listed else None
        if target in self.list_fields:
            items = list(dict.fromkeys(i for t in texts for i in split_list(t, target)))
            if target == "tags":
                return [_choose(t, lists.tags) for t in items]
            if target == "clients":
                return list(
                    dict.fromkeys(
                        _ref(i, look.client_ids, look.client_names, "client") for i in items
                    )
                )
            if target == "deals":
                return list(
                    dict.fromkeys(_ref(i, look.deal_ids, look.deal_titles, "deal") for i in items)
                )
            return items
        if target == "amount":
            amount, currency = parse_amount_text(first)
            if currency and "currency" not in self.mapped:
                data["currency"] = currency
            return amount
        if target in ("close_date", "closed"):
            value = parse_date_text(first, look.date_formats, look.settings.date_order)
            return value.date() if isinstance(value, datetime) else value
        if target in ("created", "completed", "at"):
            # without an offset in the workspace's zone; a day starts at 00:00
            value = parse_date_text(first, look.date_formats, look.settings.date_order)
            moment = value if isinstance(value, datetime) else datetime.combine(value, time())
            return aware(moment, look.zone)
        if target == "due":  # a day, or a moment (local to the task's zone without offset)
            return parse_date_text(first, look.date_formats, look.settings.date_order)
        if target in ("owner", "assignee", "author"):
            return look.members.get(first.casefold(), first)
        if target == "client":
            return _ref(first, look.client_ids, look.client_names, "client")
        if target == "pipeline":
            return self._pipeline(first).id
        if target == "stage":
            return self._stage(first, data)
        if target == "status" and kind in STATUS_WORDS:
            word = STATUS_WORDS[kind].get(header_key(first))
            if word is None:
                known = ", ".join(sorted(set(STATUS_WORDS[kind].values())))
                raise ValueError(f"{first!r} is not a {kind} status ({known})")
            return word
        if target == "priority":
            word = PRIORITY_WORDS.get(header_key(first))
            if word is None:
                raise ValueError(f"{first!r} is not a priority (high, medium or low)")
            return word
        if target == "type":
            word = TYPE_WORDS.get(header_key(first))
            if word is None:
                raise ValueError(f"{first!r} is not a client type (company or person)")
            return word
        if target == "probability":
            return _probability(first)
        if target in ("cadence_days", "duration"):
            return _int(first, "a whole number")
        if target == "currency":
            return _SIGNS.get(first, first.upper())
        if target in ("notes", "address"):
            return "\n\n".join(t.strip() for t in texts if t.strip())
        return first

    def _listed(self, list_name: str, items: Sequence[str]) -> list[str]:
        """Items of a list field (or the one of a single field) mapped and checked by the
        import's ``--new-values`` policy; every refused one named at once."""
        out: list[str] = []
        refused: list[str] = []
        for item in items:
            try:
                value = self.look.values.resolve(list_name, item)
            except NewValueError as exc:
                refused.append(str(exc))
                continue
            if value is not None and value not in out:
                out.append(value)
        if refused:
            raise NewValueError("; ".join(refused))
        return out

    @staticmethod
    def _structured(target: str, text: str) -> Any:
        if target == "contacts":
            if text.startswith("["):
                try:
                    return json.loads(text)
                except ValueError:
                    raise ValueError("is not a JSON list of contacts") from None
            try:
                return [parse_contact(part) for part in split_list(text, "contacts")]
            except UsageError as exc:
                raise ValueError(str(exc).removeprefix("--contact ")) from None
        try:
            value = json.loads(text)
        except ValueError:
            raise ValueError(f"is not JSON (as `tcrm export csv` writes {target})") from None
        if not isinstance(value, list):
            raise ValueError(f"is not a JSON list (as `tcrm export csv` writes {target})")
        return value

    def _pipeline(self, text: str) -> Pipeline:
        settings = self.look.settings
        for pipeline in settings.pipelines:
            if text in (pipeline.id,) or text.casefold() in (pipeline.id, pipeline.name.casefold()):
                return pipeline
        names = ", ".join(p.id for p in settings.pipelines)
        raise ValueError(f"unknown pipeline {text!r} (pipelines: {names})")

    def _stage(self, text: str, data: dict[str, Any]) -> str:
        pipeline = (
            self._pipeline(data["pipeline"])
            if "pipeline" in data
            else self.look.settings.pipeline()
        )
        assert pipeline is not None
        key = header_key(text)
        for stage in pipeline.stages:
            if key in (header_key(stage.id), header_key(stage.name)):
                return stage.id
        status = STATUS_WORDS["deal"].get(key)
        if status in ("won", "lost"):
            data.setdefault("status", status)
            return pipeline.stages[-1].id
        raise ValueError(
            f"unknown stage {text!r} in pipeline {pipeline.id!r} "
            f"(stages: {', '.join(pipeline.stage_ids())}; or won, lost)"
        )


# --- rows into records -----------------------------------------------------------------


@dataclass
class Draft:
    """A row read into a valid record (its id still a placeholder), and where it came from."""

    rows: list[int]
    record: Record
    wanted_id: str | None = None
    person: bool = False
    """A contact person of a company (grouped with the other people of that company)."""
    fields: frozenset[str] = frozenset()
    """The fields the row's own cells gave (an update by external id sets these)."""


@dataclass(frozen=True)
class Rejected:
    row: SourceRow
    errors: list[str]


@dataclass(frozen=True)
class Duplicate:
    """A row that looks like a record already there (``of_id``) or an earlier row."""

    row: int
    of_id: str | None
    of_row: int | None
    reason: str
    score: float
    action: str


def _located(source: Source, row: int, header: str | None, message: str) -> Problem:
    where = f"{source.unit} {row}"
    if header is not None:
        where += f", {source.column_word} {header}"
    return Problem(where, None, message)


def _finish_client(
    data: dict[str, Any], origin: dict[str, str]
) -> tuple[dict[str, Any], bool, list[tuple[str | None, str]]]:
    """Client fields from a row: a person at a company becomes that company's contact.

    A job title without a person to hold it stays on the client as an extra field.
    """
    problems: list[tuple[str | None, str]] = []
    parts = [data.pop(k, "") for k in ("first_name", "middle_name", "last_name")]
    person = data.pop("contact_name", "") or " ".join(p for p in parts if p)
    role = data.pop("contact_role", None)
    full = data.pop("full_name", None)
    name = data.get("name")
    if not name and (full or person):
        data["name"] = full or person
        data.setdefault("type", "person")
        if role:
            data[_extra_key("client", origin.get("contact_role", "role"))] = role
        return data, False, problems
    if not name:
        problems.append((None, "has no name: a client needs a company or a person's name"))
        return data, False, problems
    if person:
        contact: dict[str, Any] = {"name": person}
        if role:
            contact["role"] = role
        for key in ("emails", "phones"):
            if key in data:
                contact[key] = data.pop(key)
                origin[f"contact.{key}"] = origin.get(key, "")
        if "notes" in data:
            contact["notes"] = data.pop("notes")
        if "external_ids" in data:  # a contacts export's ids are the person's
            contact["external_ids"] = data.pop("external_ids")
        data["contacts"] = [*data.get("contacts", []), contact]
        return data, True, problems
    if role:
        data[_extra_key("client", origin.get("contact_role", "role"))] = role
    return data, False, problems


def _finish_deal(data: dict[str, Any], look: Lookups) -> None:
    """Pipeline, stage and history an imported deal gets when the file does not say."""
    pipeline = look.settings.pipeline(data.get("pipeline"))
    assert pipeline is not None
    data.setdefault("pipeline", pipeline.id)
    data.setdefault("stage", pipeline.stages[0].id)
    status = data.get("status", "open")
    if status != "open" and "closed" not in data:
        data["closed"] = data.get("close_date") or look.now.date()
    if not data.get("stage_history"):
        at = data.get("created") or look.now.replace(second=0, microsecond=0)
        entry: dict[str, Any] = {"at": at, "stage": data["stage"]}
        if status != "open":
            entry["status"] = status
        data["stage_history"] = [entry]


def _finish_task(data: dict[str, Any], look: Lookups) -> None:
    clients = list(data.get("clients", []))
    for deal_id in data.get("deals", []):
        client = look.deal_clients.get(deal_id)
        if client and client not in clients:
            clients.append(client)
    if clients:
        data["clients"] = clients


def _model_problems(
    exc: pydantic.ValidationError, origin: Mapping[str, str]
) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for loc, message in findings_of(exc):
        out.append((_header_of(loc, origin), _field_message(loc, message)))
    return out


def _header_of(loc: tuple[str | int, ...], origin: Mapping[str, str]) -> str | None:
    if not loc:
        return None
    head = str(loc[0])
    if head == "contacts" and len(loc) >= 3 and f"contact.{loc[2]}" in origin:
        return origin[f"contact.{loc[2]}"]
    if head == "contacts" and "contacts" not in origin:
        return origin.get("name")
    return origin.get(head)


def _field_message(loc: tuple[str | int, ...], message: str) -> str:
    if len(loc) > 1 and loc[0] not in ("contacts",):
        return message
    if loc and loc[0] == "contacts" and len(loc) >= 3:
        return f"{loc[2]}: {message}"
    return message


class Importer:
    """One import: rows read, checked, de-duplicated and planned; written by ``commit``."""

    def __init__(
        self,
        ws: Workspace,
        *,
        kind: str,
        source: Source,
        mappings: Mapping[str, str | None],
        date_formats: Sequence[str],
        on_duplicate: str,
        force: bool,
        now: datetime,
        progress: Progress | None,
        values: ValuePolicy | None = None,
        known: Mapping[str, str | None] | None = None,
    ) -> None:
        if on_duplicate not in ON_DUPLICATE:
            raise UsageError(f"--on-duplicate {on_duplicate!r}: one of {', '.join(ON_DUPLICATE)}")
        self.ws = ws
        self.kind = kind
        self.source = source
        self.on_duplicate = on_duplicate
        self.now = now
        self.progress = progress
        custom = ws.settings.fields.of(kind)
        self.columns = plan_columns(
            kind, source.headers, mappings, source.canonical, custom=custom, known=known
        )
        self.values = values or ValuePolicy(ws.settings)
        self.look = _lookups(ws, kind, now, date_formats, self.values)
        self.reader = RowReader(kind, self.columns, self.look, force)
        self.force = force
        self.problems: list[Problem] = []
        self.other_problems: list[Problem] = []
        """``problems`` but those of values outside their lists (``values`` has them)."""
        self.rejected: list[Rejected] = []
        self.drafts: list[Draft] = []

    # reading

    def read_rows(self) -> None:
        reader_problems: dict[int, list[str]] = {}
        for number, message in self.source.problems:
            reader_problems.setdefault(number, []).append(message)
        total = len(self.source.rows)
        for i, row in enumerate(self.source.rows, 1):
            found = [(None, m) for m in reader_problems.get(row.number, [])]
            draft, problems = self._draft(row)
            problems = found + problems
            if problems:
                located = [_located(self.source, row.number, h, m) for h, m in problems]
                self.problems.extend(located)
                self.other_problems.extend(
                    p
                    for p, (h, m) in zip(located, problems, strict=True)
                    if (row.number, h, m) not in self.reader.new_value_problems
                )
                self.rejected.append(Rejected(row, [_short(p) for p in located]))
            elif draft is not None:
                self.drafts.append(draft)
            if self.progress and (i % 200 == 0 or i == total):
                self.progress(i, total)

    def _draft(self, row: SourceRow) -> tuple[Draft | None, list[tuple[str | None, str]]]:
        data, origin, problems = self.reader.read(row)
        wanted = data.pop("id", None)
        fold_external(data)
        person = False
        if self.kind == "client":
            data, person, more = _finish_client(data, origin)
            problems += more
        if problems:
            return None, problems
        fields = row_fields(data)
        if self.kind == "deal":
            _finish_deal(data, self.look)
        elif self.kind == "task":
            _finish_task(data, self.look)
        try:
            record = RECORD_TYPES[self.kind].model_validate({**data, "id": f"row-{row.number}"})
        except pydantic.ValidationError as exc:
            return None, _model_problems(exc, origin)
        findings = record_findings(record, self.look.settings, self.look.exists)
        if isinstance(record, Deal):
            missing = missing_required(record, self.look.settings, record.stage)
            if missing and record.status == "open":
                if not self.force:
                    findings.append(
                        (
                            ("stage",),
                            f"stage {record.stage} needs {', '.join(missing)} "
                            "(add the column, or import anyway with --force)",
                        )
                    )
                elif not any(c.forced for c in record.stage_history):
                    history = [c.model_dump(exclude_none=True) for c in record.stage_history]
                    history[-1]["forced"] = True
                    record = record.model_validate(
                        {**record.model_dump(), "stage_history": history}
                    )
        if findings:
            return None, [(_header_of(loc, origin), msg) for loc, msg in findings]
        return Draft([row.number], record, wanted, person, fields), []

    # grouping and duplicates

    def group_people(self) -> None:
        """People of one company (same name, legal form aside) become one client, with
        that company's own row if the file has one. Rows of companies alone are left to
        the duplicate rules."""
        groups: dict[str, Draft] = {}
        out: list[Draft] = []
        for draft in self.drafts:
            key = normalised_name(label(draft.record))
            first = groups.get(key)
            if first is None or not (draft.person or first.person):
                groups.setdefault(key, draft)
                out.append(draft)
                continue
            first.record = merge_fill(first.record, draft.record)
            first.rows.append(draft.rows[0])
            first.person = True
        self.drafts = out

    def plan(self) -> Plan:
        existing = {r.id: r for r in all_records(self.ws, self.kind)}
        creates: dict[int, Draft] = {}
        updates: dict[str, Record] = {}
        duplicates: list[Duplicate] = []
        index = self._index(existing)
        external = ExternalIndex(existing.values())
        for draft in self.drafts:
            row = draft.rows[0]
            found = external.find(draft.record) if ids_of(draft.record) else None
            match = Match(found[0], found[1], 1.0) if found else index.find(draft.record)
            if match is None or self.on_duplicate == "create":
                if match is not None:
                    duplicates.append(self._duplicate(row, match, "create"))
                creates[row] = draft
                index.add(("row", row), draft.record)
                external.add(("row", row), draft.record)
                continue
            duplicates.append(self._duplicate(row, match, self.on_duplicate))
            if self.on_duplicate == "skip":
                continue
            ref = match.ref
            if isinstance(ref, tuple):
                target = creates[ref[1]]
                target.record = merge_fill(target.record, draft.record)
                target.rows.extend(draft.rows)
                index.add(ref, target.record)
            else:
                base = updates.get(str(ref), existing[str(ref)])
                if found:  # the other tool's export is where these fields changed
                    merged = apply_row(base, draft.record, draft.fields, now=self.now)
                else:
                    merged = merge_fill(base, draft.record)
                    if ids_of(draft.record):  # found by its keys: keep the tool's id
                        merged = apply_row(merged, draft.record, ["external_ids"], now=self.now)
                if merged.to_data() != existing[str(ref)].to_data():
                    updates[str(ref)] = merged
                index.add(ref, merged)
        created = self._with_ids(list(creates.values()), set(existing))
        return Plan(created, list(updates.values()), duplicates)

    def _duplicate(self, row: int, match: Any, action: str) -> Duplicate:
        ref = match.ref
        if isinstance(ref, tuple):
            return Duplicate(row, None, ref[1], match.reason, match.score, action)
        return Duplicate(row, str(ref), None, match.reason, match.score, action)

    def _index(self, existing: Mapping[str, Record]) -> Any:
        if self.kind == "client":
            index = ClientIndex()
            for record in existing.values():
                assert isinstance(record, Client)
                index.add(record.id, record)
            return index
        keys = KeyIndex()
        for record in existing.values():
            keys.add(record.id, record)
        return keys

    def _with_ids(self, drafts: list[Draft], taken: set[str]) -> list[Record]:
        ids = IdAllocator(self.ws, self.kind, taken)
        out = []
        for draft in drafts:
            record = draft.record
            new_id = ids.take(draft.wanted_id, _id_name(record))
            out.append(record.model_copy(update={"id": new_id}))
        return out


def _short(problem: Problem) -> str:
    return (
        problem.message
        if ", " not in problem.path
        else f"{problem.path.split(', ', 1)[1]}: {problem.message}"
    )


def _id_name(record: Record) -> str:
    if isinstance(record, Deal):
        slug, client = slugify(record.title), record.client
        first = client.split("-")[0]
        own = (slug + "-").startswith(client + "-") or (
            len(first) >= 4 and (slug + "-").startswith(first + "-")
        )
        return record.title if own else f"{client} {record.title}"
    return label(record)


class KeyIndex:
    """Deals, tasks and activities by ``record_key``."""

    def __init__(self) -> None:
        self.keys: dict[Any, Hashable] = {}

    def add(self, ref: Hashable, record: Record) -> None:
        self.keys.setdefault(record_key(record), ref)

    def find(self, record: Record) -> Any:
        ref = self.keys.get(record_key(record))
        if ref is None:
            return None
        return Match(ref, key_reason(record), 1.0)


class IdAllocator:
    """Fresh ids for many new records: one directory listing, then a set, never a stat
    per candidate; ``acme``, ``acme-2``... continue from the last suffix used."""

    def __init__(self, ws: Workspace, kind: str, taken: set[str]) -> None:
        self.ws = ws
        self.kind = kind
        self.taken = taken | {record_id for record_id, _ in ws.files(kind)}
        self.next_suffix: dict[str, int] = {}

    def take(self, wanted: str | None, name: str) -> str:
        if wanted and ID_RE.match(wanted) and ".." not in wanted and wanted not in self.taken:
            self.taken.add(wanted)
            return wanted
        base = slugify(name)
        if self.kind in ("task", "activity") or not base:
            new = self.ws.new_id(self.kind, "", taken=self.taken)
        elif base not in self.taken:
            new = base
        else:
            n = self.next_suffix.get(base, 2)
            while f"{base}-{n}" in self.taken:
                n += 1
            self.next_suffix[base] = n + 1
            new = f"{base}-{n}"
        self.taken.add(new)
        return new


@dataclass(frozen=True)
class Plan:
    created: list[Record]
    updated: list[Record]
    duplicates: list[Duplicate]


@dataclass
class ImportResult:
    """What an import did (or, with a dry run, would do)."""

    kind: str
    source: str
    rows: int
    columns: list[Column]
    created: list[Record]
    updated: list[Record]
    duplicates: list[Duplicate]
    rejected: list[Rejected]
    dry_run: bool
    message: str | None = None
    commit_id: str | None = None
    rejected_path: Path | None = None
    new_values: list[NewValue] = field(default_factory=list)
    """Values outside tcrm.yaml's lists, each with its row count and what became of it."""
    vendor: str | None = None
    """The tool whose export the file is (``HubSpot``), when its headers say so."""
    added: dict[str, list[str]] = field(default_factory=dict)
    """``--new-values add``: what tcrm.yaml's lists gained (or, dry, would gain)."""
    dropped: dict[str, int] = field(default_factory=dict)
    mapped: dict[str, int] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    """Other workspace files the import's commit wrote (a saved mapping)."""
    routed: dict[str, tuple[str, str]] = field(default_factory=dict)
    """New record id -> (owner, routing rule): owners the ``routing:`` rules gave."""
    problems: list[Problem] = field(default_factory=list)
    """A dry run's invalid rows (a real import refuses them with ``ImportProblems``);
    values outside their lists aside, as ``new_values`` lists them."""

    @property
    def skipped(self) -> list[Duplicate]:
        return [d for d in self.duplicates if d.action == "skip"]


def commit_message(
    kind: str,
    source: str,
    created: int,
    updated: int,
    added: Mapping[str, list[str]] | None = None,
) -> str | None:
    """``import: 9,812 clients from contacts.csv`` (``, 3 updated`` when some were;
    ``; tcrm.yaml lists: +3 sources`` when ``--new-values add`` extended them)."""
    if not created and not updated:
        return None
    text = f"import: {plural(created, kind)} from {source}"
    if updated:
        text += f", {updated:,} updated"
    if added:
        text += "; tcrm.yaml lists: " + ", ".join(
            f"+{len(values)} {name.replace('_', ' ')}" for name, values in added.items()
        )
    return text


def _used_values(kind: str, records: Iterable[Record]) -> dict[str, set[str]]:
    """The values each list field of ``records`` holds, per list."""
    used: dict[str, set[str]] = {}
    for record in records:
        for name, list_name in LIST_FIELDS[kind].items():
            value = getattr(record, name, None)
            held = value if isinstance(value, list) else [value] if value else []
            used.setdefault(list_name, set()).update(held)
    return used


RejectWriter = Callable[[Sequence[Rejected]], bytes]

ADDED_EVENT = {
    "client": "client.added",
    "deal": "deal.added",
    "task": "task.added",
    "activity": "activity.logged",
}
"""The hook event an import fires (once, with every record it created)."""


def import_rows(
    ws: Workspace,
    *,
    kind: str,
    source: Source,
    mappings: Mapping[str, str | None] | None = None,
    date_formats: Sequence[str] = (),
    on_duplicate: str = "skip",
    skip_invalid: bool = False,
    dry_run: bool = False,
    force: bool = False,
    rejects: tuple[Path, RejectWriter] | None = None,
    new_values: str = "reject",
    value_maps: Mapping[str, Mapping[str, str | None]] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    also_write: Mapping[str, str] | None = None,
    note: str | None = None,
) -> ImportResult:
    """``tcrm import csv|vcard|json FILE``: every valid row a record, in one commit.

    All rows are read and checked first. With any invalid row nothing is written and
    ``ImportProblems`` names each (row, column, message) — unless ``skip_invalid``: then
    the good rows are imported and the bad ones written by ``rejects`` (a path and an
    encoder) for correction. Duplicates (of records or of earlier rows) are skipped,
    merged into their original (``update``: empty fields filled, lists unioned) or
    created anyway, per ``on_duplicate``. ``progress(done, total)`` is called while
    rows are read and while files are written.

    Values outside tcrm.yaml's lists are mapped by ``value_maps`` (see
    ``import_values.parse_value_maps``), then refused, added to the lists (in the same
    commit), dropped or mapped to a near match, per ``new_values`` (see
    ``tcrm.services.import_values``). A dry run never raises ``ImportProblems``: its
    result carries the problems, so the column mapping and new values are shown too.

    ``also_write`` (workspace path -> text, a saved mapping) is written in the same
    commit, whose message gains ``note``; with nothing to import it is committed alone
    when there is a ``note``, and not at all otherwise.
    """
    from tcrm.services import import_vendors  # it reads this module's Source

    now = local_now(ws, now)
    vendor = None if source.canonical else import_vendors.detect(source.headers)
    known: dict[str, str | None] = {}
    if vendor is not None:
        source = vendor.prepare(source)
        known = vendor.columns(kind, source.headers)
        date_formats = [*date_formats, *vendor.date_formats]
    values = ValuePolicy(ws.settings, new_values, value_maps or {})
    unused = [name for name in values.maps if name not in LIST_FIELDS[kind].values()]
    if unused:
        lists = ", ".join(SINGULAR[name] for name in LIST_FIELDS[kind].values()) or "none"
        raise UsageError(
            f"--map-value {SINGULAR[unused[0]]}:...: a {kind} has no {SINGULAR[unused[0]]} "
            f"(its lists: {lists})"
        )
    importer = Importer(
        ws,
        kind=kind,
        source=source,
        mappings=mappings or {},
        date_formats=date_formats,
        on_duplicate=on_duplicate,
        force=force,
        now=now,
        progress=progress,
        values=values,
        known=known,
    )
    importer.read_rows()
    if importer.problems and not skip_invalid and not dry_run:
        raise ImportProblems(
            importer.other_problems, new_values=values.refused(), rows=len(importer.rejected)
        )
    if kind == "client":
        importer.group_people()
    with ws.lock():
        plan = importer.plan()
        lead = routing.plan(ws, [r for r in plan.created if isinstance(r, Client | Deal)])
        if lead.owners:
            created = [
                r.model_copy(update={"owner": lead.owners[r.id]}) if r.id in lead.owners else r
                for r in plan.created
            ]
            plan = Plan(created, plan.updated, plan.duplicates)
        added = additions(values.values(), _used_values(kind, [*plan.created, *plan.updated]))
        message = commit_message(kind, source.name, len(plan.created), len(plan.updated), added)
        result = ImportResult(
            kind=kind,
            source=source.name,
            rows=len(source.rows),
            columns=importer.columns,
            created=plan.created,
            updated=plan.updated,
            duplicates=plan.duplicates,
            rejected=importer.rejected,
            dry_run=dry_run,
            message=message,
            new_values=values.values(),
            vendor=vendor.name if vendor else None,
            added=added,
            dropped=values.dropped(),
            mapped=dict(values.mapped),
            problems=importer.other_problems if importer.problems and not skip_invalid else [],
            routed={i: (owner, lead.rules[i]) for i, owner in lead.owners.items()},
        )
        if dry_run:
            return result
        if message and note:
            message = f"{message}; {note}"
        elif not message and note and also_write:
            message = f"import: {note} (nothing new in {source.name})"
        else:
            also_write = also_write if message else None
        result.message = message
        if message:
            hooks.check_before(ws, ADDED_EVENT[kind], plan.created)
        if message:
            total = len(plan.created) + len(plan.updated)
            settings_text = settings_text_with(ws, added) if added else None
            with ws.transaction(message) as tx:
                if settings_text is not None:
                    tx.write_text(SETTINGS_FILE, settings_text)
                for rel, text in (also_write or {}).items():
                    tx.write_text(rel, text)
                    result.written.append(rel)
                for i, record in enumerate(plan.created, 1):
                    tx.put(record, create=True)
                    if progress and (i % 200 == 0 or i == total):
                        progress(i, total)
                for j, record in enumerate(plan.updated, len(plan.created) + 1):
                    tx.put(record)
                    if progress and (j % 200 == 0 or j == total):
                        progress(j, total)
                if lead.changed:
                    tx.write_text(routing.STATE_FILE, lead.state_text())
            result.commit_id = tx.commit_id
    if result.commit_id is not None:
        hooks.fire(ws, ADDED_EVENT[kind], plan.created)
    if importer.rejected and rejects is not None:
        path, encode = rejects
        files.atomic_write(path, encode(importer.rejected))
        result.rejected_path = path
    return result


def rejected_path_for(path: Path) -> Path:
    """``contacts.csv`` -> ``contacts.rejected.csv``, beside it."""
    return path.with_name(f"{path.stem}.rejected.csv")
