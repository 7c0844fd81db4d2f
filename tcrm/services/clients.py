"""Clients: adding one without creating a duplicate, the client card, removal and merging.

Removal and merging touch every record that points at a client (deals by their
``client``, tasks and activities by their ``clients`` list, directly or through one of
the client's deals), always in one commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from tcrm.errors import Command, Field, Hint, OverridableError, RuleError, UsageError
from tcrm.model import insights
from tcrm.model.records import SURVEY_KIND, Activity, Client, Deal, Record, Task
from tcrm.model.types import slugify
from tcrm.model.words import plural
from tcrm.services import client_selection, hooks, routing, surveys
from tcrm.services.mail_threads import CARD_THREADS, MailThread, mail_threads
from tcrm.services.query import apply_filters, parse_filters
from tcrm.services.records import (
    ConflictError,
    all_records,
    build,
    candidates,
    contact_activities,
    custom_assignments,
    ensure_valid,
    linked,
    local_now,
    note_unreadable,
    parse_assignments,
    resolve,
    set_fields,
    updated,
)
from tcrm.store import early_index
from tcrm.store.where import among, eq
from tcrm.store.workspace import Workspace

PROTECTED: dict[str, Hint] = {
    "contacts": (
        "use `",
        Command("tcrm client edit REF ", Field("add_contact"), ' "Name <email>"'),
        "`, or edit the file with `tcrm client edit REF`",
    ),
}
"""Fields ``client edit --set`` refuses, with the way to change them instead."""

FREEMAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "proton.me",
        "protonmail.com",
        "posteo.de",
        "mailbox.org",
        "fastmail.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "example.com",
    }
)
"""Mail domains shared by unrelated people: only a whole address there marks a duplicate."""

LEGAL_FORMS = frozenset(
    {
        "ab",
        "ag",
        "as",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gbr",
        "gmbh",
        "inc",
        "kg",
        "llc",
        "llp",
        "ltd",
        "limited",
        "nv",
        "oy",
        "plc",
        "sa",
        "sarl",
        "sas",
        "se",
        "spa",
        "srl",
        "ug",
    }
)
"""Words of a company name that do not tell two companies apart (``Acme GmbH`` = ``Acme``)."""


# --- parsing ---------------------------------------------------------------------------


def parse_contact(text: str) -> dict[str, Any]:
    """A contact person from ``"Jane Doe <jane@x.com>"`` or a plain ``"Jane Doe"``."""
    raw = " ".join(str(text).split())
    if not raw:
        raise UsageError(Field("contact"), ' is empty; write "Jane Doe <jane@x.com>" or a name')
    if "<" not in raw and ">" not in raw:
        if "@" in raw and " " not in raw:
            raise UsageError(
                Field("contact"), f' {text!r} has no name; write "Jane Doe <{raw}>" or just a name'
            )
        return {"name": raw}
    name, address = parseaddr(raw)
    bracket = re.fullmatch(r"(.*?)\s*<([^<>]*)>", raw)
    if bracket and (not name or address != bracket.group(2).strip()):
        # parseaddr reads ``Müller, Hans <h@x.de>`` as two addresses: trust the brackets.
        name, address = bracket.group(1).strip().strip("\"'"), bracket.group(2).strip()
    if not name:
        raise UsageError(Field("contact"), f' {text!r} has no name; write "Jane Doe <jane@x.com>"')
    contact: dict[str, Any] = {"name": name}
    if address:
        contact["emails"] = [address]
    return contact


def normalised_name(name: str) -> str:
    """The name without case, accents, punctuation or legal form: ``ACME GmbH`` -> ``acme``."""
    words = [w for w in slugify(name, max_length=200).split("-") if w]
    kept = [w for w in words if w not in LEGAL_FORMS]
    return "-".join(kept or words)


def _domain(email: str) -> str:
    return email.rpartition("@")[2].casefold()


def _website_domain(website: str | None) -> str | None:
    if not website:
        return None
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    host = host.casefold().removeprefix("www.")
    return host or None


def addresses_of(client: Client) -> set[str]:
    """Every email address of a client and its contact people, case-folded."""
    found = {e.casefold() for e in client.emails}
    for person in client.contacts:
        found |= {e.casefold() for e in person.emails}
    return found


def domains_of(client: Client) -> set[str]:
    """The company's own mail domains (free-mail left out) and its website's host."""
    found = {_domain(e) for e in addresses_of(client)} - FREEMAIL
    site = _website_domain(client.website)
    return found | ({site} if site else set())


PHONE_KEY_DIGITS = 9


def phone_key(phone: str) -> str | None:
    """What two spellings of one number share: its last 9 digits, extension dropped.

    ``+49 30 1234 5678`` and ``030 12345678`` give the same key; a number of fewer than
    9 digits (an extension, a short code) gives ``None``: too short to tell people apart.
    """
    number = re.split(r"(?i)\s*(?:x|ext\.?)\s*\d+$", phone.strip())[0]
    digits = re.sub(r"\D", "", number)
    return digits[-PHONE_KEY_DIGITS:] if len(digits) >= PHONE_KEY_DIGITS else None


def phone_keys_of(client: Client) -> set[str]:
    """The phone keys of a client and its contact people."""
    phones = [*client.phones, *(p for person in client.contacts for p in person.phones)]
    return {key for key in map(phone_key, phones) if key}


def duplicate_of(candidate: Client, clients: Iterable[Client]) -> tuple[Client, str] | None:
    """The first existing client ``candidate`` looks like, and why."""
    name = normalised_name(candidate.name)
    addresses, domains = addresses_of(candidate), domains_of(candidate)
    for client in clients:
        if name and normalised_name(client.name) == name:
            return client, "the same name"
        same = sorted(addresses & addresses_of(client))
        if same:
            return client, f"the same email {same[0]}"
        shared = sorted(domains & domains_of(client))
        if shared:
            return client, f"the same domain {shared[0]}"
    return None


# --- add -------------------------------------------------------------------------------


def add_client(
    ws: Workspace,
    *,
    name: str,
    client_type: str = "company",
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    website: str | None = None,
    tags: Sequence[str] = (),
    source: str | None = None,
    owner: str | None = None,
    status: str | None = None,
    region: str | None = None,
    cadence_days: int | str | None = None,
    contacts: Sequence[str] = (),
    notes: str | None = None,
    force: bool = False,
    now: datetime | None = None,
    assignments: Sequence[str] = (),
) -> Client:
    """``tcrm client add``: one new client file, one commit.

    ``assignments`` (``name=value``) set custom fields (tcrm.yaml ``fields.client``).

    Refuses a client that looks like one we have (same name without its legal form,
    same email, or same company email domain or website) unless ``force``.
    """
    now = local_now(ws, now)
    data: dict[str, Any] = {
        "name": name,
        "type": client_type,
        "status": status,
        "owner": owner,
        "source": source,
        "region": region,
        "tags": _unique(tags),
        "website": website,
        "emails": _unique(emails, key=str.casefold),
        "phones": _unique(phones),
        "cadence_days": cadence_days,
        "contacts": [parse_contact(text) for text in contacts],
        "created": now.replace(second=0, microsecond=0),
        "notes": notes,
    }
    fields = {k: v for k, v in data.items() if v is not None}
    fields.update(custom_assignments("client", assignments, ws.settings, now))
    draft = build("client", {**fields, "id": slugify(name) or "new"})
    assert isinstance(draft, Client)
    ensure_valid(ws, draft)
    with ws.lock():
        if not force:
            found = duplicate_of(draft, _clients(ws))
            if found:
                existing, why = found
                raise OverridableError(
                    f"client {existing.id!r} ({existing.name}) has {why}; see "
                    f"`tcrm client show {existing.id}`",
                    hint=(", or add anyway with ", Field("force")),
                )
        client = build("client", {**fields, "id": ws.new_id("client", name)})
        assert isinstance(client, Client)
        lead = routing.plan(ws, [client])
        [client] = routing.routed([client], lead)
        assert isinstance(client, Client)
        hooks.check_before(ws, "client.added", [client])
        with ws.transaction(f"client {client.id}: add{routing.note(lead, client.id)}") as tx:
            tx.put(client, create=True)
            if lead.changed:
                tx.write_text(routing.STATE_FILE, lead.state_text())
    hooks.fire(ws, "client.added", [client])
    return client


def _unique(values: Iterable[str], key: Callable[[str], str] = str) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        if key(value) not in seen:
            seen.add(key(value))
            out.append(value)
    return out


def _clients(ws: Workspace) -> list[Client]:
    return [r for r in all_records(ws, "client") if isinstance(r, Client)]


# --- list and show ---------------------------------------------------------------------


ClientSummary = client_selection.Summary
"""A row of ``client list``: the client and what the other records say about it."""


def list_clients(
    ws: Workspace,
    *,
    tag: str | None = None,
    owner: str | None = None,
    source: str | None = None,
    status: str | None = None,
    search: str | None = None,
    filters: Sequence[str] = (),
    now: datetime | None = None,
) -> list[ClientSummary[Client]]:
    """``tcrm client list``: clients matching every option and filter term, by id (the
    selection and the rows are ``client_selection``'s, which the early path calls too)."""
    now = local_now(ws, now)
    filters, nps_terms = surveys.split_nps_filters(filters)
    chosen = client_selection.Choice(tag, owner, source, status, nps_terms)
    team = [m.id for m in ws.settings.team]
    client_selection.check_options(chosen, client_selection.lists_of(ws.settings), team)
    compiled = parse_filters(
        filters, Client, now, ws.settings.date_order, ws.settings.fields.of(Client.KIND)
    )
    scores = surveys.client_satisfaction(ws)
    clients = [
        c
        for c in _clients(ws)
        if client_selection.keeps(c, chosen, scores)
        and (not search or search.casefold() in _text(c.to_data()).casefold())
    ]
    clients = [c for c in apply_filters(clients, compiled) if isinstance(c, Client)]
    open_deals = _open_deals_by_client(ws)
    counts = ws.settings.mail.counts_as_contact
    activities = contact_activities(ws, client_selection.contact_refs(clients))
    if ws.index() is not None:  # what the early path of `client list` reads of the settings
        early_index.remember_settings(ws.root, lambda: _early_summary(ws))
    return client_selection.summaries(clients, open_deals, activities, scores, now, counts)


def _early_summary(ws: Workspace) -> dict[str, object]:
    from tcrm.services.planner import early_summary  # imported once per settings change

    return early_summary(ws)


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        return " ".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return str(value)


def client_names(ws: Workspace, ids: Iterable[str]) -> dict[str, str]:
    """Client id -> name for those of ``ids`` that are clients (a board shows names)."""
    wanted = set(ids)
    found = candidates(ws, "client", among("id", sorted(wanted)))
    return {c.id: c.name for c in found if isinstance(c, Client) and c.id in wanted}


def _open_deals_by_client(ws: Workspace) -> dict[str, int]:
    """Client id -> how many open deals it has (counted by the index when there is one)."""
    index = ws.index()
    if index is not None:
        note_unreadable(ws, "deal")
        return index.counts("deal", "client", client_selection.OPEN_DEALS)
    out: dict[str, int] = {}
    for deal in _deals(ws):
        if deal.status == "open":
            out[deal.client] = out.get(deal.client, 0) + 1
    return out


def _deals(ws: Workspace) -> list[Deal]:
    return [r for r in all_records(ws, "deal") if isinstance(r, Deal)]


def _activities(ws: Workspace) -> list[Activity]:
    return [r for r in all_records(ws, "activity") if isinstance(r, Activity)]


@dataclass(frozen=True)
class ClientCard:
    """``tcrm client show``: a client and everything linked to it."""

    client: Client
    open_deals: list[Deal]
    closed_deals: list[Deal]
    tasks: list[Task]
    activities: list[Activity]
    last_contact: datetime | None
    days_since_contact: int | None
    contact_due: bool
    mail_threads: list[MailThread] = field(default_factory=list)
    satisfaction: surveys.Satisfaction | None = None


LATEST_ACTIVITIES = 10


def client_card(ws: Workspace, *, ref: str, now: datetime | None = None) -> ClientCard:
    """The card of one client: deals, open tasks, the latest activities, contact status.

    A task or activity belongs on the card when it names the client or one of its deals.
    "Last contact" and "due" follow the planner (``tcrm today``): activities naming the
    client, against its keep-in-touch cadence.
    """
    now = local_now(ws, now)
    client = resolve(ws, "client", ref)
    assert isinstance(client, Client)
    found = candidates(ws, "deal", eq("client", client.id))
    deals = sorted(
        (d for d in found if isinstance(d, Deal) and d.client == client.id), key=_deal_order
    )
    deal_ids = {d.id for d in deals}
    refs = [f"client:{client.id}", *(f"deal:{d}" for d in sorted(deal_ids))]
    tasks = [
        t
        for t in linked(ws, "task", refs, eq("status", "open"))
        if isinstance(t, Task) and t.status == "open" and _links(t, client.id, deal_ids)
    ]
    tasks.sort(key=lambda t: (t.due is None, str(t.due or ""), t.id))
    activities = [
        a
        for a in linked(ws, "activity", refs)
        if isinstance(a, Activity) and _links(a, client.id, deal_ids)
    ]
    activities.sort(key=lambda a: (_instant(a.at, ws), a.id), reverse=True)
    counts = ws.settings.mail.counts_as_contact
    contacts = [a for a in activities if insights.counts_as_contact(a, counts)]
    last, _ = insights.last_activity_by(contacts)
    due = insights.clients_to_contact([client], contacts, now)
    since = last.get(client.id)
    from tcrm.services.private import reveal

    deals = [reveal(ws, d) for d in deals]
    return ClientCard(
        client=reveal(ws, client),
        open_deals=[d for d in deals if d.status == "open"],
        closed_deals=[d for d in deals if d.status != "open"],
        tasks=tasks,
        activities=activities[:LATEST_ACTIVITIES],
        last_contact=since,
        days_since_contact=(now - _instant(since, ws)).days if since else None,
        contact_due=bool(due),
        mail_threads=mail_threads(activities, CARD_THREADS),
        satisfaction=surveys.satisfaction_by_client(
            a for a in activities if a.kind == SURVEY_KIND
        ).get(client.id),
    )


def _deal_order(deal: Deal) -> tuple[bool, str, str]:
    """By close date (the actual one, else the expected one), undated last."""
    day = deal.closed or deal.close_date
    return (day is None, str(day or ""), deal.id)


def _links(record: Task | Activity, client_id: str, deal_ids: set[str]) -> bool:
    return client_id in record.clients or bool(deal_ids & set(record.deals))


def _instant(moment: datetime, ws: Workspace) -> datetime:
    """An aware moment; a naive one (hand-written) is read in the workspace's zone."""
    return moment if moment.tzinfo else local_now(ws, moment)


# --- edit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edited:
    client: Client
    changed: bool


def edit_client(
    ws: Workspace,
    *,
    ref: str,
    assignments: Sequence[str] = (),
    add_contacts: Sequence[str] = (),
    now: datetime | None = None,
) -> Edited:
    """``tcrm client edit REF --set field=value --add-contact "Name <email>"``: one commit.

    A contact whose email or name the client already has is refused, not duplicated.
    Changing nothing makes no commit (``changed`` is false).
    """
    people = [parse_contact(text) for text in add_contacts]
    with ws.lock():
        if not people:
            before = resolve(ws, "client", ref)
            result = set_fields(
                ws,
                kind="client",
                ref=before.id,
                assignments=list(assignments),
                protected=PROTECTED,
                now=now,
            )
            assert isinstance(result, Client)
            return Edited(result, result.to_data() != before.to_data())
        client = resolve(ws, "client", ref)
        assert isinstance(client, Client)
        changes = parse_assignments(
            client, assignments, PROTECTED, settings=ws.settings, now=local_now(ws, now)
        )
        contacts = [p.model_dump(exclude_none=True) for p in client.contacts]
        for person in people:
            twin = _same_person(person, contacts)
            if twin is not None:
                raise RuleError(
                    f"client {client.id!r} already has contact {twin['name']!r}; "
                    f"edit it with `tcrm client edit {client.id}`"
                )
            contacts.append(person)
        new = updated(client, {**changes, "contacts": contacts})
        assert isinstance(new, Client)
        ensure_valid(ws, new)
        parts = [f"set {', '.join(sorted(changes))}"] if changes else []
        parts.append("add contact " + ", ".join(p["name"] for p in people))
        with ws.transaction(f"client {client.id}: {'; '.join(parts)}") as tx:
            tx.put(new)
        return Edited(new, True)


def _same_person(person: Mapping[str, Any], others: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The contact in ``others`` that is ``person``: a shared email, else the same name."""
    emails = {e.casefold() for e in person.get("emails", [])}
    for other in others:
        if emails & {e.casefold() for e in other.get("emails", [])}:
            return other
    name = str(person["name"]).casefold()
    return next((o for o in others if str(o["name"]).casefold() == name), None)


# --- references: rm and merge -----------------------------------------------------------


@dataclass(frozen=True)
class References:
    """Everything that points at a client, read strictly (a broken file is an error)."""

    deals: list[Deal]
    tasks: list[Task]
    activities: list[Activity]

    @property
    def count(self) -> int:
        return len(self.deals) + len(self.tasks) + len(self.activities)


def references(ws: Workspace, client_id: str) -> References:
    """Deals of the client, and tasks and activities naming it or one of its deals.

    Broken files raise: a file we cannot read might point at the client, and removing or
    merging it regardless would leave that file dangling.
    """
    deals = [d for d in ws.load_all("deal") if isinstance(d, Deal) and d.client == client_id]
    deal_ids = {d.id for d in deals}
    tasks = [
        t for t in ws.load_all("task") if isinstance(t, Task) and _links(t, client_id, deal_ids)
    ]
    activities = [
        a
        for a in ws.load_all("activity")
        if isinstance(a, Activity) and _links(a, client_id, deal_ids)
    ]
    return References(deals, tasks, activities)


def _counts(deals: int, tasks: int, activities: int) -> list[str]:
    pairs = ((deals, "deal"), (tasks, "task"), (activities, "activity"))
    return [plural(n, word, grouped=False) for n, word in pairs if n]


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True)
class RemovalPlan:
    """What ``client rm`` will do; shown to the person before anything is deleted.

    With ``--cascade``: the client's deals are deleted; a task is deleted when it names
    nothing but the client and its deals, otherwise only unlinked from them; activities
    are history (reports and goals count them), so they are always kept and only unlinked.
    """

    client: Client
    deleted_deals: list[Deal] = field(default_factory=list)
    deleted_tasks: list[Task] = field(default_factory=list)
    unlinked: list[Task | Activity] = field(default_factory=list)

    def _deleted(self) -> list[str]:
        return _counts(len(self.deleted_deals), len(self.deleted_tasks), 0)

    def _unlinked(self) -> list[str]:
        tasks = sum(isinstance(r, Task) for r in self.unlinked)
        return _counts(0, tasks, len(self.unlinked) - tasks)

    def summary(self) -> str:
        """``delete client acme, 2 deals and 1 task; unlink 3 activities``."""
        text = f"delete {_and([f'client {self.client.id}', *self._deleted()])}"
        unlinked = self._unlinked()
        return f"{text}; unlink {_and(unlinked)}" if unlinked else text

    def commit_message(self) -> str:
        """``client acme: remove with 2 deals and 1 task; unlink 3 activities``."""
        text = f"client {self.client.id}: remove"
        deleted, unlinked = self._deleted(), self._unlinked()
        if deleted:
            text += f" with {_and(deleted)}"
        return f"{text}; unlink {_and(unlinked)}" if unlinked else text

    def key(self) -> tuple[Any, ...]:
        """What the plan amounts to, to notice a change between asking and doing."""
        return (
            self.client.to_data(),
            [d.id for d in self.deleted_deals],
            [t.id for t in self.deleted_tasks],
            [(r.KIND, r.id, r.to_data()) for r in self.unlinked],
        )


def plan_removal(ws: Workspace, *, ref: str, cascade: bool = False) -> RemovalPlan:
    """What removing a client involves; refused while records point at it, unless cascade."""
    client = resolve(ws, "client", ref)
    assert isinstance(client, Client)
    refs = references(ws, client.id)
    if refs.count and not cascade:
        counts = _counts(len(refs.deals), len(refs.tasks), len(refs.activities))
        raise RuleError(
            f"client {client.id!r} is still referenced by {_and(counts)}; remove them with "
            "it using ",
            Field("cascade"),
            f", or move them to another client with `tcrm client merge OTHER {client.id}`",
        )
    deal_ids = {d.id for d in refs.deals}
    deleted_tasks: list[Task] = []
    unlinked: list[Task | Activity] = []
    linked: list[Task | Activity] = [*refs.tasks, *refs.activities]
    for record in linked:
        clients = [c for c in record.clients if c != client.id]
        deals = [d for d in record.deals if d not in deal_ids]
        if isinstance(record, Task) and not clients and not deals:
            deleted_tasks.append(record)
            continue
        new = updated(record, {"clients": clients or None, "deals": deals or None})
        assert isinstance(new, Task | Activity)
        unlinked.append(new)
    return RemovalPlan(client, refs.deals, deleted_tasks, unlinked)


def remove_client(
    ws: Workspace,
    *,
    ref: str,
    cascade: bool = False,
    confirm: Callable[[RemovalPlan], bool] | None = None,
) -> RemovalPlan | None:
    """``tcrm client rm``: the client (and with ``cascade`` what hangs on it) in one commit.

    ``confirm`` is asked with the plan before anything changes (``None`` skips asking);
    returns ``None`` when it says no. The plan is made again under the lock, and a change
    in between (a sync, another process) refuses rather than deleting what nobody saw.
    """
    plan = plan_removal(ws, ref=ref, cascade=cascade)
    if confirm is not None and not confirm(plan):
        return None
    with ws.lock():
        again = plan_removal(ws, ref=plan.client.id, cascade=cascade)
        if again.key() != plan.key():
            raise ConflictError(
                f"client {plan.client.id!r} or its records changed meanwhile; nothing was "
                "deleted, run the command again"
            )
        with ws.transaction(plan.commit_message()) as tx:
            for deal in plan.deleted_deals:
                tx.delete("deal", deal.id)
            for task in plan.deleted_tasks:
                tx.delete("task", task.id)
            for record in plan.unlinked:
                tx.put(record)
            tx.delete("client", plan.client.id)
    return plan


@dataclass(frozen=True)
class MergeResult:
    client: Client
    duplicate: Client
    deals: int
    tasks: int
    activities: int


def merge_clients(ws: Workspace, *, keep: str, duplicate: str) -> MergeResult:
    """``tcrm client merge KEEP DUPLICATE``: one client where there were two, one commit.

    Deals, tasks and activities of DUPLICATE move to KEEP; contacts are merged (the same
    email, else the same name, is the same person), and so are emails, phones and tags.
    KEEP's fields win; the ones it lacks are taken from DUPLICATE. Notes are kept from
    both, and ``created`` is the earlier of the two. DUPLICATE is deleted.
    """
    with ws.lock():
        kept = resolve(ws, "client", keep)
        dup = resolve(ws, "client", duplicate)
        assert isinstance(kept, Client) and isinstance(dup, Client)
        if kept.id == dup.id:
            raise RuleError(f"cannot merge client {kept.id!r} into itself; name two clients")
        merged = merged_client(kept, dup)
        ensure_valid(ws, merged)
        refs = references(ws, dup.id)
        moved: list[Record] = [updated(d, {"client": kept.id}) for d in refs.deals]
        linked: list[Task | Activity] = [*refs.tasks, *refs.activities]
        for record in linked:
            if dup.id in record.clients:
                clients = _unique(kept.id if c == dup.id else c for c in record.clients)
                moved.append(updated(record, {"clients": clients}))
        with ws.transaction(f"client {kept.id}: merge {dup.id} into {kept.id}") as tx:
            tx.put(merged)
            for change in moved:
                tx.put(change)
            tx.delete("client", dup.id)
        return MergeResult(
            merged,
            dup,
            deals=len(refs.deals),
            tasks=sum(isinstance(r, Task) for r in moved),
            activities=sum(isinstance(r, Activity) for r in moved),
        )


LIST_FIELDS: dict[str, Callable[[str], str]] = {"tags": str, "emails": str.casefold, "phones": str}


def merged_client(keep: Client, duplicate: Client) -> Client:
    """``keep`` completed with what ``duplicate`` knows and ``keep`` does not."""
    data = keep.model_dump(exclude_none=True)
    other = duplicate.model_dump(exclude_none=True)
    for key, value in other.items():
        if key in ("id", "contacts", "notes", "created"):
            continue
        if key in LIST_FIELDS:
            data[key] = _unique([*data.get(key, []), *value], key=LIST_FIELDS[key])
        elif data.get(key) in (None, "", []):
            data[key] = value
    data["contacts"] = merged_contacts(data.get("contacts", []), other.get("contacts", []))
    notes = [n for n in (keep.notes, duplicate.notes) if n]
    if len(notes) == 2 and notes[0].strip() != notes[1].strip():
        data["notes"] = f"{notes[0]}\n\n{notes[1]}"
    elif notes:
        data["notes"] = notes[0]
    created = [c for c in (keep.created, duplicate.created) if c is not None]
    if created:
        data["created"] = min(created)
    result = build("client", {**data, "id": keep.id})
    assert isinstance(result, Client)
    return result


def merged_contacts(
    first: Sequence[Mapping[str, Any]], second: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Contacts of both lists, a person found in both (by email, then name) once."""
    out = [dict(c) for c in first]
    for person in second:
        twin = _same_person(person, out)
        if twin is None:
            out.append(dict(person))
            continue
        for key, value in person.items():
            if key in ("emails", "phones"):
                fold = LIST_FIELDS[key]
                twin[key] = _unique([*twin.get(key, []), *value], key=fold)
            elif twin.get(key) in (None, "", []):
                twin[key] = value
    return out
