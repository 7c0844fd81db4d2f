"""Merge conflicts a sync recorded inside record files: list them, resolve them.

A conflict is an entry under a record's ``conflicts:`` key (see
:mod:`tcrm.model.merge`): the record holds *mine* (the value of the clone that merged),
the entry also keeps *theirs*. ``tcrm check`` reports each one, ``tcrm conflicts`` lists
them, ``tcrm resolve REF --take mine|theirs|FIELD=VALUE`` clears them in one commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pydantic

from tcrm.errors import (
    AmbiguousError,
    Command,
    Field,
    NotFoundError,
    Part,
    Problem,
    UsageError,
    ValidationError,
)
from tcrm.model.due import aware
from tcrm.model.merge import CONFLICTS_KEY, get_path, history_key, parse_path, set_path
from tcrm.model.privacy import PRIVATE, is_ciphertext
from tcrm.model.records import RECORD_TYPES, Deal
from tcrm.model.rules import record_findings
from tcrm.model.settings import Settings
from tcrm.model.types import check_id
from tcrm.model.validate import ModelProblems, parse_record
from tcrm.services.private import reveal_value
from tcrm.store import git, links, yamlio
from tcrm.store.where import present
from tcrm.store.workspace import SETTINGS_FILE, Workspace, located

SIDES = ("mine", "theirs")
SIDE_VALUES = ("mine", "theirs", "base")


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
    missing: str | None = None
    """For a reference to a deleted record: that record's path (``theirs`` is then None)."""
    fix: str | None = None
    """For a reference to a deleted record: the command that restores it."""

    @property
    def ref(self) -> str:
        return self.id or SETTINGS_FILE

    @property
    def sides(self) -> dict[str, str | None]:
        return {k: getattr(self, k) for k in SIDE_KEYS}


def masked(value: Any) -> Any:
    """A private field's ciphertext as ``«private»`` (where it is not decrypted: sync's
    report, ``tcrm check``); any other value as it is."""
    return PRIVATE if is_ciphertext(value) else value


def short(value: Any, width: int = 40) -> str:
    """A value on one line, for messages."""
    if value is None:
        return "(none)"
    value = masked(value)
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
    fix = Command(f"tcrm resolve {ref} ", Field("take"), f" mine|theirs|{field}=VALUE")
    return f"conflict in {field}: mine={kept}, theirs={other} (resolve with {fix})"


def conflict_problems(rel: str, text: str, ref: str) -> list[Problem]:
    """One ``check`` problem per entry of the ``conflicts`` list in a file's ``text``,
    on the entry's line."""
    out = []
    for i, entry in enumerate(_recorded(text, rel)):
        if isinstance(entry, Mapping) and entry.get("field"):
            message = describe(
                str(entry["field"]), entry.get("mine"), entry.get("theirs"), ref, entry
            )
            out.append(Problem(rel, yamlio.line_of(text, (CONFLICTS_KEY, i)), message))
    return out


def _recorded(text: str, rel: str) -> list[Any]:
    """The entries of the ``conflicts`` list in a file's ``text``; none in a file that does
    not parse (``tcrm check`` reports it)."""
    try:
        data = yamlio.load_fast(text, rel)
    except yamlio.YamlSyntaxError:
        return []
    entries = data.get(CONFLICTS_KEY) if isinstance(data, dict) else None
    return entries if isinstance(entries, list) else []


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
    out = []
    for i, entry in enumerate(_recorded(text, rel)):
        if isinstance(entry, Mapping) and entry.get("field"):
            field = str(entry["field"])
            mine, theirs, base = (
                reveal_value(ws, kind, field, entry.get(side), rel) for side in SIDE_VALUES
            )
            out.append(
                OpenConflict(
                    path=rel,
                    kind=kind,
                    id=record_id,
                    field=field,
                    mine=mine,
                    theirs=theirs,
                    base=base,
                    line=yamlio.line_of(text, (CONFLICTS_KEY, i)),
                    **{k: _text(entry.get(k)) for k in SIDE_KEYS},
                )
            )
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def list_conflicts(ws: Workspace) -> list[OpenConflict]:
    """Every unresolved conflict in the workspace, by file, and every reference to a
    record that was deleted (a ``git pull`` merges one file at a time, so it can keep a
    deal whose client the other side deleted): restoring that record fixes it."""
    out: list[OpenConflict] = []
    for kind, record_id, rel in _files(ws):
        out.extend(_entries(ws, kind, record_id, rel))
    out.extend(dangling_references(ws))
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
        out.extend(settings_conflicts(ws))
    for kind in RECORD_TYPES:
        if wanted is not None and not any(k == kind for k, _ in wanted):
            continue
        for record in candidates(ws, kind, present("conflicts")):
            if wanted is not None and (kind, record.id) not in wanted:
                continue
            path = ws.find_path(kind, record.id)
            if path is not None:
                out.extend(_entries(ws, kind, record.id, ws.rel(path)))
    return out


def settings_conflicts(ws: Workspace) -> list[OpenConflict]:
    """The unresolved conflicts recorded in ``tcrm.yaml``."""
    return _entries(ws, "settings", None, SETTINGS_FILE)


_REFERENCES = {
    "deal": {"client": "client"},
    "task": {"clients": "client", "deals": "deal"},
    "activity": {"clients": "client", "deals": "deal"},
}


def _missing_refs(ws: Workspace) -> list[tuple[str, str, str, str, str, str]]:
    """``(kind, id, path, field, target kind, target id)`` of each reference to a record
    that is not there."""
    ids = {kind: {rid for rid, _ in ws.rel_files(kind)} for kind in RECORD_TYPES}
    index = ws.index()
    suspects = set(index.dangling()) if index is not None else None
    out = []
    for kind, fields in _REFERENCES.items():
        for record_id, rel in ws.rel_files(kind):
            if suspects is not None and rel not in suspects:
                continue  # the index knows its references are all there
            try:
                data = yamlio.load_fast((ws.root / rel).read_bytes(), rel)
            except (yamlio.YamlSyntaxError, OSError):
                continue  # `tcrm check` reports the broken file
            if not isinstance(data, dict):
                continue
            for name, target in fields.items():
                value = data.get(name)
                refs = value if isinstance(value, list) else [value]
                for i, ref in enumerate(refs):
                    if isinstance(ref, str) and ref and ref not in ids[target]:
                        where = f"{name}[{i}]" if isinstance(value, list) else name
                        out.append((kind, record_id, rel, where, target, ref))
    return out


def _target_path(kind: str, record_id: str) -> str | None:
    try:
        check_id(record_id)
    except ValueError:
        return None
    return f"{RECORD_TYPES[kind].FOLDER}/{record_id}.yaml"


def deleted_versions(ws: Workspace, targets: list[tuple[str, str]]) -> dict[str, git.LastVersion]:
    """``{path: last version}`` of the records ``(kind, id)`` that history had (clients
    and deals live at ``FOLDER/ID.yaml``)."""
    paths = [p for p in (_target_path(k, i) for k, i in targets) if p]
    return git.last_versions(ws.root, paths)


def restore_hint(kind: str, record_id: str, version: git.LastVersion) -> str:
    """How ``tcrm check`` and ``tcrm conflicts`` name a deleted record and its fix."""
    who = version.commit
    return (
        f"{kind} {record_id} was deleted in {who.id[:7]} by {who.author} "
        f"({who.when.date().isoformat()}); restore it with "
        f"{Command(f'tcrm resolve {record_id} ', Field('restore'))}"
    )


def dangling_references(ws: Workspace) -> list[OpenConflict]:
    """References to deleted records that history can restore, one entry each."""
    missing = _missing_refs(ws)
    if not missing:
        return []
    versions = deleted_versions(ws, [(m[4], m[5]) for m in missing])
    out = []
    for kind, record_id, rel, where, target, ref in missing:
        path = _target_path(target, ref)
        version = versions.get(path or "")
        if path is None or version is None:
            continue  # never existed: `tcrm check` reports the unknown reference
        text = (ws.root / rel).read_text(encoding="utf-8")
        top = where.split("[")[0]
        line = yamlio.line_of(text, (top,))
        out.append(
            OpenConflict(
                path=rel,
                kind=kind,
                id=record_id,
                field=where,
                mine=ref,
                theirs=None,
                base=None,
                line=line,
                missing=path,
                fix=str(Command(f"tcrm resolve {ref} ", Field("restore"))),
            )
        )
    return out


def restore_deleted(ws: Workspace, *, ref: str) -> tuple[str, git.LastVersion, list[str]]:
    """``tcrm resolve ID --restore``: bring back a deleted client or deal that records
    still refer to, as it last was, in one commit. Returns ``(path, version, referrers)``."""
    ref = ref.strip()
    with ws.lock():
        missing = _missing_refs(ws)
        wanted = [(m[4], m[5]) for m in missing if ref in (m[5], _target_path(m[4], m[5]))]
        if not wanted:
            raise NotFoundError(
                f"no record refers to a deleted {ref!r}; nothing to restore "
                "(tcrm conflicts lists what can be)"
            )
        kinds = sorted({k for k, _ in wanted})
        if len(kinds) > 1:
            raise AmbiguousError(
                f"{ref!r} is a deleted client and a deleted deal; "
                f"name one: {', '.join(_target_path(k, ref) or '' for k in kinds)}"
            )
        kind, record_id = wanted[0]
        path = _target_path(kind, record_id)
        version = deleted_versions(ws, [(kind, record_id)]).get(path or "")
        if path is None or version is None:
            raise NotFoundError(f"{kind} {record_id!r} is in no commit of this workspace's history")
        text = version.data.decode("utf-8")
        try:
            parse_record(RECORD_TYPES[kind], yamlio.load_fast(text, path), record_id)
        except (ModelProblems, yamlio.YamlSyntaxError) as exc:
            raise ValidationError(
                [Problem(path, None, f"its last version is not valid: {exc}")]
            ) from None
        referrers = sorted({m[2] for m in missing if (m[4], m[5]) == (kind, record_id)})
        message = (
            f"{kind} {record_id}: restore (deleted in {version.commit.id[:7]}; "
            f"{', '.join(referrers)} refer{'s' if len(referrers) == 1 else ''} to it)"
        )
        with ws.transaction(message) as tx:
            tx.write_text(path, text)
        return path, version, referrers


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
    matchers: list[Callable[[str], bool]] = [
        lambda rid: rid == ref,
        lambda rid: rid.startswith(ref.lower()),
    ]
    for matcher in matchers:
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
            raise UsageError(f"{who!r} made {what} of {field} ({known}); write ", *TAKES)
        chosen[field] = (sides[0], None)
    return chosen


TAKES: tuple[Part, ...] = (
    *(Field("take"), " mine, ", Field("take"), " theirs or ", Field("take"), " FIELD=VALUE"),
)
"""The ways to say what to keep, as a refusal lists them."""


def _parse_take(
    take: list[str], fields: list[str], entries: list[Any] | None = None
) -> dict[str, tuple[str, str | None]]:
    """``{field: (choice, value text)}`` from ``--take`` options: ``mine``, ``theirs``, a
    person (their name or email, or a commit: the value they made), ``FIELD=VALUE``."""
    if not take:
        raise UsageError(
            "say what to keep: ",
            *(Field("take"), " mine, ", Field("take"), " theirs, ", Field("take"), " PERSON or "),
            *(Field("take"), f" FIELD=VALUE (conflicts in: {', '.join(fields)})"),
        )
    everything: str | None = None
    chosen: dict[str, tuple[str, str | None]] = {}
    by_person: dict[str, tuple[str, str | None]] = {}
    for item in take:
        text = item.strip()
        if text in SIDES:
            if everything and everything != text:
                raise UsageError(
                    Field("take"), " mine and ", Field("take"), " theirs contradict each other"
                )
            everything = text
            continue
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep and name and entries is not None:
            by_person.update(_take_person(name, entries))
            continue
        if not sep or not name:
            raise UsageError(f"{item!r}: write ", *TAKES)
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


def _moment_key(entry: Mapping[str, Any]) -> tuple[int, float]:
    try:
        moment = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        return (1, 0.0)
    return (0, aware(moment, UTC).timestamp())


def _newest_naming(history: list[dict[str, Any]], stage: Any) -> list[dict[str, Any]]:
    named = [e for e in history if e.get("stage") == stage]
    return [max(named, key=_moment_key)] if named and stage is not None else []


def _settle_history(
    data: dict[str, Any], entry: Mapping[str, Any], choice: str, value: Any, now: datetime
) -> list[dict[str, Any]]:
    """A deal's stage (or status) conflict settled: its ``stage_history`` ends with the kept
    move, the losing side's moves leave the record (git history keeps them). Returns the
    losing moves, whose stage tasks are cancelled in the same commit."""
    history = [dict(i) for i in data.get("stage_history") or [] if isinstance(i, Mapping)]
    mine_added = [dict(e) for e in entry.get("mine_history") or [] if isinstance(e, Mapping)]
    theirs_added = [dict(e) for e in entry.get("theirs_history") or [] if isinstance(e, Mapping)]
    name = entry.get("field")
    if "mine_history" not in entry and "theirs_history" not in entry and name == "stage":
        # recorded before each side's moves were kept: the newest entry naming each stage
        mine_added = _newest_naming(history, entry.get("mine"))
        theirs_added = _newest_naming(history, entry.get("theirs"))

    def without(items: list[dict[str, Any]], drop: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = {history_key(d) for d in drop}
        return [i for i in items if history_key(i) not in keys]

    if choice == "mine":
        lost = theirs_added
        history = without(history, lost)
    elif choice == "theirs":
        lost = mine_added
        history = without(history, lost)
        history += without(theirs_added, history)
    else:
        lost = mine_added + theirs_added
        history = without(history, lost)
        if name == "stage" and value:
            at = now.replace(second=0, microsecond=0).isoformat(timespec="minutes")
            history.append({"at": at, "stage": value})
    history.sort(key=_moment_key)
    if history:
        data["stage_history"] = history
    else:
        data.pop("stage_history", None)
    return lost


def resolve_conflicts(
    ws: Workspace, *, ref: str, take: list[str], now: datetime | None = None
) -> ResolveResult:
    """``tcrm resolve``: settle conflicts of one record (or ``tcrm.yaml``) in one commit.

    ``mine`` keeps the record's value, ``theirs`` takes the other side's, a person (name,
    email or commit) takes the value they made, ``FIELD=VALUE`` sets a value of your own
    (``FIELD=`` unsets it). The result must be valid for its
    model and the workspace rules, or nothing is written.
    ``mine`` keeps the record's value, ``theirs`` takes the other side's, ``FIELD=VALUE``
    sets a value of your own (``FIELD=`` unsets it). The result must be valid for its
    model and the workspace rules, or nothing is written. A deal's stage (or status)
    settled this way leaves its history ending with the kept move, and the open tasks the
    losing move created are cancelled in the same commit. ``now`` dates a stage of your
    own.
    """
    now = now or datetime.now(UTC)
    lost_moves: list[dict[str, Any]] = []
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
            if kind == "deal" and name in ("stage", "status"):
                lost_moves += _settle_history(data, entry, choice, value, now)
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
            if lost_moves and record_id is not None:
                from tcrm.services.deals import cancel_stage_tasks

                deal = parse_record(Deal, data, record_id)
                for move in lost_moves:
                    try:
                        entered = datetime.fromisoformat(str(move.get("at")))
                    except ValueError:
                        continue
                    cancel_stage_tasks(
                        ws, tx, deal=deal, stage=str(move.get("stage")), entered=entered
                    )
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
    "dangling_references",
    "deleted_versions",
    "describe",
    "list_conflicts",
    "masked",
    "open_conflicts",
    "resolve_conflicts",
    "restore_deleted",
    "restore_hint",
    "settings_problems",
]
