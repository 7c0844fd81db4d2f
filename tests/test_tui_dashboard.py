"""The dashboard (key 6): its figures are the CLI reports' figures, its keys work, it
follows the workspace; snapshots at 80x24 and 160x45. The sample workspace, a pinned
clock (2026-11-23 09:00, the CLI's TCRM_NOW), Textual's pilot and the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from tcrm.model.money import money_text
from tcrm.tui.screens.dashboard import DashboardScreen
from tcrm.tui.screens.help import HelpScreen
from tests.clitools import ROOT, commit_count, run
from tests.test_tui_pilot import drive, make_app, settle


def cli_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def dashboard_of(pilot: Pilot[Any]) -> DashboardScreen:
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen) and screen.data is not None
    return screen


def shown(screen: DashboardScreen, widget: str) -> str:
    return str(screen.query_one(f"#{widget}", Static).render())


def assert_same_as_the_cli(screen: DashboardScreen, member: str, period: str = "month") -> None:
    """Every report the screen holds is the CLI's ``--json`` of it, for that member."""
    held = json.loads(json.dumps(screen.figures()))
    for span in ("day", "week", "month"):
        expected = cli_json("report", "kpi", "--owner", member, "--period", span)
        assert held[f"kpi-{span}"] == expected, span
    assert held["forecast"] == cli_json("report", "forecast", "--owner", member)
    for name in ("winrate", "velocity"):
        assert held[name] == cli_json("report", name, "--owner", member, "--period", period)
    data = screen.data
    assert data is not None and data.member == member
    for report in data.pipelines:
        piped = cli_json("pipeline", report.pipeline_id, "--owner", member)
        assert [s.open.deals for s in report.stages] == [s["deals"] for s in piped["stages"]]
        assert [{c: format(v, "f") for c, v in s.open.weighted.items()} for s in report.stages] == [
            s["weighted"] for s in piped["stages"]
        ]
    today = cli_json("today", "--assignee", member)
    assert data.overdue_tasks == len(today["overdue"])
    assert [d.client.id for d in data.clients_due] == [c["id"] for c in today["clients_to_contact"]]


def test_the_figures_are_the_reports_figures_for_each_member(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("6")
        await settle(pilot)
        screen = dashboard_of(pilot)
        assert_same_as_the_cli(screen, "ann")  # the git identity is no member: the first
        forecast = cli_json("report", "forecast", "--owner", "ann")
        december = next(b for b in forecast["buckets"] if b["key"] == "2026-12")
        weighted = money_text(money(december["weighted"]["EUR"]), "EUR")
        assert weighted in shown(screen, "dash-forecast")  # next month, as shown
        winrate = cli_json("report", "winrate", "--owner", "ann")
        assert f"{winrate['win_rate']:.1f}%" in shown(screen, "dash-forecast")
        kpi = cli_json("report", "kpi", "--owner", "ann")["members"][0]
        work = shown(screen, "dash-work").splitlines()
        calls = next(line for line in work if line.startswith("call "))
        assert calls.split()[-1] == str(kpi["activities"]["call"])
        goals = shown(screen, "dash-goals")
        for goal in kpi["goals"]:
            assert f"{goal['percent']:.0f}%" in goals

        await pilot.press("m")  # ben, then chloe: the same reports for them
        await settle(pilot)
        assert_same_as_the_cli(dashboard_of(pilot), "ben")
        await pilot.press("m")
        await settle(pilot)
        screen = dashboard_of(pilot)
        assert_same_as_the_cli(screen, "chloe")
        assert screen.data is not None and len(screen.data.clients_due) == 2
        assert "Café Lumière" in shown(screen, "dash-forecast")
        await pilot.press("t")  # win rate and velocity of the quarter
        await settle(pilot)
        assert_same_as_the_cli(dashboard_of(pilot), "chloe", "quarter")

    drive(app, scenario)


def money(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


def test_the_member_and_period_keys_cycle_and_change_nothing(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("6")
        await settle(pilot)
        seen = [dashboard_of(pilot).member]
        for _ in range(3):
            await pilot.press("m")
            await settle(pilot)
            screen = dashboard_of(pilot)
            seen.append(screen.member)
            assert f"({screen.member})" in shown(screen, "dash-title")
        assert seen == ["ann", "ben", "chloe", "ann"]
        titles = [shown(dashboard_of(pilot), "dash-title")]
        for _ in range(4):
            await pilot.press("t")
            await settle(pilot)
            titles.append(shown(dashboard_of(pilot), "dash-title"))
        assert [t.rsplit(": ", 1)[1] for t in titles] == [
            "2026-11 (month)",
            "2026-Q4 (quarter)",
            "2026 (year)",
            "2026-W48 (week)",
            "2026-11 (month)",
        ]

    drive(app, scenario)
    assert commit_count(sample_ws) == commits


def test_the_palette_opens_it_and_help_lists_its_keys(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"go to dashboard", "enter")
        await settle(pilot)
        screen = dashboard_of(pilot)
        assert app.current_mode == "dashboard"
        await pilot.press("question_mark")
        await settle(pilot)
        overlay = app.screen
        assert isinstance(overlay, HelpScreen)
        keys = {h.binding_id: (h.keys, h.description) for h in overlay.screen_keys}
        assert keys["member"] == ("m", "Member") and keys["period"] == ("t", "Period")
        text = str(overlay.query_one("#help-screen", Static).render())
        assert "Member" in text and "Period" in text
        everywhere = {h.binding_id: h.keys for h in overlay.app_keys}
        assert everywhere["screen-dashboard"] == "6"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("escape")  # back where it was opened from
        await settle(pilot)
        assert app.current_mode == "today"

    drive(app, scenario)


def test_it_follows_changes_made_outside_and_f5(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    def calls_today(screen: DashboardScreen) -> int:
        row = screen.data.kpi("day") if screen.data else None
        assert row is not None
        return row.activities["call"]

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("6")
        await settle(pilot)
        screen = dashboard_of(pilot)
        assert calls_today(screen) == 0
        logged = run("log", "acme-logistics", "call: the new portal", "--author", "ann")
        assert logged.code == 0, logged.err
        app.tick()  # the app's watch: the fingerprint changed, everything reloads
        await settle(pilot)
        assert calls_today(screen) == 1
        assert_same_as_the_cli(screen, "ann")
        again = run("log", "acme-logistics", "call: and again", "--author", "ann")
        assert again.code == 0, again.err
        await pilot.press("f5")
        await settle(pilot)
        assert calls_today(screen) == 2
        calls = shown(screen, "dash-work").splitlines()[1].split()
        assert calls[:2] == ["call", "2"]  # today's column

    drive(app, scenario)


def test_a_member_removed_from_the_team_falls_back_to_the_default(
    sample_ws: Path,
) -> None:
    app = make_app(sample_ws)
    settings = sample_ws / "tcrm.yaml"
    text = settings.read_text(encoding="utf-8")

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("6", "m")  # m before the first load is done: still the next one
        await settle(pilot)
        assert dashboard_of(pilot).member == "ben"
        ben = text.index("- id: ben\n")
        without_ben = text[:ben] + text[text.index("- id: chloe\n") :]
        assert without_ben != text
        settings.write_text(without_ben, encoding="utf-8")
        await pilot.press("f5")
        await settle(pilot)
        screen = dashboard_of(pilot)
        assert screen.member == "ann" and "(ann)" in shown(screen, "dash-title")

    drive(app, scenario)


def test_today_does_not_pay_for_the_dashboard(sample_ws: Path) -> None:
    """The dashboard and the report engine load when the dashboard is first shown."""
    code = (
        "import sys; import tcrm.tui.app; "
        "print(sorted(m for m in sys.modules if m.startswith(("
        "'tcrm.reports', 'tcrm.services.dashboard', 'tcrm.tui.screens.dashboard'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]"
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        assert not any(isinstance(s, DashboardScreen) for s in app.screen_stack)
        assert "DashboardScreen" not in [type(s).__name__ for s in app.data_screens()]

    drive(app, scenario)


def test_a_hostile_member_name_is_shown_escaped(sample_ws: Path) -> None:
    settings = sample_ws / "tcrm.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("name: Ann Becker", 'name: "Ann \\e[31mRed\\u202e"'), encoding="utf-8"
    )
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("6")
        await settle(pilot)
        title = shown(dashboard_of(pilot), "dash-title")
        assert "\x1b" not in title and "\u202e" not in title
        assert "Ann" in title and "Red" in title

    drive(app, scenario)


# --- snapshots ---------------------------------------------------------------------------


def _snap(snap_compare: Any, root: Path, size: tuple[int, int], *keys: str) -> bool:
    app = make_app(root)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        app.clear_notifications()
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=size, run_before=run_before))


def test_snapshot_80x24(snap_compare: Any, sample_ws: Path) -> None:
    assert _snap(snap_compare, sample_ws, (80, 24), "6")


def test_snapshot_160x45_chloe(snap_compare: Any, sample_ws: Path) -> None:
    assert _snap(snap_compare, sample_ws, (160, 45), "6", "m", "m")
