"""Issue 16, item 3: a symbolic link committed inside the workspace's record folders is
never followed. Reads skip it with a warning, ``check`` reports it, writes refuse with one
line and change nothing, and a sync that brings one refuses instead of crashing.

Real files, real links, a real git repository and real clones over a bare remote.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.clitools import assert_refused, commit_count, git, run, snapshot, status_clean
from tests.teamtools import put, sync

LINK = "is a symbolic link; tcrm does not follow links"
SECRET = "password=hunter2"
OUTSIDE_TASK = "title: Planted outside\nstatus: open\n"


def _commit_link(root: Path, rel: str, target: str | Path) -> None:
    """Replace ``rel`` (a file or a folder) by a symbolic link and commit it with git."""
    path = root / rel
    if path.is_dir() and not path.is_symlink():
        git(root, "rm", "-rq", rel)
        if path.exists():
            path.rmdir()
    elif path.exists() or path.is_symlink():
        git(root, "rm", "-q", rel)
    os.symlink(target, path)
    git(root, "add", rel)
    git(root, "commit", "-qm", f"{rel}: a link")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the workspace, holding a secret and a record-shaped file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.yaml").write_text(f"name: Secret Corp\nnotes: {SECRET}\n")
    (folder / "t2345678.yaml").write_text(OUTSIDE_TASK)
    return folder


def _outside_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_task_add_never_writes_through_a_linked_tasks_folder(sample_ws, outside) -> None:
    _commit_link(sample_ws, "tasks", "../outside")
    before, commits, planted = snapshot(sample_ws), commit_count(sample_ws), _outside_files(outside)
    result = run("task", "add", "Call Acme back")
    assert_refused(sample_ws, result, before, commits)
    assert f"tasks: {LINK}" in result.err
    assert _outside_files(outside) == planted  # nothing written outside the workspace
    assert status_clean(sample_ws)


def test_reads_skip_a_linked_folder_with_a_warning(sample_ws, outside) -> None:
    _commit_link(sample_ws, "tasks", "../outside")
    result = run("task", "list", "--all")
    assert result.code == 0, result.err
    assert "Planted outside" not in result.out
    assert f"tcrm: warning: tasks: {LINK}" in result.err


def test_client_show_does_not_print_a_linked_record_file(sample_ws, outside) -> None:
    _commit_link(sample_ws, "clients/cfg.yaml", outside / "secret.yaml")
    result = run("client", "show", "cfg")
    assert result.code != 0
    assert SECRET not in result.out + result.err
    assert f"clients/cfg.yaml: {LINK}" in result.err
    listed = run("client", "list")
    assert listed.code == 0, listed.err
    assert "Secret Corp" not in listed.out
    assert f"tcrm: warning: clients/cfg.yaml: {LINK}" in listed.err


def test_a_bulk_update_neither_follows_nor_commits_a_linked_record(sample_ws, outside) -> None:
    _commit_link(sample_ws, "clients/cfg.yaml", outside / "secret.yaml")
    commits, planted = commit_count(sample_ws), _outside_files(outside)
    result = run("client", "update", "--all", "--add-tag", "vip")
    assert result.code == 0, result.err
    assert commit_count(sample_ws) == commits + 1
    assert (sample_ws / "clients/cfg.yaml").is_symlink()
    tree = git(sample_ws, "ls-tree", "HEAD", "clients/cfg.yaml").split()
    assert tree[0] == "120000", tree  # still the link git had, not the secret's content
    found = subprocess.run(["git", "-C", sample_ws, "grep", "hunter2", "HEAD"], capture_output=True)
    assert found.returncode == 1, found.stdout  # no blob of HEAD holds the secret
    assert _outside_files(outside) == planted
    assert status_clean(sample_ws)
    assert f"clients/cfg.yaml: {LINK}" in result.err


@pytest.mark.parametrize("change", ["put", "delete"])
def test_a_write_to_a_linked_record_refuses_and_changes_nothing(sample_ws, outside, change) -> None:
    """A change that names the linked file itself (a bulk update skips it instead)."""
    from tcrm.model.records import Client
    from tcrm.store import links
    from tcrm.store.workspace import Workspace

    (outside / "acme.yaml").write_text("name: Outside Acme\n")
    _commit_link(sample_ws, "clients/acme-logistics.yaml", outside / "acme.yaml")
    before, commits, planted = snapshot(sample_ws), commit_count(sample_ws), _outside_files(outside)
    ws = Workspace(sample_ws)
    refused = pytest.raises(links.LinkError, match=f"clients/acme-logistics.yaml: {LINK}")
    with refused, ws.transaction("client acme-logistics: change") as tx:
        if change == "put":
            tx.put(Client(id="acme-logistics", name="Changed"))
        else:
            tx.delete("client", "acme-logistics")
    assert _outside_files(outside) == planted
    assert snapshot(sample_ws) == before
    assert (sample_ws / "clients/acme-logistics.yaml").is_symlink()
    assert commit_count(sample_ws) == commits


def test_check_reports_a_linked_folder_and_a_linked_record(sample_ws, outside) -> None:
    _commit_link(sample_ws, "tasks", "../outside")
    _commit_link(sample_ws, "clients/cfg.yaml", outside / "secret.yaml")
    result = run("check")
    assert result.code == 1
    assert f"tasks: {LINK}" in result.out
    assert f"clients/cfg.yaml: {LINK}" in result.out
    assert SECRET not in result.out + result.err
    assert "Planted outside" not in result.out


def test_a_linked_settings_file_is_refused(sample_ws, tmp_path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_bytes((sample_ws / "tcrm.yaml").read_bytes())
    _commit_link(sample_ws, "tcrm.yaml", settings)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("client", "add", "Linked Co")
    assert_refused(sample_ws, result, before, commits)
    assert f"tcrm.yaml: {LINK}" in result.err
    assert run("check").code == 1


def test_a_linked_year_folder_of_activities_is_skipped(sample_ws, outside) -> None:
    (outside / "a2345678.yaml").write_text(
        "at: 2026-11-20T10:00:00+01:00\nkind: note\nsummary: Planted activity\n"
    )
    _commit_link(sample_ws, "activities/2019", "../../outside")
    assert "Planted activity" not in run("activity", "list").out
    result = run("check")
    assert f"activities/2019: {LINK}" in result.out


def test_the_store_finds_the_first_link_on_a_path(tmp_path) -> None:
    from tcrm.store import links

    (tmp_path / "clients").mkdir()
    (tmp_path / "real.yaml").write_text("name: x\n")
    os.symlink(tmp_path / "real.yaml", tmp_path / "clients" / "x.yaml")
    os.symlink("clients", tmp_path / "tasks")
    assert links.link_in(tmp_path, "clients/x.yaml") == "clients/x.yaml"
    assert links.link_in(tmp_path, "tasks/x.yaml") == "tasks"
    assert links.link_in(tmp_path, "clients/new.yaml") is None
    assert links.link_in(tmp_path, "deals/none/at/all.yaml") is None
    with pytest.raises(links.LinkError, match=f"clients/x.yaml: {LINK}"):
        links.read_bytes(tmp_path, "clients/x.yaml")
    with pytest.raises(links.LinkError, match=f"tasks: {LINK}"):
        links.read_bytes(tmp_path, "tasks/real.yaml")


@pytest.mark.parametrize("diverged", [False, True], ids=["fast-forward", "merge"])
def test_a_sync_that_brings_a_link_where_a_folder_was_refuses(team, as_user, diverged) -> None:
    from tcrm.model.records import Client, Task

    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    put(ann, "task: add", Task(id="t2345678", title="Call Acme"), create=True)
    sync(ann)
    as_user("ben")
    sync(ben)
    assert (ben / "tasks/t2345678.yaml").is_file()
    as_user("ann")
    _commit_link(ann, "tasks", "../outside")
    git(ann, "push", "-q", "origin", "HEAD")
    as_user("ben")
    if diverged:
        put(ben, "client gamma: add", Client(id="gamma", name="Gamma"), create=True)
    before, commits = snapshot(ben), commit_count(ben)
    result = run("-w", ben, "sync")
    assert_refused(ben, result, before, commits)
    assert f"tasks: {LINK}" in result.err
    assert (ben / "tasks").is_dir() and not (ben / "tasks").is_symlink()
    assert status_clean(ben)
