"""``tcrm log`` and ``tcrm activity ...`` on a copy of the sample workspace."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tcrm.model.insights import clients_to_contact
from tcrm.model.records import Activity, Client
from tcrm.services.records import all_records
from tcrm.store.workspace import Workspace
from tcrm.store.yamlio import load_fast
from tests.clitools import (
    NOW,
    assert_refused,
    commit_count,
    git,
    run,
    snapshot,
    status_clean,
)

DEAL = "acme-logistics-website-relaunch"


def last_message(root: Path) -> str:
    return git(root, "log", "-1", "--format=%s").strip()


def changed_files(root: Path) -> list[str]:
    return sorted(git(root, "show", "--name-only", "--format=", "HEAD").split())


def read(path: Path) -> dict:
    """A record file as the workspace's YAML dialect reads it: every value is text."""
    return load_fast(path.read_text(encoding="utf-8"))


def activity_file(root: Path, activity_id: str, year: str = "2026") -> Path:
    return root / "activities" / year / f"{activity_id}.yaml"


def log(root: Path, *args: str) -> tuple[str, dict]:
    """Run a ``tcrm log`` that must succeed as one commit; the new id and its file."""
    before = commit_count(root)
    result = run("log", *args)
    assert result.code == 0, result.err
    activity_id = result.out.strip()
    assert commit_count(root) == before + 1
    assert status_clean(root)
    path = next(root.glob(f"activities/*/{activity_id}.yaml"))
    return activity_id, read(path)


# --- tcrm log ----------------------------------------------------------------------


def test_log_a_call_with_a_client(sample_ws: Path) -> None:
    activity_id, data = log(
        sample_ws, "cafe-lumiere", "Called about the menu page", "--outcome", "wants a quote"
    )
    assert last_message(sample_ws) == f"activity {activity_id}: call cafe-lumiere"
    assert changed_files(sample_ws) == [f"activities/2026/{activity_id}.yaml"]
    assert data == {
        "kind": "call",  # the first of lists.activity_kinds
        "at": "2026-11-23T09:00+01:00",
        "summary": "Called about the menu page",
        "clients": ["cafe-lumiere"],
        "outcome": "wants a quote",
    }


@pytest.mark.parametrize(
    ("summary", "kind", "stored"),
    [
        ("email: sent the deck", "email", "sent the deck"),
        ("Meeting:  walked through the plan", "meeting", "walked through the plan"),
        ("NOTE:prefers mornings", "note", "prefers mornings"),
        ("call: wants a proposal", "call", "wants a proposal"),
        # not a listed kind: the text is kept as written, with the default kind
        ("visit: saw the new office", "call", "visit: saw the new office"),
        ("Re: the proposal", "call", "Re: the proposal"),
        ("10:30 call with Jonas", "call", "10:30 call with Jonas"),
    ],
)
def test_a_leading_kind_in_the_summary_sets_the_kind(
    sample_ws: Path, summary: str, kind: str, stored: str
) -> None:
    activity_id, data = log(sample_ws, "cafe-lumiere", summary)
    assert (data["kind"], data["summary"]) == (kind, stored)
    assert last_message(sample_ws) == f"activity {activity_id}: {kind} cafe-lumiere"


def test_the_kind_prefix_agrees_with_kind(sample_ws: Path) -> None:
    _, data = log(sample_ws, "cafe-lumiere", "email: sent the deck", "--kind", "email")
    assert (data["kind"], data["summary"]) == ("email", "sent the deck")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("log", "cafe-lumiere", "email: sent the deck", "--kind", "call")
    assert_refused(sample_ws, result, before, commits)
    assert "--kind call contradicts the summary's 'email:'" in result.err
    result = run("log", "cafe-lumiere", "email:  ")
    assert_refused(sample_ws, result, before, commits)
    assert "nothing after 'email:'" in result.err


def test_log_restarts_the_keep_in_touch_clock(sample_ws: Path) -> None:
    def due() -> set[str]:
        ws = Workspace.open(sample_ws)
        clients = [c for c in all_records(ws, "client") if isinstance(c, Client)]
        activities = [a for a in all_records(ws, "activity") if isinstance(a, Activity)]
        return {d.client.id for d in clients_to_contact(clients, activities, now)}

    now = datetime.fromisoformat(NOW)
    assert {"cafe-lumiere", "maison-delacroix"} <= due()
    log(sample_ws, "Café Lumière", "Checked in with Élodie", "--kind", "email")
    assert "cafe-lumiere" not in due()
    assert "maison-delacroix" in due()


def test_log_a_contact_person_by_email_or_name(sample_ws: Path) -> None:
    _, data = log(sample_ws, "jana.kruger@acme-logistics.de", "Sent the sitemap", "-k", "email")
    assert data["clients"] == ["acme-logistics"]
    assert data["contacts"] == ["Jana Krüger"]
    assert data["kind"] == "email"
    _, data = log(sample_ws, "tobias wendt", "Hosting questions")
    assert data["clients"] == ["acme-logistics"]
    assert data["contacts"] == ["Tobias Wendt"]


def test_log_a_deal_links_its_client(sample_ws: Path) -> None:
    _, data = log(sample_ws, DEAL, "Kick-off meeting", "--kind", "meeting")
    assert data["deals"] == [DEAL]
    assert data["clients"] == ["acme-logistics"]
    _, data = log(sample_ws, "acme logistics website RELAUNCH", "Sent the invoice")
    assert data["deals"] == [DEAL]
    _, data = log(sample_ws, "acme-logistics-w", "Prefix of the deal id")
    assert data["deals"] == [DEAL]


def test_log_several_refs_without_repeats(sample_ws: Path) -> None:
    activity_id, data = log(
        sample_ws,
        "acme-logistics",
        DEAL,
        "Jana Krüger",
        "maison-delacroix",
        "Joint workshop",
        "--kind",
        "meeting",
        "--note",
        "Both teams\nwant a shared design system.",
    )
    assert data["clients"] == ["acme-logistics", "maison-delacroix"]
    assert data["deals"] == [DEAL]
    assert data["contacts"] == ["Jana Krüger"]
    assert data["notes"] == "Both teams\nwant a shared design system."
    assert last_message(sample_ws) == (
        f"activity {activity_id}: meeting acme-logistics, maison-delacroix"
    )


def test_an_exact_client_id_wins_over_deal_ids_it_starts(sample_ws: Path) -> None:
    _, data = log(sample_ws, "acme-logistics", "Exact id")
    assert data["clients"] == ["acme-logistics"]
    assert "deals" not in data


def test_the_start_of_a_client_and_its_own_deals_means_the_client(sample_ws: Path) -> None:
    _, data = log(sample_ws, "acme", "Prefix shared by the client and its deals")
    assert data["clients"] == ["acme-logistics"]
    assert "deals" not in data


def test_log_next_creates_the_follow_up_task_in_the_same_commit(sample_ws: Path) -> None:
    before = commit_count(sample_ws)
    result = run(
        "log",
        DEAL,
        "Call: wants a revised proposal",
        "--author",
        "ben",
        "--next",
        "Send the revised proposal",
        "--next-due",
        "fri",
        "--json",
    )
    assert result.code == 0, result.err
    created = json.loads(result.out)
    activity_id, task_id = created["activity"]["id"], created["task"]["id"]
    assert commit_count(sample_ws) == before + 1
    assert status_clean(sample_ws)
    assert last_message(sample_ws) == (
        f"activity {activity_id}: call acme-logistics + follow-up task {task_id}"
    )
    assert changed_files(sample_ws) == [
        f"activities/2026/{activity_id}.yaml",
        f"tasks/{task_id}.yaml",
    ]
    assert read(activity_file(sample_ws, activity_id))["author"] == "ben"
    task = read(sample_ws / "tasks" / f"{task_id}.yaml")
    assert task == {
        "title": "Send the revised proposal",
        "status": "open",
        "due": "2026-11-27",  # the Friday after Monday 2026-11-23
        "assignee": "ben",  # the author
        "clients": ["acme-logistics"],
        "deals": [DEAL],
        "created": "2026-11-23T09:00+01:00",
    }
    assert created["task"]["due"] == "2026-11-27"
    assert created["activity"]["summary"] == "wants a revised proposal"  # kind: call


def test_log_next_defaults_to_three_days_and_takes_an_assignee(sample_ws: Path) -> None:
    result = run(
        "log", "Jana Krüger", "Quick call", "--next", "Call back", "--next-assignee", "chloe"
    )
    assert result.code == 0, result.err
    tasks = [read(p) for p in sample_ws.glob("tasks/*.yaml") if read(p)["title"] == "Call back"]
    assert len(tasks) == 1
    assert commit_count(sample_ws) == len(git(sample_ws, "log", "--format=%s").splitlines())
    assert tasks[0]["due"] == "2026-11-26"
    assert tasks[0]["assignee"] == "chloe"
    assert tasks[0]["contacts"] == ["Jana Krüger"]


def test_the_author_defaults_to_the_member_with_my_git_email(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = log(sample_ws, "cafe-lumiere", "No member has ann@example.com")
    assert "author" not in data
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "Ann@Northwind.Studio")
    _, data = log(sample_ws, "cafe-lumiere", "Now I am Ann", "--next", "Follow up")
    assert data["author"] == "ann"
    task = next(read(p) for p in sample_ws.glob("tasks/*.yaml") if read(p)["title"] == "Follow up")
    assert task["assignee"] == "ann"


@pytest.mark.parametrize(
    ("at", "stored", "year"),
    [
        ("yesterday", "2026-11-22T12:00+01:00", "2026"),  # a day alone: its noon
        ("today", "2026-11-23T09:00+01:00", "2026"),  # today: now
        ("now", "2026-11-23T09:00+01:00", "2026"),
        ("2026-11-20 14:30", "2026-11-20T14:30+01:00", "2026"),
        ("-2h", "2026-11-23T07:00+01:00", "2026"),
        ("fri 16:00", None, None),  # the next Friday: in the future
        ("2025-12-30 10:00", "2025-12-30T10:00+01:00", "2025"),  # filed under its year
        ("2026-07-01 10:00", "2026-07-01T10:00+02:00", "2026"),  # summer time
    ],
)
def test_log_at(sample_ws: Path, at: str, stored: str | None, year: str | None) -> None:
    if stored is None:
        before, commits = snapshot(sample_ws), commit_count(sample_ws)
        assert_refused(sample_ws, run("log", "cafe-lumiere", "x", "--at", at), before, commits)
        return
    activity_id, data = log(sample_ws, "cafe-lumiere", "Met at the fair", "--at", at)
    assert data["at"] == stored
    assert activity_file(sample_ws, activity_id, year).is_file()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nobody-at-all", "x"], "no client, contact person or deal matches 'nobody-at-all'"),
        (["b", "x"], "'b' is the start of client backerei-schroder"),
        (["cafe-lumiere", "x", "--kind", "visit"], "--kind: 'visit' is not one of"),
        (["cafe-lumiere", "x", "--at", "next blursday"], "--at: 'next blursday' is not a date"),
        (["cafe-lumiere", "x", "--at", "tomorrow"], "is in the future"),
        (["cafe-lumiere", "x", "--at", "2026-02-30"], "--at"),
        (["cafe-lumiere", "x", "--next", "y", "--next-due", "next blursday"], "--next-due"),
        (["cafe-lumiere", "x", "--next-due", "+3d"], "--next-due needs --next"),
        (["cafe-lumiere", "x", "--next-assignee", "ben"], "--next-assignee needs --next"),
        (["cafe-lumiere"], "missing summary after 'cafe-lumiere'"),
        ([], "name a client, contact or deal, then a summary"),
        (["cafe-lumiere", "  "], "the summary (the last argument) is empty"),
        (["cafe-lumiere", "x", "--author", "zoe"], "'zoe' is not a team member"),
        (["cafe-lumiere", "x", "--next", "y", "--next-assignee", "zoe"], "'zoe' is not a team"),
        (["cafe-lumiere", "x", "--next", " "], "--next is empty"),
        (["", "x"], "empty reference"),
    ],
)
def test_log_refuses_bad_input(sample_ws: Path, args: list[str], words: str) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("log", *args)
    assert_refused(sample_ws, result, before, commits)
    assert words in result.err


@pytest.fixture
def deal_named_like_a_client(sample_ws: Path) -> Path:
    """A deal whose id and title are exactly those of the client Café Lumière."""
    (sample_ws / "deals" / "cafe-lumiere.yaml").write_text(
        "title: Café Lumière\nclient: cafe-lumiere\npipeline: sales\nstage: lead\n",
        encoding="utf-8",
    )
    git(sample_ws, "add", "-A")
    git(sample_ws, "commit", "-qm", "deal cafe-lumiere: add")
    return sample_ws


@pytest.mark.parametrize("ref", ["cafe-lumiere", "CAFÉ LUMIÈRE"])
def test_a_ref_naming_a_client_and_a_deal_equally_is_ambiguous(
    deal_named_like_a_client: Path, ref: str
) -> None:
    root = deal_named_like_a_client
    before, commits = snapshot(root), commit_count(root)
    result = run("log", ref, "x")
    assert_refused(root, result, before, commits)
    assert "client cafe-lumiere, deal cafe-lumiere; use an id to say which" in result.err


def test_a_contact_name_at_two_clients_is_ambiguous(sample_ws: Path) -> None:
    path = sample_ws / "clients" / "cafe-lumiere.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("- name: Élodie Rousseau", "- name: Jana Krüger"),
        encoding="utf-8",
    )
    git(sample_ws, "commit", "-qam", "client cafe-lumiere: edit")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("log", "Jana Krüger", "x")
    assert_refused(sample_ws, result, before, commits)
    assert "contact 'Jana Krüger' of client acme-logistics" in result.err
    assert "contact 'Jana Krüger' of client cafe-lumiere" in result.err


# --- tcrm activity list ----------------------------------------------------------------


def list_json(*args: str) -> list[dict]:
    result = run("activity", "list", "--json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_activity_list_is_newest_first(sample_ws: Path) -> None:
    items = list_json()
    assert len(items) == len(list(sample_ws.glob("activities/*/*.yaml")))
    moments = [moment(a["at"]) for a in items]
    assert moments == sorted(moments, reverse=True)
    assert {"id", "kind", "at", "summary"} <= set(items[0])
    activity_id, _ = log(sample_ws, "cafe-lumiere", "The newest one")
    assert list_json()[0]["id"] == activity_id
    assert [a["id"] for a in list_json("--limit", "1")] == [activity_id]


def test_activity_list_options(sample_ws: Path) -> None:
    for item in list_json("--client", "Acme Logistics"):
        assert "acme-logistics" in item["clients"]
    assert list_json("--deal", DEAL)
    assert all(DEAL in a["deals"] for a in list_json("--deal", DEAL))
    meetings = list_json("--kind", "meeting")
    assert meetings and {a["kind"] for a in meetings} == {"meeting"}
    by_ben = list_json("--author", "ben")
    assert by_ben and {a["author"] for a in by_ben} == {"ben"}
    week = list_json("--since", "2026-11-16", "--until", "2026-11-20")
    assert week
    for item in week:
        day = moment(item["at"]).astimezone(moment(NOW).tzinfo).date().isoformat()
        assert "2026-11-16" <= day <= "2026-11-20"
    assert list_json("--since", "-7d") == [
        a for a in list_json() if moment(a["at"]) >= moment("2026-11-16T00:00+01:00")
    ]


def test_activity_list_filters(sample_ws: Path) -> None:
    found = list_json("outcome.has:estimate", "author:ann")
    assert found
    assert all("estimate" in a["outcome"].lower() and a["author"] == "ann" for a in found)
    assert list_json("no:outcome") and all("outcome" not in a for a in list_json("no:outcome"))


def test_activity_list_piped_is_tab_separated(sample_ws: Path) -> None:
    result = run("activity", "list", "--client", "cafe-lumiere")
    lines = result.out.splitlines()
    assert lines[0] == "id\twhen\tkind\tauthor\tlinks\tsummary"
    assert len(lines) == 1 + len(list_json("--client", "cafe-lumiere"))
    assert all(len(line.split("\t")) == 6 for line in lines)


@pytest.mark.parametrize(
    "args",
    [
        ["--kind", "visit"],
        ["--author", "zoe"],
        ["--since", "next blursday"],
        ["--until", "2026-11-20 10:00"],
        ["--since", "2026-11-20", "--until", "2026-11-01"],
        ["--client", "nobody-at-all"],
        ["--deal", "nothing-like-it"],
        ["colour:red"],
        ["at.before:blursday"],
        ["--limit", "0"],
    ],
)
def test_activity_list_refuses_bad_input(sample_ws: Path, args: list[str]) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    assert_refused(sample_ws, run("activity", "list", *args), before, commits)


# --- show, edit, rm ------------------------------------------------------------------


def test_activity_show(sample_ws: Path) -> None:
    activity_id, _ = log(
        sample_ws, DEAL, "Jana Krüger", "Reviewed the designs", "--outcome", "approved"
    )
    result = run("activity", "show", activity_id[:5], "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["id"] == activity_id
    assert data["summary"] == "Reviewed the designs"
    assert data["deals"] == [DEAL]
    assert data["contacts"] == ["Jana Krüger"]
    text = run("activity", "show", activity_id).out
    assert f"call {activity_id}: Reviewed the designs" in text
    assert "When:     2026-11-23 09:00" in text
    assert "Outcome:  approved" in text


def test_activity_show_converts_to_the_workspace_zone(sample_ws: Path) -> None:
    path = next(p for p in sample_ws.glob("activities/2026/*.yaml") if "-05:00" in p.read_text())
    stored = moment(read(path)["at"])
    text = run("activity", "show", path.stem).out
    local = stored.astimezone(moment(NOW).tzinfo)
    assert f"When:     {local:%Y-%m-%d %H:%M}" in text


def test_activity_show_unknown(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("activity", "show", "azzzzzzz")
    assert_refused(sample_ws, result, before, commits)
    assert "no activity matches 'azzzzzzz'" in result.err


def test_activity_edit_set(sample_ws: Path) -> None:
    activity_id, _ = log(sample_ws, "cafe-lumiere", "Called")
    path = activity_file(sample_ws, activity_id)
    text = path.read_text(encoding="utf-8")
    path.write_text("# keep me\n" + text, encoding="utf-8")
    git(sample_ws, "commit", "-qam", "a comment")
    before = commit_count(sample_ws)
    result = run(
        "activity", "edit", activity_id, "--set", "outcome=sent a quote", "--set", "kind=email"
    )
    assert result.code == 0, result.err
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == f"activity {activity_id}: set kind, outcome"
    assert status_clean(sample_ws)
    assert path.read_text(encoding="utf-8").startswith("# keep me\n")
    data = read(path)
    assert data["outcome"] == "sent a quote"
    assert data["kind"] == "email"
    again = run("activity", "edit", activity_id, "--set", "kind=email")
    assert again.code == 0 and "No changes." in again.err
    assert commit_count(sample_ws) == before + 1


def test_activity_edit_moving_it_to_another_year_moves_the_file(sample_ws: Path) -> None:
    activity_id, _ = log(sample_ws, "cafe-lumiere", "Called")
    result = run("activity", "edit", activity_id, "--set", "at=2025-12-01T10:00+01:00")
    assert result.code == 0, result.err
    assert not activity_file(sample_ws, activity_id).exists()
    assert read(activity_file(sample_ws, activity_id, "2025"))["at"] == "2025-12-01T10:00+01:00"
    assert status_clean(sample_ws)


@pytest.mark.parametrize(
    "assignment", ["kind=visit", "author=zoe", "clients=nobody", "colour=red", "at=someday"]
)
def test_activity_edit_refuses_bad_values(sample_ws: Path, assignment: str) -> None:
    activity_id, _ = log(sample_ws, "cafe-lumiere", "Called")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("activity", "edit", activity_id, "--set", assignment)
    assert_refused(sample_ws, result, before, commits)


def test_activity_edit_in_the_editor(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    activity_id, _ = log(sample_ws, "cafe-lumiere", "Called")
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('summary: Called', 'summary: Called twice'))\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    before = commit_count(sample_ws)
    result = run("activity", "edit", activity_id)
    assert result.code == 0, result.err
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == f"activity {activity_id}: edit"
    assert read(activity_file(sample_ws, activity_id))["summary"] == "Called twice"
    assert status_clean(sample_ws)


def test_activity_rm(sample_ws: Path) -> None:
    activity_id, _ = log(sample_ws, "cafe-lumiere", "Logged by mistake")
    before = commit_count(sample_ws)
    result = run("activity", "rm", activity_id)
    assert result.code == 0, result.err
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == f"activity {activity_id}: delete"
    assert not activity_file(sample_ws, activity_id).exists()
    assert status_clean(sample_ws)
    assert all(a["id"] != activity_id for a in list_json())


def test_activity_rm_unknown(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    assert_refused(sample_ws, run("activity", "rm", "azzzzzzz"), before, commits)
