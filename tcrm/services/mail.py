"""Filing mail: each message with a client becomes one ``email`` activity in its card.

``file_messages`` is the one entry point every source uses (``tcrm mail import`` for
.eml/mbox/Maildir, the IMAP sync of ``services.mail_sync``): it matches each message to
clients, writes one activity per (message, client) and commits once per call.

Matching, per address on the message other than ours: the exact address of a client or
of one of its contact people first; failing that, the company's own domain (the domain
of its website and of its addresses), never a free-mail domain. A message matching
several clients is filed to each.

Idempotent: an activity's id is derived from the Message-ID and the client, so the same
message read twice (a re-import, INBOX and Sent, two clones syncing the same mailbox)
is the same file with the same content, and git merges it into one.

Survey answers: a message we sent with ``tcrm mail campaign --survey`` carries its
question (header ``X-Tcrm-Survey``), kept in its outgoing activity's ``mail.survey``. An
incoming message that answers it directly (its In-Reply-To, else the last of its
References, is that message) and whose new text gives a score 0-10 (``mail.score``) is
filed as a ``survey`` activity too, in the same commit, with a deterministic id from the
reply's Message-ID and the client: any clone filing the reply finds the question in the
filed outgoing activity, and two clones or a re-import make one survey answer.

Mail matching no client is not filed: it is kept in this clone's local state
(``.tcrm/mail-unmatched.json``, never in git) for ``tcrm mail unmatched`` and
``tcrm mail assign``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tcrm.errors import AmbiguousError, NotFoundError, TcrmError, UsageError, ValidationError
from tcrm.mail.freemail import is_free_mail
from tcrm.mail.parse import MailMessage
from tcrm.mail.score import answer_line, reply_score
from tcrm.model.records import SURVEY_KIND, Activity, Client, Contact
from tcrm.services.records import all_records, build, ensure_valid, resolve, updated
from tcrm.store.local_state import read_state, write_state
from tcrm.store.workspace import Workspace

MAIL_KIND = "email"
UNMATCHED_STATE = "mail-unmatched"
SNIPPET_CHARS = 500
"""``store_body: snippet`` keeps the first lines of the new text, up to this many characters."""
FULL_BODY_CHARS = 200_000
"""``store_body: full`` keeps at most this many characters: a record file is bounded
(``limits.MAX_RECORD_BYTES``), and a 1 MB body is an attachment in disguise."""
NO_SUBJECT = "(no subject)"
MAX_LISTED = 100
"""An activity lists at most this many To, Cc addresses and attachments each: a record
file is bounded, and a message to a thousand people is a newsletter, not a conversation."""


@dataclass(frozen=True)
class Unmatched:
    """A message no client matched, as kept in local state for ``tcrm mail unmatched``."""

    key: str
    from_addr: str
    subject: str
    date: datetime
    addresses: tuple[str, ...]
    source: str


@dataclass
class FilingResult:
    """What ``file_messages`` did: new activities, what was filed before, what matched no one."""

    filed: list[Activity] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    """Ids of activities that exist already (the message was filed before)."""
    unmatched: list[MailMessage] = field(default_factory=list)
    commit: str | None = None
    messages: int = 0
    surveys: list[Activity] = field(default_factory=list)
    """New ``survey`` activities: replies to a survey question that gave a score."""

    def by_client(self) -> dict[str, list[Activity]]:
        """The new activities per client id, in the order they were filed."""
        out: dict[str, list[Activity]] = {}
        for activity in self.filed:
            for client_id in activity.clients:
                out.setdefault(client_id, []).append(activity)
        return out


@dataclass(frozen=True)
class _Match:
    client: Client
    contacts: tuple[str, ...]


@dataclass(frozen=True)
class _Answer:
    """An incoming reply with a score, waiting to be matched to the survey it answers."""

    message: MailMessage
    parent: str
    score: int
    matches: tuple[_Match, ...]


class _Directory:
    """Who is who: clients by exact address and by company domain, and our addresses."""

    def __init__(self, ws: Workspace, own_addresses: Iterable[str]) -> None:
        self.clients = sorted(
            (r for r in all_records(ws, "client") if isinstance(r, Client)), key=lambda c: c.id
        )
        self.members = {m.email.lower(): m.id for m in ws.settings.team if m.email}
        self.own = {a.lower() for a in own_addresses} | set(self.members)
        self.exact: dict[str, dict[str, set[str]]] = {}
        self.domains: dict[str, set[str]] = {}
        by_id = {c.id: c for c in self.clients}
        self.by_id = by_id
        for client in self.clients:
            for email in client.emails:
                self.exact.setdefault(email.lower(), {}).setdefault(client.id, set())
            for person in client.contacts:
                for email in person.emails:
                    self.exact.setdefault(email.lower(), {}).setdefault(client.id, set()).add(
                        person.name
                    )
            for domain in _company_domains(client):
                self.domains.setdefault(domain, set()).add(client.id)

    def match(self, message: MailMessage) -> list[_Match]:
        found: dict[str, set[str]] = {}
        for address in message.addresses:
            if address in self.own:
                continue
            exact = self.exact.get(address)
            if exact:
                for client_id, people in exact.items():
                    found.setdefault(client_id, set()).update(people)
                continue
            for client_id in self._by_domain(address.rpartition("@")[2]):
                found.setdefault(client_id, set())
        return [_Match(self.by_id[i], tuple(sorted(found[i]))) for i in sorted(found)]

    def _by_domain(self, domain: str) -> set[str]:
        if is_free_mail(domain):
            return set()
        labels = domain.split(".")
        for start in range(len(labels) - 1):  # eu.acme.com is acme.com's too
            hit = self.domains.get(".".join(labels[start:]))
            if hit:
                return hit
        return set()


def _company_domains(client: Client) -> set[str]:
    """The domains that are the client's own: its website's and its own addresses',
    free-mail ones never. A contact person's address matches exactly only: people write
    from partners' and agencies' domains too."""
    domains = {e.rpartition("@")[2].lower() for e in client.emails}
    if client.website:
        site = client.website.strip()
        host = urlsplit(site if "//" in site else f"//{site}").hostname or ""
        domains.add(host.removeprefix("www."))
    return {d for d in domains if "." in d and not is_free_mail(d)}


def activity_id(message_key: str, client_id: str) -> str:
    """The id of the activity filing ``message_key`` to ``client_id``: the same in every
    clone, so the same message is one file however many times it is read."""
    digest = hashlib.sha256(f"{message_key}\0{client_id}".encode()).hexdigest()
    return f"m{digest[:16]}"


def survey_activity_id(message_key: str, client_id: str) -> str:
    """The id of the survey answer a reply ``message_key`` gave for ``client_id``: the
    same in every clone, so a reply filed twice is one answer."""
    digest = hashlib.sha256(f"survey\0{message_key}\0{client_id}".encode()).hexdigest()
    return f"s{digest[:16]}"


def _parent(message: MailMessage) -> str | None:
    """The message this one answers directly: In-Reply-To, else the last of References."""
    return message.in_reply_to or (message.references[-1] if message.references else None)


def _stored_body(text: str, mode: str) -> str | None:
    if mode == "none" or not text:
        return None
    if mode == "full":
        return text[:FULL_BODY_CHARS]
    lines = []
    for line in text.split("\n"):
        if line.startswith(">") or (line.startswith("On ") and line.rstrip().endswith("wrote:")):
            break  # the quoted conversation below is in the earlier messages
        lines.append(line)
    snippet = "\n".join(lines).strip() or text
    if len(snippet) > SNIPPET_CHARS:
        snippet = snippet[:SNIPPET_CHARS].rstrip() + "…"
    return snippet


def _activity(
    ws: Workspace, message: MailMessage, match: _Match, directory: _Directory
) -> Activity:
    outgoing = message.from_addr in directory.own
    data: dict[str, Any] = {
        "id": activity_id(message.key, match.client.id),
        "kind": MAIL_KIND,
        "at": message.date,
        "summary": message.subject[:500] or NO_SUBJECT,
        "clients": [match.client.id],
        "contacts": list(match.contacts),
        "author": directory.members.get(message.from_addr) if outgoing else None,
        "notes": _stored_body(message.body, ws.settings.mail.store_body),
        "mail": {
            "message_id": message.key,
            "direction": "out" if outgoing else "in",
            "sender": message.from_addr or None,
            "to": list(message.to[:MAX_LISTED]),
            "cc": list(message.cc[:MAX_LISTED]),
            "thread": message.thread,
            "attachments": [
                {"name": n[:200], "size": s} for n, s in message.attachments[:MAX_LISTED]
            ],
        },
    }
    if outgoing and message.survey:
        data["mail"]["survey"] = message.survey
    activity = build("activity", data)
    assert isinstance(activity, Activity)
    return activity


def _check_kind(ws: Workspace) -> None:
    kinds = ws.settings.lists.activity_kinds
    if kinds and MAIL_KIND not in kinds:
        raise ValidationError(
            f"tcrm.yaml: lists.activity_kinds has no {MAIL_KIND!r}; filed mail is "
            f"{MAIL_KIND!r} activities, so add it to the list"
        )


def file_messages(
    workspace: Workspace,
    messages: Iterable[MailMessage],
    *,
    now: datetime,
    dry_run: bool = False,
    source: str,
    own_addresses: frozenset[str] = frozenset(),
) -> FilingResult:
    """File ``messages`` into the cards of the clients they match: one ``email`` activity
    per (message, client), all in ONE commit (none when nothing is new, nor on a dry
    run). ``own_addresses`` are the account owner's: mail from them (or from a team
    member's address in tcrm.yaml) is outgoing. ``source`` names where the mail came
    from, for the commit message and ``tcrm mail unmatched``."""
    ws = workspace
    _check_kind(ws)
    result = FilingResult()
    with ws.lock():
        directory = _Directory(ws, own_addresses)
        existing = {record_id for record_id, _ in ws.rel_files("activity")}
        new: dict[str, Activity] = {}
        unmatched: dict[str, MailMessage] = {}
        filed_keys: set[str] = set()
        answers: list[_Answer] = []
        for message in messages:
            result.messages += 1
            matches = directory.match(message)
            if not matches:
                unmatched.setdefault(message.key, message)
                continue
            filed_keys.add(message.key)
            parent = _parent(message)
            if parent and message.from_addr not in directory.own:
                score = reply_score(message.body)
                if score is not None:
                    answers.append(_Answer(message, parent, score, tuple(matches)))
            for match in matches:
                record_id = activity_id(message.key, match.client.id)
                if record_id in existing or record_id in new:
                    if record_id not in result.duplicates:
                        result.duplicates.append(record_id)
                    continue
                activity = _activity(ws, message, match, directory)
                ensure_valid(ws, activity)
                new[record_id] = activity
        result.filed = list(new.values())
        result.surveys = _survey_answers(ws, answers, new, existing)
        result.unmatched = [m for k, m in unmatched.items() if k not in filed_keys]
        if dry_run:
            return result
        if new or result.surveys:
            count = len({a.mail.message_id for a in new.values() if a.mail})
            everything = [*new.values(), *result.surveys]
            clients = sorted({c for a in everything for c in a.clients})
            shown = ", ".join(clients[:5]) + (", ..." if len(clients) > 5 else "")
            noun = "message" if count == 1 else "messages"
            title = f"mail: file {count} {noun} from {source} ({shown})"
            if result.surveys:
                title += f" + {len(result.surveys)} survey answer" + (
                    "s" if len(result.surveys) > 1 else ""
                )
            with ws.transaction(title) as tx:
                for activity in everything:
                    tx.put(activity, create=True)
            result.commit = tx.commit_id
        _remember_unmatched(ws, result.unmatched, filed_keys, source, now)
    return result


def _survey_answers(
    ws: Workspace, answers: list[_Answer], new: Mapping[str, Activity], existing: set[str]
) -> list[Activity]:
    """A ``survey`` activity per (reply with a score, client) whose parent message is a
    survey filed to that client (in this batch or before), not filed already."""
    out: dict[str, Activity] = {}
    for answer in answers:
        for match in answer.matches:
            record_id = survey_activity_id(answer.message.key, match.client.id)
            if record_id in existing or record_id in out:
                continue
            asked = _asked(ws, activity_id(answer.parent, match.client.id), new, existing)
            if asked is None or asked.mail is None or asked.mail.survey is None:
                continue
            data: dict[str, Any] = {
                "id": record_id,
                "kind": SURVEY_KIND,
                "at": answer.message.date,
                "summary": asked.mail.survey,
                "clients": [match.client.id],
                "contacts": list(match.contacts),
                "author": asked.author,
                "score": answer.score,
                "notes": answer_line(answer.message.body),
            }
            activity = build("activity", {k: v for k, v in data.items() if v is not None})
            assert isinstance(activity, Activity)
            ensure_valid(ws, activity)
            out[record_id] = activity
    return list(out.values())


def _asked(
    ws: Workspace, record_id: str, new: Mapping[str, Activity], existing: set[str]
) -> Activity | None:
    """The outgoing activity ``record_id``, if it is filed (a broken file counts as not:
    ``tcrm check`` reports it)."""
    if record_id in new:
        found: object = new[record_id]
    elif record_id in existing:
        try:
            found = ws.get("activity", record_id)
        except TcrmError:
            return None
    else:
        return None
    if not isinstance(found, Activity) or found.mail is None or found.mail.direction != "out":
        return None
    return found


# --- unmatched mail: local state ---------------------------------------------------------


def _message_data(message: MailMessage, source: str, now: datetime) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "from_addr": message.from_addr,
        "from_name": message.from_name,
        "to": list(message.to),
        "cc": list(message.cc),
        "subject": message.subject,
        "date": message.date.isoformat(),
        "in_reply_to": message.in_reply_to,
        "references": list(message.references),
        "attachments": [list(a) for a in message.attachments],
        "body": message.body[:FULL_BODY_CHARS],
        "fingerprint": message.fingerprint,
        "survey": message.survey,
        "source": source,
        "seen": now.isoformat(),
    }


def _message_of(data: Mapping[str, Any]) -> MailMessage:
    return MailMessage(
        message_id=data.get("message_id"),
        from_addr=str(data.get("from_addr", "")),
        from_name=str(data.get("from_name", "")),
        to=tuple(data.get("to", ())),
        cc=tuple(data.get("cc", ())),
        subject=str(data.get("subject", "")),
        date=datetime.fromisoformat(str(data["date"])),
        in_reply_to=data.get("in_reply_to"),
        references=tuple(data.get("references", ())),
        attachments=tuple((str(n), int(s)) for n, s in data.get("attachments", ())),
        body=str(data.get("body", "")),
        fingerprint=str(data.get("fingerprint", "")),
        survey=str(data["survey"]) if data.get("survey") else None,
    )


def _load_unmatched(ws: Workspace) -> dict[str, dict[str, Any]]:
    state = read_state(ws, UNMATCHED_STATE) or {}
    messages = state.get("messages")
    if not isinstance(messages, dict):
        return {}
    return {k: v for k, v in messages.items() if isinstance(v, dict) and _readable(v)}


def _readable(data: Mapping[str, Any]) -> bool:
    try:
        _message_of(data)
    except (KeyError, TypeError, ValueError):
        return False
    return True


def _save_unmatched(ws: Workspace, messages: Mapping[str, Any]) -> None:
    write_state(ws, UNMATCHED_STATE, {"version": 1, "messages": dict(messages)})


def _remember_unmatched(
    ws: Workspace,
    unmatched: list[MailMessage],
    filed: set[str],
    source: str,
    now: datetime,
) -> None:
    kept = _load_unmatched(ws)
    before = set(kept)
    for key in filed:
        kept.pop(key, None)
    for message in unmatched:
        kept.setdefault(message.key, _message_data(message, source, now))
    if set(kept) != before:
        _save_unmatched(ws, kept)


def unmatched_messages(ws: Workspace) -> list[Unmatched]:
    """The mail this clone read that matched no client, newest first."""
    out = []
    for key, data in _load_unmatched(ws).items():
        message = _message_of(data)
        out.append(
            Unmatched(
                key=key,
                from_addr=message.from_addr,
                subject=message.subject,
                date=message.date,
                addresses=message.addresses,
                source=str(data.get("source", "")),
            )
        )
    out.sort(key=lambda u: (u.date, u.key), reverse=True)
    return out


@dataclass(frozen=True)
class Assigned:
    """The result of ``tcrm mail assign``: the activity, and the contact person added."""

    activity: Activity
    contact: Contact | None
    commit: str | None


def _find_unmatched(kept: Mapping[str, Any], ref: str) -> str:
    wanted = ref.strip().strip("<>")
    if not wanted:
        raise UsageError("name a message: its Message-ID (see `tcrm mail unmatched`)")
    if wanted in kept:
        return wanted
    starts = [k for k in kept if k.startswith(wanted)]
    if len(starts) > 1:
        raise AmbiguousError(f"{ref!r} starts {len(starts)} unmatched messages; type more of it")
    if not starts:
        raise NotFoundError(f"no unmatched message {ref!r} (see `tcrm mail unmatched`)")
    return starts[0]


def assign_message(
    ws: Workspace,
    *,
    message: str,
    client: str,
    add_contact: bool = False,
    contact_name: str | None = None,
    now: datetime,
    own_addresses: frozenset[str] = frozenset(),
) -> Assigned:
    """File an unmatched message (its Message-ID or a unique start of it) to ``client``,
    in one commit; with ``add_contact``, the sender (the first recipient, for mail we
    sent) becomes a contact person of the client in the same commit."""
    _check_kind(ws)
    with ws.lock():
        kept = _load_unmatched(ws)
        key = _find_unmatched(kept, message)
        mail = _message_of(kept[key])
        record = resolve(ws, "client", client)
        assert isinstance(record, Client)
        directory = _Directory(ws, own_addresses)
        outgoing = mail.from_addr in directory.own
        address = (mail.to[0] if mail.to else "") if outgoing else mail.from_addr
        person: Contact | None = None
        target = record
        if add_contact:
            if not address:
                raise UsageError(f"message {key} has no address to add as a contact person")
            name = (contact_name or "").strip() or (mail.from_name if not outgoing else "")
            person = Contact(name=name or address, emails=[address])
            known = {e.lower() for p in record.contacts for e in p.emails}
            if address in known or address in {e.lower() for e in record.emails}:
                person = None  # already there: nothing to add
            else:
                contacts = [c.model_dump(exclude_none=True) for c in record.contacts]
                changed = updated(record, {"contacts": [*contacts, person.model_dump()]})
                assert isinstance(changed, Client)
                target = changed
        people = tuple(p.name for p in target.contacts if address in (e.lower() for e in p.emails))
        activity = _activity(ws, mail, _Match(target, people), directory)
        ensure_valid(ws, activity)
        if ws.exists("activity", activity.id):
            raise UsageError(f"message {key} is filed to {record.id} already ({activity.id})")
        message_text = f"mail: assign {key} to {record.id}"
        if person is not None:
            message_text += f" + contact {person.name}"
        with ws.transaction(message_text) as tx:
            tx.put(activity, create=True)
            if person is not None:
                tx.put(target)
        del kept[key]
        _save_unmatched(ws, kept)
        return Assigned(activity, person, tx.commit_id)
