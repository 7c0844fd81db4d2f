"""Snapshots of every screen (pytest-textual-snapshot), at fixed sizes and a fixed clock.

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
from tests.clitools import sample_ws
from tests.test_tui_pilot import make_app, settle

__all__ = ["sample_ws"]

WIDE = (100, 30)
SMALL = (80, 24)
LARGE = (160, 45)
FIXED_DATE = "2026-11-01T10:00:00+01:00"


@pytest.fixture
def ws(sample_ws: Path) -> Path:
    """The sample workspace with its first commit at a fixed date (the card's history)."""
    env = {**os.environ, "GIT_COMMITTER_DATE": FIXED_DATE}
    subprocess.run(
        ["git", "-C", str(sample_ws), "commit", "--amend", "--no-edit", "--date", FIXED_DATE],
        check=True,
        capture_output=True,
        env=env,
    )
    return sample_ws


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


def test_today(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), WIDE)


def test_today_80x24(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), SMALL)


def test_pipeline(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), WIDE, "2")


def test_pipeline_80x24_light(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws, theme="textual-light"), SMALL, "2")


def test_pipeline_refused_move(snap_compare: Any, ws: Path) -> None:
    async def refuse(pilot: Pilot[Any]) -> None:
        lead = pilot.app.screen.query_one("#cards-lead", CardList)
        lead.focus()
        lead.select_deal("pixelforge-community-website")
        await pilot.press("right_square_bracket")  # to qualified
        await settle(pilot)
        await pilot.press("right_square_bracket")  # proposal needs an amount: refused

    assert snap(snap_compare, make_app(ws), WIDE, "2", then=refuse)


def test_pipeline_lost_reason_dialog(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), WIDE, "2", "x", "down")


def test_clients(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), WIDE, "3")


def test_clients_filtered_80x24(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), SMALL, "3", "slash", "g", "m", "b", "h")


def test_client_card(snap_compare: Any, ws: Path) -> None:
    async def open_card(pilot: Pilot[Any]) -> None:
        pilot.app.open_client("acme-logistics")

    assert snap(snap_compare, make_app(ws), WIDE, then=open_card)


def test_client_card_80x24(snap_compare: Any, ws: Path) -> None:
    async def open_card(pilot: Pilot[Any]) -> None:
        pilot.app.open_client("cafe-lumiere")

    assert snap(snap_compare, make_app(ws), SMALL, then=open_card)


def test_tasks_agenda(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), WIDE, "4")


def test_tasks_agenda_for_one_assignee_80x24(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), SMALL, "4", "a", "a")


def test_knowledge_base(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), WIDE, "5")


def test_knowledge_base_search(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), SMALL, "5", "slash", *"budget")


def test_client_form_with_an_invalid_email(snap_compare: Any, ws: Path) -> None:
    async def fill(pilot: Pilot[Any]) -> None:
        for selector, text in (("#field-name", "Nordwind Labs"), ("#field-emails", "hello@")):
            pilot.app.screen.query_one(selector).focus()
            await pilot.press(*text)
        pilot.app.screen.query_one("#field-status", Select).value = "lead"

    assert snap(snap_compare, make_app(ws), WIDE, "3", "n", then=fill)


def test_log_call_form_80x24(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), SMALL, "c")


def test_reschedule_dialog(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), WIDE, "r")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x45"])
def test_help_overlay_on_today(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "question_mark")


def test_help_overlay_on_the_board(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), LARGE, "2", "question_mark")


def test_today_filtered_80x24(snap_compare: Any, ws: Path) -> None:
    assert snap(snap_compare, make_app(ws), SMALL, "slash", *"acme")


async def _typed_search(pilot: Pilot[Any]) -> None:
    await pilot.pause(0.3)  # the search waits for typing to pause


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x45"])
def test_search_everything(snap_compare: Any, ws: Path, size: tuple[int, int]) -> None:
    assert snap(snap_compare, make_app(ws), size, "g", *"acme", then=_typed_search)
