"""``tcrm tui``, bare ``tcrm`` on a terminal, and what the TUI may and may not do."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tcrm.cli import main as cli_main
from tcrm.cli import tui_cmds
from tests.clitools import NOW, run

TUI = Path(__file__).resolve().parent.parent / "tcrm" / "tui"


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the app's run loop: record what ``tcrm tui`` would open."""
    calls: list[dict[str, Any]] = []

    def fake(ws: Any, clock: Any, theme: str | None) -> None:
        calls.append({"root": ws.root, "now": clock(), "theme": theme})

    monkeypatch.setattr(tui_cmds, "launch", fake)
    return calls


def test_tui_opens_the_workspace_with_the_cli_clock(sample_ws: Path, launched: list) -> None:
    result = run("tui", "--theme", "textual-light")
    assert result.code == 0, result.err
    assert launched == [
        {"root": sample_ws, "now": datetime.fromisoformat(NOW), "theme": "textual-light"}
    ]
    assert launched[0]["now"].tzinfo is not None
    assert str(launched[0]["now"].tzinfo) == "Europe/Berlin"


def test_bare_tcrm_on_a_terminal_opens_the_tui(
    sample_ws: Path, launched: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_main, "_is_tty", lambda stream: True)
    result = run()
    assert result.code == 0, result.err
    assert len(launched) == 1 and launched[0]["root"] == sample_ws


def test_bare_tcrm_piped_prints_the_help(sample_ws: Path, launched: list) -> None:
    result = run()  # stdin and stdout are not terminals here
    assert launched == []
    assert "Usage: tcrm" in result.out + result.err
    assert "tui" in result.out + result.err


def test_default_args_only_change_an_empty_command_line_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli_main, "_is_tty", lambda stream: True)
    assert cli_main.default_args([]) == ["tui"]
    assert cli_main.default_args(["today"]) == ["today"]
    monkeypatch.setattr(cli_main, "_is_tty", lambda stream: False)
    assert cli_main.default_args([]) == []


def test_an_unknown_theme_is_a_one_line_error(sample_ws: Path) -> None:
    result = run("tui", "--theme", "no-such-theme")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tcrm: error: --theme 'no-such-theme' is not a theme (one of ")
    assert "textual-light" in lines[0]


def test_a_bad_clock_is_refused_before_the_screen_is_taken(
    sample_ws: Path, launched: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TCRM_NOW", "yesterday-ish")
    result = run("tui")
    assert result.code == 2
    assert result.err.startswith("tcrm: error: TCRM_NOW='yesterday-ish'")
    assert launched == []


def test_no_other_command_imports_textual(sample_ws: Path) -> None:
    code = (
        "import json, sys\n"
        "from tcrm.cli.main import main\n"
        "try:\n"
        "    main(['today', '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')),"
        " file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []
    assert json.loads(result.stdout)["overdue"]  # the command did run


# --- what the TUI layer may do ---------------------------------------------------------


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(TUI.rglob("*.py"))]


def test_the_tui_writes_nothing_itself() -> None:
    """Every change goes through a service: no transactions, no file writes, no git."""
    bad = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
            if name in {
                "transaction",
                "write_text",
                "write_bytes",
                "put",
                "commit",
                "unlink",
                "atomic_write",
                "open",
                "write_state",
                "rename",
            }:
                bad.append(f"{path.name}:{node.lineno}: {name}()")
    assert bad == []


def test_the_tui_imports_no_cli_and_no_dulwich() -> None:
    bad = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            bad += [
                f"{path.name}: {n}" for n in names if n.startswith(("tcrm.cli", "dulwich", "typer"))
            ]
    assert bad == []


def test_every_screen_has_its_stylesheet_beside_it() -> None:
    from tcrm.tui.app import TcrmApp

    assert (TUI / TcrmApp.CSS_PATH).is_file()
    for mode, screen in TcrmApp.MODES.items():
        cls = screen if isinstance(screen, type) else type(screen())  # built when first shown
        css = cls.CSS_PATH
        assert css and (TUI / "screens" / css).is_file(), mode


def test_the_index_is_up_to_date_before_the_app_starts(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first index is built by the CLI (one process per core, a progress bar), not in
    the app's worker threads, where it could only use one core."""
    from tcrm.store.index import INDEX_FILE

    seen: list[bool] = []

    def fake(ws: Any, clock: Any, theme: str | None) -> None:
        index = ws._index  # what the app will use, already refreshed
        seen.append(bool(index) and index.built)

    monkeypatch.setattr(tui_cmds, "launch", fake)
    assert not (sample_ws / ".tcrm" / INDEX_FILE).exists()
    assert run("tui").code == 0
    assert seen == [True]
    assert (sample_ws / ".tcrm" / INDEX_FILE).exists()
