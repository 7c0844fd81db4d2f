"""What ``tcrm search`` finds and how it ranks it: worked out in one place.

Matching is case-insensitive and ranked by how well a field matches: the whole value
(``exact``), its start (``prefix``), the start of one of its words (``word``), or
anywhere (``substring``); then by the field (names before notes), then by kind. A phone
number also matches when only its digits do (``030 1234`` finds ``+49 30 1234``).
Private fields' values (age ciphertexts) are not searched, not even for their readers.

``tcrm search`` is answered two ways: through Typer and the models
(``tcrm.services.search.search``), and before Typer and pydantic are imported, from a
fresh local index (``tcrm.cli.early_path``: scripts call it in loops). Both rank with
``search_records`` and cut with ``ranked``, over anything with a record's fields (the
pydantic records, or the ``Indexed*`` values read from index rows here). The standard
library only, on purpose: the early path imports this module.
"""

from __future__ import annotations

import json
import re

from tcrm.errors import Field, UsageError
from tcrm.model.armor import is_ciphertext
from tcrm.model.moments import parse_datetime
from tcrm.model.value import Value
from tcrm.model.whitespace import optional_text, required_text
from tcrm.store import early_index
from tcrm.store.where import contains

TYPE_CHECKING = False  # no typing, no dataclasses at run time: a script's loop pays them
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from datetime import datetime
    from typing import Any, Protocol

    from tcrm.store.where import Where

    class Person(Protocol):
        """What search reads of a client's contact person."""

        @property
        def name(self) -> str: ...
        @property
        def role(self) -> str | None: ...
        @property
        def emails(self) -> list[str]: ...
        @property
        def phones(self) -> list[str]: ...
        @property
        def notes(self) -> str | None: ...

    class SearchedClient(Protocol):
        @property
        def id(self) -> str: ...
        @property
        def name(self) -> str: ...
        @property
        def emails(self) -> list[str]: ...
        @property
        def phones(self) -> list[str]: ...
        @property
        def website(self) -> str | None: ...
        @property
        def tags(self) -> list[str]: ...
        @property
        def address(self) -> str | None: ...
        @property
        def notes(self) -> str | None: ...
        @property
        def contacts(self) -> Sequence[Person]: ...

    class SearchedDeal(Protocol):
        @property
        def id(self) -> str: ...
        @property
        def title(self) -> str: ...
        @property
        def client(self) -> str: ...
        @property
        def tags(self) -> list[str]: ...
        @property
        def contacts(self) -> list[str]: ...
        @property
        def notes(self) -> str | None: ...

    class SearchedTask(Protocol):
        @property
        def id(self) -> str: ...
        @property
        def title(self) -> str: ...
        @property
        def clients(self) -> list[str]: ...
        @property
        def contacts(self) -> list[str]: ...
        @property
        def notes(self) -> str | None: ...

    class SearchedActivity(Protocol):
        @property
        def id(self) -> str: ...
        @property
        def summary(self) -> str: ...
        @property
        def outcome(self) -> str | None: ...
        @property
        def clients(self) -> list[str]: ...
        @property
        def contacts(self) -> list[str]: ...
        @property
        def notes(self) -> str | None: ...
        @property
        def at(self) -> datetime: ...

    class Page(Protocol):
        """A knowledge-base page (``tcrm.services.kb.KbPage``)."""

        @property
        def name(self) -> str: ...
        @property
        def title(self) -> str: ...
        @property
        def text(self) -> str: ...

    Fields = Iterable[tuple[str, str | Sequence[str] | None]]

KINDS = ("client", "contact", "deal", "task", "activity", "kb")
"""Kinds of hit, in the order they are shown when equally good."""

MATCHES = ("exact", "prefix", "word", "substring")
"""How a field matched, best first."""

SELECTABLE = ("client", "contact", "deal", "task", "activity", "kb")
"""Values of ``--kind``; ``client`` also selects contact people (they are part of a client)."""

RECORD_KINDS = {"client": ("client", "contact"), "deal": ("deal",), "task": ("task",)}
RECORD_KINDS |= {"activity": ("activity",)}
"""The hit kinds found in each kind of record: a kind is read when one of them is asked."""

EXCERPT = 80

FIELD_WEIGHT = {
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
"""Field weight within a record: what names a record beats what describes it."""
PHONE_LIKE = re.compile(r"^\+?[0-9 ()./-]+$")


class Hit(Value):
    """One record (or contact person) matching the text, with its best-matching field;
    ``recency`` (an activity's moment, as a timestamp) orders hits but is not compared."""

    __match_args__ = ("kind", "id", "label", "field", "value", "match", "clients")
    __slots__ = (*__match_args__, "recency")

    def __init__(
        self,
        kind: str,
        id: str,
        label: str,
        field: str,
        value: str,
        match: str,
        clients: tuple[str, ...] = (),
        recency: float = 0.0,
    ) -> None:
        self.kind = kind
        self.id = id
        self.label = label
        self.field = field
        self.value = value
        self.match = match
        self.clients = clients
        self.recency = recency

    def sort_key(self) -> tuple[Any, ...]:
        return (
            MATCHES.index(self.match),
            FIELD_WEIGHT.get(self.field, 2),
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


class SearchResult(Value):
    """The hits shown (the best, up to the limit), and how many there were in all."""

    __match_args__ = ("query", "hits", "total")
    __slots__ = __match_args__

    def __init__(self, query: str, hits: list[Hit], total: int) -> None:
        self.query = query
        self.hits = hits
        self.total = total
        """How many hits there were before ``limit``."""

    def groups(self) -> list[tuple[str, list[Hit]]]:
        """Hits grouped by kind, the group with the best hit first, each group ranked."""
        by_kind: dict[str, list[Hit]] = {}
        for hit in self.hits:  # already ranked, so each group's first hit is its best
            by_kind.setdefault(hit.kind, []).append(hit)
        return sorted(by_kind.items(), key=lambda item: item[1][0].sort_key())


def needle_of(text: str) -> str:
    """What is looked for: the text's words, one space apart, case-folded."""
    return " ".join(text.split()).casefold()


def match(value: str, needle: str) -> str | None:
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


def _wanted_digits(needle: str) -> tuple[str, str] | None:
    """``(the digits, without a national prefix)`` of a phone-like needle of 3 digits or
    more; ``None`` for any other needle."""
    if not PHONE_LIKE.match(needle):
        return None
    wanted = re.sub(r"\D", "", needle)
    if len(wanted) < 3:
        return None
    return wanted, wanted[2:] if wanted.startswith("00") else wanted.removeprefix("0")


def phone_match(phone: str, needle: str) -> str | None:
    """Digits against digits; a national ``0`` (or international ``00``) prefix typed in
    the text is dropped, so ``030 1234`` finds ``+49 30 1234``."""
    wanted = _wanted_digits(needle)
    if wanted is None:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits == wanted[0]:
        return "exact"
    if digits.startswith(wanted[0]):
        return "prefix"
    return "substring" if wanted[0] in digits or wanted[1] in digits else None


def _better(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if MATCHES.index(a) <= MATCHES.index(b) else b


def excerpt(value: str, needle: str) -> str:
    """The line of ``value`` holding the match, cut to about ``EXCERPT`` characters."""
    lines = value.splitlines() or [value]
    line = next((ln for ln in lines if needle in ln.casefold()), lines[0]).strip()
    if len(line) <= EXCERPT:
        return line
    at = max(line.casefold().find(needle), 0)
    start = max(0, min(at - EXCERPT // 3, len(line) - EXCERPT))
    cut = line[start : start + EXCERPT]
    return ("..." if start else "") + cut + ("..." if start + EXCERPT < len(line) else "")


def best(fields: Fields, needle: str) -> tuple[str, str, str] | None:
    """The best ``(field, value, match)`` among ``fields``; the first field wins a tie."""
    found: tuple[int, int, str, str, str] | None = None
    for name, values in fields:
        if not values:
            continue
        for value in [values] if isinstance(values, str) else values:
            if is_ciphertext(value):  # a private field's value: never searched or shown
                continue
            how = match(value, needle)
            if name == "phones":
                how = _better(how, phone_match(value, needle))
            if how is None:
                continue
            key = (MATCHES.index(how), FIELD_WEIGHT.get(name, 2), name, value, how)
            if found is None or key[:2] < found[:2]:
                found = key
    if found is None:
        return None
    _, _, name, value, how = found
    return name, excerpt(value, needle), how


def client_hits(client: SearchedClient, needle: str) -> Iterator[Hit]:
    found = best(
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
        found = best(
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


def deal_hit(deal: SearchedDeal, needle: str) -> Hit | None:
    found = best(
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


def task_hit(task: SearchedTask, needle: str) -> Hit | None:
    found = best(
        [
            ("id", task.id),
            ("title", task.title),
            ("contacts", task.contacts),
            ("notes", task.notes),
        ],
        needle,
    )
    return Hit("task", task.id, task.title, *found, clients=tuple(task.clients)) if found else None


def activity_hit(activity: SearchedActivity, needle: str) -> Hit | None:
    found = best(
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


def kb_hits(pages: Iterable[Page], text: str) -> list[Hit]:
    """Knowledge-base pages matching ``text``: by title, else by their text."""
    needle = needle_of(text)
    hits = []
    for page in pages:
        found = best([("title", page.title), ("text", page.text)], needle)
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


def check_asked(text: str, kinds: Sequence[str], limit: int | None) -> set[str]:
    """The hit kinds asked for; ``UsageError`` for an unknown kind, a negative limit, or
    no text."""
    selected = check_kinds(kinds)
    if limit is not None and limit < 0:
        raise UsageError(Field("limit"), " must be 0 (no limit) or more")
    if not needle_of(text):
        raise UsageError("search for what? give some text, e.g. tcrm search acme")
    return selected


def read_kinds(selected: set[str]) -> list[str]:
    """The kinds of record to read for the hit kinds ``selected``."""
    return [kind for kind, found in RECORD_KINDS.items() if selected.intersection(found)]


def search_records(
    text: str,
    *,
    clients: Iterable[SearchedClient] = (),
    deals: Iterable[SearchedDeal] = (),
    tasks: Iterable[SearchedTask] = (),
    activities: Iterable[SearchedActivity] = (),
) -> list[Hit]:
    """Every hit for ``text`` in the given records, best first."""
    needle = needle_of(text)
    if not needle:
        raise UsageError("search for what? give some text, e.g. tcrm search acme")
    hits: list[Hit] = []
    for client in clients:
        hits.extend(client_hits(client, needle))
    found = [
        *(deal_hit(deal, needle) for deal in deals),
        *(task_hit(task, needle) for task in tasks),
        *(activity_hit(activity, needle) for activity in activities),
    ]
    hits.extend(hit for hit in found if hit is not None)
    return sorted(hits, key=Hit.sort_key)


def ranked(
    text: str,
    hits: list[Hit],
    selected: set[str],
    limit: int | None,
    pages: Iterable[Page] = (),
) -> SearchResult:
    """The hits (ranked) of the kinds ``selected`` with the kb ``pages`` matching when
    ``kb`` is one of them, the best ``limit`` of them (all for 0 or ``None``)."""
    if "kb" in selected:
        hits = sorted([*hits, *kb_hits(pages, text)], key=Hit.sort_key)
    kept = [h for h in hits if h.kind in selected]
    return SearchResult(query=text, hits=kept[:limit] if limit else kept, total=len(kept))


def narrowing(text: str) -> Where:
    """An index condition every record with a hit meets: the text appears in it (a phone
    number: its digits, with or without a national prefix, appear in a client's)."""
    needle = needle_of(text)
    wanted = _wanted_digits(needle)
    if wanted is None:
        return contains("text", needle)
    return contains("text", needle) | contains("digits", wanted[0]) | contains("digits", wanted[1])


# --- the early path: from the index's rows, without the models ------------------------


class IndexedPerson(Value):
    """A client's contact person as search reads it, from a valid row of the index."""

    __match_args__ = ("name", "role", "emails", "phones", "notes")
    __slots__ = __match_args__

    def __init__(
        self,
        name: str,
        role: str | None = None,
        emails: Sequence[str] = (),
        phones: Sequence[str] = (),
        notes: str | None = None,
    ) -> None:
        self.name = name
        self.role = role
        self.emails = list(emails)
        self.phones = list(phones)
        self.notes = notes


class IndexedClient(Value):
    """The fields of a client search reads, from a valid row of the index."""

    __match_args__ = (
        "id",
        "name",
        "emails",
        "phones",
        "website",
        "tags",
        "address",
        "notes",
        "contacts",
    )
    __slots__ = __match_args__

    def __init__(
        self,
        id: str,
        name: str,
        emails: Sequence[str] = (),
        phones: Sequence[str] = (),
        website: str | None = None,
        tags: Sequence[str] = (),
        address: str | None = None,
        notes: str | None = None,
        contacts: Sequence[IndexedPerson] = (),
    ) -> None:
        self.id = id
        self.name = name
        self.emails = list(emails)
        self.phones = list(phones)
        self.website = website
        self.tags = list(tags)
        self.address = address
        self.notes = notes
        self.contacts = list(contacts)


class IndexedDeal(Value):
    """The fields of a deal search reads, from a valid row of the index."""

    __match_args__ = ("id", "title", "client", "tags", "contacts", "notes")
    __slots__ = __match_args__

    def __init__(
        self,
        id: str,
        title: str,
        client: str,
        tags: Sequence[str] = (),
        contacts: Sequence[str] = (),
        notes: str | None = None,
    ) -> None:
        self.id = id
        self.title = title
        self.client = client
        self.tags = list(tags)
        self.contacts = list(contacts)
        self.notes = notes


class IndexedTask(Value):
    """The fields of a task search reads, from a valid row of the index."""

    __match_args__ = ("id", "title", "clients", "contacts", "notes")
    __slots__ = __match_args__

    def __init__(
        self,
        id: str,
        title: str,
        clients: Sequence[str] = (),
        contacts: Sequence[str] = (),
        notes: str | None = None,
    ) -> None:
        self.id = id
        self.title = title
        self.clients = list(clients)
        self.contacts = list(contacts)
        self.notes = notes


class IndexedActivity(Value):
    """The fields of an activity search reads, from a valid row of the index."""

    __match_args__ = ("id", "summary", "at", "outcome", "clients", "contacts", "notes")
    __slots__ = __match_args__

    def __init__(
        self,
        id: str,
        summary: str,
        at: datetime,
        outcome: str | None = None,
        clients: Sequence[str] = (),
        contacts: Sequence[str] = (),
        notes: str | None = None,
    ) -> None:
        self.id = id
        self.summary = summary
        self.at = at
        self.outcome = outcome
        self.clients = list(clients)
        self.contacts = list(contacts)
        self.notes = notes


def _texts(value: Any) -> list[str]:
    """A list of texts as the models read it (each stripped); ``ValueError`` else."""
    if not isinstance(value, list):
        raise ValueError(value)
    return [required_text(v) for v in value]


def _addresses(value: Any) -> list[str]:
    """Emails or phone numbers as the models read them: their checks strip each with
    ``str.strip`` (which strips all the models' white space and more)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(value)
    return [v.strip() for v in value]


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(value)
    return value


def _person(value: Any) -> IndexedPerson:
    raw = _object(value)
    return IndexedPerson(
        name=required_text(raw.get("name")),
        role=optional_text(raw.get("role")),
        emails=_addresses(raw.get("emails", [])),
        phones=_addresses(raw.get("phones", [])),
        notes=optional_text(raw.get("notes")),
    )


def indexed_client(record_id: str, data: str) -> IndexedClient:
    """A valid client row's data as search reads it; ``ValueError`` for any value not
    written the way this reader knows for certain the model reads it too."""
    raw = _object(json.loads(data))
    contacts = raw.get("contacts", [])
    if not isinstance(contacts, list):
        raise ValueError(record_id)
    return IndexedClient(
        id=record_id,
        name=required_text(raw.get("name")),
        emails=_addresses(raw.get("emails", [])),
        phones=_addresses(raw.get("phones", [])),
        website=optional_text(raw.get("website")),
        tags=_texts(raw.get("tags", [])),
        address=optional_text(raw.get("address")),
        notes=optional_text(raw.get("notes")),
        contacts=[_person(c) for c in contacts],
    )


def indexed_deal(record_id: str, data: str) -> IndexedDeal:
    """A valid deal row's data as search reads it; ``ValueError`` as above."""
    raw = _object(json.loads(data))
    return IndexedDeal(
        id=record_id,
        title=required_text(raw.get("title")),
        client=required_text(raw.get("client")),
        tags=_texts(raw.get("tags", [])),
        contacts=_texts(raw.get("contacts", [])),
        notes=optional_text(raw.get("notes")),
    )


def indexed_task(record_id: str, data: str) -> IndexedTask:
    """A valid task row's data as search reads it; ``ValueError`` as above."""
    raw = _object(json.loads(data))
    return IndexedTask(
        id=record_id,
        title=required_text(raw.get("title")),
        clients=_texts(raw.get("clients", [])),
        contacts=_texts(raw.get("contacts", [])),
        notes=optional_text(raw.get("notes")),
    )


def indexed_activity(record_id: str, data: str) -> IndexedActivity:
    """A valid activity row's data as search reads it; ``ValueError`` as above."""
    raw = _object(json.loads(data))
    at = raw.get("at")
    if not isinstance(at, str):
        raise ValueError(record_id)
    return IndexedActivity(
        id=record_id,
        summary=required_text(raw.get("summary")),
        at=parse_datetime(at),
        outcome=optional_text(raw.get("outcome")),
        clients=_texts(raw.get("clients", [])),
        contacts=_texts(raw.get("contacts", [])),
        notes=optional_text(raw.get("notes")),
    )


READERS = {
    "client": (indexed_client, IndexedClient.__match_args__[1:]),
    "deal": (indexed_deal, IndexedDeal.__match_args__[1:]),
    "task": (indexed_task, IndexedTask.__match_args__[1:]),
    "activity": (indexed_activity, IndexedActivity.__match_args__[1:]),
}
"""Each kind's reader, and the fields it reads of a row (``early_index.slim_rows``: those
present and not null; to the model of a valid row the same as the whole data, since a
missing optional field is ``None`` as a null one is, and a list or a required field is
never null)."""


def from_index(
    conn: early_index.Connection,
    text: str,
    kinds: Sequence[str],
    limit: int | None,
    pages: Callable[[], Iterable[Page]],
) -> SearchResult | None:
    """``tcrm search``'s result from a fresh index (``early_index.open_fresh``) and the
    kb pages (``pages()``, read only when kb pages are asked for), as ``search.search``
    makes it; ``None``
    when the normal path must answer: something to report (a kind that is not one, a
    negative limit, no text, a file of the kinds read that is not valid), or a value not
    written in the plain way the readers above know."""
    try:
        selected = check_asked(text, kinds, limit)
    except UsageError:
        return None
    read = read_kinds(selected)
    # the command warns of a file of any kind it reads that it could not read
    if any(early_index.holds_broken(conn, kind) for kind in read):
        return None
    where = narrowing(text)
    found: Mapping[str, list[Any]] = {kind: [] for kind in READERS}
    try:
        for kind in read:
            reader, fields = READERS[kind]
            found[kind].extend(reader(*r) for r in early_index.slim_rows(conn, kind, fields, where))
        hits = search_records(
            text,
            clients=found["client"],
            deals=found["deal"],
            tasks=found["task"],
            activities=found["activity"],
        )
    except (ValueError, TypeError, KeyError, OverflowError):  # a value the readers refuse
        return None
    return ranked(text, hits, selected, limit, pages() if "kb" in selected else ())
