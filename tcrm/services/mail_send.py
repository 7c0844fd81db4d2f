"""``tcrm mail send``: write to a client from the CRM, and keep what was sent on record.

Two steps, so a front end can let the person edit in between: ``prepare_draft`` finds the
recipient and fills the template; ``deliver`` sends the draft and, only once the server
has accepted it, files it as an outgoing ``email`` activity (one commit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from tcrm.errors import Command, Field, TcrmError, UsageError, ValidationError
from tcrm.mail import accounts as mail_accounts
from tcrm.mail.accounts import Account, ServerUrl
from tcrm.mail.compose import Draft, Template, build_message, check_fields, fill, read_template
from tcrm.mail.parse import parse_message
from tcrm.mail.smtp import send
from tcrm.model.records import Client, Contact, Deal
from tcrm.services.activities import current_member, resolve_link
from tcrm.services.kb import KB_DIR, read_page
from tcrm.services.mail import MAIL_KIND, FilingResult, file_messages
from tcrm.store.workspace import Workspace


@dataclass(frozen=True)
class Recipient:
    client: Client
    contact: Contact | None
    name: str
    address: str


def primary_recipient(client: Client) -> Recipient | None:
    """Who a message to the client goes to: its first contact person with an address,
    else the client's own first address; ``None`` when it has no address at all."""
    for person in client.contacts:
        if person.emails:
            return Recipient(client, person, person.name, person.emails[0])
    if client.emails:
        return Recipient(client, None, client.name, client.emails[0])
    return None


def recipient(ws: Workspace, ref: str) -> Recipient:
    """The client, contact person or deal ``ref`` names, as someone to write to."""
    link = resolve_link(ws, ref)
    record = link.record
    if isinstance(record, Deal):
        found = ws.get("client", record.client)
        assert isinstance(found, Client)
        record = found
    assert isinstance(record, Client)
    if link.contact:
        person = next(p for p in record.contacts if p.name == link.contact)
        if not person.emails:
            raise UsageError(f"contact {person.name!r} of {record.id} has no email address")
        return Recipient(record, person, person.name, person.emails[0])
    found_recipient = primary_recipient(record)
    if found_recipient is None:
        raise UsageError(f"client {record.id} has no email address (nor its contact people)")
    return found_recipient


def sender(ws: Workspace, account: Account) -> tuple[str, str]:
    """(name, address) the mail is from: the account's address, named after the team
    member who has it (else this clone's member)."""
    if not account.address:
        raise UsageError(
            f"account {account.name!r} has no address to send from (",
            Command(
                f"tcrm mail account add {account.name} ... ",
                Field("address"),
                " YOU@EXAMPLE.COM ",
                Field("replace"),
            ),
            ")",
        )
    members = {m.id: m for m in ws.settings.team}
    for member in members.values():
        if member.email and member.email.lower() == account.address:
            return member.name, account.address
    me = current_member(ws)
    return (members[me].name if me else ""), account.address


def values(to: Recipient, me: tuple[str, str]) -> dict[str, str]:
    """The template fields for one recipient (``client.name``, ``contact.first_name``...)."""
    out: dict[str, str] = {}
    for key, value in to.client.to_data().items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            out[f"client.{key}"] = str(value)
    out["client.id"] = to.client.id
    name = to.contact.name if to.contact else (to.name or to.client.name)
    out["contact.name"] = name
    out["contact.first_name"] = name.split()[0] if name.split() else ""
    out["contact.email"] = to.address
    out["contact.role"] = (to.contact.role or "") if to.contact else ""
    out["me.name"], out["me.email"] = me
    return out


def client_fields(ws: Workspace) -> set[str]:
    """Field names ``{{client.X}}`` may use: the model's and any hand-added key in use."""
    from tcrm.services.records import all_records

    names = set(Client.model_fields) | {"id"}
    for record in all_records(ws, "client"):
        names.update(record.model_extra or {})
    return names


def load_template(ws: Workspace, ref: str) -> Template:
    """A knowledge base page as a template: ``kb/offer.md``, ``offer.md`` or ``offer``."""
    name = ref.strip().removeprefix("./").removeprefix(f"{KB_DIR}/")
    page = read_page(ws, name=name)
    return read_template(page.text, f"{KB_DIR}/{page.name}")


def check_template(
    ws: Workspace,
    template: Template,
    subject: str | None,
    extra: Mapping[str, frozenset[str]] | None = None,
) -> None:
    fields = client_fields(ws)
    check_fields(
        subject or template.subject or "", f"{template.source} (subject)", fields, 1, extra
    )
    check_fields(template.body, template.source, fields, template.body_line, extra)


def prepare_draft(
    ws: Workspace,
    *,
    account: Account,
    ref: str,
    to: list[str] | None = None,
    subject: str | None = None,
    template: str | None = None,
    body: str | None = None,
) -> Draft:
    """The message to edit or send: recipient from ``ref`` (or ``to``), the subject and
    body from the options or the template, every ``{{field}}`` filled for the recipient."""
    who = recipient(ws, ref)
    me = sender(ws, account)
    filled = values(who, me)
    page = load_template(ws, template) if template else None
    fields = client_fields(ws)
    text = body if body is not None else (page.body if page else "")
    title = subject if subject is not None else (page.subject if page else None) or ""
    source = page.source if page and body is None else "the message"
    check_fields(title, "the subject" if subject is not None else f"{source} (subject)", fields)
    check_fields(text, source, fields, page.body_line if page and body is None else 1)
    label = f"{who.client.id} ({who.address})"
    addresses = tuple(("", a.strip()) for a in to or () if a.strip()) or ((who.name, who.address),)
    return Draft(addresses, (), fill(title, filled, label), fill(text, filled, label))


@dataclass
class Sent:
    message: EmailMessage
    refused: list[str]
    """Recipients the server refused while it took the message for the others."""
    filing: FilingResult | None
    """``None`` on a dry run: nothing was sent nor filed."""


def smtp_server(ws: Workspace, account: Account) -> ServerUrl:
    """The URL (or command) the account sends through, once a sent message could be filed
    too: refused before anything is sent when either is missing."""
    url = account.smtp_url
    if url is None:
        raise UsageError(
            f"account {account.name!r} has no SMTP server (",
            Command(
                f"tcrm mail account add {account.name} ... ",
                *(Field("smtp"), " URL ", Field("replace")),
            ),
            ")",
        )
    check_can_file(ws)
    return url


def check_can_file(ws: Workspace) -> None:
    """Refuse before sending what could not be filed after: sent mail is ``email``
    activities, so that kind must be in ``lists.activity_kinds``."""
    kinds = ws.settings.lists.activity_kinds
    if kinds and MAIL_KIND not in kinds:
        raise ValidationError(
            f"tcrm.yaml: lists.activity_kinds has no {MAIL_KIND!r}; sent mail is filed as "
            f"{MAIL_KIND!r} activities, so add it to the list (nothing was sent)"
        )


def file_sent(
    ws: Workspace, account: Account, messages: list[bytes], *, now: datetime, source: str
) -> FilingResult:
    """File messages the server accepted as outgoing activities, in one commit."""
    own = frozenset({account.address}) if account.address else frozenset()
    parsed = [parse_message(raw, fallback_date=now) for raw in messages]
    return file_messages(ws, parsed, now=now, source=source, own_addresses=own)


def deliver(
    ws: Workspace,
    *,
    account: Account,
    draft: Draft,
    now: datetime,
    dry_run: bool = False,
    secret: Callable[[Account], str] = mail_accounts.password,
) -> Sent:
    """Send ``draft`` through the account's SMTP server (or command), then file it."""
    url = smtp_server(ws, account)
    message = build_message(draft, sender=sender(ws, account), now=now)
    if dry_run:
        return Sent(message, [], None)
    refused = send(url, message, lambda: secret(account))
    try:
        filing = file_sent(
            ws, account, [message.as_bytes()], now=now, source=f"sent {account.name}"
        )
    except TcrmError as exc:
        raise TcrmError(
            f"the message was sent ({message['Message-ID']}) but could not be filed: {exc}"
        ) from None
    return Sent(message, refused, filing)
