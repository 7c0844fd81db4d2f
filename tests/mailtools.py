"""Mail for the filing tests: a real-world-shaped corpus built with the stdlib ``email``
package, written to real mbox files and Maildir folders, and a workspace with clients."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace
from tests.clitools import git

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

TEAM = """team:
- id: ann
  name: Ann Owner
  email: ann@ourco.example
"""

CLIENTS = {
    "acme": """name: Acme GmbH
website: https://www.acme.example/
contacts:
- name: Jo Smith
  emails:
  - jo@acme.example
""",
    "globex": """name: Globex
emails:
- info@globex.example
cadence_days: 30
""",
    "petra": """name: Petra Free
type: person
emails:
- petra@gmail.com
""",
    "initech": """name: Initech
website: initech.example
contacts:
- name: Bill L
  emails:
  - bill@partner.example
""",
}


def mail_workspace(root: Path) -> Workspace:
    """A workspace with a team member (ann@ourco.example) and four clients, committed."""
    init_workspace(root, name="Mail Co")
    settings = root / "tcrm.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("team: []\n", TEAM), encoding="utf-8"
    )
    (root / "clients").mkdir(exist_ok=True)
    for client_id, text in CLIENTS.items():
        (root / "clients" / f"{client_id}.yaml").write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "clients for mail tests")
    return Workspace.open(root)


def message(
    *,
    sender: str,
    to: str,
    subject: str,
    date: datetime,
    body: str = "Hello.\n",
    msgid: str | None = None,
    cc: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    if msgid:
        msg["Message-ID"] = msgid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content(body)
    return msg


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def corpus() -> list[bytes]:
    """Ten messages as mail clients really send them (bytes, ready for a mailbox)."""
    out: list[bytes] = []

    # 1. plain text from a contact person (exact address), quoted-printable body
    m = message(
        sender="Jo Smith <jo@acme.example>",
        to="ann@ourco.example",
        subject="Proposal question",
        date=at(2),
        msgid="<q1@acme.example>",
        body="Grüße! Can we talk about the price?\n\n> earlier text\n",
    )
    m.replace_header("Content-Transfer-Encoding", "quoted-printable")
    m.set_content("Grüße! Can we talk about the price?\n\n> earlier text\n", cte="quoted-printable")
    out.append(bytes(m))

    # 2. our reply: multipart/alternative (text + html), In-Reply-To/References
    m = message(
        sender="Ann Owner <ann@ourco.example>",
        to="jo@acme.example",
        subject="Re: Proposal question",
        date=at(3),
        msgid="<r1@ourco.example>",
        in_reply_to="<q1@acme.example>",
        references="<q1@acme.example>",
        body="Sure, Tuesday works.\n",
    )
    m.add_alternative("<p>Sure, <b>Tuesday</b> works.</p>", subtype="html")
    out.append(bytes(m))

    # 3. html only, from someone else at acme (domain match), with a PDF attachment
    m = message(
        sender="sales@eu.acme.example",
        to="ann@ourco.example",
        subject="Invoice 42",
        date=at(4),
        msgid="<inv42@acme.example>",
    )
    m.set_content(
        "<html><head><style>p{}</style></head><body><p>Please find the invoice.</p>"
        "<p>Thanks &amp; regards</p></body></html>",
        subtype="html",
    )
    m.add_attachment(
        b"%PDF-1.4 " + b"x" * 991, maintype="application", subtype="pdf", filename="invoice-42.pdf"
    )
    out.append(bytes(m))

    # 4. ISO-8859-1 encoded-word subject and sender name, to globex's address
    raw = (
        b"From: =?iso-8859-1?q?Ren=E9_M=FCller?= <rene@globex.example>\r\n"
        b"To: ann@ourco.example\r\n"
        b"Subject: =?iso-8859-1?q?R=E9union_=E0_Z=FCrich?=\r\n"
        b"Date: Thu, 05 Nov 2026 10:00:00 +0100\r\n"
        b"Message-ID: <latin1@globex.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"Bis bald, Ren\xe9\r\n"
    )
    out.append(raw)

    # 5. Windows-1251 subject (base64 encoded word), cc to globex
    raw = (
        b"From: ivan@partner.example\r\n"
        b"To: bill@partner.example\r\n"
        b"Cc: info@globex.example\r\n"
        b"Subject: =?windows-1251?b?z/Do4uXy?=\r\n"
        b"Date: Fri, 06 Nov 2026 09:30:00 +0300\r\n"
        b"Message-ID: <cp1251@partner.example>\r\n"
        b"Content-Type: text/plain; charset=windows-1251\r\n\r\n"
        b"\xcf\xf0\xe8\xe2\xe5\xf2\r\n"
    )
    out.append(raw)

    # 6. no Message-ID, from a free-mail client with an exact address (petra)
    m = message(
        sender="petra@gmail.com",
        to="ann@ourco.example",
        subject="no id here",
        date=at(7),
    )
    out.append(bytes(m))

    # 7. free mail from a stranger at gmail: matches no one (not even petra)
    m = message(
        sender="stranger@gmail.com",
        to="ann@ourco.example",
        subject="Hello from a stranger",
        date=at(8),
        msgid="<stranger@gmail.com>",
    )
    out.append(bytes(m))

    # 8. broken MIME: multipart with no boundary, 8-bit header, unknown charset
    raw = (
        b"From: jo@acme.example\r\n"
        b"To: ann@ourco.example\r\n"
        b"Subject: broken \xff\xfe stuff\r\n"
        b"Date: Mon, 09 Nov 2026 12:00:00 +0000\r\n"
        b"Message-ID: <broken@acme.example>\r\n"
        b"Content-Type: multipart/mixed\r\n\r\n"
        b"--nothing\r\nContent-Type: text/plain; charset=x-unknown-42\r\n\r\nhalf\r\n"
    )
    out.append(raw)

    # 9. one message to two clients (acme by domain, globex by address): filed to each
    m = message(
        sender="ann@ourco.example",
        to="jo@acme.example, info@globex.example",
        subject="Intro: Acme, meet Globex",
        date=at(10),
        msgid="<intro@ourco.example>",
    )
    out.append(bytes(m))

    # 10. team-internal mail: unmatched (ours on both ends)
    m = message(
        sender="ann@ourco.example",
        to="bob@ourco.example",
        subject="lunch?",
        date=at(11),
        msgid="<lunch@ourco.example>",
    )
    out.append(bytes(m))
    return out


def write_mbox(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.mbox(path, create=True)
    try:
        for raw in messages:
            box.add(raw)
        box.flush()
    finally:
        box.close()
    return path


def write_maildir(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.Maildir(path, create=True)
    for raw in messages:
        box.add(raw)
    return path
