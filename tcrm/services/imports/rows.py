"""Reading one row's cells into a record's data: lists, statuses, references by id or name,
custom fields; each problem noted by its column."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from tcrm.errors import UsageError, worded
from tcrm.model.due import aware
from tcrm.model.fields import FieldDef, parse_input
from tcrm.model.records import RECORD_TYPES
from tcrm.model.settings import Pipeline, Settings
from tcrm.services.clients import parse_contact
from tcrm.services.import_upsert import external_ids_cell
from tcrm.services.import_values import LIST_FIELDS, NewValueError, ValuePolicy
from tcrm.services.imports.cells import _SIGNS, parse_amount_text, parse_date_text
from tcrm.services.imports.columns import Column
from tcrm.services.imports.headers import header_key
from tcrm.services.imports.source import SourceRow

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
                raise ValueError(worded(exc.parts[1:]).lstrip()) from None
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
