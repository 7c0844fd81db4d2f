"""Use cases shared by every kind of record: find one by reference, validate, edit fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar, cast, overload
from zoneinfo import ZoneInfo

import pydantic

from tcrm.errors import (
    AmbiguousError,
    Hint,
    NotFoundError,
    Problem,
    TcrmError,
    UsageError,
    ValidationError,
)
from tcrm.model import fields as fields_model
from tcrm.model.fields import FieldDef
from tcrm.model.records import RECORD_TYPES, Activity, Client, Record
from tcrm.model.rules import record_findings
from tcrm.model.settings import Settings
from tcrm.model.validate import ModelProblems, dotted, findings_of, parse_record
from tcrm.model.when import WhenError, parse_day
from tcrm.store import git, yamlio
from tcrm.store.git import Revision
from tcrm.store.where import Where
from tcrm.store.workspace import Workspace, located

LABEL_FIELD = {"client": "name", "deal": "title", "task": "title", "activity": "summary"}


class ConflictError(TcrmError):
    """A file changed on disk while a person was editing it."""


def local_now(ws: Workspace, now: datetime | None = None) -> datetime:
    """``now`` as an aware date-time in the workspace's time zone."""
    zone = ZoneInfo(ws.settings.timezone)
    if now is None:
        return datetime.now(zone)
    return now.astimezone(zone) if now.tzinfo else now.replace(tzinfo=zone)


@overload
def option_day(field: str, text: str, now: datetime, order: str) -> date: ...
@overload
def option_day(field: str, text: None, now: datetime, order: str) -> None: ...
@overload
def option_day(field: str, text: str | None, now: datetime, order: str) -> date | None: ...
def option_day(field: str, text: str | None, now: datetime, order: str) -> date | None:
    """The day ``text`` (given for ``field``) names (``2024-03-01``, ``today``, ``+3d``),
    relative to ``now``; ``None`` when it was not given."""
    if text is None:
        return None
    try:
        return parse_day(text, now.replace(tzinfo=None), order)
    except WhenError as exc:
        raise UsageError(str(exc), field=field) from None


def label(record: Record) -> str:
    return str(getattr(record, LABEL_FIELD[record.KIND], record.id))


def note_skipped(ws: Workspace, problems: Iterable[Problem]) -> None:
    """Remember record files a read left out, with where each is wrong (the first problem
    of a file): every read that skips a record says so (``skipped_records``)."""
    for problem in problems:
        ws.skipped.setdefault(problem.path, problem)


def skipped_records(ws: Workspace) -> list[Problem]:
    """The record files reads through this workspace object left out so far, one problem
    each, by path: a front end warns with them (``errors.skipped_summary``)."""
    return sorted(ws.skipped.values())


def note_unreadable(ws: Workspace, kind: str) -> None:
    """Note the files of ``kind`` the index could not read: a read or a count from the
    index leaves them out, whatever it asked for (a broken file could have matched)."""
    index = ws.index()
    if index is None:
        return
    for record_id, rel in index.broken(kind):
        if rel in ws.skipped:
            continue
        try:
            ws.parse(kind, record_id, ws.root / rel)
        except ValidationError as exc:
            note_skipped(ws, exc.problems[:1])
        except OSError:
            continue  # gone since the index looked: nothing was left out


def all_records(ws: Workspace, kind: str) -> list[Record]:
    """Every readable record of a kind; broken files are noted (``skipped_records``) and
    left to ``tcrm check``."""
    problems: list[Problem] = []
    records = ws.load_all(kind, problems=problems)
    note_skipped(ws, problems)
    return records


def candidates(ws: Workspace, kind: str, where: Where | None = None) -> list[Record]:
    """Records of ``kind`` that may meet ``where``, a condition on the local index's
    columns (``tcrm.store.where``); every record when there is no index.

    Only a way to read less: the caller still applies its exact rules to what it gets,
    so the answer is the same with or without the index.
    """
    index = ws.index()
    if index is None:
        return all_records(ws, kind)
    note_unreadable(ws, kind)
    return index.records(kind, where)


def linked(
    ws: Workspace, kind: str, refs: Iterable[str], where: Where | None = None
) -> list[Record]:
    """Records of ``kind`` that may name one of ``refs`` (``client:acme``, ``deal:x``)."""
    index = ws.index()
    if index is None:
        return all_records(ws, kind)
    note_unreadable(ws, kind)
    return index.linked(kind, refs, where)


def latest_activities(ws: Workspace, refs: Iterable[str]) -> list[Activity]:
    """Enough activities to know each ref's last one (every activity without an index)."""
    index = ws.index()
    if index is not None:
        note_unreadable(ws, "activity")
    found = all_records(ws, "activity") if index is None else index.latest_activities(refs)
    return [a for a in found if isinstance(a, Activity)]


def contact_activities(ws: Workspace, refs: Iterable[str]) -> list[Activity]:
    """Enough activities to know each ref's last contact: the latest ones when every
    activity counts, else all of the refs' (the last activity may be mail that does not
    count, ``mail.counts_as_contact``)."""
    if ws.settings.mail.counts_as_contact == "both":
        return latest_activities(ws, refs)
    return [a for a in linked(ws, "activity", refs) if isinstance(a, Activity)]


def revisions(ws: Workspace, paths: Iterable[str]) -> dict[str, Revision]:
    """When each record file last changed and how often (``store.git.revisions``): from
    the local index's history when there is one, else from a walk of the git history."""
    paths = list(paths)
    index = ws.index()
    found = index.revisions(paths) if index is not None else None
    return found if found is not None else git.revisions(ws.root, paths)


def resolve(ws: Workspace, kind: str, ref: str) -> Record:
    """A record from an id, a unique id prefix, an exact name (any case), or a unique
    start of a name (any case: "Blue Bottle" names "Blue Bottle Coffee").

    For clients, the name or email of one of their contact people also works, and so
    does the start of a contact person's name. An exact match beats a start; starts that
    fit several records are an ``AmbiguousError`` listing them.
    """
    ref = ref.strip()
    if not ref:
        raise UsageError(f"empty {kind} reference")
    try:
        if ws.find_path(kind, ref) is not None:
            return ws.get(kind, ref)
    except ValueError:
        pass  # not id-shaped: it can still be a name
    prefixed = [record_id for record_id, _ in ws.files(kind) if record_id.startswith(ref.lower())]
    if len(prefixed) == 1:
        return ws.get(kind, prefixed[0])
    records = all_records(ws, kind)
    wanted = ref.casefold()
    named = [r for r in records if label(r).casefold() == wanted]
    if not named and kind == "client":
        named = [r for r in records if isinstance(r, Client) and _has_contact(r, wanted)]
    if len(named) == 1:
        return named[0]
    ids = {r.id for r in named}
    if not named:
        started = [r for r in records if r.id in prefixed or _starts(r, wanted)]
        if len(started) == 1 and not prefixed:
            return started[0]
        ids = {r.id for r in started} | set(prefixed)
    if ids:
        listed = sorted(ids)
        shown = ", ".join(listed[:8]) + (", ..." if len(listed) > 8 else "")
        raise AmbiguousError(f"{ref!r} matches {len(ids)} {kind}s ({shown}); be more precise")
    raise NotFoundError(f"no {kind} matches {ref!r} (see `tcrm {kind} list`)")


def starts_with(text: str, wanted: str) -> bool:
    """``text`` starts with ``wanted`` (already casefolded), in any case: how the start of
    a name on the command line finds the record or person it names."""
    return text.casefold().startswith(wanted)


def _starts(record: Record, wanted: str) -> bool:
    if starts_with(label(record), wanted):
        return True
    return isinstance(record, Client) and any(starts_with(p.name, wanted) for p in record.contacts)


def _has_contact(client: Client, wanted: str) -> bool:
    for person in client.contacts:
        if person.name.casefold() == wanted or any(e.casefold() == wanted for e in person.emails):
            return True
    return any(e.casefold() == wanted for e in client.emails)


def ensure_valid(ws: Workspace, record: Record) -> None:
    """Refuse a record the settings or the other records contradict, naming each field."""
    findings = record_findings(record, ws.settings, ws.exists)
    if findings:
        raise ValidationError([Problem(dotted(loc), None, msg) for loc, msg in findings])


R = TypeVar("R", bound=Record)


def build(kind: str, data: Mapping[str, Any]) -> Record:
    """A record of ``kind`` from plain data; a bad field is named in the error."""
    try:
        return RECORD_TYPES[kind].model_validate(dict(data))
    except pydantic.ValidationError as exc:
        problems = [Problem(dotted(loc) or kind, None, msg) for loc, msg in findings_of(exc)]
        raise ValidationError(problems) from None


def updated(record: R, changes: Mapping[str, Any]) -> R:
    """A validated copy of ``record`` with ``changes`` (``None`` unsets a field)."""
    data = record.model_dump()
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    data["id"] = record.id
    return cast(R, build(record.KIND, data))


def parse_assignments(
    record: Record,
    assignments: Iterable[str],
    protected: Mapping[str, Hint] | None = None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """``field=value``, ``field+=item``, ``field-=item`` and ``field=`` (unset) into changes.

    With ``settings``, a custom field (``fields:`` in tcrm.yaml) is parsed per its type,
    a date as ``--due`` reads it (``date_order``, relative to ``now``).
    """
    fields = type(record).model_fields
    custom = settings.fields.of(record.KIND) if settings is not None else {}
    changes: dict[str, Any] = {}
    for text in assignments:
        key, op, value = split_assignment(text)
        if key == "id":
            raise UsageError("an id never changes; create a new record and merge instead")
        if protected and key in protected:
            raise UsageError(f"{key} cannot be set directly: ", *protected[key])
        info = fields.get(key)
        if key in custom:
            changes[key] = _custom_change(
                record, custom[key], key, op, value, changes, settings, now
            )
            continue
        if info is None and key not in (record.model_extra or {}):
            known = ", ".join([*(f for f in fields if f != "id"), *custom])
            raise UsageError(f"{record.KIND} has no field {key!r} (fields: {known})")
        current = changes.get(key, getattr(record, key, None))
        is_list = isinstance(current, list) or (
            info is not None and "list" in str(info.annotation).lower()
        )
        if op in ("+=", "-=") and not is_list:
            raise UsageError(f"{key} is not a list; use {key}=VALUE")
        if op == "+=":
            items = list(current or [])
            items += [v for v in _items(value) if v not in items]
            changes[key] = items
        elif op == "-=":
            remove = set(_items(value))
            changes[key] = [v for v in current or [] if v not in remove]
        elif value == "":
            changes[key] = None
        else:
            changes[key] = _items(value) if is_list else value
    return changes


def custom_assignments(
    kind: str, assignments: Iterable[str], settings: Settings, now: datetime | None
) -> dict[str, Any]:
    """``--set name=value`` given to ``add``: custom fields only (each built-in field has
    its own option there), parsed per type; unset values are left out."""
    custom = settings.fields.of(kind)
    texts = list(assignments)
    for text in texts:
        key = split_assignment(text)[0]
        if key not in custom:
            known = ", ".join(custom) or f"none declared in tcrm.yaml fields.{kind}"
            raise UsageError(f"{key!r} is not a custom {kind} field (custom fields: {known})")
    blank = RECORD_TYPES[kind].model_construct()
    changes = parse_assignments(blank, texts, settings=settings, now=now)
    return {k: v for k, v in changes.items() if v is not None}


def _custom_change(
    record: Record,
    definition: FieldDef,
    key: str,
    op: str,
    value: str,
    changes: Mapping[str, Any],
    settings: Settings | None,
    now: datetime | None,
) -> Any:
    """The stored value of one assignment to a custom field; a bad value names the field."""
    is_list = definition.type == "multi"
    if op in ("+=", "-=") and not is_list:
        raise UsageError(f"{key} is not a list; use {key}={value or 'VALUE'}")
    if value == "" and op == "=":
        return None
    order = settings.date_order if settings is not None else "DMY"
    try:
        parsed = fields_model.parse_input(definition, value, now, order)
    except ValueError as exc:
        raise ValidationError([Problem(key, None, str(exc))]) from None
    if op == "=":
        return parsed
    current = changes.get(key, (record.model_extra or {}).get(key))
    items = [str(v) for v in current] if isinstance(current, list) else []
    if op == "+=":
        return items + [v for v in parsed if v not in items]
    return [v for v in items if v not in parsed] or None


def split_assignment(text: str) -> tuple[str, str, str]:
    """``field+=item`` -> ``("field", "+=", "item")``."""
    for op in ("+=", "-=", "="):
        key, sep, value = text.partition(op)
        if sep and key and "=" not in key:
            return key.strip(), op, value.strip()
    raise UsageError(f"{text!r} is not an assignment (write field=value, field+=item or field=)")


def _items(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def set_fields(
    ws: Workspace,
    *,
    kind: str,
    ref: str,
    assignments: list[str],
    protected: Mapping[str, Hint] | None = None,
    now: datetime | None = None,
) -> Record:
    """``tcrm <kind> edit REF --set field=value``: one commit, comments kept.

    ``now``: what a relative date of a custom date field (``+3d``, ``fri``) counts from.
    """
    with ws.lock():
        record = resolve(ws, kind, ref)
        changes = parse_assignments(
            record, assignments, protected, settings=ws.settings, now=local_now(ws, now)
        )
        new = updated(record, changes)
        ensure_valid(ws, new)
        if new.to_data() == record.to_data():
            return record
        names = ", ".join(sorted(changes))
        with ws.transaction(f"{kind} {record.id}: set {names}") as tx:
            tx.put(new)
        return new


def read_for_edit(ws: Workspace, kind: str, ref: str) -> tuple[Record, str, str]:
    """The record, its path relative to the workspace, and the exact text to edit."""
    record = resolve(ws, kind, ref)
    path = ws.find_path(kind, record.id)
    assert path is not None
    return record, ws.rel(path), ws.read_text(ws.rel(path))


def save_edited_text(
    ws: Workspace, *, kind: str, record_id: str, original: str, text: str
) -> Record:
    """Save a person's edit of a record file, as they wrote it, if it is valid.

    Refuses (``ConflictError``) when the file changed since ``original`` was read, e.g. by
    a sync, and (``ValidationError`` with lines) when the new text is not a valid record.
    """
    with ws.lock():
        path = ws.find_path(kind, record_id)
        if path is None:
            raise ConflictError(f"{kind} {record_id!r} was deleted while you edited it")
        rel = ws.rel(path)
        if ws.read_text(rel) != original:
            raise ConflictError(
                f"{rel} changed while you edited it (a sync?); your edit was not saved"
            )
        data = yamlio.load_fast(text, rel)
        try:
            record = parse_record(RECORD_TYPES[kind], data, record_id)
        except ModelProblems as exc:
            raise ValidationError(located(rel, text, exc.findings)) from None
        findings = record_findings(record, ws.settings, ws.exists)
        if findings:
            raise ValidationError(located(rel, text, findings))
        if text != original:
            target = ws.rel(ws.path_of(record))  # an activity whose year changed moves folder
            with ws.transaction(f"{kind} {record_id}: edit") as tx:
                if target != rel:
                    tx.delete(kind, record_id)
                tx.write_text(target, text)
        return record
