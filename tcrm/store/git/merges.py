"""Merging: merge bases and ancestry, the trees and blobs of the two sides, the merge
commit and fast-forward."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tcrm.store.git import ancestry
from tcrm.store.git.repo import (
    _oid,
    _open,
    _ref,
    _refuse_unsigned,
    _signs,
    _stage,
    _unstage,
    current_branch,
    identity,
)


def merge_bases(root: Path, a: str, b: str) -> list[str]:
    """The best common ancestors of ``a`` and ``b`` (see ``ancestry``: not dulwich's)."""
    repo = _open(root)
    try:
        parents, stamp = graph_of(repo.object_store, repo.parents_provider())
        return [s.decode() for s in ancestry.merge_bases(parents, stamp, a.encode(), b.encode())]
    finally:
        repo.close()


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    """Whether ``ancestor`` is ``descendant`` or one of its ancestors (see ``ancestry``)."""
    repo = _open(root)
    try:
        parents, stamp = graph_of(repo.object_store, repo.parents_provider())
        return ancestry.is_ancestor(parents, stamp, ancestor.encode(), descendant.encode())
    finally:
        repo.close()


def graph_of(store: Any, provider: Any) -> tuple[ancestry.Parents, ancestry.Stamp]:
    """A commit's parents (grafts and shallow commits as ``provider`` knows them) and its
    commit time, read from ``store`` once per commit."""
    from dulwich.objects import Commit

    commits: dict[bytes, Commit] = {}

    def commit(sha: bytes) -> Commit:
        if sha not in commits:
            obj = store[sha]
            if not isinstance(obj, Commit):
                raise KeyError(sha)
            commits[sha] = obj
        return commits[sha]

    def parents(sha: bytes) -> list[bytes]:
        return list(provider.get_parents(sha, commit=commit(sha)))

    def stamp(sha: bytes) -> int:
        return int(commit(sha).commit_time)

    return parents, stamp


def count_commits(root: Path, include: str, exclude: str | None) -> int:
    """Commits reachable from ``include`` but not from ``exclude``."""
    repo = _open(root)
    try:
        walker = repo.get_walker(
            include=[_oid(include.encode())], exclude=[_oid(exclude.encode())] if exclude else None
        )
        return sum(1 for _ in walker)
    finally:
        repo.close()


def tree_files(root: Path, commit_id: str | None) -> dict[str, str]:
    """``{path: blob id}`` of every file in a commit (``{}`` for ``None``)."""
    if commit_id is None:
        return {}
    from dulwich.object_store import iter_tree_contents

    repo = _open(root)
    try:
        tree = repo[commit_id.encode()].tree  # type: ignore[attr-defined]
        return {
            entry.path.decode("utf-8", "surrogateescape"): entry.sha.decode()
            for entry in iter_tree_contents(repo.object_store, tree)
            if entry.path is not None and entry.sha is not None
        }
    finally:
        repo.close()


def tree_executables(root: Path, commit_id: str | None) -> frozenset[str]:
    """The paths of a commit that git keeps as executable files (mode 100755): a sync
    writes them executable, as ``git checkout`` would (a hook script, say)."""
    if commit_id is None:
        return frozenset()
    from dulwich.object_store import iter_tree_contents

    repo = _open(root)
    try:
        tree = repo[commit_id.encode()].tree  # type: ignore[attr-defined]
        return frozenset(
            entry.path.decode("utf-8", "surrogateescape")
            for entry in iter_tree_contents(repo.object_store, tree)
            if entry.path is not None and entry.mode == 0o100755
        )
    finally:
        repo.close()


def tree_links(root: Path, commit_id: str) -> list[str]:
    """The paths of a commit that git keeps as symbolic links (mode 120000)."""
    import stat

    from dulwich.object_store import iter_tree_contents

    repo = _open(root)
    try:
        tree = repo[commit_id.encode()].tree  # type: ignore[attr-defined]
        return sorted(
            entry.path.decode("utf-8", "surrogateescape")
            for entry in iter_tree_contents(repo.object_store, tree)
            if entry.path is not None and entry.mode is not None and stat.S_ISLNK(entry.mode)
        )
    finally:
        repo.close()


def read_blobs(root: Path, blob_ids: Iterable[str]) -> dict[str, bytes]:
    repo = _open(root)
    try:
        return {sha: repo[sha.encode()].as_raw_string() for sha in set(blob_ids)}
    finally:
        repo.close()


def blob_id(data: bytes) -> str:
    from dulwich.objects import Blob

    return Blob.from_string(data).id.decode()


def commit_merge(root: Path, paths: Iterable[str], message: str, merge_head: str) -> str:
    """Stage ``paths`` (already written) and commit with two parents: HEAD and ``merge_head``."""
    who = identity(root)
    repo = _open(root)
    try:
        worktree = repo.get_worktree()
        staged_before = _stage(repo, sorted(set(paths)))  # put back if the commit fails
        author = str(who).encode("utf-8")
        try:
            sha = worktree.commit(
                message=message.encode("utf-8"),
                author=author,
                committer=author,
                merge_heads=[_oid(merge_head.encode())],
                sign=_signs(repo.get_config_stack()),
            )
        except BaseException as exc:
            _unstage(repo, staged_before)
            _refuse_unsigned(exc)
            raise
    finally:
        repo.close()
    return sha.decode() if isinstance(sha, bytes) else str(sha)


def fast_forward(root: Path, paths: Iterable[str], new_head: str) -> None:
    """Stage ``paths`` (already written as ``new_head`` has them) and move the branch there."""
    branch = current_branch(root)
    repo = _open(root)
    try:
        rel = sorted(set(paths))
        if rel:
            repo.get_worktree().stage(rel)
        repo.refs[_ref(f"refs/heads/{branch}".encode())] = _oid(new_head.encode())
    finally:
        repo.close()


def dirty(root: Path) -> tuple[list[str], list[str]]:
    """``(changed, untracked)``: tracked files that differ from HEAD (staged or not), and
    files git does not know (ignored ones left out)."""
    from dulwich import porcelain

    repo = _open(root)
    try:
        status = porcelain.status(repo, untracked_files="all")
    finally:
        repo.close()
    changed: set[str] = set()
    for group in status.staged.values():
        changed.update(p.decode() if isinstance(p, bytes) else p for p in group)
    changed.update(p.decode() if isinstance(p, bytes) else p for p in status.unstaged)
    untracked = sorted(p.decode() if isinstance(p, bytes) else p for p in status.untracked)
    return sorted(changed), untracked
