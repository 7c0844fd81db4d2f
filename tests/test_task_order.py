"""Within a day, all-day tasks come first, then the timed ones by time (issue 22).

An all-day task used to sort as if due at 09:00 (the moment reminders use), so it sat
between an 08:00 and a 14:00 call. The CLI's lists and the TUI's Today and Tasks screens
share one order, checked here on the same three tasks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tcrm.tui.screens.tasks import TasksScreen
from tcrm.tui.widgets.section_table import SectionTable
from tests.clitools import run
from tests.test_tui_pilot import drive, make_app, settle

TITLES = ("Early call 08:00", "All-day paperwork", "Afternoon call 14:00")
WANTED = ["All-day paperwork", "Early call 08:00", "Afternoon call 14:00"]


def _add_tomorrow(root: Path) -> None:
    """Three tasks due tomorrow (Tue 24 Nov 2026), added in the order that used to show."""
    for title, due in zip(TITLES, ("tomorrow 08:00", "tomorrow", "tomorrow 14:00"), strict=True):
        result = run("task", "add", title, "--due", due)
        assert result.code == 0, result.err


def _ours(titles: list[str]) -> list[str]:
    return [t for t in titles if t in TITLES]


def test_cli_task_list_puts_all_day_first_then_by_time(sample_ws: Path) -> None:
    _add_tomorrow(sample_ws)
    result = run("task", "list", "--json")
    assert result.code == 0, result.err
    assert _ours([t["title"] for t in json.loads(result.out)]) == WANTED
    shown = run("task", "list")
    lines = [line for line in shown.out.splitlines() if any(t in line for t in TITLES)]
    assert [next(t for t in TITLES if t in line) for line in lines] == WANTED


def _section_titles(table: SectionTable, section: str) -> list[str]:
    found = next(s for s in table.sections if s.id == section)
    return [row.target.label for row in found.rows]


def test_today_screen_and_tasks_screen_use_the_same_order(sample_ws: Path) -> None:
    _add_tomorrow(sample_ws)
    app = make_app(sample_ws)
    seen: dict[str, list[str]] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        table = app.screen.query_one(SectionTable)
        seen["today"] = _ours(_section_titles(table, "upcoming"))
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, TasksScreen)
        seen["tasks"] = _ours(_section_titles(app.screen.query_one(SectionTable), "2026-11-24"))

    drive(app, scenario)
    assert seen == {"today": WANTED, "tasks": WANTED}
