"""``tcrm tui`` in a real terminal (tmux) at 80x24: every screen of the nav bar by its key
(read from the app, so a screen added later is walked too), the search, a client card,
the help overlay, a call logged, undone, and ``q`` quits; checked on what the terminal
shows (``tmux capture-pane -p``, polled until a generous deadline) and on ``git log``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tcrm.tui.widgets.nav import BAR_LABELS, SCREENS
from tests.clitools import git

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

SHOWS = {
    "today": ("Overdue",),
    "pipeline": ("open · won",),
    "clients": ("sorted by name",),
    "tasks": ("open tasks this week",),
    "kb": ("pages in kb/",),
}
"""What each screen shows once it has loaded; a screen not listed here must at least
change what the terminal shows and keep its name in the nav bar."""

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

    def wait_for(self, *texts: str, unlike: str | None = None) -> str:
        """The screen once it shows every one of ``texts`` (and differs from ``unlike``)."""
        deadline = time.monotonic() + WAIT
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if all(t in shown for t in texts) and shown != unlike:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"never shown: {texts!r}; the screen was:\n{shown}")

    def cursor_row(self) -> int:
        """The row of the terminal's cursor: Textual puts it at the focused field's text
        cursor (where typed keys go), hidden, so it shows where the focus is."""
        return int(self.tmux("display", "-p", "-t", "smoke", "#{cursor_y}").stdout)

    def focus_field(self, label: str) -> None:
        """Tab until the cursor sits in the field labelled ``label`` and stays there (two
        reads apart): typing then goes to that field, whenever the form set its first
        focus. A poll of what the terminal shows, not a fixed sleep."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            row, rows = self.cursor_row(), self.screen().splitlines()
            if row < len(rows) and label in rows[row]:
                time.sleep(0.2)
                if self.cursor_row() == row:
                    return
                continue
            self.keys("Tab")
            moved = time.monotonic() + 2.0  # the next Tab once this one has landed
            while self.cursor_row() == row and time.monotonic() < moved:
                time.sleep(0.05)
        raise AssertionError(f"the cursor never reached {label!r}:\n{self.screen()}")

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
    term.tmux("new-session", "-d", "-s", "smoke", "-x", "80", "-y", "24", command)
    try:
        shown = term.wait_for("Overdue", "1 Today", "Mon 23 Nov 2026 09:00")  # the pinned clock
        for mode, key, label in [*SCREENS[1:], SCREENS[0]]:  # each by its key, Today last
            term.keys(key)
            label = BAR_LABELS.get(mode, label)  # the bar's own, shorter label
            shown = term.wait_for(f"{key} {label}", *SHOWS.get(mode, ()), unlike=shown)
        term.keys("3")
        term.wait_for("sorted by name")
        term.keys("Enter")  # the first client's card
        term.wait_for("Timeline")
        term.keys("Escape")
        term.wait_for("sorted by name")
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
        term.focus_field("Summary *")  # kind, about, then the summary
        term.type("smoke test call")
        summary = next(ln for ln in term.wait_for("smoke test call").splitlines() if "Summ" in ln)
        assert "smoke test call" in summary, summary
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
