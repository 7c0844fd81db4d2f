"""Custom fields: typed keys a team declares per record kind in ``tcrm.yaml`` ``fields:``.

A value is stored as a top-level key of the record file, next to the built-in fields, in
a canonical text form (``employees: 50``, ``since: 2026-12-01``, ``partner: true``), so
a hand edit, a merge and ``git diff`` treat it like any other key. This module is the one
place that knows the types: it parses what a person types (``parse_input``), judges what
a file holds (``value_problem``), and gives the typed values to every other layer
(``custom_values``), e.g. routing by a custom field or reports grouped by one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from tcrm.model.records import RECORD_TYPES, Record
from tcrm.model.types import amount_in_range, new_list, parse_amount, parse_date
from tcrm.model.when import DEFAULT_DATE_ORDER, WhenError, parse_day

FieldType = Literal["text", "number", "money", "date", "bool", "choice", "multi", "member", "ref"]
TYPES: tuple[str, ...] = FieldType.__args__  # type: ignore[attr-defined]
KINDS = tuple(RECORD_TYPES)
"""The record kinds a field may be declared for: client, deal, task, activity."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
RESERVED = frozenset({"id", "conflicts"})


class FieldDef(BaseModel):
    """One custom field. Extra keys are kept and ignored (later features add some)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, defer_build=True)

    type: FieldType
    label: str | None = Field(default=None, description="shown in cards, forms and exports")
    choices: list[str] = Field(
        default_factory=new_list, description="the allowed values of a choice or multi field"
    )
    to: Literal["client", "deal"] = Field(
        default="client", description="what a ref field points to: a client or a deal id"
    )
    required_in_stages: list[str] = Field(
        default_factory=new_list, description="deal fields: stages a deal cannot enter without it"
    )

    @model_validator(mode="after")
    def _consistent(self) -> FieldDef:
        if self.type in ("choice", "multi") and not self.choices:
            raise ValueError(f"a {self.type} field needs its choices: [...]")
        if self.choices and self.type not in ("choice", "multi"):
            raise ValueError(f"choices are for choice and multi fields, not {self.type}")
        dupes = sorted({c for c in self.choices if self.choices.count(c) > 1})
        if dupes:
            raise ValueError(f"choice {dupes[0]!r} is listed twice")
        return self

    def title(self, name: str) -> str:
        return self.label or name


def _field_name(kind: str) -> Any:
    builtin = frozenset(RECORD_TYPES[kind].model_fields) | RESERVED

    def check(name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(
                f"field name {name!r}: use lower-case letters, digits and _ (e.g. industry)"
            )
        if name in builtin:
            raise ValueError(f"field {name!r} is a built-in {kind} field; choose another name")
        return name

    return check


def _name_of(kind: str) -> AfterValidator:
    """The validator of a field name declared for ``kind`` (not one of its built-ins)."""
    return AfterValidator(_field_name(kind))


class FieldDefs(BaseModel):
    """``fields:`` in tcrm.yaml: the custom fields of each record kind."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    client: dict[Annotated[str, _name_of("client")], FieldDef] = Field(default_factory=dict)
    deal: dict[Annotated[str, _name_of("deal")], FieldDef] = Field(default_factory=dict)
    task: dict[Annotated[str, _name_of("task")], FieldDef] = Field(default_factory=dict)
    activity: dict[Annotated[str, _name_of("activity")], FieldDef] = Field(default_factory=dict)

    def of(self, kind: str) -> dict[str, FieldDef]:
        found: dict[str, FieldDef] = getattr(self, kind, None) or {}
        return found


# --- values ----------------------------------------------------------------------------


def parse_input(
    definition: FieldDef,
    text: str,
    now: datetime | None = None,
    order: str = DEFAULT_DATE_ORDER,
) -> Any:
    """The stored form of what a person typed (``--set``, a form, an imported cell).

    Dates are read as ``--due`` reads them (``date_order``, ``fri``, ``+3d``), amounts as
    ``--amount`` does (``12,000.50``); ValueError says what is wrong.
    """
    text = text.strip()
    kind = definition.type
    if kind == "number":
        return _number_text(_number(text.replace(",", "") if _grouped(text) else text))
    if kind == "money":
        return format(parse_amount(text.replace(",", "") if _grouped(text) else text), "f")
    if kind == "date":
        if now is None:
            return parse_date(text).isoformat()
        try:
            return parse_day(text, now.replace(tzinfo=None), order).isoformat()
        except WhenError as exc:
            raise ValueError(str(exc)) from None
    if kind == "bool":
        return _bool(text)
    if kind == "multi":
        items = list(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
        for item in items:
            _choice(definition, item)
        return items
    if kind == "choice":
        return _choice(definition, text)
    return text


def value_problem(definition: FieldDef, value: Any) -> str | None:
    """What is wrong with a stored value, or None (member and ref ids are checked by
    ``rules``, which knows the team and the other records)."""
    try:
        typed(definition, value, strict=True)
    except ValueError as exc:
        return str(exc)
    return None


def typed(definition: FieldDef, value: Any, strict: bool = False) -> Any:
    """A stored value as its type: Decimal, date, bool, str, or list of str for multi.

    ``strict``: raise ValueError on a value that does not fit; otherwise return None
    (a record reached through git may hold anything; reports and filters skip it).
    """
    try:
        return _typed(definition, value)
    except ValueError:
        if strict:
            raise
        return None


def _typed(definition: FieldDef, value: Any) -> Any:
    kind = definition.type
    if value is None:
        return None
    if kind == "multi":
        items = value if isinstance(value, list) else None
        if items is None or not all(isinstance(v, str) for v in items):
            raise ValueError(f"{_shown(value)} is not a list of choices (write [a, b])")
        for item in items:
            if item not in definition.choices:
                choices = ", ".join(definition.choices)
                raise ValueError(f"{item!r} is not one of the choices ({choices})")
        return list(items)
    if isinstance(value, list | dict):
        raise ValueError(f"{_shown(value)} is not a single {kind} value")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise ValueError(f"{_shown(value)} is not true or false")
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a {kind} value")
    if kind == "number":
        return _number(str(value))
    if kind == "money":
        return parse_amount(str(value))
    if kind == "date":
        return parse_date(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if kind == "choice" and text not in definition.choices:
        raise ValueError(f"{text!r} is not one of the choices ({', '.join(definition.choices)})")
    return text


def custom_values(record: Record, definitions: Mapping[str, FieldDef]) -> dict[str, Any]:
    """The record's custom field values, typed, in declaration order; unset and invalid
    values are left out."""
    extra = record.model_extra or {}
    out: dict[str, Any] = {}
    for name, definition in definitions.items():
        value = typed(definition, extra.get(name))
        if value is not None and value != [] and value != "":
            out[name] = value
    return out


def shown_value(value: Any) -> str:
    """A typed value as a person reads it in a card or a table cell."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return _number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def json_value(value: Any) -> Any:
    """A typed value as ``--json`` and JSON exports carry it: numbers and amounts as
    decimal text (never a float), dates as ISO text."""
    if isinstance(value, Decimal):
        return _number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _grouped(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text))


def _number(text: str) -> Decimal:
    cleaned = text.strip().replace("_", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        raise ValueError(f"{text!r} is not a number (write digits, e.g. 50 or 12.5)")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    amount_in_range(abs(number), text)
    return number


def _number_text(number: Decimal) -> str:
    return format(number.normalize() if number == number.to_integral() else number, "f")


def _bool(text: str) -> bool:
    word = text.casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"{text!r} is not yes or no (write true or false)")


def _choice(definition: FieldDef, text: str) -> str:
    if text in definition.choices:
        return text
    for choice in definition.choices:  # any case on input; the file keeps the list's spelling
        if choice.casefold() == text.casefold():
            return choice
    raise ValueError(f"{text!r} is not one of the choices ({', '.join(definition.choices)})")


def shown_fields(record: Record, definitions: Mapping[str, FieldDef]) -> list[tuple[str, str]]:
    """``(label, text)`` of each custom field the record sets: the lines of a card."""
    values = custom_values(record, definitions)
    return [(definitions[name].title(name), shown_value(v)) for name, v in values.items()]
