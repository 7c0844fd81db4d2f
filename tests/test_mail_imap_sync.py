"""``tcrm mail account`` and ``tcrm mail sync`` end to end: the real CLI, a real Dovecot on
loopback (messages put there with IMAP APPEND), a real git repository checked with git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tcrm.model.records import Activity
from tcrm.store.workspace import Workspace
from tests.clitools import assert_refused, commit_count, git, run, snapshot
from tests.mailtools import NOW, at, mail_workspace, message
from tests.servers import Dovecot, SmtpServer, free_port
from tests.teamtools import assert_healthy

pytestmark = pytest.mark.network  # real servers on loopback (sshd, git http-backend, Dovecot, SMTP)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("TCRM_NOW", NOW.isoformat())
    monkeypatch.delenv("TCRM_MAIL_PASSWORD_WORK", raising=False)
    return mail_workspace(tmp_path / "ws").root


def add_account(dovecot: Dovecot, *extra: str, folders: str = "INBOX,Sent") -> None:
    result = run(
        "mail", "account", "add", "work", "--imap", dovecot.url(), "--folders", folders,
        "--address", "ann@ourco.example", *extra,
    )  # fmt: skip
    assert result.code == 0, result.err


def mail(n: int, sender: str, to: str = "ann@ourco.example", day: int = 2) -> bytes:
    return message(
        sender=sender, to=to, subject=f"note {n}", date=at(day), msgid=f"<n{n}@test.example>"
    ).as_bytes()


def activities(root: Path) -> dict[str, Activity]:
    fresh = Workspace.open(root)
    out = {}
    for record_id, path in fresh.files("activity"):
        record = fresh.parse("activity", record_id, path)
        assert isinstance(record, Activity)
        out[record_id] = record
    return out


def filed(root: Path) -> list[tuple[str, str, str]]:
    """(client, direction, subject) of every filed mail, sorted."""
    return sorted(
        (a.clients[0], a.mail.direction, a.summary) for a in activities(root).values() if a.mail
    )


def test_sync_files_matched_mail_then_only_what_is_new(
    ws: Path, dovecot: Dovecot, monkeypatch
) -> None:
    add_account(dovecot, "--password-command", f"printf '%s\\n' '{dovecot.password}'")
    dovecot.append(
        "INBOX",
        mail(1, "Jo Smith <jo@acme.example>"),  # a contact person's exact address
        mail(2, "sales@acme.example"),  # the company's own domain
        mail(3, "someone@gmail.com"),  # free mail: never matched by domain
    )
    dovecot.append("Sent", mail(4, "ann@ourco.example", to="info@globex.example"))
    commits = commit_count(ws)
    result = run("-w", ws, "mail", "sync")
    assert result.code == 0, result.err
    assert result.err.strip() == (
        "work: 4 new messages: 3 activities filed, 1 unmatched (tcrm mail unmatched)."
    )
    assert filed(ws) == [
        ("acme", "in", "note 1"),
        ("acme", "in", "note 2"),
        ("globex", "out", "note 4"),
    ]
    jo = next(a for a in activities(ws).values() if a.summary == "note 1")
    assert jo.contacts == ["Jo Smith"]
    assert commit_count(ws) == commits + 1
    assert_healthy(ws)
    unmatched = run("-w", ws, "mail", "unmatched", "--json")
    assert [m["from"] for m in json.loads(unmatched.out)] == ["someone@gmail.com"]

    # cron-friendly: nothing new, nothing printed, no commit
    again = run("-w", ws, "mail", "sync")
    assert (again.code, again.out, again.err) == (0, "", "")
    assert commit_count(ws) == commits + 1

    # a new message arrives: only it is filed, in one commit
    dovecot.append("INBOX", mail(5, "jo@acme.example", day=3))
    later = run("-w", ws, "mail", "sync", "--json")
    assert later.code == 0, later.err
    report = json.loads(later.out)
    assert [(f["folder"], f["new"]) for f in report[0]["folders"]] == [("INBOX", 1), ("Sent", 0)]
    assert len(report[0]["filed"]) == 1
    assert filed(ws)[-2:] == [("acme", "in", "note 5"), ("globex", "out", "note 4")]
    assert len(filed(ws)) == 4
    assert commit_count(ws) == commits + 2
    assert git(ws, "log", "-1", "--format=%s").startswith("mail: file 1 message from imap work")
    assert_healthy(ws)


def test_a_new_uidvalidity_reads_the_folder_again_and_files_only_new_mail(
    ws: Path, dovecot: Dovecot, monkeypatch
) -> None:
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", dovecot.password)
    add_account(dovecot, folders="Archive")
    dovecot.append("Archive", *(mail(n, "jo@acme.example") for n in (1, 2, 3)))
    assert run("-w", ws, "mail", "sync").code == 0
    assert len(filed(ws)) == 3
    commits = commit_count(ws)
    # the server rebuilt the folder: new UIDVALIDITY, UIDs from 1 again, below the last seen
    dovecot.recreate("Archive")
    dovecot.append("Archive", mail(2, "jo@acme.example"), mail(9, "jo@acme.example"))
    result = run("-w", ws, "mail", "sync")
    assert result.code == 0, result.err
    assert "re-read Archive (its UIDVALIDITY changed)" in result.err
    assert "1 activities filed, 1 filed before" in result.err
    assert [s for _, _, s in filed(ws)] == ["note 1", "note 2", "note 3", "note 9"]
    assert commit_count(ws) == commits + 1
    state = json.loads((ws / ".tcrm" / "mail-sync.json").read_text())
    folder = state["accounts"]["work"]["folders"]["Archive"]
    assert folder == {"uidvalidity": dovecot.uidvalidity("Archive"), "last_uid": 2}


def test_wrong_password_unreachable_server_and_no_password_change_nothing(
    ws: Path, dovecot: Dovecot, monkeypatch
) -> None:
    dovecot.append("INBOX", mail(1, "jo@acme.example"))
    add_account(dovecot)
    before, commits = snapshot(ws), commit_count(ws)
    no_password = run("-w", ws, "mail", "sync")
    assert_refused(ws, no_password, before, commits)
    assert "set $TCRM_MAIL_PASSWORD_WORK" in no_password.err
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", "not it")
    wrong = run("-w", ws, "mail", "sync")
    assert_refused(ws, wrong, before, commits)
    assert "refused the login of 'ann' (wrong password?)" in wrong.err
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", dovecot.password)
    url = f"imap://ann@127.0.0.1:{free_port()}"
    assert run("mail", "account", "add", "work", "--imap", url, "--replace").code == 0
    unreachable = run("-w", ws, "mail", "sync")
    assert_refused(ws, unreachable, before, commits)
    assert "cannot reach 127.0.0.1:" in unreachable.err
    assert not (ws / ".tcrm" / "mail-sync.json").exists()


def test_account_commands_keep_the_config_outside_the_workspace(ws: Path, tmp_path: Path) -> None:
    added = run(
        "mail", "account", "add", "work", "--imap", "imaps://ann@ourco.example@mail.example",
        "--smtp", "sendmail:msmtp -t", "--password-command", "pass show mail/work",
        "--folders", "INBOX,Sent",
    )  # fmt: skip
    assert added.code == 0, added.err
    config = (tmp_path / "config" / "tcrm" / "mail.yaml").read_text()
    assert "pass show mail/work" in config and "password:" not in config
    listed = json.loads(run("mail", "account", "list", "--json").out)
    assert listed == [
        {
            "name": "work",
            "imap": "imaps://ann@ourco.example@mail.example",
            "smtp": "sendmail:msmtp -t",
            "address": "ann@ourco.example",
            "password_command": "pass show mail/work",
            "folders": ["INBOX", "Sent"],
            "password_env": "TCRM_MAIL_PASSWORD_WORK",
        }
    ]
    bad = run("mail", "account", "add", "home", "--imap", "imap://me:secret@host")
    assert bad.code == 2 and bad.err.count("\n") == 1 and "holds a password" in bad.err
    assert run("mail", "account", "rm", "work").code == 0
    assert json.loads(run("mail", "account", "list", "--json").out) == []
    gone = run("mail", "account", "rm", "work")
    assert gone.code == 2 and "no mail account 'work'" in gone.err
    assert git(ws, "status", "--porcelain") == ""


def test_two_clones_syncing_one_mailbox_merge_to_one_activity_per_message(
    tmp_path: Path, ws: Path, dovecot: Dovecot, monkeypatch
) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
    assert run("-w", ws, "remote", "add", "origin", remote).code == 0
    assert run("-w", ws, "sync").code == 0
    ben = tmp_path / "ben"
    assert run("clone", remote, ben).code == 0
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", dovecot.password)
    add_account(dovecot)
    dovecot.append("INBOX", mail(1, "jo@acme.example"), mail(2, "info@globex.example"))
    dovecot.append("Sent", mail(3, "ann@ourco.example", to="jo@acme.example"))
    for clone in (ws, ben):
        result = run("-w", clone, "mail", "sync")
        assert result.code == 0, result.err
        assert "3 activities filed" in result.err
    for clone in (ws, ben, ws):
        result = run("-w", clone, "sync")
        assert result.code == 0, result.err
    for clone in (ws, ben):
        assert filed(clone) == [
            ("acme", "in", "note 1"),
            ("acme", "out", "note 3"),
            ("globex", "in", "note 2"),
        ]
        assert_healthy(clone)
    assert git(ws, "rev-parse", "HEAD") == git(ben, "rev-parse", "HEAD")


def test_an_untrusted_certificate_is_one_line_and_changes_nothing(
    ws: Path, dovecot_tls: Dovecot, monkeypatch
) -> None:
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", dovecot_tls.password)
    dovecot_tls.append("INBOX", mail(1, "jo@acme.example"))
    url = dovecot_tls.url("imaps")
    assert run("mail", "account", "add", "work", "--imap", url).code == 0
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(ws.parent / "no-certs"))
    before, commits = snapshot(ws), commit_count(ws)
    refused = run("-w", ws, "mail", "sync")
    assert_refused(ws, refused, before, commits)
    assert "certificate verify failed: self-signed certificate" in refused.err
    assert dovecot_tls.cert is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.cert))  # trusting it, it works
    trusted = run("-w", ws, "mail", "sync")
    assert trusted.code == 0, trusted.err
    assert filed(ws) == [("acme", "in", "note 1")]


def test_mail_sent_from_tcrm_and_synced_back_from_sent_is_one_activity(
    ws: Path, dovecot: Dovecot, smtp_server: SmtpServer, monkeypatch
) -> None:
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", dovecot.password)
    add_account(dovecot, "--smtp", smtp_server.url, folders="Sent")
    body = ws.parent / "body.txt"
    body.write_text("The proposal is attached.\n")
    sent = run("-w", ws, "mail", "send", "acme", "--subject", "Proposal", "--body-file", body)
    assert sent.code == 0, sent.err
    [received] = smtp_server.received
    dovecot.append("Sent", received.data)  # the copy a mail client keeps in Sent
    commits = commit_count(ws)
    synced = run("-w", ws, "mail", "sync")
    assert synced.code == 0, synced.err
    assert "0 activities filed, 1 filed before" in synced.err
    assert filed(ws) == [("acme", "out", "Proposal")]
    assert commit_count(ws) == commits


def test_one_failing_account_does_not_stop_the_others(
    ws: Path, dovecot: Dovecot, monkeypatch
) -> None:
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", dovecot.password)
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_OLD", "x")
    add_account(dovecot, folders="INBOX")
    closed = f"imap://ann@127.0.0.1:{free_port()}"
    assert run("mail", "account", "add", "old", "--imap", closed).code == 0
    dovecot.append("INBOX", mail(1, "jo@acme.example"))
    result = run("-w", ws, "mail", "sync")
    assert result.code == 1
    lines = result.err.splitlines()
    assert len(lines) == 2, result.err
    assert lines[0].startswith("tcrm: error: account old: cannot reach 127.0.0.1:")
    assert lines[1] == "work: 1 new message: 1 activities filed."
    assert filed(ws) == [("acme", "in", "note 1")]
    several = run("-w", ws, "mail", "send", "acme", "--subject", "x", "--body-file", "-", stdin="x")
    assert several.code == 2
    assert "no mail account with --smtp" in several.err
