"""A read that leaves out an unreadable record says so (issue 17, item 3).

On stderr, in one form: ``tcrm: warning: 1 record could not be read (clients/x.yaml:3);
see tcrm check``; ``--json`` output is unchanged; the TUI shows a banner.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from textual.widgets import Static

from tcrm.ics.server import FeedCache
from tcrm.services.calendar import FeedOptions
from tcrm.store.workspace import Workspace
from tcrm.tui.app import TcrmApp
from tcrm.tui.screens.base import DataScreen
from tests.clitools import NOW, run

BROKEN = {
    # kind -> (path, text whose line 3 is wrong for the model)
    "client": ("clients/zz-broken.yaml", "name: Broken Co\nstatus: active\ntype: spaceship\n"),
    "deal": (
        "deals/zz-broken-deal.yaml",
        "title: Broken deal\nclient: acme-logistics\namount: lots\npipeline: sales\nstage: lead\n",
    ),
    "task": ("tasks/tzzbroke.yaml", "title: Broken by hand\nstatus: open\ndue: not a date\n"),
    "activity": (
        "activities/2026/azzbroke.yaml",
        "summary: Broken\nkind: call\nat: yesterday-ish\nclients: [acme-logistics]\n",
    ),
}


def _break(root: Path, kind: str) -> str:
    rel, text = BROKEN[kind]
    (root / rel).write_text(text, encoding="utf-8")
    return f"tcrm: warning: 1 record could not be read ({rel}:3); see tcrm check"


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("tcrm: warning:")]


READS = [
    # (the command, the kind of record it reads that is broken)
    (("client", "list"), "client"),
    (("client", "list"), "deal"),  # its open deal counts
    (("deal", "list"), "deal"),
    (("task", "list"), "task"),
    (("activity", "list"), "activity"),
    (("today",), "task"),
    (("today",), "client"),
    (("search", "acme"), "client"),
    (("search", "acme"), "deal"),
    (("client", "show", "acme-logistics"), "deal"),
    (("client", "show", "acme-logistics"), "task"),
    (("deal", "show", "acme-logistics-website-relaunch"), "task"),
    (("pipeline",), "deal"),
    (("report", "forecast"), "deal"),
    (("report", "funnel"), "deal"),
]


@pytest.mark.parametrize(("command", "kind"), READS, ids=[f"{' '.join(c)} ({k})" for c, k in READS])
def test_a_read_that_skips_a_broken_record_says_so(
    sample_ws: Path, command: tuple[str, ...], kind: str
) -> None:
    clean = run(*command, "--json")
    assert clean.code == 0, clean.err
    assert _warnings(clean.err) == []
    warning = _break(sample_ws, kind)
    result = run(*command, "--json")
    assert result.code == 0, result.err
    assert _warnings(result.err) == [warning]
    assert result.out == clean.out  # --json: nothing more on stdout
    text = run(*command)
    assert text.code == 0, text.err
    assert _warnings(text.err) == [warning]
    assert warning not in text.out


def test_ics_export_says_so(sample_ws: Path, tmp_path: Path) -> None:
    clean = run("ics", "export", "-o", tmp_path / "a.ics")
    assert clean.code == 0, clean.err
    warning = _break(sample_ws, "task")
    result = run("ics", "export", "-o", tmp_path / "b.ics")
    assert result.code == 0, result.err
    assert _warnings(result.err) == [warning]


def test_ics_serve_says_so_once_per_feed(sample_ws: Path, capsys: pytest.CaptureFixture) -> None:
    warning = _break(sample_ws, "task")
    cache = FeedCache(sample_ws, FeedOptions())
    assert cache.get(None) is not None
    assert cache.get(None) is not None  # the same feed again: said once
    assert _warnings(capsys.readouterr().err) == [warning]


def test_html_report_says_so(sample_ws: Path, tmp_path: Path) -> None:
    warning = _break(sample_ws, "deal")
    result = run("report", "all", "-o", tmp_path / "r.html")
    assert result.code == 0, result.err
    assert _warnings(result.err) == [warning]


def test_several_broken_records_name_a_few(sample_ws: Path) -> None:
    for kind in BROKEN:
        _break(sample_ws, kind)
    (sample_ws / "clients" / "zz-bad-yaml.yaml").write_text(
        "name: Bad yaml\ntype: company\ntags: [a, b\n", encoding="utf-8"
    )
    result = run("today", "--json")
    assert result.code == 0, result.err
    (line,) = _warnings(result.err)
    assert line.startswith("tcrm: warning: ")
    assert line.endswith("; see tcrm check")
    # today reads tasks, deals, clients and activities: every broken file of them
    assert " 5 records could not be read (" in line
    assert line.count(".yaml:") == 3 and "..." in line


def test_without_the_index_too(sample_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TCRM_INDEX", "off")
    warning = _break(sample_ws, "client")
    result = run("client", "list", "--json")
    assert result.code == 0, result.err
    assert _warnings(result.err) == [warning]


def test_tui_shows_a_banner(sample_ws: Path) -> None:
    _break(sample_ws, "task")
    fixed = datetime.fromisoformat(NOW)
    app = TcrmApp(Workspace.open(sample_ws), clock=lambda: fixed, quiet=True, poll_seconds=None)
    banners: list[str] = []

    async def main() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(100):
                await app.workers.wait_for_complete()
                await pilot.pause()
                screen = app.screen
                if (
                    isinstance(screen, DataScreen)
                    and screen.loads
                    and screen.query("#skipped-banner")
                ):
                    break
            banner = app.screen.query_one("#skipped-banner", Static)
            banners.append(str(banner.render()))
            assert banner.region.height >= 1  # on screen, not just mounted
            # the broken file repaired by hand: after a reload the banner is gone
            rel, _ = BROKEN["task"]
            (sample_ws / rel).unlink()
            await pilot.press("f5")
            for _ in range(100):
                await app.workers.wait_for_complete()
                await pilot.pause()
                if not app.screen.query("#skipped-banner"):
                    break
            assert not app.screen.query("#skipped-banner")

    asyncio.run(main())
    assert banners == [
        "Warning: 1 record could not be read (tasks/tzzbroke.yaml:3); see tcrm check"
    ]
