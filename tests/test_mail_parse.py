"""Reading mail leniently: broken, hostile and huge messages never raise, and keep what
can be read."""

from __future__ import annotations

import mailbox
import os
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tcrm.mail.parse import EPOCH, html_to_text, parse_message, read_messages
from tests.mailtools import at, message


def test_a_30_mb_attachment_is_measured_not_kept() -> None:
    msg = message(sender="jo@acme.example", to="a@b.example", subject="big", date=at(2))
    blob = os.urandom(30 * 1024 * 1024)
    msg.add_attachment(blob, maintype="application", subtype="octet-stream", filename="big.bin")
    parsed = parse_message(bytes(msg))
    assert parsed.attachments == (("big.bin", len(blob)),)
    assert parsed.body == "Hello."


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert parsed.date.tzinfo is not None
    assert parsed.key


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"From: jo@acme.example\r\n",
                b"From: =?x-unknown?q?J=FF?= <\xff@\xfe>\r\n",
                b"To: ,,,<>,@,a@\r\n",
                b"Subject: =?utf-8?b?!!!?=\r\n",
                b"Subject: \x1b[31mred\x07\r\n",
                b"Date: 32 Foo 99999 25:61:00 +9999\r\n",
                b"Message-ID: <<>>\r\n",
                b"References: <a@b> <<c> d>\r\n",
                b'Content-Type: multipart/alternative; boundary="b"\r\n',
                b'Content-Type: text/plain; charset="utf-99"\r\n',
                b"Content-Transfer-Encoding: base64\r\n",
                b"Content-Transfer-Encoding: quoted-printable\r\n",
                b"\r\n",
                b"--b\r\n",
                b"--b--\r\n",
                b"=ZZ=\r\n",
                b"\xc3\x28 body \xff\r\n",
                b"Content-Disposition: attachment; filename*=utf-8''%ff%fe.pdf\r\n",
            ]
        ),
        max_size=30,
    )
)
def test_broken_headers_and_mime_parse_without_raising(lines: list[bytes]) -> None:
    parsed = parse_message(b"".join(lines))
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert all("@" in a for a in parsed.addresses)


def test_html_becomes_text() -> None:
    html = (
        "<html><head><title>t</title><style>.x{}</style><script>alert(1)</script></head>"
        "<body><h1>Offer</h1><p>Price:&nbsp;10&euro;</p><ul><li>one</li><li>two</li></ul>"
        "<br>bye</body></html>"
    )
    assert html_to_text(html) == "Offer\n\nPrice:\xa010€\n\none\n\ntwo\n\nbye"


def test_a_message_without_a_date_takes_the_received_header_then_the_mailbox_date(
    tmp_path: Path,
) -> None:
    msg = EmailMessage()
    msg["From"] = "jo@acme.example"
    msg["Subject"] = "no date"
    msg.set_content("x")
    received = b"Received: from a by b; Tue, 03 Nov 2026 08:00:00 +0100\r\n" + bytes(msg)
    assert parse_message(received).date == datetime.fromisoformat("2026-11-03T08:00:00+01:00")
    assert parse_message(bytes(msg)).date is EPOCH

    box = mailbox.mbox(tmp_path / "m.mbox")
    entry = mailbox.mboxMessage(bytes(msg))
    entry.set_from("jo@acme.example", (2026, 11, 4, 9, 30, 0, 0, 0, 0))
    box.add(entry)
    box.close()
    [from_mbox] = read_messages(tmp_path / "m.mbox")
    assert from_mbox.date == datetime(2026, 11, 4, 9, 30, tzinfo=UTC)

    maildir = mailbox.Maildir(tmp_path / "Maildir")
    key = maildir.add(bytes(msg))
    delivered = datetime(2026, 11, 5, 7, 0, tzinfo=UTC).timestamp()
    entry_md = maildir.get_message(key)
    entry_md.set_date(delivered)
    maildir[key] = entry_md
    [from_maildir] = read_messages(tmp_path / "Maildir")
    assert from_maildir.date == datetime(2026, 11, 5, 7, 0, tzinfo=UTC)


def test_a_single_eml_file_is_one_message(tmp_path: Path) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(
        bytes(message(sender="jo@acme.example", to="a@b.example", subject="one", date=at(2)))
    )
    assert [m.subject for m in read_messages(eml)] == ["one"]


def test_a_folder_that_is_no_maildir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    try:
        list(read_messages(tmp_path / "plain"))
    except NotADirectoryError as exc:
        assert "not a Maildir" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a plain folder was read as a Maildir")


def test_thread_is_the_root_of_references() -> None:
    msg = message(
        sender="jo@acme.example",
        to="a@b.example",
        subject="Re: Re: x",
        date=at(2),
        msgid="<3@x>",
        in_reply_to="<2@x>",
        references="<1@x> <2@x>",
    )
    parsed = parse_message(bytes(msg))
    assert (parsed.thread, parsed.in_reply_to, parsed.references) == ("1@x", "2@x", ("1@x", "2@x"))
