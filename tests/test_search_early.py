"""``tcrm search`` piped, answered before Typer is imported (tcrm.cli.early_path), from a
fresh index and the kb pages: the same bytes and exit codes as the Typer command, on a
generated workspace with hostile records and on the sample workspace (with its kb
pages); and the normal path whenever the early one cannot be sure: a terminal, JSON, an
error to report, a broken file, a link tcrm refuses, a stale or missing index (issue 23)."""

from __future__ import annotations

import functools
import itertools
import os
import shutil
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperArgument, TyperOption

from tcrm.cli import early_path
from tcrm.cli import main as cli_main
from tcrm.cli.search_cmds import search as search_command
from tcrm.cli.search_table import DEFAULT_LIMIT
from tcrm.model.armor import ARMOR_BEGIN, ARMOR_END
from tcrm.store import early, links
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

pytestmark = pytest.mark.xdist_group("search_early")
"""One worker for the module: its module-scoped fixtures are built once (``--dist loadgroup``)."""

CIPHER = f"{ARMOR_BEGIN}\\nYWdlLWVuY3J5cHRpb24gYWNtZQ\\n{ARMOR_END}\\n"

HOSTILE = {
    "clients/zz-escape.yaml": 'name: "\\e]0;pwned\\a\\e[2J Acme Clear"\ntags: [vip, "\\tacme\\t"]\n'
    'notes: "line one\\nsecond line mentions ACME\\rand a carriage return"\n',
    "clients/zz-bidi.yaml": 'name: "invoice\\u202egpj.exe \\x9b31m acme"\nwebsite: acme.example\n',
    "clients/zz-unicode.yaml": 'name: "Müller & Söhne Straße"\naddress: "Straße 1, 10115 Berlin"\n'
    'phones: [" +49 30 1234567 ", "030 (555)-01"]\nemails: [" info@muller.example"]\n'
    'contacts:\n  - name: "\\u3000Jürgen Ålund\\xa0"\n    role: CEO\n'
    '    emails: ["j@muller.example"]\n    phones: ["0049 30 1234567"]\n'
    "  - name: Acme Person\n    notes: knows acme well\n",
    "clients/zz-private.yaml": f'name: Private Co\nnotes: "{CIPHER}"\n',
    "clients/zz-long.yaml": "name: Long\nnotes: " + "word " * 40 + "acme " + "tail " * 40 + "\n",
    "deals/zz-deal.yaml": 'title: "\\x00 Acme renewal \\x7f"\nclient: zz-escape\n'
    "pipeline: sales\nstage: lead\ntags: [acme, big]\ncontacts: [Jürgen Ålund]\n",
    "tasks/zz-task.yaml": "title: Call acme about Straße\nclients: [zz-unicode, zz-escape]\n"
    "contacts: [Acme Person]\nnotes: '%_ wildcards \\\\ backslash'\n",
    "activities/2026/zz-act1.yaml": "kind: call\nat: 2026-11-01T10:00\nsummary: Acme call\n"
    "clients: [zz-escape]\noutcome: acme happy\n",
    "activities/2026/zz-act2.yaml": "kind: call\nat: 2026-11-01T10:00+14:00\n"
    "summary: Acme call\nclients: [zz-bidi]\ncontacts: ['Acme Person']\n",
    "activities/2026/zz-act3.yaml": "kind: note\nat: 2026-11-02T10:00-11:00\n"
    "summary: '\\e[31m red acme'\nnotes: \"%\"\n",
}
"""Records a teammate may push: escape sequences, bidi overrides, C1 controls, NUL and
DEL, tabs, line breaks and carriage returns, spaces the models strip, Unicode names that
case-fold (``ß``), phone numbers written several ways, a private (encrypted) value, a
long note, SQL ``LIKE`` wildcards and a backslash, activities at the same moment in
different zones and one without a zone."""

QUERIES = [
    "acme",
    "ACME",
    "Acme call",
    "a",
    "müller",
    "MULLER",
    "straße",
    "STRASSE",
    "030 1234",
    "+49 30",
    "0049 30 1234567",
    "555",
    "12",
    "@",
    "info@muller",
    ".",
    "(",
    "%",
    "_",
    "\\",
    "'",
    "x" * 90,
    "Ω",
    "jürgen",
    "  spaced   words ",
    "line",
    "wildcards",
    "pwned",
    "\x1b",
    "renewal",
    "vip",
    "tail",
    "zz",
]
"""Texts searched: case, Unicode case-folding, phone digits, punctuation, LIKE wildcards,
a backslash, nothing that matches, spaces, a control character."""

OPTIONS = [
    (),
    ("--limit", "0"),
    ("--limit", "3"),
    ("--limit=1",),
    ("-k", "client"),
    ("--kind", "contact"),
    ("--kind=deal", "-k", "task"),
    ("-k", "activity", "--limit", "2"),
    ("-k", "client", "-k", "client", "--limit", "007"),
]
"""The option combinations the early path answers."""


def both(root: Path, *args: str, **env: str) -> tuple[tuple[int, str, str], list[str]]:
    """The executable's answer (a fresh interpreter), once equal to the Typer command's
    (in this process), and the heavy libraries the executable imported."""
    early, modules = tcrm("launch", args, root, **env)
    got = (early.returncode, early.stdout, early.stderr)
    assert got == typer_here(args, root, **env), args
    return got, heavy(modules)


def stepped_aside(root: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """The early path steps aside for ``tcrm ARGS`` (asked in this process); the Typer
    command's answer (in this process)."""
    with _as_in(root, env):
        assert early_answer(*args) == (None, "", ""), args
    return typer_here(args, root, **env)


@pytest.fixture
def typer_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Typer app built into its click command once for the test, not on every run."""
    monkeypatch.setattr(cli_main, "command", functools.cache(cli_main.command))


@pytest.fixture(scope="module")
def _generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tcrm dev generate`` (a small one) with the hostile records above committed on
    top, its index built by one search."""
    root = tmp_path_factory.mktemp("generated") / "ws"
    made = run(
        *("dev", "generate", str(root), "--clients", "30", "--deals", "40"),
        *("--tasks", "40", "--activities", "60", "--seed", "23"),
    )
    assert made.code == 0, made.err
    for rel, text in HOSTILE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hostile records")
    settle(root)
    first = run("-w", str(root), "search", "acme")
    assert first.code == 0 and first.err == "", first.err
    return root


@pytest.fixture
def generated(_generated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The generated workspace, for a test that changes no file: not copied per test."""
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)
    monkeypatch.chdir(_generated)
    return _generated


@pytest.fixture
def edited(_generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the generated workspace, for a test that changes files; its index made
    fresh again by one normal run (a copy changes the files' inodes and ctimes)."""
    root = tmp_path / "ws"
    shutil.copytree(_generated, root, symlinks=True)
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)
    monkeypatch.chdir(root)
    settle(root)
    assert run("search", "acme").code == 0
    return root


@pytest.fixture(scope="module")
def _sample(_sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "ws"
    shutil.copytree(_sample_template, root, symlinks=True)
    with pytest.MonkeyPatch.context() as patch:
        as_sample(patch, root)
        settle(root)
        assert run("search", "acme").code == 0
    return root


@pytest.fixture
def sample(_sample: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return as_sample(monkeypatch, _sample)


# --- the options: held to the Typer command ---------------------------------------------


def test_the_links_looked_for_are_the_stores() -> None:
    assert early.GUARDED == links.GUARDED


def test_the_option_table_is_the_commands() -> None:
    """Every option the early path reads is the Typer command's, by the same parameter,
    taking one value; what it leaves to the normal path is named here."""
    app = typer.Typer()
    app.command("search")(search_command)
    app.command("other")(lambda: None)
    group = typer.main.get_command(app)
    params = group.commands["search"].params  # type: ignore[attr-defined]
    options = {o: p for p in params if isinstance(p, TyperOption) for o in p.opts}
    for opt, name in early_path.SEARCH_VALUES.items():
        param = options[opt]
        assert param.name == name and not param.is_flag and param.nargs == 1, opt
    assert options["--kind"].multiple and not options["--limit"].multiple
    assert options["--limit"].default == DEFAULT_LIMIT
    assert set(options) - set(early_path.SEARCH_VALUES) == {"--json"}
    assert [p.name for p in params if isinstance(p, TyperArgument)] == ["words"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["acme"], ("acme", [], DEFAULT_LIMIT)),
        (["big", "acme", "-k", "deal"], ("big acme", ["deal"], DEFAULT_LIMIT)),
        (["--kind=task", "x", "--kind", "bogus"], ("x", ["task", "bogus"], DEFAULT_LIMIT)),
        (["x", "--limit", "0"], ("x", [], 0)),
        (["--limit=007", "x"], ("x", [], 7)),
        ([], ("", [], DEFAULT_LIMIT)),
        ([""], ("", [], DEFAULT_LIMIT)),
        (["x", "--json"], None),
        (["x", "--help"], None),
        (["x", "-h"], None),
        (["x", "-kclient"], None),
        (["x", "-k=client"], None),
        (["x", "--limit", "-1"], None),
        (["x", "--limit", "+1"], None),
        (["x", "--limit", "٣"], None),
        (["x", "--limit", "1", "--limit", "2"], None),
        (["x", "--limit"], None),
        (["x", "--kind"], None),
        (["x", "--kind="], None),
        (["x", "--kind", "--limit"], None),
        (["--", "-x"], None),
        (["-x"], None),
        (["x", "--lim", "2"], None),
    ],
)
def test_what_the_early_path_reads_of_a_command_line(
    args: list[str], expected: tuple[str, list[str], int] | None
) -> None:
    assert early_path.search_args(args) == expected


# --- the same bytes -------------------------------------------------------------------


def test_the_early_answer_is_the_commands(generated: Path, tmp_path: Path) -> None:
    """In a separate process, as the executable: the Typer command's bytes (a table, the
    note of a cut, no match at all), without Typer, pydantic, rich or a YAML library."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    notes = []
    for cwd, args in [
        (generated, ("search", "acme", "--limit", "2")),
        (generated, ("search", "nothing-like-this")),
        (elsewhere, ("-w", str(generated), "search", "JÜRGEN", "-k", "contact")),
    ]:
        (code, out, err), imported = both(cwd, *args, TCRM_WORKSPACE="")
        assert code == 0 and imported == [], ("the early path was not taken", args)
        notes.append(err)
    assert out.startswith("kind\tid\tname\tfield\tmatch\ncontact\tzz-unicode\t")
    assert notes[0].startswith("Showing the best 2 of ") and notes[2] == ""
    assert notes[1] == "No matches for 'nothing-like-this'.\n"


def test_the_hostile_records_are_found_and_shown_safely(generated: Path) -> None:
    """The positive control: the hostile records match, their controls shown escaped."""
    code, out, err = early_answer("search", "acme", "--limit", "0")
    assert code == 0 and err == ""
    found = {tuple(line.split("\t")[:2]) for line in out.splitlines()[1:]}
    for kind, rid in [
        ("client", "zz-escape"),
        ("client", "zz-bidi"),
        ("contact", "zz-unicode"),
        ("deal", "zz-deal"),
        ("task", "zz-task"),
        ("activity", "zz-act1"),
        ("activity", "zz-act3"),
        ("client", "zz-long"),
    ]:
        assert (kind, rid) in found, (kind, rid)
    assert ("client", "zz-private") not in found  # its notes are encrypted
    assert "\x1b" not in out and "\\x1b]0;pwned" in out and "\\u202e" in out
    code, out, err = early_answer("search", "acme", "--limit", "3")
    assert code == 0 and len(out.splitlines()) == 4 and err.startswith("Showing the best 3 of ")
    code, out, err = early_answer("search", "030 1234")
    assert code == 0 and "\tphones\t+49 30 1234567" in out


@pytest.mark.usefixtures("typer_built_once")
def test_on_a_generated_workspace_the_answers_are_the_commands(generated: Path) -> None:
    """Differential: every text with a few options, a few texts with every option
    combination: the Typer command's bytes and exit codes, answered early each time."""
    lines = [(q, o) for q in QUERIES for o in OPTIONS[:2]]
    lines += [(q, o) for q, o in itertools.product(QUERIES[:4], OPTIONS[2:])]
    answered = 0
    for text, options in lines:
        answered += same_both_ways("search", text, *options)
    assert answered == len(lines)


@pytest.mark.usefixtures("typer_built_once")
def test_on_the_sample_workspace_the_answers_are_the_commands(sample: Path) -> None:
    """The sample has kb pages (files the index does not hold): found early as the
    command finds them, with every kind and with ``--kind kb``."""
    kb_found = 0
    for text in ("acme", "müller", "a", "proposal", "+49", "Onboarding", "zzz", "objection"):
        for options in [(), ("-k", "kb"), ("-k", "client", "-k", "deal"), ("--limit", "0")]:
            assert same_both_ways("search", text, *options), (text, options)
            kb_found += "\nkb\t" in early_answer("search", text, *options)[1]
    assert kb_found


# --- the normal path: whenever the early one cannot be sure -----------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("search",),
        ("search", ""),
        ("search", "   "),
        ("search", "acme", "--kind", "bogus"),
        ("search", "acme", "--limit", "-1"),
        ("search", "acme", "--limit", "x"),
        ("search", "acme", "--json"),
        ("search", "-acme"),
    ],
    ids=["none", "empty", "spaces", "kind", "negative", "limit", "json", "dash"],
)
def test_what_needs_saying_is_the_commands(generated: Path, args: tuple[str, ...]) -> None:
    """An error, or JSON: the early path steps aside, and the command answers."""
    code, out, err = stepped_aside(generated, *args)
    if "--json" in args:
        assert code == 0 and out.startswith("{")
    else:
        assert code != 0 and out == "" and "rror" in err


def test_without_a_usable_index_the_commands_answer(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``TCRM_INDEX=off``, a clock that is not a moment: the normal path."""
    _, out, _ = stepped_aside(generated, "search", "acme", TCRM_INDEX="off")
    assert "zz-escape" in out
    stepped_aside(generated, "search", "acme", TCRM_NOW="not a time")


def test_a_missing_index_is_built_by_the_command(edited: Path) -> None:
    (edited / ".tcrm" / "index.sqlite").unlink()
    _, out, _ = stepped_aside(edited, "search", "acme")
    assert "zz-escape" in out
    assert early_answer("search", "acme")[0] == 0  # built again by that run


def test_a_hand_edit_is_seen_and_the_early_path_resumes(edited: Path) -> None:
    """Freshness stays exact: an edit git sees, a file made behind tcrm's back, a file
    removed: each is found (or not) by the very next run, which takes the normal path
    and brings the index up to date; the early path answers again after."""
    assert early_answer("search", "Zanzibar") == (0, "", "No matches for 'Zanzibar'.\n")
    deal = edited / "deals" / "zz-deal.yaml"
    deal.write_text(deal.read_text().replace("tags: [acme, big]", "tags: [acme, Zanzibar]"))
    _, out, _ = stepped_aside(edited, "search", "Zanzibar")
    assert "deal\tzz-deal\t" in out and "\ttags\tZanzibar" in out
    resumed(edited, "search", "Zanzibar")
    made = edited / "tasks" / "zz-new.yaml"
    made.write_text("title: Fly to Zanzibar\n")
    _, out, _ = stepped_aside(edited, "search", "Zanzibar")
    assert "task\tzz-new\tFly to Zanzibar" in out
    made.unlink()
    _, out, _ = stepped_aside(edited, "search", "Zanzibar")
    assert "zz-new" not in out
    resumed(edited, "search", "Zanzibar")


def resumed(root: Path, *args: str) -> None:
    """Once the edited files are dated back past the racy window (as a while later) and
    a normal run took them in, the early path answers again, as the command does."""
    settle(root)
    typer_here(args, root)
    assert same_both_ways(*args)


@pytest.mark.parametrize("kind", ["client", "deal", "task", "activity"])
def test_a_broken_file_is_warned_of_by_the_command(edited: Path, kind: str) -> None:
    """A file of a kind searched that the index could not read: the command warns of it;
    a search of other kinds is still answered early."""
    folder = {"client": "clients", "deal": "deals", "task": "tasks"}.get(kind, "activities/2026")
    (edited / folder / "zz-broken.yaml").write_text("notes: no title or name\n")
    settle(edited)
    typer_here(("search", "acme"), edited)  # brings the index up to date
    code, out, err = stepped_aside(edited, "search", "acme")
    assert code == 0 and "zz-broken.yaml" in err and out.startswith("kind\t")
    other = "task" if kind != "task" else "deal"
    assert same_both_ways("search", "acme", "-k", other)


def test_a_record_file_that_is_a_link_is_warned_of_by_the_command(edited: Path) -> None:
    """A client file that is a link (to a file outside): the command skips it and says
    so; a search of other kinds is still answered early."""
    outside = edited.parent / "outside.yaml"
    outside.write_text("name: Acme Outside\n")
    link = edited / "clients" / "zz-link.yaml"
    link.symlink_to(outside)
    settle(edited)
    past = link.parent.stat().st_mtime
    os.utime(link, (past, past), follow_symlinks=False)  # as settled: no racy stamp
    typer_here(("search", "acme"), edited)  # brings the index up to date
    code, out, err = stepped_aside(edited, "search", "acme")
    assert code == 0 and "zz-link.yaml" in err and "Outside" not in out
    assert same_both_ways("search", "acme", "-k", "deal")


def test_kb_pages_are_found_as_the_command_finds_them(edited: Path) -> None:
    """Pages are read each time, as the command reads them: an edit is seen at once;
    hidden files, other files, folders, pages not in UTF-8 are skipped both ways; a page
    or a kb folder that is a link steps aside (the command warns of it)."""
    kb = edited / "kb"
    kb.mkdir()
    (kb / "acme.md").write_text("# Acme playbook\n\nCall acme on Mondays.\n")
    (kb / "notes-on-acme.md").write_text("No heading, acme inside\n")
    (kb / ".hidden-acme.md").write_text("# Hidden acme\n")
    (kb / "acme.txt").write_text("# Not a page, acme\n")
    (kb / "latin1-acme.md").write_bytes("# Caf\xe9 acme\n".encode("latin-1"))
    (kb / "folder-acme.md").mkdir()
    assert same_both_ways("search", "acme", "--limit", "0")
    out = early_answer("search", "acme", "--limit", "0")[1]
    assert "kb\tacme.md\tAcme playbook\ttitle\tAcme playbook\n" in out
    assert "kb\tnotes-on-acme.md\tNotes on acme\ttitle\tNotes on acme\n" in out
    for skipped in ("hidden", "acme.txt", "latin1", "folder-acme"):
        assert skipped not in out, skipped
    (kb / "linked-acme.md").symlink_to(kb / "acme.md")  # the command warns of it
    _, out, err = stepped_aside(edited, "search", "acme", "-k", "task")
    assert "kb/linked-acme.md" in err and "linked" not in out
    (kb / "linked-acme.md").unlink()
    (kb / "acme.md").write_text("# Zanzibar playbook\n")
    assert same_both_ways("search", "Zanzibar", "-k", "kb")
    assert "kb\tacme.md\tZanzibar playbook" in early_answer("search", "zanzibar")[1]
    shutil.rmtree(kb)
    kb.symlink_to(edited / "clients")
    stepped_aside(edited, "search", "acme", "-k", "client")


def test_a_terminal_gets_the_commands_rich_table(generated: Path) -> None:
    """On a terminal rich lays the table out: the early path steps aside."""
    code, shown, err = run_on_terminal(generated, ["search", "acme", "--limit", "0"], "stdout")
    assert code == 0 and err == "" and "zz-escape" in shown
    assert "\t" not in shown and "kind\tid" not in shown


def test_a_note_to_a_terminal_is_the_commands(generated: Path) -> None:
    """stdout piped, stderr a terminal, a note due: the command prints it (with rich)."""
    args = ["search", "acme", "--limit", "1"]
    code, shown, out = run_on_terminal(generated, args, "stderr")
    assert code == 0 and shown.startswith("Showing the best 1 of ")
    assert out == typer_here(tuple(args), generated)[1]
