"""Merge conflicts a sync recorded inside record files: list them, resolve them.

A conflict is an entry under a record's ``conflicts:`` key (see
:mod:`tcrm.model.merge`): the record holds *mine* (the value of the clone that merged),
the entry also keeps *theirs*. ``tcrm check`` reports each one, ``tcrm conflicts`` lists
them, ``tcrm resolve REF --take mine|theirs|FIELD=VALUE`` clears them in one commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from tcrm.errors import AmbiguousError, NotFoundError, Problem, UsageError, ValidationError
from tcrm.model.merge import CONFLICTS_KEY, get_path, parse_path, set_path
from tcrm.model.records import RECORD_TYPES
from tcrm.model.rules import record_findings
from tcrm.model.settings import Settings
from tcrm.model.validate import ModelProblems, parse_record
from tcrm.store import links, yamlio
from tcrm.store.workspace import SETTINGS_FILE, Workspace, located

SIDES = ("mine", "theirs")


@dataclass(frozen=True)
class OpenConflict:
    """One unresolved conflict, where it is and both values."""

    path: str
    kind: str
    id: str | None
    field: str
    mine: Any
    theirs: Any
    base: Any
    line: int | None

    @property
    def ref(self) -> str:
        return self.id or SETTINGS_FILE


def short(value: Any, width: int = 40) -> str:
    """A value on one line, for messages."""
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def describe(field: str, mine: Any, theirs: Any, ref: str) -> str:
    """The problem ``tcrm check`` prints for a conflict."""
    return (
        f"conflict in {field}: mine={short(mine)}, theirs={short(theirs)} "
        f"(resolve with tcrm resolve {ref} --take mine|theirs|{field}=VALUE)"
    )


def conflict_problems(rel: str, text: str, ref: str) -> list[Problem]:
    """One ``check`` problem per entry of the ``conflicts`` list in a file's ``text``,
    on the entry's line."""
    try:
        data = yamlio.load_fast(text, rel)
    except yamlio.YamlSyntaxError:
        return []
    entries = data.get(CONFLICTS_KEY) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []
    out = []
    for i, entry in enumerate(entries):
        if isinstance(entry, Mapping) and entry.get("field"):
            message = describe(str(entry["field"]), entry.get("mine"), entry.get("theirs"), ref)
            out.append(Problem(rel, yamlio.line_of(text, (CONFLICTS_KEY, i)), message))
    return out


def settings_problems(ws: Workspace, settings: Settings) -> list[Problem]:
    """Conflicts recorded in ``tcrm.yaml`` (the settings keep them as an extra key)."""
    if not (settings.model_extra or {}).get(CONFLICTS_KEY):
        return []
    text = ws.read_text(SETTINGS_FILE)
    return conflict_problems(SETTINGS_FILE, text, SETTINGS_FILE)


def _files(ws: Workspace) -> list[tuple[str, str | None, str]]:
    """``(kind, id, relative path)`` of the settings and every record file."""
    out: list[tuple[str, str | None, str]] = [("settings", None, SETTINGS_FILE)]
    for kind in RECORD_TYPES:
        out.extend((kind, record_id, ws.rel(path)) for record_id, path in ws.files(kind))
    return out


def _entries(ws: Workspace, kind: str, record_id: str | None, rel: str) -> list[OpenConflict]:
    try:
        text = ws.read_text(rel)
    except links.LinkError:
        return []  # never read through a link; `tcrm check` reports it
    if f"{CONFLICTS_KEY}:" not in text:
        return []
    try:
        data = yamlio.load_fast(text, rel)
    except yamlio.YamlSyntaxError:
        return []  # `tcrm check` reports the broken file
    entries = data.get(CONFLICTS_KEY) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []
    out = []
    for i, entry in enumerate(entries):
        if isinstance(entry, Mapping) and entry.get("field"):
            out.append(
                OpenConflict(
                    path=rel,
                    kind=kind,
                    id=record_id,
                    field=str(entry["field"]),
                    mine=entry.get("mine"),
                    theirs=entry.get("theirs"),
                    base=entry.get("base"),
                    line=yamlio.line_of(text, (CONFLICTS_KEY, i)),
                )
            )
    return out


def list_conflicts(ws: Workspace) -> list[OpenConflict]:
    """Every unresolved conflict in the workspace, by file."""
    out: list[OpenConflict] = []
    for kind, record_id, rel in _files(ws):
        out.extend(_entries(ws, kind, record_id, rel))
    return out


def _find(ws: Workspace, ref: str) -> tuple[str, str | None, str]:
    """The file ``ref`` names among those with conflicts: a path, ``tcrm.yaml``, an id,
    a unique id prefix or an exact name."""
    ref = ref.strip()
    if not ref:
        raise UsageError("empty reference")
    conflicted = {
        rel: (kind, rid, rel) for kind, rid, rel in _files(ws) if _entries(ws, kind, rid, rel)
    }
    if ref in ("settings", SETTINGS_FILE):
        ref = SETTINGS_FILE
    if ref in conflicted:
        return conflicted[ref]
    for matcher in (
        lambda rid: rid == ref,
        lambda rid: rid.startswith(ref.lower()),
    ):
        found = [v for v in conflicted.values() if v[1] is not None and matcher(v[1])]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            paths = ", ".join(sorted(v[2] for v in found))
            raise AmbiguousError(f"{ref!r} matches several records with conflicts ({paths})")
    from tcrm.services.records import label

    named = []
    for kind, rid, rel in conflicted.values():
        if rid is None:
            continue
        try:
            if label(ws.get(kind, rid)).casefold() == ref.casefold():
                named.append((kind, rid, rel))
        except ValidationError:
            continue
    if len(named) == 1:
        return named[0]
    if named:
        paths = ", ".join(sorted(v[2] for v in named))
        raise AmbiguousError(f"{ref!r} matches several records with conflicts ({paths})")
    if not conflicted:
        raise NotFoundError("there are no conflicts to resolve")
    listed = ", ".join(sorted(v[1] or v[2] for v in conflicted.values())[:8])
    raise NotFoundError(f"no record with conflicts matches {ref!r} (conflicts in: {listed})")


@dataclass(frozen=True)
class Resolution:
    field: str
    choice: str
    """``mine``, ``theirs`` or ``value``."""
    value: Any


@dataclass
class ResolveResult:
    path: str
    kind: str
    id: str | None
    resolved: list[Resolution]
    remaining: list[str]
    commit: str | None


def _parse_take(take: list[str], fields: list[str]) -> dict[str, tuple[str, str | None]]:
    """``{field: (choice, value text)}`` from ``--take`` options."""
    if not take:
        raise UsageError(
            f"say what to keep: --take mine, --take theirs or --take FIELD=VALUE "
            f"(conflicts in: {', '.join(fields)})"
        )
    everything: str | None = None
    chosen: dict[str, tuple[str, str | None]] = {}
    for item in take:
        text = item.strip()
        if text in SIDES:
            if everything and everything != text:
                raise UsageError("--take mine and --take theirs contradict each other")
            everything = text
            continue
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"{item!r}: write --take mine, --take theirs or --take FIELD=VALUE")
        if name not in fields:
            raise UsageError(f"{name!r} has no conflict here (conflicts in: {', '.join(fields)})")
        value = value.strip()
        chosen[name] = (value, None) if value in SIDES else ("value", value)
    if everything:
        for name in fields:
            chosen.setdefault(name, (everything, None))
    return chosen


def _typed(text: str, mine: Any, theirs: Any) -> Any:
    """A value typed on the command line, as a list when the field holds a list."""
    if text == "":
        return None
    if isinstance(mine, list) or isinstance(theirs, list):
        return [v.strip() for v in text.split(",") if v.strip()]
    return text


def resolve_conflicts(ws: Workspace, *, ref: str, take: list[str]) -> ResolveResult:
    """``tcrm resolve``: settle conflicts of one record (or ``tcrm.yaml``) in one commit.

    ``mine`` keeps the record's value, ``theirs`` takes the other side's, ``FIELD=VALUE``
    sets a value of your own (``FIELD=`` unsets it). The result must be valid for its
    model and the workspace rules, or nothing is written.
    """
    with ws.lock():
        kind, record_id, rel = _find(ws, ref)
        text = ws.read_text(rel)
        data = yamlio.load_fast(text, rel)
        entries = list(data.get(CONFLICTS_KEY) or [])
        fields = [str(e.get("field")) for e in entries if isinstance(e, Mapping)]
        chosen = _parse_take(take, fields)
        resolved: list[Resolution] = []
        kept: list[Any] = []
        for entry in entries:
            name = str(entry.get("field")) if isinstance(entry, Mapping) else ""
            if name not in chosen:
                kept.append(entry)
                continue
            choice, typed = chosen.pop(name)
            try:
                path = parse_path(name)
            except ValueError as exc:
                raise ValidationError([Problem(rel, None, f"conflicts: {exc}")]) from None
            if choice == "mine":
                value = get_path(data, path)
            elif choice == "theirs":
                value = entry.get("theirs")
            else:
                value = _typed(typed or "", entry.get("mine"), entry.get("theirs"))
            try:
                set_path(data, path, value)
            except ValueError as exc:
                raise ValidationError([Problem(rel, None, f"{name}: {exc}")]) from None
            resolved.append(Resolution(name, choice, value))
        if kept:
            data[CONFLICTS_KEY] = kept
        else:
            data.pop(CONFLICTS_KEY, None)
        new_text = yamlio.edit_text(text, data, frozenset(data) | {CONFLICTS_KEY}, rel)
        _validate(ws, kind, record_id, rel, new_text, data, {r.field for r in resolved})
        names = ", ".join(r.field for r in resolved)
        sides = sorted({r.choice for r in resolved})
        subject = f"{kind} {record_id}" if record_id else "settings"
        plural = "s" if len(resolved) > 1 else ""
        message = f"{subject}: resolve conflict{plural} in {names} ({', '.join(sides)})"
        with ws.transaction(message) as tx:
            tx.write_text(rel, new_text)
        remaining = [str(e.get("field")) for e in kept if isinstance(e, Mapping)]
        return ResolveResult(rel, kind, record_id, resolved, remaining, tx.commit_id)


def _validate(
    ws: Workspace,
    kind: str,
    record_id: str | None,
    rel: str,
    text: str,
    data: dict[str, Any],
    fields: set[str],
) -> None:
    """Refuse a resolution that breaks the model, or a rule on a field it set."""
    if kind == "settings":
        try:
            Settings.model_validate(data)
        except pydantic.ValidationError as exc:
            from tcrm.model.validate import findings_of

            raise ValidationError(located(rel, text, findings_of(exc))) from None
        return
    assert record_id is not None
    try:
        record = parse_record(RECORD_TYPES[kind], data, record_id)
    except ModelProblems as exc:
        raise ValidationError(located(rel, text, exc.findings)) from None
    tops = {f.split(".")[0].split("[")[0] for f in fields}
    findings = [f for f in record_findings(record, ws.settings, ws.exists) if str(f[0][0]) in tops]
    if findings:
        raise ValidationError(located(rel, text, findings))


__all__ = [
    "OpenConflict",
    "ResolveResult",
    "conflict_problems",
    "describe",
    "list_conflicts",
    "resolve_conflicts",
    "settings_problems",
]
