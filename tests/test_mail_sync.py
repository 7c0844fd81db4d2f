"""Two clones filing the same mailbox, merged through ``tcrm sync`` over a real bare
remote: one activity per (message, client), no conflict."""

from __future__ import annotations

from pathlib import Path

from tcrm.mail.parse import read_messages
from tcrm.model.records import Client
from tcrm.services import mail as service
from tcrm.store.workspace import Workspace
from tests.clitools import git
from tests.mailtools import NOW, at, message, write_mbox
from tests.teamtools import assert_healthy, put, sync


def _thread() -> list[bytes]:
    first = message(
        sender="Jo <jo@acme.example>",
        to="ann@example.com, ben@example.com",
        subject="Kick-off",
        date=at(2),
        msgid="<kickoff@acme.example>",
    )
    reply = message(
        sender="ann@example.com",
        to="jo@acme.example",
        cc="ben@example.com",
        subject="Re: Kick-off",
        date=at(3),
        msgid="<reply@example.com>",
        in_reply_to="<kickoff@acme.example>",
        references="<kickoff@acme.example>",
    )
    return [bytes(first), bytes(reply)]


def _email_activities(root: Path) -> dict[str, str]:
    ws = Workspace.open(root)
    out = {}
    for record_id, path in ws.files("activity"):
        activity = ws.parse("activity", record_id, path)
        out[record_id] = activity.mail.message_id  # type: ignore[attr-defined]
    return out


def test_two_clones_filing_the_same_thread_merge_to_one_activity_per_message(
    team: dict[str, Path], as_user, tmp_path: Path
) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    put(ann, "acme's address", Client(id="acme", name="Acme", emails=["info@acme.example"]))
    sync(ann)
    as_user("ben")
    sync(ben)

    # each files their own copy of the thread; ben's mailbox also has a later message
    later = message(
        sender="jo@acme.example",
        to="ben@example.com",
        subject="Only to Ben",
        date=at(4),
        msgid="<ben-only@acme.example>",
    )
    ann_box = write_mbox(tmp_path / "ann.mbox", _thread())
    ben_box = write_mbox(tmp_path / "ben.mbox", [*_thread(), bytes(later)])
    as_user("ann")
    filed_ann = service.file_messages(
        Workspace.open(ann), read_messages(ann_box), now=NOW, source="ann.mbox"
    )
    as_user("ben")
    filed_ben = service.file_messages(
        Workspace.open(ben), read_messages(ben_box), now=NOW, source="ben.mbox"
    )
    assert len(filed_ann.filed) == 2 and len(filed_ben.filed) == 3

    as_user("ann")
    sync(ann)
    as_user("ben")
    report = sync(ben)
    assert report["conflicts"] == [] and not report["open_conflicts"]
    as_user("ann")
    sync(ann)

    expected = {
        service.activity_id(key, "acme"): key
        for key in ("kickoff@acme.example", "reply@example.com", "ben-only@acme.example")
    }
    for root in (ann, ben):
        assert _email_activities(root) == expected
        assert_healthy(root)
    assert git(ann, "rev-parse", "HEAD") == git(ben, "rev-parse", "HEAD")
    # importing again in either clone now files nothing and commits nothing
    head = git(ben, "rev-parse", "HEAD")
    again = service.file_messages(
        Workspace.open(ben), read_messages(ben_box), now=NOW, source="ben.mbox"
    )
    assert again.filed == [] and again.commit is None
    assert git(ben, "rev-parse", "HEAD") == head
