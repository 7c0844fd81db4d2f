"""Help texts, as a user reads them at an ordinary terminal width: every command's short
help in a command list is a whole sentence, and option placeholders share one style."""

from __future__ import annotations

import re

import pytest
import typer.main

from tcrm.cli.main import app, register_all
from tests.clitools import run


def _groups() -> list[tuple[str, ...]]:
    """Every command group's words: (), ("client",), ("report",)..."""
    register_all()
    found: list[tuple[str, ...]] = []

    def walk(command: object, words: tuple[str, ...]) -> None:
        commands = getattr(command, "commands", None)
        if commands is None:
            return
        found.append(words)
        for name, sub in commands.items():
            walk(sub, (*words, name))

    walk(typer.main.get_command(app), ())
    return found


def _leaves() -> list[tuple[str, ...]]:
    register_all()
    found: list[tuple[str, ...]] = []

    def walk(command: object, words: tuple[str, ...]) -> None:
        commands = getattr(command, "commands", None)
        if commands is None:
            found.append(words)
            return
        for name, sub in commands.items():
            walk(sub, (*words, name))

    walk(typer.main.get_command(app), ())
    return found


def listed(help_text: str) -> dict[str, str]:
    """The ``Commands:`` section of a help page: name -> its short help, lines joined."""
    entries: dict[str, str] = {}
    name = ""
    section = help_text.split("\nCommands:\n", 1)
    assert len(section) == 2, help_text
    for line in section[1].splitlines():
        if not line.strip():
            break
        match = re.match(r"^  (\S+)\s{2,}(.*)$", line)
        if match and not line.startswith("   "):
            name = match.group(1)
            entries[name] = match.group(2).strip()
        else:
            entries[name] += " " + line.strip()
    return entries


@pytest.mark.parametrize("columns", ["80", "120"])
def test_no_short_help_is_cut_mid_sentence(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    cut = []
    for words in _groups():
        result = run(*words, "--help")
        assert result.code == 0, result.err
        for name, text in listed(result.out).items():
            if (
                text.endswith("...")
                or not text.endswith((".", ")", "`"))
                or text.endswith(("e.g.", "i.e.", "(e.g."))
            ):
                cut.append(f"tcrm {' '.join((*words, name))}: {text!r}")
    assert cut == []


TYPE_PLACEHOLDER = re.compile(r"<(str|int|float|path|file|text|list\[[^\]]*\])>|\{[a-z_]+\}")


def test_placeholders_share_one_style(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--due WHEN``, ``REF``: upper-case words, never Typer's ``<str>``/``<list[str]>``."""
    monkeypatch.setenv("COLUMNS", "100")
    mixed = []
    for words in _leaves():
        result = run(*words, "--help")
        assert result.code == 0, result.err
        found = sorted({m.group(0) for m in TYPE_PLACEHOLDER.finditer(result.out)})
        if found:
            mixed.append(f"tcrm {' '.join(words)}: {', '.join(found)}")
    assert mixed == []
    task_add = run("task", "add", "--help").out
    assert "Usage: tcrm task add [OPTIONS] {TITLE}" in task_add
    assert re.search(r"\n  TITLE  +What to do", task_add)
    assert re.search(r"\n  --due WHEN  +When: ", task_add)
    assert re.search(r"\n  --client CLIENT  +A client", task_add)
    assert re.search(r"\n  --duration N  +How long", task_add)
    log = run("log", "--help").out
    assert re.search(r"\n  REF\.\.\. SUMMARY  +Clients, contact", log)
