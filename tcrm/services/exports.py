"""Exporting records: selected here, encoded by a front end (CSV, JSON, vCard), written once.

The encoder is passed in (``tcrm.io`` sits above the services), so the service decides
what is exported and where it goes, and writes the file atomically: a spreadsheet or a
sync tool reading the file never sees half of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tcrm.model.records import RECORD_TYPES, Record
from tcrm.services.bulk import select
from tcrm.services.private import reveal
from tcrm.store import files
from tcrm.store.workspace import Workspace

LIST_SEPARATOR = "; "
"""Between the items of a list cell (``vip; retainer``); the importer splits on ``;``."""


@dataclass(frozen=True)
class ExportData:
    """The records to export, and their flat table form for spreadsheets."""

    kind: str
    records: list[Record]
    custom: tuple[str, ...] = ()
    """The kind's custom fields (tcrm.yaml ``fields:``): columns in declaration order, even
    when no record sets them, so an export of a workspace has the same columns every time."""

    def columns(self) -> list[str]:
        """``id``, the model's fields in file order, the custom fields, then extra keys
        found on the records."""
        fields = [f for f in RECORD_TYPES[self.kind].model_fields if f not in ("id", "conflicts")]
        fields += self.custom
        extras: dict[str, None] = {}
        has_conflicts = False
        for record in self.records:
            has_conflicts = has_conflicts or bool(record.conflicts)
            for key in record.model_extra or {}:
                if key not in self.custom:
                    extras.setdefault(key, None)
        return ["id", *fields, *sorted(extras), *(["conflicts"] if has_conflicts else [])]

    def rows(self) -> list[list[str]]:
        """One row of text cells per record, in ``columns()`` order."""
        columns = self.columns()
        out = []
        for record in self.records:
            data = {"id": record.id, **record.to_data()}
            out.append([cell(data.get(column)) for column in columns])
        return out


def cell(value: Any) -> str:
    """A field as one spreadsheet cell: lists of plain values joined with ``; ``, nested
    data (contacts, stage history) and lists whose items hold a ``;`` as JSON."""
    if value is None:
        return ""
    if isinstance(value, list):
        if all(isinstance(v, str) and v and ";" not in v and "\n" not in v for v in value):
            return LIST_SEPARATOR.join(value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class ExportResult:
    kind: str
    count: int
    data: bytes
    path: Path | None


Encoder = Callable[[ExportData], bytes]


def export_records(
    ws: Workspace,
    *,
    kind: str,
    where: Sequence[str] = (),
    encode: Encoder,
    output: Path | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """``tcrm export csv|json|vcard --type KIND [--where ...] [-o FILE]``.

    Records of ``kind`` matching every ``where`` term, in id order, encoded by
    ``encode``; written atomically to ``output`` when given (else returned for stdout).
    Private fields hold their plaintext for a reader, ``«private»`` for anyone else.
    """
    records = [reveal(ws, r) for r in select(ws, kind=kind, where=where, now=now)]
    data = encode(ExportData(kind, records, tuple(ws.settings.fields.of(kind))))
    if output is not None:
        files.atomic_write(output, data)
    return ExportResult(kind, len(records), data, output)
