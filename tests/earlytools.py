"""Running ``tcrm`` both ways: through the executable (its early path first) and straight
into the Typer app (``tcrm.cli.main.main``, no early path), to compare the two."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tcrm.cli import early_path
from tests.clitools import ROOT, run

HEAVY = ("typer", "click", "pydantic", "rich", "ruamel", "dulwich", "yaml")
"""What the early paths must not import: each costs 20-80 ms of a prompt or a TAB."""

_RUN = """
import atexit, json, os, runpy, sys
sys.argv = ["tcrm", *json.loads(os.environ["EARLY_ARGS"])]
def dump():
    with open(os.environ["EARLY_OUT"], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)
atexit.register(dump)
if os.environ["EARLY_WAY"] == "typer":
    from tcrm.cli.main import main
    main()
else:
    runpy.run_module("tcrm", run_name="__main__")
"""


def tcrm(
    way: str, args: tuple[str, ...], cwd: Path, *, reader_gone: bool = False, **env: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``tcrm ARGS`` in a fresh interpreter, ``way`` ``launch`` (as the executable runs,
    early path first) or ``typer`` (the Typer app only): its result and its modules.
    ``reader_gone``: its stdout a pipe nobody reads any more (``tcrm ... | head -1``
    once ``head`` has left), so that every write fails."""
    found = cwd / f".modules-{os.getpid()}.json"
    found.unlink(missing_ok=True)
    full = {**os.environ, **env}
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full.get("PYTHONPATH")]))
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        full.pop(var, None)
    full.update(EARLY_ARGS=json.dumps(args), EARLY_OUT=str(found), EARLY_WAY=way)
    streams: dict[str, Any] = {"capture_output": True}
    if reader_gone:
        reader, writer = os.pipe()
        os.close(reader)
        streams = {"stdout": writer, "stderr": subprocess.PIPE}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _RUN], env=full, cwd=cwd, text=True, timeout=120, **streams
        )
    finally:
        if reader_gone:
            os.close(writer)
    assert "Traceback" not in done.stderr, done.stderr
    modules = set(json.loads(found.read_text(encoding="utf-8")))
    found.unlink()
    return done, modules


@contextlib.contextmanager
def _as_in(cwd: Path, env: dict[str, str]) -> Iterator[None]:
    """This process in ``cwd`` with ``env`` added (as ``tcrm`` sets up its child), then back."""
    saved, old = dict(os.environ), Path.cwd()
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        os.environ.pop(var, None)
    os.environ.update(env)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(old)
        os.environ.clear()
        os.environ.update(saved)


def typer_here(args: tuple[str, ...], cwd: Path, **env: str) -> tuple[int, str, str]:
    """``tcrm ARGS`` straight into the Typer app (``tcrm.cli.main.main``, no early path),
    in this process: the reference an early answer must equal, byte for byte. What a
    separate process shows (its imports, its exit) is ``tcrm``'s to check."""
    with _as_in(cwd, env):
        done = run(*args)
    return done.code, done.out, done.err


def heavy(modules: set[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY})


def settle(root: Path) -> None:
    """Date the workspace's settings, record folders and record files back 10 s, as if
    made a while ago: a stamp younger than the racy window (2 s) is never trusted, so
    the early paths would rightly take the normal path until the clock moved on (a
    file a test just edited included: on a quick machine the next run comes within 2 s)."""
    past = time.time() - 10
    paths = [root / "tcrm.yaml", root]
    for folder in ("clients", "deals", "tasks", "activities"):
        base = root / folder
        if base.is_dir():
            paths.append(base)
            paths.extend(p for p in base.rglob("*") if not p.is_symlink())
    for path in paths:
        os.utime(path, (past, past))


def run_on_terminal(root: Path, args: list[str], stream: str) -> tuple[int, str, str]:
    """``tcrm ARGS`` in a separate process with ``stream`` (stdout or stderr) on a real
    pseudo-terminal: its exit code, what the terminal showed, the other stream."""
    main, child = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "TERM": "dumb"}
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        env.pop(var, None)
    probe = (
        f"import runpy, sys; sys.argv = ['tcrm', *{args!r}]; "
        "runpy.run_module('tcrm', run_name='__main__')"
    )
    streams = {"stdout": child, "stderr": subprocess.PIPE}
    if stream == "stderr":
        streams = {"stdout": subprocess.PIPE, "stderr": child}
    try:
        done = subprocess.run(
            [sys.executable, "-c", probe], cwd=root, env=env, text=True, timeout=120, **streams
        )
        os.close(child)
        shown = b""
        with contextlib.suppress(OSError):  # EIO: the child's side is closed
            while chunk := os.read(main, 65536):
                shown += chunk
    finally:
        os.close(main)
    other = done.stderr if stream == "stdout" else done.stdout
    return done.returncode, shown.decode(), other


def early_answer(*args: str) -> tuple[int | None, str, str]:
    """``tcrm ARGS`` through the early path only, in this process: ``(None, "", "")``
    when it steps aside."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = early_path.answer(list(args))
    return code, out.getvalue(), err.getvalue()


def same_both_ways(*args: str) -> bool:
    """Run ``tcrm ARGS`` both ways in this process; assert the early answer, when there
    is one, is the Typer command's to the byte; say whether there was one."""
    code, out, err = early_answer(*args)
    typer_run = run(*args)
    if code is None:
        assert (out, err) == ("", "")
        return False
    assert (code, out, err) == (typer_run.code, typer_run.out, typer_run.err), args
    return True
