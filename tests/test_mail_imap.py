"""Mail accounts and IMAP fetching against a real Dovecot on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcrm.errors import UsageError
from tcrm.mail import accounts
from tcrm.mail.accounts import MailTransportError, make_account, parse_url, plain_refusal
from tcrm.mail.imap import FolderMark, ImapSession, fetch_folders
from tests.servers import Dovecot, free_port

pytestmark = pytest.mark.network  # real servers on loopback (sshd, git http-backend, Dovecot, SMTP)


def message(n: int, sender: str = "jo@acme.example") -> bytes:
    return (
        f"From: Jo <{sender}>\r\nTo: ann@example.com\r\nSubject: note {n}\r\n"
        f"Date: Mon, 23 Nov 2026 0{n % 10}:00:00 +0100\r\nMessage-ID: <m{n}@acme.example>\r\n"
        f"\r\nbody {n}\r\n"
    ).encode()


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in list(__import__("os").environ):
        if name.startswith(accounts.PASSWORD_ENV):
            monkeypatch.delenv(name)
    return tmp_path / "config"


def test_urls_parse_with_default_ports_and_an_address_as_user() -> None:
    url = parse_url("imaps://ann@example.com@mail.example.com", "imap")
    assert (url.scheme, url.user, url.host, url.port, url.tls) == (
        "imaps",
        "ann@example.com",
        "mail.example.com",
        993,
        True,
    )
    assert parse_url("imap://ann@127.0.0.1:1143", "imap").port == 1143
    assert parse_url("smtp://h", "smtp").port == 587
    assert parse_url("sendmail:msmtp -t", "smtp").command == "msmtp -t"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("http://ann@host", "must start with imaps:// or imap://"),
        ("imap://ann:pw@host", "holds a password"),
        ("imap://ann@host:99999", "Port out of range"),
        ("imap://ann@host/INBOX", "no path"),
        ("imaps://", "names no host"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_url(text, "imap")


def test_plain_imap_is_allowed_only_to_this_machine() -> None:
    url = parse_url("imap://ann@mail.example.com", "imap")
    assert plain_refusal(url, "127.0.0.1") is None
    assert plain_refusal(url, "::1") is None
    refusal = plain_refusal(url, "192.0.2.7")
    assert refusal is not None and "offers no STARTTLS" in refusal


def test_accounts_are_saved_outside_the_workspace_without_a_password(config_home: Path) -> None:
    account = make_account(
        "work",
        imap="imaps://ann@example.com@mail.example.com",
        smtp="smtps://ann@example.com@mail.example.com",
        password_command="pass show mail/work",
        folders=["INBOX", "Sent"],
    )
    path = accounts.add_account(account)
    assert path == config_home / "tcrm" / "mail.yaml"
    assert path.stat().st_mode & 0o077 == 0
    assert accounts.load_accounts() == {"work": account}
    assert account.address == "ann@example.com"
    with pytest.raises(UsageError, match="exists"):
        accounts.add_account(account)
    assert accounts.get_account(None).name == "work"
    accounts.remove_account("work")
    assert accounts.load_accounts() == {}
    with pytest.raises(UsageError, match="no mail account 'work'"):
        accounts.remove_account("work")


def test_a_broken_config_file_is_one_clear_error(config_home: Path) -> None:
    path = config_home / "tcrm" / "mail.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("accounts:\n  work: [oops\n")
    with pytest.raises(UsageError, match=r"mail\.yaml:\d+: not valid YAML"):
        accounts.load_accounts()
    path.write_text("accounts:\n  work:\n    imap: ftp://x\n")
    with pytest.raises(UsageError, match=r"account 'work'.*must start with"):
        accounts.load_accounts()


def test_the_password_comes_from_the_environment_or_the_command(monkeypatch) -> None:
    account = make_account("my-work", imap="imap://ann@h", password_command="echo from-cmd; echo x")
    assert account.password_env == "TCRM_MAIL_PASSWORD_MY_WORK"
    assert accounts.password(account) == "from-cmd"
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_MY_WORK", "from-env")
    assert accounts.password(account) == "from-env"
    failing = make_account("x", imap="imap://ann@h", password_command="echo locked >&2; exit 3")
    with pytest.raises(MailTransportError, match="exited with 3: locked"):
        accounts.password(failing)
    with pytest.raises(MailTransportError, match=r"set \$TCRM_MAIL_PASSWORD_Y"):
        accounts.password(make_account("y", imap="imap://ann@h"))


def test_fetching_is_incremental_and_follows_uidvalidity(dovecot: Dovecot) -> None:
    url = parse_url(dovecot.url(), "imap")
    dovecot.append("INBOX", message(1), message(2))
    dovecot.append("Archive", message(3), message(4), message(5))
    first = fetch_folders(url, dovecot.password, {"INBOX": None, "Archive": None})
    assert [[raw for _, raw in f.messages] for f in first] == [
        [message(1), message(2)],
        [message(3), message(4), message(5)],
    ]
    marks = {f.folder: f.mark for f in first}
    assert marks["Archive"].last_uid == 3
    again = fetch_folders(url, dovecot.password, dict(marks))
    assert [f.messages for f in again] == [[], []]
    assert {f.folder: f.mark for f in again} == marks
    dovecot.append("INBOX", message(6))
    dovecot.recreate("Archive")
    dovecot.append("Archive", message(3), message(7))  # UIDs 1 and 2 again
    later = {f.folder: f for f in fetch_folders(url, dovecot.password, dict(marks))}
    assert [raw for _, raw in later["INBOX"].messages] == [message(6)]
    assert later["Archive"].reset
    assert [raw for _, raw in later["Archive"].messages] == [message(3), message(7)]
    assert later["Archive"].mark == FolderMark(dovecot.uidvalidity("Archive"), 2)


def test_fetching_does_not_mark_messages_read(dovecot: Dovecot) -> None:
    dovecot.append("INBOX", message(1))
    fetch_folders(parse_url(dovecot.url(), "imap"), dovecot.password, {"INBOX": None})
    conn = dovecot.session()
    conn.select("INBOX", True)
    assert conn.uid("SEARCH", "UNSEEN")[1][0].split() == [b"1"]
    conn.logout()


def test_wrong_password_unreachable_and_missing_folder_are_one_line(dovecot: Dovecot) -> None:
    url = parse_url(dovecot.url(), "imap")
    with pytest.raises(MailTransportError, match="refused the login of 'ann'") as refused:
        ImapSession(url, "wrong")
    assert "\n" not in str(refused.value)
    closed = parse_url(f"imap://ann@127.0.0.1:{free_port()}", "imap")
    with pytest.raises(MailTransportError, match=r"cannot reach 127\.0\.0\.1"):
        ImapSession(closed, "x", timeout=5)
    with pytest.raises(MailTransportError, match="cannot open folder 'Nope'"):
        fetch_folders(url, dovecot.password, {"Nope": None})


def test_imaps_and_starttls_verify_the_certificate(dovecot_tls: Dovecot, monkeypatch) -> None:
    dovecot_tls.append("INBOX", message(1))
    assert dovecot_tls.cert is not None
    for scheme in ("imaps", "imap"):  # imap:// upgrades with STARTTLS, the server offers it
        url = parse_url(dovecot_tls.url(scheme), "imap")
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.setenv("SSL_CERT_DIR", str(dovecot_tls.cert.parent / "none"))
        with pytest.raises(MailTransportError, match="certificate verify failed"):
            fetch_folders(url, dovecot_tls.password, {"INBOX": None})
        monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.cert))
        fetched = fetch_folders(url, dovecot_tls.password, {"INBOX": None})
        assert [raw for _, raw in fetched[0].messages] == [message(1)]
