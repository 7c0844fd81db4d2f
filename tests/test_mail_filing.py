"""Filing mail into client cards: matching, exact activities, idempotence, store_body,
unmatched mail and assign, the keep-in-touch clock. Real mbox files, Maildir folders
and a real git repository (checked with the git CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcrm.mail.parse import parse_message, read_messages
from tcrm.model.records import Activity
from tcrm.services import mail as service
from tcrm.store.workspace import Workspace
from tests.clitools import commit_count, git
from tests.mailtools import NOW, at, corpus, mail_workspace, message, write_maildir, write_mbox


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return mail_workspace(tmp_path / "ws")


def activities(ws: Workspace) -> dict[str, Activity]:
    fresh = Workspace.open(ws.root)
    out = {}
    for record_id, path in fresh.files("activity"):
        record = fresh.parse("activity", record_id, path)
        assert isinstance(record, Activity)
        out[record_id] = record
    return out


def summary(activity: Activity) -> tuple[object, ...]:
    mail = activity.mail
    assert mail is not None
    return (
        activity.clients[0],
        mail.direction,
        activity.summary,
        activity.at.isoformat(),
        mail.sender,
        tuple(mail.to),
        tuple(mail.cc),
        mail.thread,
        tuple((a.name, a.size) for a in mail.attachments),
        tuple(activity.contacts),
        activity.author,
        activity.notes,
    )


SYNTHETIC = parse_message(corpus()[5]).key

EXPECTED = {
    ("q1@acme.example", "acme"): (
        "acme", "in", "Proposal question", "2026-11-02T10:00:00+00:00", "jo@acme.example",
        ("ann@ourco.example",), (), "q1@acme.example", (), ("Jo Smith",), None,
        "Grüße! Can we talk about the price?",
    ),
    ("r1@ourco.example", "acme"): (
        "acme", "out", "Re: Proposal question", "2026-11-03T10:00:00+00:00",
        "ann@ourco.example", ("jo@acme.example",), (), "q1@acme.example", (), ("Jo Smith",),
        "ann", "Sure, Tuesday works.",
    ),
    ("inv42@acme.example", "acme"): (
        "acme", "in", "Invoice 42", "2026-11-04T10:00:00+00:00", "sales@eu.acme.example",
        ("ann@ourco.example",), (), "inv42@acme.example", (("invoice-42.pdf", 1000),), (),
        None, "Please find the invoice.\n\nThanks & regards",
    ),
    ("latin1@globex.example", "globex"): (
        "globex", "in", "Réunion à Zürich", "2026-11-05T10:00:00+01:00", "rene@globex.example",
        ("ann@ourco.example",), (), "latin1@globex.example", (), (), None, "Bis bald, René",
    ),
    ("cp1251@partner.example", "initech"): (
        "initech", "in", "Привет", "2026-11-06T09:30:00+03:00", "ivan@partner.example",
        ("bill@partner.example",), ("info@globex.example",), "cp1251@partner.example", (),
        ("Bill L",), None, "Привет",
    ),
    ("cp1251@partner.example", "globex"): (
        "globex", "in", "Привет", "2026-11-06T09:30:00+03:00", "ivan@partner.example",
        ("bill@partner.example",), ("info@globex.example",), "cp1251@partner.example", (),
        (), None, "Привет",
    ),
    (SYNTHETIC, "petra"): (
        "petra", "in", "no id here", "2026-11-07T10:00:00+00:00", "petra@gmail.com",
        ("ann@ourco.example",), (), SYNTHETIC, (), (), None, "Hello.",
    ),
    ("broken@acme.example", "acme"): (
        "acme", "in", "broken \ufffd\ufffd stuff", "2026-11-09T12:00:00+00:00",
        "jo@acme.example", ("ann@ourco.example",), (), "broken@acme.example", (),
        ("Jo Smith",), None, "--nothing\nContent-Type: text/plain; charset=x-unknown-42\n\nhalf",
    ),
    ("intro@ourco.example", "acme"): (
        "acme", "out", "Intro: Acme, meet Globex", "2026-11-10T10:00:00+00:00",
        "ann@ourco.example", ("jo@acme.example", "info@globex.example"), (),
        "intro@ourco.example", (), ("Jo Smith",), "ann", "Hello.",
    ),
    ("intro@ourco.example", "globex"): (
        "globex", "out", "Intro: Acme, meet Globex", "2026-11-10T10:00:00+00:00",
        "ann@ourco.example", ("jo@acme.example", "info@globex.example"), (),
        "intro@ourco.example", (), (), "ann", "Hello.",
    ),
}  # fmt: skip


def expected_files() -> dict[str, tuple[object, ...]]:
    return {service.activity_id(key, client): row for (key, client), row in EXPECTED.items()}


@pytest.mark.parametrize("shape", ["mbox", "maildir"])
def test_a_mixed_corpus_is_filed_exactly(ws: Workspace, tmp_path: Path, shape: str) -> None:
    if shape == "mbox":
        path = write_mbox(tmp_path / "mail.mbox", corpus())
    else:
        path = write_maildir(tmp_path / "Maildir", corpus())
    before = commit_count(ws.root)
    result = service.file_messages(ws, read_messages(path), now=NOW, source=path.name)

    assert result.messages == 10
    assert {i: summary(a) for i, a in activities(ws).items()} == expected_files()
    assert sorted(m.key for m in result.unmatched) == ["lunch@ourco.example", "stranger@gmail.com"]
    assert commit_count(ws.root) == before + 1
    assert result.commit == git(ws.root, "rev-parse", "HEAD").strip()
    assert git(ws.root, "status", "--porcelain") == ""
    git(ws.root, "fsck", "--strict")
    assert "mail: file 8 messages from" in git(ws.root, "log", "-1", "--format=%s")
    for activity in activities(ws).values():
        assert activity.kind == "email"
        assert activity.mail is not None
        assert (ws.root / "activities" / "2026" / f"{activity.id}.yaml").is_file()


def test_reimport_files_nothing_and_makes_no_commit(ws: Workspace, tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "mail.mbox", corpus())
    service.file_messages(ws, read_messages(path), now=NOW, source="mail.mbox")
    head, files = git(ws.root, "rev-parse", "HEAD"), activities(ws)

    again = service.file_messages(ws, read_messages(path), now=NOW, source="mail.mbox")

    assert again.filed == [] and again.commit is None
    assert sorted(again.duplicates) == sorted(files)
    assert git(ws.root, "rev-parse", "HEAD") == head
    assert activities(ws) == files


def test_the_same_message_in_inbox_and_sent_is_one_activity(ws: Workspace, tmp_path: Path) -> None:
    raw = bytes(
        message(
            sender="ann@ourco.example",
            to="jo@acme.example",
            subject="Offer",
            date=at(12),
            msgid="<offer@ourco.example>",
        )
    )
    inbox = parse_message(b"Received: from x by y; Thu, 12 Nov 2026 10:00:05 +0000\r\n" + raw)
    sent = parse_message(raw)

    result = service.file_messages(ws, [inbox, sent], now=NOW, source="INBOX+Sent")

    assert [a.id for a in result.filed] == [service.activity_id("offer@ourco.example", "acme")]
    assert len(activities(ws)) == 1


def test_a_message_without_message_id_gets_the_same_synthetic_id_every_time(
    ws: Workspace, tmp_path: Path
) -> None:
    raw = corpus()[5]
    first, second = parse_message(raw), parse_message(raw)
    assert first.message_id is None
    assert first.key == second.key and first.key.endswith("@tcrm.invalid")
    service.file_messages(ws, [first], now=NOW, source="a")
    again = service.file_messages(ws, [second], now=NOW, source="b")
    assert again.filed == [] and len(again.duplicates) == 1


def test_dry_run_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    path = write_maildir(tmp_path / "Maildir", corpus())
    head = git(ws.root, "rev-parse", "HEAD")

    result = service.file_messages(ws, read_messages(path), now=NOW, source="Maildir", dry_run=True)

    assert len(result.filed) == 10 and result.commit is None
    assert git(ws.root, "rev-parse", "HEAD") == head
    assert git(ws.root, "status", "--porcelain", "--ignored", "activities") == ""
    assert service.unmatched_messages(ws) == []


def test_free_mail_domain_never_matches_a_company(ws: Workspace) -> None:
    """petra@gmail.com is a client; another gmail address is not petra (nor anyone)."""
    other = parse_message(
        bytes(message(sender="x@gmail.com", to="ann@ourco.example", subject="hi", date=at(2)))
    )
    result = service.file_messages(ws, [other], now=NOW, source="t")
    assert result.filed == [] and [m.from_addr for m in result.unmatched] == ["x@gmail.com"]


def test_own_addresses_make_mail_outgoing(ws: Workspace) -> None:
    sent = parse_message(
        bytes(
            message(
                sender="me@private.example",
                to="info@globex.example",
                subject="from my own account",
                date=at(2),
                msgid="<own@private.example>",
            )
        )
    )
    result = service.file_messages(
        ws, [sent], now=NOW, source="t", own_addresses=frozenset({"me@private.example"})
    )
    [activity] = result.filed
    assert activity.mail is not None and activity.mail.direction == "out"
    assert activity.clients == ["globex"]


@pytest.mark.parametrize(
    ("mode", "notes"),
    [
        ("full", "Grüße! Can we talk about the price?\n\n> earlier text"),
        ("snippet", "Grüße! Can we talk about the price?"),
        ("none", None),
    ],
)
def test_store_body_modes(ws: Workspace, mode: str, notes: str | None) -> None:
    settings = ws.root / "tcrm.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + f"mail:\n  store_body: {mode}\n", encoding="utf-8"
    )
    git(ws.root, "commit", "-qam", "store_body")
    ws = Workspace.open(ws.root)

    result = service.file_messages(ws, [parse_message(corpus()[0])], now=NOW, source="t")

    [activity] = activities(ws).values()
    assert activity.notes == notes
    assert result.filed[0].notes == notes


def test_a_snippet_is_bounded(ws: Workspace) -> None:
    long = parse_message(
        bytes(
            message(
                sender="jo@acme.example",
                to="ann@ourco.example",
                subject="long",
                date=at(2),
                body="word " * 1000,
            )
        )
    )
    [activity] = service.file_messages(ws, [long], now=NOW, source="t").filed
    assert activity.notes is not None
    assert len(activity.notes) <= service.SNIPPET_CHARS + 1 and activity.notes.endswith("…")
    assert activity.notes.startswith("word word")


def test_unmatched_mail_is_kept_locally_and_assign_files_it(ws: Workspace, tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "mail.mbox", corpus())
    service.file_messages(ws, read_messages(path), now=NOW, source="mail.mbox")

    listed = service.unmatched_messages(ws)
    assert [(u.key, u.from_addr, u.source) for u in listed] == [
        ("lunch@ourco.example", "ann@ourco.example", "mail.mbox"),
        ("stranger@gmail.com", "stranger@gmail.com", "mail.mbox"),
    ]
    assert (ws.root / ".tcrm" / "mail-unmatched.json").is_file()
    assert git(ws.root, "status", "--porcelain") == ""
    before = commit_count(ws.root)

    done = service.assign_message(
        ws, message="stranger", client="globex", add_contact=True, contact_name="Sam", now=NOW
    )

    assert done.activity.id == service.activity_id("stranger@gmail.com", "globex")
    assert done.activity.clients == ["globex"] and done.activity.contacts == ["Sam"]
    assert done.contact is not None and done.contact.emails == ["stranger@gmail.com"]
    assert commit_count(ws.root) == before + 1
    client = Workspace.open(ws.root).get("client", "globex")
    assert [(p.name, p.emails) for p in client.contacts] == [("Sam", ["stranger@gmail.com"])]
    assert client.cadence_days == 30  # the rest of the card is kept
    assert [u.key for u in service.unmatched_messages(ws)] == ["lunch@ourco.example"]
    assert git(ws.root, "status", "--porcelain") == ""

    # the next mail from that address now matches by itself
    later = parse_message(
        bytes(
            message(
                sender="stranger@gmail.com",
                to="ann@ourco.example",
                subject="again",
                date=at(20),
                msgid="<again@gmail.com>",
            )
        )
    )
    [activity] = service.file_messages(ws, [later], now=NOW, source="t").filed
    assert activity.clients == ["globex"] and activity.contacts == ["Sam"]


def test_assign_of_an_unknown_message_changes_nothing(ws: Workspace) -> None:
    head = git(ws.root, "rev-parse", "HEAD")
    with pytest.raises(service.NotFoundError, match="no unmatched message 'nope'"):
        service.assign_message(ws, message="nope", client="acme", now=NOW)
    assert git(ws.root, "rev-parse", "HEAD") == head


def test_a_message_filed_later_leaves_the_unmatched_list(ws: Workspace) -> None:
    stranger = parse_message(corpus()[6])
    service.file_messages(ws, [stranger], now=NOW, source="t")
    assert [u.key for u in service.unmatched_messages(ws)] == ["stranger@gmail.com"]
    client = ws.root / "clients" / "globex.yaml"
    client.write_text(
        client.read_text(encoding="utf-8").replace(
            "- info@globex.example\n", "- info@globex.example\n- stranger@gmail.com\n"
        ),
        encoding="utf-8",
    )
    git(ws.root, "commit", "-qam", "address")
    ws = Workspace.open(ws.root)
    [activity] = service.file_messages(ws, [stranger], now=NOW, source="t").filed
    assert activity.clients == ["globex"]
    assert service.unmatched_messages(ws) == []


def test_without_email_in_activity_kinds_nothing_is_filed(ws: Workspace) -> None:
    settings = ws.root / "tcrm.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("  - email\n", ""), encoding="utf-8"
    )
    git(ws.root, "commit", "-qam", "no email kind")
    ws = Workspace.open(ws.root)
    head = git(ws.root, "rev-parse", "HEAD")
    with pytest.raises(service.ValidationError, match="activity_kinds has no 'email'"):
        service.file_messages(ws, [parse_message(corpus()[0])], now=NOW, source="t")
    assert git(ws.root, "rev-parse", "HEAD") == head


def _set_mail_settings(ws: Workspace, text: str) -> Workspace:
    settings = ws.root / "tcrm.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + text, encoding="utf-8")
    git(ws.root, "commit", "-qam", "mail settings")
    return Workspace.open(ws.root)


def _globex_due(ws: Workspace) -> dict[str, bool]:
    from tcrm.services.clients import client_card, list_clients
    from tcrm.services.planner import agenda

    fresh = Workspace.open(ws.root)
    return {
        "today": "globex" in {d.client.id for d in agenda(fresh, now=NOW).clients_to_contact},
        "card": client_card(Workspace.open(ws.root), ref="globex", now=NOW).contact_due,
        "list": next(s.contact_due for s in list_clients(Workspace.open(ws.root), now=NOW)
                     if s.client.id == "globex"),
    }  # fmt: skip


def _mail_from_globex(direction: str) -> bytes:
    ours, theirs = "ann@ourco.example", "info@globex.example"
    sender, to = (ours, theirs) if direction == "out" else (theirs, ours)
    return bytes(message(sender=sender, to=to, subject="hi", date=at(20), msgid=f"<{direction}@x>"))


@pytest.mark.parametrize(
    ("counts", "direction", "due"),
    [
        (None, "in", False),
        (None, "out", False),
        ("in", "out", True),
        ("in", "in", False),
        ("out", "in", True),
        ("out", "out", False),
        ("none", "out", True),
    ],
)
def test_the_keep_in_touch_clock_counts_mail_as_configured(
    ws: Workspace, counts: str | None, direction: str, due: bool
) -> None:
    """globex keeps in touch every 30 days; a mail on Nov 20 is contact when it counts."""
    if counts is not None:
        ws = _set_mail_settings(ws, f"mail:\n  counts_as_contact: {counts}\n")
    assert _globex_due(ws) == {"today": True, "card": True, "list": True}
    service.file_messages(ws, [parse_message(_mail_from_globex(direction))], now=NOW, source="t")
    assert _globex_due(ws) == {"today": due, "card": due, "list": due}


def test_a_message_to_thousands_stays_a_readable_record(ws: Workspace) -> None:
    crowd = ", ".join(f"p{n}@crowd.example" for n in range(3000))
    msg = message(
        sender="jo@acme.example", to=crowd, subject="newsletter", date=at(2), body="x" * 300_000
    )
    for n in range(300):
        msg.add_attachment(b"a", maintype="application", subtype="pdf", filename=f"{n}.pdf")
    settings = ws.root / "tcrm.yaml"
    settings.write_text(settings.read_text("utf-8") + "mail:\n  store_body: full\n", "utf-8")
    git(ws.root, "commit", "-qam", "full bodies")
    ws = Workspace.open(ws.root)
    [activity] = service.file_messages(ws, [parse_message(bytes(msg))], now=NOW, source="t").filed
    [stored] = activities(ws).values()
    assert stored.mail is not None
    assert len(stored.mail.to) == len(stored.mail.attachments) == service.MAX_LISTED
    assert stored.notes == "x" * service.FULL_BODY_CHARS
    assert stored == activity
