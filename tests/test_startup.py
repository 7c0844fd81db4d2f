"""Fast start-up: a command imports only what it uses (issue 9).

Each check runs the real CLI in a fresh interpreter on a copy of the sample workspace and
looks at ``sys.modules`` when it ends. Timing is measured by benchmarks/bench_startup.py,
never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tcrm.cli import mail_cmds
from tcrm.cli import main as cli_main
from tests.clitools import ROOT, as_sample, copy_workspace
from tests.clitools import run as run_here
from tests.earlytools import settle

pytestmark = pytest.mark.xdist_group("startup")
"""One worker for the module: its module-scoped runs are made once (``--dist loadgroup``)."""

HEAVY = (
    "textual",
    "icalendar",
    "dulwich",
    "http.server",
    "ssl",
    "vobject",
    "ruamel",
    "tcrm.tui",
    "tcrm.ics",
    "tcrm.reports",
    "tcrm.io",
)
"""What a read command must never import: each costs 40-250 ms of start-up."""

PROBE = """
import atexit, json, os, runpy, sys
sys.argv = ["tcrm", *json.loads(os.environ["PROBE_ARGS"])]
def dump():
    with open(os.environ["PROBE_OUT"], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)
atexit.register(dump)
runpy.run_module("tcrm", run_name="__main__")
"""
"""``tcrm ARGS`` as ``python -m tcrm`` runs it, then (at exit, which tcrm.cli.launch.leave
keeps) the names of every imported module."""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    for var in ("_TCRM_COMPLETE", "FORCE_COLOR", "TTY_COMPATIBLE"):
        if var not in extra:
            env.pop(var, None)  # output goes to a pipe, and must be seen as one
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def probe(
    tmp_path: Path, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``tcrm ARGS`` in a fresh interpreter: its result and the modules it imported."""
    found = tmp_path / "modules.json"
    found.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=_env(tmp_path, PROBE_ARGS=json.dumps(args), PROBE_OUT=str(found), **env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done, set(json.loads(found.read_text(encoding="utf-8")))


def imported(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


Probed = tuple[subprocess.CompletedProcess[str], set[str]]


@pytest.fixture(scope="module")
def first_runs(
    _sample_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., list[Probed]]:
    """``first_runs(*args, times=n)``: ``tcrm ARGS`` probed ``n`` times in a row on its own
    copy of the sample workspace, made as ``sample_ws`` makes one (no index: the first run
    builds it, the next ones find it). Each command line is run once for the module:
    several tests assert different things of the same run, as of one process each."""
    made: dict[tuple[str, ...], tuple[Path, list[Probed]]] = {}

    def first_runs(*args: str, times: int = 1) -> list[Probed]:
        if args not in made:
            root = copy_workspace(_sample_template, tmp_path_factory.mktemp("first") / "ws")
            made[args] = (root, [])
        root, done = made[args]
        with pytest.MonkeyPatch.context() as patch:
            as_sample(patch, root)
            while len(done) < times:
                done.append(probe(root.parent, *args))
        return done[:times]

    return first_runs


class FreshIndex:
    """A copy of the sample workspace whose index is fresh: settled (no stamp in the racy
    window), then one ``tcrm status`` in its own process built the index and kept the
    settings. Calling it probes ``tcrm ARGS`` there once per command line: an early
    answer changes nothing it reads (only ``.tcrm/lock``'s time), so every run starts
    from that same state."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], Probed] = {}

    def __call__(self, *args: str, **env: str) -> Probed:
        key = (args, tuple(sorted(env.items())))
        if key not in self._made:
            with pytest.MonkeyPatch.context() as patch:
                as_sample(patch, self.root)
                self._made[key] = probe(self.root.parent, *args, **env)
        return self._made[key]


@pytest.fixture(scope="module")
def fresh_index(_sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> FreshIndex:
    root = copy_workspace(_sample_template, tmp_path_factory.mktemp("fresh") / "ws")
    with pytest.MonkeyPatch.context() as patch:
        as_sample(patch, root)
        settle(root)
        first, _ = probe(root.parent, "status")  # builds the index, keeps the settings
    assert first.returncode == 0, first.stderr
    return FreshIndex(root)


READ_COMMANDS = [
    ("today",),
    ("status",),
    ("task", "list"),
    ("deal", "list"),
    ("client", "show", "acme-logistics"),
    ("search", "acme"),
    ("client", "list"),
    ("pipeline",),
    ("--help",),
    ("--version",),
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_read_commands_import_no_heavy_library(
    first_runs: Callable[..., list[Probed]], args: tuple[str, ...]
) -> None:
    [(done, modules)] = first_runs(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "the command printed nothing: did it run?"
    assert imported(modules, HEAVY) == []


NEVER_HOT = (
    *(h for h in HEAVY if h not in ("dulwich", "ruamel")),
    "typer.rich_utils",
    "rich",
    "importlib.metadata",
    "multiprocessing",
)
"""What no hot command imports, piped (issue 23): Typer's rich help, rich itself (a pipe
gets plain lines), pydantic's plugin lookup (importlib.metadata, and with it email, csv,
zipfile), and multiprocessing (only a big first index or check forks)."""
GIT_WRITING = tuple(
    f"tcrm.store.git.{name}"
    for name in ("committing", "fast", "merges", "ranges", "remote", "state")
)
"""The store's git code that commits, merges or talks to a remote."""
NEVER_READING = (*NEVER_HOT, "dulwich", "ruamel")
"""A read answers from the index: no git library, no round-trip YAML; from a fresh index,
none of the git code a write or a sync needs either (``tcrm.store.git`` loads its
modules on first use; a first index reads the files' history)."""

HOT_READS = [
    ("today",),
    ("task", "list"),
    ("task", "list", "--today"),
    ("client", "list"),
    ("deal", "list", "--stage", "proposal"),
    ("client", "show", "acme-logistics"),
    ("search", "acme"),
    ("status",),
]
HOT_WRITES = [
    ("task", "add", "Call back", "--due", "tomorrow"),
    ("log", "acme-logistics", "call: wants a quote"),
    ("deal", "move", "brightwater-health-symptom-checker-prototype", "qualified"),
]


def _commits(root: Path) -> int:
    done = subprocess.run(
        ["git", "-C", str(root), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@pytest.mark.parametrize("args", HOT_READS, ids=" ".join)
def test_hot_reads_stay_within_their_import_budget(
    first_runs: Callable[..., list[Probed]], args: tuple[str, ...]
) -> None:
    """Every module a hot read imports is paid on each call (a script's loop, a prompt):
    none of these, whether or not the index was there before."""
    runs = zip(("first index", "fresh index"), first_runs(*args, times=2), strict=True)
    for run, (done, modules) in runs:
        assert done.returncode == 0, (run, done.stderr)
        assert done.stdout.strip(), (run, "the command printed nothing: did it run?")
        assert imported(modules, NEVER_READING) == [], run
    assert imported(modules, GIT_WRITING) == []


@pytest.mark.parametrize("args", HOT_WRITES, ids=" ".join)
def test_hot_writes_stay_within_their_import_budget(
    sample_ws: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """A change and its commit import the git and YAML code they need, nothing more."""
    assert run_here("today").code == 0  # the index, as a clone in use has it
    before = _commits(sample_ws)
    done, modules = probe(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert _commits(sample_ws) == before + 1, "the command made no commit: did it run?"
    assert imported(modules, NEVER_HOT) == []


def test_pydantic_validates_without_looking_plugins_up(sample_ws: Path, tmp_path: Path) -> None:
    """The plugin lookup left out (tcrm.cli.launch.no_plugin_lookup) is pydantic's, and
    only that: validation still runs, and refuses what it refused (a bad due)."""
    done, modules = probe(tmp_path, "task", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout), "no tasks validated"
    assert "pydantic_core" in modules and "importlib.metadata" not in modules
    bad = sample_ws / "tasks" / "t-bad.yaml"
    bad.write_text("title: Broken\nstatus: open\ndue: 2026-13-45\n", encoding="utf-8")
    done, _ = probe(tmp_path, "task", "show", "t-bad")
    assert done.returncode != 0
    assert "tasks/t-bad.yaml" in done.stderr and "due" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("task", "list"),
        ("deal", "list"),
        ("client", "list"),
        ("status",),
        ("--help",),
        ("--version",),
    ],
    ids=" ".join,
)
def test_piped_tables_and_help_never_import_rich(
    first_runs: Callable[..., list[Probed]], args: tuple[str, ...]
) -> None:
    """A pipe gets tab-separated lines: rich (~30 ms) is for terminals only."""
    [(done, modules)] = first_runs(*args)
    assert done.returncode == 0, done.stderr
    assert imported(modules, ("rich",)) == []


def test_the_prompt_status_imports_no_table_code(sample_ws: Path, tmp_path: Path) -> None:
    """`tcrm status` runs on every prompt: not even rich on a terminal, nor the table code,
    nor any other command's module, nor the YAML writer."""
    for extra in ({}, {"TTY_COMPATIBLE": "1"}):
        for index in (sample_ws / ".tcrm").glob("index.sqlite*"):
            index.unlink()  # no index: the command itself answers (not the early path)
        done, modules = probe(tmp_path, "status", "--json", **extra)
        assert done.returncode == 0, done.stderr
        assert set(json.loads(done.stdout)) == {"overdue", "today", "conflicts", "reminders"}
        unwanted = ("rich", "tcrm.cli.render", *HEAVY)
        assert imported(modules, unwanted) == []
        commands = sorted(m for m in modules if m.startswith("tcrm.cli.") and "_cmds" in m)
        assert commands == ["tcrm.cli.status_cmds"]


EARLY_UNWANTED = ("typer", "click", "pydantic", "rich", "ruamel", "dulwich", "yaml", *HEAVY)
"""What the early paths (a prompt's `tcrm status`, a TAB) must never import."""


def test_the_early_paths_import_no_framework(fresh_index: FreshIndex) -> None:
    """With a fresh index, `tcrm status` and a TAB on ids, stages or members answer before
    Typer, click, pydantic, rich or any YAML library is imported, and import no command
    module (tcrm.cli.early_path, issue 23)."""
    tabs = [
        {"COMP_WORDS": "tcrm task done t", "COMP_CWORD": "3"},
        {"COMP_WORDS": "tcrm deal list --stage p", "COMP_CWORD": "4"},
        {"COMP_WORDS": "tcrm log x y --author ", "COMP_CWORD": "5"},
    ]
    runs = [(("status",), {}), (("status", "--json"), {}), (("status", "--format", "{today}"), {})]
    runs += [((), {"_TCRM_COMPLETE": "complete_bash", **tab}) for tab in tabs]
    for args, env in runs:
        done, modules = fresh_index(*args, **env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip(), (args, env)
        assert imported(modules, EARLY_UNWANTED) == [], (args, env)
        assert not [m for m in modules if m.startswith("tcrm.cli.") and "_cmds" in m]
        assert not {"tcrm.model.records", "tcrm.store.git", "tcrm.store.workspace"} & modules


def test_task_list_piped_imports_no_framework(fresh_index: FreshIndex) -> None:
    """With a fresh index, `tcrm task list` to a pipe (scripts run it in loops) answers
    before Typer, click, pydantic, rich or any YAML library is imported, and imports no
    command module nor the models (tcrm.cli.early_path, issue 23)."""
    runs = [
        ("task", "list"),
        ("task", "list", "--today"),
        ("task", "list", "--week", "--assignee", "ben"),
        ("task", "list", "--all", "--client", "acme-logistics"),
        ("-w", str(fresh_index.root), "task", "list", "--overdue"),
    ]
    for args in runs:
        done, modules = fresh_index(*args)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("id\tdue\ttitle\t"), args
        assert imported(modules, EARLY_UNWANTED) == [], args
        assert not [m for m in modules if m.startswith("tcrm.cli.") and "_cmds" in m]
        assert not {"tcrm.model.records", "tcrm.store.git", "tcrm.store.workspace"} & modules
        assert "tcrm.cli.render" not in modules  # only its plain half: tcrm.cli.plain_table


def test_deal_list_piped_imports_no_framework(sample_ws: Path, tmp_path: Path) -> None:
    """With a fresh index, `tcrm deal list` to a pipe answers before Typer, click,
    pydantic, rich or any YAML library is imported, and imports no command module, nor
    the models, nor the standard library's costly modules (tcrm.cli.early_path, issue 23)."""
    settle(sample_ws)
    first, _ = probe(tmp_path, "deal", "list")  # builds the index, keeps the settings
    assert first.returncode == 0, first.stderr
    runs = [
        ("deal", "list"),
        ("deal", "list", "--stage", "proposal"),
        ("deal", "list", "--all", "--pipeline", "sales", "--owner", "ben"),
        ("deal", "list", "--won", "--client", "acme-logistics"),
        ("-w", str(sample_ws), "deal", "list", "--lost"),
    ]
    for args in runs:
        done, modules = probe(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("id\ttitle\tclient\t"), args
        assert "tcrm.cli.early_path" in modules, args
        assert imported(modules, EARLY_UNWANTED) == [], args
        assert not [m for m in modules if m.startswith("tcrm.cli.") and "_cmds" in m]
        assert not {"tcrm.model.records", "tcrm.store.git", "tcrm.store.workspace"} & modules
        assert "tcrm.cli.render" not in modules  # only its plain half: tcrm.cli.plain_table
        stdlib = ("typing", "dataclasses", "inspect", "pathlib", "urllib", "subprocess")
        assert imported(modules, stdlib) == [], args


def test_client_list_piped_imports_no_framework(fresh_index: FreshIndex) -> None:
    """With a fresh index, `tcrm client list` to a pipe answers before Typer, click,
    pydantic, rich or any YAML library is imported, and imports no command module, nor
    the models, nor the standard library's costly modules (tcrm.cli.early_path, issue 23)."""
    runs = [
        ("client", "list"),
        ("client", "list", "--tag", "smb"),
        ("client", "list", "--owner", "ann", "--status", "active", "nps:>=7"),
        ("-w", str(fresh_index.root), "client", "list", "--source=referral"),
    ]
    for args in runs:
        done, modules = fresh_index(*args)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("id\tname\tstatus\towner\t"), args
        assert "tcrm.services.client_selection" in modules, args
        assert imported(modules, EARLY_UNWANTED) == [], args
        assert not [m for m in modules if m.startswith("tcrm.cli.") and "_cmds" in m]
        assert not {"tcrm.model.records", "tcrm.store.git", "tcrm.store.workspace"} & modules
        assert "tcrm.cli.render" not in modules  # only its plain half: tcrm.cli.plain_table
        assert imported(modules, EARLY_STDLIB_UNWANTED) == [], args


def test_search_piped_imports_no_framework(fresh_index: FreshIndex) -> None:
    """With a fresh index, `tcrm search` to a pipe (kb pages included: the sample has
    some) answers before Typer, click, pydantic, rich or any YAML library is imported,
    and imports no command module, nor the models, nor the standard library's costly
    modules (tcrm.cli.early_path, issue 23)."""
    runs = [
        ("search", "acme"),
        ("search", "objection", "-k", "kb"),
        ("search", "acme", "-k", "client"),
        ("search", "Müller", "--kind", "contact", "--kind", "deal", "--limit", "0"),
        ("-w", str(fresh_index.root), "search", "a", "-k", "task", "-k", "activity", "--limit=2"),
        ("search", "nothing like this", "-k", "deal"),
    ]
    for args in runs:
        done, modules = fresh_index(*args)
        assert done.returncode == 0, done.stderr
        if "nothing like this" in args:
            assert (done.stdout, done.stderr) == ("", "No matches for 'nothing like this'.\n")
        else:
            assert done.stdout.startswith("kind\tid\tname\tfield\tmatch\n"), args
        assert "tcrm.services.search_selection" in modules, args
        assert imported(modules, EARLY_UNWANTED) == [], args
        assert not [m for m in modules if m.startswith("tcrm.cli.") and "_cmds" in m]
        assert not {"tcrm.model.records", "tcrm.store.git", "tcrm.store.workspace"} & modules
        assert not {"tcrm.cli.render", "tcrm.services.search", "tcrm.services.kb"} & modules
        assert imported(modules, EARLY_STDLIB_UNWANTED) == [], args


EARLY_STDLIB_UNWANTED = ("typing", "dataclasses", "inspect", "pathlib", "urllib", "subprocess")
"""The standard library's costly modules no early answer needs (issue 23): each is 10-40
ms of process CPU on every prompt, TAB and scripted ``task list`` (``inspect`` comes
with ``dataclasses``, ``urllib.parse`` with ``pathlib``; git is spawned with
``os.posix_spawnp``)."""


def test_the_early_paths_import_only_what_they_use(fresh_index: FreshIndex) -> None:
    """A prompt's `tcrm status`, a TAB on ids, stages or members and a piped `tcrm task
    list`, answered from a fresh index, import none of those."""
    tabs = [
        {"COMP_WORDS": "tcrm task done t", "COMP_CWORD": "3"},
        {"COMP_WORDS": "tcrm deal list --stage p", "COMP_CWORD": "4"},
        {"COMP_WORDS": "tcrm log x y --author ", "COMP_CWORD": "5"},
    ]
    runs: list[tuple[tuple[str, ...], dict[str, str]]] = [
        (("status",), {}),
        (("status", "--json"), {}),
        (("status", "--format", "{overdue}/{today}"), {}),
        (("task", "list"), {}),
        (("task", "list", "--week", "--assignee", "ben"), {}),
        (("task", "list", "--all", "--client", "acme-logistics"), {}),
    ]
    runs += [((), {"_TCRM_COMPLETE": "complete_bash", **tab}) for tab in tabs]
    for args, env in runs:
        done, modules = fresh_index(*args, **env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip(), (args, env)
        assert "tcrm.cli.early_path" in modules or env, "the early path did not answer"
        assert "typer" not in modules, (args, env, "the early path did not answer")
        assert imported(modules, EARLY_STDLIB_UNWANTED) == [], (args, env)


def test_a_tab_on_ids_reads_no_index(fresh_index: FreshIndex) -> None:
    """Ids are file names (``tcrm.store.listing``): a TAB on them imports neither sqlite3
    nor json (~15 ms), which a TAB on stages or members needs for the kept settings."""
    tab = {"_TCRM_COMPLETE": "complete_bash", "COMP_WORDS": "tcrm task done t"}
    done, modules = fresh_index(**tab, COMP_CWORD="3")
    assert done.returncode == 0 and done.stdout.split(), done.stderr
    assert all(word.startswith("t") for word in done.stdout.split())
    assert "tcrm.cli.completion" in modules and "typer" not in modules
    assert imported(modules, ("sqlite3", "tcrm.store.early_index")) == []
    stages = {**tab, "COMP_WORDS": "tcrm deal list --stage p"}
    done, modules = fresh_index(**stages, COMP_CWORD="4")
    assert done.returncode == 0 and done.stdout.split(), done.stderr
    assert "sqlite3" in modules and "typer" not in modules  # the positive control


def test_the_query_columns_are_the_same_at_run_time() -> None:
    """``where.Column`` (a ``Literal``, for type checkers) and ``COLUMN_NAMES`` (what is
    checked at run time, without typing) name the same columns."""
    import ast

    from tcrm.store import where

    tree = ast.parse((ROOT / "tcrm" / "store" / "where.py").read_text(encoding="utf-8"))
    literals = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["Column"]
        and isinstance(node.value, ast.Subscript)
    ]
    assert len(literals) == 1
    names = [e.value for e in ast.walk(literals[0].slice) if isinstance(e, ast.Constant)]
    assert tuple(names) == where.COLUMN_ORDER
    assert set(names) == where.COLUMN_NAMES


def test_a_terminal_still_gets_rich_tables(
    sample_ws: Path, tmp_path: Path, first_runs: Callable[..., list[Probed]]
) -> None:
    """rich decides what a terminal is (TTY_COMPATIBLE=1 makes a pipe one): the lazy
    console defers to it instead of guessing."""
    done, modules = probe(tmp_path, "task", "list", TTY_COMPATIBLE="1")
    assert done.returncode == 0, done.stderr
    assert "rich.table" in modules
    assert "\x1b[1mId" in done.stdout and "\t" not in done.stdout  # rich's bold header
    [(piped, _)] = first_runs("task", "list")
    assert piped.stdout.splitlines()[0].startswith("id\tdue\t")


def test_a_command_imports_only_its_own_module(sample_ws: Path, tmp_path: Path) -> None:
    """Global options before the command are skipped to find it: -w PATH, --workspace=PATH."""
    everything = (*cli_main.COMMAND_MODULES, *mail_cmds.MAIL_EXTENSIONS)
    all_modules = sorted(f"tcrm.cli.{name}" for name in everything)
    for args, expected in [
        (("-w", str(sample_ws), "task", "list"), ["tcrm.cli.task_cmds"]),
        ((f"--workspace={sample_ws}", "pipeline"), ["tcrm.cli.deal_cmds"]),
        # a group's help lists what other modules add to it (`update`): everything
        ((f"--workspace={sample_ws}", "deal", "--help"), all_modules),
    ]:
        done, modules = probe(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        commands = sorted(m for m in modules if m.startswith("tcrm.cli.") and "_cmds" in m)
        assert commands == expected, args


def test_commands_that_need_heavy_libraries_still_import_them(
    sample_ws: Path, tmp_path: Path
) -> None:
    """The positive control: the probe does see modules imported inside a command."""
    done, modules = probe(tmp_path, "ics", "export", "-o", str(tmp_path / "feed.ics"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "feed.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert {"icalendar", "tcrm.ics"} <= set(imported(modules, HEAVY))
    assert imported(modules, ("textual", "tcrm.tui", "tcrm.reports", "vobject")) == []
    done, modules = probe(tmp_path, "report", "funnel", "--json")
    assert done.returncode == 0, done.stderr
    assert "tcrm.reports" in modules


def test_the_command_table_matches_the_real_registrations(tmp_path: Path) -> None:
    """main.COMMANDS (command -> module) can't go stale: each module registers, in a fresh
    interpreter, on a bare Typer, and what it adds is compared with the table."""
    code = (
        "import importlib, json, typer\n"
        "from tcrm.cli.main import COMMAND_MODULES, _top_level\n"
        "app = typer.Typer()\n"
        "owners = {}\n"
        "for module in COMMAND_MODULES:\n"
        "    before = set(_top_level(app))\n"
        "    importlib.import_module(f'tcrm.cli.{module}').register(app)\n"
        "    owners.update({name: module for name in set(_top_level(app)) - before})\n"
        "print(json.dumps(owners))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(tmp_path), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == cli_main.COMMANDS
    on_disk = {p.stem for p in (ROOT / "tcrm" / "cli").glob("*_cmds.py")}
    # the modules adding commands to the `mail` group are imported by mail_cmds
    known = set(cli_main.COMMAND_MODULES) | set(mail_cmds.MAIL_EXTENSIONS)
    assert known == on_disk, "a command module main.py doesn't know"
    assert len(set(cli_main.COMMAND_MODULES)) == len(cli_main.COMMAND_MODULES)


def test_help_lists_every_command(first_runs: Callable[..., list[Probed]]) -> None:
    [(done, _)] = first_runs("--help")
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("Commands:", 1)[1]
    # a short help wraps onto lines indented past the names: those name nothing
    names = [line.split()[0] for line in listed.splitlines() if line[2:3].strip()]
    assert names == list(dict.fromkeys(names))
    assert set(names) == set(cli_main.COMMANDS) - {"dev"}  # dev is hidden


def test_help_is_the_same_whatever_ran_before_in_the_process(
    sample_ws: Path, tmp_path: Path, first_runs: Callable[..., list[Probed]]
) -> None:
    """Registering module by module (as tests running commands in-process do, or a fixture
    registering one by hand) ends in the order and the commands of a fresh ``--help``."""
    code = (
        "import contextlib, io, json, sys\n"
        "from tcrm.cli import dev_cmds, main\n"
        "def run(*args):\n"
        "    out = io.StringIO()\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        try:\n"
        "            main.main(list(args))\n"
        "        except SystemExit:\n"
        "            pass\n"
        "    return out.getvalue()\n"
        "run('ics', 'export', '-o', sys.argv[1])\n"
        "run('task', 'list')\n"
        "dev_cmds.register(main.app)  # as tests/test_generate.py's fixture may\n"
        "run('dev', 'generate', '--help')\n"
        "print(json.dumps([run('--help'), run('dev', '--help'), run('client', '--help')]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "feed.ics")],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    after = json.loads(done.stdout)
    fresh = [
        first_runs("--help")[0][0].stdout,
        *(probe(tmp_path, *args)[0].stdout for args in (["dev", "--help"], ["client", "--help"])),
    ]
    assert after == fresh
    assert fresh[1].count(" generate ") == 1
    assert "update" in fresh[2]  # added to the client group by bulk_cmds


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tsk", "list"), "No such command 'tsk'. Did you mean 'task'?"),
        (("client", "lst"), "No such command 'lst'. Did you mean 'list'?"),
    ],
)
def test_misspelt_commands_still_get_suggestions(
    sample_ws: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done, _ = probe(tmp_path, *args)
    assert done.returncode == 2
    assert message in done.stderr


LEAVE = """
import atexit, sys, threading
from tcrm.cli.launch import leave
atexit.register(lambda: print("handler ran", file=sys.stderr))
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (__import__("time").sleep(0.2), print("thread done"))).start()
print("x" * 200_000, end="|")
leave({"none": None, "three": 3, "message": "tcrm: error: bad", "thread": 4}[sys.argv[1]])
"""


@pytest.mark.parametrize(
    ("how", "code"), [("none", 0), ("three", 3), ("message", 1), ("thread", 4)]
)
def test_leaving_keeps_what_a_normal_exit_does(tmp_path: Path, how: str, code: int) -> None:
    """The executable skips the interpreter's teardown (``leave``), never its effects: the
    exit status, every byte written to stdout, the atexit handlers, a thread's work."""
    env = _env(tmp_path)
    env.pop("PYTHONUNBUFFERED", None)  # stdout buffered, so an exit without a flush loses it
    done = subprocess.run(
        [sys.executable, "-c", LEAVE, how],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code, done.stderr
    assert done.stdout.startswith("x" * 200_000 + "|")
    assert "handler ran" in done.stderr
    assert ("thread done" in done.stdout) == (how == "thread")
    assert ("tcrm: error: bad" in done.stderr) == (how == "message")


def test_a_profiler_still_gets_its_report(tmp_path: Path) -> None:
    """``python -m cProfile -o FILE -m tcrm ...`` writes FILE at exit: leave lets it."""
    report = tmp_path / "report.prof"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(report), "-m", "tcrm", "--help"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert report.stat().st_size > 0


def test_version_does_not_import_the_models(first_runs: Callable[..., list[Probed]]) -> None:
    """``tcrm --version`` (and the start of every command) stays at Typer's floor: the
    terminal's escaping rule lives in tcrm.model.text, whose package must not load every
    model on the way (it did for a while: 0.2 s instead of 0.08 s)."""
    [(done, modules)] = first_runs("--version")
    assert done.returncode == 0, done.stderr
    assert imported(modules, ("tcrm.model.records", "tcrm.model.settings")) == []
    assert imported(modules, HEAVY) == []


def _model_classes() -> list[type[Any]]:
    """Every pydantic model tcrm defines (their modules imported; nothing is built)."""
    import importlib
    import pkgutil

    import pydantic

    import tcrm.model

    names = [f"tcrm.model.{m.name}" for m in pkgutil.iter_modules(tcrm.model.__path__)]
    names.append("tcrm.services.import_mappings")
    found: list[type[Any]] = []
    for name in names:
        module = importlib.import_module(name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, pydantic.BaseModel)
            and value.__module__ == name
        ]
    return found


def test_no_model_field_defaults_to_a_builtin_list_factory() -> None:
    """pydantic asks each ``default_factory`` for its signature when it builds a model's
    validator (every command that reads a record or the settings): for ``list`` that
    means parsing and compiling its text signature (~0.3 ms, ~40 fields). The models use
    ``tcrm.model.types.new_list`` (issue 23)."""
    classes = _model_classes()
    assert len(classes) > 20, "no models found: did the walk run?"
    slow = sorted(
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in classes
        for name, info in cls.model_fields.items()
        if info.default_factory in (list, set, tuple, frozenset)
    )
    assert slow == []
