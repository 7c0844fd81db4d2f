"""``tcrm mail import|unmatched|assign`` through the real entry point, on a real workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tcrm.services import mail as service
from tests.clitools import commit_count, git, run
from tests.mailtools import at, corpus, mail_workspace, message, write_maildir, write_mbox


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return mail_workspace(tmp_path / "ws").root


def test_import_an_mbox_then_again(root: Path, tmp_path: Path) -> None:
    box = write_mbox(tmp_path / "mail.mbox", corpus())
    before = commit_count(root)

    first = run("-w", root, "mail", "import", box)

    assert first.code == 0, first.err
    assert first.err.strip() == (
        "Filed 10 activities from 10 messages; 0 filed before, 2 unmatched "
        "(see `tcrm mail unmatched`)."
    )
    lines = first.out.splitlines()
    assert lines[0] == "id\tdir\tdate\tclient\tsubject"
    assert lines[1] == (
        f"{service.activity_id('q1@acme.example', 'acme')}\t←\t2026-11-02 10:00\tacme\t"
        "Proposal question"
    )
    assert commit_count(root) == before + 1

    again = run("-w", root, "mail", "import", box)
    assert again.code == 0 and again.out == ""
    assert "Filed 0 activities from 10 messages; 10 filed before" in again.err
    assert commit_count(root) == before + 1


def test_import_json_and_dry_run(root: Path, tmp_path: Path) -> None:
    maildir = write_maildir(tmp_path / "Maildir", corpus())
    head = git(root, "rev-parse", "HEAD")

    result = run("-w", root, "mail", "import", maildir, "--dry-run", "--json")

    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["dry_run"] is True and data["commit"] is None
    assert data["messages"] == 10 and len(data["filed"]) == 10
    assert sorted(data["unmatched"]) == ["lunch@ourco.example", "stranger@gmail.com"]
    invoice = next(a for a in data["filed"] if a["summary"] == "Invoice 42")
    assert invoice["mail"]["attachments"] == [{"name": "invoice-42.pdf", "size": 1000}]
    assert invoice["kind"] == "email" and invoice["clients"] == ["acme"]
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == ""


def test_import_a_single_eml(root: Path, tmp_path: Path) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(corpus()[3])
    result = run("-w", root, "mail", "import", eml, "--json")
    assert result.code == 0, result.err
    [activity] = json.loads(result.out)["filed"]
    assert (activity["summary"], activity["clients"]) == ("Réunion à Zürich", ["globex"])


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda p: p / "missing.mbox", "missing.mbox: no such file or folder"),
        (lambda p: (p / "plain").mkdir() or p / "plain", "is a folder but not a Maildir"),
    ],
)
def test_import_of_a_bad_path_is_one_line_and_changes_nothing(
    root: Path, tmp_path: Path, make, error: str
) -> None:
    head = git(root, "rev-parse", "HEAD")
    result = run("-w", root, "mail", "import", make(tmp_path))
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and error in result.err
    assert git(root, "rev-parse", "HEAD") == head


def test_unmatched_and_assign_with_a_new_contact(root: Path, tmp_path: Path) -> None:
    run("-w", root, "mail", "import", write_mbox(tmp_path / "m.mbox", corpus()))

    listed = run("-w", root, "mail", "unmatched", "--json")
    assert [(u["message_id"], u["from"]) for u in json.loads(listed.out)] == [
        ("lunch@ourco.example", "ann@ourco.example"),
        ("stranger@gmail.com", "stranger@gmail.com"),
    ]
    table = run("-w", root, "mail", "unmatched")
    assert table.out.splitlines()[0] == "message-id\tdate\tfrom\tsubject"

    before = commit_count(root)
    done = run(
        "-w", root, "mail", "assign", "stranger@gmail.com", "Globex", "--add-contact", "--name",
        "Sam Stranger",
    )  # fmt: skip
    assert done.code == 0, done.err
    assert done.out.strip() == service.activity_id("stranger@gmail.com", "globex")
    assert "added contact Sam Stranger" in done.err
    assert commit_count(root) == before + 1
    assert "sam stranger" in (root / "clients" / "globex.yaml").read_text().lower()
    assert git(root, "status", "--porcelain") == ""

    left = json.loads(run("-w", root, "mail", "unmatched", "--json").out)
    assert [u["message_id"] for u in left] == ["lunch@ourco.example"]


def test_assign_without_a_terminal_adds_no_contact(root: Path, tmp_path: Path) -> None:
    run("-w", root, "mail", "import", write_mbox(tmp_path / "m.mbox", corpus()))
    done = run("-w", root, "mail", "assign", "stranger", "globex")
    assert done.code == 0, done.err
    assert "stranger" not in (root / "clients" / "globex.yaml").read_text()


def test_assign_errors_are_one_line(root: Path, tmp_path: Path) -> None:
    run("-w", root, "mail", "import", write_mbox(tmp_path / "m.mbox", corpus()))
    head = git(root, "rev-parse", "HEAD")
    for args, error in [
        (("nope", "globex"), "no unmatched message 'nope'"),
        (("stranger", "no-such-client"), "no-such-client"),
    ]:
        result = run("-w", root, "mail", "assign", *args)
        assert result.code == 2, result.err
        assert len(result.err.strip().splitlines()) == 1 and error in result.err
    assert git(root, "rev-parse", "HEAD") == head


def test_control_characters_in_a_subject_never_reach_the_terminal(
    root: Path, tmp_path: Path
) -> None:
    raw = bytes(
        message(
            sender="jo@acme.example",
            to="ann@ourco.example",
            subject="x",
            date=at(2),
            msgid="<esc@acme.example>",
        )
    ).replace(b"Subject: x", b"Subject: \x1b]0;pwned\x07 hi")
    eml = tmp_path / "esc.eml"
    eml.write_bytes(raw)
    result = run("-w", root, "mail", "import", eml)
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\x07" not in result.out
    [path] = (root / "activities").rglob("*.yaml")
    assert "\x1b" not in path.read_text(encoding="utf-8")
