"""Values outside tcrm.yaml's lists on import: refused, added, dropped or mapped.

A first-day import brings another tool's words for sources, tags, regions, statuses,
lost reasons and activity kinds (HubSpot's ``Organic search``, an address book's
categories). ``--map-value "source:Organic search=website"`` maps a value before it is
checked; what is still outside its list is then handled per ``--new-values``:

- ``reject`` (default): the rows are invalid; the refusal lists each list's new values
  with their counts, once, instead of a line per row;
- ``add``: the lists gain the values (in the order first seen), written to tcrm.yaml in
  the import's own commit;
- ``drop``: the value is left out (a tag removed, a single field left empty), counted;
- ``map``: a value that differs from a listed one only in case, spacing, punctuation or
  a plural ``s`` (``Referrals`` -> ``referral``) is mapped to it; the rest are refused.

Such near matches are never applied otherwise: the dry run offers them as
``--map-value`` suggestions. A value that differs from a listed one only in letter case
is the listed one (as imports always read it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tcrm.errors import Command, Field, UsageError
from tcrm.model.records import clean_text
from tcrm.model.settings import Settings
from tcrm.services.settings_file import checked_text, settings_doc
from tcrm.store import git, yamlio
from tcrm.store.workspace import SETTINGS_FILE, Workspace

MODES = ("reject", "add", "drop", "map")

LIST_NAMES = ("sources", "tags", "regions", "client_statuses", "activity_kinds", "lost_reasons")

LIST_FIELDS: dict[str, dict[str, str]] = {
    "client": {
        "source": "sources",
        "tags": "tags",
        "region": "regions",
        "status": "client_statuses",
    },
    "deal": {"source": "sources", "tags": "tags", "lost_reason": "lost_reasons"},
    "task": {},
    "activity": {"kind": "activity_kinds"},
}
"""Per kind, the record fields whose values come from a list of tcrm.yaml."""

_LIST_WORDS: dict[str, str] = {
    "source": "sources",
    "tag": "tags",
    "region": "regions",
    "status": "client_statuses",
    "client_status": "client_statuses",
    "kind": "activity_kinds",
    "activity_kind": "activity_kinds",
    "lost_reason": "lost_reasons",
    **{name: name for name in LIST_NAMES},
}
"""What ``--map-value LIST:...`` may name: a field (``source``) or the list (``sources``)."""

SINGULAR = {
    "sources": "source",
    "tags": "tag",
    "regions": "region",
    "client_statuses": "status",
    "activity_kinds": "kind",
    "lost_reasons": "lost_reason",
}
"""The short name of each list in ``--map-value`` suggestions."""


def _key(value: str) -> str:
    """A value as a map looks it up: case and runs of spaces aside."""
    return " ".join(value.split()).casefold()


def squashed(value: str) -> str:
    """Letters and digits only, without case or accents: how near matches compare."""
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode() or value
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def near_match(value: str, allowed: Sequence[str]) -> str | None:
    """The listed value ``value`` differs from only in case, spacing, punctuation or a
    plural ``s`` (``Referrals`` -> ``referral``, ``Public Sector`` -> ``public-sector``)."""
    mine = squashed(value)
    if not mine:
        return None
    for listed in allowed:
        theirs = squashed(listed)
        if mine in (theirs, theirs + "s") or theirs == mine + "s":
            return listed
    return None


def parse_value_maps(texts: Iterable[str]) -> dict[str, dict[str, str | None]]:
    """``--map-value "source:Organic search=website"`` -> {list: {value key: listed}}.

    ``LIST:VALUE=`` leaves the value out. The value is found in any case and spacing.
    """
    out: dict[str, dict[str, str | None]] = {}
    example = Command(Field("map_value"), ' "source:Organic search=website"')
    for text in texts:
        head, colon, rest = text.partition(":")
        value, equals, target = rest.rpartition("=")
        if not colon or not equals or not value.strip() or not head.strip():
            raise UsageError(
                Field("map_value"), f" {text!r}: write LIST:VALUE=LISTED, e.g. ", example
            )
        name = _LIST_WORDS.get(head.strip().casefold().replace(" ", "_").replace("-", "_"))
        if name is None:
            known = ", ".join(SINGULAR[n] for n in LIST_NAMES)
            raise UsageError(
                Field("map_value"), f" {text!r}: no list {head.strip()!r} (lists: {known})"
            )
        out.setdefault(name, {})[_key(value)] = target.strip() or None
    return out


@dataclass
class NewValue:
    """A value outside its list, how many rows hold it, and what became of it."""

    list: str
    value: str
    rows: int = 0
    action: str = "reject"
    """``reject``, ``add``, ``drop`` or ``map`` (then ``mapped_to`` says to what)."""
    suggestion: str | None = None
    """A listed value it differs from only in case, spacing or a plural ``s``."""
    mapped_to: str | None = None


class NewValueError(ValueError):
    """A cell's value is outside its list and ``--new-values reject`` refuses it."""


@dataclass
class ValuePolicy:
    """Maps, then checks, each list value of an import's rows; counts what it did.

    ``settings`` is the import's own copy: with ``add`` its lists grow as rows are read,
    so the records are checked against the lists as they will be written.
    """

    settings: Settings
    mode: str = "reject"
    maps: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    new: dict[tuple[str, str], NewValue] = field(default_factory=dict)
    mapped: dict[str, int] = field(default_factory=dict)
    """Values changed by ``--map-value`` (or by ``map``), per list."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UsageError(Field("new_values"), f" {self.mode!r}: one of {', '.join(MODES)}")
        if self.mode == "add":
            self.settings = self.settings.model_copy(deep=True)

    def allowed(self, list_name: str) -> list[str]:
        values: list[str] = getattr(self.settings.lists, list_name)
        return values

    def resolve(self, list_name: str, value: str) -> str | None:
        """The value to store (``None``: left out); ``NewValueError`` when refused."""
        text = clean_text(value).strip()  # as the record will be written, so list and record agree
        key = _key(text)
        chosen = self.maps.get(list_name, {})
        if key in chosen:
            self.mapped[list_name] = self.mapped.get(list_name, 0) + 1
            target = chosen[key]
            if target is None:
                return None
            text = target
        allowed = self.allowed(list_name)
        entry = self.new.get((list_name, text))
        if entry is None:
            if text in allowed:
                return text
            folded = text.casefold()
            listed = next((a for a in allowed if a.casefold() == folded), None)
            if listed is not None:
                return listed
            entry = NewValue(list_name, text, suggestion=near_match(text, allowed))
            entry.action = self.mode
            if self.mode == "map":
                entry.action = "map" if entry.suggestion else "reject"
                entry.mapped_to = entry.suggestion
            self.new[(list_name, text)] = entry
            if self.mode == "add":
                allowed.append(text)
        entry.rows += 1
        if entry.action == "add":
            return text
        if entry.action == "drop":
            return None
        if entry.action == "map":
            self.mapped[list_name] = self.mapped.get(list_name, 0) + 1
            return entry.mapped_to
        raise NewValueError(f"{text!r} is not in tcrm.yaml's {list_name.replace('_', ' ')}")

    def values(self) -> list[NewValue]:
        """The new values, list by list (in the order of ``LIST_NAMES``), first seen first."""
        order = {name: i for i, name in enumerate(LIST_NAMES)}
        return sorted(self.new.values(), key=lambda v: order[v.list])

    def refused(self) -> list[NewValue]:
        return [v for v in self.values() if v.action == "reject"]

    def dropped(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for v in self.values():
            if v.action == "drop":
                out[v.list] = out.get(v.list, 0) + v.rows
        return out


def additions(new_values: Sequence[NewValue], used: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """The values ``add`` writes to tcrm.yaml: those the imported records hold, per list,
    in the order first seen."""
    out: dict[str, list[str]] = {}
    for v in new_values:
        if v.action == "add" and v.value in used.get(v.list, set()):
            out.setdefault(v.list, []).append(v.value)
    return out


def by_list(new_values: Sequence[NewValue], unit: str) -> list[str]:
    """``sources: 'Organic search' (2 rows), 'Referrals' (1 row)``: a line per list."""
    lines: dict[str, list[str]] = {}
    for v in new_values:
        count = f"{v.rows:,} {unit}{'s' if v.rows != 1 else ''}"
        lines.setdefault(v.list, []).append(f"{v.value!r} ({count})")
    return [f"{name}: {', '.join(items)}" for name, items in lines.items()]


def map_option(v: NewValue) -> str:
    """The ``--map-value`` a suggestion is applied with."""
    return str(Command(Field("map_value"), f' "{SINGULAR[v.list]}:{v.value}={v.suggestion}"'))


def settings_text_with(ws: Workspace, added: Mapping[str, list[str]]) -> str:
    """tcrm.yaml's new text with ``added`` appended to its lists, every comment and
    other key kept; refused (nothing written) unless the result is valid settings, or
    when tcrm.yaml holds a hand edit not yet committed (never folded into an import)."""
    if git.changed_paths(ws.root, [SETTINGS_FILE]):
        raise UsageError(
            f"{SETTINGS_FILE} has changes not committed, which ",
            Field("new_values"),
            " add would commit with the import; commit or undo them first "
            f"(git diff {SETTINGS_FILE})",
        )
    doc = settings_doc(ws)
    yamlio.extend_lists(doc, added)
    return checked_text(doc)
