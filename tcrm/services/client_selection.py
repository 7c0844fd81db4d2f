"""Which clients ``tcrm client list`` shows, and what each row says of them (open deals,
last contact, contact due, latest survey score): worked out in one place.

``tcrm client list`` is answered two ways: through Typer and the models
(``tcrm.services.clients.list_clients``), and before Typer and pydantic are imported, from
a fresh local index (``tcrm.cli.early_path``; scripts call it in loops). Both check the
options with ``check_options``, keep clients with ``keeps`` and make the rows with
``summaries`` (the keep-in-touch clock of ``tcrm.model.keep_in_touch``, the scores of
``tcrm.model.satisfaction``), over anything with a client's and an activity's fields
(the pydantic records, or ``IndexedClient`` and ``IndexedActivity`` read from index
rows). The standard library only, on purpose: the early path imports this module.
"""

from __future__ import annotations

import json

from tcrm.errors import Field, UsageError
from tcrm.model import keep_in_touch, satisfaction
from tcrm.model.moments import local_now, parse_datetime
from tcrm.model.value import Holding, Value
from tcrm.model.whitespace import optional_text, required_text
from tcrm.store import early_index
from tcrm.store.where import eq, like

TYPE_CHECKING = False  # no typing, no dataclasses at run time: a script's loop pays them
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime
    from typing import Any, Protocol, TypeVar

    from tcrm.model.keep_in_touch import Contacting
    from tcrm.model.satisfaction import Satisfaction
    from tcrm.model.settings import Settings

    class ListedClient(Protocol):
        """What the selection, the clock and the rows read of a client."""

        @property
        def id(self) -> str: ...
        @property
        def name(self) -> str: ...
        @property
        def status(self) -> str | None: ...
        @property
        def owner(self) -> str | None: ...
        @property
        def source(self) -> str | None: ...
        @property
        def tags(self) -> list[str]: ...
        @property
        def cadence_days(self) -> int | None: ...
        @property
        def created(self) -> datetime | None: ...

    C = TypeVar("C", bound=ListedClient)
else:
    C = None

LIST_NAMES = {"tag": "tags", "source": "sources", "status": "client_statuses"}
"""The options checked against a list of the settings (``lists.NAME``), by option."""


def check_choice(field: str, value: str | None, allowed: Sequence[str], what: str) -> None:
    """``UsageError`` (naming ``field``) when ``value`` is given and not one of ``allowed``."""
    if value is not None and value not in allowed:
        choices = ", ".join(allowed) if allowed else f"none configured in tcrm.yaml lists.{what}"
        raise UsageError(
            Field(field), f" {value!r} is not one of the {what.replace('_', ' ')} ({choices})"
        )


class Choice(Value):
    """The options of ``tcrm client list`` the selection reads: a tag, an owner, a
    source and a status to match, and the ``nps:`` terms (``satisfaction.nps_fits``)."""

    __match_args__ = ("tag", "owner", "source", "status", "nps")
    __slots__ = __match_args__

    def __init__(
        self,
        tag: str | None = None,
        owner: str | None = None,
        source: str | None = None,
        status: str | None = None,
        nps: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.tag = tag
        self.owner = owner
        self.source = source
        self.status = status
        self.nps = tuple(nps)


def check_options(chosen: Choice, lists: Mapping[str, Sequence[str]], team: Sequence[str]) -> None:
    """``UsageError`` for a tag, source or status the settings' lists (by their names in
    ``lists``: tags, sources, client_statuses) lack, or an owner not on the team (when
    there is one)."""
    for option, name in LIST_NAMES.items():
        check_choice(option, getattr(chosen, option), lists[name], name)
    if chosen.owner is not None and team:
        check_choice("owner", chosen.owner, team, "team members")


def keeps(client: ListedClient, chosen: Choice, scores: Mapping[str, Satisfaction]) -> bool:
    """Whether ``client`` has the tag, owner, source and status asked for, and its latest
    survey score (in ``scores``, by client id) passes the ``nps:`` terms."""
    found = scores.get(client.id)
    return (
        (chosen.tag is None or chosen.tag in client.tags)
        and (chosen.owner is None or client.owner == chosen.owner)
        and (chosen.source is None or client.source == chosen.source)
        and (chosen.status is None or client.status == chosen.status)
        and (not chosen.nps or satisfaction.nps_fits(found.score if found else None, chosen.nps))
    )


class Summary(Holding[C]):
    """A row of ``client list``: the client and what the other records say about it."""

    __match_args__ = ("client", "open_deals", "last_contact", "contact_due", "satisfaction")
    __slots__ = __match_args__

    def __init__(
        self,
        client: C,
        open_deals: int,
        last_contact: datetime | None,
        contact_due: bool,
        satisfaction: Satisfaction | None = None,
    ) -> None:
        self.client = client
        self.open_deals = open_deals
        self.last_contact = last_contact
        self.contact_due = contact_due
        self.satisfaction = satisfaction
        """The latest survey score and its trend (``None``: never surveyed)."""

    def with_client(self, client: C) -> Summary[C]:
        """The same row of another copy of its client (``--json`` shows private values)."""
        return Summary(
            client, self.open_deals, self.last_contact, self.contact_due, self.satisfaction
        )


def summaries(
    clients: Sequence[C],
    open_deals: Mapping[str, int],
    activities: Iterable[Contacting],
    scores: Mapping[str, Satisfaction],
    now: datetime,
    mail_counts: str,
) -> list[Summary[C]]:
    """The rows of ``clients``: their open deals (counted by client id), last contact
    among ``activities`` (those of them that count as contact, ``mail_counts``), whether
    it is due (``keep_in_touch.clients_to_contact``) and their latest survey score."""
    contacts = [a for a in activities if keep_in_touch.counts_as_contact(a, mail_counts)]
    last, _ = keep_in_touch.last_activity_by(contacts)
    due = {d.client.id for d in keep_in_touch.clients_to_contact(clients, contacts, now)}
    return [
        Summary(c, open_deals.get(c.id, 0), last.get(c.id), c.id in due, scores.get(c.id))
        for c in clients
    ]


def contact_refs(clients: Iterable[ListedClient]) -> list[str]:
    """The refs whose activities tell the clients' last contact (``client:ID``)."""
    return [f"client:{c.id}" for c in clients]


SURVEYS = like("text", "%survey%")
"""The index condition that keeps every survey answer (and some other activities)."""
OPEN_DEALS = eq("status", "open")
"""The deals a row counts (by the index's ``client`` column)."""


# --- the early path: from the index's rows, without the models ------------------------


class IndexedClient(Value):
    """The fields of a client the list reads, from a valid row of the index."""

    __match_args__ = (
        "id",
        "name",
        "status",
        "owner",
        "source",
        "tags",
        "cadence_days",
        "created",
    )
    __slots__ = __match_args__

    def __init__(
        self,
        id: str,
        name: str,
        status: str | None = None,
        owner: str | None = None,
        source: str | None = None,
        tags: Sequence[str] = (),
        cadence_days: int | None = None,
        created: datetime | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.status = status
        self.owner = owner
        self.source = source
        self.tags = list(tags)
        self.cadence_days = cadence_days
        self.created = created


DIRECTIONS = ("in", "out")


CLIENT_FIELDS = IndexedClient.__match_args__[1:]
"""What is read of a client's row (``early_index.slim_rows``: the fields present and not
null; to the model of a valid row the same as the whole data, since a missing optional
field is ``None`` as a null one is, and a list or a required field is never null)."""


class Mail(Value):
    """What the clock reads of filed mail: its direction (``in`` or ``out``)."""

    __match_args__ = ("direction",)
    __slots__ = __match_args__

    def __init__(self, direction: str) -> None:
        self.direction = direction


class IndexedActivity(Value):
    """The fields of an activity the clock and the scores read, from a valid row."""

    __match_args__ = ("id", "kind", "at", "clients", "deals", "score", "mail")
    __slots__ = __match_args__

    def __init__(
        self,
        id: str,
        kind: str,
        at: datetime,
        clients: Sequence[str] = (),
        deals: Sequence[str] = (),
        score: int | None = None,
        mail: Mail | None = None,
    ) -> None:
        self.id = id
        self.kind = kind
        self.at = at
        self.clients = list(clients)
        self.deals = list(deals)
        self.score = score
        self.mail = mail


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(value)
    return [required_text(v) for v in value]


def _int(value: Any) -> int | None:
    """A whole number as the files write it (digits; the YAML reader keeps scalars as
    text); ``ValueError`` for one written another way pydantic reads (a sign, spaces,
    underscores, a fraction): the models'."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    raise ValueError(value)


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(value)
    return parse_datetime(value)


def _object(record_id: str, data: str) -> dict[str, Any]:
    raw = json.loads(data)
    if not isinstance(raw, dict):
        raise ValueError(record_id)
    return raw


def indexed_client(record_id: str, data: str) -> IndexedClient:
    """A valid client row's data as the list reads it; ``ValueError`` for any value not
    written the way this reader knows for certain the model reads it too."""
    raw = _object(record_id, data)
    created = raw.get("created")
    return IndexedClient(
        id=record_id,
        name=required_text(raw.get("name")),
        status=optional_text(raw.get("status")),
        owner=optional_text(raw.get("owner")),
        source=optional_text(raw.get("source")),
        tags=_texts(raw.get("tags", [])),
        cadence_days=_int(raw.get("cadence_days")),
        created=None if created is None else _moment(created),
    )


def indexed_activity(record_id: str, data: str) -> IndexedActivity:
    """A valid activity row's data as the clock and the scores read it; ``ValueError``
    for any value not written the way this reader knows for certain the model reads it."""
    raw = _object(record_id, data)
    mail = raw.get("mail")
    if mail is not None and (not isinstance(mail, dict) or mail.get("direction") not in DIRECTIONS):
        raise ValueError(record_id)
    return IndexedActivity(
        id=record_id,
        kind=required_text(raw.get("kind")),
        at=_moment(raw.get("at")),
        clients=_texts(raw.get("clients", [])),
        deals=_texts(raw.get("deals", [])),
        score=_int(raw.get("score")),
        mail=None if mail is None else Mail(mail["direction"]),
    )


class Asked(Value):
    """The options of ``tcrm client list`` as given, before they are checked: a tag, an
    owner, a source, a status, and filter terms (only ``nps:`` terms are read here)."""

    __match_args__ = ("tag", "owner", "source", "status", "filters")
    __slots__ = __match_args__

    def __init__(
        self,
        tag: str | None = None,
        owner: str | None = None,
        source: str | None = None,
        status: str | None = None,
        filters: Sequence[str] = (),
    ) -> None:
        self.tag = tag
        self.owner = owner
        self.source = source
        self.status = status
        self.filters = tuple(filters)


def lists_of(settings: Settings) -> dict[str, list[str]]:
    """The settings' lists the options are checked against, by name (kept in the index)."""
    return {name: list(getattr(settings.lists, name)) for name in LIST_NAMES.values()}


def kept_lists(settings: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """The settings' lists the options are checked against, as the index keeps them
    (``lists_of``); ``None`` when they are not kept that way."""
    lists = settings.get("client_lists")
    if not isinstance(lists, dict) or set(lists) != set(LIST_NAMES.values()):
        return None
    for values in lists.values():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return None
    return lists


def from_index(
    conn: early_index.Connection,
    settings: Mapping[str, Any],
    now: datetime | None,
    asked: Asked,
) -> tuple[str, list[Summary[IndexedClient]]] | None:
    """``(the workspace's time zone, tcrm client list's rows)`` from a fresh index
    (``early_index.open_fresh``) and the settings it keeps, as ``clients.list_clients``
    makes them; ``None`` when the normal path must answer: something to report (an
    option the settings lack, a filter term other than ``nps:``, a file of the kinds read
    that is not valid), or a value not written in the plain way the readers above know."""
    members = early_index.kept_members(settings)
    lists = kept_lists(settings)
    zone, mail_counts = settings.get("timezone"), settings.get("mail_counts")
    if members is None or lists is None or not isinstance(zone, str):
        return None
    if mail_counts not in ("both", "in", "out", "none") or settings.get("conflicts") != 0:
        return None
    try:
        rest, nps = satisfaction.split_nps_filters(asked.filters)
        chosen = Choice(asked.tag, asked.owner, asked.source, asked.status, nps)
        check_options(chosen, lists, members)
    except UsageError:
        return None
    if rest:
        return None
    # the command reads clients, deals (to count the open ones) and activities: it warns
    # of a file of any of them it could not read
    if any(early_index.holds_broken(conn, kind) for kind in ("client", "deal", "activity")):
        return None
    try:
        surveyed = early_index.valid_rows(conn, "activity", SURVEYS)
        scores = satisfaction.satisfaction_by_client(indexed_activity(*r) for r in surveyed)
        rows = early_index.slim_rows(conn, "client", CLIENT_FIELDS, None)
        clients = [indexed_client(*r) for r in rows]
        clients = [c for c in clients if keeps(c, chosen, scores)]
        refs = contact_refs(clients)
        every = mail_counts != "both"  # else the latest activity of each client is enough
        touching = early_index.naming(refs) if every else early_index.latest_naming(refs)
        activities = [
            indexed_activity(*r) for r in early_index.valid_rows(conn, "activity", touching)
        ]
        open_deals = early_index.counts(conn, "deal", "client", OPEN_DEALS)
        at = local_now(zone, now)
        return zone, summaries(clients, open_deals, activities, scores, at, mail_counts)
    except (ValueError, TypeError, KeyError):  # a value the readers or the zone refuse
        return None
