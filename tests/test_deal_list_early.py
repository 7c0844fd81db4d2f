"""``tcrm deal list`` piped, answered before Typer is imported (tcrm.cli.early_path), from
a fresh index: the same bytes and exit codes as the Typer command, on the sample
workspace and on a generated one with hostile records; and the normal path whenever the
early one cannot be sure (issue 23)."""

from __future__ import annotations

import functools
import itertools
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperArgument, TyperGroup, TyperOption

from tcrm.cli import early_path
from tcrm.cli import main as cli_main
from tcrm.cli.deal_cmds import app as deal_app
from tcrm.services.deal_selection import Asked
from tests.clitools import as_sample, git, run
from tests.earlytools import (
    _as_in,
    early_answer,
    heavy,
    run_on_terminal,
    same_both_ways,
    settle,
    tcrm,
    typer_here,
)

pytestmark = pytest.mark.xdist_group("deal_list_early")
"""One worker for the module: its module-scoped fixtures are built once (``--dist loadgroup``)."""

SAMPLE_LINES = [
    (),
    ("--stage", "proposal"),
    ("--stage=negotiation",),
    ("--all",),
    ("--won",),
    ("--lost",),
    ("--won", "--lost"),
    ("--open", "--won", "--lost"),
    ("--all", "--open"),
    ("--pipeline", "partnerships"),
    ("--pipeline=sales", "--stage", "lead"),
    ("--stage", "intro", "--all"),
    ("--owner", "ben"),
    ("--owner=chloe", "--all", "--stage", "proposal"),
    ("--client", "acme-logistics"),
    ("--client=brightwater-health", "--all"),
    ("--client", "acme-logistics", "--owner", "ann", "--won"),
    ("--stage", "agreement", "--pipeline", "partnerships", "--lost"),
    ("--owner", "ann", "--stage", "pilot"),  # nothing: the header alone
]
"""Command lines after ``deal list`` the early path answers on the sample workspace."""


def both(root: Path, *args: str, **env: str) -> tuple[tuple[int, str, str], list[str]]:
    """The executable's answer (code, out, err; a fresh interpreter, whose modules tell
    whether the early path answered), once equal to the Typer command's (in this
    process), and the heavy libraries the executable imported."""
    early, modules = tcrm("launch", args, root, **env)
    got = (early.returncode, early.stdout, early.stderr)
    assert got == typer_here(args, root, **env), args
    return got, heavy(modules)


def stepped_aside(root: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """The early path steps aside for ``tcrm ARGS`` (asked in this process, in ``root``
    with ``env``), so the executable runs the Typer command, whose answer this returns
    (in this process). That a separate process then imports Typer is held by ``both``,
    once per behaviour: a process costs ten times the check."""
    with _as_in(root, env):
        assert early_answer(*args) == (None, "", ""), args
    return typer_here(args, root, **env)


def answered_here(root: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """``tcrm ARGS`` as the executable answers it, in this process: the early answer,
    when there is one, equal to the Typer command's; else the Typer command's."""
    with _as_in(root, env):
        early = early_answer(*args)
    typer = typer_here(args, root, **env)
    if early[0] is not None:
        assert early == typer, args
    else:
        assert early == (None, "", ""), args
    return typer


@pytest.fixture
def typer_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Typer app built into its click command once for the test, not on every run
    (a process builds it once too); each run still parses its line through it."""
    monkeypatch.setattr(cli_main, "command", functools.cache(cli_main.command))


@pytest.fixture(scope="module")
def _ready_template(_sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with its index built and its settings kept (one normal run,
    in its own process), once for the module."""
    root = tmp_path_factory.mktemp("ready") / "ws"
    shutil.copytree(_sample_template, root, symlinks=True)
    with pytest.MonkeyPatch.context() as patch:
        as_sample(patch, root)
        settle(root)
        done, modules = tcrm("launch", ("deal", "list"), root)
    assert done.returncode == 0, done.stderr
    assert "typer" in modules  # the first run builds the index: the normal path
    return root


@pytest.fixture
def ready(_ready_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample workspace with its index built, and its settings kept again
    (their key holds the file's inode and ctime, which a copy changes): one ``tcrm deal
    list`` through the Typer app, in this process."""
    root = tmp_path / "ws"
    shutil.copytree(_ready_template, root, symlinks=True)
    as_sample(monkeypatch, root)
    assert run("deal", "list").code == 0
    return root


@pytest.fixture(scope="module")
def _shared_template(_ready_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One more copy of the ready workspace, its settings kept again (one run in this
    process), for the tests that change no file: they share it."""
    root = tmp_path_factory.mktemp("shared") / "ws"
    shutil.copytree(_ready_template, root, symlinks=True)
    with pytest.MonkeyPatch.context() as patch:
        as_sample(patch, root)
        assert run("deal", "list").code == 0
    return root


@pytest.fixture
def shared(_shared_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ready workspace as ``ready`` sets it up, for a test that only reads it (its
    runs may bring the index up to date, as any normal run does): not copied per test."""
    return as_sample(monkeypatch, _shared_template)


# --- the options: held to the Typer command ---------------------------------------------


def test_the_option_tables_are_the_commands() -> None:
    """Every option the early path reads is the Typer command's, by the same parameter,
    a flag where it is a flag and taking one value where it takes one; what it leaves
    to the normal path is named here, so an option added to the command is noticed."""
    group = typer.main.get_command(deal_app)
    assert isinstance(group, TyperGroup)
    command = group.commands["list"]
    options = {
        opt: param
        for param in command.params
        if isinstance(param, TyperOption)
        for opt in param.opts
    }
    for opt, name in early_path.DEAL_LIST_FLAGS.items():
        assert options[opt].name == name and options[opt].is_flag, opt
    for opt, name in early_path.DEAL_LIST_VALUES.items():
        param = options[opt]
        assert param.name == name and not param.is_flag and param.nargs == 1, opt
        assert not param.multiple, opt
    known = {*early_path.DEAL_LIST_FLAGS, *early_path.DEAL_LIST_VALUES}
    assert set(options) - known == {"--stale", "--json"}  # and --help: the normal path
    arguments = [p.name for p in command.params if isinstance(p, TyperArgument)]
    assert arguments == ["filters"]  # filter terms: the normal path


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], Asked()),
        (["--stage", "proposal"], Asked(stage="proposal")),
        (["--stage=proposal", "--all"], Asked(stage="proposal", all_=True)),
        (["--won", "--lost"], Asked(won=True, lost=True)),
        (["--open"], Asked(open_=True)),
        (["--pipeline", "sales", "--owner=ann"], Asked(pipeline="sales", owner="ann")),
        (["--client", "acme"], Asked(client="acme")),
        (["--stale"], None),
        (["--json"], None),
        (["--help"], None),
        (["-h"], None),
        (["owner:ann"], None),
        (["--stgae", "lead"], None),
        (["--stage", "lead", "--stage", "proposal"], None),
        (["--all", "--all"], None),
        (["--stage"], None),
        (["--stage", "--all"], None),
        (["--stage="], None),
        (["--won=1"], None),
        (["--", "--all"], None),
    ],
)
def test_what_the_early_path_reads_of_a_command_line(
    args: list[str], expected: Asked | None
) -> None:
    assert early_path.deal_list_args(args) == expected


# --- the same bytes -------------------------------------------------------------------


@pytest.mark.parametrize("args", SAMPLE_LINES, ids=lambda a: " ".join(a) or "plain")
def test_the_early_answer_is_the_commands(shared: Path, args: tuple[str, ...]) -> None:
    (code, out, err), imported = both(shared, "deal", "list", *args)
    assert code == 0 and err == "" and out.startswith("id\ttitle\tclient\tstage\t")
    assert imported == [], "the early path was not taken"


def test_the_sample_lines_list_what_they_ask_for(shared: Path) -> None:
    """The lines above are not all empty answers: each status, both pipelines, amounts
    in two currencies, probabilities of stages and of deals, and the order of stages."""
    _, everything, _ = early_answer("deal", "list", "--all")
    rows = [line.split("\t") for line in everything.splitlines()[1:]]
    assert {r[4] for r in rows} == {"open", "won", "lost"}
    assert {r[5].split(" ")[-1] for r in rows if r[5]} >= {"EUR", "USD"}
    stages = [r[3] for r in rows]
    assert stages.index("lead") < stages.index("negotiation") < stages.index("intro")
    assert {"100%", "0%", "10%", "50%"} <= {r[6] for r in rows}


def test_the_workspace_option_and_variable(shared: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args, env in [
        (("-w", str(shared), "deal", "list", "--stage", "proposal"), {"TCRM_WORKSPACE": ""}),
        ((f"--workspace={shared}", "deal", "list"), {"TCRM_WORKSPACE": ""}),
        (("deal", "list", "--all"), {"TCRM_WORKSPACE": str(shared)}),
    ]:
        (code, out, _), imported = both(elsewhere, *args, **env)
        assert code == 0 and out.count("\n") > 3
        assert imported == [], args


@pytest.mark.usefixtures("typer_built_once")
def test_across_moments_the_answers_are_the_commands(
    shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Differential: at moments before, during and after the sample's deals' stage
    changes (rotting, which only colours a terminal's rows), every command line gives
    the Typer command's bytes."""
    start = datetime.fromisoformat(os.environ["TCRM_NOW"]) - timedelta(days=40)
    moments = [start + timedelta(days=9 * i, hours=7 * i) for i in range(8)]
    lines = [("deal", "list", *args) for args in SAMPLE_LINES]
    answered = 0
    for now in moments:
        monkeypatch.setenv("TCRM_NOW", now.isoformat())
        for args in lines:
            answered += same_both_ways(*args)
    assert answered == len(moments) * len(lines)


# --- a generated workspace with hostile records ---------------------------------------

HOSTILE = {
    "zz-escape": 'title: "\\e]0;pwned\\a\\e[2J Clear the screen"\nclient: CLIENT\n'
    "pipeline: sales\nstage: proposal\namount: 1_000.5\ncurrency: ' usd '\n",
    "zz-bidi": 'title: "invoice\\u202egpj.exe \\x9b31m red"\nclient: CLIENT\n'
    "pipeline: sales\nstage: lead\namount: '  12000 '\nprobability: '050'\nowner: ben\n",
    "zz-spaces": 'title: "\\u3000\\xa0 Unicode spaces stripped \\u2028"\nclient: CLIENT\n'
    "pipeline: partnerships\nstage: intro\namount: 1e3\ncurrency: gbp\n",
    "zz-separators": 'title: "\\x1c  Separators kept \\x1f"\nclient: CLIENT\n'
    "pipeline: sales\nstage: negotiation\namount: 0.005\nclose_date: 2200-12-31\n",
    "zz-tabs": 'title: "Tabs\\tand\\nnew lines\\r\\n in a title"\nclient: CLIENT\n'
    "pipeline: sales\nstage: qualified\nprobability: 0\nclose_date: 1900-01-01\n",
    "zz-retired": "title: In a pipeline the settings lost\nclient: CLIENT\n"
    "pipeline: retired\nstage: gone\namount: 999999999999999.999999\n",
    "zz-gone-stage": "title: In a stage the pipeline lost\nclient: CLIENT\n"
    "pipeline: sales\nstage: gone\nprobability: 100\n",
    "zz-won": "title: Won big\nclient: CLIENT\npipeline: sales\nstage: negotiation\n"
    "status: won\namount: 12345.675\nclosed: 2026-11-01\nprobability: 20\n",
    "zz-lost": "title: Lost\nclient: CLIENT\npipeline: partnerships\nstage: pilot\n"
    "status: lost\nlost_reason: price\nclosed: 2026-11-02\nowner: chloe\n",
    "zz-controls": 'title: "\\x00 nulls and \\x7f deletes"\nclient: CLIENT\n'
    "pipeline: sales\nstage: lead\nowner: ann\n",
}
"""Deal files a teammate may push: escape sequences, bidi overrides, C1 controls, spaces
the models strip and separators they keep, tabs and line breaks in a cell, amounts with
underscores, spaces, an exponent, fractions of a cent and the largest there is,
currencies in lower case, probabilities of 0, 050 and 100, years 2200 and 1900, a
pipeline and a stage the settings do not have. ``CLIENT`` is a generated client."""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tcrm dev generate`` (a small one), with the sample's settings, and the hostile
    deal files above committed on top."""
    root = tmp_path_factory.mktemp("generated") / "ws"
    made = run(
        "dev",
        "generate",
        str(root),
        "--clients",
        "30",
        "--deals",
        "300",
        "--tasks",
        "40",
        "--activities",
        "60",
        "--seed",
        "11",
    )
    assert made.code == 0, made.err
    client = sorted(p.stem for p in (root / "clients").glob("*.yaml"))[0]
    for name, text in HOSTILE.items():
        text = text.replace("CLIENT", client)
        (root / "deals" / f"{name}.yaml").write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hostile deals")
    settle(root)
    first = run("-w", str(root), "deal", "list")
    assert first.code == 0 and first.err == "", first.err
    return root


def test_hostile_records_are_valid_and_listed(generated: Path) -> None:
    listed = run("-w", str(generated), "deal", "list", "--all").out
    for name in HOSTILE:
        assert f"\n{name}\t" in listed, name
    assert "\x1b" not in listed and "\\x1b]0;pwned\\x07" in listed
    assert "\\u202e" in listed and "\\x1c  Separators kept \\x1f" in listed
    assert "\t1,000.50 USD\t" in listed and "\t1,000 GBP\t" in listed
    assert "\t1,000,000,000,000,000 EUR\t0%\t" in listed  # to cents; no stage, no odds
    rows = [line.split("\t") for line in listed.splitlines()[1:]]
    assert rows[-1][0] == "zz-retired"  # a pipeline the settings lack: last
    gone = [r[0] for r in rows].index("zz-gone-stage")  # a stage they lack: last of sales
    assert rows[gone - 1][3] == "negotiation" and rows[gone + 1][3] == "intro"


@pytest.mark.usefixtures("typer_built_once")
def test_on_a_generated_workspace_the_answers_are_the_commands(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Differential on a generated workspace with hostile records: every combination of
    the statuses, a pipeline, a stage (of each pipeline, of both), an owner and a client,
    at two moments."""
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)
    clients = sorted(p.stem for p in (generated / "clients").glob("*.yaml"))
    statuses = [(), ("--all",), ("--won",), ("--lost", "--open")]
    places = [
        (),
        ("--stage", "proposal"),
        ("--stage", "intro"),
        ("--pipeline", "partnerships"),
        ("--pipeline", "sales", "--stage", "negotiation"),
    ]
    narrow = [(), ("--owner", "ben"), ("--client", clients[0]), ("--client", clients[5])]
    lines = [
        ("-w", str(generated), "deal", "list", *s, *p, *n)
        for s, p, n in itertools.product(statuses, places, narrow)
    ]
    answered = 0
    for now in ("2026-11-23T09:00:00+01:00", "2027-06-01T00:00:00-12:00"):
        monkeypatch.setenv("TCRM_NOW", now)
        for args in lines:
            answered += same_both_ways(*args)
    assert answered == 2 * len(lines)


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("probability", "'+40'", True),
        ("probability", "' 40'", True),
        ("probability", "'4_0'", True),
        ("probability", "'40.0'", True),
        ("status", "'won '", False),
    ],
)
def test_values_in_forms_only_the_models_read_are_the_commands(
    ready: Path, field: str, value: str, valid: bool
) -> None:
    """A value pydantic reads in a form the early reader does not know for certain (a
    sign, spaces or underscores in a number): the normal path lists it (or, for one the
    models refuse, warns of it)."""
    deal = ready / "deals" / "fjordline-headless-storefront.yaml"
    text = deal.read_text()
    lines = [line for line in text.splitlines() if not line.startswith(f"{field}:")]
    deal.write_text("\n".join([*lines, f"{field}: {value}", ""]))
    git(ready, "commit", "-q", "-am", "an unusual form")
    settle(ready)
    typer_here(("deal", "list"), ready)  # brings the index up to date
    code, out, err = stepped_aside(ready, "-w", str(ready), "deal", "list", "--all")
    assert code == 0 and out.startswith("id\t")
    if (field, value) == ("probability", "'+40'"):  # a separate process: the normal path
        (_, *answer), imported = both(ready, "deal", "list", "--all")
        assert answer == [out, err] and "typer" in imported
    if valid:
        assert err == "" and "\nfjordline-headless-storefront\t" in out
        assert "\t64,000 EUR\t40%\t" in out
    else:
        assert "fjordline-headless-storefront.yaml" in err


# --- the normal path: whenever the early one cannot be sure -----------------------------


def test_other_command_lines_take_the_normal_path(shared: Path) -> None:
    """JSON, stale deals, filter terms, help, an unknown option: Typer answers (in a
    separate process for the first: it imports Typer)."""
    args = ("deal", "list", "--json")
    early, modules = tcrm("launch", args, shared)
    assert (early.returncode, early.stdout, early.stderr) == typer_here(args, shared), args
    assert "typer" in modules, args
    for args in [
        ("deal", "list", "--stale"),
        ("deal", "list", "owner:ann"),
        ("deal", "list", "--help"),
        ("deal", "list", "--stgae", "lead"),
        ("--allow-detached", "deal", "list"),
        ("deal", "list", "--stage", "--all"),
    ]:
        stepped_aside(shared, *args)


def test_a_terminal_gets_the_commands_rich_table(shared: Path) -> None:
    """On a terminal (a real pseudo-terminal here) rich lays the table out: the early
    path steps aside, and the Typer command prints it."""
    code, text, err = run_on_terminal(shared, ["deal", "list"], "stdout")
    assert code == 0 and err == ""
    assert "brightwater-health-symptom-checker-prototype" in text
    assert "\t" not in text and "probability" not in text.splitlines()[0]  # rich's, not TSV


IN_A_PROCESS = {("--stage", "won"), ("--client", "Acme Logistics")}
"""An error and an answer the command gives, each also run as the executable."""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--stage", "won"), 2),  # not a stage
        (("--pipeline", "sales", "--stage", "intro"), 2),  # a stage of the other pipeline
        (("--pipeline", "nope"), 2),  # not a pipeline
        (("--owner", "zoe"), 2),  # not a team member
        (("--owner", " ann "), 2),  # not one either: an owner is not stripped
        (("--client", "nobody-here"), 2),  # no such client
        (("--client", "Acme Logistics"), 0),  # a client by name: resolved by the command
        (("--client", "acme"), 0),  # a unique id prefix
    ],
    ids=["stage", "other-pipeline", "pipeline", "member", "spaces", "client", "name", "prefix"],
)
def test_what_needs_checking_is_the_commands(
    shared: Path, args: tuple[str, ...], code: int
) -> None:
    """What the early path cannot check from the index the way the command does, the
    command answers: its output, its error and its exit code."""
    assert early_answer("deal", "list", *args) == (None, "", "")
    got, out, err = typer_here(("deal", "list", *args), shared)
    assert got == code
    if args in IN_A_PROCESS:  # and a separate process takes the normal path
        (_, *answer), imported = both(shared, "deal", "list", *args)
        assert answer == [out, err] and "typer" in imported
    if code:
        assert out == "" and len(err.splitlines()) == 1 and err.startswith("tcrm: error:")


def test_outside_a_workspace_the_commands_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, env in [
        (("deal", "list"), {"TCRM_WORKSPACE": ""}),
        (("deal", "list"), {"TCRM_WORKSPACE": str(empty)}),
        (("-w", str(empty / "missing"), "deal", "list", "--all"), {"TCRM_WORKSPACE": ""}),
    ]:
        code, out, err = answered_here(empty, *args, **env)
        assert code != 0 and out == "" and err.startswith("tcrm: error:"), args
    (code, out, err), _ = both(empty, "deal", "list", TCRM_WORKSPACE="")  # as the executable
    assert code != 0 and out == "" and err.startswith("tcrm: error:")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("deals/zz-broken.yaml", "title: No client\npipeline: sales\nstage: lead\n"),
        ("activities/2026/abroken1.yaml", "summary: Year 9999\nat: 9999-12-31T10:00\n"),
    ],
    ids=["deal", "activity"],
)
def test_a_broken_file_is_warned_of_by_the_command(ready: Path, path: str, text: str) -> None:
    """A deal or activity file the index could not read (the command reads activities to
    tell which deals rot): the command lists the deals and warns of it."""
    (ready / path).parent.mkdir(parents=True, exist_ok=True)
    (ready / path).write_text(text)
    settle(ready)
    typer_here(("deal", "list"), ready)  # brings the index up to date
    assert early_answer("-w", str(ready), "deal", "list") == (None, "", "")
    (code, out, err), imported = both(ready, "deal", "list")
    assert code == 0 and Path(path).name in err and out.startswith("id\t")
    assert "typer" in imported


def test_a_hand_edit_is_seen_and_the_early_path_resumes(ready: Path) -> None:
    """Freshness stays exact: an edit git sees, a file made behind tcrm's back, a file
    removed: each is listed (or not) by the very next run, which takes the normal path
    and brings the index up to date."""
    (_, before, _), imported = both(ready, "deal", "list", "--stage", "proposal")
    assert imported == [] and "acme-logistics-driver-onboarding-app" not in before
    deal = ready / "deals" / "acme-logistics-driver-onboarding-app.yaml"
    deal.write_text(
        deal.read_text().replace("stage: negotiation\nstatus", "stage: proposal\nstatus")
    )
    _, out, _ = stepped_aside(ready, "deal", "list", "--stage", "proposal")
    assert "\nacme-logistics-driver-onboarding-app\t" in out
    new = ready / "deals" / "zz-by-hand.yaml"
    new.write_text("title: By hand\nclient: acme-logistics\npipeline: sales\nstage: proposal\n")
    _, out, _ = stepped_aside(ready, "deal", "list", "--stage", "proposal")
    assert "\nzz-by-hand\tBy hand\tacme-logistics\tproposal\topen\t\t50%\t" in out
    new.unlink()
    _, out, _ = stepped_aside(ready, "deal", "list", "--stage", "proposal")
    assert "zz-by-hand" not in out and "acme-logistics-driver" in out
    settle(ready)  # the racy window passed; the next normal run keeps trusted stamps
    typer_here(("deal", "list"), ready)
    (_, after, _), imported = both(ready, "deal", "list", "--stage", "proposal")
    assert after == out and imported == []


def test_a_settings_change_is_seen(ready: Path) -> None:
    """A stage's probability, the currency and the pipelines' order changed in
    ``tcrm.yaml``: the next run takes the normal path, and the early one then shows the
    new settings."""
    settings = ready / "tcrm.yaml"
    text = settings.read_text()
    assert "currency: EUR" in text and "    probability: 50\n" in text
    text = text.replace("currency: EUR", "currency: CHF")
    settings.write_text(text.replace("    probability: 50\n", "    probability: 55\n"))
    settle(ready)
    # what the index kept of the settings was for the old file: the normal path
    _, normal, _ = stepped_aside(ready, "deal", "list", "--all")
    assert "\t55%\t" in normal and " CHF\t" in normal
    (_, out, _), imported = both(ready, "deal", "list", "--all")
    assert out == normal and imported == []


def test_without_an_index_or_git_the_normal_path_answers(ready: Path) -> None:
    for env in ({"TCRM_INDEX": "off"}, {"PATH": ""}):
        (code, out, _), imported = both(ready, "deal", "list", **env)
        assert code == 0 and out.startswith("id\t")
        assert "typer" in imported, env


def test_a_stale_or_missing_index_is_the_normal_paths(ready: Path) -> None:
    """An index deleted, or one older tcrm built (another schema): the normal path
    answers and builds it again; the early path answers the run after."""
    index = ready / ".tcrm" / "index.sqlite"
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (ready / ".tcrm" / name).unlink(missing_ok=True)
    code, out, _ = stepped_aside(ready, "deal", "list")
    assert code == 0 and out.startswith("id\t")
    (_, again, _), imported = both(ready, "deal", "list")
    assert again == out and imported == []
    import sqlite3

    conn = sqlite3.connect(index)
    with conn:
        conn.execute("UPDATE meta SET value = 'older' WHERE key = 'schema'")
    conn.close()
    (_, stale, _), imported = both(ready, "deal", "list")  # a separate process
    assert stale == out and "typer" in imported


def test_a_bad_clock_is_the_commands_error(shared: Path) -> None:
    (code, out, err), imported = both(shared, "deal", "list", TCRM_NOW="yesterday")
    assert code != 0 and out == "" and "TCRM_NOW" in err
    assert "typer" in imported
