"""Undo and redo in the TUI (``u``, ``U``): the diff first, then ``tcrm undo``'s commit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tcrm.tui.screens.undo import UndoDialog
from tests.clitools import commit_count, git, run, snapshot, status_clean
from tests.test_tui_pilot import drive, load, make_app, notifications, settle, subject, table_of

TASK = "tchj4hab"
"""The first overdue task on Today (a discovery call)."""


def test_undo_shows_the_diff_then_reverts_done_and_redo_makes_it_again(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)
    path = sample_ws / "tasks" / f"{TASK}.yaml"
    seen: dict[str, Any] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert table_of(app).target.id == TASK
        await pilot.press("d")
        await settle(pilot)
        assert load(path)["status"] == "done"
        done_files = snapshot(sample_ws)
        await pilot.press("u")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, UndoDialog)
        seen["lines"] = dialog.lines
        seen["undone"] = dialog.result.undone.id
        await pilot.press("n")  # no: nothing changes
        await settle(pilot)
        assert not isinstance(app.screen, UndoDialog)
        assert snapshot(sample_ws) == done_files
        assert commit_count(sample_ws) == commits + 1
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UndoDialog)
        await pilot.press("y")
        await settle(pilot)
        assert load(path)["status"] == "open"
        assert ("overdue", TASK) in {(s, i) for s, _, i in _rows(app)}  # back on Today
        seen["undo_subject"] = subject(sample_ws)
        await pilot.press("U")  # redo: the diff again, the other way
        await settle(pilot)
        assert isinstance(app.screen, UndoDialog)
        seen["redo_lines"] = app.screen.lines
        await pilot.press("enter")
        await settle(pilot)
        assert load(path)["status"] == "done"
        await pilot.press("u")  # undoes the redo
        await settle(pilot)
        assert isinstance(app.screen, UndoDialog)
        await pilot.press("y")
        await settle(pilot)
        assert load(path)["status"] == "open"
        await pilot.press("U")  # nothing else was changed: the redo stack still works
        await settle(pilot)
        assert isinstance(app.screen, UndoDialog)
        await pilot.press("escape")
        await settle(pilot)

    drive(app, scenario)
    lines = seen["lines"]
    assert f"tasks/{TASK}.yaml: status: done → open" in lines
    assert any(line.startswith(f"tasks/{TASK}.yaml: completed: ") for line in lines)
    assert f"tasks/{TASK}.yaml: status: open → done" in seen["redo_lines"]
    assert seen["undo_subject"] == f"task {TASK}: undo done"
    assert commit_count(sample_ws) == commits + 4
    log = git(sample_ws, "log", "--format=%s", "-4").splitlines()
    assert log[0].startswith(f"task {TASK}: undo undo") and log[3] == f"task {TASK}: done"
    body = git(sample_ws, "log", "--format=%B", "-1", "HEAD~2")
    assert f"This reverts commit {seen['undone']}" in body
    git(sample_ws, "fsck", "--strict")
    assert status_clean(sample_ws)


def test_the_diff_is_what_tcrm_undo_dry_run_says(sample_ws: Path) -> None:
    """The dialog's lines are the CLI's ``--dry-run --json`` changes, field by field."""
    run("task", "done", TASK)
    cli = json.loads(run("undo", "--dry-run", "--json").out)
    app = make_app(sample_ws)
    seen: list[str] = []

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UndoDialog)
        assert app.screen.result.undone.id == cli["undone"]["commit"]
        seen.extend(app.screen.lines)

    drive(app, scenario)
    fields = [(f["path"], c["field"]) for f in cli["files"] for c in f["changes"]]
    assert [(line.split(": ", 2)[0], line.split(": ", 2)[1]) for line in seen] == fields


def test_nothing_to_undo_is_one_notice_and_no_commit(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert not isinstance(app.screen, UndoDialog)
        assert any("nothing to undo" in n for n in notifications(app))
        await pilot.press("U")
        await settle(pilot)
        assert any("Nothing to redo" in n for n in notifications(app))

    drive(app, scenario)
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


def test_a_new_change_forgets_what_redo_would_make(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert len(app.undos) == 1
        await pilot.press("s")  # snooze: a new change
        await settle(pilot)
        assert app.undos == []
        await pilot.press("U")
        await settle(pilot)
        assert not isinstance(app.screen, UndoDialog)

    drive(app, scenario)


def _rows(app: Any) -> list[tuple[str, str, str]]:
    return [tuple(key.split(":", 2)) for key in table_of(app).targets]  # type: ignore[misc]
