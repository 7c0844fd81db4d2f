"""Automation hooks: trusted per clone, the documented JSON on stdin, blocking before-events,
timeouts that kill the hook's process group. Real scripts, real git, two real clones."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tcrm.model.records import Deal
from tests.clitools import assert_refused, commit_count, git, run, snapshot, status_clean
from tests.teamtools import assert_healthy, put, sync

DOCS = Path(__file__).resolve().parent.parent / "docs" / "hooks.md"

RECORDER = '#!/bin/sh\ncat > "$HOOK_OUT.$TCRM_HOOK_EVENT.$$"\n'
"""A hook that saves its stdin in a file per run, named by $HOOK_OUT (set by the test)."""


def add_hook(root: Path, name: str, script: str, entry: str, commit: bool = True) -> None:
    """Declare ``entry`` (a YAML flow mapping) under ``hooks:`` and write the script."""
    path = root / "hooks" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    settings = root / "tcrm.yaml"
    text = settings.read_text()
    if "\nhooks:\n" not in text:
        text += "\nhooks:\n"
    settings.write_text(text + f"- {entry}\n")
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"hooks: {name}")


def runs(out: Path) -> list[dict]:
    """The payloads the recorder hook saved, oldest first."""
    found = sorted(out.parent.glob(out.name + ".*"), key=lambda p: p.stat().st_mtime_ns)
    return [json.loads(p.read_text()) for p in found]


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "hook-out" / "run"
    target.parent.mkdir()
    monkeypatch.setenv("HOOK_OUT", str(target))
    return target


def test_a_hook_pulled_from_a_teammate_runs_only_once_trusted(team, out, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    add_hook(ann, "notify-won.sh", RECORDER, "{on: deal.won, run: hooks/notify-won.sh}")
    assert run("-w", ann, "deal", "edit", "acme-website", "--set", "amount=5000").code == 0
    assert run("-w", ann, "deal", "edit", "beta-app", "--set", "amount=900").code == 0
    sync(ann)
    as_user("ben")
    assert sync(ben)["action"] == "fast-forward"
    assert (ben / "hooks" / "notify-won.sh").is_file()

    listed = json.loads(run("-w", ben, "hooks", "list", "--json").out)
    assert [(h["on"], h["run"], h["status"]) for h in listed] == [
        ("deal.won", "hooks/notify-won.sh", "untrusted")
    ]
    won = run("-w", ben, "deal", "won", "acme-website")
    assert won.code == 0, won.err
    assert runs(out) == []  # the pulled hook did not run
    warnings = [line for line in won.err.splitlines() if "notify-won.sh" in line]
    assert warnings == [
        "tcrm: warning: hook hooks/notify-won.sh (deal.won) not run: untrusted; read it, "
        "then run `tcrm hooks trust`"
    ]

    trusted = run("-w", ben, "hooks", "trust")
    assert trusted.code == 0, trusted.err
    assert "trusted hooks/notify-won.sh" in trusted.err
    assert "hooks/notify-won.sh" in (ben / ".tcrm" / "hooks-trust.json").read_text()
    assert status_clean(ben), git(ben, "status", "--porcelain")  # trust is local state
    assert run("-w", ben, "deal", "won", "beta-app").code == 0
    [payload] = runs(out)
    assert payload["event"] == "deal.won"
    assert [r["id"] for r in payload["records"]] == ["beta-app"]
    assert payload["records"][0]["data"]["status"] == "won"
    assert payload["records"][0]["before"]["status"] == "open"
    assert payload["commit"] == git(ben, "rev-parse", "HEAD").strip()

    # ann changes the script: in ben's clone it is untrusted again once pulled
    as_user("ann")
    sync(ann)
    (ann / "hooks" / "notify-won.sh").write_text(RECORDER + "echo changed >&2\n")
    git(ann, "commit", "-q", "-am", "hooks: change notify-won")
    sync(ann)
    as_user("ben")
    sync(ben)
    listed = json.loads(run("-w", ben, "hooks", "list", "--json").out)
    assert listed[0]["status"] == "changed"
    assert run("-w", ben, "deal", "reopen", "beta-app").code == 0
    again = run("-w", ben, "deal", "won", "beta-app")
    assert again.code == 0
    assert "not run: changed" in again.err
    assert len(runs(out)) == 1
    assert_healthy(ben)


def _documented_example() -> dict:
    text = DOCS.read_text()
    block = re.search(r"<!-- payload-example -->\s*```json\n(.*?)```", text, re.S)
    assert block, "docs/hooks.md lost its payload example"
    return json.loads(block.group(1))


def test_a_trusted_hook_receives_the_json_documented_in_docs_hooks_md(
    workspace, out, monkeypatch
) -> None:
    root = workspace.root
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:30:00+00:00")
    put(
        root,
        "seed",
        Deal(
            id="acme-website",
            title="Acme website",
            client="acme",
            pipeline="sales",
            stage="proposal",
            amount="5000",
            owner=None,
            created="2026-11-02T10:00:00+00:00",
            stage_history=[{"at": "2026-11-02T10:00:00+00:00", "stage": "proposal"}],
        ),
        create=True,
    )
    assert run("-w", root, "client", "add", "Acme").code == 0
    add_hook(root, "notify-won.sh", RECORDER, "{on: deal.won, run: hooks/notify-won.sh}")
    assert run("-w", root, "hooks", "trust").code == 0
    result = run("-w", root, "deal", "won", "acme-website", "--note", "signed today")
    assert result.code == 0, result.err
    [payload] = runs(out)
    expected = _documented_example()
    expected["workspace"] = str(root)
    expected["commit"] = git(root, "rev-parse", "HEAD").strip()
    assert payload == expected


def test_a_blocking_before_hook_refuses_the_change_with_nothing_written(workspace) -> None:
    root = workspace.root
    assert run("-w", root, "client", "add", "Acme").code == 0
    put(
        root,
        "seed",
        Deal(id="big", title="Big", client="acme", pipeline="sales", stage="lead", amount="9"),
        create=True,
    )
    script = '#!/bin/sh\necho "finance: no signed PO yet" >&2\necho more >&2\nexit 3\n'
    add_hook(root, "check.sh", script, "{on: before.deal.won, run: hooks/check.sh, blocking: true}")
    assert run("-w", root, "hooks", "trust", "hooks/check.sh").code == 0
    before, commits = snapshot(root), commit_count(root)
    result = run("-w", root, "deal", "won", "big")
    assert_refused(root, result, before, commits)
    assert result.err.strip() == (
        "tcrm: error: hook hooks/check.sh refused deal.won: finance: no signed PO yet"
    )
    assert status_clean(root)
    # untrusted, it does not run, so it refuses nothing (git never runs what it fetched)
    (root / ".tcrm" / "hooks-trust.json").unlink()
    assert run("-w", root, "deal", "won", "big").code == 0


def test_a_failing_after_hook_is_reported_and_keeps_the_change(workspace) -> None:
    root = workspace.root
    add_hook(
        root,
        "fail.sh",
        "#!/bin/sh\necho 'mail server down' >&2\nexit 1\n",
        "{on: client.added, run: hooks/fail.sh}",
    )
    assert run("-w", root, "hooks", "trust").code == 0
    commits = commit_count(root)
    result = run("-w", root, "client", "add", "Acme")
    assert result.code == 0
    assert commit_count(root) == commits + 1
    assert "hook hooks/fail.sh (client.added) failed: mail server down" in result.err


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie is dead, waiting for its parent


def test_a_hanging_hook_and_its_children_are_killed_at_the_timeout(workspace, tmp_path) -> None:
    root = workspace.root
    pids = tmp_path / "pids"
    script = f"#!/bin/sh\nsleep 300 &\necho $! > {pids}\nwait\n"
    add_hook(root, "hang.sh", script, "{on: client.added, run: hooks/hang.sh, timeout: 1}")
    assert run("-w", root, "hooks", "trust").code == 0
    result = run("-w", root, "client", "add", "Acme")
    assert result.code == 0
    assert "hook hooks/hang.sh (client.added) failed: timed out after 1 s; killed" in result.err
    assert (root / "clients" / "acme.yaml").is_file()
    child = int(pids.read_text())
    deadline = time.monotonic() + 5  # SIGKILL is delivered when the child is next scheduled
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the hook's child survived its process group's kill"
    assert status_clean(root)


def test_task_overdue_fires_once_per_task_per_day(workspace, out, monkeypatch) -> None:
    root = workspace.root
    add_hook(root, "late.sh", RECORDER, "{on: task.overdue, run: hooks/late.sh}")
    assert run("-w", root, "hooks", "trust").code == 0
    monkeypatch.setenv("TCRM_NOW", "2026-11-20T09:00:00+00:00")
    added = run("-w", root, "task", "add", "Call Acme", "--due", "2026-11-20")
    assert added.code == 0, added.err
    task_id = added.out.split()[-1]
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:00:00+00:00")
    assert run("-w", root, "remind").code == 0
    assert run("-w", root, "remind").code == 0
    assert [[r["id"] for r in p["records"]] for p in runs(out)] == [[task_id]]
    monkeypatch.setenv("TCRM_NOW", "2026-11-24T09:00:00+00:00")
    assert run("-w", root, "remind").code == 0
    assert len(runs(out)) == 2


def test_a_hook_outside_the_workspace_or_through_a_link_never_runs(
    workspace, tmp_path, out
) -> None:
    root = workspace.root
    before, commits = snapshot(root), commit_count(root)
    settings = root / "tcrm.yaml"
    original = settings.read_text()
    settings.write_text(original + "\nhooks:\n- {on: client.added, run: ../evil.sh}\n")
    result = run("-w", root, "client", "add", "Acme")
    assert result.code != 0
    assert "must be a path inside the workspace" in result.err
    settings.write_text(original)
    assert snapshot(root) == before and commit_count(root) == commits

    outside = tmp_path / "evil.sh"
    outside.write_text(RECORDER)
    outside.chmod(0o755)
    (root / "hooks").mkdir()
    os.symlink(outside, root / "hooks" / "x.sh")
    settings.write_text(original + "\nhooks:\n- {on: client.added, run: hooks/x.sh}\n")
    trust = run("-w", root, "hooks", "trust")
    assert trust.code == 2
    assert "symbolic link" in trust.err
    listed = json.loads(run("-w", root, "hooks", "list", "--json").out)
    assert listed[0]["status"] == "refused"
    assert run("-w", root, "client", "add", "Acme").code == 0
    assert runs(out) == []


def test_blocking_is_refused_on_an_after_event(workspace) -> None:
    root = workspace.root
    settings = root / "tcrm.yaml"
    settings.write_text(
        settings.read_text() + "\nhooks:\n- {on: deal.won, run: hooks/x.sh, blocking: true}\n"
    )
    result = run("-w", root, "check")
    assert result.code != 0
    assert "only before.* events may block" in result.out + result.err


def test_sync_merged_fires_with_the_records_the_sync_changed(team, out, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ben")
    add_hook(ben, "merged.sh", RECORDER, "{on: sync.merged, run: hooks/merged.sh}")
    assert run("-w", ben, "hooks", "trust").code == 0
    as_user("ann")
    assert run("-w", ann, "client", "add", "Gamma").code == 0
    sync(ann)
    as_user("ben")
    report = sync(ben)
    assert report["action"] == "merged"
    [payload] = runs(out)
    assert payload["event"] == "sync.merged"
    assert [(r["kind"], r["id"]) for r in payload["records"]] == [("client", "gamma")]


def test_an_import_fires_once_with_every_record_and_warns_once_when_untrusted(
    workspace, out, tmp_path
) -> None:
    root = workspace.root
    add_hook(root, "ok.sh", RECORDER, "{on: client.added, run: hooks/ok.sh}")
    csv = tmp_path / "clients.csv"
    csv.write_text("name\nAlpha\nBravo\nCharlie\n")
    untrusted = run("-w", root, "import", "csv", csv)
    assert untrusted.code == 0, untrusted.err
    assert runs(out) == []
    assert [line for line in untrusted.err.splitlines() if "hooks/ok.sh" in line] == [
        "tcrm: warning: hook hooks/ok.sh (client.added) not run: untrusted; read it, then "
        "run `tcrm hooks trust`"
    ]
    assert run("-w", root, "hooks", "trust").code == 0
    csv.write_text("name\nDelta\nEcho\n")
    assert run("-w", root, "import", "csv", csv).code == 0
    [payload] = runs(out)
    assert [r["id"] for r in payload["records"]] == ["delta", "echo"]
    assert payload["commit"] == git(root, "rev-parse", "HEAD").strip()
    assert subprocess.run(["git", "-C", str(root), "fsck"], capture_output=True).returncode == 0
