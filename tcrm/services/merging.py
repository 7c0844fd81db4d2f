"""Merging records: one file's three versions (field by field, conflicts kept in the file),
two trees (renames, restored references), and the git merge driver that lets a plain
``git pull`` merge the same way.

A teammate's work is never lost: two versions of a record merge field by field
(:func:`tcrm.model.merge.merge_record`); the same field changed to two different values
keeps *mine* and is recorded in the file under ``conflicts:`` (``tcrm conflicts``,
``tcrm resolve``), so every file stays valid YAML and valid for its model; a record
created on both sides under the same id keeps theirs at the id and moves ours to a fresh
id, updating our references to it; a record deleted on one side and changed on the
other is kept. ``tcrm.services.sync`` fetches, merges with these and pushes.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pydantic

from tcrm.errors import GitError
from tcrm.model.merge import (
    CONFLICTS_KEY,
    MISSING,
    Conflict,
    get_path,
    merge_lines,
    merge_record,
    parse_path,
    same,
    with_conflicts,
)
from tcrm.model.records import RECORD_TYPES
from tcrm.model.settings import Settings
from tcrm.model.types import check_id
from tcrm.model.validate import ModelProblems, parse_record
from tcrm.services import routing
from tcrm.store import driver, files, git, yamlcomments, yamlio
from tcrm.store.driver import ATTRIBUTES, ATTRIBUTES_HEADER
from tcrm.store.workspace import SETTINGS_FILE

FOLDER_KINDS = {cls.FOLDER: kind for kind, cls in RECORD_TYPES.items()}
SETTINGS_KIND = "settings"

RENAMED_PREFIX = "Renamed: "
"""Merge commit body lines ``Renamed: OLD -> NEW``: how history follows a moved record."""

RESTORED_PREFIX = "Restored: "
"""Merge commit body lines ``Restored: PATH (REFERRER refers to it)``: a record one side
deleted that the merged workspace still needs."""


def kind_of(path: str) -> str | None:
    """``client`` for ``clients/acme.yaml``, ``settings`` for ``tcrm.yaml``, else None."""
    if path == SETTINGS_FILE:
        return SETTINGS_KIND
    parts = PurePosixPath(path).parts
    if not parts or not path.endswith(".yaml") or parts[-1].startswith("."):
        return None
    kind = FOLDER_KINDS.get(parts[0])
    expected = 3 if kind == "activity" else 2
    return kind if kind and len(parts) == expected else None


def id_of(path: str) -> str:
    return PurePosixPath(path).stem


# --- merging one file --------------------------------------------------------------------


@dataclass
class FileMerge:
    """The merged bytes of one file, and what a person should know about it."""

    data: bytes
    conflicts: list[Conflict] = field(default_factory=list)
    merged: bool = True
    """False when the file could not be merged and *mine* was kept as it was."""
    note: str | None = None
    sides: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per conflicting field, who made each value: ``mine_by``, ``mine_commit``,
    ``theirs_by``, ``theirs_commit`` (as written into its entry)."""


Sides = Callable[[list[str]], dict[str, dict[str, str]]]
"""Given the fields in conflict in one file, who made each side's value."""


def _parse(text: bytes | None, path: str) -> dict[str, Any] | None:
    if text is None or not text.strip():
        return None
    data = yamlio.load_fast(text, path)
    if not isinstance(data, dict):
        raise yamlio.YamlSyntaxError(f"{path}: not a mapping of fields")
    return data


def _valid(kind: str, path: str, data: dict[str, Any]) -> bool:
    try:
        if kind == SETTINGS_KIND:
            Settings.model_validate(data)
        else:
            parse_record(RECORD_TYPES[kind], data, id_of(path))
    except (ModelProblems, pydantic.ValidationError, ValueError):
        return False
    return True


def _keep_mine(
    base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> tuple[dict[str, Any], list[Conflict]]:
    """The fallback when a field-by-field result breaks the model (e.g. won without an
    amount): keep mine whole and record every field theirs changed as a conflict."""
    conflicts = []
    for key in [k for k in {**mine, **theirs} if k != CONFLICTS_KEY]:
        b, m, t = (d.get(key, MISSING) for d in (base, mine, theirs))
        if not same(t, b) and not same(t, m):
            none = (None if v is MISSING else v for v in (m, t, b))
            conflicts.append(Conflict(key, *none))
    held = mine.get(CONFLICTS_KEY)
    recorded = held if isinstance(held, list) else []
    return with_conflicts(mine, list(recorded), conflicts), conflicts


def _name_sides(
    data: dict[str, Any], conflicts: list[Conflict], sides: Sides | None
) -> dict[str, Any]:
    """Write who made each value into the entries of the fresh ``conflicts``."""
    if sides is None or not conflicts:
        return {}
    found = sides([c.field for c in conflicts])
    fresh = {c.field for c in conflicts}
    for entry in data.get(CONFLICTS_KEY) or []:
        if isinstance(entry, dict) and entry.get("field") in fresh:
            entry.update(found.get(str(entry["field"]), {}))
    return found


def merge_file(
    path: str, base: bytes | None, mine: bytes, theirs: bytes, sides: Sides | None = None
) -> FileMerge:
    """Merge two versions of the file at ``path`` that both changed since ``base``.

    Records and ``tcrm.yaml`` merge field by field onto *my* text, so comments and keys
    added by hand survive; other text files merge line by line. When a file cannot be
    merged (it is not valid YAML, or both sides changed the same lines of a text file)
    mine is kept unchanged and ``merged`` is False. ``sides`` names who made each value
    of a conflict, in its entry.
    """
    kind = kind_of(path)
    if path == routing.STATE_FILE:  # round-robin turns: the larger count of each rule
        return FileMerge(routing.merge_counts(mine, theirs))
    if kind is None:
        return _merge_text(path, base, mine, theirs)
    try:
        b, m, t = (_parse(x, path) for x in (base, mine, theirs))
        mine_text = mine.decode("utf-8")
    except (yamlio.YamlSyntaxError, UnicodeDecodeError) as exc:
        return FileMerge(mine, merged=False, note=f"{path}: could not merge ({exc}); kept yours")
    if m is None or t is None:
        return FileMerge(mine, merged=False, note=f"{path}: one side is empty; kept yours")
    result = merge_record(b, m, t)
    data, conflicts = result.data, result.conflicts
    if not _valid(kind, path, data) and _valid(kind, path, m):
        data, conflicts = _keep_mine(b or {}, m, t)
    named = _name_sides(data, conflicts, sides)
    owned = frozenset(m) | frozenset(data)
    text = yamlio.edit_text(mine_text, _model_order(kind, data), owned, path)
    text = _with_comments(text, base, mine_text, theirs, path)
    return FileMerge(text.encode("utf-8"), conflicts, sides=named)


def _field_changed(path: str, name: str) -> Callable[[bytes | None, bytes | None], bool]:
    """Whether two versions of the file at ``path`` hold different values of ``name``."""
    try:
        segments = parse_path(name)
    except ValueError:
        return lambda _old, _new: True

    def value(text: bytes | None) -> Any:
        try:
            data = _parse(text, path)
        except (yamlio.YamlSyntaxError, UnicodeDecodeError):
            return MISSING
        return MISSING if data is None else get_path(data, segments)

    return lambda old, new: not same(value(old), value(new))


def conflict_sides(
    root: Path, base: str | None, ours: str, theirs: str, path: str, fields: list[str]
) -> dict[str, dict[str, str]]:
    """Who made each side's value of ``fields`` in ``path``: per side (our ``ours``, their
    ``theirs``), the newest commit since ``base`` that changed that field (else the file),
    as ``{field: {mine_by, mine_commit, theirs_by, theirs_commit}}``."""
    exclude = [base] if base else []
    out: dict[str, dict[str, str]] = {}
    for name in fields:
        changed = _field_changed(path, name)
        named: dict[str, str] = {}
        for side, head in (("mine", ours), ("theirs", theirs)):
            info = git.last_change(root, head, exclude, path, changed) or git.last_change(
                root, head, exclude, path, lambda _old, _new: True
            )
            if info is not None:
                named[f"{side}_by"] = f"{info.author} <{info.email}>"
                named[f"{side}_commit"] = info.id
        out[name] = named
    return out


def _with_comments(text: str, base: bytes | None, mine: str, theirs: bytes, path: str) -> str:
    """The merged ``text`` (written onto mine) with both sides' comments, merged."""
    try:
        data = yamlio.load_fast(text, path)
        return yamlcomments.merge_comments(
            text,
            base.decode("utf-8") if base else None,
            mine,
            theirs.decode("utf-8"),
            check=lambda out: yamlio.load_fast(out, path) == data,
        )
    except (yamlio.YamlSyntaxError, UnicodeDecodeError):
        return text


def _model_order(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The model's key order (the files' fixed order); a key added by hand stays after
    the key it follows."""
    model = Settings if kind == SETTINGS_KIND else RECORD_TYPES[kind]
    rank = {name: float(i) for i, name in enumerate(model.model_fields)}
    ranked: list[tuple[float, int, str]] = []
    previous = -1.0
    for position, key in enumerate(data):
        previous = rank.get(key, previous)
        ranked.append((previous if key in rank else previous + 0.5, position, key))
    return {key: data[key] for _, _, key in sorted(ranked)}


def _merge_text(path: str, base: bytes | None, mine: bytes, theirs: bytes) -> FileMerge:
    try:
        lines = [x.decode("utf-8").splitlines(keepends=True) for x in (base or b"", mine, theirs)]
    except UnicodeDecodeError:
        return FileMerge(mine, merged=False, note=f"{path}: binary file changed on both sides")
    merged = merge_lines(*lines)
    if merged is None:
        return FileMerge(
            mine, merged=False, note=f"{path}: both sides changed the same lines; kept yours"
        )
    return FileMerge("".join(merged).encode("utf-8"))


# --- merging two trees -------------------------------------------------------------------


@dataclass(frozen=True)
class FileConflict:
    """A conflict recorded in a file by a merge."""

    path: str
    field: str
    mine: Any
    theirs: Any
    sides: tuple[tuple[str, str], ...] = ()
    """Who made each value (``mine_by``, ``mine_commit``, ``theirs_by``, ``theirs_commit``)."""


@dataclass
class TreeMerge:
    """What merging theirs into ours changes in our working tree."""

    writes: dict[str, bytes | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    conflicts: list[FileConflict] = field(default_factory=list)
    renames: list[tuple[str, str]] = field(default_factory=list)
    restored: list[tuple[str, str]] = field(default_factory=list)
    """``(record restored, the file that refers to it)``: deleted on a side, still needed."""


def _fresh_path(path: str, taken: set[str]) -> str:
    """``clients/acme-2.yaml``: the first free id of the same kind, in the same folder."""
    folder, stem = str(PurePosixPath(path).parent), id_of(path)
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = stem[: 64 - len(suffix)].rstrip("-._") + suffix
        if candidate not in taken:
            check_id(candidate)
            return f"{folder}/{candidate}.yaml"
        n += 1


_REFERENCE_FIELDS = {
    "deal": {"client": "client"},
    "task": {"clients": "client", "deals": "deal"},
    "activity": {"clients": "client", "deals": "deal"},
}


def _rewrite_references(path: str, text: bytes, renamed: dict[str, dict[str, str]]) -> bytes:
    """``text`` with references to renamed ids replaced (comments kept)."""
    kind = kind_of(path)
    fields = _REFERENCE_FIELDS.get(kind or "")
    if not fields:
        return text
    try:
        data = _parse(text, path)
    except yamlio.YamlSyntaxError:
        return text
    if not data:
        return text
    changed = False
    for name, target in fields.items():
        mapping = renamed.get(target, {})
        value = data.get(name)
        if isinstance(value, str) and value in mapping:
            data[name] = mapping[value]
            changed = True
        elif isinstance(value, list) and any(v in mapping for v in value if isinstance(v, str)):
            data[name] = [mapping.get(v, v) if isinstance(v, str) else v for v in value]
            changed = True
    if not changed:
        return text
    return yamlio.edit_text(text.decode("utf-8"), data, frozenset(data), path).encode("utf-8")


def merge_trees(
    base: Mapping[str, str],
    ours: Mapping[str, str],
    theirs: Mapping[str, str],
    read: Callable[[str], bytes],
    sides: Callable[[str, list[str]], dict[str, dict[str, str]]] | None = None,
) -> TreeMerge:
    """Merge theirs into ours (``{path: blob id}`` each) file by file.

    ``read(blob_id)`` gives a blob's bytes; ``sides(path, fields)`` who made the values
    in conflict (see :func:`conflict_sides`). The result lists the files to write (or,
    for ``None``, delete) in our working tree.
    """
    out = TreeMerge()
    paths = sorted(set(base) | set(ours) | set(theirs))
    mine: dict[str, bytes | None] = {p: read(ours[p]) if p in ours else None for p in paths}

    # Both sides created a record under the same id: theirs keeps it, ours moves.
    renamed: dict[str, dict[str, str]] = {}
    moved: dict[str, str] = {}
    taken: dict[str, set[str]] = {}
    for p in paths:
        kind = kind_of(p)
        if kind and kind != SETTINGS_KIND:
            taken.setdefault(kind, set()).add(id_of(p))
    for p in paths:
        kind = kind_of(p)
        if not kind or kind == SETTINGS_KIND or p in base or p not in ours or p not in theirs:
            continue
        if ours[p] == theirs[p] or _same_data(p, mine[p], read(theirs[p])):
            continue
        new_path = _fresh_path(p, taken[kind])
        taken[kind].add(id_of(new_path))
        renamed.setdefault(kind, {})[id_of(p)] = id_of(new_path)
        moved[p] = new_path
    # Our new or changed records follow the renames of ours.
    if renamed:
        for p in paths:
            text = mine[p]
            if text is not None and (p not in base or base[p] != ours[p]):
                mine[p] = _rewrite_references(p, text, renamed)

    for p in paths:
        b, o, t = base.get(p), ours.get(p), theirs.get(p)
        current = read(o) if o else None
        if p in moved:
            new_path = moved[p]
            out.writes[new_path] = mine[p]
            out.writes[p] = read(t) if t else None
            out.renames.append((p, new_path))
            out.notes.append(
                f"{p}: both sides created {kind_of(p)} {id_of(p)!r}; kept theirs there, "
                f"yours is now {id_of(new_path)!r} ({new_path})"
            )
            continue
        named = (lambda fields, p=p: sides(p, fields)) if sides else None
        result = _merge_path(p, b, o, t, mine[p], read, out, named)
        if result != current:
            out.writes[p] = result
    _keep_referenced(base, ours, theirs, read, out)
    return out


def _referenced(path: str, text: bytes) -> list[str]:
    """The record files ``text`` refers to (a deal's client, a task's clients and deals)."""
    fields = _REFERENCE_FIELDS.get(kind_of(path) or "")
    if not fields:
        return []
    try:
        data = _parse(text, path)
    except yamlio.YamlSyntaxError:
        return []
    out = []
    for name, target in fields.items():
        value = (data or {}).get(name)
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, str) and ref and "/" not in ref and not ref.startswith("."):
                out.append(f"{RECORD_TYPES[target].FOLDER}/{ref}.yaml")
    return out


def _keep_referenced(
    base: Mapping[str, str],
    ours: Mapping[str, str],
    theirs: Mapping[str, str],
    read: Callable[[str], bytes],
    out: TreeMerge,
) -> None:
    """Restore a record one side deleted while the merged result still refers to it.

    Only files a side changed can bring a new reference, so only they are read; a
    restored record's own references are followed too (a task restores a deal, which
    restores its client).
    """

    def content(p: str) -> bytes | None:
        if p in out.writes:
            return out.writes[p]
        return read(ours[p]) if p in ours else None

    todo = [
        p
        for p in sorted(set(base) | set(ours) | set(theirs) | set(out.writes))
        if p in out.writes or base.get(p) != ours.get(p) or base.get(p) != theirs.get(p)
    ]
    while todo:
        referrer = todo.pop(0)
        text = content(referrer)
        if text is None:
            continue
        for target in _referenced(referrer, text):
            if content(target) is not None:
                continue
            blob = ours.get(target) or theirs.get(target) or base.get(target)
            if blob is None:
                continue  # never existed: `tcrm check` reports it, as before
            if target in ours:
                who = "deleted by them"
            elif target in theirs:
                who = "deleted here"
            else:
                who = "deleted on both sides"
            out.writes[target] = read(blob)
            out.restored.append((target, referrer))
            out.notes.append(f"{target}: {who} but {referrer} refers to it; restored it")
            todo.append(target)


def _same_data(path: str, a: bytes | None, b: bytes | None) -> bool:
    try:
        return same(_parse(a, path), _parse(b, path))
    except yamlio.YamlSyntaxError:
        return False


def _merge_path(
    p: str,
    b: str | None,
    o: str | None,
    t: str | None,
    mine: bytes | None,
    read: Callable[[str], bytes],
    out: TreeMerge,
    sides: Sides | None = None,
) -> bytes | None:
    """The merged content of one path (``None``: deleted)."""
    if o == t or t == b:
        return mine
    if o == b:
        return read(t) if t else None
    if o is None:
        out.notes.append(f"{p}: deleted here but changed by them; kept their version")
        return read(t) if t else None
    if t is None:
        out.notes.append(f"{p}: deleted by them but changed here; kept your version")
        return mine
    assert mine is not None
    merged = merge_file(p, read(b) if b else None, mine, read(t), sides)
    if merged.note:
        out.notes.append(merged.note)
    if not merged.merged and kind_of(p) is None:
        side = _fresh_side_path(p)
        out.writes[side] = read(t)
        out.notes.append(f"{p}: their version is saved as {side}; merge it by hand")
    for c in merged.conflicts:
        named = tuple(merged.sides.get(c.field, {}).items())
        out.conflicts.append(FileConflict(p, c.field, c.mine, c.theirs, named))
    return merged.data


def _fresh_side_path(path: str) -> str:
    pure = PurePosixPath(path)
    return str(pure.with_name(f"{pure.stem}.theirs{pure.suffix}"))


# --- the merge driver (git pull) ---------------------------------------------------------


def driver_command() -> str:
    """The driver git runs: this interpreter, so it works from a virtualenv too."""
    return f"{shlex.quote(sys.executable)} -m tcrm merge-driver %O %A %B %P"


def install_merge_driver(root: Path, command: str | None = None) -> None:
    """Register ``tcrm merge-driver`` in ``.git/config`` and ``.git/info/attributes``.

    Both are local to the clone (git never shares them), so ``tcrm init``, ``tcrm clone``,
    ``tcrm remote add`` and ``tcrm sync`` install them; the workspace's files stay as they
    are. Idempotent.
    """
    git.set_config(
        root,
        {
            (("merge", "tcrm"), "name"): "tcrm: merge records field by field",
            (("merge", "tcrm"), "driver"): command or driver_command(),
        },
    )
    attributes = git.git_dir(root) / "info" / "attributes"
    existing = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    missing = [line for line in ATTRIBUTES if line not in existing.splitlines()]
    if missing:
        attributes.parent.mkdir(parents=True, exist_ok=True)
        lead = "" if not existing or existing.endswith("\n") else "\n"
        header = [ATTRIBUTES_HEADER] if ATTRIBUTES_HEADER not in existing else []
        attributes.write_text(existing + lead + "\n".join([*header, *missing]) + "\n", "utf-8")


def ensure_merge_driver(root: Path) -> bool:
    """Install the merge driver in a clone that lacks it (see :func:`driver.missing`),
    so a later ``git pull`` merges records instead of writing conflict markers into them.
    Returns True when it installed it. Local configuration only: nothing is committed."""
    if not driver.missing(root):
        return False
    configured = git.get_config(root, ("merge", "tcrm"), "driver")
    install_merge_driver(root, configured)
    return True


def _driver_sides(root: Path | None, environ: Mapping[str, str], path: str) -> Sides | None:
    """Who made each side, inside ``git merge``/``git pull``: HEAD is ours, and git names
    the commit being merged in ``$GITHEAD_<commit>``. None when that cannot be told; the
    names are a courtesy, so a history that cannot be read never fails the merge."""
    heads = [k[len("GITHEAD_") :] for k in environ if re.fullmatch(r"GITHEAD_[0-9a-f]{40}", k)]
    if root is None or len(heads) != 1:
        return None
    theirs = heads[0]

    def sides(fields: list[str]) -> dict[str, dict[str, str]]:
        try:
            ours = git.head(root)
            if ours is None:
                return {}
            bases = git.merge_bases(root, ours, theirs)
            return conflict_sides(root, bases[0] if bases else None, ours, theirs, path, fields)
        except (GitError, KeyError, OSError):
            return {}

    return sides


def run_merge_driver(
    *,
    base: Path,
    current: Path,
    other: Path,
    path: str,
    root: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> FileMerge:
    """``tcrm merge-driver %O %A %B %P``: merge into ``current`` as git expects.

    Conflicts are recorded inside the file, which stays valid, so the caller exits 0 for
    them; only a file that could not be merged at all (``merged`` False) is left to git
    as a conflict, with *mine* unchanged in ``current``. ``root`` (the repository git
    runs the driver in) and ``environ`` let each conflict name who made each value.
    """
    base_bytes = base.read_bytes() if base.exists() else b""
    sides = _driver_sides(root, environ if environ is not None else {}, path)
    result = merge_file(path, base_bytes or None, current.read_bytes(), other.read_bytes(), sides)
    if result.merged:
        files.atomic_write(current, result.data)
    return result


__all__ = [
    "FileMerge",
    "TreeMerge",
    "ensure_merge_driver",
    "install_merge_driver",
    "kind_of",
    "merge_file",
    "merge_trees",
    "run_merge_driver",
]
