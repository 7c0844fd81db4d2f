"""Issue 16, item 6: kill -9 at every step of a change, then the next command.

``TCRM_FAULT=<step>`` makes the tcrm process kill itself (SIGKILL) at that step of a
change (tcrm.store.journal.fault). After each, the next command finishes the change and
commits it, or rolls it back to HEAD, and says which on stderr; then ``git status`` is
clean, ``tcrm check`` is green, and re-running the command gives every change once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tcrm.store.yamlio import load_fast
from tests.clitools import commit_count, git, run, status_clean
from tests.teamtools import edit

STEPS = ("temps", "journal", "rename", "renamed", "index-lock", "index", "committed")
"""Every step of a change, in order (see tcrm.store.journal)."""
NOTHING_VISIBLE = {"temps"}
"""Killed before the journal exists: the change never happened, and nothing says so."""


def killed(root: Path, step: str, *args: str) -> None:
    """``tcrm ARGS`` in its own process, killed by SIGKILL at ``step``."""
    result = subprocess.run(
        [sys.executable, "-m", "tcrm", "-w", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TCRM_FAULT": step},
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stderr)


def recovered(root: Path, step: str) -> str:
    """The next command (a read: ``tcrm check``), and what it said it did."""
    result = run("-w", root, "check")
    assert result.code == 0, result.out + result.err
    lines = [line for line in result.err.splitlines() if line.startswith("tcrm:")]
    if step in NOTHING_VISIBLE:
        assert lines == [], result.err
        return "nothing"
    assert len(lines) == 1, result.err
    assert "interrupted change" in lines[0], lines
    assert ("completed" in lines[0]) != ("rolled back" in lines[0]), lines
    return "completed" if "completed" in lines[0] else "rolled back"


def assert_clean(root: Path) -> None:
    assert status_clean(root), git(root, "status", "--porcelain")
    git_dir = root / ".git"
    assert not (git_dir / "index.lock").exists()
    assert not list(git_dir.glob("refs/heads/*.lock"))
    assert not (root / ".tcrm" / "journal.json").exists()
    tmp = root / ".tcrm" / "tmp"
    assert not tmp.exists() or not list(tmp.iterdir()), list(tmp.iterdir())
    fsck = subprocess.run(["git", "-C", str(root), "fsck", "--strict"], capture_output=True)
    assert fsck.returncode == 0, fsck.stderr
    result = run("-w", root, "check")
    assert result.code == 0 and "tcrm:" not in result.err, result.out + result.err


def records(root: Path, folder: str) -> list[dict]:
    return [
        load_fast(p.read_text(encoding="utf-8")) for p in sorted((root / folder).rglob("*.yaml"))
    ]


# --- import csv: 70 files, the batch path -------------------------------------------------


@pytest.mark.parametrize("step", STEPS)
def test_import_csv_killed_at_every_step(sample_ws: Path, tmp_path: Path, step: str) -> None:
    names = [f"Killtest Company {i:02d}" for i in range(70)]
    csv = tmp_path / "clients.csv"
    csv.write_text("name,email\n" + "".join(f"{n},c@kill{i}.test\n" for i, n in enumerate(names)))
    commits = commit_count(sample_ws)
    killed(sample_ws, step, "import", "csv", str(csv))
    outcome = recovered(sample_ws, step)
    assert_clean(sample_ws)
    assert commit_count(sample_ws) == commits + (outcome == "completed")
    imported = [r["name"] for r in records(sample_ws, "clients") if r["name"] in names]
    assert len(imported) == (70 if outcome == "completed" else 0)

    again = run("-w", sample_ws, "import", "csv", csv)  # the user runs it again
    assert again.code == 0, again.err
    assert_clean(sample_ws)
    counted = Counter(r["name"] for r in records(sample_ws, "clients"))
    assert all(counted[n] == 1 for n in names), counted


# --- deal move with its stage's template tasks ---------------------------------------------

DEAL = "van-der-berg-portfolio-website"
TEMPLATE_TASKS = {"Send the proposal", "Follow up on the proposal"}


def _template_tasks(root: Path) -> list[str]:
    return [t["title"] for t in records(root, "tasks") if DEAL in (t.get("deals") or [])]


@pytest.mark.parametrize("step", STEPS)
def test_deal_move_killed_at_every_step(sample_ws: Path, step: str) -> None:
    before = Counter(_template_tasks(sample_ws))
    killed(sample_ws, step, "deal", "move", DEAL, "proposal")
    outcome = recovered(sample_ws, step)
    assert_clean(sample_ws)
    deal = load_fast((sample_ws / "deals" / f"{DEAL}.yaml").read_text(encoding="utf-8"))
    assert deal["stage"] == ("proposal" if outcome == "completed" else "qualified")

    again = run("-w", sample_ws, "deal", "move", DEAL, "proposal")
    assert again.code == 0, again.err
    assert_clean(sample_ws)
    deal = load_fast((sample_ws / "deals" / f"{DEAL}.yaml").read_text(encoding="utf-8"))
    assert deal["stage"] == "proposal"
    assert [h["stage"] for h in deal["stage_history"]].count("proposal") == 1
    added = Counter(_template_tasks(sample_ws)) - before
    assert added == Counter(TEMPLATE_TASKS), added  # each template task once


# --- log with a follow-up task -------------------------------------------------------------


@pytest.mark.parametrize("step", STEPS)
def test_log_killed_at_every_step(sample_ws: Path, step: str) -> None:
    summary = "wants the proposal by Friday"  # no "call:" prefix: that sets the kind
    args = ("log", "cafe-lumiere", summary, "--next", "send the proposal")
    killed(sample_ws, step, *args)
    outcome = recovered(sample_ws, step)
    assert_clean(sample_ws)
    logged = [a for a in records(sample_ws, "activities") if a["summary"] == summary]
    assert len(logged) == (outcome == "completed")
    if not logged:  # the user sees it did not happen, and logs it again
        assert run("-w", sample_ws, *args).code == 0
    assert_clean(sample_ws)
    assert len([a for a in records(sample_ws, "activities") if a["summary"] == summary]) == 1
    follow_ups = [t for t in records(sample_ws, "tasks") if t["title"] == "send the proposal"]
    assert len(follow_ups) == 1


# --- sync: a merge commit, and a fast-forward ----------------------------------------------

MERGE_STEPS = ("temps", "journal", "rename", "renamed", "committed")
"""A merge commit goes through dulwich (no fast index patch): these steps are reached."""


@pytest.mark.parametrize("step", MERGE_STEPS)
def test_sync_merge_killed_at_every_step(team: dict[str, Path], as_user, step: str) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "client", "acme", "client acme: tag vip", tags=["smb", "vip"])
    assert run("-w", ann, "sync").code == 0
    as_user("ben")
    edit(ben, "client", "beta", "client beta: active", status="active")
    edit(ben, "deal", "acme-website", "deal acme-website: amount", amount="12000")
    killed(ben, step, "sync")
    outcome = recovered(ben, step)
    assert_clean(ben)
    assert run("-w", ben, "sync").code == 0  # pushes the merge, or merges again
    assert run("-w", ann, "sync").code == 0
    for root in (ann, ben):
        assert_clean(root)
        acme = load_fast((root / "clients/acme.yaml").read_text(encoding="utf-8"))
        beta = load_fast((root / "clients/beta.yaml").read_text(encoding="utf-8"))
        deal = load_fast((root / "deals/acme-website.yaml").read_text(encoding="utf-8"))
        assert acme["tags"] == ["smb", "vip"] and beta["status"] == "active", outcome
        assert str(deal["amount"]) == "12000"
    assert git(ann, "rev-parse", "HEAD") == git(ben, "rev-parse", "HEAD")
    merges = git(ben, "log", "--merges", "--format=%s").splitlines()
    assert len(merges) == 1, merges  # merged once, not twice


FAST_FORWARD_STEPS = ("temps", "journal", "rename", "renamed")


@pytest.mark.parametrize("step", FAST_FORWARD_STEPS)
def test_sync_fast_forward_killed_at_every_step(team: dict[str, Path], as_user, step: str) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "client", "acme", "client acme: tag vip", tags=["smb", "vip"])
    edit(ann, "client", "beta", "client beta: active", status="active")
    assert run("-w", ann, "sync").code == 0
    as_user("ben")
    killed(ben, step, "sync")
    recovered(ben, step)
    assert_clean(ben)
    assert run("-w", ben, "sync").code == 0
    assert_clean(ben)
    assert git(ann, "rev-parse", "HEAD") == git(ben, "rev-parse", "HEAD")


def test_stale_temp_files_of_a_dead_process_are_removed_and_a_live_ones_kept(
    sample_ws: Path,
) -> None:
    tmp = sample_ws / ".tcrm" / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = [tmp / f".acme.yaml.{dead}-ab12cd34-{n}.tmp" for n in range(50)]
    for path in stale:
        path.write_bytes(b"half")
    live = tmp / f".state.json.{os.getpid()}-zz9.tmp"
    live.write_bytes(b"in flight")
    result = run("-w", sample_ws, "task", "add", "Call back", "--due", "+1d")
    assert result.code == 0, result.err
    assert not any(p.exists() for p in stale)
    assert live.exists()


def test_a_stale_index_lock_of_a_live_git_is_left_alone(sample_ws: Path) -> None:
    """An ``index.lock`` tcrm did not leave (no journal: a git process, maybe running) is
    never deleted: the write is refused, as git refuses it."""
    lock = sample_ws / ".git" / "index.lock"
    lock.write_bytes(b"")
    commits = commit_count(sample_ws)
    result = run("-w", sample_ws, "task", "add", "Call back", "--due", "+1d")
    assert result.code != 0
    assert "index.lock" in result.err
    assert lock.exists()
    assert commit_count(sample_ws) == commits


def test_a_change_whose_new_content_is_lost_is_rolled_back_to_head(sample_ws: Path) -> None:
    """Killed halfway through the renames, then the temp files are gone (a cleaner ran):
    the change cannot be finished, so every file of it goes back to HEAD, index too."""
    head = git(sample_ws, "rev-parse", "HEAD")
    killed(sample_ws, "rename", "deal", "move", DEAL, "proposal")
    assert git(sample_ws, "status", "--porcelain") != ""  # half done
    for temp in (sample_ws / ".tcrm" / "tmp").iterdir():
        temp.unlink()
    assert recovered(sample_ws, "rename") == "rolled back"
    assert_clean(sample_ws)
    assert git(sample_ws, "rev-parse", "HEAD") == head
    deal = load_fast((sample_ws / "deals" / f"{DEAL}.yaml").read_text(encoding="utf-8"))
    assert deal["stage"] == "qualified"
    assert run("-w", sample_ws, "deal", "move", DEAL, "proposal").code == 0
    assert Counter(_template_tasks(sample_ws)) >= Counter(TEMPLATE_TASKS)
    assert_clean(sample_ws)


def test_a_damaged_journal_is_removed_with_a_warning_and_never_followed(
    sample_ws: Path,
) -> None:
    journal = sample_ws / ".tcrm" / "journal.json"
    journal.parent.mkdir(exist_ok=True)
    outside = sample_ws.parent / "outside.txt"
    outside.write_text("keep me\n")
    journal.write_text(
        '{"version": 1, "pid": 1, "head": null, "message": "x", "when": null, '
        '"merge_head": null, "fast_forward": null, "temps": {}, '
        '"files": {"../outside.txt": null}}'
    )
    result = run("-w", sample_ws, "client", "list")
    assert result.code == 0, result.err
    assert "damaged" in result.err and result.err.count("tcrm:") == 1
    assert outside.read_text() == "keep me\n"
    assert not journal.exists()
    assert_clean(sample_ws)
