"""A refused commit, plain or merge, leaves git's index as it found it (store/git's one
staging helper serves both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcrm.errors import GitError
from tcrm.store.git import committing, merges
from tcrm.store.git.fast import FAST_COMMIT_ENV
from tests.clitools import git


def _repo(root: Path) -> str:
    """A repository with a commit on main and one on a side branch; main checked out,
    ``mine.txt`` staged by hand. Returns the side branch's commit."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("a\n")
    git(root, "add", "a.txt")
    git(root, "commit", "-q", "-m", "a")
    git(root, "checkout", "-q", "-b", "side")
    (root / "b.txt").write_text("b\n")
    git(root, "add", "b.txt")
    git(root, "commit", "-q", "-m", "b")
    side = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "main")
    (root / "mine.txt").write_text("staged by hand\n")
    git(root, "add", "mine.txt")
    (root / "a.txt").write_text("a changed\n")
    (root / "b.txt").write_text("b\n")
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    return side


def test_a_refused_merge_commit_unstages_its_files_and_keeps_the_hand_staged_one(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    side = _repo(root)
    head = git(root, "rev-parse", "HEAD")
    # dulwich's own CommitError here: the merge path does not word it as a GitError
    with pytest.raises(Exception, match="pre-commit"):
        merges.commit_merge(root, ["a.txt", "b.txt"], "merge side", side)
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "diff", "--cached", "--name-only").split() == ["mine.txt"]
    assert git(root, "ls-files", "b.txt") == ""  # a new file is taken out of the index again
    assert "fatal" not in git(root, "fsck", "--no-progress")


def test_a_refused_plain_commit_unstages_its_files_and_keeps_the_hand_staged_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAST_COMMIT_ENV, "0")  # dulwich's staging path
    root = tmp_path / "repo"
    _repo(root)
    head = git(root, "rev-parse", "HEAD")
    with pytest.raises(GitError, match="pre-commit"):
        committing.commit(root, ["a.txt", "b.txt"], "a and b")
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "diff", "--cached", "--name-only").split() == ["mine.txt"]
    assert git(root, "ls-files", "b.txt") == ""
