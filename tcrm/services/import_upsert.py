"""Upserts by external id: next week's export of another CRM updates the records the
last import made, found by the id that CRM gave each row (``external_ids``).

The importer finds a row's record by its external id first, then by the usual
duplicate keys (``tcrm.services.bulk``). A record found by its external id takes the
row's values for the fields the file holds (the other tool is where they changed), not
only the empty ones; the fields the file lacks, comments and hand-added keys are kept,
so the commit shows only what changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from tcrm.model.records import Client, Deal, Record

EXTERNAL = "external_ids."
"""A column's target ``external_ids.hubspot``: the cell is the record's HubSpot id."""


def external_ids_cell(text: str) -> dict[str, str]:
    """An ``external_ids`` cell as ``tcrm export csv`` writes it: a JSON object."""
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError('is not a JSON object such as {"hubspot":"10021"}') from None
    if not isinstance(value, dict):
        raise ValueError('is not a JSON object such as {"hubspot":"10021"}')
    return value


def fold_external(data: dict[str, Any]) -> None:
    """``external_ids.hubspot: "10021"`` keys of a row's data into ``external_ids``."""
    for key in [k for k in data if k.startswith(EXTERNAL)]:
        data.setdefault("external_ids", {})[key.removeprefix(EXTERNAL)] = str(data.pop(key))


def ids_of(record: Record) -> dict[str, str]:
    """A record's ``external_ids`` (every kind has them; the base class does not)."""
    ids: dict[str, str] = getattr(record, "external_ids", {})
    return ids


class ExternalIndex:
    """Records (and rows planned so far) by ``(tool, id)``."""

    def __init__(self, records: Iterable[Record] = ()) -> None:
        self.refs: dict[tuple[str, str], Any] = {}
        for record in records:
            self.add(record.id, record)

    def add(self, ref: Any, record: Record) -> None:
        for tool, ident in ids_of(record).items():
            self.refs.setdefault((tool, ident), ref)

    def find(self, record: Record) -> tuple[Any, str] | None:
        """``(ref, reason)`` of the first of the record's external ids already known."""
        for tool, ident in ids_of(record).items():
            ref = self.refs.get((tool, ident))
            if ref is not None:
                return ref, f"same {tool} id {ident}"
        return None


def apply_row(existing: Record, row: Record, fields: Iterable[str], *, now: datetime) -> Record:
    """``existing`` with the values ``row`` holds for ``fields`` (the fields the file's
    columns gave); a deal whose stage or status changed gets a stage history entry, as a
    move in tcrm would; a client's contact people are matched by name and updated."""
    data = existing.model_dump(exclude={"id"})
    new = row.model_dump(exclude={"id"})
    for name in fields:
        if name in ("stage_history", "id") or name not in new:
            continue
        if name == "contacts" and isinstance(existing, Client):
            data["contacts"] = _contacts(data.get("contacts", []), new.get("contacts", []))
        elif name == "external_ids":
            data["external_ids"] = {**data.get("external_ids", {}), **new["external_ids"]}
        else:
            data[name] = new[name]
    if isinstance(existing, Deal):
        _history(existing, data, now)
    return type(existing).model_validate({**data, "id": existing.id})


def _contacts(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = [dict(c) for c in old]
    by_name = {c["name"].casefold(): c for c in out}
    for contact in new:
        same = by_name.get(contact["name"].casefold())
        if same is None:
            out.append(contact)
            by_name[contact["name"].casefold()] = contact
            continue
        same.update({k: v for k, v in contact.items() if v not in (None, [], "")})
    return out


def _history(existing: Deal, data: dict[str, Any], now: datetime) -> None:
    stage, status = data.get("stage"), data.get("status", "open")
    if (stage, status) == (existing.stage, existing.status):
        return
    entry: dict[str, Any] = {"at": now.replace(second=0, microsecond=0), "stage": stage}
    if status != existing.status:
        entry["status"] = status
    data["stage_history"] = [*data.get("stage_history", []), entry]
    if status == "open":
        data["closed"] = None
        data["lost_reason"] = None
    elif existing.status == "open" and not data.get("closed"):
        data["closed"] = data.get("close_date") or now.date()


def row_fields(data: Mapping[str, Any]) -> frozenset[str]:
    """The record fields a row's own cells gave, before defaults fill the rest."""
    return frozenset(data)
