"""Shared fixtures: a real workspace in a real git repository, and the git CLI to check it."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace
from tests.clitools import _sample_template, sample_ws

__all__ = ["_sample_template", "sample_ws"]  # fixtures shared by every test module

AUTHOR_NAME = "Test Author"
AUTHOR_EMAIL = "test@example.com"
IDENTITY_ENV = {
    "GIT_AUTHOR_NAME": AUTHOR_NAME,
    "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
    "GIT_COMMITTER_NAME": AUTHOR_NAME,
    "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
}


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every commit a test makes (through dulwich or the git CLI) has the same identity."""
    for key, value in IDENTITY_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run the real ``git`` CLI in ``root`` and return its stdout."""
    result = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **IDENTITY_ENV},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def commit_count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def run_tcrm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a separate process, its own stdout, stderr and exit code."""
    return subprocess.run(
        [sys.executable, "-m", "tcrm", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **IDENTITY_ENV, "COLUMNS": "200"},
        timeout=60,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh workspace made by ``tcrm init`` with one commit."""
    return init_workspace(tmp_path / "ws", name="Test Co")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def cli(*args: str | Path) -> CliResult:
    """``tcrm ARGS`` in this process, through the real entry point and its error boundary."""
    from tcrm.cli.main import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code
        else:  # pragma: no cover - main() always exits
            raise AssertionError("main() returned instead of exiting")
    result = CliResult(
        code if isinstance(code, int) else int(code is not None),
        *(s.getvalue() for s in (stdout, stderr)),
    )
    assert "Traceback" not in result.out + result.err, result.err
    return result


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item each time work is shared out to forked processes (a process pool made
    by ``tcrm.store.parallel``); the pool itself is the real one."""
    import concurrent.futures

    made: list[int] = []
    real = concurrent.futures.ProcessPoolExecutor

    class Counted(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append(1)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Counted)
    return made
