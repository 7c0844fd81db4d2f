"""Git history as the audit log: who changed which field from what to what, and undo.

Every change made through tcrm is one commit, so the log of a record's file *is* its
audit trail; this module reads it through the git module and explains each commit field
by field (:func:`tcrm.model.merge.diff_fields`). It follows a record across renames: a
file moved (an activity whose year changed) and a record a sync moved to a fresh id
(the merge commit's ``Renamed:`` lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tcrm.errors import AmbiguousError, NotFoundError, RuleError, UsageError
from tcrm.model.merge import FieldChange, diff_fields, same
from tcrm.model.records import RECORD_TYPES
from tcrm.model.types import check_id
from tcrm.model.when import WhenError, parse_when
from tcrm.services.merging import RENAMED_PREFIX, id_of, kind_of
from tcrm.services.records import local_now, resolve
from tcrm.store import git, yamlio
from tcrm.store.workspace import LOCAL_DIR, SETTINGS_FILE, Workspace

REVERTS = re.compile(r"^This reverts commit ([0-9a-f]{40})\.?$", re.MULTILINE)
TCRM_SUBJECT = re.compile(r"^[a-z][a-z-]*(?: [^\s:]+)?: \S")
"""What tcrm's commit messages look like: ``deal acme-website: ...``, ``sync: ...``."""


def readable(value: Any) -> str:
    """A field's value as a person reads it, whole and on one line: a list as ``a, b``, a
    mapping as ``key value, key value`` (``at 2026-11-10T09:15+00:00, stage proposal``)."""
    if value is None:
        return "(none)"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {readable(v)}" for k, v in value.items() if v not in (None, []))
    if isinstance(value, list):
        if not value:
            return "(empty)"
        glue = " | " if any(isinstance(v, Mapping | list) for v in value) else ", "
        return glue.join(readable(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())


def change_text(change: FieldChange, arrow: str = "->") -> str:
    """``stage: qualified -> proposal``: one field's change, for people."""
    return f"{change.field}: {readable(change.old)} {arrow} {readable(change.new)}"


@dataclass(frozen=True)
class HistoryEntry:
    """One commit's change to one record file."""

    commit: str
    author: str
    email: str
    when: datetime
    message: str
    path: str
    kind: str
    id: str | None
    action: str
    """add, change, delete or rename."""
    old_path: str | None
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


def _parse(data: bytes | None, path: str) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        parsed = yamlio.load_fast(data, path)
    except yamlio.YamlSyntaxError:
        return {"(invalid YAML)": data.decode("utf-8", "replace")}
    return parsed if isinstance(parsed, dict) else {"(not a mapping)": parsed}


def _renames_in(message: str) -> list[tuple[str, str]]:
    out = []
    for line in message.splitlines():
        if line.startswith(RENAMED_PREFIX) and " -> " in line:
            old, new = line[len(RENAMED_PREFIX) :].split(" -> ", 1)
            out.append((old.strip(), new.strip()))
    return out


def _path_of(change: git.FileChange) -> str:
    """The path a change is known by: the new one, or the old one of a deletion."""
    path = change.new_path or change.old_path
    if path is None:  # dulwich never reports a change with neither
        raise ValueError("a file change without a path")
    return path


def _tracked(path: str | None) -> bool:
    return path is not None and kind_of(path) is not None


def _changes(ws: Workspace, commit: str, parent: str | None) -> list[git.FileChange]:
    """The files a commit changed, a record deleted in one folder and added in another
    (an activity whose year changed) paired as one move: ids never change."""
    changes = git.file_changes(ws.root, commit, parent)
    added = {
        (kind_of(c.new_path), id_of(c.new_path)): c
        for c in changes
        if c.old_path is None and c.new_path is not None and _tracked(c.new_path)
    }
    out = []
    for change in changes:
        old = change.old_path
        if change.new_path is None and old is not None and _tracked(old):
            key = (kind_of(old), id_of(old))
            partner = added.pop(key, None)
            if partner is not None:
                out.append(
                    git.FileChange(
                        change.old_path, partner.new_path, change.old_blob, partner.new_blob
                    )
                )
                continue
        out.append(change)
    moved = {c.new_path for c in out if c.old_path and c.new_path and c.old_path != c.new_path}
    return [c for c in out if not (c.old_path is None and c.new_path in moved)]


def _entry(
    info: git.CommitInfo, old: str | None, new: str | None, changes: list[FieldChange]
) -> HistoryEntry:
    path = new or old
    assert path is not None
    action = "add" if old is None else "delete" if new is None else "change"
    if old and new and old != new:
        action = "rename"
    kind = kind_of(path) or "file"
    return HistoryEntry(
        commit=info.id,
        author=info.author,
        email=info.email,
        when=info.when,
        message=info.message,
        path=path,
        kind=kind,
        id=None if kind == "settings" else id_of(path),
        action=action,
        old_path=old if old != new else None,
        changes=changes,
    )


class _Walk:
    """The commits of HEAD, children first, with the paths a record had in each."""

    def __init__(self, ws: Workspace, paths: set[str] | None) -> None:
        self.ws = ws
        self.commits = git.commits(ws.root)
        self.follow = paths
        self.blobs: dict[str, bytes] = {}

    def read(self, blob: str | None) -> bytes | None:
        if blob is None:
            return None
        if blob not in self.blobs:
            self.blobs.update(git.read_blobs(self.ws.root, [blob]))
        return self.blobs[blob]

    def entries(self) -> Iterable[HistoryEntry]:
        followed: dict[str, set[str]] = {}
        if self.commits and self.follow is not None:
            followed[self.commits[0].id] = set(self.follow)
        for info in self.commits:
            paths = followed.get(info.id, set()) if self.follow is not None else None
            if paths is not None and not paths:
                continue
            if len(info.parents) > 1:
                yield from self._merge(info, paths, followed)
            else:
                yield from self._single(info, paths, followed)

    def _single(
        self, info: git.CommitInfo, paths: set[str] | None, followed: dict[str, set[str]]
    ) -> Iterable[HistoryEntry]:
        parent = info.parents[0] if info.parents else None
        changes = _changes(self.ws, info.id, parent)
        carried = set(paths) if paths is not None else None
        for change in changes:
            old, new = change.old_path, change.new_path
            if not (_tracked(old) or _tracked(new)):
                continue
            if paths is not None:
                if not ((new and new in paths) or (new is None and old in paths)):
                    continue
                if carried is not None and old and new and old != new:
                    carried.discard(new)
                    carried.add(old)
            before = _parse(self.read(change.old_blob), old or "")
            after = _parse(self.read(change.new_blob), new or "")
            yield _entry(info, old, new, diff_fields(before, after))
        if parent and carried is not None:
            followed.setdefault(parent, set()).update(carried)

    def _merge(
        self, info: git.CommitInfo, paths: set[str] | None, followed: dict[str, set[str]]
    ) -> Iterable[HistoryEntry]:
        """A merge shows only what it made itself: values that differ from every parent
        (a recorded conflict, a rename), not the changes it brought in."""
        per_parent = [{_path_of(c): c for c in _changes(self.ws, info.id, p)} for p in info.parents]
        renames = _renames_in(info.message)
        common = set(per_parent[0]).intersection(*per_parent[1:])
        for path in sorted(common):
            if not _tracked(path) or (paths is not None and path not in paths):
                continue
            first = per_parent[0][path]
            after = _parse(self.read(first.new_blob), path)
            diffs = [
                diff_fields(_parse(self.read(changes[path].old_blob), path), after)
                for changes in per_parent
            ]
            others = [{c.field: c for c in d} for d in diffs[1:]]
            made = [c for c in diffs[0] if all(c.field in o for o in others)]
            if made or (first.old_blob is None and first.new_blob is not None):
                old = first.old_path if first.old_blob else None
                yield _entry(info, old, first.new_path, made)
        if paths is None:
            return
        for index, parent in enumerate(info.parents):
            carried = set(paths)
            for old, new in renames:  # ours moved from old to new; theirs kept old
                if index == 0 and new in carried:
                    carried.discard(new)
                    carried.add(old)
                elif index == 0:
                    carried.discard(old)  # our old file was another record
                else:
                    carried.discard(new)
            followed.setdefault(parent, set()).update(carried)


def _record_paths(ws: Workspace, ref: str) -> set[str]:
    """The file(s) ``ref`` names now, or, for a deleted record, named last."""
    ref = ref.strip()
    if not ref:
        raise UsageError("empty reference")
    if ref in ("settings", SETTINGS_FILE):
        return {SETTINGS_FILE}
    if "/" in ref or ref.endswith(".yaml"):
        rel = ref.removeprefix("./")
        if kind_of(rel) is None:
            raise UsageError(f"{ref!r} is not a record file or {SETTINGS_FILE}")
        return {rel}
    exact = {ws.rel(p) for kind in RECORD_TYPES if (p := _exact(ws, kind, ref)) is not None}
    if len(exact) == 1:
        return exact
    if exact:
        raise AmbiguousError(
            f"{ref!r} names {', '.join(sorted(exact))}; give the path, e.g. {sorted(exact)[0]}"
        )
    for info in git.commits(ws.root) if _id_shaped(ref) else []:  # deleted: its last path
        parent = info.parents[0] if info.parents else None
        for change in _changes(ws, info.id, parent):
            for path in (change.old_path, change.new_path):
                if path and _tracked(path) and id_of(path) == ref:
                    return {path}
    found: dict[str, str] = {}
    for kind in RECORD_TYPES:  # a unique prefix or an exact name
        try:
            record = resolve(ws, kind, ref)
        except (NotFoundError, AmbiguousError):
            continue
        file = ws.find_path(kind, record.id)
        if file is not None:
            found[ws.rel(file)] = record.id
    if len(found) == 1:
        return set(found)
    if found:
        raise AmbiguousError(
            f"{ref!r} matches {', '.join(sorted(found))}; give the path, e.g. {sorted(found)[0]}"
        )
    raise NotFoundError(f"no record matches {ref!r}, now or in the history")


def _id_shaped(ref: str) -> bool:
    try:
        check_id(ref)
    except ValueError:
        return False
    return True


def _exact(ws: Workspace, kind: str, ref: str) -> Path | None:
    try:
        return ws.find_path(kind, ref)
    except ValueError:
        return None


def _since(text: str, now: datetime, order: str) -> datetime:
    try:
        when = parse_when(text, now, order)
    except WhenError as exc:
        raise UsageError(str(exc), field="since") from None
    if not isinstance(when, datetime):
        when = datetime.combine(when, time(0), now.tzinfo)
    return when


def _wanted(change: FieldChange, name: str) -> bool:
    return change.field == name or change.field.startswith((f"{name}.", f"{name}["))


def history(
    ws: Workspace,
    *,
    ref: str | None = None,
    field: str | None = None,
    since: str | None = None,
    author: str | None = None,
    now: datetime | None = None,
) -> list[HistoryEntry]:
    """``tcrm history``: the changes to one record (or all records), newest first.

    ``field`` keeps only changes to that field (``stage``, ``contacts``...); ``since``
    is a date as the CLI reads them; ``author`` matches a name or email, any case.
    """
    now = local_now(ws, now)
    paths = _record_paths(ws, ref) if ref else None
    start = _since(since, now, ws.settings.date_order) if since else None
    who = author.casefold() if author else None
    zone = ZoneInfo(ws.settings.timezone)
    out = []
    for entry in _Walk(ws, paths).entries():
        if start and entry.when < start:
            continue
        if who and who not in entry.author.casefold() and who not in entry.email.casefold():
            continue
        if field:
            changes = [c for c in entry.changes if _wanted(c, field)]
            if not changes:
                continue
            entry = _replace(entry, changes=changes)
        out.append(_replace(entry, when=entry.when.astimezone(zone)))
    return out


def _replace(entry: HistoryEntry, **changes: Any) -> HistoryEntry:
    from dataclasses import replace

    return replace(entry, **changes)


# --- undo ---------------------------------------------------------------------------------


@dataclass
class UndoResult:
    """What ``tcrm undo`` reverted (or, with ``dry_run``, would revert)."""

    undone: git.CommitInfo
    message: str
    entries: list[HistoryEntry]
    """Per file: the changes the undo makes (from the current content to the restored)."""
    commit: str | None = None
    dry_run: bool = False


def _undone(commits: list[git.CommitInfo]) -> dict[str, git.CommitInfo]:
    """``{reverted commit: the undo that reverted it}``, from ``This reverts commit`` lines."""
    out: dict[str, git.CommitInfo] = {}
    for info in commits:
        for reverted in REVERTS.findall(info.message):
            out.setdefault(reverted, info)
    return out


def _mine(info: git.CommitInfo, me: str) -> bool:
    return info.email.casefold() == me.casefold()


def _last_change(commits: list[git.CommitInfo], me: str) -> git.CommitInfo:
    """My newest change that no undo reverted, wherever it sits in the history (a
    teammate's commits and sync merges may have come after it); undos and merges are not
    changes to undo."""
    undone = _undone(commits)
    for info in commits:
        if not _mine(info, me) or len(info.parents) > 1:
            continue
        if REVERTS.search(info.message) or info.id in undone:
            continue
        return info
    changes = [c for c in commits if len(c.parents) <= 1 and not REVERTS.search(c.message)]
    newest = next((c for c in changes if c.id not in undone), None)
    if newest is None or not newest.parents:
        raise RuleError("nothing to undo")
    raise RuleError(
        f"nothing of yours to undo: the last change ({newest.subject!r}) was made by "
        f"{newest.author}, not you; tcrm undo only undoes your own changes (to revert it "
        f"anyway: `git revert {newest.id[:8]}`)"
    )


def _chosen(commits: list[git.CommitInfo], ref: str, me: str) -> git.CommitInfo:
    """``tcrm undo COMMIT``: one of my changes, named by its id or a prefix of it."""
    text = ref.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{4,40}", text):
        raise UsageError(f"{ref!r} is not a commit id (4 to 40 hex digits; see tcrm history)")
    found = [c for c in commits if c.id.startswith(text)]
    if not found:
        raise NotFoundError(f"no commit {ref!r} in this workspace's history (see tcrm history)")
    if len(found) > 1:
        raise AmbiguousError(f"{ref!r} names several commits; give more digits")
    info = found[0]
    undo = _undone(commits).get(info.id)
    if undo is not None:
        raise RuleError(
            f"{info.id[:8]} ({info.subject!r}) is already undone by {undo.id[:8]} "
            f"({undo.subject!r})"
        )
    if len(info.parents) > 1:
        raise RuleError(
            f"{info.id[:8]} is a sync ({info.subject!r}); tcrm undo does not undo syncs, as "
            "that would hide your teammates' changes: change the records back instead"
        )
    if info.parents and not _mine(info, me):
        raise RuleError(
            f"{info.id[:8]} ({info.subject!r}) was made by {info.author}, not you; tcrm "
            f"undo only undoes your own changes (to revert it anyway: `git revert {info.id[:8]}`)"
        )
    return info


def _check_undoable(info: git.CommitInfo) -> None:
    subject = info.subject
    if not info.parents:
        raise RuleError(
            f"nothing to undo: the last change is {subject!r}, which made the workspace"
        )
    if not TCRM_SUBJECT.match(subject):
        raise RuleError(
            f"the last commit ({info.id[:8]} {subject!r}) was not made by tcrm; "
            f"use `git revert {info.id[:8]}`"
        )


def _later_change(
    ws: Workspace, commits: list[git.CommitInfo], info: git.CommitInfo, path: str
) -> git.CommitInfo | None:
    """The newest commit after ``info`` (its descendants up to HEAD) that changed ``path``:
    a teammate's change, a sync merge's, or one of mine."""
    later: set[str] = {info.id}
    for commit in reversed(commits):  # parents before children
        if any(p in later for p in commit.parents):
            later.add(commit.id)
    later.discard(info.id)
    for commit in commits:  # children first: the newest that touched it
        if commit.id not in later:
            continue
        for parent in commit.parents[:1] or [None]:
            changes = git.file_changes(ws.root, commit.id, parent)
            if any(path in (c.old_path, c.new_path) for c in changes):
                return commit
    return None


def _refuse_later(
    ws: Workspace, commits: list[git.CommitInfo], info: git.CommitInfo, path: str
) -> None:
    later = _later_change(ws, commits, info, path)
    by = f"by {later.id[:8]} ({later.author}: {later.subject!r})" if later is not None else "since"
    raise RuleError(
        f"{path} was changed {by} after {info.id[:8]} ({info.subject!r}); undoing it would "
        "undo that change too: edit the record instead"
    )


def _undo_message(info: git.CommitInfo) -> str:
    """``deal acme-website: undo proposal -> negotiation``, and git revert's trailer line."""
    match = re.match(r"^((\S+) (\S+)): (.*)$", info.subject)
    if match and match.group(2) in RECORD_TYPES:
        subject = f"{match.group(1)}: undo {match.group(4)}"
    else:
        subject = f"undo: {info.subject}"
    return f"{subject}\n\nThis reverts commit {info.id}.\n"


def undo(ws: Workspace, *, commit: str | None = None, dry_run: bool = False) -> UndoResult:
    """``tcrm undo [COMMIT]``: revert my last change made through tcrm (or the one named),
    as a new commit.

    History is never rewritten (it may be pushed already). Teammates' commits and sync
    merges that came after it do not stand in the way, unless one of them changed a file
    my change touched and left it different from what my change wrote: then the refusal
    names that commit. Repeated undos walk back one of my changes each. Refuses with
    uncommitted changes, for a teammate's change or a sync merge named by ``commit``.
    """
    root = ws.root
    with ws.lock():
        changed, _ = git.dirty(root)
        changed = [p for p in changed if not p.startswith(f"{LOCAL_DIR}/")]
        if changed:
            more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
            raise RuleError(
                f"{changed[0]}{more} has uncommitted changes; undo only reverts commits: "
                "commit or discard them first"
            )
        me = git.identity(root).email
        commits = git.commits(root)
        info = _chosen(commits, commit, me) if commit else _last_change(commits, me)
        _check_undoable(info)
        now_files = git.tree_files(root, git.head(root))
        blobs: dict[str, bytes] = {}

        def read(blob: str | None) -> bytes | None:
            if blob is None:
                return None
            if blob not in blobs:
                blobs.update(git.read_blobs(root, [blob]))
            return blobs[blob]

        restore: dict[str, bytes | None] = {}
        for change in _changes(ws, info.id, info.parents[0]):
            new, old = change.new_path, change.old_path
            if new is not None:
                if now_files.get(new) != change.new_blob:
                    _refuse_later(ws, commits, info, new)
                restore[new] = None
            if old is not None:
                if new != old and old in now_files:
                    _refuse_later(ws, commits, info, old)
                restore[old] = read(change.old_blob)
        message = _undo_message(info)
        entries = []
        for path, data in sorted(restore.items()):
            current = read(now_files.get(path))
            if same(current, data):
                continue
            fake = git.CommitInfo("", (), info.author, info.email, info.when, message)
            entries.append(
                _entry(
                    fake,
                    path if current is not None else None,
                    path if data is not None else None,
                    diff_fields(_parse(current, path), _parse(data, path)),
                )
            )
        result = UndoResult(undone=info, message=message, entries=entries, dry_run=dry_run)
        if dry_run:
            return result
        with ws.transaction(message.rstrip("\n")) as tx:
            for path, data in restore.items():
                if data is not None:
                    tx.write_text(path, data.decode("utf-8"))
                else:
                    _delete(tx, ws, path)
        result.commit = tx.commit_id
        return result


def _delete(tx: Any, ws: Workspace, path: str) -> None:
    kind = kind_of(path)
    if kind and kind != "settings" and ws.find_path(kind, id_of(path)) == ws.root / path:
        tx.delete(kind, id_of(path))
    else:
        raise RuleError(f"cannot undo: it would delete {path}, which is not a record")


__all__ = ["HistoryEntry", "UndoResult", "history", "undo"]
