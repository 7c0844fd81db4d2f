"""Sync from the TUI (``P`` and the palette's "Sync with remote") over a real bare remote
and real clones: the same service as ``tcrm sync``, its steps on the nav bar, the result
in one line, every screen reloaded; errors in one line with nothing changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from tcrm.model.records import Client
from tcrm.services.setup import init_workspace
from tcrm.tui.commands import commands
from tcrm.tui.screens.clients import ClientsScreen
from tcrm.tui.widgets.nav import NavBar
from tests.clitools import commit_count, git, run, snapshot
from tests.servers import HttpServer
from tests.teamtools import assert_healthy, edit, put, sync
from tests.test_remotes_real import _store_credentials, git_credentials
from tests.test_tui_pilot import drive, make_app, notifications, settle

__all__ = ["git_credentials"]  # fixtures from another test module, imported for pytest


def record_steps(app: Any) -> list[str | None]:
    """Every step the app's syncer shows, in order (``None``: the sync ended)."""
    steps: list[str | None] = []
    show = app.syncer._set_step

    def recording(step: str | None) -> None:
        steps.append(step)
        show(step)

    app.syncer._set_step = recording
    return steps


def nav_text(app: Any) -> str:
    return str(app.screen.query_one(NavBar).render())


def head(root: Path, ref: str = "HEAD") -> str:
    return git(root, "rev-parse", ref).strip()


def test_p_pulls_a_teammates_change_and_the_screens_show_it(team: dict[str, Path], as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    put(ann, "client gamma: add", Client(id="gamma", name="Gamma Labs"), create=True)
    sync(ann)
    as_user("ben")
    app = make_app(ben)
    steps = record_steps(app)
    seen: dict[str, Any] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        seen["before"] = [e.summary.client.id for e in screen.entries]
        await pilot.press("P")
        await settle(pilot)
        assert app.screen is screen
        seen["after"] = [e.summary.client.id for e in screen.entries]
        seen["nav"] = nav_text(app)

    drive(app, scenario)
    assert "gamma" not in seen["before"]
    assert "gamma" in seen["after"]  # the screen reloaded what the sync brought
    assert app.syncer.results == ["Pulled 1 commit from origin/main (1 file changed)."]
    assert "Pulled 1 commit from origin/main (1 file changed)." in notifications(app)
    assert steps == ["starting", "fetching", "merging", None]
    assert "sync:" not in seen["nav"] and "2026" in seen["nav"]  # the clock is back
    assert head(ben) == head(ann)
    assert_healthy(ben)


def test_a_second_p_while_syncing_does_nothing_and_the_nav_bar_says_so(
    team: dict[str, Path], as_user
) -> None:
    ben, remote = team["ben"], team["remote"]
    as_user("ben")
    edit(ben, "client", "beta", "client beta: set status", status="active")
    app = make_app(ben)
    steps = record_steps(app)
    seen: dict[str, Any] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        with app._write_lock:  # the sync's worker waits here: it is still running
            await pilot.press("P")
            await pilot.pause()
            assert app.syncer.running
            seen["nav"] = nav_text(app)
            await pilot.press("P")  # ignored
            await pilot.pause()
        await settle(pilot)
        seen["after"] = nav_text(app)

    drive(app, scenario)
    assert "⟳ sync: starting…" in seen["nav"]
    assert "sync:" not in seen["after"]
    assert steps == ["starting", "fetching", "pushing", None]  # one sync, not two
    assert app.syncer.results == ["Pushed 1 commit to origin/main."]
    assert head(remote, "main") == head(ben)
    assert_healthy(ben)


def test_the_palette_command_syncs(team: dict[str, Path], as_user) -> None:
    ben = team["ben"]
    as_user("ben")
    app = make_app(ben)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert any(c.title == "Sync with remote" for c in commands(app, app.screen))
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"sync with remote")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    drive(app, scenario)
    assert app.syncer.results == ["Up to date with origin/main."]


def test_no_remote_is_one_line_and_changes_nothing(workspace: Any) -> None:
    root = workspace.root
    before, commits = snapshot(root), commit_count(root)
    app = make_app(root)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        assert not app.syncer.running

    drive(app, scenario)
    [line] = app.syncer.results
    assert "no remote 'origin'" in line and "\n" not in line
    assert notifications(app).count(line) == 1
    assert snapshot(root) == before
    assert commit_count(root) == commits


def test_an_unreachable_remote_is_one_line_and_changes_nothing(
    team: dict[str, Path], as_user, tmp_path: Path
) -> None:
    ben = team["ben"]
    as_user("ben")
    edit(ben, "client", "beta", "client beta: set status", status="active")
    git(ben, "remote", "set-url", "origin", str(tmp_path / "nowhere"))
    before, commits, tracking = snapshot(ben), commit_count(ben), head(ben, "origin/main")
    app = make_app(ben)
    seen: dict[str, str] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        seen["nav"] = nav_text(app)

    drive(app, scenario)
    [line] = app.syncer.results
    assert "cannot reach remote 'origin'" in line and "nothing was changed locally" in line
    assert "\n" not in line
    assert notifications(app).count(line) == 1
    assert "sync:" not in seen["nav"]
    assert snapshot(ben) == before
    assert commit_count(ben) == commits
    assert head(ben, "origin/main") == tracking


def test_uncommitted_changes_are_refused_before_anything_happens(
    team: dict[str, Path], as_user
) -> None:
    ben = team["ben"]
    as_user("ben")
    path = ben / "clients/beta.yaml"
    path.write_text(path.read_text() + "notes: typed by hand\n")  # not committed
    before, commits = snapshot(ben), commit_count(ben)
    app = make_app(ben)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)

    drive(app, scenario)
    [line] = app.syncer.results
    assert line.startswith("clients/beta.yaml has uncommitted changes"), line
    assert snapshot(ben) == before
    assert commit_count(ben) == commits


def test_refused_credentials_are_one_line_and_change_nothing(
    tmp_path: Path, http_backend_remote: HttpServer, git_credentials: Path, as_user
) -> None:
    """A real ``git http-backend`` behind basic auth, and a wrong password in the store."""
    _store_credentials(git_credentials, http_backend_remote, "not the password")
    as_user("ann")
    ann = init_workspace(tmp_path / "ann", name="Team Co").root
    put(ann, "client acme: add", Client(id="acme", name="Acme"), create=True)
    assert run("-w", ann, "remote", "add", "origin", http_backend_remote.url).code == 0
    before, commits = snapshot(ann), commit_count(ann)
    app = make_app(ann)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)

    drive(app, scenario)
    [line] = app.syncer.results
    assert "remote 'origin'" in line and "refused the credentials (HTTP 401)" in line
    assert "\n" not in line and http_backend_remote.password not in line
    assert notifications(app).count(line) == 1
    assert snapshot(ann) == before
    assert commit_count(ann) == commits
    assert git(http_backend_remote.remote, "for-each-ref").strip() == ""


def test_the_nav_bar_shows_a_step_in_place_of_the_clock() -> None:
    from datetime import datetime

    from tcrm.tui.widgets.nav import nav_content

    now = datetime(2026, 11, 23, 9, 0)
    assert "Mon 23 Nov 2026 09:00" in nav_content("today", now).plain
    busy = nav_content("today", now, "⟳ sync: fetching…").plain
    assert busy.endswith("⟳ sync: fetching…") and "2026" not in busy


def test_a_sync_with_conflicts_says_so_and_opens_the_conflicts_screen(
    team: dict[str, Path], as_user
) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "deal", "beta-app", "deal beta-app: set probability", probability=60)
    sync(ann)
    as_user("ben")
    edit(ben, "deal", "beta-app", "deal beta-app: set probability", probability=40)
    app = make_app(ben)
    seen: dict[str, str] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        seen["title"] = str(app.screen.query_one("#conflicts-title", Static).render())
        await pilot.press("escape")  # back where the sync started
        await settle(pilot)
        seen["back"] = type(app.screen).__name__

    drive(app, scenario)
    assert app.syncer.results == [
        "Pulled 1 commit from origin/main and merged them (1 file); pushed 2 commits. "
        "1 conflict recorded."
    ]
    assert seen["title"] == "Conflicts: 1 open in 1 file"
    assert seen["back"] == "TodayScreen"
    assert head(team["remote"], "main") == head(ben)
    assert_healthy(ben)
