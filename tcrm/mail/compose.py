"""Writing a message: templates with ``{{client.name}}`` fields, drafts, the MIME message.

A template is a knowledge base page (``kb/offer.md``). When its first line is
``Subject: ...`` that is the message's subject and the text after the next blank line is
the body; otherwise the whole page is the body. Fields are ``{{client.FIELD}}`` (any
scalar field of the client: name, website, region, a hand-added key...),
``{{contact.name}}``, ``{{contact.first_name}}``, ``{{contact.email}}``,
``{{contact.role}}``, ``{{me.name}}`` and ``{{me.email}}`` (the sender). A field that does
not exist is refused before anything is sent; a field that is empty for one recipient is
refused for that recipient (a campaign lists and skips it).

A draft is what the person edits in ``$EDITOR``: header lines (``To:``, ``Cc:``,
``Subject:``) at the top, a blank line, the body, like ``git commit``; read back with the
stdlib ``email`` parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import Parser
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses, make_msgid

from tcrm.errors import UsageError
from tcrm.model.text import UNSAFE, visible

FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
LOOSE = re.compile(r"\{\{(.*?)\}\}")
CONTACT_FIELDS = frozenset({"name", "first_name", "email", "role"})
ME_FIELDS = frozenset({"name", "email"})
COMMENT = "# tcrm: "
_SUBJECT = re.compile(r"^subject:[ \t]*(.*)$", re.IGNORECASE)


class MissingValue(UsageError):
    """A known field is empty for this recipient (``{{client.website}}`` of a client
    without a website): that recipient cannot be written to with this template."""


@dataclass(frozen=True)
class Template:
    subject: str | None
    body: str
    source: str
    """Where it came from, for messages: ``kb/offer.md``."""
    body_line: int = 1
    """The line of the page the body starts on (after a ``Subject:`` line)."""


def read_template(text: str, source: str) -> Template:
    """A template from a page's text: an optional ``Subject:`` first line, then the body."""
    lines = text.splitlines()
    if lines and (match := _SUBJECT.match(lines[0])):
        rest = lines[1:]
        while rest and not rest[0].strip():
            rest.pop(0)
        first = len(lines) - len(rest) + 1
        return Template(match.group(1).strip() or None, "\n".join(rest) + "\n", source, first)
    return Template(None, text, source)


def check_fields(
    text: str,
    source: str,
    client_fields: Iterable[str],
    first_line: int = 1,
    extra: Mapping[str, frozenset[str]] | None = None,
) -> None:
    """Refuse a ``{{...}}`` that names no field, before anything is sent (naming the line
    of ``source``; ``text`` starts on its ``first_line``). ``extra`` adds field groups
    (a survey campaign's ``survey.question``)."""
    known = {"client": set(client_fields), "contact": CONTACT_FIELDS, "me": ME_FIELDS}
    known.update({group: set(names) for group, names in (extra or {}).items()})
    for number, line in enumerate(text.splitlines(), first_line):
        for loose in LOOSE.finditer(line):
            match = FIELD.fullmatch(loose.group(0))
            if match is None or match.group(2) not in known.get(match.group(1), ()):
                fields = ", ".join(
                    ["client.FIELD (" + ", ".join(sorted(known["client"])[:8]) + ", ...)"]
                    + [f"contact.{f}" for f in sorted(CONTACT_FIELDS)]
                    + [f"me.{f}" for f in sorted(ME_FIELDS)]
                    + [f"{g}.{f}" for g, names in (extra or {}).items() for f in sorted(names)]
                )
                raise UsageError(
                    f"{source}:{number}: unknown field {visible(loose.group(0))}; fields: {fields}"
                )


def fill(text: str, values: Mapping[str, str], who: str) -> str:
    """``text`` with each field replaced by its value for ``who`` (checked fields only)."""

    def value(match: re.Match[str]) -> str:
        name = f"{match.group(1)}.{match.group(2)}"
        found = values.get(name, "")
        if not found.strip():
            raise MissingValue(f"{who} has no {name} for {{{{{name}}}}}")
        return found

    return FIELD.sub(value, text)


@dataclass(frozen=True)
class Draft:
    to: tuple[tuple[str, str], ...]
    """(name, address) pairs."""
    cc: tuple[tuple[str, str], ...]
    subject: str
    body: str


def draft_text(draft: Draft) -> str:
    """A draft as the person edits it: headers, a blank line, the body."""
    lines = [
        f"{COMMENT}write the message below the blank line; lines starting '# tcrm:' are dropped;",
        f"{COMMENT}an empty body cancels. The message is sent when you save and quit.",
        f"To: {_addresses(draft.to)}",
        f"Cc: {_addresses(draft.cc)}",
        f"Subject: {_one_line(draft.subject)}",
        "",
        draft.body,
    ]
    return "\n".join(lines)


def _addresses(pairs: Iterable[tuple[str, str]]) -> str:
    return ", ".join(str(_address(n, a)) for n, a in pairs)


def read_draft(text: str) -> Draft:
    """A draft back from the editor; refuses one without a recipient or a subject."""
    text = "\n".join(line for line in text.splitlines() if not line.startswith(COMMENT))
    if not text.strip():
        raise UsageError("the message is empty; nothing was sent")
    parsed = Parser(policy=default_policy).parsestr(text.lstrip("\n"))
    defects = [str(d) for d in parsed.defects]
    if defects:
        raise UsageError(f"the message's headers cannot be read ({defects[0]}); nothing was sent")
    to = tuple(_pairs(parsed.get_all("To", [])))
    cc = tuple(_pairs(parsed.get_all("Cc", [])))
    subject = " ".join(str(parsed.get("Subject", "")).split())
    body = parsed.get_payload()
    body = body if isinstance(body, str) else ""
    if not to:
        raise UsageError("the message has no To: address; nothing was sent")
    if not subject:
        raise UsageError("the message has no Subject:; nothing was sent")
    if not body.strip():
        raise UsageError("the message body is empty; nothing was sent")
    return Draft(to, cc, subject, body)


def _pairs(values: Iterable[object]) -> list[tuple[str, str]]:
    out = []
    for name, address in getaddresses([str(v) for v in values]):
        if not address:
            continue
        if "@" not in address or any(c.isspace() for c in address):
            raise UsageError(f"{visible(address)!r} is not an email address; nothing was sent")
        out.append((name, address))
    return out


def _one_line(text: str) -> str:
    """A header value on one line: a line break from a record (``{{client.name}}`` with a
    newline in a hand-edited file) must never start a header of its own."""
    return " ".join(UNSAFE.sub(" ", text).split())


def _address(name: str, address: str) -> Address:
    try:
        return Address(display_name=_one_line(name), addr_spec=_one_line(address))
    except (ValueError, IndexError) as exc:
        raise UsageError(f"{visible(address)!r} is not an email address ({exc})") from None


def build_message(
    draft: Draft, *, sender: tuple[str, str], now: datetime, message_id: str | None = None
) -> EmailMessage:
    """The MIME message (plain text, UTF-8), with its own Message-ID and Date."""
    msg = EmailMessage()
    name, address = sender
    msg["From"] = _address(name, address)
    msg["To"] = [_address(n, a) for n, a in draft.to]
    if draft.cc:
        msg["Cc"] = [_address(n, a) for n, a in draft.cc]
    msg["Subject"] = _one_line(draft.subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id or make_msgid(domain=address.rpartition("@")[2] or None)
    body = draft.body if draft.body.endswith("\n") else draft.body + "\n"
    msg.set_content(body)
    return msg
