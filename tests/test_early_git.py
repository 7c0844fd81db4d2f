"""The ``git status`` started with the process (``tcrm.store.early``), spawned without
``subprocess``: it answers what ``subprocess`` would, holds tcrm's lock only while it
runs, and is killed at exit when nobody took its answer. A real git repository, real
processes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tcrm.store import early
from tcrm.store.lock import WorkspaceLock
from tests.clitools import run


@pytest.fixture
def indexed(sample_ws: Path) -> Iterator[Path]:
    """The sample workspace with its index (``early.start`` only helps a warm index) and a
    hand-edited task, which git lists."""
    run("task", "list")
    task = next((sample_ws / "tasks").glob("*.yaml"))
    task.write_text(task.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    yield sample_ws
    early._abandon()  # nothing left running after a failed assertion


def lock_is_free(root: Path) -> bool:
    lock = early.lock_probe(root / ".tcrm" / "lock")
    if lock is None:
        return False
    lock.__exit__(None, None, None)
    return True


def test_the_answer_is_subprocess_s(indexed: Path) -> None:
    """Exit code and output are what ``subprocess.run`` gets for the same command line;
    the lock is held while git may write its index, and let go of once it answered."""
    early.start(str(indexed))
    pending = early._pending
    assert pending is not None and pending.lock is not None
    assert not lock_is_free(indexed)
    answer = early.take(indexed)
    assert early._pending is None and lock_is_free(indexed)
    done = subprocess.run(
        early.status_args(optional_locks=False),
        cwd=indexed,
        capture_output=True,
        env=early.git_env(),
        check=False,
    )
    assert answer == (done.returncode, done.stdout)
    assert b"# branch.oid " in done.stdout and b"tasks/" in done.stdout  # the edit


def test_an_answer_nobody_took_is_killed_at_exit(indexed: Path) -> None:
    """``_abandon`` (an atexit handler) stops git, reaps it and lets go of the lock."""
    early.start(str(indexed))
    pending = early._pending
    assert pending is not None
    early._abandon()
    assert early._pending is None and lock_is_free(indexed)
    assert pending.answer is not None  # reaped: its exit status was read
    with pytest.raises(ChildProcessError):
        os.waitpid(pending.pid, os.WNOHANG)  # no such child any more (no zombie)


def test_a_killed_git_reads_as_subprocess_reports_it(indexed: Path) -> None:
    """Killed before it answered: minus the signal, as ``Popen.returncode``."""
    stdin, feed = os.pipe()  # git inherits stdin: one that stays open, and says nothing
    saved = os.dup(0)
    os.dup2(stdin, 0)
    try:
        pid, out = early.spawn(["git", "cat-file", "--batch"], str(indexed))
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(stdin)
    try:
        pending = early.Pending(str(indexed), pid, out, None)
        pending.kill()
        assert pending.settle() == (-9, b"")
    finally:
        os.close(feed)


def test_no_git_no_answer_and_the_lock_let_go(
    indexed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a git program nothing is pending (the index asks again, and stats files)."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    early.start(str(indexed))
    assert early._pending is None and lock_is_free(indexed)


def test_a_held_lock_means_git_may_not_write_its_index(indexed: Path) -> None:
    """With another tcrm process changing the workspace, git runs with
    ``--no-optional-locks`` and no lock is taken."""
    with WorkspaceLock(indexed / ".tcrm" / "lock"):
        early.start(str(indexed))
        pending = early._pending
        assert pending is not None and pending.lock is None
        code, out = early.take(indexed) or (None, b"")
    assert code == 0 and b"tasks/" in out
