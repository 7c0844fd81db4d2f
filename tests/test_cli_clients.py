"""``tcrm client ...`` on a real copy of the sample workspace, in a real git repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tcrm.store.yamlio import load_fast
from tests.clitools import (
    assert_refused,
    commit_count,
    git,
    run,
    snapshot,
    status_clean,
)

# --- helpers ---------------------------------------------------------------------------


def load(root: Path, rel: str) -> dict[str, Any]:
    data = load_fast((root / rel).read_text(encoding="utf-8"))  # the workspace's dialect
    assert isinstance(data, dict)
    return data


def last_message(root: Path) -> str:
    return git(root, "log", "-1", "--format=%s").strip()


def changed_files(root: Path) -> list[str]:
    """Files the last commit touched."""
    return sorted(git(root, "show", "--name-only", "--format=", "HEAD").split())


def committed(root: Path, files: dict[str, str], message: str = "test: setup") -> None:
    """Write records by hand and commit them with the git CLI (test set-up, not tcrm)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def client_list(*args: str) -> list[dict[str, Any]]:
    result = run("client", "list", "--json", *args)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert isinstance(data, list)
    return data


def add(root: Path, name: str, *options: str) -> str:
    before = commit_count(root)
    result = run("client", "add", name, *options)
    assert result.code == 0, result.err
    client_id = result.out.strip()
    assert commit_count(root) == before + 1
    assert last_message(root) == f"client {client_id}: add"
    assert status_clean(root)
    return client_id


def refused(root: Path, *args: str, stdin: str | None = None) -> str:
    """Run a command that must change nothing; returns its one error line."""
    before, commits = snapshot(root), commit_count(root)
    result = run(*args, stdin=stdin)
    assert_refused(root, result, before, commits)
    return result.err.strip()


CARD_RECORDS = {
    "deals/card-site.yaml": """\
title: Card Co website
client: card-co
pipeline: sales
stage: proposal
amount: '12000'
currency: EUR
created: 2026-09-01T10:00+02:00
stage_history:
- at: 2026-09-01T10:00+02:00
  stage: proposal
""",
    "deals/card-shop.yaml": """\
title: Card Co shop
client: card-co
pipeline: sales
stage: negotiation
status: won
amount: '30000'
currency: EUR
close_date: 2026-10-15
closed: 2026-10-15
created: 2026-08-01T10:00+02:00
""",
    "tasks/tcard0001.yaml": """\
title: Send the proposal
due: 2026-11-25
clients:
- card-co
""",
    "tasks/tcard0002.yaml": """\
title: Review the shop
due: 2026-11-20
deals:
- card-site
""",
    "tasks/tcard0003.yaml": """\
title: Old kickoff
status: done
due: 2026-08-02
clients:
- card-co
""",
    "tasks/tcard0004.yaml": """\
title: Joint workshop with Card Co and Other Co
due: 2026-12-01
clients:
- card-co
- other-co
""",
}


def _activity(n: int, day: int, links: str) -> tuple[str, str]:
    return (
        f"activities/2026/acard{n:03d}.yaml",
        f"kind: call\nat: 2026-10-{day:02d}T10:00+02:00\nsummary: Call number {n}\n{links}",
    )


def card_workspace(root: Path) -> None:
    """Card Co (cadence 30 days) with 2 deals, 4 tasks and 12 activities; and Other Co."""
    add(root, "Card Co", "--email", "hello@cardco.example", "--cadence", "30", "--tag", "vip")
    add(root, "Other Co", "--email", "hi@otherco.example")
    records = dict(CARD_RECORDS)
    for n in range(1, 12):  # Oct 1..11, naming the client
        rel, text = _activity(n, n, "clients:\n- card-co\n")
        records[rel] = text
    rel, text = _activity(12, 12, "deals:\n- card-site\n")  # only through its deal
    records[rel] = text
    rel, text = _activity(13, 13, "clients:\n- other-co\n")  # someone else's
    records[rel] = text
    committed(root, records)


# --- add -------------------------------------------------------------------------------


def test_add_writes_every_option_and_prints_the_id(sample_ws: Path) -> None:
    before = commit_count(sample_ws)
    result = run(
        "client", "add", "Zeta Labs GmbH",
        "--email", "info@zeta-labs.example", "--email", "sales@zeta-labs.example",
        "--phone", "+49 30 1234 5678",
        "--website", "https://zeta-labs.example",
        "--tag", "startup", "--tag", "vip",
        "--source", "linkedin", "--owner", "ben", "--status", "lead", "--region", "DACH",
        "--cadence", "21",
        "--contact", "Jane Doe <jane@zeta-labs.example>",
        "--contact", "Müller, Hans <hans@zeta-labs.example>",
        "--contact", "Bob Plain",
        "--note", "Met at the Berlin meetup.",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == "zeta-labs-gmbh\n"
    assert "Added client zeta-labs-gmbh" in result.err
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == "client zeta-labs-gmbh: add"
    assert changed_files(sample_ws) == ["clients/zeta-labs-gmbh.yaml"]
    assert status_clean(sample_ws)
    data = load(sample_ws, "clients/zeta-labs-gmbh.yaml")
    assert data["name"] == "Zeta Labs GmbH"
    assert data["type"] == "company"
    assert data["emails"] == ["info@zeta-labs.example", "sales@zeta-labs.example"]
    assert data["phones"] == ["+49 30 1234 5678"]
    assert data["website"] == "https://zeta-labs.example"
    assert data["tags"] == ["startup", "vip"]
    assert (data["source"], data["owner"], data["status"], data["region"]) == (
        "linkedin",
        "ben",
        "lead",
        "DACH",
    )
    assert data["cadence_days"] == "21"  # the YAML dialect keeps numbers as text
    assert data["contacts"] == [
        {"name": "Jane Doe", "emails": ["jane@zeta-labs.example"]},
        {"name": "Müller, Hans", "emails": ["hans@zeta-labs.example"]},
        {"name": "Bob Plain"},
    ]
    assert data["created"] == "2026-11-23T09:00+01:00"
    assert data["notes"] == "Met at the Berlin meetup."


def test_add_a_person_with_a_minimal_command(sample_ws: Path) -> None:
    client_id = add(sample_ws, "Ada Lovelace", "--type", "person")
    assert client_id == "ada-lovelace"
    assert load(sample_ws, "clients/ada-lovelace.yaml") == {
        "name": "Ada Lovelace",
        "type": "person",
        "created": "2026-11-23T09:00+01:00",
    }


def test_add_refuses_the_same_name_unless_forced(sample_ws: Path) -> None:
    add(sample_ws, "Quokka Works GmbH")
    error = refused(sample_ws, "client", "add", "QUOKKA WORKS")
    assert "'quokka-works-gmbh' (Quokka Works GmbH) has the same name" in error
    assert "--force" in error
    forced = add(sample_ws, "QUOKKA WORKS", "--force")
    assert forced == "quokka-works"


def test_add_refuses_the_same_email_domain_or_address(sample_ws: Path) -> None:
    add(sample_ws, "Quokka Works", "--email", "info@quokka.example")
    error = refused(sample_ws, "client", "add", "QW Holding", "--contact", "Al <al@quokka.example>")
    assert "'quokka-works'" in error
    assert "the same domain quokka.example" in error
    add(sample_ws, "Private Person", "--type", "person", "--email", "pp@gmail.com")
    error = refused(sample_ws, "client", "add", "P. Person", "--email", "PP@gmail.com")
    assert "'private-person'" in error
    assert "the same email pp@gmail.com" in error
    # A shared free-mail domain alone is not a duplicate.
    add(sample_ws, "Another Person", "--type", "person", "--email", "other@gmail.com")


def test_add_refuses_the_domain_of_a_website(sample_ws: Path) -> None:
    add(sample_ws, "Quokka Works", "--website", "https://www.quokka.example/about")
    error = refused(sample_ws, "client", "add", "Quokka Two", "--email", "x@quokka.example")
    assert "'quokka-works'" in error


def test_add_refuses_a_duplicate_of_a_sample_client(sample_ws: Path) -> None:
    existing = client_list()[0]
    error = refused(sample_ws, "client", "add", existing["name"].upper())
    assert f"client {existing['id']!r}" in error


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--tag", "gold"], "tags[0]: 'gold' is not one of the tags"),
        (["--source", "tv"], "source: 'tv' is not one of the sources"),
        (["--status", "hot"], "status: 'hot' is not one of the client statuses"),
        (["--region", "Mars"], "region: 'Mars' is not one of the regions"),
        (["--owner", "zed"], "owner: 'zed' is not a team member"),
        (["--email", "not-an-email"], "emails[0]: 'not-an-email' is not an email address"),
        (["--phone", "call me"], "phones[0]: 'call me' is not a phone number"),
        (["--type", "robot"], "type: 'robot' is not allowed"),
        (["--cadence", "0"], "cadence_days"),
        (["--cadence", "abc"], "cadence_days: 'abc' is not a whole number"),
        (["--contact", "Jane <not-an-email>"], "contacts[0].emails[0]"),
        (["--contact", "jane@x.example"], "has no name"),
        (["--contact", "  "], "--contact is empty"),
    ],
)
def test_add_refuses_bad_input(sample_ws: Path, options: list[str], expected: str) -> None:
    error = refused(sample_ws, "client", "add", "Fresh Name Ltd", *options)
    assert expected in error


def test_add_refuses_an_empty_name(sample_ws: Path) -> None:
    assert "name" in refused(sample_ws, "client", "add", "  ")


# --- list ------------------------------------------------------------------------------


def test_list_json_has_every_client_with_derived_facts(sample_ws: Path) -> None:
    card_workspace(sample_ws)
    rows = client_list()
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids)
    assert len(ids) == len(list((sample_ws / "clients").glob("*.yaml")))
    card = next(row for row in rows if row["id"] == "card-co")
    assert card["name"] == "Card Co"
    assert card["emails"] == ["hello@cardco.example"]
    assert card["open_deals"] == 1  # the won deal is closed
    assert card["last_contact"] == "2026-10-11T10:00+02:00"
    assert card["contact_due"] is True  # 43 days > 30
    other = next(row for row in rows if row["id"] == "other-co")
    assert (other["open_deals"], other["contact_due"]) == (0, False)
    assert all(isinstance(row["open_deals"], int) for row in rows)


def test_list_options_narrow_the_list(sample_ws: Path) -> None:
    everyone = client_list()
    for option, key in (("--tag", "tags"), ("--owner", "owner"), ("--source", "source")):
        value = next(row[key] for row in everyone if row.get(key))
        value = value[0] if isinstance(value, list) else value
        rows = client_list(option, value)
        assert rows
        expected = [
            r["id"]
            for r in everyone
            if (value in r.get(key, []) if key == "tags" else r.get(key) == value)
        ]
        assert [r["id"] for r in rows] == expected
    status = next(row["status"] for row in everyone if row.get("status"))
    assert {r.get("status") for r in client_list("--status", status)} == {status}


def test_list_search_and_filter_terms(sample_ws: Path) -> None:
    add(sample_ws, "Searchable Sprockets", "--contact", "Wilhelmina Zork <wz@sprockets.example>")
    assert [r["id"] for r in client_list("--search", "wilhelmina zork")] == ["searchable-sprockets"]
    assert [r["id"] for r in client_list("name:searchable sprockets")] == ["searchable-sprockets"]
    assert [r["id"] for r in client_list("--search", "SPROCKETS", "no:tags")] == [
        "searchable-sprockets"
    ]
    vip = client_list("tag:vip")
    assert vip
    assert all("vip" in r["tags"] for r in vip)
    assert client_list("--search", "no such text anywhere 123") == []


def test_list_table_when_piped(sample_ws: Path) -> None:
    card_workspace(sample_ws)
    result = run("client", "list")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "id\tname\tstatus\towner\ttags\topen deals\tlast contact\tnps"
    card = next(line.split("\t") for line in lines if line.startswith("card-co\t"))
    assert card == ["card-co", "Card Co", "", "", "vip", "1", "2026-10-11 (due)", ""]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--tag", "gold"], "--tag 'gold' is not one of the tags"),
        (["--source", "tv"], "--source 'tv' is not one of the sources"),
        (["--status", "hot"], "--status 'hot' is not one of the client statuses"),
        (["--owner", "zed"], "--owner 'zed' is not one of the team members"),
        (["colour:red"], "client has no field 'colour'"),
        (["cadence_days.gt:abc"], "'abc' is not a number"),
    ],
)
def test_list_refuses_bad_options(sample_ws: Path, args: list[str], expected: str) -> None:
    assert expected in refused(sample_ws, "client", "list", *args)


# --- show ------------------------------------------------------------------------------


def test_show_json_is_the_client_card(sample_ws: Path) -> None:
    card_workspace(sample_ws)
    result = run("client", "show", "card", "--json")  # a unique id prefix
    assert result.code == 0, result.err
    card = json.loads(result.out)
    assert set(card) >= {
        "client",
        "contacts",
        "deals",
        "tasks",
        "activities",
        "last_contact",
        "contact_due",
    }
    assert card["client"]["id"] == "card-co"
    assert card["client"]["cadence_days"] == 30
    assert card["contacts"] == []
    assert [d["id"] for d in card["deals"]["open"]] == ["card-site"]
    assert card["deals"]["open"][0]["amount"] == "12000"
    assert card["deals"]["open"][0]["stage"] == "proposal"
    closed = card["deals"]["closed"]
    assert [(d["id"], d["status"], d["amount"]) for d in closed] == [("card-shop", "won", "30000")]
    # Open tasks naming the client or one of its deals, earliest due first.
    assert [t["id"] for t in card["tasks"]] == ["tcard0002", "tcard0001", "tcard0004"]
    # The latest 10 activities, newest first, including one linked only through a deal.
    assert [a["id"] for a in card["activities"]] == [f"acard{n:03d}" for n in range(12, 2, -1)]
    assert card["activities"][0]["summary"] == "Call number 12"
    assert card["last_contact"] == "2026-10-11T10:00+02:00"
    assert card["days_since_contact"] == 43
    assert card["contact_due"] is True


def test_show_a_client_in_touch_is_not_due(sample_ws: Path) -> None:
    add(sample_ws, "Fresh Co", "--cadence", "30")
    card = json.loads(run("client", "show", "Fresh Co", "--json").out)  # by exact name
    assert card["client"]["id"] == "fresh-co"
    assert card["last_contact"] is None
    assert card["contact_due"] is False  # created today
    assert card["deals"] == {"open": [], "closed": []}
    assert (card["tasks"], card["activities"]) == ([], [])


def test_show_by_contact_email_and_human_output(sample_ws: Path) -> None:
    card_workspace(sample_ws)
    run("client", "edit", "card-co", "--add-contact", "Jo Card <jo@cardco.example>")
    result = run("client", "show", "jo@cardco.example")
    assert result.code == 0, result.err
    text = result.out
    assert text.startswith("Card Co (card-co)\n")
    for expected in (
        "Emails:       hello@cardco.example",
        "Cadence:      every 30 days",
        "Last contact: 2026-10-11 (43 days ago) - due",
        "Contacts",
        "Jo Card",
        "Open deals",
        "card-site\tCard Co website\tproposal\topen\t12,000 EUR",
        "Closed deals",
        "card-shop\tCard Co shop\tnegotiation\twon\t30,000 EUR\t2026-10-15",
        "Open tasks",
        "tcard0002\t2026-11-20\tReview the shop",
        "Latest activities",
        "2026-10-12 10:00\tcall\tCall number 12",
    ):
        assert expected in text, expected
    assert "Old kickoff" not in text


def test_show_sample_clients_json_parses(sample_ws: Path) -> None:
    for row in client_list()[:5]:
        result = run("client", "show", row["id"], "--json")
        assert result.code == 0, result.err
        card = json.loads(result.out)
        assert card["client"]["id"] == row["id"]
        assert len(card["deals"]["open"]) == row["open_deals"]
        assert card["last_contact"] == row["last_contact"]
        assert card["contact_due"] == row["contact_due"]
        assert len(card["activities"]) <= 10


def test_show_refuses_unknown_and_ambiguous_references(sample_ws: Path) -> None:
    assert "no client matches 'nobody-here'" in refused(sample_ws, "client", "show", "nobody-here")
    add(sample_ws, "Prefix One")
    add(sample_ws, "Prefix Two")
    error = refused(sample_ws, "client", "show", "prefix")
    assert "'prefix' matches 2 clients (prefix-one, prefix-two)" in error


# --- edit ------------------------------------------------------------------------------


def test_edit_set_commits_once_and_keeps_a_hand_written_comment(sample_ws: Path) -> None:
    client_id = add(sample_ws, "Comment Co", "--status", "lead")
    path = sample_ws / "clients" / f"{client_id}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("status: lead\n", "# met at the fair, call after lunch\nstatus: lead\n")
    committed(sample_ws, {f"clients/{client_id}.yaml": text + "favourite_colour: teal\n"})
    before = commit_count(sample_ws)
    result = run(
        "client", "edit", client_id,
        "--set", "status=active", "--set", "tags+=vip,smb", "--set", "website=https://c.example",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "Saved client comment-co" in result.err
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == "client comment-co: set status, tags, website"
    assert status_clean(sample_ws)
    text = path.read_text(encoding="utf-8")
    assert "# met at the fair, call after lunch\nstatus: active\n" in text
    assert "favourite_colour: teal" in text
    data = load(sample_ws, f"clients/{client_id}.yaml")
    assert data["tags"] == ["vip", "smb"]
    assert data["website"] == "https://c.example"


def test_edit_set_unset_and_no_op(sample_ws: Path) -> None:
    client_id = add(sample_ws, "Unset Co", "--status", "lead", "--tag", "vip", "--tag", "smb")
    run("client", "edit", client_id, "--set", "status=", "--set", "tags-=vip")
    assert last_message(sample_ws) == "client unset-co: set status, tags"
    data = load(sample_ws, "clients/unset-co.yaml")
    assert "status" not in data
    assert data["tags"] == ["smb"]
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("client", "edit", client_id, "--set", "tags=smb")
    assert result.code == 0
    assert "No changes." in result.err
    assert (snapshot(sample_ws), commit_count(sample_ws)) == (before, commits)


def test_edit_add_contact(sample_ws: Path) -> None:
    client_id = add(sample_ws, "Contact Co", "--contact", "Jane Doe <jane@contact.example>")
    result = run(
        "client", "edit", client_id,
        "--add-contact", "Max Mustermann <max@contact.example>", "--set", "status=active",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert last_message(sample_ws) == "client contact-co: set status; add contact Max Mustermann"
    assert status_clean(sample_ws)
    data = load(sample_ws, "clients/contact-co.yaml")
    assert data["status"] == "active"
    assert data["contacts"][1] == {"name": "Max Mustermann", "emails": ["max@contact.example"]}
    error = refused(sample_ws, "client", "edit", client_id, "--add-contact", "JANE DOE")
    assert "already has contact 'Jane Doe'" in error
    error = refused(
        sample_ws, "client", "edit", client_id, "--add-contact", "J. <JANE@contact.example>"
    )
    assert "already has contact 'Jane Doe'" in error


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("colour=red", "client has no field 'colour'"),
        ("status=hot", "status: 'hot' is not one of the client statuses"),
        ("tags+=gold", "tags[1]: 'gold' is not one of the tags"),
        ("source=tv", "source: 'tv' is not one of the sources"),
        ("emails+=bad-address", "emails[0]: 'bad-address' is not an email address"),
        ("contacts=Jane", "contacts cannot be set directly"),
        ("id=other", "an id never changes"),
        ("status", "is not an assignment"),
        ("name+=x", "name is not a list"),
        ("type=robot", "'robot' is not allowed"),
    ],
)
def test_edit_refuses_bad_assignments(sample_ws: Path, assignment: str, expected: str) -> None:
    client_id = add(sample_ws, "Strict Co", "--tag", "vip")
    assert expected in refused(sample_ws, "client", "edit", client_id, "--set", assignment)


def test_edit_refuses_bad_contacts_and_unknown_clients(sample_ws: Path) -> None:
    client_id = add(sample_ws, "Strict Co")
    error = refused(sample_ws, "client", "edit", client_id, "--add-contact", "Al <nope>")
    assert "contacts[0].emails[0]: 'nope' is not an email address" in error
    error = refused(sample_ws, "client", "edit", "nobody-here", "--set", "status=active")
    assert "no client matches 'nobody-here'" in error
    error = refused(sample_ws, "client", "edit", "nobody-here", "--add-contact", "Al")
    assert "no client matches 'nobody-here'" in error


# --- edit in $EDITOR ---------------------------------------------------------------------


def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """Make $EDITOR a Python script: ``text`` is the file's content, ``calls`` counts runs."""
    log = tmp_path / "editor-log"
    log.mkdir()
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, sys\n"
        f"log = pathlib.Path({str(log)!r})\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "calls = len(list(log.iterdir())) + 1\n"
        "text = path.read_text(encoding='utf-8')\n"
        "(log / f'{calls}.yaml').write_text(text, encoding='utf-8')\n" + body,
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    return log


def test_edit_in_editor_saves_a_valid_edit(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = add(sample_ws, "Editor Co", "--status", "lead")
    log = editor(
        tmp_path,
        monkeypatch,
        "path.write_text(text.replace('status: lead', 'status: active') + "
        "'# keep me\\n', encoding='utf-8')\n",
    )
    before = commit_count(sample_ws)
    result = run("client", "edit", client_id)
    assert result.code == 0, result.err
    assert "Saved client editor-co" in result.err
    assert len(list(log.iterdir())) == 1
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == "client editor-co: edit"
    assert status_clean(sample_ws)
    text = (sample_ws / "clients/editor-co.yaml").read_text(encoding="utf-8")
    assert "status: active\n" in text
    assert text.endswith("# keep me\n")


def test_edit_in_editor_reopens_an_invalid_save_with_the_error(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = add(sample_ws, "Editor Co", "--status", "lead")
    log = editor(
        tmp_path,
        monkeypatch,
        "new = 'status: hot' if calls == 1 else 'status: dormant'\n"
        "text = text.replace('status: lead', new).replace('status: hot', new)\n"
        "path.write_text(text, encoding='utf-8')\n",
    )
    before = commit_count(sample_ws)
    result = run("client", "edit", client_id)
    assert result.code == 0, result.err
    seen = sorted(log.iterdir())
    assert [p.name for p in seen] == ["1.yaml", "2.yaml"]
    first, second = (p.read_text(encoding="utf-8") for p in seen)
    assert not first.startswith("# tcrm:")
    assert second.startswith("# tcrm: the file was not saved")
    assert "'hot' is not one of the client statuses" in second
    assert "status: hot" in second  # the person's text is kept, below the header
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == "client editor-co: edit"
    assert status_clean(sample_ws)
    text = (sample_ws / "clients/editor-co.yaml").read_text(encoding="utf-8")
    assert "status: dormant\n" in text
    assert "# tcrm:" not in text


def test_edit_in_editor_unchanged_makes_no_commit(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = add(sample_ws, "Editor Co")
    log = editor(tmp_path, monkeypatch, "")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("client", "edit", client_id)
    assert result.code == 0, result.err
    assert "No changes." in result.err
    assert len(list(log.iterdir())) == 1
    assert (snapshot(sample_ws), commit_count(sample_ws)) == (before, commits)


def test_edit_in_editor_refuses_when_the_file_changed_meanwhile(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = add(sample_ws, "Editor Co", "--status", "lead")
    real = sample_ws / "clients" / f"{client_id}.yaml"
    editor(
        tmp_path,
        monkeypatch,
        f"real = pathlib.Path({str(real)!r})\n"
        "real.write_text(real.read_text(encoding='utf-8') + 'region: DACH\\n', encoding='utf-8')\n"
        "path.write_text(text.replace('status: lead', 'status: active'), encoding='utf-8')\n",
    )
    commits = commit_count(sample_ws)
    result = run("client", "edit", client_id)
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tcrm: error: clients/editor-co.yaml changed while you edited it")
    assert commit_count(sample_ws) == commits
    text = real.read_text(encoding="utf-8")
    assert "status: lead\n" in text  # the edit was not saved over the sync's change
    assert text.endswith("region: DACH\n")
    assert git(sample_ws, "status", "--porcelain").strip() == "M clients/editor-co.yaml"


def test_edit_in_editor_unknown_client(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = editor(tmp_path, monkeypatch, "")
    assert "no client matches" in refused(sample_ws, "client", "edit", "nobody-here")
    assert list(log.iterdir()) == []


# --- rm --------------------------------------------------------------------------------


def test_rm_refuses_while_records_point_at_the_client(sample_ws: Path) -> None:
    card_workspace(sample_ws)
    error = refused(sample_ws, "client", "rm", "card-co", "--yes")
    assert "client 'card-co' is still referenced by 2 deals, 4 tasks and 12 activities" in error
    assert "--cascade" in error
    assert "tcrm client merge OTHER card-co" in error


def test_rm_an_unreferenced_client(sample_ws: Path) -> None:
    client_id = add(sample_ws, "Lonely Co")
    before = commit_count(sample_ws)
    result = run("client", "rm", client_id, "--yes")
    assert result.code == 0, result.err
    assert "Done: delete client lonely-co." in result.err
    assert not (sample_ws / "clients/lonely-co.yaml").exists()
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == "client lonely-co: remove"
    assert status_clean(sample_ws)


def test_rm_cascade(sample_ws: Path) -> None:
    card_workspace(sample_ws)
    before = commit_count(sample_ws)
    result = run("client", "rm", "card-co", "--cascade", "--yes")
    assert result.code == 0, result.err
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == (
        "client card-co: remove with 2 deals and 3 tasks; unlink 1 task and 12 activities"
    )
    assert status_clean(sample_ws)
    assert not (sample_ws / "clients/card-co.yaml").exists()
    for gone in ("deals/card-site", "deals/card-shop", "tasks/tcard0001", "tasks/tcard0002"):
        assert not (sample_ws / f"{gone}.yaml").exists(), gone
    assert not (sample_ws / "tasks/tcard0003.yaml").exists()
    # A task also about someone else stays, for them.
    assert load(sample_ws, "tasks/tcard0004.yaml")["clients"] == ["other-co"]
    # Activities are history: kept, unlinked.
    first = load(sample_ws, "activities/2026/acard001.yaml")
    assert first["summary"] == "Call number 1"
    assert "clients" not in first
    assert "deals" not in load(sample_ws, "activities/2026/acard012.yaml")
    assert load(sample_ws, "activities/2026/acard013.yaml")["clients"] == ["other-co"]
    assert run("check").code == 0


def test_rm_asks_first(sample_ws: Path) -> None:
    client_id = add(sample_ws, "Lonely Co")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("client", "rm", client_id, stdin="n\n")
    assert result.code == 1
    assert "Delete client lonely-co? [y/N]" in result.err
    assert "Nothing deleted." in result.err
    assert (snapshot(sample_ws), commit_count(sample_ws)) == (before, commits)
    result = run("client", "rm", client_id, stdin="")  # no answer at all: refused
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == (
        "tcrm: error: no answer to the question; nothing was deleted (pass --yes to confirm)"
    )
    assert (snapshot(sample_ws), commit_count(sample_ws)) == (before, commits)
    result = run("client", "rm", client_id, stdin="y\n")
    assert result.code == 0, result.err
    assert last_message(sample_ws) == "client lonely-co: remove"
    assert status_clean(sample_ws)


def test_rm_cascade_asks_with_the_whole_plan(sample_ws: Path) -> None:
    card_workspace(sample_ws)
    commits = commit_count(sample_ws)
    result = run("client", "rm", "card-co", "--cascade", stdin="no\n")
    assert result.code == 1
    assert (
        "Delete client card-co, 2 deals and 3 tasks; unlink 1 task and 12 activities? [y/N]"
        in result.err
    )
    assert commit_count(sample_ws) == commits
    assert (sample_ws / "clients/card-co.yaml").exists()


def test_rm_unknown_client(sample_ws: Path) -> None:
    assert "no client matches" in refused(sample_ws, "client", "rm", "nobody-here", "--yes")


def test_rm_refuses_when_a_record_file_is_broken(sample_ws: Path) -> None:
    client_id = add(sample_ws, "Lonely Co")
    committed(sample_ws, {"tasks/tbroken1.yaml": "title: [unclosed\n"})
    error = refused(sample_ws, "client", "rm", client_id, "--yes")
    assert "tasks/tbroken1.yaml" in error


# --- merge -----------------------------------------------------------------------------


def test_merge_moves_everything_in_one_commit(sample_ws: Path) -> None:
    card_workspace(sample_ws)
    add(
        sample_ws, "Keeper Inc",
        "--email", "office@keeper.example", "--tag", "vip", "--status", "active",
        "--contact", "Jane Doe <jane@keeper.example>", "--contact", "Sam Smith",
    )  # fmt: skip
    dup = sample_ws / "clients/card-co.yaml"
    text = dup.read_text(encoding="utf-8")
    committed(
        sample_ws,
        {
            "clients/card-co.yaml": text.replace("created: 2026-11-23T09:00+01:00", "")
            + "created: 2025-01-01T09:00+01:00\n"
            "status: lead\nsource: event\nphones:\n- +49 30 111\n"
            "contacts:\n- name: JANE DOE\n  role: CEO\n  emails:\n  - jane@cardco.example\n"
            "- name: Ola New\nnotes: Prefers email.\n",
        },
    )
    before = commit_count(sample_ws)
    result = run("client", "merge", "Keeper Inc", "card")
    assert result.code == 0, result.err
    assert "Merged card-co into keeper-inc" in result.err
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == "client keeper-inc: merge card-co into keeper-inc"
    assert status_clean(sample_ws)
    assert not dup.exists()
    kept = load(sample_ws, "clients/keeper-inc.yaml")
    assert kept["status"] == "active"  # KEEP wins
    assert kept["source"] == "event"  # filled from the duplicate
    assert kept["cadence_days"] == "30"
    assert kept["emails"] == ["office@keeper.example", "hello@cardco.example"]
    assert kept["phones"] == ["+49 30 111"]
    assert kept["tags"] == ["vip"]
    assert kept["created"] == "2025-01-01T09:00+01:00"
    assert kept["notes"] == "Prefers email."
    assert kept["contacts"] == [
        {
            "name": "Jane Doe",
            "role": "CEO",
            "emails": ["jane@keeper.example", "jane@cardco.example"],
        },
        {"name": "Sam Smith"},
        {"name": "Ola New"},
    ]
    assert {load(sample_ws, f"deals/{d}.yaml")["client"] for d in ("card-site", "card-shop")} == {
        "keeper-inc"
    }
    assert load(sample_ws, "tasks/tcard0004.yaml")["clients"] == ["keeper-inc", "other-co"]
    assert load(sample_ws, "tasks/tcard0002.yaml")["deals"] == ["card-site"]
    assert load(sample_ws, "activities/2026/acard001.yaml")["clients"] == ["keeper-inc"]
    assert load(sample_ws, "activities/2026/acard013.yaml")["clients"] == ["other-co"]
    card = json.loads(run("client", "show", "keeper-inc", "--json").out)
    assert [d["id"] for d in card["deals"]["open"]] == ["card-site"]
    assert len(card["activities"]) == 10
    assert run("check").code == 0


def test_merge_a_task_naming_both_clients_names_the_survivor_once(sample_ws: Path) -> None:
    card_workspace(sample_ws)
    run("client", "merge", "other-co", "card-co")
    assert load(sample_ws, "tasks/tcard0004.yaml")["clients"] == ["other-co"]
    assert status_clean(sample_ws)


def test_merge_refuses_itself_and_unknown_clients(sample_ws: Path) -> None:
    client_id = add(sample_ws, "Solo Co")
    error = refused(sample_ws, "client", "merge", client_id, "Solo Co")
    assert "cannot merge client 'solo-co' into itself" in error
    assert "no client matches 'nobody-here'" in refused(
        sample_ws, "client", "merge", client_id, "nobody-here"
    )
    assert "no client matches 'nobody-here'" in refused(
        sample_ws, "client", "merge", "nobody-here", client_id
    )


def test_client_help_lists_every_command(sample_ws: Path) -> None:
    result = run("client", "--help")
    assert result.code == 0
    for command in ("add", "list", "show", "edit", "rm", "merge"):
        assert command in result.out
