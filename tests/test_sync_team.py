"""A team of three on a bare remote, as people really join and work: a plain ``git clone``,
a remote that never answers, conflicts nobody can miss, and undo among teammates."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tcrm.model.records import Client
from tcrm.services.setup import init_workspace
from tests.clitools import commit_count, git, run, snapshot
from tests.teamtools import assert_healthy, edit, put, record, records_of, sync


def plain_clone(remote: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(remote), str(target)], check=True)
    return target


def git_pull(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "pull.rebase=false", "pull", "-q", "--no-edit"],
        capture_output=True,
        text=True,
    )


# --- item 5: joining a team with a plain git clone -------------------------------------


@pytest.fixture
def master_remote(tmp_path: Path, as_user) -> dict[str, Any]:
    """A remote made by plain ``git init --bare`` whose HEAD names ``master`` (git's own
    default), and ann's workspace (branch ``main``) pushed to it by ``tcrm sync``."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--bare", "-q", "-b", "master", str(remote)], check=True)
    as_user("ann")
    ann = init_workspace(tmp_path / "ann", name="Team Co").root
    put(ann, "client acme: add", Client(id="acme", name="Acme"), create=True)
    assert git(ann, "branch", "--show-current").strip() == "main"
    assert run("-w", ann, "remote", "add", "origin", remote).code == 0
    result = run("-w", ann, "sync")
    assert result.code == 0, result.err
    return {"ann": ann, "remote": remote, "sync_err": result.err}


def test_a_plain_git_clone_of_a_bare_master_remote_checks_out_the_workspace(
    master_remote, tmp_path
) -> None:
    ann, remote = master_remote["ann"], master_remote["remote"]
    # the remote's HEAD names the branch tcrm pushed, as a first push to GitHub does
    assert git(remote, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert "HEAD now names main" in master_remote["sync_err"]
    dan = plain_clone(remote, tmp_path / "dan")
    assert records_of(dan) == records_of(ann)
    assert git(dan, "branch", "--show-current").strip() == "main"
    assert run("-w", dan, "check").code == 0


def test_the_first_command_in_a_plain_clone_installs_the_merge_driver(
    master_remote, tmp_path, as_user
) -> None:
    ann, remote = master_remote["ann"], master_remote["remote"]
    dan = plain_clone(remote, tmp_path / "dan")
    as_user("ben")
    first = run("-w", dan, "client", "show", "acme")
    assert first.code == 0, first.err
    lines = [line for line in first.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "merge driver" in lines[0], first.err
    assert "tcrm merge-driver" in git(dan, "config", "merge.tcrm.driver")
    assert git(dan, "check-attr", "merge", "clients/acme.yaml").strip().endswith(": tcrm")
    assert run("-w", dan, "client", "show", "acme").err == ""  # once only
    # both change the same client; the plain clone pulls with git itself
    as_user("ann")
    edit(ann, "client", "acme", "client acme: vip", tags=["vip"], status="customer")
    assert sync(ann)["pushed"]
    as_user("ben")
    edit(dan, "client", "acme", "client acme: lead", tags=["smb"], status="lead")
    pulled = git_pull(dan)
    assert pulled.returncode == 0, pulled.stderr
    assert_healthy(dan)
    acme = record(dan, "clients/acme.yaml")
    assert set(acme["tags"]) == {"vip", "smb"}
    assert [c["field"] for c in acme["conflicts"]] == ["status"]


def test_a_clone_without_a_remote_is_left_alone(tmp_path, as_user) -> None:
    """A workspace made by hand with ``git init`` (no remote): no driver, no message."""
    as_user("ann")
    root = init_workspace(tmp_path / "solo", name="Solo").root
    git(root, "config", "--unset-all", "merge.tcrm.driver")
    result = run("-w", root, "check")
    assert result.code == 0 and "merge driver" not in result.err


# --- item 6: a remote that accepts and never answers ------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback TCP server that accepts every connection and never sends a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


NEEDS_SSH = pytest.mark.skipif(
    shutil.which("ssh") is None, reason="the ssh client (Debian: openssh-client) is missing"
)
SCHEMES = ["http", "git", pytest.param("ssh", marks=NEEDS_SSH)]
SILENT_WAIT = "0.5"
"""``--timeout`` against the silent server: it never answers, so any wait proves the
giving up; a short one keeps the suite from idling (ssh's own limits round up to 1 s)."""


def silent_url(scheme: str, port: int) -> str:
    user = "git@" if scheme == "ssh" else ""
    return f"{scheme}://{user}127.0.0.1:{port}/crm.git"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_sync_gives_up_on_a_silent_server_and_changes_nothing(
    team, silent_server, scheme, as_user
) -> None:
    ann = team["ann"]
    url = silent_url(scheme, silent_server)
    assert run("-w", ann, "remote", "add", "silent", url).code == 0
    as_user("ann")
    edit(ann, "client", "acme", "client acme: vip", tags=["vip"])
    before, commits = snapshot(ann), commit_count(ann)
    refs = git(ann, "for-each-ref")
    result = run("-w", ann, "sync", "--remote", "silent", "--timeout", SILENT_WAIT)
    assert result.code != 0
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert "'silent'" in lines[0] and f"{SILENT_WAIT} s" in lines[0], lines[0]
    assert lines[0].endswith(
        f": no answer within {SILENT_WAIT} s (try --timeout SECONDS); nothing was changed locally"
    ), lines[0]
    assert snapshot(ann) == before and commit_count(ann) == commits
    assert git(ann, "for-each-ref") == refs


@pytest.mark.parametrize("scheme", SCHEMES)
def test_clone_gives_up_on_a_silent_server_and_leaves_no_folder(
    tmp_path, silent_server, scheme
) -> None:
    url = silent_url(scheme, silent_server)
    result = run("clone", "--timeout", SILENT_WAIT, url, tmp_path / "crm")
    assert result.code != 0
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert url in lines[0] and f"{SILENT_WAIT} s" in lines[0], lines[0]
    assert lines[0].endswith(
        f"no answer within {SILENT_WAIT} s (try --timeout SECONDS); nothing was changed locally"
    ), lines[0]
    assert not (tmp_path / "crm").exists()


def test_timeout_must_be_a_positive_number_of_seconds(team) -> None:
    before = snapshot(team["ann"])
    result = run("-w", team["ann"], "sync", "--timeout", "0")
    assert result.code == 2 and "--timeout" in result.err
    assert snapshot(team["ann"]) == before


# --- item 9: undo in a team -----------------------------------------------------------


def _head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def _refused(root: Path, result, before: dict[str, bytes], commits: int) -> str:
    assert result.code != 0, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tcrm: error: "), result.err
    assert snapshot(root) == before and commit_count(root) == commits
    return lines[0]


def test_undo_reverts_my_last_change_after_teammates_commits_landed(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ben")
    edit(ben, "client", "acme", "client acme: tag vip", tags=["smb", "vip"])
    mine = _head(ben)
    sync(ben)
    as_user("ann")
    edit(ann, "client", "beta", "client beta: set status", status="active")
    assert sync(ann)["action"] == "merged"
    as_user("ben")
    assert sync(ben)["action"] == "fast-forward"  # ann's change and her merge come after
    assert git(ben, "log", "-1", "--format=%an").strip() == "Ann Becker"
    result = run("-w", ben, "undo")
    assert result.code == 0, result.err
    assert record(ben, "clients/acme.yaml")["tags"] == ["smb"]
    assert record(ben, "clients/beta.yaml")["status"] == "active"  # ann's change stays
    assert git(ben, "log", "-1", "--format=%s").strip().startswith("client acme: undo")
    assert f"This reverts commit {mine}." in git(ben, "log", "-1", "--format=%b")
    assert_healthy(ben)
    assert sync(ben)["pushed"]


def test_undo_refuses_when_a_later_commit_touched_the_same_record(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ben")
    edit(ben, "client", "acme", "client acme: tag vip", tags=["smb", "vip"])
    sync(ben)
    as_user("ann")
    sync(ann)
    edit(ann, "client", "acme", "client acme: set notes", notes="call after 10am")
    theirs = _head(ann)
    sync(ann)
    as_user("ben")
    sync(ben)
    before, commits = snapshot(ben), commit_count(ben)
    line = _refused(ben, run("-w", ben, "undo"), before, commits)
    assert "clients/acme.yaml" in line and theirs[:8] in line and "Ann Becker" in line, line


def test_undo_commit_reverts_the_chosen_change_of_mine(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ben")
    edit(ben, "client", "acme", "client acme: tag vip", tags=["smb", "vip"])
    first = _head(ben)
    edit(ben, "client", "beta", "client beta: set notes", notes="from ben")
    result = run("-w", ben, "undo", first[:10])
    assert result.code == 0, result.err
    assert record(ben, "clients/acme.yaml")["tags"] == ["smb"]
    assert record(ben, "clients/beta.yaml")["notes"] == "from ben"
    assert f"This reverts commit {first}." in git(ben, "log", "-1", "--format=%b")
    assert_healthy(ben)
    before, commits = snapshot(ben), commit_count(ben)
    line = _refused(ben, run("-w", ben, "undo", first), before, commits)
    assert "already undone" in line
    seed = git(ann, "log", "--format=%H", "--grep", "seed").split()[0]
    line = _refused(ben, run("-w", ben, "undo", seed), before, commits)
    assert "Ann Becker" in line and "not you" in line
    result = run("-w", ben, "undo", "deadbeef")
    assert result.code == 2 and "deadbeef" in result.err
    assert snapshot(ben) == before


def test_undo_says_when_nothing_of_mine_is_left(team, as_user) -> None:
    chloe = team["chloe"]
    as_user("chloe")
    before, commits = snapshot(chloe), commit_count(chloe)
    line = _refused(chloe, run("-w", chloe, "undo"), before, commits)
    assert "nothing of yours to undo" in line and "Ann Becker" in line


# --- item 7: conflicts in plain sight ---------------------------------------------------

BEN = "Ben Okafor <ben@example.com>"
ANN = "Ann Becker <ann@example.com>"


@pytest.fixture
def conflicted(team, as_user) -> dict[str, Any]:
    """Ann and Ben set one deal's probability to different values; Ben syncs second."""
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "deal", "acme-website", "deal acme-website: probability 40", probability="40")
    theirs = _head(ann)
    sync(ann)
    as_user("ben")
    edit(ben, "deal", "acme-website", "deal acme-website: probability 60", probability="60")
    mine = _head(ben)
    result = run("-w", ben, "sync", "--json")
    return {**team, "result": result, "mine": mine, "theirs": theirs}


def test_sync_exits_3_while_conflicts_remain(conflicted, as_user) -> None:
    ann, ben, result = conflicted["ann"], conflicted["ben"], conflicted["result"]
    assert result.code == 3, result.err
    report = json.loads(result.out)
    assert report["pushed"] and [c["field"] for c in report["conflicts"]] == ["probability"]
    again = run("-w", ben, "sync")  # nothing new, but the conflict is still open
    assert again.code == 3
    assert "1 open conflict" in again.err and "tcrm conflicts" in again.err
    as_user("ann")
    assert run("-w", ann, "sync").code == 3  # her clone has it too, once synced
    assert run("-w", ann, "resolve", "acme-website", "--take", "theirs").code == 0
    assert record(ann, "deals/acme-website.yaml")["probability"] == "40"
    assert run("-w", ann, "sync").code == 0
    as_user("ben")
    assert run("-w", ben, "sync").code == 0


def test_conflict_entries_name_both_authors_and_commits(conflicted, as_user) -> None:
    ann, ben = conflicted["ann"], conflicted["ben"]
    mine, theirs = conflicted["mine"], conflicted["theirs"]
    [reported] = json.loads(conflicted["result"].out)["conflicts"]
    sides = {"mine_by": BEN, "mine_commit": mine, "theirs_by": ANN, "theirs_commit": theirs}
    assert {k: reported[k] for k in sides} == sides
    [entry] = record(ben, "deals/acme-website.yaml")["conflicts"]
    assert {k: entry[k] for k in sides} == sides
    as_user("ann")
    run("-w", ann, "sync")
    [listed] = json.loads(run("-w", ann, "conflicts", "--json").out)
    assert {k: listed[k] for k in sides} == sides  # the same names in every clone
    checked = run("-w", ann, "check")
    assert checked.code == 1
    [line] = checked.out.splitlines()
    assert f"mine=60 (Ben Okafor, {mine[:8]})" in line, line
    assert f"theirs=40 (Ann Becker, {theirs[:8]})" in line, line
    table = run("-w", ann, "conflicts")
    assert "Ben Okafor" in table.out and "Ann Becker" in table.out


def test_git_pull_conflict_entries_name_both_authors_and_commits(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "deal", "acme-website", "deal acme-website: probability 40", probability="40")
    theirs = _head(ann)
    sync(ann)
    as_user("ben")
    edit(ben, "deal", "acme-website", "deal acme-website: probability 60", probability="60")
    mine = _head(ben)
    pulled = git_pull(ben)
    assert pulled.returncode == 0, pulled.stderr
    assert_healthy(ben)
    [entry] = record(ben, "deals/acme-website.yaml")["conflicts"]
    assert (entry["mine_by"], entry["mine_commit"]) == (BEN, mine)
    assert (entry["theirs_by"], entry["theirs_commit"]) == (ANN, theirs)


def test_today_and_the_cards_list_open_conflicts(conflicted) -> None:
    ben, mine = conflicted["ben"], conflicted["mine"]
    today = run("-w", ben, "today")
    assert today.code == 0, today.err
    assert "Open conflicts" in today.out
    row = next(line for line in today.out.splitlines() if "acme-website" in line)
    assert "probability" in row and "Ben Okafor" in row and "Ann Becker" in row, row
    [listed] = json.loads(run("-w", ben, "today", "--json").out)["conflicts"]
    assert (listed["id"], listed["field"], listed["mine_commit"]) == (
        "acme-website",
        "probability",
        mine,
    )
    for command in (("deal", "show", "acme-website"), ("client", "show", "acme")):
        shown = run("-w", ben, *command)
        assert shown.code == 0, shown.err
        assert "conflict" in shown.out.lower() and "probability" in shown.out, shown.out
        assert "Ann Becker" in shown.out, shown.out
    calm = run("-w", ben, "client", "show", "beta")
    assert "conflict" not in calm.out.lower()


def test_the_tui_today_screen_lists_open_conflicts(conflicted) -> None:
    import asyncio

    from tcrm.store.workspace import Workspace
    from tcrm.tui.app import TcrmApp
    from tcrm.tui.widgets.section_table import SectionTable

    app = TcrmApp(Workspace.open(conflicted["ben"]), quiet=True, poll_seconds=None)

    async def main() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):
                await pilot.pause(0.05)
                table = app.screen.query_one(SectionTable)
                if any(s.id == "conflicts" for s in table.sections):
                    break
            section = next(s for s in table.sections if s.id == "conflicts")
            [row] = section.rows
            assert (row.target.kind, row.target.id) == ("deal", "acme-website")
            assert "Ann Becker" in " ".join(row.cells)

    asyncio.run(main())


def test_resolve_takes_the_value_a_person_made(conflicted, as_user) -> None:
    ann = conflicted["ann"]
    as_user("ann")
    run("-w", ann, "sync")
    before, commits = snapshot(ann), commit_count(ann)
    refused = run("-w", ann, "resolve", "acme-website", "--take", "chloe")
    line = _refused(ann, refused, before, commits)
    assert "'chloe' made neither value of probability" in line
    assert "mine: Ben Okafor" in line and "theirs: Ann Becker" in line
    result = run("-w", ann, "resolve", "acme-website", "--take", "ann@example.com")
    assert result.code == 0, result.err
    assert record(ann, "deals/acme-website.yaml")["probability"] == "40"
    assert "conflicts" not in record(ann, "deals/acme-website.yaml")
    assert run("-w", ann, "sync").code == 0
