"""``tcrm task list`` piped, answered before Typer is imported (tcrm.cli.early_path), from
a fresh index: the same bytes and exit codes as the Typer command, on the sample
workspace and on a generated one with hostile records, at many moments; and the normal
path whenever the early one cannot be sure (issue 23)."""

from __future__ import annotations

import functools
import itertools
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperArgument, TyperGroup, TyperOption

from tcrm.cli import early_path
from tcrm.cli import main as cli_main
from tcrm.cli.task_cmds import app as task_app
from tcrm.services import task_selection
from tcrm.store import early_index
from tests.clitools import as_sample, copy_workspace, git, run
from tests.earlytools import (
    early_answer,
    heavy,
    run_on_terminal,
    same_both_ways,
    settle,
    tcrm,
    typer_here,
)

pytestmark = pytest.mark.xdist_group("list_early")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

OVERDUE_TASK = "tasks/t2ejnwdx.yaml"
"""Open, due 2026-11-30 in the sample: a week after its today, until a hand edit moves it."""

SAMPLE_LINES = [
    (),
    ("--today",),
    ("--overdue",),
    ("--week",),
    ("--all",),
    ("--today", "--overdue"),
    ("--week", "--all"),
    ("--assignee", "ben"),
    ("--assignee=chloe", "--week"),
    ("--assignee", " ann ", "--all"),
    ("--client", "acme-logistics"),
    ("--client=helsinki-design-collective", "--all"),
    ("--client", "brightwater-health", "--overdue", "--assignee", "ben"),
]
"""Command lines after ``task list`` the early path answers on the sample workspace."""


@pytest.fixture
def typer_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Typer app built into its click command once for the test, not on every run:
    a differential runs the same ``task list`` command hundreds of times, and half of
    each run was ``typer.main.get_command`` rebuilding the same tree (a process builds
    it once too). Each run still parses its line and answers through that command."""
    monkeypatch.setattr(cli_main, "command", functools.cache(cli_main.command))


@pytest.fixture(scope="module")
def _ready_template(_sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with its index built and its settings kept (one normal run,
    in its own process), once for the module."""
    root = tmp_path_factory.mktemp("ready") / "ws"
    copy_workspace(_sample_template, root)
    with pytest.MonkeyPatch.context() as patch:
        as_sample(patch, root)
        settle(root)
        done, modules = tcrm("launch", ("task", "list"), root)
    assert done.returncode == 0, done.stderr
    assert "typer" in modules  # the first run builds the index: the normal path
    return root


@pytest.fixture
def ready(_ready_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample workspace with its index built, as ``sample_ws`` sets one up,
    and its settings kept again (their key holds the file's inode and ctime, which a copy
    changes): one ``tcrm task list`` through the Typer app, in this process."""
    root = tmp_path / "ws"
    copy_workspace(_ready_template, root)
    as_sample(monkeypatch, root)
    assert run("task", "list").code == 0
    return root


def both(root: Path, *args: str, **env: str) -> tuple[tuple[int, str, str], list[str]]:
    """The executable's answer (code, out, err; a fresh interpreter, whose modules tell
    whether the early path answered), once equal to the Typer command's (in this
    process), and the heavy libraries the executable imported."""
    early, modules = tcrm("launch", args, root, **env)
    got = (early.returncode, early.stdout, early.stderr)
    assert got == typer_here(args, root, **env), args
    return got, heavy(modules)


# --- the options: held to the Typer command ---------------------------------------------


def test_the_option_tables_are_the_commands() -> None:
    """Every option the early path reads is the Typer command's, by the same parameter,
    a flag where it is a flag and taking one value where it takes one; what it leaves
    to the normal path is named here, so an option added to the command is noticed."""
    group = typer.main.get_command(task_app)
    assert isinstance(group, TyperGroup)
    command = group.commands["list"]
    options = {
        opt: param
        for param in command.params
        if isinstance(param, TyperOption)
        for opt in param.opts
    }
    for opt, name in early_path.TASK_LIST_FLAGS.items():
        assert options[opt].name == name and options[opt].is_flag, opt
    for opt, name in early_path.TASK_LIST_VALUES.items():
        param = options[opt]
        assert param.name == name and not param.is_flag and param.nargs == 1, opt
        assert not param.multiple, opt
    known = {*early_path.TASK_LIST_FLAGS, *early_path.TASK_LIST_VALUES}
    assert set(options) - known == {"--json"}  # and --help: the normal path
    arguments = [p.name for p in command.params if isinstance(p, TyperArgument)]
    assert arguments == ["filters"]  # filter terms: the normal path


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], task_selection.Asked()),
        (["--today", "--week"], task_selection.Asked(today=True, week=True)),
        (["--all", "--overdue"], task_selection.Asked(overdue=True, include_closed=True)),
        (["--assignee", "ben"], task_selection.Asked(assignee="ben")),
        (["--client=acme", "--assignee=ann"], task_selection.Asked(assignee="ann", client="acme")),
        (["--json"], None),
        (["--help"], None),
        (["priority:high"], None),
        (["--todya"], None),
        (["--today", "--today"], None),
        (["--assignee"], None),
        (["--assignee", "--today"], None),
        (["--assignee="], None),
        (["--today=1"], None),
        (["--", "--today"], None),
        (["-h"], None),
    ],
)
def test_what_the_early_path_reads_of_a_command_line(
    args: list[str], expected: task_selection.Asked | None
) -> None:
    assert early_path.task_list_args(args) == expected


# --- the same bytes -------------------------------------------------------------------


@pytest.mark.parametrize("args", SAMPLE_LINES, ids=lambda a: " ".join(a) or "plain")
def test_the_early_answer_is_the_commands(ready: Path, args: tuple[str, ...]) -> None:
    (code, out, err), imported = both(ready, "task", "list", *args)
    assert code == 0 and err == "" and out.startswith("id\tdue\ttitle\t")
    assert imported == [], "the early path was not taken"


def test_the_workspace_option_and_variable(ready: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args, env in [
        (("-w", str(ready), "task", "list", "--week"), {"TCRM_WORKSPACE": ""}),
        ((f"--workspace={ready}", "task", "list"), {"TCRM_WORKSPACE": ""}),
        (("task", "list", "--all"), {"TCRM_WORKSPACE": str(ready)}),
    ]:
        (code, out, _), imported = both(elsewhere, *args, **env)
        assert code == 0 and out.count("\n") > 5
        assert imported == [], args


@pytest.mark.usefixtures("typer_built_once")
def test_across_moments_the_answers_are_the_commands(
    ready: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Differential: at moments around the sample's due days and across midnight in its
    members' zones, every command line gives the Typer command's bytes."""
    start = datetime.fromisoformat(os.environ["TCRM_NOW"]) - timedelta(days=3)
    moments = [start + timedelta(hours=11 * i, minutes=7 * i) for i in range(14)]
    lines = [("task", "list", *args) for args in SAMPLE_LINES]
    answered = 0
    for now in moments:
        monkeypatch.setenv("TCRM_NOW", now.isoformat())
        for args in lines:
            answered += same_both_ways(*args)
    assert answered == len(moments) * len(lines)


# --- a generated workspace with hostile records ---------------------------------------

HOSTILE = {
    "tescape1": 'title: "\\e]0;pwned\\a\\e[2J Clear the screen"\nstatus: open\n'
    "due: 2026-11-23\nassignee: ben\npriority: high\n",
    "tbidi001": 'title: "invoice\\u202egpj.exe \\x9b31m red"\nstatus: open\n'
    "due: 2026-11-24T08:30\ntimezone: Pacific/Kiritimati\n",
    "tfarfar1": "title: Far future\nstatus: open\ndue: 2200-12-31\nassignee: chloe\n"
    "reminders: [1d, 30m]\n",
    "tfarfar2": "title: Far future, timed\nstatus: open\ndue: 2200-12-31T23:59:00+14:00\n",
    "tpast001": "title: Long ago\nstatus: open\ndue: 1900-01-01T00:00:00-12:00\n",
    "tspaces1": 'title: "\\x1c  Separators kept \\x1f"\nstatus: open\ndue: 2026-11-22\n',
    "tspaces2": 'title: "\\u3000\\xa0 Unicode spaces stripped \\u2028"\nstatus: open\n'
    "due: 2026-11-23T23:30:00-11:00\nassignee: ben\n",
    "ttabs001": 'title: "Tabs\\tand\\nnew lines\\r\\n in a title"\nstatus: done\ndue: 2026-11-20\n',
    "tcancel1": "title: Cancelled, overdue\nstatus: cancelled\ndue: 2026-11-01\n",
    "tundated": 'title: "\\x00 no due \\x7f"\nstatus: open\npriority: low\n',
    "tclients": "title: Linked\nstatus: open\ndue: 2026-11-25\nclients: [acme-logistics]\n"
    "deals: [acme-logistics-support-retainer-2026]\n",
}
"""Task files a teammate may push: escape sequences, bidi overrides, C1 controls, years
2200 and 1900, offsets of +14 and -12 hours, separators the models keep at a title's
ends and spaces they strip, tabs and line breaks in a cell. (Year 9999 is refused by
the models: ``test_a_broken_task_file_is_warned_of_by_the_command``.)"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tcrm dev generate`` (a small one), with the sample's settings, and the hostile
    task files above committed on top."""
    root = tmp_path_factory.mktemp("generated") / "ws"
    made = run(
        "dev",
        "generate",
        str(root),
        "--clients",
        "30",
        "--deals",
        "60",
        "--tasks",
        "400",
        "--activities",
        "20",
        "--seed",
        "7",
    )
    assert made.code == 0, made.err
    clients = sorted(p.stem for p in (root / "clients").glob("*.yaml"))
    deals = sorted(p.stem for p in (root / "deals").glob("*.yaml"))
    for name, text in HOSTILE.items():
        text = text.replace("acme-logistics-support-retainer-2026", deals[0])
        text = text.replace("acme-logistics", clients[0])
        (root / "tasks" / f"{name}.yaml").write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hostile tasks")
    settle(root)
    first = run("-w", str(root), "task", "list")
    assert first.code == 0 and first.err == "", first.err
    return root


def test_hostile_records_are_valid_and_listed(generated: Path) -> None:
    listed = run("-w", str(generated), "task", "list", "--all").out
    for name in HOSTILE:
        assert f"\n{name}\t" in listed, name
    assert "\x1b" not in listed and "\\x1b]0;pwned\\x07" in listed
    assert "\\u202e" in listed and "\\x1c  Separators kept \\x1f" in listed


@pytest.mark.usefixtures("typer_built_once")
def test_on_a_generated_workspace_the_answers_are_the_commands(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Differential on a generated workspace with hostile records: every command line
    at moments from before its tasks' days to after them, through midnight in the
    zones of its members and of the hostile tasks (+14 h, -12 h)."""
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)
    clients = sorted(p.stem for p in (generated / "clients").glob("*.yaml"))
    members = ["ann", "ben", "chloe"]
    moments = [
        datetime.fromisoformat(text)
        for text in (
            "2026-11-23T09:00:00+01:00",
            "2026-11-22T23:59:00+01:00",
            "2026-11-23T10:59:00+00:00",
            "2026-11-23T12:00:00-12:00",
            "2026-11-24T00:30:00+14:00",
            "2026-11-30T18:00:00",
            "2026-10-01T00:00:00+01:00",
            "2027-01-15T08:00:00+01:00",
        )
    ]
    flags = [(), ("--today",), ("--overdue",), ("--week",), ("--all",), ("--today", "--week")]
    narrow = [(), ("--assignee", members[1]), ("--client", clients[0]), ("--client", clients[3])]
    lines = [
        ("-w", str(generated), "task", "list", *f, *n) for f, n in itertools.product(flags, narrow)
    ]
    answered = 0
    for now in moments:
        monkeypatch.setenv("TCRM_NOW", now.isoformat())
        for args in lines:
            answered += same_both_ways(*args)
    assert answered == len(moments) * len(lines)


# --- the normal path: whenever the early one cannot be sure -----------------------------


def test_other_command_lines_take_the_normal_path(ready: Path) -> None:
    """JSON, filter terms, help, an unknown option: Typer answers."""
    cases: list[tuple[tuple[str, ...], dict[str, str]]] = [
        (("task", "list", "--json"), {}),
        (("task", "list", "priority:high"), {}),
        (("task", "list", "--help"), {}),
        (("task", "list", "--todya"), {}),
        (("--allow-detached", "task", "list"), {}),
        (("task", "list", "--assignee", "--today"), {}),
    ]
    for args, env in cases:
        early, modules = tcrm("launch", args, ready, **env)
        typer = typer_here(args, ready, **env)
        assert (early.returncode, early.stdout, early.stderr) == typer, args
        assert "typer" in modules, args


def test_a_reader_that_went_away_ends_it_as_the_command_does(ready: Path) -> None:
    """``tcrm task list | head -1``: once the reader has gone, the early answer ends as
    the Typer command does, exit 1 and nothing on stderr (it printed a traceback)."""
    early, modules = tcrm("launch", ("task", "list"), ready, reader_gone=True)
    assert "typer" not in modules  # the early path answered
    normal, modules = tcrm("launch", ("task", "list"), ready, reader_gone=True, TCRM_INDEX="off")
    assert "typer" in modules
    assert (early.returncode, early.stderr) == (normal.returncode, normal.stderr) == (1, "")


def test_a_terminal_gets_the_commands_rich_table(ready: Path) -> None:
    """On a terminal (a real pseudo-terminal here) rich lays the table out: the early
    path steps aside, and the Typer command prints it."""
    code, text, err = run_on_terminal(ready, ["task", "list"], "stdout")
    assert code == 0 and err == ""
    assert "Id" in text and "Title" in text and "\t" not in text  # rich's layout, not TSV


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--assignee", "zoe"), 2),  # not a team member: the command's error
        (("--client", "nobody-here"), 2),  # no such client
        (("--client", "Acme Logistics"), 0),  # a client by name: resolved by the command
        (("--client", "acme"), 0),  # a unique id prefix
    ],
    ids=["member", "client", "name", "prefix"],
)
def test_what_needs_checking_is_the_commands(ready: Path, args: tuple[str, ...], code: int) -> None:
    """What the early path cannot check from the index the way the command does, the
    command answers: its output, its error and its exit code."""
    assert early_answer("task", "list", *args) == (None, "", "")
    (got, out, err), imported = both(ready, "task", "list", *args)
    assert got == code
    assert "typer" in imported
    if code:
        assert out == "" and len(err.splitlines()) == 1 and err.startswith("tcrm: error:")


def test_outside_a_workspace_the_commands_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, env in [
        (("task", "list"), {"TCRM_WORKSPACE": ""}),
        (("task", "list"), {"TCRM_WORKSPACE": str(empty)}),
        (("-w", str(empty / "missing"), "task", "list", "--today"), {"TCRM_WORKSPACE": ""}),
    ]:
        (code, out, err), _ = both(empty, *args, **env)
        assert code != 0 and out == "" and err.startswith("tcrm: error:"), args


def test_a_broken_task_file_is_warned_of_by_the_command(ready: Path) -> None:
    """A file the index could not read: the command lists the rest and warns of it."""
    (ready / "tasks" / "tbroken1.yaml").write_text("title: Year 9999\ndue: 9999-12-31\n")
    settle(ready)
    tcrm("launch", ("task", "list"), ready)  # brings the index up to date
    assert early_answer("-w", str(ready), "task", "list") == (None, "", "")
    (code, out, err), imported = both(ready, "task", "list")
    assert code == 0 and "tbroken1.yaml" in err and out.startswith("id\t")
    assert "typer" in imported


def test_a_hand_edit_is_seen_and_the_early_path_resumes(ready: Path) -> None:
    """Freshness stays exact: an edit git sees, a file made behind tcrm's back, a file
    removed: each is listed (or not) by the very next run, which takes the normal path
    and brings the index up to date."""
    (_, before, _), imported = both(ready, "task", "list", "--overdue")
    assert imported == [] and "t2ejnwdx" not in before
    task = ready / OVERDUE_TASK
    task.write_text(task.read_text().replace("due: 2026-11-30", "due: 2026-11-20"))
    (_, out, _), imported = both(ready, "task", "list", "--overdue")
    assert "\nt2ejnwdx\t2026-11-20\t" in out and "typer" in imported
    new = ready / "tasks" / "tnewhand.yaml"
    new.write_text("title: Call back\nstatus: open\ndue: 2026-11-20\n")
    (_, out, _), imported = both(ready, "task", "list", "--overdue")
    assert "\ntnewhand\t2026-11-20\tCall back\t" in out and "typer" in imported
    new.unlink()
    (_, out, _), imported = both(ready, "task", "list", "--overdue")
    assert "tnewhand" not in out and "t2ejnwdx" in out and "typer" in imported
    settle(ready)  # the racy window passed; the next normal run keeps trusted stamps
    tcrm("launch", ("task", "list"), ready)
    (_, after, _), imported = both(ready, "task", "list", "--overdue")
    assert after == out and imported == []


def test_a_settings_change_is_seen(ready: Path) -> None:
    settings = ready / "tcrm.yaml"
    text = settings.read_text()
    assert "timezone: Europe/Berlin" in text
    settings.write_text(text.replace("timezone: Europe/Berlin", "timezone: Pacific/Kiritimati"))
    settle(ready)
    early, modules = tcrm("launch", ("task", "list", "--today"), ready)
    assert "typer" in modules  # what the index kept of the settings was for the old file
    (_, out, _), imported = both(ready, "task", "list", "--today")
    assert out == early.stdout and imported == []


def test_without_an_index_or_git_the_normal_path_answers(ready: Path) -> None:
    for env in ({"TCRM_INDEX": "off"}, {"PATH": ""}):
        (code, out, _), imported = both(ready, "task", "list", **env)
        assert code == 0 and out.startswith("id\t")
        assert "typer" in imported, env


def test_a_bad_clock_is_the_commands_error(ready: Path) -> None:
    (code, out, err), imported = both(ready, "task", "list", TCRM_NOW="yesterday")
    assert code != 0 and out == "" and "TCRM_NOW" in err
    assert "typer" in imported


def test_the_settings_kept_by_a_list_are_the_planners(ready: Path) -> None:
    """The normal ``task list`` keeps what the early paths read of the settings, the
    same summary ``tcrm status`` keeps."""
    conn = early_index.open_fresh(ready)
    assert conn is not None
    try:
        kept = early_index.read_settings(conn, ready)
    finally:
        conn.close()
    assert kept is not None and kept["timezone"] == "Europe/Berlin"
    assert kept["member_zones"]["ben"] == "America/New_York"
