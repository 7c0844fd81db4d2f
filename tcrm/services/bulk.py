"""Many records at once: finding duplicates, and changing every record a filter selects.

Duplicate clients share a normalised email, a phone number (its last 9 digits), a company
mail domain or website, or a near-identical name. Names are compared without accents,
case, punctuation, spaces, legal forms and words like "and"; the same words in another
order are the same name; and names one character apart (a typo, a missing letter) are
near-identical when their difflib ratio reaches the threshold.

The same index serves ``tcrm dedupe`` and the imports, where a file of 10,000 rows is
checked against itself and the workspace in one pass. One character apart is found with a
deletion index (every name minus each one of its letters, in a dict), so the cost grows
with the number of names, never with the number of pairs.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import Any

from tcrm.errors import Field, Hint, UsageError
from tcrm.model.records import RECORD_TYPES, Activity, Client, Deal, Record, Task
from tcrm.model.words import plural
from tcrm.services.clients import (
    addresses_of,
    domains_of,
    merged_client,
    normalised_name,
    phone_keys_of,
    references,
)
from tcrm.services.query import apply_filters, parse_filters
from tcrm.services.records import (
    all_records,
    build,
    ensure_valid,
    label,
    local_now,
    parse_assignments,
    updated,
)
from tcrm.store.workspace import Workspace

NAME_THRESHOLD = 0.9
"""Two names at least this similar (0..1, difflib ratio) are "near-identical"."""

FUZZY_MIN_LENGTH = 4
"""Shorter names are only ever "the same name", never "similar": ``abc`` vs ``abd``."""

STOP_WORDS = frozenset(
    {"and", "und", "et", "en", "og", "och", "the", "der", "die", "das", "le", "la", "of"}
)
"""Words that do not tell two companies apart: ``Müller & Söhne`` = ``Müller und Söhne``."""

PLURAL = {"client": "clients", "deal": "deals", "task": "tasks", "activity": "activities"}
KINDS = {"clients": "client", "deals": "deal", "tasks": "task", "activities": "activity"}


def kind_of(text: str) -> str:
    """``clients`` or ``client`` -> ``client``; anything else is a usage error."""
    word = text.strip().lower()
    if word in KINDS:
        return KINDS[word]
    if word in PLURAL:
        return word
    raise UsageError(f"unknown record type {text!r} (one of {', '.join(KINDS)})")


# --- name similarity ---------------------------------------------------------------------


def name_key(name: str) -> str:
    """``"ACME Logistics GmbH"`` -> ``"acme logistics"``: what a name says, to compare."""
    words = normalised_name(name).split("-")
    kept = [w for w in words if w and w not in STOP_WORDS]
    return " ".join(kept or words)


def name_similarity(a: str, b: str) -> float:
    """How alike two name keys are (0..1): the better of plain and word-sorted difflib
    ratios, so ``Logistics Acme`` matches ``Acme Logistics``; 0 when their numbers differ."""
    if a == b:
        return 1.0
    if re.sub(r"\D", "", a) != re.sub(r"\D", "", b):
        return 0.0  # "Shop 12" and "Shop 13" are two shops
    plain = SequenceMatcher(None, a, b).ratio()
    sa, sb = " ".join(sorted(a.split())), " ".join(sorted(b.split()))
    if sa == sb:
        return 1.0
    return max(plain, SequenceMatcher(None, sa, sb).ratio())


_UMLAUTS = (("ae", "a"), ("oe", "o"), ("ue", "u"))
_ENDINGS = ("en", "es", "s", "e", "n")


def compact_key(key: str) -> str:
    """A name key without spaces, ``ae/oe/ue`` read as ``a/o/u`` (Mueller = Müller)."""
    compact = key.replace(" ", "")
    for spelt, letter in _UMLAUTS:
        compact = compact.replace(spelt, letter)
    return compact


def stem_key(key: str) -> str:
    """The compact key with plural-like endings cut from each word (Versicherungen =
    Versicherung, Logistics = Logistic)."""
    words = []
    for word in key.split():
        for ending in _ENDINGS:
            if len(word) > 4 and word.endswith(ending):
                word = word[: -len(ending)]
                break
        words.append(word)
    return compact_key(" ".join(words))


def _deletions(compact: str) -> set[str]:
    """The name with each one of its characters left out, and itself."""
    return {compact[:i] + compact[i + 1 :] for i in range(len(compact))} | {compact}


# --- duplicate index -----------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """What ``ref`` has in common with the record looked up, and how sure we are."""

    ref: Hashable
    reason: str
    score: float


@dataclass(frozen=True)
class _Keys:
    """What the index compares of one client, worked out once: an import looks a row up
    and then adds it, and both need the same keys."""

    emails: frozenset[str]
    phones: frozenset[str]
    domains: frozenset[str]
    key: str
    compact: str
    stem: str
    words: str
    variants: frozenset[str]
    """``compact`` with each one of its letters left out (long enough names only)."""


def _keys_of(client: Client) -> _Keys:
    key = name_key(client.name)
    compact = compact_key(key)
    fuzzy = bool(key) and len(compact) >= FUZZY_MIN_LENGTH
    return _Keys(
        emails=frozenset(addresses_of(client)),
        phones=frozenset(phone_keys_of(client)),
        domains=frozenset(domains_of(client) if client.type == "company" else ()),
        key=key,
        compact=compact,
        stem=stem_key(key) if key else "",
        words=" ".join(sorted(key.split())),
        variants=frozenset(_deletions(compact)) if fuzzy else frozenset(),
    )


class ClientIndex:
    """Clients by email, phone key, company domain and name, for duplicate look-ups.

    ``ref`` is whatever the caller uses to find the client again: an id for a stored
    client, a row number for one being imported. Names are held by their compact key;
    the deletion index maps each variant to the one compact key that has it (a list only
    when several do), so 200,000 variants are not 200,000 lists.
    """

    def __init__(self, threshold: float = NAME_THRESHOLD) -> None:
        self.threshold = threshold
        self.emails: dict[str, Hashable] = {}
        self.phones: dict[str, Hashable] = {}
        self.domains: dict[str, Hashable] = {}
        self.names: dict[str, tuple[str, Hashable]] = {}
        """compact key -> (name key, ref) of the first client with that name"""
        self.sorted_names: dict[str, Hashable] = {}
        self.stems: dict[str, list[str]] = {}
        self.deletions: dict[str, str | list[str]] = {}
        self._last: tuple[Client, _Keys] | None = None

    def _keys(self, client: Client) -> _Keys:
        last = self._last
        if last is not None and last[0] is client:
            return last[1]
        keys = _keys_of(client)
        self._last = (client, keys)
        return keys

    def add(self, ref: Hashable, client: Client) -> None:
        keys = self._keys(client)
        for email in keys.emails:
            self.emails.setdefault(email, ref)
        for phone in keys.phones:
            self.phones.setdefault(phone, ref)
        for domain in keys.domains:
            self.domains.setdefault(domain, ref)
        if not keys.key:
            return
        compact = keys.compact
        if compact not in self.names:
            self.names[compact] = (keys.key, ref)
            self.stems.setdefault(keys.stem, []).append(compact)
            deletions = self.deletions
            shared = keys.variants & deletions.keys()
            for variant in shared:
                held = deletions[variant]
                if isinstance(held, str):
                    deletions[variant] = [held, compact]
                else:
                    held.append(compact)
            deletions.update(dict.fromkeys(keys.variants - shared, compact))
        self.sorted_names.setdefault(keys.words, ref)

    def matches(self, client: Client, exclude: Hashable = None) -> list[Match]:
        """Every indexed client that ``client`` looks like, the best reason for each."""
        found: dict[Hashable, Match] = {}

        def note(ref: Hashable, reason: str, score: float) -> None:
            if ref == exclude:
                return
            if ref not in found or found[ref].score < score:
                found[ref] = Match(ref, reason, score)

        keys = self._keys(client)
        for email in sorted(keys.emails):
            if email in self.emails:
                note(self.emails[email], f"same email {email}", 1.0)
        if keys.compact and keys.compact in self.names:
            note(self.names[keys.compact][1], "same name", 1.0)
        for phone in sorted(keys.phones):
            if phone in self.phones:
                note(self.phones[phone], f"same phone ...{phone[-6:]}", 0.95)
        for domain in sorted(keys.domains):
            if domain in self.domains:
                note(self.domains[domain], f"same domain {domain}", 0.9)
        if keys.key:
            by_words = self.sorted_names.get(keys.words)
            if by_words is not None:
                note(by_words, "same name", 1.0)
            if keys.variants:
                self._similar_names(keys, note)
        return sorted(found.values(), key=lambda m: -m.score)

    def _similar_names(self, keys: _Keys, note: Any) -> None:
        """Names one character apart (left out, added or changed) or with other word
        endings (plurals), scored by difflib, in a fixed order."""
        others: set[str] = set(self.stems.get(keys.stem, ()))
        deletions = self.deletions
        for variant in keys.variants & deletions.keys():  # the look-ups in C: most miss
            held = deletions[variant]
            if type(held) is str:
                others.add(held)
            else:
                others.update(held)
        others.discard(keys.compact)
        for compact in sorted(others):
            other, ref = self.names[compact]
            score = name_similarity(keys.key, other)
            if score >= self.threshold:
                note(ref, "similar name", round(score, 2))

    def find(self, client: Client, exclude: Hashable = None) -> Match | None:
        found = self.matches(client, exclude)
        return found[0] if found else None


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def record_key(record: Record) -> tuple[Any, ...] | None:
    """What makes a deal, task or activity "the same one again" in an import.

    A deal: its client and title. A task: title, due and linked clients. An activity:
    kind, moment, summary and clients. Ids and timestamps of the import itself are not
    part of it, so importing a file twice finds every row the second time.
    """
    if isinstance(record, Deal):
        return ("deal", record.client, _fold(record.title))
    if isinstance(record, Task):
        return ("task", _fold(record.title), str(record.due or ""), tuple(sorted(record.clients)))
    if isinstance(record, Activity):
        at = record.at.isoformat(timespec="minutes")
        return ("activity", record.kind, at, _fold(record.summary), tuple(sorted(record.clients)))
    return None


def key_reason(record: Record) -> str:
    return {
        "deal": "same client and title",
        "task": "same title, due date and clients",
        "activity": "same kind, time, summary and clients",
    }[record.KIND]


# --- merging -------------------------------------------------------------------------


def merge_fill(keep: Record, other: Record) -> Record:
    """``keep`` with the fields it lacks taken from ``other``; lists of values unioned.

    Clients merge as ``tcrm client merge`` does (contacts by email or name, notes of
    both). Other records keep their own value of every field that is set; a list of
    plain values gains the other's new items; histories and conflicts stay ``keep``'s.
    """
    if isinstance(keep, Client) and isinstance(other, Client):
        return merged_client(keep, other)
    data = keep.model_dump(exclude_none=True)
    for key, value in other.model_dump(exclude_none=True).items():
        if key == "id":
            continue
        mine = data.get(key)
        if isinstance(value, list) and isinstance(mine, list) and mine:
            if all(isinstance(v, str) for v in [*mine, *value]):
                data[key] = list(dict.fromkeys([*mine, *value]))
        elif mine in (None, "", []):
            data[key] = value
    return build(keep.KIND, {**data, "id": keep.id})


# --- dedupe --------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicatePair:
    """Two stored clients that look like one; ``keep`` is the one to merge into, so
    ``tcrm client merge KEEP DUPLICATE`` is ``merge_command``."""

    first: Client
    second: Client
    reason: str
    score: float
    keep: Client
    duplicate: Client

    @property
    def merge_command(self) -> str:
        return f"tcrm client merge {self.keep.id} {self.duplicate.id}"


def _keeper(ws: Workspace, a: Client, b: Client, counts: dict[str, int]) -> Client:
    """Which of two duplicates to keep: the one more deals, tasks and activities name,
    then the one created first, then ``a`` (the older id)."""

    def weight(client: Client) -> tuple[int, int, str]:
        if client.id not in counts:
            counts[client.id] = references(ws, client.id).count
        created = client.created.isoformat() if client.created else "9999"
        return (-counts[client.id], 0 if client.created else 1, created)

    return b if weight(b) < weight(a) else a


def find_duplicate_clients(
    ws: Workspace, *, threshold: float = NAME_THRESHOLD
) -> list[DuplicatePair]:
    """``tcrm dedupe``: likely duplicate pairs of clients, the surest first.

    Each pair is listed once, with the strongest reason found; the older id first, and
    the one to keep when merging them (see ``_keeper``).
    """
    if not 0 < threshold <= 1:
        raise UsageError(
            Field("threshold"), f" {threshold}: give a similarity between 0 and 1, e.g. 0.9"
        )
    clients = sorted(
        (c for c in all_records(ws, "client") if isinstance(c, Client)), key=lambda c: c.id
    )
    by_id = {c.id: c for c in clients}
    index = ClientIndex(threshold)
    pairs: list[DuplicatePair] = []
    counts: dict[str, int] = {}
    for client in clients:
        for match in index.matches(client):
            other = by_id[str(match.ref)]
            keep = _keeper(ws, other, client, counts)
            dup = client if keep is other else other
            pairs.append(DuplicatePair(other, client, match.reason, match.score, keep, dup))
        index.add(client.id, client)
    pairs.sort(key=lambda p: (-p.score, p.first.id, p.second.id))
    return pairs


# --- bulk updates --------------------------------------------------------------------

_WHERE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(!=|>=|<=|=|>|<|~)\s*(.*)$")
_OPS = {"=": "", "!=": ".not", ">": ".gt", ">=": ".ge", "<": ".lt", "<=": ".le", "~": ".has"}


def where_terms(terms: Sequence[str]) -> list[str]:
    """``source=webinar``, ``amount>5000``, ``tag!=vip`` as filter terms of ``tcrm help
    filters`` (``source:webinar``...); terms already in that language pass unchanged."""
    out = []
    for term in terms:
        match = _WHERE.match(term)
        if match and ":" not in match.group(1):
            name, op, value = match.groups()
            out.append(f"{name}{_OPS[op]}:{value.strip()}")
        else:
            out.append(term)
    return out


def select(
    ws: Workspace, *, kind: str, where: Sequence[str], now: datetime | None = None
) -> list[Record]:
    """Every record of ``kind`` matching all ``where`` terms, in id order."""
    now = local_now(ws, now)
    settings = ws.settings
    filters = parse_filters(
        where_terms(where), RECORD_TYPES[kind], now, settings.date_order, settings.fields.of(kind)
    )
    return apply_filters(all_records(ws, kind), filters)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RecordChange:
    before: Record
    after: Record
    fields: list[FieldChange]


@dataclass(frozen=True)
class BulkResult:
    """What ``tcrm <kind> update`` changed (or, with a dry run, would change)."""

    kind: str
    matched: int
    changes: list[RecordChange]
    message: str | None
    dry_run: bool
    commit_id: str | None = None
    unchanged: list[str] = field(default_factory=list)


def _protected(kind: str) -> Mapping[str, Hint]:
    if kind == "client":
        from tcrm.services.clients import PROTECTED
    elif kind == "deal":
        from tcrm.services.deals import PROTECTED
    elif kind == "task":
        from tcrm.services.tasks import PROTECTED
    else:
        PROTECTED = {}
    return PROTECTED


def _diff(before: Record, after: Record) -> list[FieldChange]:
    old, new = before.to_data(), after.to_data()
    return [
        FieldChange(key, old.get(key), new.get(key))
        for key in dict.fromkeys([*old, *new])
        if old.get(key) != new.get(key)
    ]


def _what(add_tags: Sequence[str], remove_tags: Sequence[str], assignments: Sequence[str]) -> str:
    parts = []
    if add_tags:
        parts.append("add tag " + ", ".join(add_tags))
    if remove_tags:
        parts.append("remove tag " + ", ".join(remove_tags))
    if assignments:
        parts.append("set " + ", ".join(assignments))
    return "; ".join(parts)


def update_records(
    ws: Workspace,
    *,
    kind: str,
    where: Sequence[str] = (),
    every: bool = False,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    assignments: Sequence[str] = (),
    dry_run: bool = False,
    now: datetime | None = None,
) -> BulkResult:
    """``tcrm client update --where source=webinar --add-tag warm``: one commit for all.

    Every selected record is changed and validated before anything is written; one bad
    value refuses the whole update. Records the change leaves as they were are not
    written, and when none changes there is no commit.
    """
    if kind not in ("client", "deal", "task"):
        raise UsageError(f"bulk updates are for clients, deals and tasks, not {PLURAL[kind]}")
    if not where and not every:
        raise UsageError(
            "give ",
            Field("where"),
            " FILTER to choose the records (or ",
            Field("every"),
            " for every one)",
        )
    if not (add_tags or remove_tags or assignments):
        raise UsageError(
            "nothing to change: give ",
            Field("add_tags"),
            ", ",
            Field("remove_tags"),
            " or ",
            Field("assignments"),
            " field=value",
        )
    if (add_tags or remove_tags) and "tags" not in RECORD_TYPES[kind].model_fields:
        raise UsageError(
            f"{PLURAL[kind]} have no tags; change them with ", Field("assignments"), " field=value"
        )
    tags_in = set(ws.settings.lists.tags)
    for tag in add_tags:
        if tag not in tags_in:
            choices = ", ".join(ws.settings.lists.tags) or "none configured in tcrm.yaml lists.tags"
            raise UsageError(Field("add_tags"), f" {tag!r} is not one of the tags ({choices})")
    protected = _protected(kind)
    with ws.lock():
        chosen = select(ws, kind=kind, where=where, now=now)
        changes: list[RecordChange] = []
        unchanged: list[str] = []
        for record in chosen:
            delta = dict(
                parse_assignments(
                    record, assignments, protected, settings=ws.settings, now=local_now(ws, now)
                )
            )
            if add_tags or remove_tags:
                tags = list(delta.get("tags", getattr(record, "tags", [])))
                tags += [t for t in add_tags if t not in tags]
                delta["tags"] = [t for t in tags if t not in set(remove_tags)] or None
            new = updated(record, delta)
            ensure_valid(ws, new)
            fields = _diff(record, new)
            if fields:
                changes.append(RecordChange(record, new, fields))
            else:
                unchanged.append(record.id)
        what = _what(add_tags, remove_tags, assignments)
        scope = "all" if every and not where else " ".join(where)
        message = f"update: {plural(len(changes), kind)} ({scope}): {what}" if changes else None
        commit_id = None
        if changes and not dry_run:
            with ws.transaction(message or "") as tx:
                for change in changes:
                    tx.put(change.after)
            commit_id = tx.commit_id
        return BulkResult(kind, len(chosen), changes, message, dry_run, commit_id, unchanged)


def describe(record: Record) -> str:
    """A record's name or title, for tables."""
    return label(record)


def text_of(value: Any) -> str:
    """A field value as one line of text for a table."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(text_of(v) for v in value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
