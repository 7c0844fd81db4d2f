"""Snapshots of every screen (pytest-textual-snapshot) at 80x24 and 160x45, the sizes a
person tries first, on a fixed clock.

The sample workspace's "now" is 2026-11-23 09:00 (TCRM_NOW); its only commit is dated
to a fixed moment so the client card's history is the same on every run. Regenerate
after a deliberate change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and read the diff (``snapshot_report.html``) before committing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from tcrm.tui.app import TcrmApp
from tcrm.tui.widgets.board import CardList
from tests.clitools import as_sample, copy_workspace
from tests.test_tui_pilot import make_app, settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]
"""Every snapshot at both: the smallest terminal tcrm supports, and a big one."""
FIXED_DATE = "2026-11-01T10:00:00+01:00"
SAMPLE_IDENTITY = {
    "GIT_AUTHOR_NAME": "Ann Tester",
    "GIT_AUTHOR_EMAIL": "ann@example.com",
    "GIT_COMMITTER_NAME": "Ann Tester",
    "GIT_COMMITTER_EMAIL": "ann@example.com",
}
"""Who the sample's commits are by (``as_sample``): the amended commit keeps its id."""


@pytest.fixture(scope="session")
def _snapshot_template(_sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with its first commit at a fixed date (the card's history),
    amended once per session: each test gets a copy."""
    root = copy_workspace(_sample_template, tmp_path_factory.mktemp("snapshot-template") / "ws")
    env = {**os.environ, **SAMPLE_IDENTITY, "GIT_COMMITTER_DATE": FIXED_DATE}
    subprocess.run(
        ["git", "-C", str(root), "commit", "--amend", "--no-edit", "--date", FIXED_DATE],
        check=True,
        capture_output=True,
        env=env,
    )
    return root


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _snapshot_template: Path) -> Path:
    """A copy of the snapshot template, with the sample's fixed clock and identity."""
    return as_sample(monkeypatch, copy_workspace(_snapshot_template, tmp_path / "ws"))


def snap(
    snap_compare: Any, app: TcrmApp, size: tuple[int, int], *keys: str, then: Any = None
) -> bool:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if then is not None:
            await then(pilot)
            await settle(pilot)
        app.clear_notifications()
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=size, run_before=run_before))


@pytest.mark.parametrize("size", SIZES)
def test_today(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size)


@pytest.mark.parametrize("size", SIZES)
def test_today_filtered(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "slash", *"acme")


@pytest.mark.parametrize("size", SIZES)
def test_pipeline(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "2")


def test_pipeline_80x24_light(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws, theme="textual-light"), (80, 24), "2")


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_refused_move(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    async def refuse(pilot: Pilot[Any]) -> None:
        lead = pilot.app.screen.query_one("#cards-lead", CardList)
        lead.focus()
        lead.select_deal("pixelforge-community-website")
        await pilot.press("right_square_bracket")  # to qualified
        await settle(pilot)
        await pilot.press("right_square_bracket")  # proposal needs an amount: refused

    assert snap(snap_compare, make_app(ws), size, "2", then=refuse)


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_lost_reason_dialog(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "2", "x", "down")


@pytest.mark.parametrize("size", SIZES)
def test_clients(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "3")


@pytest.mark.parametrize("size", SIZES)
def test_clients_filtered(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "3", "slash", "g", "m", "b", "h")


@pytest.mark.parametrize("size", SIZES)
def test_client_card(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    async def open_card(pilot: Pilot[Any]) -> None:
        pilot.app.open_client("acme-logistics")

    assert snap(snap_compare, make_app(ws), size, then=open_card)


@pytest.mark.parametrize("size", SIZES)
def test_tasks_agenda(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "4")


@pytest.mark.parametrize("size", SIZES)
def test_tasks_agenda_for_one_assignee(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "4", "a", "a")


@pytest.mark.parametrize("size", SIZES)
def test_knowledge_base(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "5")


@pytest.mark.parametrize("size", SIZES)
def test_knowledge_base_search(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "5", "slash", *"budget")


@pytest.mark.parametrize("size", SIZES)
def test_client_form_with_an_invalid_email(
    snap_compare: Any, ws: Path, size: tuple[int, int]
) -> None:
    async def fill(pilot: Pilot[Any]) -> None:
        for selector, text in (("#field-name", "Nordwind Labs"), ("#field-emails", "hello@")):
            pilot.app.screen.query_one(selector).focus()
            await pilot.press(*text)
        pilot.app.screen.query_one("#field-status", Select).value = "lead"

    assert snap(snap_compare, make_app(ws), size, "3", "n", then=fill)


@pytest.mark.parametrize("size", SIZES)
def test_log_call_form(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "c")


@pytest.mark.parametrize("size", SIZES)
def test_reschedule_dialog(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "r")


@pytest.mark.parametrize("size", SIZES)
def test_undo_dialog(
    snap_compare: Any, ws: Path, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``d`` on the first task, then ``u``: the diff of the undo, before it is made. The
    dialog names the commit by its id, which holds the commit's time: the wall clock is
    pinned (to the sample's "now") so the id is the same on every run."""
    monkeypatch.setattr("time.time", lambda: 1795420800.0)  # 2026-11-23 08:00 UTC
    assert snap(snap_compare, make_app(ws), size, "d", "u")


@pytest.mark.parametrize("size", SIZES)
def test_help_overlay_on_today(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "question_mark")


@pytest.mark.parametrize("size", SIZES)
def test_help_overlay_on_the_board(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "2", "question_mark")


async def _typed_search(pilot: Pilot[Any]) -> None:
    await pilot.pause(0.3)  # the search waits for typing to pause


@pytest.mark.parametrize("size", SIZES)
def test_search_everything(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "g", *"acme", then=_typed_search)
