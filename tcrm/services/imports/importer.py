"""One import planned: rows read against what the workspace holds (looked up once),
duplicates found within the file and against the workspace, new records given ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pydantic

from tcrm.errors import Command, Field, Problem, UsageError
from tcrm.model.records import RECORD_TYPES, Client, Deal, Record
from tcrm.model.rules import missing_required, record_findings
from tcrm.model.settings import Settings
from tcrm.services.bulk import ClientIndex, Match, merge_fill
from tcrm.services.clients import normalised_name
from tcrm.services.import_upsert import ExternalIndex, apply_row, fold_external, ids_of, row_fields
from tcrm.services.import_values import ValuePolicy
from tcrm.services.imports.columns import plan_columns
from tcrm.services.imports.drafts import (
    Draft,
    Duplicate,
    Rejected,
    _finish_client,
    _finish_deal,
    _finish_task,
    _header_of,
    _located,
    _model_problems,
)
from tcrm.services.imports.ids import IdAllocator, KeyIndex, _id_name
from tcrm.services.imports.rows import Lookups, RowReader
from tcrm.services.imports.source import ON_DUPLICATE, Progress, Source, SourceRow
from tcrm.services.records import all_records, label
from tcrm.store.workspace import Workspace

FORCE = str(Command(Field("force")))
"""How a row's problem names the override of a stage's required fields: a row's problem is
text, not an error with parts, so the option reads as typed (``--force``)."""


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
            raise UsageError(
                Field("on_duplicate"), f" {on_duplicate!r}: one of {', '.join(ON_DUPLICATE)}"
            )
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
                            f"(add the column, or import anyway with {FORCE})",
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


@dataclass(frozen=True)
class Plan:
    created: list[Record]
    updated: list[Record]
    duplicates: list[Duplicate]
