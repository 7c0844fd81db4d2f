"""``tcrm mail campaign``: one personal message per client, resumable, logged in one commit.

Each client the filter selects gets the template, filled for its primary contact (the
first contact person with an address, else the client's own address). Clients tagged
``no-mail``, without an address, or lacking a field the template uses are skipped and
listed. Every message the server accepted is recorded at once in this clone's local
state (``.tcrm/campaign-<id>.json``), so a campaign interrupted half-way (a crash, a
refused send, Ctrl-C) run again sends only to those not yet sent. The campaign's id is
the hash of the template and the filter, or the name given.

A message is marked as being sent before it goes and as sent once the server took it;
one left marked "sending" by a crash may or may not have gone out, so it is never sent
again automatically: it is listed as uncertain (``retry_uncertain`` sends it again).

At the end of each run, every message sent so far is filed as an outgoing activity in
one commit (filing is idempotent: a resumed run commits only the new ones).

A survey campaign (``survey=QUESTION``) asks a question: the template places it with
``{{survey.question}}``, else it is appended to the body. Each message carries the
question in an ``X-Tcrm-Survey`` header, which filing keeps in the outgoing activity
(``mail.survey``), so whichever clone files a reply finds the question there and files
a reply with a score as a survey answer (``services.mail``). The local state records the
question and each message's Message-ID.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tcrm.errors import TcrmError, UsageError
from tcrm.mail import accounts as mail_accounts
from tcrm.mail.accounts import Account, MailTransportError
from tcrm.mail.compose import FIELD, Draft, MissingValue, build_message, fill
from tcrm.mail.parse import SURVEY_CHARS, SURVEY_HEADER
from tcrm.mail.smtp import send
from tcrm.model.records import Client
from tcrm.services.mail import FilingResult
from tcrm.services.mail_send import (
    check_template,
    file_sent,
    load_template,
    primary_recipient,
    sender,
    smtp_server,
    values,
)
from tcrm.services.query import apply_filters, parse_filters
from tcrm.services.records import all_records
from tcrm.store import faults
from tcrm.store.local_state import read_state, write_state
from tcrm.store.workspace import Workspace

NO_MAIL_TAG = "no-mail"
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
QUESTION_FIELD = "survey.question"
SURVEY_FIELDS = {"survey": frozenset({"question"})}


def parse_rate(text: str) -> float:
    """``30/min`` -> 2.0: the seconds to leave between two messages (``ValueError`` for
    anything but a positive count per s, min or h; the front end words it)."""
    match = _RATE.match(text.lower())
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not messages per time, e.g. 30/min, 1/s, 500/h")
    return _PER[match.group(2)] / float(match.group(1))


def check_question(question: str) -> str:
    """A survey question as sent: one line of text, at most ``SURVEY_CHARS`` characters."""
    text = question.strip()
    if not text:
        raise UsageError("the survey question is empty")
    if any(not ch.isprintable() for ch in text):
        raise UsageError("the survey question must be one line of text, without control characters")
    if len(text) > SURVEY_CHARS:
        raise UsageError(f"the survey question is longer than {SURVEY_CHARS} characters")
    return text


def _with_question(template: str, body: str, question: str | None) -> str:
    """The filled ``body`` asking ``question``: the template placed it where
    ``{{survey.question}}`` was, else it is appended after a blank line (never filled
    itself: a ``{{...}}`` in the question is text)."""
    if question is None:
        return body
    if any(f"{m.group(1)}.{m.group(2)}" == QUESTION_FIELD for m in FIELD.finditer(template)):
        return body
    return body.rstrip("\n") + "\n\n" + question + "\n"


def campaign_id(template_source: str, template_text: str, where: Sequence[str]) -> str:
    digest = hashlib.sha256(
        "\0".join([template_source, template_text, *where]).encode("utf-8")
    ).hexdigest()
    return f"c{digest[:12]}"


@dataclass(frozen=True)
class Skipped:
    client: str
    reason: str


@dataclass(frozen=True)
class Planned:
    client: str
    address: str
    draft: Draft


@dataclass
class CampaignResult:
    id: str
    sent: list[Planned] = field(default_factory=list)
    """Sent in this run (on a dry run: would be sent)."""
    done_before: list[str] = field(default_factory=list)
    """Clients a previous run of this campaign already sent to."""
    uncertain: list[str] = field(default_factory=list)
    """Clients whose message a crash left between "sending" and "sent": not sent again."""
    skipped: list[Skipped] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    filing: FilingResult | None = None
    dry_run: bool = False


def _state_name(cid: str) -> str:
    return f"campaign-{cid}"


def _load(ws: Workspace, cid: str) -> dict[str, Any]:
    state = read_state(ws, _state_name(cid)) or {}
    for key in ("sent", "sending"):
        if not isinstance(state.get(key), dict):
            state[key] = {}
    return state


def _plan(
    ws: Workspace,
    clients: list[Client],
    template: Any,
    subject: str,
    me: tuple[str, str],
    question: str | None = None,
) -> tuple[list[Planned], list[Skipped]]:
    planned, skipped = [], []
    for client in clients:
        if any(t.casefold() == NO_MAIL_TAG for t in client.tags):
            skipped.append(Skipped(client.id, f"tagged {NO_MAIL_TAG}"))
            continue
        to = primary_recipient(client)
        if to is None:
            skipped.append(Skipped(client.id, "no email address"))
            continue
        filled = values(to, me)
        if question is not None:
            filled[QUESTION_FIELD] = question
        try:
            draft = Draft(
                ((to.name, to.address),),
                (),
                fill(subject, filled, client.id),
                _with_question(template.body, fill(template.body, filled, client.id), question),
            )
        except MissingValue as exc:
            skipped.append(Skipped(client.id, str(exc).removeprefix(f"{client.id} has ")))
            continue
        planned.append(Planned(client.id, to.address, draft))
    return planned, skipped


def run_campaign(
    ws: Workspace,
    *,
    account: Account,
    where: Sequence[str],
    template: str,
    subject: str | None = None,
    name: str | None = None,
    survey: str | None = None,
    rate: float = 0.0,
    dry_run: bool = False,
    retry_uncertain: bool = False,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    secret: Callable[[Account], str] = mail_accounts.password,
    on_sent: Callable[[Planned], None] | None = None,
) -> CampaignResult:
    """Send the template to every client ``where`` selects that this campaign has not
    reached yet, at most one message per ``rate`` seconds; file them all in one commit.

    A refused or failed send stops the run (after filing what was sent) with the error;
    running again continues with the clients not yet sent to. ``survey`` is a question
    each message asks (module docstring)."""
    url = smtp_server(ws, account)
    page = load_template(ws, template)
    title = subject if subject is not None else page.subject
    if not title:
        raise UsageError(
            f"{page.source}: no subject: start the page with a 'Subject: ...' line or "
            "give the campaign a subject"
        )
    question = check_question(survey) if survey is not None else None
    check_template(ws, page, title, SURVEY_FIELDS if question is not None else None)
    if name is not None and not _NAME.match(name):
        raise UsageError(f"campaign name {name!r}: use lower-case letters, digits, - and _")
    asked = (subject or "") + page.body + (f"\0{question}" if question is not None else "")
    cid = name or campaign_id(page.source, asked, where)
    filters = parse_filters(where, Client, now, ws.settings.date_order)
    clients = sorted(
        (c for c in apply_filters(all_records(ws, "client"), filters) if isinstance(c, Client)),
        key=lambda c: c.id,
    )
    me = sender(ws, account)
    planned, skipped = _plan(ws, clients, page, title, me, question)
    result = CampaignResult(cid, skipped=skipped, dry_run=dry_run)
    state = _load(ws, cid)
    before = (
        state.get("survey", {}).get("question") if isinstance(state.get("survey"), dict) else None
    )
    if (state["sent"] or state["sending"]) and before != question:
        raise UsageError(
            f"campaign {cid} was sent "
            + (f"with the survey question {before!r}" if before else "without a survey question")
            + "; run it the same way, or give another campaign name"
        )
    todo = []
    for item in planned:
        if item.client in state["sent"]:
            result.done_before.append(item.client)
        elif item.client in state["sending"] and not retry_uncertain:
            result.uncertain.append(item.client)
        else:
            todo.append(item)
    if dry_run:
        result.sent = todo
        return result
    state.update({"version": 1, "template": page.source, "where": list(where)})
    if question is not None:
        state["survey"] = {"question": question}
    last: float | None = None
    try:
        for count, item in enumerate(todo, 1):
            if last is not None and rate > 0:
                wait = last + rate - clock()
                if wait > 0:
                    sleep(wait)
            message = build_message(item.draft, sender=me, now=now)
            if question is not None:
                message[SURVEY_HEADER] = question
            raw = message.as_bytes().decode("utf-8", "surrogateescape")
            message_id = str(message["Message-ID"]).strip().strip("<>")
            entry = {"to": item.address, "message": raw, "message_id": message_id}
            state["sending"][item.client] = entry
            write_state(ws, _state_name(cid), state)
            faults.at(f"mail-campaign-sending-{count}")
            last = clock()
            try:
                refused = send(url, message, lambda: secret(account))
            except MailTransportError:
                del state["sending"][item.client]
                write_state(ws, _state_name(cid), state)
                raise
            del state["sending"][item.client]
            state["sent"][item.client] = entry
            write_state(ws, _state_name(cid), state)
            result.sent.append(item)
            result.refused.extend(refused)
            if on_sent is not None:
                on_sent(item)
            faults.at(f"mail-campaign-sent-{count}")
    finally:
        sent = [
            entry["message"]
            for entry in state["sent"].values()
            if isinstance(entry, dict) and isinstance(entry.get("message"), str)
        ]
        if sent:
            try:
                result.filing = file_sent(
                    ws,
                    account,
                    [m.encode("utf-8", "surrogateescape") for m in sent],
                    now=now,
                    source=f"campaign {cid}",
                )
            except TcrmError as exc:
                raise TcrmError(
                    f"campaign {cid}: {len(sent)} messages sent but not filed: {exc}; run the "
                    "campaign again to file them (nobody gets a message twice)"
                ) from None
    return result
