"""Committing paths: the fast path when it applies, dulwich's stage and commit otherwise
(``git commit --only``: what someone staged by hand stays staged)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tcrm.errors import GitError
from tcrm.store.git.fast import FAST_COMMIT_ENV, _fast_commit
from tcrm.store.git.repo import (
    Identity,
    _identity,
    _moment,
    _open,
    _refuse_unsigned,
    _signs,
    _stage,
    _unstage,
)

if TYPE_CHECKING:
    from dulwich.objects import ObjectID
    from dulwich.repo import Repo


def commit(root: Path, paths: Iterable[str], message: str, when: datetime | None = None) -> str:
    """Stage ``paths`` (added, changed or deleted; relative, POSIX) and commit them once.

    The fast path (``_fast_commit``) patches the index and rewrites only the trees on the
    way to those paths: its commit is HEAD's tree with them changed, like
    ``git commit --only PATHS`` (what someone staged by hand stays staged). What it does
    not support goes through dulwich's stage + commit, which reads the whole index (and
    commits all of it).
    """
    repo = _open(root)
    try:
        who = _identity(repo)
        rel_paths = sorted(set(paths))
        sha = None
        if os.environ.get(FAST_COMMIT_ENV) != "0":
            sha = _fast_commit(repo, rel_paths, message, who, when)
        if sha is None:
            sha = _dulwich_commit(repo, rel_paths, message, who, when)
    finally:
        repo.close()
    return sha


def _dulwich_commit(
    repo: Repo, rel_paths: list[str], message: str, who: Identity, when: datetime | None
) -> str:
    """The general path: stage through dulwich (whole index read and written), commit."""
    from dulwich.errors import CommitError

    worktree = repo.get_worktree()
    staged_before = _stage(repo, rel_paths)  # put back if the commit fails
    author = str(who).encode("utf-8")
    extra: dict[str, Any] = {}
    tree = _only(repo, rel_paths)
    if tree is not None:
        extra["tree"] = tree
    if when is not None:
        timestamp, zone = _moment(when)
        extra = {  # the moment of the change: both git dates, like `git commit --date`
            "commit_timestamp": timestamp,
            "commit_timezone": zone,
            "author_timestamp": timestamp,
            "author_timezone": zone,
        }
    try:
        sha = worktree.commit(
            message=message.encode("utf-8"),
            author=author,
            committer=author,
            sign=_signs(repo.get_config_stack()),
            **extra,
        )
    except BaseException as exc:
        _unstage(repo, staged_before)
        if isinstance(exc, CommitError):
            raise GitError(f"git refused the commit: {exc}") from None
        _refuse_unsigned(exc)
        raise
    return sha.decode() if isinstance(sha, bytes) else str(sha)


def _only(repo: Repo, rel_paths: list[str]) -> bytes | None:
    """HEAD's tree with only ``rel_paths`` as the index now has them (``git commit
    --only``), so what someone staged by hand in other files stays staged, uncommitted.
    ``None`` (commit the whole index) without a HEAD or during a merge."""
    from dulwich.object_store import commit_tree_changes
    from dulwich.objects import Commit

    if os.path.exists(os.path.join(repo.controldir(), "MERGE_HEAD")):
        return None
    try:
        head = repo[repo.head()]
    except KeyError:
        return None
    if not isinstance(head, Commit):
        return None
    index = repo.open_index()
    changes: list[tuple[bytes, int | None, ObjectID | None]] = []
    for rel in rel_paths:
        name = rel.encode("utf-8", "surrogateescape")
        try:
            entry = index[name]
        except KeyError:
            changes.append((name, None, None))
            continue
        changes.append((name, entry.mode, entry.sha))  # type: ignore[union-attr]
    return commit_tree_changes(repo.object_store, head.tree, changes)


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
