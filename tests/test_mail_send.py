"""``tcrm mail send`` and ``tcrm mail campaign`` against a real SMTP server (aiosmtpd on
loopback): what the server received is what was filed, never filed when refused, and an
interrupted campaign resumed sends to nobody twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tcrm.mail.accounts import make_account
from tcrm.model.records import Activity
from tcrm.services.mail_campaign import parse_rate, run_campaign
from tcrm.store.workspace import Workspace
from tests.clitools import assert_refused, commit_count, git, run, snapshot
from tests.mailtools import NOW, mail_workspace
from tests.servers import SmtpServer, SmtpTlsServer
from tests.teamtools import assert_healthy

pytestmark = pytest.mark.network  # real servers on loopback (sshd, git http-backend, Dovecot, SMTP)

OFFER = """Subject: News for {{client.name}}

Dear {{contact.first_name}},

we have news for {{client.name}}.

{{me.name}}
"""

MORE_CLIENTS = {
    "umbrella": (
        "name: Umbrella\ntags: [news]\ncontacts:\n- name: Uma Ray\n"
        "  emails: [uma@umbrella.example]\n"
    ),
    "hooli": "name: Hooli\ntags: [news, no-mail]\nemails: [info@hooli.example]\n",
    "nowhere": "name: Nowhere Ltd\ntags: [news]\n",
}


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("TCRM_NOW", NOW.isoformat())
    monkeypatch.delenv("TCRM_FAULT", raising=False)
    root = mail_workspace(tmp_path / "ws").root
    settings = root / "tcrm.yaml"
    settings.write_text(
        settings.read_text().replace("  - enterprise\n", "  - enterprise\n  - news\n  - no-mail\n")
    )
    for client_id in ("acme", "globex", "petra", "initech"):
        path = root / "clients" / f"{client_id}.yaml"
        path.write_text(path.read_text() + "tags: [news]\n")
    for client_id, text in MORE_CLIENTS.items():
        (root / "clients" / f"{client_id}.yaml").write_text(text)
    (root / "kb").mkdir(exist_ok=True)
    (root / "kb" / "offer.md").write_text(OFFER)
    (root / "kb" / "bad.md").write_text(
        "Subject: Hi\n\nHello {{client.name}},\nsee {{client.nope}}\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "campaign clients")
    assert run("-w", root, "check").code == 0
    return root


@pytest.fixture
def account(smtp_server: SmtpServer) -> SmtpServer:
    result = run(
        "mail", "account", "add", "work", "--smtp", smtp_server.url,
        "--address", "ann@ourco.example",
    )  # fmt: skip
    assert result.code == 0, result.err
    return smtp_server


def parsed(data: bytes) -> Message:
    """A message as received (SMTP's CRLF line ends as the stdlib's newlines)."""
    return message_from_bytes(data.replace(b"\r\n", b"\n"), policy=default_policy)


def mail_activities(root: Path) -> list[Activity]:
    fresh = Workspace.open(root)
    out = []
    for record_id, path in fresh.files("activity"):
        record = fresh.parse("activity", record_id, path)
        assert isinstance(record, Activity)
        if record.mail:
            out.append(record)
    return sorted(out, key=lambda a: a.clients)


def received_equals_filed(server: SmtpServer, root: Path) -> None:
    """Every message the server took is one outgoing activity of its recipient's client,
    with the same Message-ID, recipient and subject; and nothing else was filed."""
    got = sorted(
        (
            str(parsed(r.data)["Message-ID"]).strip("<>"),
            tuple(r.rcpt_tos),
            str(parsed(r.data)["Subject"]),
        )
        for r in server.received
    )
    logged = sorted(
        (a.mail.message_id, tuple(a.mail.to), a.summary)
        for a in mail_activities(root)
        if a.mail and a.mail.direction == "out"
    )
    assert got == logged


def test_send_with_a_body_file_sends_then_files_what_was_sent(
    ws: Path, account: SmtpServer
) -> None:
    body = ws.parent / "body.txt"
    body.write_text("Hello {{contact.first_name}}, the proposal for {{client.name}} is ready.\n")
    commits = commit_count(ws)
    result = run("-w", ws, "mail", "send", "acme", "--subject", "Proposal", "--body-file", body)
    assert result.code == 0, result.err
    assert "Sent to jo@acme.example; filed to acme." in result.err
    [got] = account.received
    assert got.rcpt_tos == ["jo@acme.example"]
    assert got.mail_from == "ann@ourco.example"
    message = parsed(got.data)
    assert str(message["From"]) == "Ann Owner <ann@ourco.example>"
    assert str(message["To"]) == "Jo Smith <jo@acme.example>"
    assert message.get_content() == "Hello Jo, the proposal for Acme GmbH is ready.\n"
    assert result.out.strip() == str(message["Message-ID"]).strip("<>")
    [activity] = mail_activities(ws)
    assert activity.mail is not None
    assert (activity.clients, activity.mail.direction, activity.author) == (["acme"], "out", "ann")
    assert activity.notes == "Hello Jo, the proposal for Acme GmbH is ready."
    received_equals_filed(account, ws)
    assert commit_count(ws) == commits + 1
    assert_healthy(ws)


def test_send_composes_in_the_editor_with_headers_at_the_top(
    ws: Path, account: SmtpServer, tmp_path: Path, monkeypatch
) -> None:
    seen = tmp_path / "seen.txt"
    editor = tmp_path / "editor.sh"
    editor.write_text(
        "#!/bin/sh\n"
        f'cp "$1" {seen}\n'
        'sed -i "s/^Subject: .*/Subject: Changed in the editor/" "$1"\n'
        'printf "P.S. see you\\n" >> "$1"\n'
    )
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    result = run("-w", ws, "mail", "send", "globex", "--template", "kb/offer.md")
    assert result.code == 0, result.err
    shown = seen.read_text()
    assert "To: Globex <info@globex.example>\n" in shown
    assert "Subject: News for Globex\n" in shown
    assert "Dear Globex,\n\nwe have news for Globex.\n\nAnn Owner\n" in shown
    [got] = account.received
    message = parsed(got.data)
    assert str(message["Subject"]) == "Changed in the editor"
    assert message.get_content().endswith("Ann Owner\nP.S. see you\n")
    received_equals_filed(account, ws)


def test_an_emptied_draft_sends_nothing(
    ws: Path, account: SmtpServer, tmp_path: Path, monkeypatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\n: > "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    before, commits = snapshot(ws), commit_count(ws)
    result = run("-w", ws, "mail", "send", "acme", "--subject", "x")
    assert_refused(ws, result, before, commits)
    assert "the message is empty; nothing was sent" in result.err
    assert account.received == []


def test_unknown_template_field_is_refused_before_sending(ws: Path, account: SmtpServer) -> None:
    before, commits = snapshot(ws), commit_count(ws)
    result = run("-w", ws, "mail", "send", "acme", "--template", "kb/bad.md")
    assert_refused(ws, result, before, commits)
    assert "kb/bad.md:4: unknown field {{client.nope}}" in result.err
    campaign = run("-w", ws, "mail", "campaign", "--where", "tag:news", "--template", "bad")
    assert_refused(ws, campaign, before, commits)
    assert "kb/bad.md:4: unknown field {{client.nope}}" in campaign.err
    assert account.received == []


def test_a_refused_recipient_is_one_line_and_nothing_is_filed(
    ws: Path, account: SmtpServer
) -> None:
    account.refuse.add("jo@acme.example")
    body = ws.parent / "body.txt"
    body.write_text("Hi\n")
    before, commits = snapshot(ws), commit_count(ws)
    result = run("-w", ws, "mail", "send", "acme", "--subject", "Hi", "--body-file", body)
    assert_refused(ws, result, before, commits)
    assert "refused the recipient 'jo@acme.example': 550" in result.err
    assert account.received == []


def test_dry_run_prints_the_message_and_sends_nothing(ws: Path, account: SmtpServer) -> None:
    before, commits = snapshot(ws), commit_count(ws)
    result = run(
        "-w", ws, "mail", "send", "petra", "--subject", "Hi {{client.name}}",
        "--body-file", "-", "--dry-run", stdin="Hello {{contact.first_name}}\n",
    )  # fmt: skip
    assert result.code == 0, result.err
    message = parsed(result.out.encode())
    assert (str(message["To"]), str(message["Subject"])) == (
        "Petra Free <petra@gmail.com>",
        "Hi Petra Free",
    )
    assert message.get_content() == "Hello Petra\n"
    assert account.received == []
    assert snapshot(ws) == before and commit_count(ws) == commits


def test_send_through_a_sendmail_compatible_command(ws: Path, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.eml"
    command = tmp_path / "fake-msmtp"
    command.write_text(f'#!/bin/sh\n[ "$1" = "-t" ] || exit 64\ncat > {outbox}\n')
    command.chmod(0o755)
    failing = tmp_path / "failing-msmtp"
    failing.write_text("#!/bin/sh\ncat > /dev/null\necho 'msmtp: cannot connect' >&2\nexit 75\n")
    failing.chmod(0o755)
    body = tmp_path / "body.txt"
    body.write_text("Hi Bill\n")
    smtp = f"sendmail:{failing} -t"
    assert (
        run("mail", "account", "add", "work", "--smtp", smtp, "--address", "ann@ourco.example").code
        == 0
    )
    before, commits = snapshot(ws), commit_count(ws)
    bad = run("-w", ws, "mail", "send", "initech", "--subject", "Hi", "--body-file", body)
    assert_refused(ws, bad, before, commits)
    assert "exited with 75: msmtp: cannot connect; not sent" in bad.err
    smtp = f"sendmail:{command} -t"
    replaced = run(
        "mail", "account", "add", "work", "--smtp", smtp, "--address", "ann@ourco.example",
        "--replace",
    )  # fmt: skip
    assert replaced.code == 0, replaced.err
    good = run("-w", ws, "mail", "send", "initech", "--subject", "Hi", "--body-file", body)
    assert good.code == 0, good.err
    sent = parsed(outbox.read_bytes())
    [activity] = mail_activities(ws)
    assert activity.mail is not None
    assert activity.mail.message_id == str(sent["Message-ID"]).strip("<>")
    assert (activity.clients, activity.contacts, activity.mail.to) == (
        ["initech"],
        ["Bill L"],
        ["bill@partner.example"],
    )


# --- campaigns ---------------------------------------------------------------------------

CAMPAIGN = (
    "mail",
    "campaign",
    "--where",
    "tag:news",
    "--template",
    "kb/offer.md",
    "--rate",
    "1000/s",
)
RECIPIENTS = {
    "acme": "jo@acme.example",
    "globex": "info@globex.example",
    "initech": "bill@partner.example",
    "petra": "petra@gmail.com",
    "umbrella": "uma@umbrella.example",
}


def recipients(server: SmtpServer) -> list[str]:
    return [to for r in server.received for to in r.rcpt_tos]


def test_a_campaign_sends_one_personal_message_per_client_and_files_them_in_one_commit(
    ws: Path, account: SmtpServer
) -> None:
    commits = commit_count(ws)
    dry = run("-w", ws, *CAMPAIGN, "--dry-run", "--json")
    assert dry.code == 0, dry.err
    plan = json.loads(dry.out)
    assert {p["client"]: p["to"] for p in plan["sent"]} == RECIPIENTS
    assert account.received == [] and commit_count(ws) == commits
    result = run("-w", ws, *CAMPAIGN)
    assert result.code == 0, result.err
    assert "skipped hooli: tagged no-mail" in result.err
    assert "skipped nowhere: no email address" in result.err
    assert "sent 5, sent before 0, skipped 2." in result.err
    assert sorted(recipients(account)) == sorted(RECIPIENTS.values())
    by_to = {r.rcpt_tos[0]: parsed(r.data) for r in account.received}
    umbrella = by_to["uma@umbrella.example"]
    assert str(umbrella["Subject"]) == "News for Umbrella"
    assert umbrella.get_content() == "Dear Uma,\n\nwe have news for Umbrella.\n\nAnn Owner\n"
    received_equals_filed(account, ws)
    assert [a.clients[0] for a in mail_activities(ws)] == sorted(RECIPIENTS)
    assert commit_count(ws) == commits + 1
    assert git(ws, "log", "-1", "--format=%s").startswith("mail: file 5 messages from campaign c")
    again = run("-w", ws, *CAMPAIGN)
    assert again.code == 0, again.err
    assert "sent 0, sent before 5, skipped 2." in again.err
    assert len(account.received) == 5 and commit_count(ws) == commits + 1
    assert_healthy(ws)


def test_a_campaign_stopped_by_a_refused_send_resumes_without_sending_twice(
    ws: Path, account: SmtpServer
) -> None:
    account.refuse.add("bill@partner.example")  # initech, the third client by id
    commits = commit_count(ws)
    stopped = run("-w", ws, *CAMPAIGN)
    assert stopped.code == 1
    assert "refused the recipient 'bill@partner.example'" in stopped.err
    assert recipients(account) == ["jo@acme.example", "info@globex.example"]
    received_equals_filed(account, ws)  # what was sent before the failure is on record
    assert commit_count(ws) == commits + 1
    account.refuse.clear()
    resumed = run("-w", ws, *CAMPAIGN)
    assert resumed.code == 0, resumed.err
    assert "sent 3, sent before 2" in resumed.err
    assert sorted(recipients(account)) == sorted(RECIPIENTS.values())  # nobody twice
    received_equals_filed(account, ws)
    assert commit_count(ws) == commits + 2
    assert_healthy(ws)


def tcrm_process(ws: Path, *args: str, fault: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TCRM_FAULT": fault}
    return subprocess.run(
        [sys.executable, "-m", "tcrm", "-w", str(ws), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_campaign_killed_after_two_sends_resumes_without_sending_twice(
    ws: Path, account: SmtpServer
) -> None:
    commits = commit_count(ws)
    killed = tcrm_process(ws, *CAMPAIGN, fault="mail-campaign-sent-2")
    assert killed.returncode == -9, killed.stderr
    assert recipients(account) == ["jo@acme.example", "info@globex.example"]
    assert commit_count(ws) == commits  # killed before the one commit at the end
    resumed = run("-w", ws, *CAMPAIGN)
    assert resumed.code == 0, resumed.err
    assert "sent 3, sent before 2" in resumed.err
    assert sorted(recipients(account)) == sorted(RECIPIENTS.values())
    received_equals_filed(account, ws)  # the two sent by the killed run are filed too
    assert commit_count(ws) == commits + 1
    assert_healthy(ws)


def test_a_message_that_may_have_gone_out_is_not_sent_again_unless_asked(
    ws: Path, account: SmtpServer
) -> None:
    killed = tcrm_process(ws, *CAMPAIGN, fault="mail-campaign-sending-3")  # before the send
    assert killed.returncode == -9, killed.stderr
    assert len(account.received) == 2
    resumed = run("-w", ws, *CAMPAIGN)
    assert resumed.code == 0, resumed.err
    assert "uncertain initech: an interrupted run may have sent it" in resumed.err
    assert "bill@partner.example" not in recipients(account)
    assert len(account.received) == 4
    retried = run("-w", ws, *CAMPAIGN, "--retry-uncertain")
    assert retried.code == 0, retried.err
    assert sorted(recipients(account)) == sorted(RECIPIENTS.values())
    received_equals_filed(account, ws)


def test_the_rate_spaces_messages_with_the_injected_clock(
    ws: Path, smtp_server: SmtpServer
) -> None:
    account = make_account("work", smtp=smtp_server.url, address="ann@ourco.example")
    moments = iter([100.0, 100.5, 103.0, 103.0, 110.0, 115.0, 115.0, 116.0, 117.0])
    slept: list[float] = []
    result = run_campaign(
        Workspace.open(ws),
        account=account,
        where=["tag:news"],
        template="kb/offer.md",
        rate=parse_rate("30/min"),
        now=NOW,
        sleep=slept.append,
        clock=lambda: next(moments),
    )
    assert len(result.sent) == 5
    # sent at 100; at 100.5 waits 1.5, sent at 103; at 103 waits 2, sent at 110; at 115
    # no wait, sent at 115; at 116 waits 1
    assert slept == [1.5, 2.0, 1.0]
    assert parse_rate("1/s") == 1.0 and parse_rate("500/h") == 7.2


@pytest.mark.parametrize("rate", ["fast", "0/min", "30/day", "-1/s"])
def test_a_bad_rate_is_refused(ws: Path, account: SmtpServer, rate: str) -> None:
    before, commits = snapshot(ws), commit_count(ws)
    result = run(
        "-w", ws, "mail", "campaign", "--where", "tag:news", "--template", "offer", "--rate", rate
    )
    assert_refused(ws, result, before, commits)
    assert "--rate" in result.err
    assert account.received == []


def test_smtp_with_starttls_and_a_login(
    ws: Path, smtp_tls_server: SmtpTlsServer, monkeypatch
) -> None:
    server = smtp_tls_server
    added = run(
        "mail", "account", "add", "work", "--smtp", server.url, "--address", "ann@ourco.example"
    )
    assert added.code == 0, added.err
    body = ws.parent / "body.txt"
    body.write_text("Hi\n")
    send = ("-w", ws, "mail", "send", "acme", "--subject", "Hi", "--body-file", body)
    before, commits = snapshot(ws), commit_count(ws)
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", server.password)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(ws.parent / "no-certs"))
    untrusted = run(*send)
    assert_refused(ws, untrusted, before, commits)
    assert "TLS with 127.0.0.1:" in untrusted.err and "certificate verify failed" in untrusted.err
    assert server.cert is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", "wrong")
    wrong = run(*send)
    assert_refused(ws, wrong, before, commits)
    assert "refused the login of 'ann' (wrong password?)" in wrong.err
    assert server.received == []
    monkeypatch.setenv("TCRM_MAIL_PASSWORD_WORK", server.password)
    sent = run(*send)
    assert sent.code == 0, sent.err
    assert recipients(server) == ["jo@acme.example"]
    received_equals_filed(server, ws)


def test_with_several_accounts_one_is_named(ws: Path, account: SmtpServer, smtp_tls_server) -> None:
    other = run(
        "mail", "account", "add", "home", "--smtp", smtp_tls_server.url, "--address", "a@b.example"
    )
    assert other.code == 0, other.err
    send = ("-w", ws, "mail", "send", "acme", "--subject", "Hi", "--body-file", "-")
    before, commits = snapshot(ws), commit_count(ws)
    unnamed = run(*send, stdin="Hi\n")
    assert_refused(ws, unnamed, before, commits)
    assert (
        "several mail accounts with --smtp (home, work); name one (--account NAME)" in unnamed.err
    )
    named = run(*send, "--account", "work", stdin="Hi\n")
    assert named.code == 0, named.err
    assert recipients(account) == ["jo@acme.example"] and smtp_tls_server.received == []


def test_a_line_break_in_a_record_never_becomes_a_header(ws: Path, account: SmtpServer) -> None:
    client = ws / "clients" / "acme.yaml"
    client.write_text(
        client.read_text().replace("name: Acme GmbH", 'name: "Acme\\nCc: x@evil.example"')
    )
    git(ws, "commit", "-qam", "a hostile name")
    result = run(
        "-w", ws, "mail", "send", "acme", "--subject", "Hi {{client.name}}", "--body-file", "-",
        stdin="Hello\n",
    )  # fmt: skip
    assert result.code == 0, result.err
    [got] = account.received
    assert got.rcpt_tos == ["jo@acme.example"]
    message = parsed(got.data)
    assert message["Cc"] is None
    assert str(message["Subject"]) == "Hi Acme Cc: x@evil.example"


def test_nothing_is_sent_when_it_could_not_be_filed(ws: Path, account: SmtpServer) -> None:
    settings = ws / "tcrm.yaml"
    settings.write_text(settings.read_text().replace("  - email\n", ""))
    git(ws, "commit", "-qam", "no email kind")
    before, commits = snapshot(ws), commit_count(ws)
    sent = run("-w", ws, "mail", "send", "acme", "--subject", "Hi", "--body-file", "-", stdin="x")
    assert_refused(ws, sent, before, commits)
    assert "lists.activity_kinds has no 'email'" in sent.err
    campaign = run("-w", ws, *CAMPAIGN)
    assert_refused(ws, campaign, before, commits)
    assert account.received == []


def test_mail_sent_but_not_filed_says_so_and_a_campaign_files_it_next_run(
    ws: Path, account: SmtpServer
) -> None:
    git(ws, "checkout", "-q", "--detach")  # tcrm commits on a branch only
    commits = commit_count(ws)
    sent = run("-w", ws, "mail", "send", "acme", "--subject", "Hi", "--body-file", "-", stdin="x")
    assert sent.code == 1
    [line] = sent.err.splitlines()
    message_id = str(parsed(account.received[0].data)["Message-ID"])
    assert line.startswith(f"tcrm: error: the message was sent ({message_id}) but could not be")
    campaign = run("-w", ws, *CAMPAIGN)
    assert campaign.code == 1
    assert "campaign c" in campaign.err and "5 messages sent but not filed" in campaign.err
    assert commit_count(ws) == commits and len(account.received) == 6
    git(ws, "checkout", "-q", "main")
    again = run("-w", ws, *CAMPAIGN)
    assert again.code == 0, again.err
    assert "sent 0, sent before 5" in again.err
    assert len(account.received) == 6  # nobody twice
    assert len(mail_activities(ws)) == 5 and commit_count(ws) == commits + 1
