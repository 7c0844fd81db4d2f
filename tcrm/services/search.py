"""``tcrm search``: one text looked up in clients, contact people, deals, tasks, activities
and the knowledge base's pages.

Matching is case-insensitive and ranked by how well a field matches: the whole value
(``exact``), its start (``prefix``), the start of one of its words (``word``), or
anywhere (``substring``); then by the field (names before notes), then by kind. A phone
number also matches when only its digits do (``030 1234`` finds ``+49 30 1234``).
Private fields' values (age ciphertexts) are not searched, not even for their readers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tcrm.errors import Field, UsageError
from tcrm.model.privacy import is_ciphertext
from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.services.kb import KbPage, list_pages
from tcrm.services.records import candidates
from tcrm.store.where import Where, contains
from tcrm.store.workspace import Workspace

KINDS = ("client", "contact", "deal", "task", "activity", "kb")
"""Kinds of hit, in the order they are shown when equally good."""

MATCHES = ("exact", "prefix", "word", "substring")
"""How a field matched, best first."""

SELECTABLE = ("client", "contact", "deal", "task", "activity", "kb")
"""Values of ``--kind``; ``client`` also selects contact people (they are part of a client)."""

EXCERPT = 80

# Field weight within a record: what names a record beats what describes it.
_FIELD_WEIGHT = {
    "id": 0,
    "name": 0,
    "title": 0,
    "summary": 0,
    "emails": 1,
    "phones": 1,
    "website": 1,
    "role": 1,
    "tags": 2,
    "contacts": 2,
    "outcome": 2,
    "address": 3,
    "notes": 3,
    "text": 3,
}
_PHONE_LIKE = re.compile(r"^\+?[0-9 ()./-]+$")


@dataclass(frozen=True)
class Hit:
    """One record (or contact person) matching the text, with its best-matching field."""

    kind: str
    id: str
    label: str
    field: str
    value: str
    match: str
    clients: tuple[str, ...] = ()
    recency: float = dataclasses.field(default=0.0, compare=False)

    def sort_key(self) -> tuple[Any, ...]:
        return (
            MATCHES.index(self.match),
            _FIELD_WEIGHT.get(self.field, 2),
            KINDS.index(self.kind),
            -self.recency,
            self.label.casefold(),
            self.id,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "label": self.label,
            "field": self.field,
            "value": self.value,
            "match": self.match,
            "clients": list(self.clients),
        }


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[Hit]
    total: int
    """How many hits there were before ``limit``."""

    def groups(self) -> list[tuple[str, list[Hit]]]:
        """Hits grouped by kind, the group with the best hit first, each group ranked."""
        by_kind: dict[str, list[Hit]] = {}
        for hit in self.hits:  # already ranked, so each group's first hit is its best
            by_kind.setdefault(hit.kind, []).append(hit)
        return sorted(by_kind.items(), key=lambda item: item[1][0].sort_key())


def _match(value: str, needle: str) -> str | None:
    """How ``value`` matches ``needle`` (both compared case-folded), or ``None``."""
    text = value.casefold()
    if text == needle:
        return "exact"
    if text.startswith(needle):
        return "prefix"
    if re.search(r"(?<!\w)" + re.escape(needle), text):
        return "word"
    if needle in text:
        return "substring"
    return None


def _phone_match(phone: str, needle: str) -> str | None:
    """Digits against digits; a national ``0`` (or international ``00``) prefix typed in
    the text is dropped, so ``030 1234`` finds ``+49 30 1234``."""
    if not _PHONE_LIKE.match(needle):
        return None
    digits, wanted = re.sub(r"\D", "", phone), re.sub(r"\D", "", needle)
    if len(wanted) < 3:
        return None
    if digits == wanted:
        return "exact"
    if digits.startswith(wanted):
        return "prefix"
    national = wanted[2:] if wanted.startswith("00") else wanted.removeprefix("0")
    return "substring" if wanted in digits or national in digits else None


def _better(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if MATCHES.index(a) <= MATCHES.index(b) else b


def _excerpt(value: str, needle: str) -> str:
    """The line of ``value`` holding the match, cut to about ``EXCERPT`` characters."""
    lines = value.splitlines() or [value]
    line = next((ln for ln in lines if needle in ln.casefold()), lines[0]).strip()
    if len(line) <= EXCERPT:
        return line
    at = max(line.casefold().find(needle), 0)
    start = max(0, min(at - EXCERPT // 3, len(line) - EXCERPT))
    cut = line[start : start + EXCERPT]
    return ("..." if start else "") + cut + ("..." if start + EXCERPT < len(line) else "")


Fields = Iterable[tuple[str, str | list[str] | None]]


def _best(fields: Fields, needle: str) -> tuple[str, str, str] | None:
    """The best ``(field, value, match)`` among ``fields``; the first field wins a tie."""
    best: tuple[int, int, str, str, str] | None = None
    for name, values in fields:
        if not values:
            continue
        for value in [values] if isinstance(values, str) else values:
            if is_ciphertext(value):  # a private field's value: never searched or shown
                continue
            how = _match(value, needle)
            if name == "phones":
                how = _better(how, _phone_match(value, needle))
            if how is None:
                continue
            key = (MATCHES.index(how), _FIELD_WEIGHT.get(name, 2), name, value, how)
            if best is None or key[:2] < best[:2]:
                best = key
    if best is None:
        return None
    _, _, name, value, how = best
    return name, _excerpt(value, needle), how


def _client_hits(client: Client, needle: str) -> Iterator[Hit]:
    found = _best(
        [
            ("name", client.name),
            ("id", client.id),
            ("emails", client.emails),
            ("phones", client.phones),
            ("website", client.website),
            ("tags", client.tags),
            ("address", client.address),
            ("notes", client.notes),
        ],
        needle,
    )
    if found:
        yield Hit("client", client.id, client.name, *found, clients=(client.id,))
    for person in client.contacts:
        found = _best(
            [
                ("name", person.name),
                ("emails", person.emails),
                ("phones", person.phones),
                ("role", person.role),
                ("notes", person.notes),
            ],
            needle,
        )
        if found:
            label = f"{person.name} ({client.name})"
            yield Hit("contact", client.id, label, *found, clients=(client.id,))


def _deal_hit(deal: Deal, needle: str) -> Hit | None:
    found = _best(
        [
            ("title", deal.title),
            ("id", deal.id),
            ("tags", deal.tags),
            ("contacts", deal.contacts),
            ("notes", deal.notes),
        ],
        needle,
    )
    return Hit("deal", deal.id, deal.title, *found, clients=(deal.client,)) if found else None


def _task_hit(task: Task, needle: str) -> Hit | None:
    found = _best(
        [
            ("id", task.id),
            ("title", task.title),
            ("contacts", task.contacts),
            ("notes", task.notes),
        ],
        needle,
    )
    return Hit("task", task.id, task.title, *found, clients=tuple(task.clients)) if found else None


def _activity_hit(activity: Activity, needle: str) -> Hit | None:
    found = _best(
        [
            ("summary", activity.summary),
            ("id", activity.id),
            ("outcome", activity.outcome),
            ("contacts", activity.contacts),
            ("notes", activity.notes),
        ],
        needle,
    )
    if not found:
        return None
    return Hit(
        "activity",
        activity.id,
        activity.summary,
        *found,
        clients=tuple(activity.clients),
        recency=activity.at.timestamp(),
    )


def kb_hits(pages: Iterable[KbPage], text: str) -> list[Hit]:
    """Knowledge-base pages matching ``text``: by title, else by their text."""
    needle = " ".join(text.split()).casefold()
    hits = []
    for page in pages:
        found = _best([("title", page.title), ("text", page.text)], needle)
        if found:
            hits.append(Hit("kb", page.name, page.title, *found))
    return hits


def check_kinds(kinds: Sequence[str]) -> set[str]:
    """The hit kinds ``--kind`` selects; every kind when none is given."""
    for kind in kinds:
        if kind not in SELECTABLE:
            raise UsageError(f"{kind!r} is not one of {', '.join(SELECTABLE)}", field="kind")
    selected = set(kinds) or set(KINDS)
    if "client" in selected:
        selected.add("contact")
    return selected


def search_records(
    text: str,
    *,
    clients: Iterable[Client] = (),
    deals: Iterable[Deal] = (),
    tasks: Iterable[Task] = (),
    activities: Iterable[Activity] = (),
) -> list[Hit]:
    """Every hit for ``text`` in the given records, best first."""
    needle = " ".join(text.split()).casefold()
    if not needle:
        raise UsageError("search for what? give some text, e.g. tcrm search acme")
    hits: list[Hit] = []
    for client in clients:
        hits.extend(_client_hits(client, needle))
    found = [
        *(_deal_hit(deal, needle) for deal in deals),
        *(_task_hit(task, needle) for task in tasks),
        *(_activity_hit(activity, needle) for activity in activities),
    ]
    hits.extend(hit for hit in found if hit is not None)
    return sorted(hits, key=Hit.sort_key)


def _narrowing(text: str) -> Where:
    """An index condition every record with a hit meets: the text appears in it (a phone
    number: its digits, with or without a national prefix, appear in a client's)."""
    needle = " ".join(text.split()).casefold()
    wanted = re.sub(r"\D", "", needle)
    if not _PHONE_LIKE.match(needle) or len(wanted) < 3:
        return contains("text", needle)
    national = wanted[2:] if wanted.startswith("00") else wanted.removeprefix("0")
    return contains("text", needle) | contains("digits", wanted) | contains("digits", national)


def search(
    ws: Workspace, *, text: str, kinds: Sequence[str] = (), limit: int | None = None
) -> SearchResult:
    """``tcrm search TEXT``: read the kinds asked for, and rank what matches."""
    selected = check_kinds(kinds)
    if limit is not None and limit < 0:
        raise UsageError(Field("limit"), " must be 0 (no limit) or more")
    if not " ".join(text.split()):
        raise UsageError("search for what? give some text, e.g. tcrm search acme")

    where = _narrowing(text)

    def load(kind: str, *hit_kinds: str) -> list[Any]:
        if not selected & {kind, *hit_kinds}:
            return []
        return candidates(ws, kind, where)

    hits = search_records(
        text,
        clients=load("client", "contact"),
        deals=load("deal"),
        tasks=load("task"),
        activities=load("activity"),
    )
    if "kb" in selected:
        hits = sorted([*hits, *kb_hits(list_pages(ws), text)], key=Hit.sort_key)
    hits = [h for h in hits if h.kind in selected]
    shown = hits[:limit] if limit else hits
    return SearchResult(query=text, hits=shown, total=len(hits))
