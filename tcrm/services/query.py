"""The qualifier language of list commands: ``stage:proposal owner:ann amount.gt:5000``."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tcrm.errors import UsageError
from tcrm.model.fields import FieldDef, typed
from tcrm.model.records import Record
from tcrm.model.when import DEFAULT_DATE_ORDER, WhenError, parse_when

HELP = """\
Filters narrow any list command. Give them after the command, e.g.

  tcrm deal list stage:proposal owner:ann amount.gt:5000
  tcrm client list tag:vip no:email
  tcrm task list due.before:fri assignee:ben

  FIELD:VALUE          equal (any case); for a list field (tags, clients...) it contains VALUE
  FIELD.not:VALUE      not equal / does not contain
  FIELD.has:TEXT       contains TEXT (any case)
  FIELD.gt:N .ge .lt .le   compare numbers (amount, probability) or dates
  FIELD:>N  FIELD:<=N  the same comparisons, shorter (employees:>50)
  FIELD.before:DATE    a date before DATE (dates as in --due: 2026-12-01, fri, +3d, eow)
  FIELD.after:DATE     a date after DATE
  no:FIELD             the field is empty (no:email, no:owner, no:due)
  has:FIELD            the field is set
  WORD                 any other word must appear somewhere in the record (any case)

Custom fields (tcrm.yaml fields:) filter like built-in ones: industry:retail, has:industry.
Singular names work for list fields: tag:vip, client:acme, deal:acme-website, email:...
Several filters must all hold. Quote a value with spaces: "lost_reason:no budget".
A term on a field replaces the command's default on it: deal list and task list show
open records unless a term names the status (status:won, status.not:open).
"""

ALIASES = {
    "tag": "tags",
    "client": "clients",
    "deal": "deals",
    "email": "emails",
    "phone": "phones",
    "contact": "contacts",
    "reminder": "reminders",
    "due_date": "due",
}
OPS = ("not", "has", "gt", "ge", "lt", "le", "before", "after")

Predicate = Callable[[Record], bool]


@dataclass(frozen=True)
class Filter:
    field: str | None
    op: str
    value: str
    predicate: Predicate


def _field_value(record: Record, name: str) -> Any:
    for candidate in (name, ALIASES.get(name, name)):
        if candidate in type(record).model_fields:
            return getattr(record, candidate)
        if record.model_extra and candidate in record.model_extra:
            return record.model_extra[candidate]
    if name == "client" and hasattr(record, "client"):
        return record.client  # a deal's single client
    raise KeyError(name)


def _known(record_type: type[Record], name: str) -> bool:
    fields = record_type.model_fields
    return name in fields or ALIASES.get(name, name) in fields


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value)
    if isinstance(value, Record | dict) or hasattr(value, "model_dump"):
        data = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
        return " ".join(_text(v) for v in data.values())
    return "" if value is None else str(value)


def _as_number(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise UsageError(f"{text!r} is not a number") from None


def _as_day(text: str, now: datetime, order: str) -> date:
    try:
        value = parse_when(text, now.replace(tzinfo=None), order)
    except WhenError as exc:
        raise UsageError(str(exc)) from None
    return value.date() if isinstance(value, datetime) else value


def _day_of(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _text_predicate(needle: str) -> Predicate:
    return lambda r: needle in _text(r.to_data()).casefold()


def _empty_predicate(
    name: str, want_empty: bool, value_of: Callable[[Record, str], Any]
) -> Predicate:
    return lambda r: _empty(value_of(r, name)) == want_empty


def _compare(op: str, value: Any, arg: str, now: datetime, order: str) -> bool:
    if value is None:
        return False
    left: date | Decimal
    right: date | Decimal
    day = _day_of(value)
    if day is not None or op in ("before", "after"):
        if day is None:
            return False
        target = _as_day(arg, now, order)
        left, right = day, target
        op = {"before": "lt", "after": "gt"}.get(op, op)
    else:
        try:
            left, right = Decimal(str(value)), _as_number(arg)
        except InvalidOperation:
            return False
    return _ORDER[op](left, right)


def _matches_equal(value: Any, arg: str) -> bool:
    wanted = arg.casefold()
    if isinstance(value, list):
        return any(_text(v).casefold() == wanted for v in value)
    if isinstance(value, bool):
        return str(value).lower() == wanted
    return _text(value).casefold() == wanted


_SHORT_OPS = ((">=", "ge"), ("<=", "le"), (">", "gt"), ("<", "lt"))


def parse_filters(
    terms: Iterable[str],
    record_type: type[Record],
    now: datetime,
    order: str = DEFAULT_DATE_ORDER,
    custom: Mapping[str, FieldDef] | None = None,
) -> list[Filter]:
    """Compile filter terms for records of ``record_type``; unknown fields are refused.

    Numeric dates in ``before``/``after`` terms are read in ``order`` (``date_order``).
    ``custom``: the kind's custom fields (tcrm.yaml ``fields:``), compared as their type.
    """
    custom = custom or {}
    out: list[Filter] = []
    for term in terms:
        key, sep, arg = term.partition(":")
        if sep and key and "." not in key and key not in ("no", "has"):
            for short, long in _SHORT_OPS:
                if arg.startswith(short):
                    key, arg = f"{key}.{long}", arg[len(short) :].strip()
                    break
        if not sep or not key or " " in key:
            out.append(Filter(None, "text", term, _text_predicate(term.casefold())))
            continue
        if key in ("no", "has"):
            if not _known(record_type, arg) and arg not in custom:
                raise UsageError(f"{record_type.KIND} has no field {arg!r} (in {term!r})")
            value_of = _custom_value(custom[arg]) if arg in custom else _field_value
            out.append(Filter(arg, key, "", _empty_predicate(arg, key == "no", value_of)))
            continue
        name, _, op = key.partition(".")
        op = op or "eq"
        if op != "eq" and op not in OPS:
            raise UsageError(
                f"unknown filter operator {op!r} in {term!r} (one of {', '.join(OPS)})"
            )
        definition = custom.get(name)
        if not _known(record_type, name) and definition is None:
            fields = ", ".join([*(f for f in record_type.model_fields if f != "id"), *custom])
            raise UsageError(f"{record_type.KIND} has no field {name!r} (fields: {fields})")
        is_date = (
            definition.type == "date"
            if definition is not None
            else _looks_like_date_field(record_type, name)
        )
        if op in ("gt", "ge", "lt", "le") and not is_date:
            _as_number(arg)  # refuse "amount.gt:abc" now, not silently match nothing
        if op in ("before", "after") or (is_date and op in ("gt", "ge", "lt", "le")):
            _as_day(arg, now, order)
        value_of = _custom_value(definition) if definition is not None else _field_value
        out.append(Filter(name, op, arg, _predicate(name, op, arg, now, order, value_of)))
    return out


def _custom_value(definition: FieldDef) -> Callable[[Record, str], Any]:
    """A custom field's value, typed (a date as a date, a number as a Decimal); a value
    that does not fit its type matches no comparison (``check`` reports it)."""

    def value(record: Record, name: str) -> Any:
        return typed(definition, (record.model_extra or {}).get(name))

    return value


def _looks_like_date_field(record_type: type[Record], name: str) -> bool:
    info = record_type.model_fields.get(ALIASES.get(name, name))
    return info is not None and "date" in str(info.annotation).lower()


def _predicate(
    name: str,
    op: str,
    arg: str,
    now: datetime,
    order: str,
    value_of: Callable[[Record, str], Any] = _field_value,
) -> Predicate:
    def check(record: Record) -> bool:
        value = value_of(record, name)
        if op == "eq":
            return _matches_equal(value, arg)
        if op == "not":
            return not _matches_equal(value, arg)
        if op == "has":
            return arg.casefold() in _text(value).casefold()
        return _compare(op, value, arg, now, order)

    return check


def named_fields(filters: Iterable[Filter]) -> set[str]:
    """The fields the terms name (``status:won``, ``status.not:open``, ``has:status``...),
    as the model spells them: a list command's default filter on one of them gives way to
    the explicit term (``deal list status:won`` lists won deals, not none)."""
    return {ALIASES.get(f.field, f.field) for f in filters if f.field is not None}


def apply_filters(records: Iterable[Record], filters: list[Filter]) -> list[Record]:
    return [r for r in records if all(f.predicate(r) for f in filters)]
