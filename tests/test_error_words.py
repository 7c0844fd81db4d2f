"""Errors carry the field as data; each front end words it (issue 24).

The services and the mail package name a field as ``Field("due")`` (or ``field="due"``),
never as a command-line option: the CLI words it ``--due``, a TUI form as the field's
label. A scan of their source fails on any option-like ``--word`` in a string literal.
"""

from __future__ import annotations

import ast
import fnmatch
import pickle
import re
from pathlib import Path
from typing import Any

import pytest

from tcrm.cli.error_words import FIELD_OPTIONS, command_of, naming, options_of
from tcrm.errors import (
    AmbiguousError,
    Command,
    Field,
    NotFoundError,
    OverridableError,
    Problem,
    RuleError,
    TcrmError,
    UsageError,
    ValidationError,
    option,
)
from tests.clitools import NOW, assert_refused, commit_count, run, snapshot

PACKAGE = Path(__file__).resolve().parent.parent / "tcrm"

SCANNED = ("services", "mail")
"""Packages whose every string literal (docstrings aside) is free of CLI options."""

PENDING_IMPORTS: set[str] = set()
"""Files the scan skips until converted: none left (the import services were converted
after the split of imports.py)."""

HELP_TEXTS = {"services/query.py": {"HELP"}, "services/import_mappings.py": {"HEADER"}}
"""Module constants that are help text, not messages: they may name options. ``HELP`` is
the filter syntax for ``--help`` pages, ``HEADER`` the comment a saved import mapping file
starts with (how to run it, what wrote it)."""

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")
"""``--due``, ``--next-due``: an option as a command line spells it."""

OPENED = re.compile(r"(?:^|[^\w-])--$")
"""An f-string part that ends where an option's name is filled in: ``f"--{kind}"``."""


def option_literals(source: str, help_texts: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """``(line, text)`` of each string literal naming an option, f-string parts included;
    docstrings (a string alone as a statement) are documentation, not messages, and so
    are the module constants named in ``help_texts``."""
    tree = ast.parse(source)
    skipped = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign) and isinstance(
            statement.value, ast.Constant
        ):
            targets: list[ast.expr] = (
                statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            )
            if any(isinstance(t, ast.Name) and t.id in help_texts for t in targets):
                skipped.add(id(statement.value))
    found = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and OPTION.search(node.value)
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for part, after in zip(node.values, node.values[1:], strict=False):
                if (
                    isinstance(part, ast.Constant)
                    and isinstance(part.value, str)
                    and isinstance(after, ast.FormattedValue)
                    and OPENED.search(part.value)
                ):
                    found.append((node.lineno, part.value + "{...}"))
    return found


def scanned_files() -> list[Path]:
    files = []
    for package in SCANNED:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            relative = path.relative_to(PACKAGE).as_posix()
            if not any(fnmatch.fnmatch(relative, p) for p in PENDING_IMPORTS):
                files.append(path)
    return files


def test_no_service_message_names_a_command_line_option() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text!r}"
        for path in scanned_files()
        for line, text in option_literals(
            path.read_text(encoding="utf-8"),
            frozenset(HELP_TEXTS.get(path.relative_to(PACKAGE).as_posix(), ())),
        )
    ]
    assert not found, "name fields as Field(...) or field=..., not as options:\n" + "\n".join(found)


def test_the_scan_covers_the_services() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in scanned_files()}
    assert {"services/tasks.py", "services/deals.py", "mail/accounts.py"} <= names
    assert {"services/imports/rows.py", "services/import_values.py"} <= names


@pytest.mark.parametrize(
    "source",
    [
        'raise UsageError("--due: x")',
        'raise UsageError(f"--due {text!r}: x")',
        'raise UsageError(f"{a} needs --next-due")',
        'def message():\n    return "give --set f=..."',
        'check_member(ws, assignee, "--assignee")',
        'raise UsageError(f"--{kind}: the URL holds a password")',
        'HELP = "dates as in --due"',
    ],
)
def test_the_scan_finds_a_planted_option(source: str) -> None:
    assert option_literals(source)


@pytest.mark.parametrize(
    "source",
    [
        '"""``tcrm task add --due WHEN``: a docstring."""',
        'def f():\n    """Reads ``--due``."""',
        'raise UsageError("see tcrm check -- or the log")',
        'raise UsageError(Field("due"), " needs ", Field("repeat"))',
    ],
)
def test_the_scan_leaves_docs_and_fields_alone(source: str) -> None:
    assert not option_literals(source)


def test_help_text_is_left_alone_only_where_named() -> None:
    source = 'HELP = "dates as in --due"\nOTHER = "give --due"'
    assert option_literals(source, frozenset({"HELP"})) == [(2, "give --due")]


STORE_PENDING: set[str] = set()
"""Store files the scan skips until converted: none left."""


def raised_option_literals(source: str) -> list[tuple[int, str]]:
    """Option-like literals inside ``raise`` statements and ``...Error(...)`` calls: the
    store and the models run git with options, but their messages name none."""
    found = []
    for node in ast.walk(ast.parse(source)):
        is_error = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id.endswith("Error")
        )
        if isinstance(node, ast.Raise) or is_error:
            found += option_literals(ast.unparse(node))
    return found


def test_no_store_or_model_message_names_a_command_line_option() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {text!r}"
        for package in ("store", "model")
        for path in sorted((PACKAGE / package).rglob("*.py"))
        if not any(fnmatch.fnmatch(path.relative_to(PACKAGE).as_posix(), p) for p in STORE_PENDING)
        for _, text in raised_option_literals(path.read_text(encoding="utf-8"))
    ]
    assert not found, "\n".join(found)


def test_the_store_scan_finds_a_planted_option() -> None:
    assert raised_option_literals('raise GitError("or pass --allow-detached")')
    assert raised_option_literals('error = RemoteError(f"try --timeout {n}")')
    assert not raised_option_literals('run(["git", "status", "--porcelain"])')


# --- the errors themselves ------------------------------------------------------------


def test_an_error_about_a_field_reads_as_the_option_by_default() -> None:
    error = UsageError("is not a date: 'fri2'", field="due")
    assert error.field == "due"
    assert str(error) == "--due: is not a date: 'fri2'"
    assert error.words(lambda name: name.title()) == "Due: is not a date: 'fri2'"


def test_a_message_naming_fields_is_about_the_first_one() -> None:
    error = UsageError(Field("next_due"), " needs ", Field("next_title"), ' "what to do next"')
    assert error.field == "next_due"
    assert str(error) == '--next-due needs --next-title "what to do next"'
    labels = {"next_due": "Follow-up due", "next_title": "Follow-up"}
    assert error.words(labels.__getitem__) == 'Follow-up due needs Follow-up "what to do next"'


def test_an_error_about_no_field_is_its_text() -> None:
    error = RuleError("deal x is closed")
    assert error.field is None
    assert str(error) == "deal x is closed" == error.words(lambda name: "unused")
    assert str(TcrmError()) == ""


def test_a_command_to_type_reads_the_same_in_every_front_end() -> None:
    error = RuleError("run `", Command("tcrm sync ", Field("after_rewrite")), "`")
    assert error.field is None
    assert str(error) == "run `tcrm sync --after-rewrite`" == error.words(str.upper)
    assert str(Command("tcrm resolve x ", Field("restore"))) == "tcrm resolve x --restore"


def test_the_default_option_spelling() -> None:
    assert option("due") == "--due"
    assert option("next_due") == "--next-due"


def test_an_overridable_refusal_says_why_and_how_to_override() -> None:
    error = OverridableError("stage won needs ", Field("amount"))
    assert error.reason == "stage won needs --amount"
    assert str(error) == "stage won needs --amount (or pass --force)"
    assert error.reason_words(str.upper) == "stage won needs AMOUNT"
    custom = OverridableError("the same name", hint=(", or add anyway with ", Field("force")))
    assert str(custom) == "the same name, or add anyway with --force"


@pytest.mark.parametrize(
    "error",
    [
        UsageError("is not a date", field="due"),
        UsageError(Field("repeat"), " needs ", Field("due")),
        NotFoundError(Field("contacts"), " 'x' is not a contact person of any client"),
        AmbiguousError("'a' matches several"),
        OverridableError("needs ", Field("amount")),
        OverridableError("the same name", hint=(", add with ", Field("force"))),
        ValidationError([Problem("clients/a.yaml", 3, "bad"), Problem("b", None, "worse")]),
        RuleError("refused"),
        RuleError("run `", Command("tcrm sync ", Field("after_rewrite")), "`"),
    ],
)
def test_errors_survive_pickling(error: TcrmError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.field == error.field
    assert back.parts == error.parts
    assert back.exit_code == error.exit_code
    if isinstance(error, OverridableError):
        assert isinstance(back, OverridableError) and back.reason == error.reason
    if isinstance(error, ValidationError):
        assert isinstance(back, ValidationError) and back.problems == error.problems


# --- the command line words each field as the option of the command that ran -----------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (  # the field `contacts`, which `task add` takes as --contact
            ("task", "add", "Call", "--contact", "Nobody Known"),
            "--contact 'Nobody Known' is not a contact person of any client",
        ),
        (  # `timezone`: --tz on `task add` ...
            ("task", "add", "Call", "--tz", "Mars/Base"),
            "--tz: ",
        ),
        (  # ... and --timezone on `team add`: the command's own parameter decides
            ("team", "add", "zed", "--name", "Zed", "--timezone", "Mars/Base"),
            "--timezone: ",
        ),
        (  # `next_title`, which `tcrm log` takes as --next
            ("log", "acme", "call: wants a proposal", "--next-due", "fri"),
            '--next-due needs --next "what to do next"',
        ),
        (  # a field named in the middle of a message, and a command to type
            ("task", "add", "Call", "--repeat", "weekly"),
            "--repeat needs --due",
        ),
        (  # `owner`, checked as a team member by the pipeline report
            ("pipeline", "--owner", "zoe"),
            "--owner 'zoe' is not a team member",
        ),
    ],
)
def test_the_cli_words_fields_as_its_options(
    sample_ws: Path, args: tuple[str, ...], line: str
) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run(*args)
    assert_refused(sample_ws, result, before, commits)
    assert result.err.startswith(f"tcrm: error: {line}"), result.err


def test_the_command_that_ran_is_found_past_global_options() -> None:
    from tcrm.cli import main as cli_main

    cli_main.register_all()
    root: Any = cli_main.command()
    found = command_of(root, ["-w", "task", "task", "add", "Call", "--due", "x"])
    assert found is root.commands["task"].commands["add"]
    assert command_of(root, ["--allow-detached", "log", "acme", "x"]) is root.commands["log"]
    assert command_of(root, []) is root
    name = naming(root.commands["task"].commands["add"])
    assert [name(f) for f in ("due", "contacts", "timezone", "assignments", "next_due")] == [
        "--due",
        "--contact",
        "--tz",
        "--set",
        "--next-due",
    ]
    assert naming(root.commands["team"].commands["add"])("timezone") == "--timezone"


def test_every_renamed_field_is_an_option_some_command_takes() -> None:
    """FIELD_OPTIONS stays true to the commands: each option it names exists."""
    from tcrm.cli import main as cli_main

    cli_main.register_all()
    spelt: set[str] = set()
    stack = [cli_main.command()]
    while stack:
        command = stack.pop()
        spelt.update(options_of(command).values())
        stack.extend((getattr(command, "commands", None) or {}).values())
    assert set(FIELD_OPTIONS.values()) <= spelt


def test_the_dashboard_names_its_period_as_a_field(sample_ws: Path) -> None:
    from datetime import datetime

    from tcrm.services.dashboard import dashboard
    from tcrm.store.workspace import Workspace

    with pytest.raises(UsageError) as caught:
        dashboard(Workspace.open(sample_ws), now=datetime.fromisoformat(NOW), period="decade")
    assert caught.value.field == "period"
    assert str(caught.value).startswith("--period 'decade' is not one of ")
    assert caught.value.words(str.title).startswith("Period 'decade' is not one of ")
