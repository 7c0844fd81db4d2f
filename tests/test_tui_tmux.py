"""``tcrm tui`` in a real terminal (tmux): every screen by its key, a call logged, undone,
and ``q`` quits; checked on what the terminal shows and on ``git log``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.clitools import git, sample_ws

__all__ = ["sample_ws"]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

WAIT = 60.0
"""Seconds to wait for text to appear before failing (a guard against hanging, not a
measure: a loaded machine only makes the test slower)."""


class Terminal:
    def __init__(self, socket: Path, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            check=check,
            env=self.env,
        )

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "smoke").stdout

    def wait_for(self, *texts: str) -> str:
        deadline = time.monotonic() + WAIT
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if all(t in shown for t in texts):
                return shown
            time.sleep(0.2)
        raise AssertionError(f"never shown: {texts!r}; the screen was:\n{shown}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "smoke", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "smoke", "-l", text)

    def running(self) -> bool:
        return self.tmux("has-session", "-t", "smoke", check=False).returncode == 0


def count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def wait_commits(term: Terminal, root: Path, expected: int) -> None:
    deadline = time.monotonic() + WAIT
    while count(root) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert count(root) == expected, term.screen()


def test_walk_every_screen_log_a_call_undo_it_and_quit(sample_ws: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # no user keymap
        "TERM": "xterm-256color",
    }
    term = Terminal(tmp_path / "tmux.sock", env)
    commits = count(sample_ws)
    command = f"cd {sample_ws} && exec {sys.executable} -m tcrm tui"
    term.tmux("new-session", "-d", "-s", "smoke", "-x", "100", "-y", "30", command)
    try:
        term.wait_for("Overdue", "1 Today", "Mon 23 Nov 2026 09:00")  # the pinned clock
        term.keys("2")
        term.wait_for("open · won")
        term.keys("3")
        term.wait_for("sorted by name")
        term.keys("4")
        term.wait_for("open tasks this week")
        term.keys("5")
        term.wait_for("pages in kb/")
        term.keys("g")
        term.wait_for("Type to search")
        term.type("acme")
        term.wait_for("found", "Acme Logistics")
        term.keys("Escape")
        term.wait_for("pages in kb/")
        term.keys("?")
        term.wait_for("Keys · KB", "Everywhere", "Undo")
        term.keys("q")  # closes the overlay, does not quit
        term.wait_for("pages in kb/")
        term.keys("1")
        term.wait_for("Overdue")
        term.keys("c")
        term.wait_for("Log an activity", "Save ^s")
        time.sleep(1)  # the form's first field takes the focus once it is mounted
        term.keys("Tab", "Tab")  # kind, about, then the summary
        term.type("smoke test call")
        term.wait_for("smoke test call")
        term.keys("C-s")
        wait_commits(term, sample_ws, commits + 1)
        term.wait_for("Logged")
        logged = git(sample_ws, "log", "-1", "--format=%s").strip()
        assert logged.startswith("activity ") and " call " in logged
        term.keys("u")
        term.wait_for("Undo", "summary: smoke test call")
        term.keys("y")
        wait_commits(term, sample_ws, commits + 2)
        term.wait_for("Undid")
        term.keys("q")
        deadline = time.monotonic() + WAIT
        while term.running() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not term.running()
    finally:
        term.tmux("kill-server", check=False)
    log = git(sample_ws, "log", "--format=%s", "-2").splitlines()
    assert log[1] == logged
    activity = logged.split()[1].rstrip(":")
    assert log[0].startswith(f"activity {activity}: undo ")
    assert count(sample_ws) == commits + 2
    git(sample_ws, "fsck", "--strict")
    assert git(sample_ws, "status", "--porcelain").strip() == ""
