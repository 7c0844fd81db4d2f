"""``tcrm forget``: erasure on request, checked with the real git CLI on the sample
workspace, a real bare remote and a second clone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tcrm.store.yamlio import load_fast
from tests.clitools import assert_refused, commit_count, git, run, snapshot, status_clean

NAME = "Sophie Lindner"
EMAIL = "hello@praxis-lindner.de"
PHONES = ("+49 150 4976 7190", "+49 30 8857 3076")
TRACES = (NAME, EMAIL, "4976 7190", "8857 3076", "dr-sophie-lindner")


def everything(root: Path) -> str:
    """Every object git holds in this clone, reachable or not, and every ref's log."""
    objects = subprocess.run(
        ["git", "-C", str(root), "cat-file", "--batch-all-objects", "--batch"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "replace")
    return objects + git(root, "log", "-p", "--all") + git(root, "reflog", "--all")


def assert_no_trace(root: Path) -> None:
    text = everything(root)
    for trace in TRACES:
        assert trace.casefold() not in text.casefold(), trace


def with_history(root: Path) -> None:
    """Commits that mention her: a logged call, a hand edit whose message names her, a
    kb page quoting her email."""
    logged = run(
        "log",
        "dr-sophie-lindner",
        f"call: {NAME} confirmed the estimate; call back on {PHONES[0]}",
        "--author",
        "ann",
    )
    assert logged.code == 0, logged.err
    page = root / "kb" / "discovery-call-script.md"
    page.write_text(
        page.read_text() + f"\nExample of a referral: {EMAIL} (ask for {NAME}).\n",
        encoding="utf-8",
    )
    git(root, "add", "kb")
    git(root, "commit", "-q", "-m", f"kb: example from {NAME}'s call")


def test_forget_unknown_person_changes_nothing(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("forget", "nobody@nowhere.example", "--apply", "--reason", "request")
    assert "no client or contact person" in result.err
    assert_refused(sample_ws, result, before, commits)


def test_apply_needs_a_reason(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("forget", "dr-sophie-lindner", "--apply")
    assert "--reason" in result.err
    assert_refused(sample_ws, result, before, commits)


def test_dry_run_lists_every_place_and_changes_nothing(sample_ws: Path) -> None:
    with_history(sample_ws)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("forget", "Dr. Sophie Lindner", "--json")
    assert result.code == 0, result.err
    import json

    plan = json.loads(result.out)
    actions = {f["path"]: f["action"] for f in plan["files"]}
    assert actions["clients/dr-sophie-lindner.yaml"] == "delete"
    assert actions["deals/praxis-lindner-website.yaml"] == "delete"
    assert actions["tasks/tty9kn3b.yaml"] == "delete"
    assert actions["activities/2026/a24ngkuw.yaml"] == "delete"
    assert actions["kb/discovery-call-script.md"] == "scrub"
    by_email = json.loads(run("forget", EMAIL, "--json").out)  # her contact entry's email
    assert by_email["kind"] == "client" and by_email["files"] == plan["files"]
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits


def test_forget_client_erases_tree_and_history(sample_ws: Path) -> None:
    with_history(sample_ws)
    assert NAME in git(sample_ws, "log", "-p", "--all")  # the test sees what it looks for
    result = run("forget", "dr-sophie-lindner", "--apply", "--reason", "GDPR request by email")
    assert result.code == 0, result.err
    assert "tcrm sync --after-rewrite" in result.err
    assert_no_trace(sample_ws)
    assert not (sample_ws / "clients" / "dr-sophie-lindner.yaml").exists()
    page = (sample_ws / "kb" / "discovery-call-script.md").read_text()
    assert "Example of a referral: (erased) (ask for (erased))." in page
    assert run("check").code == 0
    fsck = subprocess.run(["git", "-C", str(sample_ws), "fsck", "--full", "--strict"])
    assert fsck.returncode == 0
    assert status_clean(sample_ws)
    audit = load_fast((sample_ws / "audit" / "erasures.yaml").read_text())
    (entry,) = audit["erasures"]
    assert entry["reason"] == "GDPR request by email"
    assert entry["by"] == "ann@example.com"
    assert entry["subject"].startswith("sha256:")
    assert int(entry["deleted"]) == 5  # client, deal, task, two calls
    head = git(sample_ws, "log", "-1", "--format=%B")
    assert f"Tcrm-Erasure: {entry['id']}" in head
    # the rest of the workspace is still there, history included
    assert (sample_ws / "clients" / "acme-logistics.yaml").exists()
    assert "kb: example from (erased)'s call" in git(sample_ws, "log", "--format=%s")


def test_forget_contact_person_keeps_the_client(sample_ws: Path) -> None:
    result = run("forget", "jana.kruger@acme-logistics.de", "--apply", "--reason", "left")
    assert result.code == 0, result.err
    acme = load_fast((sample_ws / "clients" / "acme-logistics.yaml").read_text())
    assert [c["name"] for c in acme["contacts"]] == ["Tobias Wendt"]
    text = everything(sample_ws)
    assert "Jana Krüger" not in text and "jana.kruger@" not in text
    assert run("check").code == 0


def test_reason_naming_the_person_is_scrubbed(sample_ws: Path) -> None:
    result = run("forget", "dr-sophie-lindner", "--apply", "--reason", f"{NAME} asked")
    assert result.code == 0, result.err
    audit = load_fast((sample_ws / "audit" / "erasures.yaml").read_text())
    assert audit["erasures"][0]["reason"] == "(erased) asked"


@pytest.fixture
def team(sample_ws: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """The sample workspace pushed to a real bare repository, and Ben's clone of it."""
    with_history(sample_ws)
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(sample_ws), str(bare))
    assert run("remote", "add", "origin", str(bare)).code == 0
    assert run("sync").code == 0
    ben = tmp_path / "ben"
    assert run("clone", str(bare), str(ben)).code == 0
    return sample_ws, bare, ben


def test_member_sync_is_refused_then_after_rewrite_keeps_local_work(
    team: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, bare, ben = team
    # Ben's unpushed work, on another client
    monkeypatch.setenv("TCRM_WORKSPACE", str(ben))
    assert (
        run("log", "acme-logistics", "call: Tobias is fine with hosting", "--author", "ben").code
        == 0
    )
    monkeypatch.setenv("TCRM_WORKSPACE", str(ann))
    done = run("forget", "dr-sophie-lindner", "--apply", "--reason", "request")
    assert done.code == 0, done.err
    assert_no_trace(ann)
    remote_heads = git(bare, "log", "-p", "--all")
    assert NAME not in remote_heads and EMAIL not in remote_heads

    monkeypatch.setenv("TCRM_WORKSPACE", str(ben))
    before, commits = snapshot(ben), commit_count(ben)
    refused = run("sync")
    assert refused.code != 0
    assert "tcrm sync --after-rewrite" in refused.err
    assert snapshot(ben) == before and commit_count(ben) == commits
    assert NAME in git(ben, "log", "-p", "--all")  # not merged back in: still only here

    taken = run("sync", "--after-rewrite")
    assert taken.code == 0, taken.err
    assert_no_trace(ben)
    assert "Tobias is fine with hosting" in git(ben, "log", "-p", "-1")
    assert status_clean(ben)
    assert run("check").code == 0
    again = run("sync")
    assert again.code == 0 and "Up to date" in again.err
    # the remote now has Ben's call on top of the rewritten history, and no trace of her
    remote_log = git(bare, "log", "-p", "--all")
    assert "Tobias is fine with hosting" in remote_log
    assert NAME not in remote_log
    fresh = ben.parent / "fresh"
    git(ben.parent, "clone", "-q", "--no-local", str(bare), str(fresh))  # as over a network
    assert_no_trace(fresh)
    # the documented server step removes the old objects from the bare repository too
    git(bare, "reflog", "expire", "--expire=now", "--all")
    git(bare, "gc", "--prune=now", "--quiet")
    assert_no_trace(bare)


def test_after_rewrite_refuses_local_changes_to_erased_data(
    team: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, _, ben = team
    monkeypatch.setenv("TCRM_WORKSPACE", str(ben))
    assert run("log", "dr-sophie-lindner", "call: more about the site", "--author", "ben").code == 0
    monkeypatch.setenv("TCRM_WORKSPACE", str(ann))
    assert run("forget", "dr-sophie-lindner", "--apply", "--reason", "request").code == 0
    monkeypatch.setenv("TCRM_WORKSPACE", str(ben))
    before, commits = snapshot(ben), commit_count(ben)
    refused = run("sync", "--after-rewrite")
    assert refused.code != 0
    assert "refers to a record the erasure removed" in refused.err
    assert snapshot(ben) == before and commit_count(ben) == commits


def test_forget_refuses_when_the_remote_moved(
    team: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, _, ben = team
    monkeypatch.setenv("TCRM_WORKSPACE", str(ben))
    assert run("log", "acme-logistics", "call: hello", "--author", "ben").code == 0
    assert run("sync").code == 0
    monkeypatch.setenv("TCRM_WORKSPACE", str(ann))
    before, commits = snapshot(ann), commit_count(ann)
    result = run("forget", "dr-sophie-lindner", "--apply", "--reason", "request")
    assert "run `tcrm sync` first" in result.err
    assert_refused(ann, result, before, commits)


# --- access request (Art. 15): the same places, exported -------------------------------


def test_export_person_writes_json_and_markdown(sample_ws: Path, tmp_path: Path) -> None:
    with_history(sample_ws)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    out = tmp_path / "out" / "sophie"
    out.parent.mkdir()
    result = run("export", "person", EMAIL, "-o", out)
    assert result.code == 0, result.err
    import json

    data = json.loads((tmp_path / "out" / "sophie.json").read_text())
    assert data["subject"]["kind"] == "client" and data["subject"]["name"] == "Dr. Sophie Lindner"
    paths = {r["path"] for r in data["records"]}
    assert {
        "clients/dr-sophie-lindner.yaml",
        "deals/praxis-lindner-website.yaml",
        "tasks/tty9kn3b.yaml",
        "activities/2026/a24ngkuw.yaml",
    } <= paths
    client = next(r for r in data["records"] if r["kind"] == "client")
    assert client["data"]["phones"] == [PHONES[1]]
    (page,) = data["pages"]
    assert page["path"] == "kb/discovery-call-script.md" and EMAIL in page["lines"][0]
    summary = (tmp_path / "out" / "sophie.md").read_text()
    assert summary.startswith("# Personal data held about Dr. Sophie Lindner")
    assert "## Deals" in summary and "praxis-lindner-website" in summary
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


def test_export_contact_person_leaves_out_the_other_contacts(
    sample_ws: Path, tmp_path: Path
) -> None:
    result = run("export", "person", "jana.kruger@acme-logistics.de", "-o", tmp_path / "jana.json")
    assert result.code == 0, result.err
    text = (tmp_path / "jana.json").read_text()
    assert "Jana Krüger" in text and "Tobias" not in text
    assert (tmp_path / "jana.md").is_file()


def test_export_person_refuses_unknown_people_and_the_workspace(
    sample_ws: Path, tmp_path: Path
) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    unknown = run("export", "person", "nobody@nowhere.example", "-o", tmp_path / "x")
    assert_refused(sample_ws, unknown, before, commits)
    assert not (tmp_path / "x.json").exists()
    inside = run("export", "person", EMAIL, "-o", sample_ws / "sophie")
    assert "outside the workspace" in inside.err
    assert_refused(sample_ws, inside, before, commits)


def test_sync_never_merges_old_history_back_over_a_shared_base(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """She was added after the first commit, so the rewritten history still shares that
    commit with Ben's clone: a plain merge would bring her back; sync refuses instead."""
    added = run("client", "add", "Zoe Quinn", "--type", "person", "--email", "zoe@quinn.example")
    assert added.code == 0, added.err
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(sample_ws), str(bare))
    assert run("remote", "add", "origin", str(bare)).code == 0
    ben = tmp_path / "ben"
    assert run("clone", str(bare), str(ben)).code == 0
    monkeypatch.setenv("TCRM_WORKSPACE", str(ben))
    assert run("log", "acme-logistics", "call: budget approved", "--author", "ben").code == 0
    monkeypatch.setenv("TCRM_WORKSPACE", str(sample_ws))
    assert run("forget", "zoe@quinn.example", "--apply", "--reason", "request").code == 0
    assert git(sample_ws, "merge-base", "HEAD", "HEAD~1")  # history kept its first commit
    monkeypatch.setenv("TCRM_WORKSPACE", str(ben))
    git(ben, "fetch", "-q", "origin")
    assert git(ben, "merge-base", "HEAD", "origin/main").strip()  # a base is shared
    before, commits = snapshot(ben), commit_count(ben)
    refused = run("sync")
    assert refused.code != 0 and "tcrm sync --after-rewrite" in refused.err
    assert snapshot(ben) == before and commit_count(ben) == commits
    assert "zoe@quinn.example" not in git(bare, "log", "-p", "--all")
    assert run("sync", "--after-rewrite").code == 0
    assert "zoe@quinn.example" not in everything(ben)


def test_forget_refuses_uncommitted_changes(sample_ws: Path) -> None:
    page = sample_ws / "kb" / "objection-handling.md"
    page.write_text(page.read_text() + "\nhand edit\n")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("forget", "dr-sophie-lindner", "--apply", "--reason", "request")
    assert "kb/objection-handling.md has uncommitted changes" in result.err
    assert_refused(sample_ws, result, before, commits)
    assert NAME in git(sample_ws, "log", "-p", "--all")
