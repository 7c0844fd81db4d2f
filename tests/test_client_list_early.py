"""``tcrm client list`` piped, answered before Typer is imported (tcrm.cli.early_path),
from a fresh index: the same bytes and exit codes as the Typer command, on the sample
workspace (with survey answers and filed mail added) and on a generated one with hostile
records, whichever mail counts as contact; and the normal path whenever the early one
cannot be sure (issue 23)."""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperArgument, TyperGroup, TyperOption

from tcrm.cli import early_path
from tcrm.cli import main as cli_main
from tcrm.cli.client_cmds import client_app
from tcrm.services.client_selection import Asked
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

pytestmark = pytest.mark.xdist_group("client_list_early")
"""One worker for the module: its module-scoped fixtures are built once (``--dist loadgroup``)."""

ANSWERS = {
    "zsurvey1": "kind: survey\nat: 2026-10-01T10:00+02:00\nsummary: NPS\n"
    "clients: [acme-logistics]\nscore: 6\n",
    "zsurvey2": "kind: survey\nat: 2026-11-02T10:00+01:00\nsummary: NPS\n"
    "clients: [acme-logistics, cafe-lumiere]\nscore: 9\n",
    "zsurvey3": "kind: survey\nat: 2026-11-03T10:00+01:00\nsummary: NPS\n"
    "clients: [cafe-lumiere]\nscore: 4\n",
    "zsurvey4": "kind: survey\nat: 2026-11-04T10:00+01:00\nsummary: NPS\n"
    "clients: [greenleaf-foundation]\nscore: 10\n",
    "zsurvey5": "kind: survey\nat: 2026-11-05T10:00+01:00\nsummary: NPS\n"
    "clients: [fjordline-outdoor-as]\nscore: 7\n",
    "zsurvey6": "kind: survey\nat: 2026-11-06T10:00+01:00\nsummary: NPS\n"
    "clients: [fjordline-outdoor-as]\nscore: 7\n",
    "zmailin1": "kind: email\nat: 2026-11-22T18:00+01:00\nsummary: 'Re: offer'\n"
    "clients: [muller-sohne-gmbh]\nmail:\n  message_id: in1@example.com\n  direction: in\n",
    "zmailout1": "kind: email\nat: 2026-11-21T18:00+01:00\nsummary: Offer\n"
    "clients: [nordlicht-versicherung-ag]\nmail:\n  message_id: out1@example.com\n"
    "  direction: out\n",
}
"""Survey answers (a first score, one up, one down, one the same; one answer for two
clients) and filed mail in each direction, added to the sample's activities."""

SAMPLE_LINES = [
    (),
    ("--tag", "vip"),
    ("--tag=smb",),
    ("--owner", "ann"),
    ("--owner=chloe", "--status", "active"),
    ("--source", "referral"),
    ("--status", "dormant"),
    ("nps:>=7",),
    ("NPS:<7", "--owner", "chloe"),
    ("nps:10",),
    ("nps:=9", "nps:>5"),
    ("--tag", "enterprise", "--source", "referral", "--owner", "ann", "--status", "active"),
    ("--tag", "nonprofit", "--owner", "chloe"),  # nothing: the header alone
]
"""Command lines after ``client list`` the early path answers on the sample workspace."""


def both(root: Path, *args: str, **env: str) -> tuple[tuple[int, str, str], list[str]]:
    """The executable's answer (a fresh interpreter, whose modules tell whether the early
    path answered), once equal to the Typer command's (in this process), and the heavy
    libraries the executable imported."""
    early, modules = tcrm("launch", args, root, **env)
    got = (early.returncode, early.stdout, early.stderr)
    assert got == typer_here(args, root, **env), args
    return got, heavy(modules)


def stepped_aside(root: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """The early path steps aside for ``tcrm ARGS`` (asked in this process), so the
    executable runs the Typer command, whose answer this returns (in this process)."""
    with _as_in(root, env):
        assert early_answer(*args) == (None, "", ""), args
    return typer_here(args, root, **env)


def add_activities(root: Path, files: dict[str, str], message: str) -> None:
    folder = root / "activities" / "2026"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def set_mail_counts(root: Path, mode: str | None) -> None:
    """``mail.counts_as_contact: MODE`` in ``tcrm.yaml`` (``None``: not set, as the
    sample), settled so the next normal run keeps the settings for the early path."""
    settings = root / "tcrm.yaml"
    text = settings.read_text(encoding="utf-8").split("\nmail:\n")[0].rstrip("\n") + "\n"
    if mode is not None:
        text += f"\nmail:\n  counts_as_contact: {mode}\n"
    settings.write_text(text, encoding="utf-8")
    settle(root)


@pytest.fixture
def typer_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Typer app built into its click command once for the test, not on every run."""
    monkeypatch.setattr(cli_main, "command", functools.cache(cli_main.command))


@pytest.fixture(scope="module")
def _ready_template(_sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with the answers and mail above, its index built and its
    settings kept (one normal run, in its own process), once for the module."""
    root = tmp_path_factory.mktemp("ready") / "ws"
    shutil.copytree(_sample_template, root, symlinks=True)
    with pytest.MonkeyPatch.context() as patch:
        as_sample(patch, root)
        add_activities(root, ANSWERS, "survey answers and mail")
        settle(root)
        done, modules = tcrm("launch", ("client", "list"), root)
    assert done.returncode == 0, done.stderr
    assert "typer" in modules  # the first run builds the index: the normal path
    return root


@pytest.fixture
def ready(_ready_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the ready workspace, its settings kept again (their key holds the
    file's inode and ctime, which a copy changes): one run through the Typer app here."""
    root = tmp_path / "ws"
    shutil.copytree(_ready_template, root, symlinks=True)
    as_sample(monkeypatch, root)
    assert run("client", "list").code == 0
    return root


@pytest.fixture(scope="module")
def _shared_template(_ready_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shared") / "ws"
    shutil.copytree(_ready_template, root, symlinks=True)
    with pytest.MonkeyPatch.context() as patch:
        as_sample(patch, root)
        assert run("client", "list").code == 0
    return root


@pytest.fixture
def shared(_shared_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ready workspace for a test that changes no file: not copied per test."""
    return as_sample(monkeypatch, _shared_template)


# --- the options: held to the Typer command ---------------------------------------------


def test_the_option_table_is_the_commands() -> None:
    """Every option the early path reads is the Typer command's, by the same parameter,
    taking one value; what it leaves to the normal path is named here, so an option
    added to the command is noticed."""
    group = typer.main.get_command(client_app)
    assert isinstance(group, TyperGroup)
    command = group.commands["list"]
    options = {
        opt: param
        for param in command.params
        if isinstance(param, TyperOption)
        for opt in param.opts
    }
    for opt, name in early_path.CLIENT_LIST_VALUES.items():
        param = options[opt]
        assert param.name == name and not param.is_flag and param.nargs == 1, opt
        assert not param.multiple, opt
    assert set(options) - set(early_path.CLIENT_LIST_VALUES) == {"--search", "--json"}
    arguments = [p.name for p in command.params if isinstance(p, TyperArgument)]
    assert arguments == ["filters"]  # nps: terms here, others the normal path


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], Asked()),
        (["--tag", "vip"], Asked(tag="vip")),
        (["--tag=vip", "--owner", "ann"], Asked(tag="vip", owner="ann")),
        (["--source", "event", "--status=active"], Asked(source="event", status="active")),
        (["nps:<7"], Asked(filters=["nps:<7"])),
        (["NPS:>=9", "--tag", "vip", "nps:x"], Asked(tag="vip", filters=["NPS:>=9", "nps:x"])),
        (["--search", "acme"], None),
        (["--json"], None),
        (["--help"], None),
        (["-h"], None),
        (["tag:vip"], None),
        (["nps:<7", "tag:vip"], None),
        (["--tga", "vip"], None),
        (["--tag", "vip", "--tag", "smb"], None),
        (["--tag"], None),
        (["--tag", "--owner"], None),
        (["--tag", "nps:7"], None),
        (["--tag="], None),
        ([""], None),
        (["--", "nps:7"], None),
    ],
)
def test_what_the_early_path_reads_of_a_command_line(
    args: list[str], expected: Asked | None
) -> None:
    assert early_path.client_list_args(args) == expected


# --- the same bytes -------------------------------------------------------------------


def test_the_early_answer_is_the_commands(shared: Path, tmp_path: Path) -> None:
    """In a separate process, as the executable: the Typer command's bytes, without
    Typer, pydantic, rich or a YAML library (also with ``-w`` from elsewhere)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd, args in [
        (shared, ("client", "list")),
        (shared, ("client", "list", "--tag", "vip", "nps:>=7")),
        (elsewhere, ("-w", str(shared), "client", "list", "--owner=ann")),
    ]:
        (code, out, err), imported = both(cwd, *args, TCRM_WORKSPACE="")
        assert code == 0 and err == "" and out.startswith("id\tname\tstatus\towner\t"), args
        assert imported == [], ("the early path was not taken", args)


def test_the_sample_lines_show_what_they_ask_for(shared: Path) -> None:
    """The rows are not all alike: open deals counted, contact due, and each trend."""
    _, everything, _ = early_answer("client", "list")
    rows = {r[0]: r for r in (line.split("\t") for line in everything.splitlines()[1:])}
    assert rows["acme-logistics"][7] == "9 ↑" and rows["cafe-lumiere"][7] == "4 ↓"
    assert rows["fjordline-outdoor-as"][7] == "7 =" and rows["greenleaf-foundation"][7] == "10"
    assert rows["muller-sohne-gmbh"][6] == "2026-11-22"  # mail in counts as contact
    assert any(r[6].endswith(" (due)") for r in rows.values())
    assert {r[5] for r in rows.values()} >= {"0", "1", "2"}
    _, fine, _ = early_answer("client", "list", "nps:>=7")
    assert {line.split("\t")[0] for line in fine.splitlines()[1:]} == {
        "acme-logistics",
        "fjordline-outdoor-as",
        "greenleaf-foundation",
    }


@pytest.mark.usefixtures("typer_built_once")
def test_across_moments_the_answers_are_the_commands(
    shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Differential: at moments around the sample's activities and cadences (a contact
    falls due, a day changes in the workspace's zone), every line gives the Typer
    command's bytes."""
    start = datetime.fromisoformat(os.environ["TCRM_NOW"]) - timedelta(days=20)
    moments = [start + timedelta(days=11 * i, hours=7 * i) for i in range(5)]
    answered = 0
    for now in moments:
        monkeypatch.setenv("TCRM_NOW", now.isoformat())
        for args in SAMPLE_LINES:
            answered += same_both_ways("client", "list", *args)
    assert answered == len(moments) * len(SAMPLE_LINES)


# --- a generated workspace with hostile records ---------------------------------------

HOSTILE = {
    "zz-escape": 'name: "\\e]0;pwned\\a\\e[2J Clear the screen"\nstatus: active\nowner: ann\n'
    'tags: [vip, "\\ttabbed\\t"]\ncadence_days: 7\ncreated: 2026-01-01T00:00+00:00\n',
    "zz-bidi": 'name: "invoice\\u202egpj.exe \\x9b31m red"\ncadence_days: "030"\n'
    "created: 2026-01-01T00:00\nsource: website\n",
    "zz-spaces": 'name: "\\u3000\\xa0 Unicode spaces stripped \\u2028"\nstatus: " active "\n'
    'source: " event"\ntags: ["\\u3000smb"]\n',
    "zz-separators": 'name: "\\x1c  Separators kept \\x1f"\ntags: ["smb", "a\\nb"]\nowner: ben\n',
    "zz-never": "name: Never contacted, no date\ncadence_days: 1\n",
    "zz-old": "name: Old\ncadence_days: 3650\ncreated: 1900-01-01T00:00+00:00\nowner: chloe\n",
    "zz-controls": 'name: "\\x00 nulls and \\x7f deletes"\nstatus: lead\n',
}
"""Client files a teammate may push: escape sequences, bidi overrides, C1 controls,
spaces the models strip and separators they keep, tabs and line breaks in a cell, a
cadence with a leading zero, a naive creation time, none at all, the year 1900."""

HOSTILE_ACTIVITIES = {
    "zzs1": "kind: survey\nat: 2026-11-01T10:00\nsummary: Naive\nclients: [zz-bidi]\nscore: 3\n",
    "zzs2": "kind: survey\nat: 2026-11-10T23:30-11:00\nsummary: '\\e[31m'\n"
    "clients: [zz-bidi, zz-escape]\nscore: '08'\n",
    "zzm1": "kind: email\nat: 2026-11-20T10:00+01:00\nsummary: In\nclients: [zz-escape]\n"
    "mail:\n  message_id: a@x\n  direction: in\n",
    "zzm2": "kind: email\nat: 2026-11-21T10:00+01:00\nsummary: Out\nclients: [zz-escape]\n"
    "mail:\n  message_id: b@x\n  direction: out\n",
    "zzm3": "kind: email\nat: 2026-11-15T23:59:59.999+14:00\nsummary: Out\n"
    "clients: [zz-separators]\nmail:\n  message_id: c@x\n  direction: out\n",
}
"""Activities naming them: a naive survey time, one past midnight in a far zone, a
score with a leading zero, mail in and out (which counts depends on the settings)."""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tcrm dev generate`` (a small one), the hostile clients and activities above
    committed on top, its index built and its settings kept."""
    root = tmp_path_factory.mktemp("generated") / "ws"
    made = run(
        *("dev", "generate", str(root), "--clients", "40", "--deals", "80"),
        *("--tasks", "10", "--activities", "200", "--seed", "23"),
    )
    assert made.code == 0, made.err
    for name, text in HOSTILE.items():
        (root / "clients" / f"{name}.yaml").write_text(text, encoding="utf-8")
    add_activities(root, HOSTILE_ACTIVITIES, "hostile clients")
    settle(root)
    first = run("-w", str(root), "client", "list")
    assert first.code == 0 and first.err == "", first.err
    return root


def test_hostile_records_are_valid_and_listed(generated: Path) -> None:
    listed = run("-w", str(generated), "client", "list").out
    for name in HOSTILE:
        assert f"\n{name}\t" in listed, name
    assert "\x1b" not in listed and "\\x1b]0;pwned\\x07" in listed
    assert "\\u202e" in listed and "\\x1c  Separators kept \\x1f" in listed
    rows = {r[0]: r for r in (line.split("\t") for line in listed.splitlines()[1:])}
    assert rows["zz-spaces"][1:3] == ["Unicode spaces stripped", "active"]
    assert rows["zz-never"][6] == " (due)" and rows["zz-escape"][4] == "vip, tabbed"
    assert rows["zz-bidi"][7] == "8 ↑" and rows["zz-escape"][7] == "8"


@pytest.mark.usefixtures("typer_built_once")
def test_on_a_generated_workspace_the_answers_are_the_commands(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Differential on a generated workspace with hostile records: combinations of a
    tag, an owner, a source and status, and ``nps:`` terms, at two moments, whichever
    mail counts as contact (``mail.counts_as_contact``: the settings are kept anew)."""
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)
    narrow = [
        (),
        ("--tag", "smb"),
        ("--owner", "ann"),
        ("--source", "website", "--status", "active"),
    ]
    terms = [(), ("nps:>=7",), ("nps:<5", "nps:>0")]
    lines = [
        ("-w", str(generated), "client", "list", *n, *t)
        for n, t in itertools.product(narrow, terms)
    ]
    answered = asked = 0
    try:
        for mode in (None, "in", "out", "none"):
            set_mail_counts(generated, mode)
            monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:00:00+01:00")
            assert run("-w", str(generated), "client", "list").code == 0  # keeps the settings
            for now in ("2026-11-23T09:00:00+01:00", "2026-12-01T23:30:00-12:00"):
                monkeypatch.setenv("TCRM_NOW", now)
                for args in lines:
                    answered += same_both_ways(*args)
                    asked += 1
    finally:
        set_mail_counts(generated, None)
        run("-w", str(generated), "client", "list")
    assert answered == asked


def test_which_mail_counts_changes_the_answer(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The positive control for the modes above: the last contact of a client whose
    latest activities are mail in and out moves with the setting."""
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)
    shown = {}
    try:
        for mode in ("in", "out", "none"):
            set_mail_counts(generated, mode)
            assert run("-w", str(generated), "client", "list").code == 0  # keeps the settings
            code, out, _ = early_answer("-w", str(generated), "client", "list", "--tag", "vip")
            assert code == 0
            shown[mode] = next(r for r in out.splitlines() if r.startswith("zz-escape\t"))
    finally:
        set_mail_counts(generated, None)
        run("-w", str(generated), "client", "list")
    assert "\t2026-11-20" in shown["in"] and "\t2026-11-21" in shown["out"]
    assert shown["none"].split("\t")[6] != shown["in"].split("\t")[6]


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("clients/acme-logistics.yaml", "cadence_days", "'+30'"),
        ("clients/acme-logistics.yaml", "cadence_days", "' 30'"),
        ("activities/2026/zsurvey2.yaml", "score", "'9.0'"),
    ],
)
def test_values_in_forms_only_the_models_read_are_the_commands(
    ready: Path, path: str, field: str, value: str
) -> None:
    """A value pydantic reads in a form the early reader does not know for certain (a
    sign, spaces, a fraction): the normal path answers."""
    record = ready / path
    lines = [x for x in record.read_text().splitlines() if not x.startswith(f"{field}:")]
    record.write_text("\n".join([*lines, f"{field}: {value}", ""]))
    git(ready, "commit", "-q", "-am", "an unusual form")
    settle(ready)
    typer_here(("client", "list"), ready)  # brings the index up to date
    code, out, err = stepped_aside(ready, "-w", str(ready), "client", "list")
    assert code == 0 and err == "" and "\nacme-logistics\tAcme Logistics\t" in out


# --- the normal path: whenever the early one cannot be sure -----------------------------


def test_other_command_lines_take_the_normal_path(shared: Path) -> None:
    """JSON, a search, other filter terms, help, an unknown option: Typer answers (in a
    separate process for the first: it imports Typer)."""
    args = ("client", "list", "--json")
    early, modules = tcrm("launch", args, shared)
    assert (early.returncode, early.stdout, early.stderr) == typer_here(args, shared), args
    assert "typer" in modules, args
    for args in [
        ("client", "list", "--search", "acme"),
        ("client", "list", "tag:vip"),
        ("client", "list", "nps:>=7", "owner:ann"),
        ("client", "list", "--help"),
        ("client", "list", "--tga", "vip"),
        ("--allow-detached", "client", "list"),
        ("client", "list", "--tag", "--owner"),
    ]:
        stepped_aside(shared, *args)


def test_a_terminal_gets_the_commands_rich_table(shared: Path) -> None:
    """On a terminal (a real pseudo-terminal here) rich lays the table out: the early
    path steps aside, and the Typer command prints it."""
    code, text, err = run_on_terminal(shared, ["client", "list"], "stdout")
    assert code == 0 and err == ""
    assert "brightwater-health" in text
    assert "\t" not in text and "open deals" not in text.splitlines()[0]  # rich's, not TSV


@pytest.mark.parametrize(
    "args",
    [
        ("--tag", "gold"),  # not in lists.tags
        ("--source", "fax"),
        ("--status", "Active"),
        ("--owner", "zoe"),  # not a team member
        ("--owner", " ann "),  # not one either: an owner is not stripped
        ("nps:11",),  # not a score
        ("nps:<x",),
    ],
    ids=["tag", "source", "status", "member", "spaces", "score", "term"],
)
def test_what_needs_checking_is_the_commands(shared: Path, args: tuple[str, ...]) -> None:
    """What the command refuses, the command says: its error and its exit code (once in
    a separate process too, which takes the normal path)."""
    assert early_answer("client", "list", *args) == (None, "", "")
    code, out, err = typer_here(("client", "list", *args), shared)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("tcrm: error:")
    if args == ("--tag", "gold"):
        (_, *answer), imported = both(shared, "client", "list", *args)
        assert answer == [out, err] and "typer" in imported


def test_outside_a_workspace_the_commands_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (code, out, err), imported = both(empty, "client", "list", TCRM_WORKSPACE="")
    assert code != 0 and out == "" and err.startswith("tcrm: error:")
    assert "typer" in imported


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("clients/zz-broken.yaml", "status: active\n"),
        ("deals/zz-broken.yaml", "title: No client\npipeline: sales\nstage: lead\n"),
        ("activities/2026/abroken1.yaml", "summary: Year 9999\nat: 9999-12-31T10:00\n"),
    ],
    ids=["client", "deal", "activity"],
)
def test_a_broken_file_is_warned_of_by_the_command(ready: Path, path: str, text: str) -> None:
    """A client, deal or activity file the index could not read: the command lists the
    clients and warns of it (once in a separate process too)."""
    (ready / path).write_text(text)
    settle(ready)
    typer_here(("client", "list"), ready)  # brings the index up to date
    assert early_answer("-w", str(ready), "client", "list") == (None, "", "")
    code, out, err = typer_here(("client", "list"), ready)
    assert code == 0 and Path(path).name in err and out.startswith("id\t")
    if path.startswith("clients"):
        (_, *answer), imported = both(ready, "client", "list")
        assert answer == [out, err] and "typer" in imported


def test_a_hand_edit_is_seen_and_the_early_path_resumes(ready: Path) -> None:
    """Freshness stays exact: an edit git sees, a file made behind tcrm's back, a file
    removed: each is listed (or not) by the very next run, which takes the normal path
    and brings the index up to date; the early path answers again after."""
    (_, before, _), imported = both(ready, "client", "list", "--tag", "smb")
    assert imported == [] and "\nacme-logistics\t" not in before
    client = ready / "clients" / "acme-logistics.yaml"
    client.write_text(client.read_text().replace("- retainer\n", "- retainer\n- smb\n"))
    _, out, _ = stepped_aside(ready, "client", "list", "--tag", "smb")
    assert "\nacme-logistics\tAcme Logistics\tactive\tann\tenterprise, retainer, smb\t1\t" in out
    survey = ready / "activities" / "2026" / "zsurvey9.yaml"
    survey.write_text(
        "kind: survey\nat: 2026-11-22T10:00+01:00\nsummary: NPS\nclients: [acme-logistics]\n"
        "score: 2\n"
    )
    _, out, _ = stepped_aside(ready, "client", "list", "--tag", "smb")
    assert "\t2026-11-22\t2 ↓\n" in out
    survey.unlink()
    _, out, _ = stepped_aside(ready, "client", "list", "--tag", "smb")
    assert "\t2026-11-20\t9 ↑\n" in out
    settle(ready)  # the racy window passed; the next normal run keeps trusted stamps
    typer_here(("client", "list"), ready)
    (_, after, _), imported = both(ready, "client", "list", "--tag", "smb")
    assert after == out and imported == []


def test_a_settings_change_is_seen(ready: Path) -> None:
    """A tag added to ``lists.tags`` in ``tcrm.yaml``: the next run takes the normal path
    (what the index kept was for the old file), and the early one then knows the tag."""
    settings = ready / "tcrm.yaml"
    text = settings.read_text()
    assert "  - retainer\n" in text
    settings.write_text(text.replace("  - retainer\n", "  - retainer\n  - gold\n", 1))
    settle(ready)
    code, normal, _ = stepped_aside(ready, "client", "list", "--tag", "gold")
    assert code == 0 and normal == "id\tname\tstatus\towner\ttags\topen deals\tlast contact\tnps\n"
    (_, out, _), imported = both(ready, "client", "list", "--tag", "gold")
    assert out == normal and imported == []


def test_without_an_index_or_git_the_normal_path_answers(shared: Path) -> None:
    for env in ({"TCRM_INDEX": "off"}, {"PATH": ""}):
        (code, out, _), imported = both(shared, "client", "list", **env)
        assert code == 0 and out.startswith("id\t")
        assert "typer" in imported, env


def test_a_stale_or_missing_index_is_the_normal_paths(ready: Path) -> None:
    """An index deleted, or one older tcrm built (another schema): the normal path
    answers and builds it again; the early path answers the run after."""
    index = ready / ".tcrm" / "index.sqlite"
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (ready / ".tcrm" / name).unlink(missing_ok=True)
    code, out, _ = stepped_aside(ready, "client", "list")
    assert code == 0 and out.startswith("id\t")
    (_, again, _), imported = both(ready, "client", "list")
    assert again == out and imported == []
    conn = sqlite3.connect(index)
    with conn:
        conn.execute("UPDATE meta SET value = 'older' WHERE key = 'schema'")
    conn.close()
    (_, stale, _), imported = both(ready, "client", "list")  # a separate process
    assert stale == out and "typer" in imported


def test_settings_kept_in_an_older_format_are_not_read(ready: Path) -> None:
    """An index whose kept settings lack what ``client list`` reads (kept by a tcrm
    before it: another format): the normal path answers, and keeps them anew."""
    index = ready / ".tcrm" / "index.sqlite"
    conn = sqlite3.connect(index)
    with conn:
        conn.execute(
            "UPDATE meta SET value = replace(value, '\"format\": 3', '\"format\": 2') "
            "WHERE key = 'early_settings'"
        )
    conn.close()
    code, out, _ = stepped_aside(ready, "client", "list")
    assert code == 0 and out.startswith("id\t")
    assert early_answer("-w", str(ready), "client", "list")[1] == out


def test_a_bad_clock_is_the_commands_error(shared: Path) -> None:
    (code, out, err), imported = both(shared, "client", "list", TCRM_NOW="yesterday")
    assert code != 0 and out == "" and "TCRM_NOW" in err
    assert "typer" in imported
