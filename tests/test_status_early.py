"""``tcrm status`` answered before Typer is imported (tcrm.cli.early_path), from a fresh
index: the same bytes and exit codes as the Typer command, and the normal path whenever
the index may not hold what the files hold."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tcrm.services import planner, status_counts
from tcrm.store import early_index
from tcrm.store.workspace import Workspace
from tests.clitools import as_sample, copy_workspace, run
from tests.earlytools import heavy, settle, tcrm, typer_here

pytestmark = pytest.mark.xdist_group("status_early")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

OVERDUE_TASK = "tasks/t2ejnwdx.yaml"
"""Open, due 2026-11-30: a week after the sample's today, until a hand edit moves it."""


@pytest.fixture(scope="module")
def _ready_template(_sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with its index built (one normal run, in its own process),
    once for the module."""
    root = tmp_path_factory.mktemp("ready") / "ws"
    copy_workspace(_sample_template, root)
    with pytest.MonkeyPatch.context() as patch:
        as_sample(patch, root)
        settle(root)
        done, modules = tcrm("launch", ("status",), root)
    assert done.returncode == 0, done.stderr
    assert "typer" in modules  # the first run builds the index: the normal path
    return root


@pytest.fixture
def ready(_ready_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample workspace with its index built, as ``sample_ws`` sets one up,
    and its settings kept again (their key holds the file's inode and ctime, which a copy
    changes): one `tcrm status` through the Typer app, in this process."""
    root = tmp_path / "ws"
    copy_workspace(_ready_template, root)
    as_sample(monkeypatch, root)
    assert run("status").code == 0
    return root


def both(root: Path, *args: str, **env: str) -> tuple[tuple[int, str, str], list[str]]:
    """The early path's answer (code, out, err; a fresh interpreter, whose modules tell
    whether the early path answered), once equal to the Typer command's, and the heavy
    libraries the early run imported."""
    early, modules = tcrm("launch", args, root, **env)
    got = (early.returncode, early.stdout, early.stderr)
    assert got == typer_here(args, root, **env), args
    return got, heavy(modules)


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("status", "--json"),
        ("status", "--format", "{overdue}! {today:>3} {conflicts}c {reminders}r"),
        ("status", "--format={today}"),
        ("status", "--json", "--format", "{today}"),
        ("status", "--format", "{{literal}} ⚠{overdue}"),
    ],
    ids=" ".join,
)
def test_the_early_answer_is_the_commands(ready: Path, args: tuple[str, ...]) -> None:
    (code, out, err), imported = both(ready, *args)
    assert code == 0 and err == "" and out.endswith("\n") and out.count("\n") == 1
    assert imported == [], "the early path was not taken"


def test_the_workspace_option_and_variable(ready: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args, env in [
        (("-w", str(ready), "status", "--json"), {"TCRM_WORKSPACE": ""}),
        ((f"--workspace={ready}", "status"), {"TCRM_WORKSPACE": ""}),
        (("status",), {"TCRM_WORKSPACE": str(ready)}),
    ]:
        (code, out, _), imported = both(elsewhere, *args, **env)
        assert code == 0 and out.strip()
        assert imported == [], args


def test_outside_a_workspace_nothing_and_exit_1(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for env in ({"TCRM_WORKSPACE": ""}, {"TCRM_WORKSPACE": str(empty)}):
        (code, out, err), imported = both(empty, "status", **env)
        assert (code, out, err) == (1, "", "")
        assert imported == []
    (code, out, err), _ = both(empty, "-w", str(empty / "missing"), "status", TCRM_WORKSPACE="")
    assert (code, out, err) == (1, "", "")


@pytest.mark.parametrize(
    "template", ["{nope}", "{today", "{today:q}"], ids=["unknown", "unclosed", "spec"]
)
def test_a_wrong_format_is_the_commands_error(ready: Path, template: str) -> None:
    """Errors are the Typer command's to word: the early path steps aside."""
    (code, out, err), _ = both(ready, "status", "--format", template)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("tcrm: error: --format")


def test_other_command_lines_take_the_normal_path(ready: Path) -> None:
    for args in (("status", "--help"), ("status", "--jsn"), ("--allow-detached", "status")):
        early, modules = tcrm("launch", args, ready)
        typer = typer_here(args, ready)
        assert (early.returncode, early.stdout, early.stderr) == typer
        assert "typer" in modules, args


def test_a_hand_edit_is_seen_and_the_early_path_resumes(ready: Path) -> None:
    """Freshness stays exact: an edit git sees, a file made behind tcrm's back, a file
    removed: each run after it takes the normal path (which brings the index up to
    date), and gives the new count."""
    (_, before, _), imported = both(ready, "status", "--json")
    assert imported == []
    overdue = json.loads(before)["overdue"]
    task = ready / OVERDUE_TASK
    task.write_text(task.read_text().replace("due: 2026-11-30", "due: 2026-11-20"))
    early, modules = tcrm("launch", ("status", "--json"), ready)
    assert json.loads(early.stdout)["overdue"] == overdue + 1
    assert "typer" in modules
    new = ready / "tasks" / "tnewhand.yaml"
    new.write_text("title: Call back\nstatus: open\ndue: 2026-11-20\n")
    early, modules = tcrm("launch", ("status", "--json"), ready)
    assert json.loads(early.stdout)["overdue"] == overdue + 2
    assert "typer" in modules
    new.unlink()
    early, modules = tcrm("launch", ("status", "--json"), ready)
    assert json.loads(early.stdout)["overdue"] == overdue + 1
    assert "typer" in modules
    settle(ready)  # the racy window passed; the next normal run keeps trusted stamps
    tcrm("launch", ("status",), ready)
    (_, after, _), imported = both(ready, "status", "--json")
    assert json.loads(after)["overdue"] == overdue + 1
    assert imported == []


def test_a_settings_change_is_seen(ready: Path) -> None:
    settings = ready / "tcrm.yaml"
    text = settings.read_text()
    assert "timezone: Europe/Berlin" in text
    settings.write_text(text.replace("timezone: Europe/Berlin", "timezone: Pacific/Kiritimati"))
    settle(ready)
    early, modules = tcrm("launch", ("status", "--json"), ready)
    assert "typer" in modules  # what the index kept of the settings was for the old file
    (_, out, _), imported = both(ready, "status", "--json")
    assert out == early.stdout and imported == []


def test_a_conflict_is_counted_by_the_normal_path(ready: Path) -> None:
    deal = next((ready / "deals").glob("*.yaml"))
    deal.write_text(deal.read_text() + "conflicts:\n- field: stage\n  mine: a\n  theirs: b\n")
    settle(ready)
    for _ in range(2):
        early, modules = tcrm("launch", ("status", "--json"), ready)
        assert json.loads(early.stdout)["conflicts"] == 1
        assert "typer" in modules


def test_without_an_index_or_git_the_normal_path_answers(ready: Path) -> None:
    for env in ({"TCRM_INDEX": "off"}, {"PATH": ""}):
        (code, out, _), imported = both(ready, "status", **env)
        assert code == 0 and out.strip()
        assert "typer" in imported or "pydantic" in imported, env


def test_the_counts_from_the_index_are_the_planners(ready: Path) -> None:
    """Differential: at moments around the sample's due days and across midnight in
    its members' zones, the early counts equal the planner's (the models')."""
    ws = Workspace.open(ready)
    start = datetime.fromisoformat(os.environ["TCRM_NOW"]) - timedelta(days=3)
    moments = [start + timedelta(hours=5 * i, minutes=7 * i) for i in range(40)]
    compared = 0
    for now in moments:
        conn = early_index.open_fresh(ready)
        assert conn is not None
        try:
            kept = early_index.read_settings(conn, ready)
            assert kept is not None
            early = status_counts.from_index(conn, kept, now)
        finally:
            conn.close()
        found = planner.status(ws, now=now)
        assert early == {name: getattr(found, name) for name in status_counts.FIELDS}, now
        compared += bool(early and any(early.values()))
    assert compared > 20
