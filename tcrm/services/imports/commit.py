"""Writing an import: every record in one transaction, one commit or nothing, with the
lists tcrm.yaml gains, the hooks and the file of rejected rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tcrm.errors import Field, Problem, UsageError
from tcrm.model.records import Client, Deal, Record
from tcrm.model.words import plural
from tcrm.services import hooks, routing
from tcrm.services.import_values import (
    LIST_FIELDS,
    SINGULAR,
    NewValue,
    ValuePolicy,
    additions,
    settings_text_with,
)
from tcrm.services.imports.columns import Column
from tcrm.services.imports.drafts import Duplicate, Rejected
from tcrm.services.imports.importer import Importer, Plan
from tcrm.services.imports.source import ImportProblems, Progress, Source
from tcrm.services.records import local_now
from tcrm.store import files
from tcrm.store.workspace import SETTINGS_FILE, Workspace


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
            Field("map_value"),
            f" {SINGULAR[unused[0]]}:...: a {kind} has no {SINGULAR[unused[0]]} "
            f"(its lists: {lists})",
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
