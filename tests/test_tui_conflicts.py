"""The Conflicts screen after a real two-clone conflict over a bare remote: the TUI's sync
(``P``) records it, the screen lists it with both values and authors, and ``M``/``T``/``e``
settle it with the very commit ``tcrm resolve`` makes (checked with the git CLI on a twin
of the clone resolved by the CLI)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tcrm.model.records import Client, Task
from tcrm.store.workspace import Workspace
from tcrm.tui.app import TcrmApp
from tcrm.tui.keys import KEYS
from tcrm.tui.screens.conflicts import ConflictsScreen, ValueDialog
from tcrm.tui.screens.help import HelpScreen
from tcrm.tui.screens.today import TodayScreen
from tcrm.tui.widgets.rows import RowsView
from tests.clitools import commit_count, git, run, snapshot
from tests.teamtools import assert_healthy, edit, put, record, sync
from tests.test_hostile_terminal import HOSTILE_YAML, RAW, _painted
from tests.test_tui_every_key import screen_classes
from tests.test_tui_pilot import drive, make_app, notifications, settle

SMALL = (80, 24)
LARGE = (160, 45)


@pytest.fixture
def conflicted(team: dict[str, Path], as_user: Any) -> dict[str, Path]:
    """Ann and Ben change the same two fields of two deals; Ann pushes first. Ben's clone
    has not synced yet: his sync (in the TUI) records both conflicts."""
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "deal", "beta-app", "deal beta-app: set probability", probability=60)
    edit(ann, "deal", "acme-website", "deal acme-website: set amount", amount="15000")
    sync(ann)
    as_user("ben")
    edit(ben, "deal", "beta-app", "deal beta-app: set probability", probability=40)
    edit(ben, "deal", "acme-website", "deal acme-website: set amount", amount="12000")
    return team


def last_commit(root: Path) -> tuple[str, ...]:
    """What makes a commit the same one, but for its dates: subject and body, author,
    parents, and the tree (every file's bytes)."""
    fields = git(root, "log", "-1", "--format=%B%x00%an <%ae>%x00%P%x00%T")
    return tuple(fields.strip().split("\x00"))


def twin(root: Path, tmp: Path, name: str) -> Path:
    """A copy of the clone as it is now (same commits, same files): the CLI resolves it."""
    copy = tmp / name
    shutil.copytree(root, copy, symlinks=True)
    return copy


def rows(screen: ConflictsScreen) -> list[tuple[str, str, Any, Any, str | None, str | None]]:
    return [(c.path, c.field, c.mine, c.theirs, c.mine_by, c.theirs_by) for c in screen.conflicts]


def test_a_real_conflict_is_listed_and_settled_like_tcrm_resolve(
    conflicted: dict[str, Path], tmp_path: Path
) -> None:
    ben = conflicted["ben"]
    app = make_app(ben)
    seen: dict[str, Any] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("P")  # sync from the TUI: Ann's changes conflict with Ben's
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)  # opened by the sync
        seen["rows"] = rows(screen)
        seen["title"] = str(screen.query_one("#conflicts-title", Static).render())
        seen["cli"] = run("-w", ben, "conflicts", "--json").out
        view = screen.query_one(RowsView)
        assert view.select_key("deals/beta-app.yaml#probability")
        await pilot.pause()
        seen["detail"] = str(screen.query_one("#conflicts-detail", Static).render())

        seen["twin"] = twin(ben, tmp_path, "ben-cli")
        await pilot.press("T")  # take theirs: Ann's 60
        await settle(pilot)
        seen["after_theirs"] = rows(screen)
        seen["theirs_commit"] = last_commit(ben)

        seen["twin2"] = twin(ben, tmp_path, "ben-cli-2")
        assert view.select_key("deals/acme-website.yaml#amount")
        await pilot.press("e")  # a value of one's own
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ValueDialog)
        field = dialog.query_one("#value-text", Input)
        assert field.value == "12000"  # starts from mine
        field.value = "13500"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        seen["after_value"] = rows(screen)
        seen["empty_title"] = str(screen.query_one("#conflicts-title", Static).render())
        seen["empty_detail"] = str(screen.query_one("#conflicts-detail", Static).render())
        await pilot.press("f5")  # a reload: "all resolved" is said once
        await settle(pilot)

    drive(app, scenario)

    # both conflicts, with both values and who made each, as tcrm conflicts lists them
    ann_id, ben_id = "Ann Becker <ann@example.com>", "Ben Okafor <ben@example.com>"
    assert seen["rows"] == [
        ("deals/acme-website.yaml", "amount", "12000", "15000", ben_id, ann_id),
        ("deals/beta-app.yaml", "probability", "40", "60", ben_id, ann_id),
    ]
    cli = [
        (c["path"], c["field"], c["mine"], c["theirs"], c["mine_by"], c["theirs_by"])
        for c in json.loads(seen["cli"])
    ]
    assert cli == seen["rows"]
    assert seen["title"] == "Conflicts: 2 open in 2 files"
    assert "mine (kept)  40   by Ben Okafor <ben@example.com>" in seen["detail"]
    assert "theirs       60   by Ann Becker <ann@example.com>" in seen["detail"]

    # t: the commit tcrm resolve --take theirs makes on the twin
    assert seen["after_theirs"] == [seen["rows"][0]]
    cli_twin = seen["twin"]
    resolved = run("-w", cli_twin, "resolve", "beta-app", "--take", "theirs")
    assert resolved.code == 0, resolved.err
    assert seen["theirs_commit"] == last_commit(cli_twin)
    subject, author, _parents, _tree = seen["theirs_commit"]
    assert subject == "deal beta-app: resolve conflict in probability (theirs)"
    assert author == ben_id

    # e: the commit tcrm resolve --take amount=13500 makes on the second twin
    cli_twin2 = seen["twin2"]
    resolved = run("-w", cli_twin2, "resolve", "acme-website", "--take", "amount=13500")
    assert resolved.code == 0, resolved.err
    assert last_commit(ben) == last_commit(cli_twin2)
    assert last_commit(ben)[0] == "deal acme-website: resolve conflict in amount (value)"
    assert seen["after_value"] == []
    assert seen["empty_title"] == "Conflicts: all resolved"
    assert "Every conflict is resolved" in seen["empty_detail"]
    assert notifications(app).count("All conflicts are resolved.") == 1

    # the files hold the chosen values and no conflicts; git agrees the repo is sound
    beta, acme = record(ben, "deals/beta-app.yaml"), record(ben, "deals/acme-website.yaml")
    assert str(beta["probability"]) == "60" and "conflicts" not in beta
    assert str(acme["amount"]) == "13500" and "conflicts" not in acme
    assert_healthy(ben)
    log = git(ben, "log", "--format=%s", "-3").splitlines()
    assert log == [
        "deal acme-website: resolve conflict in amount (value)",
        "deal beta-app: resolve conflict in probability (theirs)",
        "sync: merge origin/main",
    ]
    assert run("-w", ben, "conflicts", "--json").out.strip() == "[]"


def test_the_list_is_tcrm_conflicts_across_kinds_and_settings(
    team: dict[str, Path], as_user
) -> None:
    """Conflicts in tcrm.yaml, a client, a deal and a task: the screen lists what
    ``tcrm conflicts --json`` lists, in its order; a settings conflict settles like the rest."""
    ann, ben = team["ann"], team["ben"]
    old = "  - id: proposal\n    name: Proposal\n    probability: 50\n"

    def changes(root: Path, n: int) -> None:
        text = (root / "tcrm.yaml").read_text(encoding="utf-8")
        with Workspace(root).transaction("settings: proposal probability") as tx:
            tx.write_text("tcrm.yaml", text.replace(old, old.replace("50", str(n))))
        edit(root, "client", "beta", "client beta: status", status="active" if n > 56 else "lost")
        edit(root, "deal", "beta-app", "deal beta-app: probability", probability=n)
        put(root, "task: add", Task(id="tshared1", title=f"Call {n}", due="2026-11-24"))

    as_user("ann")
    put(ann, "task: add", Task(id="tshared1", title="Call", due="2026-11-24"), create=True)
    sync(ann)
    as_user("ben")
    sync(ben)
    as_user("ann")
    changes(ann, 55)
    sync(ann)
    as_user("ben")
    changes(ben, 60)
    app = make_app(ben)
    seen: dict[str, Any] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("P")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)
        seen["rows"] = rows(screen)
        seen["cli"] = run("-w", ben, "conflicts", "--json").out
        await pilot.press("T")  # the first: tcrm.yaml's
        await settle(pilot)
        seen["left"] = [c.path for c in screen.conflicts]

    drive(app, scenario)
    cli = [
        (c["path"], c["field"], c["mine"], c["theirs"], c["mine_by"], c["theirs_by"])
        for c in json.loads(seen["cli"])
    ]
    assert seen["rows"] == cli
    assert [r[0] for r in cli] == [
        "tcrm.yaml",
        "clients/beta.yaml",
        "deals/beta-app.yaml",
        "tasks/tshared1.yaml",
    ]
    assert seen["left"] == [r[0] for r in cli[1:]]
    field = "pipelines[sales].stages[proposal].probability"
    assert git(ben, "log", "-1", "--format=%s").strip() == (
        f"settings: resolve conflict in {field} (theirs)"
    )
    assert "probability: 55\n" in (ben / "tcrm.yaml").read_text(encoding="utf-8")
    assert_healthy(ben)


def test_take_mine_keeps_the_record_and_clears_the_entry(conflicted: dict[str, Path]) -> None:
    ben = conflicted["ben"]
    app = make_app(ben)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, ConflictsScreen)
        await pilot.press("M")  # the cursor starts on the first: acme-website's amount
        await settle(pilot)
        assert [c.field for c in app.screen.conflicts] == ["probability"]

    drive(app, scenario)
    acme = record(ben, "deals/acme-website.yaml")
    assert str(acme["amount"]) == "12000" and "conflicts" not in acme
    assert git(ben, "log", "-1", "--format=%s").strip() == (
        "deal acme-website: resolve conflict in amount (mine)"
    )
    assert "conflicts" in record(ben, "deals/beta-app.yaml")


def test_a_refused_value_is_one_line_and_changes_nothing(conflicted: dict[str, Path]) -> None:
    ben = conflicted["ben"]
    app = make_app(ben)
    seen: dict[str, Any] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("P")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)
        seen["files"], seen["commits"] = snapshot(ben), commit_count(ben)
        assert screen.query_one(RowsView).select_key("deals/beta-app.yaml#probability")
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#value-text", Input).value = "200"  # out of 0..100
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        seen["left"] = [c.field for c in screen.conflicts]
        await pilot.press("e")  # Escape in the dialog: nothing
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

    drive(app, scenario)
    refusals = [
        n for n in notifications(app) if n.startswith("deals/beta-app.yaml:") and "probability" in n
    ]
    assert len(refusals) == 1, notifications(app)
    assert "\n" not in refusals[0]
    assert snapshot(ben) == seen["files"]
    assert commit_count(ben) == seen["commits"]
    assert seen["left"] == ["amount", "probability"]


def test_c_opens_the_screen_and_says_when_there_are_none(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)
        assert str(screen.query_one("#conflicts-title", Static).render()) == "No conflicts"
        for key in ("M", "T", "e"):  # nothing to resolve: said, nothing written
            await pilot.press(key)
            await settle(pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)

    drive(app, scenario)
    assert notifications(app).count("No conflict to resolve here.") == 3
    assert commit_count(sample_ws) == commits


def test_its_keys_mean_one_thing_and_the_help_overlay_lists_them(sample_ws: Path) -> None:
    """Every key of the screen is a binding id of the one table, meaning what it means on
    every other screen; ``?`` lists each of them."""
    meaning: dict[str, str] = {}
    for cls in [*screen_classes(), TcrmApp]:
        for key, binding in cls._merged_bindings:
            if binding.id is None:
                continue
            assert binding.id in KEYS and binding.action == KEYS[binding.id].action
            assert meaning.setdefault(key, binding.action) == binding.action, key
    app = make_app(sample_ws)
    seen: dict[str, Any] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        screen = app.screen
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        seen["listed"] = {(h.keys, h.description) for h in help_screen.screen_keys}
        seen["global"] = {(h.keys, h.description) for h in help_screen.app_keys}
        await pilot.press("question_mark")
        await settle(pilot)
        assert app.screen is screen

    drive(app, scenario)
    assert {("M", "Take mine"), ("T", "Take theirs"), ("e", "Type a value")} <= seen["listed"]
    assert {("P", "Sync"), ("C", "Conflicts")} <= seen["global"]


def test_record_text_reaches_the_screen_visible_never_obeyed(
    team: dict[str, Path], as_user
) -> None:
    """A teammate's hand edit with escape sequences: the list and the detail paint them as
    their escapes (tests/test_hostile_terminal.py has the CLI's side)."""
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    (ann / "clients/acme.yaml").write_text(f"name: Acme\ntype: company\nnotes: {HOSTILE_YAML}\n")
    git(ann, "commit", "-qam", "client acme: notes by hand")
    sync(ann)
    as_user("ben")
    put(ben, "client acme: notes", Client(id="acme", name="Acme", notes="Called twice"))
    app = make_app(ben)
    seen: dict[str, str] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, ConflictsScreen)
        seen["painted"] = _painted(app)

    drive(app, scenario, size=LARGE)
    painted = seen["painted"]
    assert "Called twice" in painted and "pwned" in painted  # the conflict is on screen...
    for raw in RAW:
        assert raw.decode() not in painted, raw  # ...never raw
    assert "\\x1b]0;pwned\\x07Evil" in painted


# --- snapshots -------------------------------------------------------------------------


def _snap(snap_compare: Any, root: Path, size: tuple[int, int]) -> bool:
    app = make_app(root)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, ConflictsScreen)
        assert app.screen.query_one(RowsView).select_key("deals/beta-app.yaml#probability")
        app.clear_notifications()
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=size, run_before=run_before))


def test_snapshot_conflicts_80x24(snap_compare: Any, conflicted: dict[str, Path]) -> None:
    assert _snap(snap_compare, conflicted["ben"], SMALL)


def test_snapshot_conflicts_160x45(snap_compare: Any, conflicted: dict[str, Path]) -> None:
    assert _snap(snap_compare, conflicted["ben"], LARGE)
