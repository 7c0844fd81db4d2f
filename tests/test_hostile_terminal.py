"""Issue 16, item 4: text from records never reaches a terminal raw.

Control characters and escape sequences in a hand-edited or synced record (a window title
``ESC ] 0 ; ... BEL``, clear screen ``ESC [ 2 J``, cursor up and erase line, a carriage
return, NUL, a right-to-left override) are shown visibly wherever tcrm writes text for
people; ``--json`` carries the exact data. The CLI runs as a user runs it, on a real
pseudo-terminal, and its raw bytes are read from the master side.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.clitools import git, run

HOSTILE = "\x1b]0;pwned\x07Evil\x1b[2J\x1b[1A\x1b[2K\rCorp\x00 \u202eelif.exe"
"""Every sequence of the issue in one name."""
HOSTILE_YAML = r'"\e]0;pwned\aEvil\e[2J\e[1A\e[2K\rCorp\0 \u202Eelif.exe"'
"""The same, as a double-quoted YAML scalar (how a hand edit or a sync would bring it)."""
ARGV_HOSTILE = HOSTILE.replace("\x00", "")  # a command line cannot carry NUL
RAW = [b"\x1b]0;", b"\x07", b"\x1b[2J", b"\x1b[1A", b"\x1b[2K", b"\r", b"\x00", "\u202e".encode()]
SGR = re.compile(rb"\x1b\[[0-9;]*m")
"""Colours and bold: the only escape sequences tcrm itself may send to a terminal."""


def run_on_pty(root: Path, *args: str) -> tuple[int, bytes]:
    """``python -m tcrm ARGS`` with stdin, stdout and stderr on a pseudo-terminal; its
    exit code and every byte it wrote there (output post-processing off, so a ``\\r`` in
    the bytes is one tcrm wrote, not the terminal's newline translation)."""
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST  # oflag: no \n -> \r\n
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    env = {
        **os.environ,
        "TCRM_WORKSPACE": str(root),
        "COLUMNS": "200",
        "LINES": "50",
        "TERM": "xterm-256color",
    }
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tcrm", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                process.kill()
                pytest.fail(f"tcrm {' '.join(args)} wrote nothing for 60 s")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
        code = process.wait(timeout=60)
    return code, b"".join(chunks)


def assert_nothing_raw(output: bytes) -> None:
    """None of the hostile sequences, and no escape sequence but colours, reached the pty."""
    for raw in RAW:
        assert raw not in output, (raw, output)
    assert b"\x1b" not in SGR.sub(b"", output), output
    text = output.decode("utf-8")
    assert "\\x1b" in text or "\ufffd" in text, text  # shown, visibly, not dropped


@pytest.fixture
def hostile_ws(sample_ws: Path) -> Path:
    """The sample workspace with a client, a task and an activity written by a hostile
    hand edit, committed with git."""
    (sample_ws / "clients/evil.yaml").write_text(
        f"name: {HOSTILE_YAML}\ntype: company\nstatus: active\nnotes: {HOSTILE_YAML}\n"
    )
    (sample_ws / "tasks/tevil234.yaml").write_text(
        f"title: {HOSTILE_YAML}\nstatus: open\ndue: 2026-11-24\nclients:\n- evil\n"
    )
    git(sample_ws, "add", "-A")
    git(sample_ws, "commit", "-qm", "hostile records")
    return sample_ws


@pytest.mark.parametrize(
    "args",
    [
        ("client", "show", "evil"),
        ("client", "list"),
        ("search", "elif"),
        ("task", "list"),
        ("task", "show", "tevil234"),
    ],
    ids=lambda a: " ".join(a),
)
def test_record_text_reaches_the_terminal_escaped(hostile_ws, args) -> None:
    code, output = run_on_pty(hostile_ws, *args)
    assert code == 0, output
    assert_nothing_raw(output)


def test_a_confirmation_line_echoes_its_input_escaped(sample_ws) -> None:
    code, output = run_on_pty(sample_ws, "client", "add", ARGV_HOSTILE)
    assert code == 0, output
    assert b"Added client" in output
    for raw in RAW:
        assert raw not in output, (raw, output)


def test_an_error_line_shows_record_text_escaped(hostile_ws) -> None:
    """An error that quotes a record: adding a client with the hostile one's name."""
    code, output = run_on_pty(hostile_ws, "client", "add", HOSTILE.replace("\x00", "\x01"))
    assert code == 1, output
    assert output.startswith(b"tcrm: error: client 'evil' ("), output
    assert_nothing_raw(output)


def test_json_keeps_the_exact_data(hostile_ws) -> None:
    result = run("client", "show", "evil", "--json")
    assert result.code == 0, result.err
    client = json.loads(result.out)["client"]
    assert client["name"] == HOSTILE
    assert client["notes"] == HOSTILE


def test_piped_text_is_escaped_too(hostile_ws) -> None:
    """A pipe often ends in a terminal (``| less``, ``| head``): only --json is exact."""
    result = run("client", "list")
    assert result.code == 0, result.err
    for raw in RAW:
        assert raw.decode() not in result.out
    assert "\\x1b]0;pwned\\x07Evil" in result.out


def test_check_warns_about_control_characters(hostile_ws) -> None:
    result = run("check")
    assert result.code == 0, result.out + result.err
    assert "clients/evil.yaml:1: name: holds control characters" in result.err
    assert "tasks/tevil234.yaml:1: title: holds control characters" in result.err
    for raw in RAW:
        assert raw.decode() not in result.out + result.err


def _painted(app) -> str:
    """What the app's current screen writes to the terminal: every line of every widget
    shown, as Textual renders it (styles, line filters and all)."""
    from textual.geometry import Region

    out = []
    for widget in app.screen.walk_children(with_self=True):
        if not widget.display or not widget.size.area:
            continue
        width, height = widget.outer_size
        for strip in widget.render_lines(Region(0, 0, width, height)):
            out.append(strip.render(app.console))
    return "\n".join(out)


def test_the_tui_paints_record_text_escaped(hostile_ws) -> None:
    import asyncio

    from tcrm.store.workspace import Workspace
    from tcrm.tui.app import TcrmApp
    from tests.test_tui_pilot import FIXED, settle

    app = TcrmApp(Workspace.open(hostile_ws), clock=lambda: FIXED, quiet=True, poll_seconds=None)
    screens: dict[str, str] = {}

    async def main() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(pilot)
            for key, name in (("3", "clients"), ("4", "tasks"), ("2", "pipeline")):
                await pilot.press(key)
                await settle(pilot)
                screens[name] = _painted(app)
            app.open_client("evil")
            await settle(pilot)
            screens["card"] = _painted(app)

    asyncio.run(main())
    for name in ("clients", "tasks", "card"):
        painted = screens[name]
        assert "pwned" in painted, name  # the record is on screen...
        for raw in RAW:
            assert raw.decode() not in painted, (name, raw)  # ...but none of it raw
        assert "\\x1b]0;pwned\\x07" in painted, name


def test_the_console_escapes_text_handed_to_it_already_built() -> None:
    """The boundary holds for a new command that builds rich objects itself: a ``Text``
    (not laid out from a string) and a table cell are checked on their way out."""
    import io

    from rich.table import Table
    from rich.text import Text

    from tcrm.cli.terminal import console

    stream = io.StringIO()
    terminal = console(file=stream, force_terminal=True, width=120, color_system="standard")
    grid = Table("name")
    grid.add_row(Text(HOSTILE))
    terminal.print(Text(HOSTILE, style="bold"), grid, f"Added client {HOSTILE}")
    written = stream.getvalue().encode()
    for raw in RAW:
        assert raw not in written, (raw, written)
    assert b"\x1b" not in SGR.sub(b"", written), written
    assert written.count(b"pwned") == 3, written  # all three shown (rich drops BEL, CR of a Text)
