"""completions/ is generated from the program, and the bash script completes for real."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.clitools import ROOT

REGENERATE = "python scripts/make_completions.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_completions", ROOT / "scripts" / "make_completions.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_completion_scripts_are_up_to_date() -> None:
    generator = _generator()
    for name, text in generator.expected().items():
        path = ROOT / "completions" / name
        assert path.is_file(), f"completions/{name} is missing: run `{REGENERATE}`"
        assert path.read_text(encoding="utf-8") == text, (
            f"completions/{name} is out of date: run `{REGENERATE}`"
        )


def test_each_script_asks_tcrm_through_typers_variable() -> None:
    texts = {n: (ROOT / "completions" / n).read_text() for n in ("tcrm.bash", "_tcrm", "tcrm.fish")}
    assert "_TCRM_COMPLETE=complete_bash" in texts["tcrm.bash"]
    assert texts["_tcrm"].startswith("#compdef tcrm\n")
    assert "_TCRM_COMPLETE=complete_zsh" in texts["_tcrm"]
    assert "_TCRM_COMPLETE=complete_fish" in texts["tcrm.fish"]


def bash_complete(env: dict[str, str], *words: str) -> list[str]:
    """What bash offers for ``words`` (the last one being completed), via the real script."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    script = ROOT / "completions" / "tcrm.bash"
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (
        f"source '{script}'\n"
        f"COMP_WORDS=({quoted})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_tcrm_completion tcrm\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_commands(tcrm_on_path: dict[str, str]) -> None:
    assert "client" in bash_complete(tcrm_on_path, "tcrm", "cl")
    assert bash_complete(tcrm_on_path, "tcrm", "cli") == ["client"]
    assert {"log", "activity", "search", "help"} <= set(bash_complete(tcrm_on_path, "tcrm", ""))
    assert bash_complete(tcrm_on_path, "tcrm", "activity", "sh") == ["show"]


def test_bash_completes_client_ids(sample_ws: Path, tcrm_on_path: dict[str, str]) -> None:
    offered = bash_complete(tcrm_on_path, "tcrm", "client", "show", "acme")
    assert offered == ["acme-logistics"]


def test_bash_completes_log_refs_and_options(sample_ws: Path, tcrm_on_path: dict[str, str]) -> None:
    offered = bash_complete(tcrm_on_path, "tcrm", "log", "acme-logistics-w")
    assert offered == ["acme-logistics-website-relaunch"]
    # client ids, then deal ids
    assert bash_complete(tcrm_on_path, "tcrm", "log", "caf") == [
        "cafe-lumiere",
        "cafe-lumiere-website-and-table-booking",
    ]
    assert bash_complete(tcrm_on_path, "tcrm", "log", "x", "y", "--kind", "m") == ["meeting"]
    assert bash_complete(tcrm_on_path, "tcrm", "log", "x", "y", "--author", "b") == ["ben"]


def test_bash_completes_activity_ids(sample_ws: Path, tcrm_on_path: dict[str, str]) -> None:
    ids = sorted(p.stem for p in sample_ws.glob("activities/*/*.yaml"))
    prefix = ids[0][:2]
    offered = bash_complete(tcrm_on_path, "tcrm", "activity", "show", prefix)
    assert offered == [i for i in ids if i.startswith(prefix)]


def test_zsh_and_fish_protocols(sample_ws: Path, tcrm_on_path: dict[str, str]) -> None:
    """What the zsh and fish scripts run on <TAB> (the shells need not be installed)."""

    def ask(shell: str, line: str, **extra: str) -> str:
        env = {**tcrm_on_path, "_TCRM_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line}
        result = subprocess.run(
            ["tcrm"], env={**env, **extra}, capture_output=True, text=True, timeout=60, check=False
        )
        return result.stdout

    assert '"client"' in ask("zsh", "tcrm cl")
    assert '"acme-logistics"' in ask("zsh", "tcrm client show acme")
    fish = ask("fish", "tcrm log caf", _TYPER_COMPLETE_FISH_ACTION="get-args")
    assert fish.split() == ["cafe-lumiere", "cafe-lumiere-website-and-table-booking"]
