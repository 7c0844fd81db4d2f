"""``tcrm history`` (git history as the audit log) and ``tcrm undo``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tcrm.model.records import Activity, Client, Deal
from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace
from tests.clitools import assert_refused, commit_count, git, run, snapshot, status_clean
from tests.teamtools import edit, put, record, sync

UTC = ZoneInfo("UTC")


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def deal_ws(tmp_path: Path, as_user, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A deal moved through the stages by three people, on known dates."""
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:00:00+00:00")
    as_user("ann")
    root = init_workspace(tmp_path / "ws", name="Team Co").root
    put(
        root,
        "client acme: add",
        Client(id="acme", name="Acme"),
        create=True,
        when=at(1),
    )
    put(
        root,
        "deal acme-website: add",
        Deal(
            id="acme-website",
            title="Acme website",
            client="acme",
            pipeline="sales",
            stage="lead",
            stage_history=[{"at": "2026-11-02T10:00+00:00", "stage": "lead"}],
        ),
        create=True,
        when=at(2, 10),
    )
    as_user("ben")
    history = [{"at": "2026-11-02T10:00+00:00", "stage": "lead"}]
    history.append({"at": "2026-11-05T14:30+00:00", "stage": "qualified"})
    edit(
        root,
        "deal",
        "acme-website",
        "deal acme-website: lead -> qualified",
        when=at(5, 14, 30),
        stage="qualified",
        stage_history=history,
    )
    edit(root, "deal", "acme-website", "deal acme-website: set amount", when=at(6), amount="12000")
    as_user("chloe")
    history = [*history, {"at": "2026-11-10T09:15+00:00", "stage": "proposal"}]
    edit(
        root,
        "deal",
        "acme-website",
        "deal acme-website: qualified -> proposal",
        when=at(10, 9, 15),
        stage="proposal",
        stage_history=history,
    )
    monkeypatch.setenv("TCRM_WORKSPACE", str(root))
    return root


def changed(entry: dict) -> list[tuple]:
    return [(c["old"], c["new"]) for c in entry["changes"]]


def history_json(*args: str) -> list[dict]:
    result = run("history", "--json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_history_of_a_deal_lists_each_stage_change_with_author_and_date(deal_ws) -> None:
    entries = history_json("acme-website", "--field", "stage")
    summary = [
        (
            e["date"],
            e["author"],
            e["email"],
            e["message"],
            [(c["old"], c["new"]) for c in e["changes"]],
        )
        for e in entries
    ]
    assert summary == [
        (
            "2026-11-10T09:15:00+00:00",
            "Chloe Martin",
            "chloe@example.com",
            "deal acme-website: qualified -> proposal",
            [("qualified", "proposal")],
        ),
        (
            "2026-11-05T14:30:00+00:00",
            "Ben Okafor",
            "ben@example.com",
            "deal acme-website: lead -> qualified",
            [("lead", "qualified")],
        ),
        (
            "2026-11-02T10:00:00+00:00",
            "Ann Becker",
            "ann@example.com",
            "deal acme-website: add",
            [(None, "lead")],
        ),
    ]
    first = entries[0]
    assert (first["path"], first["kind"], first["id"], first["action"]) == (
        "deals/acme-website.yaml",
        "deal",
        "acme-website",
        "change",
    )
    assert first["commit"] == git(deal_ws, "rev-parse", "HEAD").strip()
    assert [c["field"] for c in first["changes"]] == ["stage"]

    table = run("history", "acme-website", "--field", "stage")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0] == "date\tauthor\trecord\tchange\tcommit"
    assert lines[1].startswith(
        "2026-11-10 09:15\tChloe Martin\tacme-website\tstage: qualified -> proposal\t"
    )
    assert lines[2].startswith(
        "2026-11-05 14:30\tBen Okafor\tacme-website\tstage: lead -> qualified"
    )
    assert lines[3].startswith("2026-11-02 10:00\tAnn Becker\tacme-website\tstage: (none) -> lead")


def test_history_without_a_field_shows_every_change_field_by_field(deal_ws) -> None:
    entries = history_json("acme website")  # an exact name works as a reference too
    assert [e["message"] for e in entries] == [
        "deal acme-website: qualified -> proposal",
        "deal acme-website: set amount",
        "deal acme-website: lead -> qualified",
        "deal acme-website: add",
    ]
    proposal = {c["field"]: (c["old"], c["new"]) for c in entries[0]["changes"]}
    assert proposal == {
        "stage": ("qualified", "proposal"),
        "stage_history[2026-11-10T09:15+00:00 proposal]": (
            None,
            {"at": "2026-11-10T09:15+00:00", "stage": "proposal"},
        ),
    }
    assert entries[1]["changes"] == [{"field": "amount", "old": None, "new": "12000"}]
    assert entries[3]["action"] == "add"
    assert run("history", "acme-website").out.splitlines()[-1].split("\t")[3] == "created"


def test_history_shows_readable_values_not_truncated_json(deal_ws) -> None:
    notes = "Prefers calls after lunch; decision by the board in January, budget approved"
    edit(
        deal_ws,
        "deal",
        "acme-website",
        "deal acme-website: edit",
        when=at(11),
        tags=["website", "vip"],
        notes=notes,
    )
    table = run("history", "acme-website")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    change = lines[1].split("\t")[3]
    assert "tags: (none) -> website, vip" in change
    assert f"notes: (none) -> {notes}" in change  # whole, not cut at 40 characters
    proposal = lines[2].split("\t")[3]
    assert proposal == (
        "stage: qualified -> proposal; stage_history[2026-11-10T09:15+00:00 proposal]: "
        "(none) -> at 2026-11-10T09:15+00:00, stage proposal"
    )
    assert "{" not in table.out and '"' not in table.out and "..." not in table.out


def test_history_filters_by_author_and_date_and_covers_the_whole_workspace(deal_ws) -> None:
    by_ben = history_json("acme-website", "--author", "BEN")
    assert [e["message"] for e in by_ben] == [
        "deal acme-website: set amount",
        "deal acme-website: lead -> qualified",
    ]
    since = history_json("acme-website", "--since", "2026-11-06")
    assert [e["message"] for e in since] == [
        "deal acme-website: qualified -> proposal",
        "deal acme-website: set amount",
    ]
    everything = history_json()
    assert {(e["kind"], e["id"]) for e in everything} == {
        ("deal", "acme-website"),
        ("client", "acme"),
        ("settings", None),
    }
    assert everything[-1]["message"] == "init: tcrm workspace"


def test_history_refuses_an_unknown_record_and_a_bad_date(deal_ws) -> None:
    before, commits = snapshot(deal_ws), commit_count(deal_ws)
    assert_refused(deal_ws, run("history", "nosuch"), before, commits)
    assert_refused(deal_ws, run("history", "--since", "someday"), before, commits)


def test_history_of_a_deleted_record_is_still_there(deal_ws) -> None:
    ws = Workspace(deal_ws)
    with ws.transaction("client acme: delete") as tx:
        tx.delete("client", "acme")
    entries = history_json("acme")
    assert [e["action"] for e in entries] == ["delete", "add"]


def test_history_follows_an_activity_moved_to_another_year(deal_ws) -> None:
    activity = Activity(
        id="a2k3m4n5", kind="call", at="2025-12-31T16:00+00:00", summary="Year-end call"
    )
    put(deal_ws, "activity a2k3m4n5: add", activity, create=True)
    edit(deal_ws, "activity", "a2k3m4n5", "activity a2k3m4n5: edit", at="2026-01-02T10:00+00:00")
    assert (deal_ws / "activities/2026/a2k3m4n5.yaml").is_file()
    entries = history_json("a2k3m4n5")
    assert [e["action"] for e in entries] == ["rename", "add"]
    assert entries[0]["old_path"] == "activities/2025/a2k3m4n5.yaml"
    assert entries[0]["path"] == "activities/2026/a2k3m4n5.yaml"
    assert entries[0]["changes"] == [
        {"field": "at", "old": "2025-12-31T16:00+00:00", "new": "2026-01-02T10:00+00:00"}
    ]
    assert entries[1]["path"] == "activities/2025/a2k3m4n5.yaml"


def test_history_follows_a_record_a_sync_moved_to_a_fresh_id(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    put(ann, "client gamma: add", Client(id="gamma", name="Gamma"), create=True)
    as_user("ben")
    put(ben, "client gamma: add", Client(id="gamma", name="Gamma", status="lead"), create=True)
    edit(ben, "client", "gamma", "client gamma: set notes", notes="met at the fair")
    as_user("ann")
    sync(ann)
    as_user("ben")
    sync(ben)
    entries = json.loads(run("-w", ben, "history", "gamma-2", "--json").out)
    assert [(e["message"], e["author"], e["path"]) for e in entries] == [
        ("sync: merge origin/main", "Ben Okafor", "clients/gamma-2.yaml"),
        ("client gamma: set notes", "Ben Okafor", "clients/gamma.yaml"),
        ("client gamma: add", "Ben Okafor", "clients/gamma.yaml"),
    ]
    theirs = json.loads(run("-w", ben, "history", "gamma", "--json").out)
    assert [(e["message"], e["author"]) for e in theirs] == [("client gamma: add", "Ann Becker")]


# --- undo ---------------------------------------------------------------------------------


def test_undo_restores_the_previous_state_as_a_new_commit(deal_ws) -> None:
    path = deal_ws / "deals/acme-website.yaml"
    moved = git(deal_ws, "rev-parse", "HEAD").strip()
    before_move = git(deal_ws, "show", "HEAD~1:deals/acme-website.yaml")
    commits = commit_count(deal_ws)
    result = run("undo")
    assert result.code == 0, result.err
    assert "Undid" in result.err and "qualified -> proposal" in result.err
    assert path.read_text(encoding="utf-8") == before_move
    assert record(deal_ws, "deals/acme-website.yaml")["stage"] == "qualified"
    assert commit_count(deal_ws) == commits + 1
    assert git(deal_ws, "log", "-1", "--format=%s").strip() == (
        "deal acme-website: undo qualified -> proposal"
    )
    assert f"This reverts commit {moved}." in git(deal_ws, "log", "-1", "--format=%b")
    assert git(deal_ws, "merge-base", "--is-ancestor", moved, "HEAD") == ""  # not rewritten
    assert status_clean(deal_ws)
    stages = [e["changes"][0]["new"] for e in history_json("acme-website", "--field", "stage")]
    assert stages == ["qualified", "proposal", "qualified", "lead"]


def test_undo_again_walks_back_one_change_at_a_time_and_only_your_own(deal_ws, as_user) -> None:
    assert run("undo").code == 0  # chloe's move
    before, commits = snapshot(deal_ws), commit_count(deal_ws)
    result = run("undo")  # next: ben's amount, which is not chloe's to undo
    assert_refused(deal_ws, result, before, commits)
    assert "was made by Ben Okafor, not you" in result.err
    as_user("ben")
    assert run("undo").code == 0  # the amount, not the undo itself
    data = record(deal_ws, "deals/acme-website.yaml")
    assert (data["stage"], data.get("amount")) == ("qualified", None)
    assert git(deal_ws, "log", "-1", "--format=%s").strip() == (
        "deal acme-website: undo set amount"
    )
    assert status_clean(deal_ws)


def test_undo_of_an_add_deletes_the_record(tmp_path, monkeypatch) -> None:
    root = init_workspace(tmp_path / "ws", name="Co").root
    put(root, "client acme: add", Client(id="acme", name="Acme"), create=True)
    assert run("-w", root, "undo").code == 0
    assert not (root / "clients/acme.yaml").exists()
    assert git(root, "log", "-1", "--format=%s").strip() == "client acme: undo add"
    assert status_clean(root)


def test_undo_dry_run_shows_the_change_and_changes_nothing(deal_ws) -> None:
    before, commits = snapshot(deal_ws), commit_count(deal_ws)
    result = run("undo", "--dry-run", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["dry_run"] is True and data["commit"] is None
    assert data["undone"]["message"] == "deal acme-website: qualified -> proposal"
    assert data["undone"]["author"] == "Chloe Martin"
    assert data["message"] == "deal acme-website: undo qualified -> proposal"
    [changed] = data["files"]
    assert changed["path"] == "deals/acme-website.yaml" and changed["action"] == "change"
    assert changed["changes"][0] == {"field": "stage", "old": "proposal", "new": "qualified"}
    assert snapshot(deal_ws) == before and commit_count(deal_ws) == commits


def test_undo_refuses_uncommitted_changes(deal_ws) -> None:
    path = deal_ws / "deals/acme-website.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "notes: wip\n", encoding="utf-8")
    before, commits = snapshot(deal_ws), commit_count(deal_ws)
    result = run("undo")
    assert_refused(deal_ws, result, before, commits)
    assert "deals/acme-website.yaml has uncommitted changes" in result.err


def test_undo_refuses_a_fresh_workspace_a_hand_made_commit_and_a_sync(
    tmp_path, team, as_user
) -> None:
    """A merge is never undone; ben's own change before it is (see test_sync_team)."""
    fresh = init_workspace(tmp_path / "fresh", name="Co").root
    before, commits = snapshot(fresh), commit_count(fresh)
    result = run("-w", fresh, "undo")
    assert_refused(fresh, result, before, commits)
    assert "nothing to undo" in result.err

    (fresh / "kb").mkdir()
    (fresh / "kb/notes.md").write_text("hello\n")
    git(fresh, "add", "kb/notes.md")
    git(fresh, "commit", "-q", "-m", "Add some notes")
    before, commits = snapshot(fresh), commit_count(fresh)
    result = run("-w", fresh, "undo")
    assert_refused(fresh, result, before, commits)
    assert "was not made by tcrm; use `git revert" in result.err

    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "client", "beta", "client beta: set status", status="active")
    sync(ann)
    as_user("ben")
    edit(ben, "client", "acme", "client acme: tag vip", tags=["smb", "vip"])
    sync(ben)  # a merge: ben's own change comes before it, and undo still finds it
    result = run("-w", ben, "undo")
    assert result.code == 0, result.err
    assert record(ben, "clients/acme.yaml")["tags"] == ["smb"]
    assert record(ben, "clients/beta.yaml")["status"] == "active"
    merge = git(ben, "log", "-1", "--format=%H", "--merges").strip()
    before, commits = snapshot(ben), commit_count(ben)
    result = run("-w", ben, "undo", merge)
    assert_refused(ben, result, before, commits)
    assert "tcrm undo does not undo syncs" in result.err

    chloe = team["chloe"]
    as_user("ann")
    sync(ann)
    edit(ann, "client", "acme", "client acme: set notes", notes="from ann")
    sync(ann)
    as_user("chloe")
    sync(chloe)  # a fast-forward: her last commit is now ann's change
    before, commits = snapshot(chloe), commit_count(chloe)
    result = run("-w", chloe, "undo")
    assert_refused(chloe, result, before, commits)
    assert "was made by Ann Becker, not you" in result.err
