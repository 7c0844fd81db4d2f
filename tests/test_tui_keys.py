"""Keys the same on every screen: ``q``, Escape's way back, ``/`` filters and the user's
keymap file, driven with Textual's pilot on a copy of the sample workspace. Every key of
every screen in the help overlay, and doing what it says: tests/test_tui_every_key.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tcrm.tui.keymap import load_keymap
from tcrm.tui.screens.client_card import ClientCardScreen
from tcrm.tui.screens.clients import ClientsScreen
from tcrm.tui.screens.help import HelpScreen, key_help
from tcrm.tui.screens.pipeline import PipelineScreen
from tcrm.tui.screens.tasks import TasksScreen
from tcrm.tui.screens.today import TodayScreen
from tcrm.tui.widgets.filter_bar import FilterBar
from tests.clitools import commit_count
from tests.test_tui_pilot import drive, make_app, notifications, settle, table_of


def test_escape_goes_back_where_you_came_from(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert table_of(app).select_target("client", "cafe-lumiere")
        await pilot.press("o")  # the card, opened from Today
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)  # not the Clients list
        await pilot.press("2", "4")
        await settle(pilot)
        assert isinstance(app.screen, TasksScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("3", "enter")  # a card opened from Clients goes back to it
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        await pilot.press("q")  # q on a sub-screen goes back too
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert app.is_running
        await pilot.press("q")  # and quits from a screen of the nav bar
        await pilot.pause()
        assert not app.is_running

    drive(app, scenario)


def test_slash_filters_a_list_and_letters_typed_there_are_not_keys(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        table = table_of(app)
        everything = len(table.targets)
        await pilot.press("slash", *"dsr brightwater")  # d, s, r: not done/snooze/resched.
        await settle(pilot)
        bar = app.screen.query_one(FilterBar)
        assert bar.value == "dsr brightwater"
        assert table.row_count and not any(
            line.selectable for line in table.lines
        )  # no task holds "dsr"
        bar.value = "brightwater"
        await settle(pilot)
        rows = [line for line in table.lines if line.selectable]
        assert rows and len(rows) < everything
        assert all("brightwater" in " ".join(line.cells).casefold() for line in rows)
        await pilot.press("enter")  # keeps the filter, back on the list
        await settle(pilot)
        assert app.screen.focused is table and bar.value == "brightwater"
        await pilot.press("escape")  # clears it, stays on Today
        await settle(pilot)
        assert bar.value == "" and isinstance(app.screen, TodayScreen)
        assert len([line for line in table.lines if line.selectable]) == everything

    drive(app, scenario)
    assert commit_count(sample_ws) == commits  # no letter acted on a task


def test_the_clients_list_filters_only_after_slash(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await settle(pilot)
        field = app.screen.query_one("#client-filter", Input)
        await pilot.press("c")  # log a call, not a letter of the filter
        await settle(pilot)
        assert field.value == ""
        assert type(app.screen).__name__ == "ActivityForm"

    drive(app, scenario)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_keymap_file_rebinds_an_id_on_every_screen(sample_ws: Path, tmp_path: Path) -> None:
    keymap = write(tmp_path / "cfg" / "tcrm" / "keymap.yaml", "done: ctrl+d\nfilter: f\n")
    app = make_app(sample_ws, keymap=keymap)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("d")  # no longer done
        await settle(pilot)
        assert commit_count(sample_ws) == commits
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert commit_count(sample_ws) == commits + 1
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        keys = {h.binding_id: h.keys for h in app.screen.screen_keys}
        assert keys["done"] == "ctrl+d" and keys["filter"] == "f"
        await pilot.press("escape", "4", "f")  # the same id on another screen
        await settle(pilot)
        assert app.screen.focused is app.screen.query_one(FilterBar)

    drive(app, scenario)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("done: d\nfilter: [x\n", ": not valid YAML"),
        ("- done\n", "must map binding ids to keys"),
        ("finish: ctrl+d\n", "finish: no such binding id"),
        ("done: 'ctrl d'\n", "done: 'ctrl d' is not a key name"),
        ("done: 3\n", "done: 3 is not a key name"),
        ("done: \x1b[31mred\n", "not"),
    ],
)
def test_a_bad_keymap_file_is_one_notice_and_the_defaults(
    sample_ws: Path, tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path / "keymap.yaml", text)
    loaded = load_keymap(path)
    assert loaded.keys == {}
    assert loaded.problem is not None and problem in loaded.problem
    assert "\x1b" not in loaded.problem and loaded.problem.endswith("using the default keys")
    app = make_app(sample_ws, keymap=path)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        notes = notifications(app)  # every one shown: a loaded machine outlasts its timeout
        assert len(notes) == 1 and problem in notes[0]
        await pilot.press("d")  # the default key still works
        await settle(pilot)

    drive(app, scenario)
    assert commit_count(sample_ws) == commits + 1


def test_no_keymap_file_is_no_notice(tmp_path: Path) -> None:
    assert load_keymap(tmp_path / "absent.yaml").problem is None


def test_help_lines_follow_the_bindings() -> None:
    """The overlay is read from bindings: a screen's keys, with the keymap applied."""

    class Probe(TodayScreen):
        pass

    rows = {h.binding_id: h for h in key_help(Probe(), {"snooze": "z"})}
    assert rows["snooze"].keys == "z" and rows["snooze"].description == "Snooze"
    assert rows["done"].keys == "d"
    assert rows["filter"].keys == "/"
