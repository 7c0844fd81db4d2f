"""Merge conflicts a sync recorded inside record files: list them, resolve them.

A conflict is an entry under a record's ``conflicts:`` key (see
:mod:`tcrm.model.merge`): the record holds *mine* (the value of the clone that merged),
the entry also keeps *theirs*. ``tcrm check`` reports each one, ``tcrm conflicts`` lists
them, ``tcrm resolve REF --take mine|theirs|FIELD=VALUE`` clears them in one commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
    mine_by: str | None = None
    mine_commit: str | None = None
    theirs_by: str | None = None
    theirs_commit: str | None = None

    @property
    def ref(self) -> str:
        return self.id or SETTINGS_FILE

    @property
    def sides(self) -> dict[str, str | None]:
        return {k: getattr(self, k) for k in SIDE_KEYS}


def short(value: Any, width: int = 40) -> str:
    """A value on one line, for messages."""
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


SIDE_KEYS = ("mine_by", "mine_commit", "theirs_by", "theirs_commit")


def person(identity: Any) -> str:
    """``Ben Okafor`` from a git identity ``Ben Okafor <ben@example.com>``."""
    text = str(identity or "").strip()
    name = text.split(" <", 1)[0].strip() if " <" in text else text
    return name or text


def side_text(value: Any, by: Any, commit: Any) -> str:
    """``60 (Ben Okafor, 1a2b3c4d)``: a value and who made it, when that is known."""
    who = [w for w in (person(by) if by else "", str(commit)[:8] if commit else "") if w]
    return f"{short(value)} ({', '.join(who)})" if who else short(value)


def describe(
    field: str, mine: Any, theirs: Any, ref: str, sides: Mapping[str, Any] | None = None
) -> str:
    """The problem ``tcrm check`` prints for a conflict: both values, and who made each
    (so "mine" means the same thing to whoever reads it)."""
    sides = sides or {}
    kept = side_text(mine, sides.get("mine_by"), sides.get("mine_commit"))
    other = side_text(theirs, sides.get("theirs_by"), sides.get("theirs_commit"))
    return (
        f"conflict in {field}: mine={kept}, theirs={other} "
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
            message = describe(
                str(entry["field"]), entry.get("mine"), entry.get("theirs"), ref, entry
            )
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
                    **{k: _text(entry.get(k)) for k in SIDE_KEYS},
                )
            )
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def list_conflicts(ws: Workspace) -> list[OpenConflict]:
    """Every unresolved conflict in the workspace, by file."""
    out: list[OpenConflict] = []
    for kind, record_id, rel in _files(ws):
        out.extend(_entries(ws, kind, record_id, rel))
    return out


def open_conflicts(
    ws: Workspace, refs: Iterable[tuple[str, str]] | None = None
) -> list[OpenConflict]:
    """The unresolved conflicts of the workspace (or of the records ``refs`` names,
    ``(kind, id)``), by file. With the local index only the files that hold some are
    read (``tcrm today`` asks on every run); without it, every file."""
    from tcrm.services.records import candidates

    wanted = None if refs is None else set(refs)
    index = ws.index()
    if index is None:
        found = list_conflicts(ws)
        return [c for c in found if wanted is None or (c.kind, c.id) in wanted]
    out: list[OpenConflict] = []
    if wanted is None:
        out.extend(_entries(ws, "settings", None, SETTINGS_FILE))
    for kind in RECORD_TYPES:
        if wanted is not None and not any(k == kind for k, _ in wanted):
            continue
        for record in candidates(ws, kind, "conflicts IS NOT NULL"):
            if wanted is not None and (kind, record.id) not in wanted:
                continue
            path = ws.find_path(kind, record.id)
            if path is not None:
                out.extend(_entries(ws, kind, record.id, ws.rel(path)))
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


def _made_by(entry: Mapping[str, Any], who: str) -> list[str]:
    """The sides of a conflict entry ``who`` made: a git identity's email or name (any
    case), or a prefix of the commit (4 hex digits at least)."""
    wanted = who.strip().casefold()
    sides = []
    for side in SIDES:
        identity = str(entry.get(f"{side}_by") or "")
        commit = str(entry.get(f"{side}_commit") or "")
        email = identity.rsplit("<", 1)[-1].rstrip(">").strip() if "<" in identity else ""
        names = {identity.casefold(), person(identity).casefold(), email.casefold()} - {""}
        hex_prefix = len(wanted) >= 4 and all(c in "0123456789abcdef" for c in wanted)
        if wanted in names or (hex_prefix and commit.startswith(wanted)):
            sides.append(side)
    return sides


def _take_person(who: str, entries: list[Any]) -> dict[str, tuple[str, str | None]]:
    """``--take PERSON``: in each conflict, the value that person (or commit) made."""
    chosen: dict[str, tuple[str, str | None]] = {}
    for entry in entries:
        if not isinstance(entry, Mapping) or not entry.get("field"):
            continue
        field = str(entry["field"])
        sides = _made_by(entry, who)
        if len(sides) != 1:
            known = ", ".join(
                f"{side}: {person(entry.get(f'{side}_by')) or 'unknown'}" for side in SIDES
            )
            what = "both values" if sides else "neither value"
            raise UsageError(
                f"{who!r} made {what} of {field} ({known}); write --take mine, --take theirs "
                "or --take FIELD=VALUE"
            )
        chosen[field] = (sides[0], None)
    return chosen


def _parse_take(
    take: list[str], fields: list[str], entries: list[Any] | None = None
) -> dict[str, tuple[str, str | None]]:
    """``{field: (choice, value text)}`` from ``--take`` options: ``mine``, ``theirs``, a
    person (their name or email, or a commit: the value they made), ``FIELD=VALUE``."""
    if not take:
        raise UsageError(
            f"say what to keep: --take mine, --take theirs, --take PERSON or "
            f"--take FIELD=VALUE (conflicts in: {', '.join(fields)})"
        )
    everything: str | None = None
    chosen: dict[str, tuple[str, str | None]] = {}
    by_person: dict[str, tuple[str, str | None]] = {}
    for item in take:
        text = item.strip()
        if text in SIDES:
            if everything and everything != text:
                raise UsageError("--take mine and --take theirs contradict each other")
            everything = text
            continue
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep and name and entries is not None:
            by_person.update(_take_person(name, entries))
            continue
        if not sep or not name:
            raise UsageError(f"{item!r}: write --take mine, --take theirs or --take FIELD=VALUE")
        if name not in fields:
            raise UsageError(f"{name!r} has no conflict here (conflicts in: {', '.join(fields)})")
        value = value.strip()
        chosen[name] = (value, None) if value in SIDES else ("value", value)
    for name, choice in by_person.items():
        chosen.setdefault(name, choice)
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

    ``mine`` keeps the record's value, ``theirs`` takes the other side's, a person (name,
    email or commit) takes the value they made, ``FIELD=VALUE`` sets a value of your own
    (``FIELD=`` unsets it). The result must be valid for its
    model and the workspace rules, or nothing is written.
    """
    with ws.lock():
        kind, record_id, rel = _find(ws, ref)
        text = ws.read_text(rel)
        data = yamlio.load_fast(text, rel)
        entries = list(data.get(CONFLICTS_KEY) or [])
        fields = [str(e.get("field")) for e in entries if isinstance(e, Mapping)]
        chosen = _parse_take(take, fields, entries)
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
    "SIDE_KEYS",
    "OpenConflict",
    "ResolveResult",
    "conflict_problems",
    "describe",
    "list_conflicts",
    "open_conflicts",
    "resolve_conflicts",
    "settings_problems",
]
