"""Three-way merge and field-level diff of plain record data (what ``load_fast`` returns).

Pure functions, no I/O: ``tcrm sync`` and the git merge driver merge two versions of a
record file with :func:`merge_record`, and ``tcrm history`` explains a commit with
:func:`diff_fields`.

A record merges field by field; a mapping merges key by key; a list of mappings merges
item by item, matched by identity (a contact by its first email, else its case-folded
name; a stage-history entry by ``(at, stage, status)``; any mapping with an ``id`` by its
id); a list of plain values (tags, emails, reminders, linked ids) is an ordered set: the
union of both sides minus what either side removed. Only the same value changed to two
different values is a conflict: the result keeps *mine* and the conflict is recorded in
the data itself under :data:`CONFLICTS_KEY`, so the file stays valid for its model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

CONFLICTS_KEY = "conflicts"
"""The reserved key under which a record file lists its unresolved merge conflicts."""


class _Missing:
    """A key or list item that one version does not have."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

Segment = str | tuple[str, str]
"""A path step: a mapping key, or ``(list key, item label)`` for an item of a list."""


@dataclass(frozen=True)
class Conflict:
    """The same value changed to two different values; ``None`` means absent/removed."""

    field: str
    mine: Any
    theirs: Any
    base: Any = None
    extra: Mapping[str, Any] | None = None
    """More for whoever resolves it (a deal's stage: each side's new history entries)."""

    def as_data(self) -> dict[str, Any]:
        """The entry written under ``conflicts:`` (absent values are left out)."""
        out: dict[str, Any] = {"field": self.field}
        for key in ("mine", "theirs", "base"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out.update(self.extra or {})
        return out


@dataclass
class MergeResult:
    """``data`` is the whole merged record, with every conflict listed under ``conflicts``."""

    data: dict[str, Any]
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


# --- identity of list items ------------------------------------------------------------


def canonical(value: Any) -> str:
    """A text that is equal for equal plain data, whatever the key order of mappings."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def same(a: Any, b: Any) -> bool:
    """Equal as plain data: mapping key order does not count, ``True`` is not ``"true"``."""
    if a is MISSING or b is MISSING:
        return a is b
    if isinstance(a, Mapping | list) or isinstance(b, Mapping | list):
        return canonical(a) == canonical(b)
    return type(a) is type(b) and a == b


def _contact_key(item: Mapping[str, Any]) -> str:
    emails = item.get("emails")
    if isinstance(emails, list) and emails and isinstance(emails[0], str):
        return emails[0].strip().casefold()
    return str(item.get("name", "")).strip().casefold()


def history_key(item: Mapping[str, Any]) -> str:
    """How a stage-history entry is matched across versions: its moment, stage and status."""
    return _history_key(item)


def _history_key(item: Mapping[str, Any]) -> str:
    parts = (item.get("at"), item.get("stage"), item.get("status"))
    return " ".join(str(p) for p in parts if p is not None)


def identity_of(list_key: str | None, items: list[Any]) -> Callable[[Any], str] | None:
    """How items of the list under ``list_key`` are matched across versions.

    ``None`` when the list holds anything other than mappings (plain values match by value).
    """
    if not items or not all(isinstance(i, Mapping) for i in items):
        return None
    if list_key == "contacts":
        return _contact_key
    if list_key == "stage_history":
        return _history_key
    if all(isinstance(i.get("id"), str) for i in items):
        return lambda item: str(item["id"])
    return canonical


def _stage_time(item: Any) -> tuple[int, float, str]:
    """Stage history sorts by moment, whatever offset each entry was written with."""
    at = str(item.get("at") if isinstance(item, Mapping) else "")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return (1, 0.0, at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (0, moment.timestamp(), at)


# --- merging ---------------------------------------------------------------------------


def path_text(path: tuple[Segment, ...]) -> str:
    """``("contacts", ("contacts", "jo@x.com"), "role")`` -> ``contacts[jo@x.com].role``."""
    out = ""
    for seg in path:
        if isinstance(seg, tuple):
            out += f"[{seg[1]}]"
        else:
            out += f".{seg}" if out else seg
    return out


class _Merger:
    def __init__(self) -> None:
        self.conflicts: list[Conflict] = []

    def conflict(self, path: tuple[Segment, ...], base: Any, mine: Any, theirs: Any) -> Any:
        self.conflicts.append(
            Conflict(
                field=path_text(path),
                mine=None if mine is MISSING else mine,
                theirs=None if theirs is MISSING else theirs,
                base=None if base is MISSING else base,
            )
        )
        return mine

    def value(self, path: tuple[Segment, ...], base: Any, mine: Any, theirs: Any) -> Any:
        # Exact comparisons first, so a side that changed nothing gives the other side's
        # value exactly; then `key: null` counts as no key, as it does for the models.
        if same(mine, theirs) or same(theirs, base):
            return mine
        if same(mine, base):
            return theirs
        if _blank_same(mine, theirs) or _blank_same(theirs, base):
            return mine
        if _blank_same(mine, base):
            return theirs
        if isinstance(mine, Mapping) and isinstance(theirs, Mapping):
            return self.mapping(path, base if isinstance(base, Mapping) else {}, mine, theirs)
        if isinstance(mine, list) and isinstance(theirs, list):
            merged = self.sequence(path, base if isinstance(base, list) else [], mine, theirs)
            if merged is not None:
                return merged
        return self.conflict(path, base, mine, theirs)

    def history_corrections(
        self,
        path: tuple[Segment, ...],
        base: dict[str, Any],
        mine: dict[str, Any],
        theirs: dict[str, Any],
    ) -> None:
        """Both sides corrected the same history entry differently: a conflict that keeps
        mine, instead of both corrections side by side (``theirs`` loses its copy)."""
        ours, others = _corrections(base, mine), _corrections(base, theirs)
        for key in [k for k in ours if k in others]:
            mine_item, theirs_item = mine[ours[key]], theirs[others[key]]
            if same(mine_item, theirs_item):
                continue
            self.conflict((*path, ("stage_history", ours[key])), base[key], mine_item, theirs_item)
            del theirs[others[key]]

    def mapping(
        self,
        path: tuple[Segment, ...],
        base: Mapping[str, Any],
        mine: Mapping[str, Any],
        theirs: Mapping[str, Any],
    ) -> dict[str, Any]:
        keys = _ordered_union(list(mine), list(theirs))
        out: dict[str, Any] = {}
        for key in keys:
            b, m, t = base.get(key, MISSING), mine.get(key, MISSING), theirs.get(key, MISSING)
            if not path and key in SAME_OUTCOME and SAME_OUTCOME[key](base, mine, theirs):
                earliest = _earliest(m, t)
                if earliest is not MISSING:
                    out[key] = earliest
                    continue
            merged = self.value((*path, key), b, m, t)
            if merged is not MISSING:
                out[key] = merged
        return out

    def sequence(
        self, path: tuple[Segment, ...], base: list[Any], mine: list[Any], theirs: list[Any]
    ) -> list[Any] | None:
        list_key = _last_key(path)
        ident = identity_of(list_key, [*base, *mine, *theirs])
        if ident is None:
            if any(isinstance(i, Mapping | list) for i in (*base, *mine, *theirs)):
                return None  # a mix of structures and values: merged as one value
            return _merge_values(base, mine, theirs)
        maps = []
        for items in (base, mine, theirs):
            keyed = {ident(i): i for i in items}
            if len(keyed) != len(items):
                return None  # two items share an identity: no safe item-by-item merge
            maps.append(keyed)
        b, m, t = maps
        if list_key == "stage_history":
            self.history_corrections(path, b, m, t)
        order: list[str] = []
        merged: dict[str, Any] = {}
        for key, item in m.items():
            here = (*path, (str(list_key), key))
            if key in t:
                merged[key] = self.value(here, b.get(key, MISSING), item, t[key])
            elif key in b:  # theirs removed it
                if same(item, b[key]):
                    continue
                merged[key] = self.conflict(here, b[key], item, MISSING)
            else:
                merged[key] = item
            order.append(key)
        theirs_order = list(t)
        for index, key in enumerate(theirs_order):
            if key in m:
                continue
            if key in b:  # mine removed it
                if not same(t[key], b[key]):
                    self.conflict((*path, (str(list_key), key)), b[key], MISSING, t[key])
                continue
            before = [k for k in theirs_order[:index] if k in merged]
            position = order.index(before[-1]) + 1 if before else 0
            order.insert(position, key)
            merged[key] = t[key]
        out = [merged[k] for k in order if merged[k] is not MISSING]
        if list_key == "stage_history":
            out = _one_move_per_stage(out, b, m, t, ident)
            out.sort(key=_stage_time)
        return out


# --- the same outcome reached at two moments --------------------------------------------


def _moment(value: Any) -> tuple[float, str] | None:
    """A date or date-time as a point in time (a date is its start, in UTC)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment.timestamp(), value)


def _earliest(mine: Any, theirs: Any) -> Any:
    """The earlier of two moments, whichever side merges (equal moments: the smaller
    text); ``MISSING`` when either is not a moment."""
    a, b = _moment(mine), _moment(theirs)
    if a is None or b is None:
        return MISSING
    return mine if a <= b else theirs


def _both_set(key: str, status: str | None = None) -> Callable[..., bool]:
    def rule(base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> bool:
        if any(not isinstance(d.get(key), str) for d in (mine, theirs)):
            return False
        if status is None:
            return key not in base
        return mine.get("status") == theirs.get("status") != base.get("status")

    return rule


SAME_OUTCOME: dict[str, Callable[..., bool]] = {
    "completed": _both_set("completed", "status"),
    "closed": _both_set("closed", "status"),
    "created": _both_set("created"),
}
"""Fields where both sides doing the same thing at different moments is one outcome,
not a conflict; the earliest moment wins. ``completed``: both completed a task (the same
``status``); ``closed``: both won (or both lost) a deal; ``created``: both created the
same record (a recurring task's next occurrence). A history entry both sides added for
the same stage is the same kind of thing (:func:`_one_move_per_stage`)."""


def _one_move_per_stage(
    out: list[Any],
    base: Mapping[str, Any],
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    ident: Callable[[Any], str],
) -> list[Any]:
    """Both sides moved the deal into the same stage (the same status): one move, the
    earlier one."""
    ours_new = {ident(i) for k, i in mine.items() if k not in base and k not in theirs}
    theirs_new = {ident(i) for k, i in theirs.items() if k not in base and k not in mine}
    drop: set[str] = set()
    for a in [i for i in out if isinstance(i, Mapping) and ident(i) in ours_new]:
        for b in [i for i in out if isinstance(i, Mapping) and ident(i) in theirs_new]:
            if (a.get("stage"), a.get("status")) != (b.get("stage"), b.get("status")):
                continue
            later = b if _earliest(a.get("at"), b.get("at")) is a.get("at") else a
            drop.add(ident(later))
    return [i for i in out if not (isinstance(i, Mapping) and ident(i) in drop)]


def _corrections(base: Mapping[str, Any], side: Mapping[str, Any]) -> dict[str, str]:
    """``{base entry key: the side's entry key}`` for history entries a side corrected: a
    base entry it no longer has, paired with a new entry of the same moment or stage."""
    added = [k for k in side if k not in base]
    out: dict[str, str] = {}
    for key, old in base.items():
        if key in side or not isinstance(old, Mapping):
            continue
        for new_key in added:
            new = side[new_key]
            if new_key in out.values() or not isinstance(new, Mapping):
                continue
            if new.get("at") == old.get("at") or new.get("stage") == old.get("stage"):
                out[key] = new_key
                break
    return out


def _blank_same(a: Any, b: Any) -> bool:
    """Both absent or null: the same to a model."""
    return (a is MISSING or a is None) and (b is MISSING or b is None)


def _last_key(path: tuple[Segment, ...]) -> str | None:
    for seg in reversed(path):
        if isinstance(seg, str):
            return seg
    return None


def _ordered_union(mine: list[str], theirs: list[str]) -> list[str]:
    """Mine's order, with keys only theirs has inserted after the key they follow there."""
    order = list(mine)
    for index, key in enumerate(theirs):
        if key in order:
            continue
        before = [k for k in theirs[:index] if k in order]
        order.insert(order.index(before[-1]) + 1 if before else len(order), key)
    return order


def _hashable(value: Any) -> Hashable:
    return value if isinstance(value, str | bool | int | float | type(None)) else canonical(value)


def _merge_values(base: list[Any], mine: list[Any], theirs: list[Any]) -> list[Any]:
    """An ordered set: mine's items (less what theirs removed), then theirs' new items."""
    b = {_hashable(v) for v in base}
    m = {_hashable(v) for v in mine}
    t = {_hashable(v) for v in theirs}
    out: list[Any] = []
    seen: set[Hashable] = set()
    for value in mine:
        key = _hashable(value)
        if key in seen or (key in b and key not in t):
            continue
        seen.add(key)
        out.append(value)
    for value in theirs:
        key = _hashable(value)
        if key in seen or key in m or key in b:
            continue
        seen.add(key)
        out.append(value)
    return out


def merge_record(
    base: Mapping[str, Any] | None, ours: Mapping[str, Any], theirs: Mapping[str, Any]
) -> MergeResult:
    """Merge two versions of a record (or of ``tcrm.yaml``) that share ``base``.

    ``base`` is ``None`` when both sides created the file independently. Conflicts keep
    *mine* as the value and are appended under ``conflicts`` (one open conflict per field:
    a new one replaces an older one on the same field); conflicts already recorded merge
    as a set, so one resolved on either side stays resolved.
    """
    base = base or {}
    merger = _Merger()
    data = merger.mapping(
        (),
        {k: v for k, v in base.items() if k != CONFLICTS_KEY},
        {k: v for k, v in ours.items() if k != CONFLICTS_KEY},
        {k: v for k, v in theirs.items() if k != CONFLICTS_KEY},
    )
    recorded = _merge_values(
        _conflict_list(base.get(CONFLICTS_KEY)),
        _conflict_list(ours.get(CONFLICTS_KEY)),
        _conflict_list(theirs.get(CONFLICTS_KEY)),
    )
    conflicts = _settle_history(data, base, ours, theirs, merger.conflicts)
    return MergeResult(with_conflicts(data, recorded, conflicts), conflicts)


def _history_of(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    history = data.get("stage_history")
    return [i for i in history if isinstance(i, Mapping)] if isinstance(history, list) else []


def _settle_history(
    data: dict[str, Any],
    base: Mapping[str, Any],
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    conflicts: list[Conflict],
) -> list[Conflict]:
    """A deal's ``stage`` (or ``status``) in conflict keeps mine, so its history must end
    with mine too: their new entries leave the record for the conflict entry
    (``theirs_history``, with ``mine_history``), where ``tcrm resolve`` finds them."""
    target = next((c for c in conflicts if c.field == "stage"), None) or next(
        (c for c in conflicts if c.field == "status"), None
    )
    if target is None or not isinstance(data.get("stage_history"), list):
        return conflicts
    b, m, t = ({_history_key(i) for i in _history_of(d)} for d in (base, mine, theirs))
    mine_added = [dict(i) for i in _history_of(mine) if _history_key(i) not in b | t]
    theirs_added = [dict(i) for i in _history_of(theirs) if _history_key(i) not in b | m]
    if not mine_added and not theirs_added:
        return conflicts
    drop = {_history_key(i) for i in theirs_added}
    data["stage_history"] = [
        i for i in data["stage_history"] if not (isinstance(i, Mapping) and _history_key(i) in drop)
    ]
    extra = {"mine_history": mine_added, "theirs_history": theirs_added}
    return [replace(c, extra=extra) if c is target else c for c in conflicts]


def _conflict_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def with_conflicts(
    data: Mapping[str, Any], recorded: list[Any], new: list[Conflict]
) -> dict[str, Any]:
    """``data`` with ``conflicts`` (first key, as in the models) listing ``recorded`` + ``new``."""
    fresh = {c.field for c in new}
    entries = [e for e in recorded if not (isinstance(e, Mapping) and e.get("field") in fresh)] + [
        c.as_data() for c in new
    ]
    rest = {k: v for k, v in data.items() if k != CONFLICTS_KEY}
    return {CONFLICTS_KEY: entries, **rest} if entries else rest


# --- plain text (kb pages and other non-record files) ----------------------------------


def merge_lines(base: list[str], mine: list[str], theirs: list[str]) -> list[str] | None:
    """A three-way merge of lines (diff3): ``None`` when both sides changed the same or
    touching lines differently, so the caller decides instead of writing conflict markers."""
    if mine == theirs or theirs == base:
        return mine
    if mine == base:
        return theirs
    from difflib import SequenceMatcher

    def hunks(other: list[str]) -> list[tuple[int, int, list[str]]]:
        matcher = SequenceMatcher(None, base, other, autojunk=False)
        return [
            (i1, i2, other[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"
        ]

    edits = sorted([(*h, 0) for h in hunks(mine)] + [(*h, 1) for h in hunks(theirs)])
    out: list[str] = []
    position = 0
    index = 0
    while index < len(edits):
        start, end, _lines, _side = edits[index]
        group = [edits[index]]
        index += 1
        while index < len(edits) and edits[index][0] <= end:  # touching edits conflict, as in git
            group.append(edits[index])
            end = max(end, edits[index][1])
            index += 1
        sides = {g[3] for g in group}
        if len(sides) > 1:
            mine_part = [g[:3] for g in group if g[3] == 0]
            theirs_part = [g[:3] for g in group if g[3] == 1]
            if mine_part != theirs_part:
                return None
            group = [g for g in group if g[3] == 0]
        out.extend(base[position:start])
        for g_start, g_end, g_lines, _ in group:
            out.extend(base[start:g_start] if g_start > start else [])
            out.extend(g_lines)
            start = g_end
        position = end
    out.extend(base[position:])
    return out


# --- paths into data (for resolving a conflict) ----------------------------------------

_SEGMENT = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def parse_path(text: str) -> list[Segment]:
    """The inverse of :func:`path_text`: ``contacts[jo@x.com].role`` -> its segments."""
    out: list[Segment] = []
    position = 0
    text = text.strip()
    while position < len(text):
        if text[position] == "." and out:
            position += 1
        match = _SEGMENT.match(text, position)
        if not match:
            raise ValueError(f"{text!r} is not a field path")
        if match.group(1) is not None:
            key = _last_key(tuple(out))
            if key is None:
                raise ValueError(f"{text!r} is not a field path")
            out.append((key, match.group(1)))
        else:
            out.append(match.group(2))
        position = match.end()
    if not out:
        raise ValueError("empty field path")
    return out


def _find_item(items: list[Any], list_key: str, label: str) -> int | None:
    ident = identity_of(list_key, items)
    if ident is None:
        return None
    wanted = label.casefold()
    return next((i for i, item in enumerate(items) if ident(item).casefold() == wanted), None)


def get_path(data: Mapping[str, Any], path: list[Segment]) -> Any:
    """The value at ``path``, or ``None`` when it is absent."""
    node: Any = data
    for seg in path:
        if isinstance(seg, tuple):
            if not isinstance(node, list):
                return None
            index = _find_item(node, seg[0], seg[1])
            if index is None:
                return None
            node = node[index]
        else:
            if not isinstance(node, Mapping) or seg not in node:
                return None
            node = node[seg]
    return node


def set_path(data: dict[str, Any], path: list[Segment], value: Any) -> None:
    """Set the value at ``path``; ``None`` removes the key or list item."""
    node: Any = data
    for i, seg in enumerate(path):
        last = i == len(path) - 1
        if isinstance(seg, tuple):
            if not isinstance(node, list):
                raise ValueError(f"{path_text(tuple(path[: i + 1]))} is not in a list")
            index = _find_item(node, seg[0], seg[1]) if node else None
            if last:
                if index is not None and value is None:
                    del node[index]
                elif index is not None:
                    node[index] = value
                elif value is not None:
                    node.append(value)
                return
            if index is None:
                raise ValueError(f"{path_text(tuple(path[: i + 1]))} is not there any more")
            node = node[index]
        else:
            if not isinstance(node, dict):
                raise ValueError(f"{path_text(tuple(path[: i + 1]))} is not in a mapping")
            if last:
                if value is None:
                    node.pop(seg, None)
                else:
                    node[seg] = value
                return
            nxt = path[i + 1]
            if seg not in node or node[seg] is None:
                if value is None:
                    return
                node[seg] = [] if isinstance(nxt, tuple) else {}
            node = node[seg]


# --- diff (for history) ----------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of a record that a commit changed; ``None`` means absent."""

    field: str
    old: Any
    new: Any


def diff_fields(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[FieldChange]:
    """What changed between two versions, field by field (mappings key by key, lists of
    mappings item by item by identity, other lists as one value)."""
    out: list[FieldChange] = []
    _diff((), old or {}, new or {}, out)
    return out


def _diff(path: tuple[Segment, ...], old: Any, new: Any, out: list[FieldChange]) -> None:
    if same(old, new) or _blank_same(old, new):
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in _ordered_union(list(old), list(new)):
            _diff((*path, key), old.get(key, MISSING), new.get(key, MISSING), out)
        return
    if isinstance(old, list) and isinstance(new, list) and path:
        list_key = _last_key(path)
        ident = identity_of(list_key, [*old, *new])
        if ident is not None and ident is not canonical:
            o = {ident(i): i for i in old}
            n = {ident(i): i for i in new}
            if len(o) == len(old) and len(n) == len(new):
                for key in _ordered_union(list(o), list(n)):
                    seg = (str(list_key), key)
                    _diff((*path, seg), o.get(key, MISSING), n.get(key, MISSING), out)
                return
    out.append(
        FieldChange(
            path_text(path),
            None if old is MISSING else old,
            None if new is MISSING else new,
        )
    )


__all__ = [
    "CONFLICTS_KEY",
    "MISSING",
    "Conflict",
    "FieldChange",
    "MergeResult",
    "canonical",
    "diff_fields",
    "get_path",
    "history_key",
    "merge_lines",
    "merge_record",
    "parse_path",
    "path_text",
    "same",
    "set_path",
    "with_conflicts",
]
