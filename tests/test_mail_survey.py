"""``tcrm mail campaign --survey``: the question goes out (aiosmtpd), and replies filed
by ``tcrm mail import`` whose new text gives a score become ``survey`` activities, in
the same commit, once, in any clone."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tcrm.model.records import Activity
from tcrm.services.mail import activity_id, survey_activity_id
from tcrm.store.workspace import Workspace
from tests.clitools import assert_refused, commit_count, git, run, snapshot
from tests.mailtools import message, write_mbox
from tests.servers import Dovecot, SmtpServer
from tests.teamtools import assert_healthy
from tests.test_mail_send import account, parsed, ws

pytestmark = pytest.mark.network  # real servers on loopback (sshd, git http-backend, Dovecot, SMTP)

__all__ = ["account", "ws"]  # fixtures from another test module, imported for pytest

QUESTION = "How likely are you to recommend us, from 0 to 10?"
PANEL = {
    "acme": "jo@acme.example",
    "globex": "info@globex.example",
    "umbrella": "uma@umbrella.example",
}
CAMPAIGN = (
    "mail", "campaign", "--where", "tag:panel", "--template", "kb/offer.md",
    "--rate", "1000/s", "--survey", QUESTION,
)  # fmt: skip
REPLIED = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)


@pytest.fixture
def panel(ws: Path) -> Path:
    """The campaign workspace with three clients tagged ``panel``."""
    settings = ws / "tcrm.yaml"
    settings.write_text(settings.read_text().replace("  - news\n", "  - news\n  - panel\n"))
    for client_id in PANEL:
        path = ws / "clients" / f"{client_id}.yaml"
        path.write_text(path.read_text().replace("tags: [news]", "tags: [news, panel]"))
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "panel")
    return ws


def activities(root: Path) -> list[Activity]:
    fresh = Workspace.open(root)
    out = []
    for record_id, path in fresh.files("activity"):
        record = fresh.parse("activity", record_id, path)
        assert isinstance(record, Activity)
        out.append(record)
    return out


def surveys(root: Path) -> dict[str, Activity]:
    return {a.clients[0]: a for a in activities(root) if a.kind == "survey"}


def sent_ids(server: SmtpServer) -> dict[str, str]:
    """Client id -> the Message-ID of the survey message it was sent."""
    by_address = {v: k for k, v in PANEL.items()}
    return {
        by_address[r.rcpt_tos[0]]: str(parsed(r.data)["Message-ID"]).strip().strip("<>")
        for r in server.received
    }


def reply(client: str, asked: str, body: str, n: int) -> bytes:
    msg = message(
        sender=PANEL[client],
        to="ann@ourco.example",
        subject="Re: News",
        date=REPLIED.replace(minute=n),
        body=body + f"\n\nOn Mon, 23 Nov 2026, Ann Owner wrote:\n> {QUESTION}\n> 10 = very\n",
        msgid=f"<reply-{n}@{PANEL[client].split('@')[1]}>",
        in_reply_to=f"<{asked}>",
        references=f"<{asked}>",
    )
    return msg.as_bytes(policy=default_policy)


def test_a_survey_campaign_asks_and_replies_with_a_score_are_survey_answers(
    panel: Path, account: SmtpServer, tmp_path: Path
) -> None:
    sent = run("-w", panel, *CAMPAIGN)
    assert sent.code == 0, sent.err
    assert "sent 3, sent before 0, skipped 0." in sent.err
    asked = sent_ids(account)
    assert sorted(asked) == sorted(PANEL)
    for received in account.received:
        mail = parsed(received.data)
        assert str(mail["X-Tcrm-Survey"]) == QUESTION
        assert mail.get_content().endswith(f"Ann Owner\n\n{QUESTION}\n")  # appended
    outgoing = {a.clients[0]: a for a in activities(panel) if a.mail}
    shown = {c: (a.mail.direction, a.mail.survey) for c, a in outgoing.items() if a.mail}
    assert shown == dict.fromkeys(PANEL, ("out", QUESTION))
    state = json.loads(next((panel / ".tcrm").glob("campaign-*.json")).read_text())
    assert state["survey"] == {"question": QUESTION}
    assert {c: e["message_id"] for c, e in state["sent"].items()} == asked

    replies = [
        reply("acme", asked["acme"], "9, great service\nThanks!", 1),
        reply("globex", asked["globex"], "10/10", 2),
        reply("umbrella", asked["umbrella"], "call me on 0612345678", 3),
    ]
    not_a_survey = message(
        sender="jo@acme.example", to="ann@ourco.example", subject="Re: invoice",
        date=REPLIED, body="8 out of 10 items arrived", msgid="<other@acme.example>",
        in_reply_to="<invoice-1@ourco.example>",
    ).as_bytes(policy=default_policy)  # fmt: skip
    box = write_mbox(tmp_path / "replies.mbox", [*replies, not_a_survey])
    commits = commit_count(panel)
    filed = run("-w", panel, "mail", "import", box)
    assert filed.code == 0, filed.err
    assert "2 survey answers" in filed.err
    assert commit_count(panel) == commits + 1  # the mail and the answers: one commit
    subject = git(panel, "log", "-1", "--format=%s").strip()
    assert subject.startswith("mail: file 4 messages from replies.mbox")
    assert subject.endswith("+ 2 survey answers")
    answers = surveys(panel)
    got = {
        c: (a.id, a.score, a.summary, a.notes, a.at, a.author, a.contacts)
        for c, a in answers.items()
    }
    assert got == {
        "acme": (
            survey_activity_id("reply-1@acme.example", "acme"), 9, QUESTION,
            "9, great service", REPLIED.replace(minute=1), "ann", ["Jo Smith"],
        ),
        "globex": (
            survey_activity_id("reply-2@globex.example", "globex"), 10, QUESTION,
            "10/10", REPLIED.replace(minute=2), "ann", [],
        ),
    }  # fmt: skip
    assert len([a for a in activities(panel) if a.mail and a.mail.direction == "in"]) == 4

    again = run("-w", panel, "mail", "import", box)
    assert again.code == 0, again.err
    assert "survey" not in again.err
    assert commit_count(panel) == commits + 1
    assert surveys(panel) == answers

    nps = run("-w", panel, "report", "nps", "--json")
    assert nps.code == 0, nps.err
    data = json.loads(nps.out)
    assert (data["responses"], data["nps"]) == (2, 100.0)
    assert run("-w", panel, "check").code == 0
    card = run("-w", panel, "client", "list", "nps:>=9", "--json")
    assert sorted(c["id"] for c in json.loads(card.out)) == ["acme", "globex"]
    assert_healthy(panel)


def test_two_clones_filing_the_same_replies_make_one_answer_each(
    panel: Path, account: SmtpServer, tmp_path: Path
) -> None:
    assert run("-w", panel, *CAMPAIGN).code == 0
    asked = sent_ids(account)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(panel), str(clone)], check=True)
    for key, value in (("user.name", "Ben"), ("user.email", "ben@ourco.example")):
        git(clone, "config", key, value)
    assert not (clone / ".tcrm").exists() or not list((clone / ".tcrm").glob("campaign-*"))
    box = tmp_path / "reply.eml"
    box.write_bytes(reply("acme", asked["acme"], "I'd say 9", 1))
    for root in (panel, clone):  # the clone has no campaign state: the sent activity says
        result = run("-w", root, "mail", "import", box)
        assert result.code == 0, result.err
        assert "1 survey answers" in result.err
    assert surveys(clone) == surveys(panel)
    git(panel, "pull", "-q", "--no-rebase", "--no-edit", str(clone), "HEAD")
    found = [a for a in activities(panel) if a.kind == "survey"]
    assert [(a.id, a.score, a.notes) for a in found] == [
        (survey_activity_id("reply-1@acme.example", "acme"), 9, "I'd say 9")
    ]
    assert_healthy(panel)


def test_a_reply_filed_before_its_survey_becomes_an_answer_when_filed_again(
    panel: Path, tmp_path: Path
) -> None:
    """In a clone that has not pulled the sent survey yet, the reply is plain mail; once
    the sent activity is there, filing the reply again adds the answer."""
    asked = "q1@ourco.example"
    box = write_mbox(tmp_path / "r.mbox", [reply("globex", asked, "8 out of 10", 1)])
    assert run("-w", panel, "mail", "import", box).code == 0
    assert surveys(panel) == {}
    sent = message(
        sender="ann@ourco.example", to="info@globex.example", subject="News", date=REPLIED,
        body=f"Hello\n\n{QUESTION}\n", msgid=f"<{asked}>",
    )  # fmt: skip
    sent["X-Tcrm-Survey"] = QUESTION
    out = write_mbox(tmp_path / "sent.mbox", [sent.as_bytes(policy=default_policy)])
    assert run("-w", panel, "mail", "import", out).code == 0
    assert activity_id(asked, "globex") in {a.id for a in activities(panel)}
    again = run("-w", panel, "mail", "import", box)
    assert again.code == 0, again.err
    assert git(panel, "log", "-1", "--format=%s").startswith("mail: file 0 messages")
    assert {c: a.score for c, a in surveys(panel).items()} == {"globex": 8}


def test_a_survey_header_on_incoming_mail_asks_nothing(panel: Path, tmp_path: Path) -> None:
    """Only our own sent messages ask: a stranger's X-Tcrm-Survey header is ignored."""
    theirs = message(
        sender="info@globex.example", to="ann@ourco.example", subject="Q", date=REPLIED,
        msgid="<theirs@globex.example>",
    )  # fmt: skip
    theirs["X-Tcrm-Survey"] = "Rate us?"
    answer = message(
        sender="info@globex.example", to="ann@ourco.example", subject="Re: Q",
        date=REPLIED.replace(minute=5), body="10", msgid="<a@globex.example>",
        in_reply_to="<theirs@globex.example>",
    )  # fmt: skip
    raw = [m.as_bytes(policy=default_policy) for m in (theirs, answer)]
    assert run("-w", panel, "mail", "import", write_mbox(tmp_path / "x.mbox", raw)).code == 0
    assert surveys(panel) == {}
    assert all(a.mail is None or a.mail.survey is None for a in activities(panel))


def test_a_question_in_another_language_with_braces_is_sent_as_written(
    panel: Path, account: SmtpServer
) -> None:
    question = "Hoe waarschijnlijk is het dat u ons aanbeveelt (0-10)? {{client.nope}} één"
    args = [*CAMPAIGN[:-1], question]
    result = run("-w", panel, *args)
    assert result.code == 0, result.err
    assert "sent 3" in result.err
    for received in account.received:
        mail = parsed(received.data)
        assert str(mail["X-Tcrm-Survey"]) == question
        assert mail.get_content().endswith(f"\n\n{question}\n")
    assert {a.mail.survey for a in activities(panel) if a.mail} == {question}


def test_the_template_places_the_question(panel: Path, account: SmtpServer) -> None:
    (panel / "kb" / "ask.md").write_text(
        "Subject: A question\n\nDear {{contact.first_name}},\n{{survey.question}}\nThanks\n"
    )
    git(panel, "add", "-A")
    git(panel, "commit", "-q", "-m", "ask")
    args = [*CAMPAIGN]
    args[args.index("kb/offer.md")] = "kb/ask.md"
    assert run("-w", panel, *args).code == 0
    bodies = {r.rcpt_tos[0]: parsed(r.data).get_content() for r in account.received}
    assert bodies["uma@umbrella.example"] == f"Dear Uma,\n{QUESTION}\nThanks\n"


@pytest.mark.parametrize(
    ("question", "template", "said"),
    [
        ("   ", "kb/offer.md", "the survey question is empty"),
        ("two\nlines", "kb/offer.md", "one line of text"),
        ("x" * 501, "kb/offer.md", "longer than 500"),
        (None, "kb/ask.md", "unknown field {{survey.question}}"),
    ],
)
def test_a_bad_question_or_a_question_field_without_survey_is_refused(
    panel: Path, account: SmtpServer, question: str | None, template: str, said: str
) -> None:
    (panel / "kb" / "ask.md").write_text("Subject: Q\n\n{{survey.question}}\n")
    git(panel, "add", "-A")
    git(panel, "commit", "-q", "-m", "ask")
    args = ["mail", "campaign", "--where", "tag:panel", "--template", template]
    if question is not None:
        args += ["--survey", question]
    before, commits = snapshot(panel), commit_count(panel)
    result = run("-w", panel, *args)
    assert_refused(panel, result, before, commits)
    assert said in result.err
    assert account.received == []


def test_a_named_campaign_is_not_resumed_with_another_question(
    panel: Path, account: SmtpServer
) -> None:
    assert run("-w", panel, *CAMPAIGN, "--name", "q4").code == 0
    before, commits = snapshot(panel), commit_count(panel)
    other = [*CAMPAIGN[:-1], "Would you buy again?", "--name", "q4"]
    result = run("-w", panel, *other)
    assert_refused(panel, result, before, commits)
    assert "was sent with the survey question" in result.err
    assert len(account.received) == 3


def test_a_clone_syncing_sent_and_replies_over_imap_files_the_answers(
    panel: Path, account: SmtpServer, dovecot: Dovecot, tmp_path: Path
) -> None:
    """A teammate's clone without the campaign's state: ``tcrm mail sync`` (Dovecot) reads
    the survey messages from Sent and the replies from INBOX in one run, and files the
    answers from the question the sent messages carry."""
    assert run("-w", panel, *CAMPAIGN).code == 0
    asked = sent_ids(account)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(panel), str(clone)], check=True)
    for key, value in (("user.name", "Ben"), ("user.email", "ben@ourco.example")):
        git(clone, "config", key, value)
    there = Workspace.open(clone)
    for activity in activities(clone):  # the clone learns of the survey from Sent only
        if activity.mail:
            there.path_of(activity).unlink()
    git(clone, "commit", "-qam", "forget the filed survey messages")
    dovecot.append("Sent", *(r.data.replace(b"\r\n", b"\n") for r in account.received))
    dovecot.append(
        "INBOX",
        reply("acme", asked["acme"], "9, great service", 1),
        reply("umbrella", asked["umbrella"], "call me on 0612345678", 3),
    )
    added = run(
        "-w", clone, "mail", "account", "add", "box", "--imap", dovecot.url(),
        "--folders", "INBOX,Sent", "--address", "ann@ourco.example",
        "--password-command", f"printf '%s\\n' '{dovecot.password}'",
    )  # fmt: skip
    assert added.code == 0, added.err
    synced = run("-w", clone, "mail", "sync", "box")
    assert synced.code == 0, synced.err
    assert "1 survey answers" in synced.err
    answers = surveys(clone)
    assert {c: (a.id, a.score, a.summary, a.notes) for c, a in answers.items()} == {
        "acme": (
            survey_activity_id("reply-1@acme.example", "acme"),
            9,
            QUESTION,
            "9, great service",
        )
    }
    assert {a.mail.survey for a in activities(clone) if a.mail and a.mail.direction == "out"} == {
        QUESTION
    }
    assert_healthy(clone)
