"""The workspace's git repository, through dulwich. The only module that imports dulwich.

Imports are local to the functions so read-only commands never pay for dulwich.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tcrm.errors import GitError

if TYPE_CHECKING:
    from dulwich.repo import Repo


@dataclass(frozen=True)
class Identity:
    """Who commits: from git's environment variables and config, like git itself."""

    name: str
    email: str
    configured: bool

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def is_repo(root: Path) -> bool:
    return (root / ".git").exists()


def _open(root: Path) -> Repo:
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        return Repo(str(root))
    except NotGitRepository:
        raise GitError(
            f"{root} is not a git repository; run `git init` there, or create the "
            "workspace with `tcrm init`"
        ) from None


def init(root: Path) -> None:
    """A new repository whose branch is ``init.defaultBranch`` (``main`` if unset)."""
    from dulwich.config import StackedConfig
    from dulwich.repo import Repo

    try:
        branch = StackedConfig.default().get(("init",), "defaultBranch").decode()
    except KeyError:
        branch = "main"
    repo = Repo.init(str(root), mkdir=False)
    try:
        repo.refs.set_symbolic_ref(b"HEAD", b"refs/heads/" + branch.encode())
    finally:
        repo.close()


def identity(root: Path) -> Identity:
    from dulwich.repo import get_user_identity

    repo = _open(root)
    try:
        config = repo.get_config_stack()
        raw = get_user_identity(config, "AUTHOR").decode("utf-8", "replace")
        try:
            config.get(("user",), "name")
            configured = True
        except KeyError:
            configured = "GIT_AUTHOR_NAME" in os.environ
    finally:
        repo.close()
    name, _, email = raw.partition(" <")
    return Identity(name=name, email=email.rstrip(">"), configured=configured)


def commit(root: Path, paths: Iterable[str], message: str, when: datetime | None = None) -> str:
    """Stage ``paths`` (added, changed or deleted; relative, POSIX) and commit them once."""
    from dulwich.errors import CommitError

    who = identity(root)
    repo = _open(root)
    try:
        worktree = repo.get_worktree()
        rel_paths = sorted(set(paths))
        index = repo.open_index()
        staged_before: dict[str, Any] = {}  # put back if the commit fails
        for rel in rel_paths:
            try:
                staged_before[rel] = index[rel.encode()]
            except KeyError:
                staged_before[rel] = None
        worktree.stage(rel_paths)
        author = str(who).encode("utf-8")
        extra = {}
        if when is not None:
            offset = when.utcoffset()
            extra = {
                "commit_timestamp": when.timestamp(),
                "commit_timezone": int(offset.total_seconds()) if offset else 0,
            }
        try:
            sha = worktree.commit(
                message=message.encode("utf-8"),
                author=author,
                committer=author,
                sign=False,
                **extra,
            )
        except BaseException as exc:
            _unstage(repo, staged_before)
            if isinstance(exc, CommitError):
                raise GitError(f"git refused the commit: {exc}") from None
            raise
    finally:
        repo.close()
    return sha.decode() if isinstance(sha, bytes) else str(sha)


def _unstage(repo: Repo, entries: dict[str, Any]) -> None:
    """Put index entries back as they were, so a refused commit leaves nothing staged."""
    index = repo.open_index()
    for rel, entry in entries.items():
        if entry is not None:
            index[rel.encode()] = entry
        elif rel.encode() in index:
            del index[rel.encode()]
    index.write()


def head(root: Path) -> str | None:
    """The current commit id, or None in a repository with no commit yet."""
    repo = _open(root)
    try:
        return repo.head().decode()
    except KeyError:
        return None
    finally:
        repo.close()


def changed_paths(root: Path, paths: Iterable[str]) -> list[str]:
    """Which of ``paths`` differ from what HEAD holds (so a no-op change makes no commit)."""
    from dulwich.object_store import tree_lookup_path

    repo = _open(root)
    try:
        try:
            tree = repo[repo.head()].tree  # type: ignore[attr-defined]
        except KeyError:
            return sorted(set(paths))
        from dulwich.objects import Blob

        out = []
        for rel in sorted(set(paths)):
            full = root / rel
            try:
                _, sha = tree_lookup_path(repo.__getitem__, tree, rel.encode())
            except KeyError:
                if full.exists():
                    out.append(rel)
                continue
            if not full.exists() or Blob.from_string(full.read_bytes()).id != sha:
                out.append(rel)
        return out
    finally:
        repo.close()
