"""Rows into records: a row's data finished into a valid record (``Draft``) or rejected
with each problem named by its row and column."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from tcrm.errors import Problem
from tcrm.model.records import Record
from tcrm.model.validate import findings_of
from tcrm.services.imports.columns import _extra_key
from tcrm.services.imports.rows import Lookups
from tcrm.services.imports.source import Source, SourceRow


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
