"""docs/shell.md's examples run as written: the bash prompt in a real bash, the tmux
status line in a real tmux, the starship module's command through ``sh -c``."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest

from tests.clitools import ROOT

DOC = ROOT / "docs" / "shell.md"


def example(heading: str, language: str) -> str:
    """The first ``language`` code block under ``## heading`` in docs/shell.md."""
    section = DOC.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    found = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert found, f"no {language} example under {heading}"
    return found.group(1)


def bash_prompt(env: dict[str, str], cwd: Path) -> str:
    """The prompt bash draws after ~/.bashrc ran the bash example (``${PS1@P}``)."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    program = "PS1='$ '\n" + example("bash", "bash") + 'printf "%s" "${PS1@P}"\n'
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def test_the_bash_prompt(sample_ws: Path, tcrm_on_path: dict[str, str], tmp_path: Path) -> None:
    assert bash_prompt(tcrm_on_path, sample_ws) == "[10 overdue · 6 today] $ "
    away = {k: v for k, v in tcrm_on_path.items() if k != "TCRM_WORKSPACE"}
    empty = tmp_path / "empty"
    empty.mkdir()
    assert bash_prompt(away, empty) == "$ "  # outside a workspace: the prompt as it was


def test_the_starship_module_command(sample_ws: Path, tcrm_on_path: dict[str, str]) -> None:
    config = tomllib.loads(example("starship", "toml"))["custom"]["tcrm"]
    assert config["shell"] == ["sh", "-c"]
    done = subprocess.run(
        [*config["shell"], config["command"]],
        env=tcrm_on_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (0, "10 overdue · 6 today\n")


def test_the_tmux_status_line(sample_ws: Path, tcrm_on_path: dict[str, str]) -> None:
    """A real tmux server (its own socket) takes the example's configuration; the
    command in its ``#()`` (which tmux runs with ``/bin/sh -c``) prints the line. The
    workspace path stands in for ``$HOME/crm``."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    conf = sample_ws.parent / "tmux.conf"
    conf.write_text(example("tmux", "tmux").replace("$HOME/crm", str(sample_ws)))
    socket = f"tcrm-test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in tcrm_on_path.items() if not k.startswith("TMUX")}

    def tmux(*args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", socket, "-f", str(conf), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    tmux("new-session", "-d", "-x", "120", "-y", "10", "sleep 120")
    try:
        status = tmux("show-options", "-gv", "status-right").strip()
        assert tmux("show-options", "-gv", "status-interval").strip() == "30"
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], env=env, timeout=60, check=False)
    command = re.fullmatch(r"#\((.*)\) \| %H:%M", status)
    assert command, status
    away = {k: v for k, v in env.items() if k != "TCRM_WORKSPACE"}
    done = subprocess.run(
        ["/bin/sh", "-c", command.group(1)], env=away, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout) == (0, "10 overdue · 6 today\n")
