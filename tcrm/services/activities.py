"""The activity log: ``tcrm log`` and the listing, showing and deleting of activities.

An activity records something that happened (a call, a meeting, an email, a note) and
links to the clients, contact people and deals it concerns. Logging one restarts the
keep-in-touch clock of its clients (see ``insights.clients_to_contact``), and may plan
the next contact as a follow-up task in the same commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from tcrm.errors import AmbiguousError, Command, Field, NotFoundError, TcrmError, UsageError
from tcrm.model.insights import day_of
from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.model.when import DEFAULT_DATE_ORDER, WhenError, parse_when
from tcrm.services import hooks
from tcrm.services.query import apply_filters, parse_filters
from tcrm.services.records import (
    all_records,
    build,
    custom_assignments,
    ensure_valid,
    local_now,
    option_day,
    resolve,
    set_fields,
    starts_with,
)
from tcrm.store import git
from tcrm.store.workspace import Workspace

DEFAULT_NEXT_DUE = "+3d"
NOON = time(12, 0)

# How precisely a reference names a record: the most precise match wins across kinds.
EXACT_ID, NAME, CONTACT, PREFIX, START = 4, 3, 2, 1, 0
LINK_KINDS = ("client", "deal")


@dataclass(frozen=True)
class Link:
    """What one reference on the command line names."""

    level: int
    record: Client | Deal
    contact: str | None = None

    def describe(self) -> str:
        if self.contact:
            return f"contact {self.contact!r} of client {self.record.id}"
        return f"{self.record.KIND} {self.record.id}"


@dataclass
class Links:
    """The clients, deals and contact people an activity (and its follow-up) concern."""

    clients: list[str] = field(default_factory=list)
    deals: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)

    def add(self, link: Link) -> None:
        record = link.record
        if isinstance(record, Deal):
            _append(self.deals, record.id)
            _append(self.clients, record.client)
        else:
            _append(self.clients, record.id)
        if link.contact:
            _append(self.contacts, link.contact)


def _append(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


@dataclass(frozen=True)
class Logged:
    """The result of ``tcrm log``: the activity, and the follow-up task if one was planned."""

    activity: Activity
    task: Task | None
    commit: str | None


class _Records:
    """Clients and deals, read once per command and only if a reference needs their names."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._clients: list[Client] | None = None
        self._deals: list[Deal] | None = None

    @property
    def clients(self) -> list[Client]:
        if self._clients is None:
            self._clients = [r for r in all_records(self.ws, "client") if isinstance(r, Client)]
        return self._clients

    @property
    def deals(self) -> list[Deal]:
        if self._deals is None:
            self._deals = [r for r in all_records(self.ws, "deal") if isinstance(r, Deal)]
        return self._deals


def _describe(links: Sequence[Link]) -> str:
    shown = [link.describe() for link in links]
    return ", ".join(shown[:6]) + (", ..." if len(shown) > 6 else "")


def _only(ref: str, links: list[Link]) -> Link | None:
    """The one link of a level, ``None`` if there is none, an error if there are several."""
    unique = list(
        {(link.record.KIND, link.record.id, link.contact): link for link in links}.values()
    )
    if len(unique) > 1:
        raise AmbiguousError(f"{ref!r} matches {_describe(unique)}; use an id to say which")
    return unique[0] if unique else None


def _named(ref: str, records: _Records) -> list[Link]:
    wanted = ref.casefold()
    clients = [Link(NAME, c) for c in records.clients if c.name.casefold() == wanted]
    return clients + [Link(NAME, d) for d in records.deals if d.title.casefold() == wanted]


def _contacts(ref: str, records: _Records) -> list[Link]:
    wanted = ref.casefold()
    out: list[Link] = []
    for client in records.clients:
        if any(e.casefold() == wanted for e in client.emails):
            out.append(Link(CONTACT, client))
        for person in client.contacts:
            emails = (e.casefold() for e in person.emails)
            if person.name.casefold() == wanted or wanted in emails:
                out.append(Link(CONTACT, client, person.name))
    return out


def _started(ref: str, records: _Records) -> list[Link]:
    """The clients, deals and contact people whose name (title) starts with ``ref``.

    A deal's title often starts with its client's name, so one client with only its own
    deals and people also starting so means that client.
    """
    wanted = ref.casefold()
    clients = [c for c in records.clients if starts_with(c.name, wanted)]
    deals = [d for d in records.deals if starts_with(d.title, wanted)]
    people = [
        (c, p.name) for c in records.clients for p in c.contacts if starts_with(p.name, wanted)
    ]
    if len(clients) == 1:
        owner = clients[0].id
        if all(d.client == owner for d in deals) and all(c.id == owner for c, _ in people):
            return [Link(START, clients[0])]
    return [
        *(Link(START, c) for c in clients),
        *(Link(START, d) for d in deals),
        *(Link(START, c, name) for c, name in people),
    ]


def _load(ws: Workspace, kind: str, record_id: str) -> Client | Deal:
    record = ws.get(kind, record_id)
    assert isinstance(record, Client | Deal)
    return record


def _by_prefix(ws: Workspace, ref: str, records: _Records) -> Link | None:
    """The one client or deal whose id starts with ``ref``.

    A deal's id usually starts with its client's (``acme`` -> ``acme-website``), so the
    start of one client's id and of some of its own deals' ids means that client.
    """
    lowered = ref.lower()
    clients = [i for i, _ in ws.files("client") if i.startswith(lowered)]
    deals = [i for i, _ in ws.files("deal") if i.startswith(lowered)]
    if len(clients) == 1 and deals:
        owners = {deal.client for deal in records.deals if deal.id in deals}
        if owners == {clients[0]}:
            deals = []
    matches = [("client", i) for i in clients] + [("deal", i) for i in deals]
    if len(matches) > 1:
        listed = ", ".join(f"{k} {i}" for k, i in matches[:6])
        more = ", ..." if len(matches) > 6 else ""
        raise AmbiguousError(f"{ref!r} is the start of {listed}{more}; type more of the id")
    return Link(PREFIX, _load(ws, *matches[0])) if matches else None


def resolve_link(ws: Workspace, ref: str, records: _Records | None = None) -> Link:
    """The client, contact person or deal ``ref`` names: an id, a name or title, a contact
    person's name or email, a unique id prefix, or the unique start of a name or title
    or of a contact person's name (any case).

    The most precise kind of match wins, in that order, whatever the kind of record: the
    client ``acme`` is ``acme`` even though that also starts the deal id ``acme-website``.
    Two records matched equally precisely (a client and a deal both with the id or the
    name ``acme``) are an ``AmbiguousError`` naming both.
    """
    ref = ref.strip()
    if not ref:
        raise UsageError("empty reference: name a client, a contact person or a deal")
    records = records or _Records(ws)
    lowered = ref.lower()
    exact = [Link(EXACT_ID, _load(ws, k, lowered)) for k in LINK_KINDS if ws.exists(k, lowered)]
    for level in (exact, _named(ref, records), _contacts(ref, records)):
        found = _only(ref, level)
        if found is not None:
            return found
    found = _by_prefix(ws, ref, records) or _only(ref, _started(ref, records))
    if found is not None:
        return found
    raise NotFoundError(
        f"no client, contact person or deal matches {ref!r} "
        "(see `tcrm client list`, `tcrm deal list`)"
    )


def resolve_links(ws: Workspace, refs: Iterable[str]) -> Links:
    """The clients, deals and contact people named by ``refs``, in order, without repeats."""
    records = _Records(ws)
    links = Links()
    for ref in refs:
        links.add(resolve_link(ws, ref, records))
    return links


def current_member(ws: Workspace) -> str | None:
    """The team member this clone belongs to: the one whose email is the git identity's."""
    try:
        email = git.identity(ws.root).email.casefold()
    except (TcrmError, OSError, KeyError):
        return None
    for member in ws.settings.team:
        if member.email and member.email.casefold() == email:
            return member.id
    return None


def _parse(field: str, text: str, now: datetime, order: str) -> date | datetime:
    try:
        return parse_when(text, now.replace(tzinfo=None), order)
    except WhenError as exc:
        raise UsageError(str(exc), field=field) from None


def activity_time(text: str | None, now: datetime, order: str = DEFAULT_DATE_ORDER) -> datetime:
    """When an activity happened, from ``--at``: default now.

    A day without a time means 12:00 that day, except today, which means now. An activity
    is logged after it happens, so a moment in the future is refused.
    """
    now = now.replace(second=0, microsecond=0)
    if text is None or not text.strip():
        return now
    value = _parse("at", text, now, order)
    if isinstance(value, datetime):
        at = value.replace(tzinfo=now.tzinfo)
    elif value == now.date():
        at = now
    else:
        at = datetime.combine(value, NOON, tzinfo=now.tzinfo)
    if at > now:
        raise UsageError(
            Field("at"),
            f" {text!r} is in the future ({at:%Y-%m-%d %H:%M}); log an activity after "
            "it happens, and plan it with `tcrm task add` (or `",
            Command("tcrm log ... ", Field("next")),
            "`)",
        )
    return at


def kind_prefix(summary: str, kinds: Sequence[str]) -> tuple[str | None, str]:
    """``"email: sent the deck"`` -> ``("email", "sent the deck")`` when the words before
    the first colon name one of ``kinds`` (any case); otherwise ``(None, summary)``, the
    text as written (``"Re: the proposal"``, ``"10:30 call"``)."""
    head, colon, rest = summary.partition(":")
    if colon:
        named = head.strip().casefold()
        for kind in kinds:
            if kind.casefold() == named:
                return kind, rest.strip()
    return None, summary


def _kind(ws: Workspace, kind: str | None, summary: str) -> tuple[str, str]:
    """The activity's kind and summary, from ``--kind`` and a leading ``KIND:``."""
    kinds = ws.settings.lists.activity_kinds
    if kind is not None:
        _check_in_list("kind", kind.strip(), kinds, "activity kinds")
        kind = kind.strip()
    prefixed, text = kind_prefix(summary, kinds)
    if prefixed is not None:
        if kind is not None and kind != prefixed:
            raise UsageError(
                Field("kind"),
                f" {kind} contradicts the summary's '{summary.partition(':')[0]}:' "
                "prefix; drop one of them",
            )
        if not text:
            raise UsageError(f"the summary has nothing after '{summary.partition(':')[0]}:'")
        return prefixed, text
    if kind is None:
        kind = kinds[0] if kinds else "note"
    return kind, summary


def _text(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip():
        raise UsageError(Field(field), " is empty; leave it out or give some text")
    return value.strip()


def split_words(words: Sequence[str]) -> tuple[list[str], str]:
    """``REF [REF...] SUMMARY``: the last word is the summary, the others are references."""
    if len(words) < 2:
        example = 'tcrm log acme "call: wants a proposal"'
        if not words:
            raise UsageError(f"name a client, contact or deal, then a summary, e.g. {example}")
        raise UsageError(
            f"missing summary after {words[0]!r}: the last argument is the summary, e.g. {example}"
        )
    summary = words[-1].strip()
    if not summary:
        raise UsageError("the summary (the last argument) is empty")
    return list(words[:-1]), summary


def log_activity(
    ws: Workspace,
    *,
    words: Sequence[str],
    kind: str | None = None,
    outcome: str | None = None,
    at: str | None = None,
    note: str | None = None,
    author: str | None = None,
    next_title: str | None = None,
    next_due: str | None = None,
    next_assignee: str | None = None,
    now: datetime,
    assignments: Sequence[str] = (),
) -> Logged:
    """``tcrm log REF [REF...] SUMMARY``: the activity, and with ``next_title`` the
    follow-up task linked to the same clients and deals, in one commit.

    A summary starting with a listed kind and a colon (``"email: sent the deck"``) is
    that kind of activity, the prefix left out of the summary."""
    refs, summary = split_words(words)
    now = local_now(ws, now)
    if next_title is None and (next_due is not None or next_assignee is not None):
        field = "next_due" if next_due is not None else "next_assignee"
        raise UsageError(Field(field), " needs ", Field("next_title"), ' "what to do next"')
    kind, summary = _kind(ws, kind, summary)
    with ws.lock():
        links = resolve_links(ws, refs)
        author = _text("author", author) or current_member(ws)
        activity = build(
            "activity",
            {
                "id": ws.new_id("activity"),
                "kind": kind,
                "at": activity_time(at, now, ws.settings.date_order),
                "summary": summary,
                "clients": links.clients,
                "deals": links.deals,
                "contacts": links.contacts,
                "outcome": _text("outcome", outcome),
                "author": author,
                "notes": _text("note", note),
                **custom_assignments("activity", assignments, ws.settings, now),
            },
        )
        assert isinstance(activity, Activity)
        ensure_valid(ws, activity)
        task = _follow_up(ws, links, next_title, next_due, next_assignee or author, now)
        message = f"activity {activity.id}: {activity.kind} {', '.join(links.clients)}"
        if task is not None:
            message += f" + follow-up task {task.id}"
        hooks.check_before(ws, "activity.logged", [activity])
        with ws.transaction(message) as tx:
            tx.put(activity, create=True)
            if task is not None:
                tx.put(task, create=True)
    hooks.fire(ws, "activity.logged", [activity])
    if task is not None:
        hooks.fire(ws, "task.added", [task])
    return Logged(activity, task, tx.commit_id)


def _follow_up(
    ws: Workspace,
    links: Links,
    title: str | None,
    due: str | None,
    assignee: str | None,
    now: datetime,
) -> Task | None:
    title = _text("next_title", title)
    if title is None:
        return None
    task = build(
        "task",
        {
            "id": ws.new_id("task"),
            "title": title,
            "due": _parse("next_due", due or DEFAULT_NEXT_DUE, now, ws.settings.date_order),
            "assignee": _text("next_assignee", assignee),
            "clients": links.clients,
            "deals": links.deals,
            "contacts": links.contacts,
            "created": now.replace(second=0, microsecond=0),
        },
    )
    assert isinstance(task, Task)
    ensure_valid(ws, task)
    return task


def _check_in_list(field: str, value: str, allowed: Sequence[str], what: str) -> None:
    if allowed and value not in allowed:
        raise UsageError(f"{value!r} is not one of the {what} ({', '.join(allowed)})", field=field)


def list_activities(
    ws: Workspace,
    *,
    client: str | None = None,
    deal: str | None = None,
    kind: str | None = None,
    author: str | None = None,
    since: str | None = None,
    until: str | None = None,
    filters: Sequence[str] = (),
    limit: int | None = None,
    now: datetime,
) -> list[Activity]:
    """Activities matching every condition, newest first; ``since``/``until`` are whole
    days (inclusive) in the workspace's time zone."""
    now = local_now(ws, now)
    settings = ws.settings
    client_id = resolve(ws, "client", client).id if client else None
    deal_id = resolve(ws, "deal", deal).id if deal else None
    if kind is not None:
        _check_in_list("kind", kind, settings.lists.activity_kinds, "activity kinds")
    if author is not None:
        _check_in_list("author", author, [m.id for m in settings.team], "team members")
    order = settings.date_order
    first, last = option_day("since", since, now, order), option_day("until", until, now, order)
    if first and last and first > last:
        raise UsageError(Field("since"), f" {since!r} is after ", Field("until"), f" {until!r}")
    if limit is not None and limit < 1:
        raise UsageError(Field("limit"), " must be at least 1")
    compiled = parse_filters(
        filters, Activity, now, settings.date_order, settings.fields.of(Activity.KIND)
    )

    def wanted(activity: Activity) -> bool:
        day = day_of(activity.at, settings.timezone)
        return (
            (client_id is None or client_id in activity.clients)
            and (deal_id is None or deal_id in activity.deals)
            and (kind is None or activity.kind == kind)
            and (author is None or activity.author == author)
            and (first is None or day >= first)
            and (last is None or day <= last)
        )

    found = [a for a in _activities(ws) if wanted(a)]
    found = [a for a in apply_filters(found, compiled) if isinstance(a, Activity)]
    found.sort(key=lambda a: (a.at, a.id), reverse=True)
    return found[:limit] if limit else found


def _activities(ws: Workspace) -> list[Activity]:
    return [r for r in all_records(ws, "activity") if isinstance(r, Activity)]


def get_activity(ws: Workspace, *, ref: str) -> Activity:
    """One activity by id, unique id prefix or exact summary."""
    record = resolve(ws, "activity", ref)
    assert isinstance(record, Activity)
    return record


@dataclass(frozen=True)
class Edited:
    activity: Activity
    changed: bool


def edit_activity(
    ws: Workspace, *, ref: str, assignments: Sequence[str], now: datetime | None = None
) -> Edited:
    """``tcrm activity edit REF --set field=value``: one commit, or none if nothing changes."""
    with ws.lock():
        before = get_activity(ws, ref=ref)
        after = set_fields(
            ws, kind="activity", ref=before.id, assignments=list(assignments), now=now
        )
        assert isinstance(after, Activity)
        return Edited(after, after.to_data() != before.to_data())


def remove_activity(ws: Workspace, *, ref: str) -> Activity:
    """Delete an activity (rare and explicit: the log is history); one commit."""
    with ws.lock():
        activity = get_activity(ws, ref=ref)
        with ws.transaction(f"activity {activity.id}: delete") as tx:
            tx.delete("activity", activity.id)
        return activity
