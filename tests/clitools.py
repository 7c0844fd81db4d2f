"""Running the real CLI in-process on a real workspace: shared by the CLI tests."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tcrm.cli.main import main
from tcrm.services.setup import init_workspace
from tcrm.store.yamlio import load_fast

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_workspace"
NOW = "2026-11-23T09:00:00+01:00"
"""The sample workspace's "today" (Europe/Berlin, a Monday)."""

AUTHOR_NAME = "Test Author"
AUTHOR_EMAIL = "test@example.com"
IDENTITY_ENV = {
    "GIT_AUTHOR_NAME": AUTHOR_NAME,
    "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
    "GIT_COMMITTER_NAME": AUTHOR_NAME,
    "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
}


@dataclass
class Result:
    code: int
    out: str
    err: str


def run(*args: str, stdin: str | None = None) -> Result:
    """``tcrm ARGS`` in this process, as a user would run it; never raises."""
    stdout, stderr = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                main([str(a) for a in args])
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin = old_stdin
    result = Result(code, stdout.getvalue(), stderr.getvalue())
    assert "Traceback" not in result.out + result.err, result.err
    return result


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run the real ``git`` CLI in ``root`` and return its stdout; its identity is the
    test's (``conftest.git_identity``, or what the test set in the environment)."""
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
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
def tcrm_on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose ``tcrm`` on PATH runs this checkout with this interpreter (as a
    shell, a prompt or a status line calls it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "tcrm"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tcrm "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def status_clean(root: Path) -> bool:
    return git(root, "status", "--porcelain") == ""


def snapshot(root: Path) -> dict[str, bytes]:
    """Every tracked-or-not file's bytes (outside .git and .tcrm): to prove nothing changed.

    Links are followed to a file's bytes and never into a folder (as ``Path.rglob``);
    the walk skips .git and .tcrm instead of listing them, a test's most frequent check."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in LOCAL_FOLDERS]
        found += [Path(folder, name) for name in files if name not in LOCAL_FOLDERS]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(found) if p.is_file()}


LOCAL_FOLDERS = (".git", ".tcrm")
"""What ``snapshot`` leaves out: git's files and tcrm's local ones, at any depth."""


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tcrm init --from sample_workspace`` once per session, its objects packed; tests
    get copies of it."""
    root = tmp_path_factory.mktemp("sample-template") / "ws"
    env = {
        "GIT_AUTHOR_NAME": "Ann Tester",
        "GIT_AUTHOR_EMAIL": "ann@example.com",
        "GIT_COMMITTER_NAME": "Ann Tester",
        "GIT_COMMITTER_EMAIL": "ann@example.com",
    }
    with pytest.MonkeyPatch.context() as patch:
        for var, value in env.items():
            patch.setenv(var, value)
        init_workspace(root, template=SAMPLE)
    # git's objects in one pack, as after `git gc` or a clone: half the files to copy
    git(root, "repack", "-a", "-d", "-q", "-n")
    return root


@pytest.fixture
def sample_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _sample_template: Path) -> Path:
    """A git workspace copied from sample_workspace/, with a fixed clock and identity."""
    root = tmp_path / "ws"
    copy_workspace(_sample_template, root)
    return as_sample(monkeypatch, root)


def copy_workspace(source: Path, target: Path) -> Path:
    """``shutil.copytree(source, target, symlinks=True)`` made by ``cp -a``: the same
    files, bytes, modes and times, links kept as links, in one C process instead of
    several Python calls per file (less than half the CPU on the sample workspace).
    ``target`` must not exist, as for ``copytree``."""
    if target.exists() or target.is_symlink():
        raise FileExistsError(target)
    subprocess.run(["cp", "-a", "--", str(source), str(target)], check=True)
    return target


def as_sample(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """The sample workspace's clock and identity for this test, and ``root`` its workspace
    (for a copy of a template built from ``_sample_template``)."""
    for var, value in {
        "TCRM_NOW": NOW,
        "GIT_AUTHOR_NAME": "Ann Tester",
        "GIT_AUTHOR_EMAIL": "ann@example.com",
        "GIT_COMMITTER_NAME": "Ann Tester",
        "GIT_COMMITTER_EMAIL": "ann@example.com",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("TCRM_WORKSPACE", str(root))
    return root


def assert_refused(root: Path, result: Result, before: dict[str, bytes], commits: int) -> None:
    """Bad input: one line on stderr, non-zero exit, no file changed, no commit."""
    assert result.code != 0, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("tcrm: error: "), result.err
    assert snapshot(root) == before
    assert commit_count(root) == commits


def load(root: Path, rel: str) -> dict[str, Any]:
    """A record file's plain data, read with the store's own loader."""
    data = load_fast((root / rel).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def last_message(root: Path) -> str:
    return git(root, "log", "-1", "--format=%s").strip()


def changed_files(root: Path) -> list[str]:
    """The files the last commit touched."""
    return sorted(git(root, "show", "--name-only", "--format=", "HEAD").split())
