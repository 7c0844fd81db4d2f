"""History: commits and the files they changed, each file's last version and revision
(calendar feeds), who changed a file on one side of a merge, a file's past versions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tcrm.store.git.repo import _oid, _open, head, is_repo


@dataclass(frozen=True)
class CommitInfo:
    """A commit as history shows it."""

    id: str
    parents: tuple[str, ...]
    author: str
    email: str
    when: datetime
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class FileChange:
    """A file a commit added, changed, deleted or renamed (paths relative, POSIX)."""

    old_path: str | None
    new_path: str | None
    old_blob: str | None
    new_blob: str | None


def _info(commit: Any) -> CommitInfo:
    from datetime import timedelta, timezone

    raw = commit.author.decode("utf-8", "replace")
    name, _, email = raw.partition(" <")
    zone = timezone(timedelta(seconds=commit.author_timezone))
    return CommitInfo(
        id=commit.id.decode(),
        parents=tuple(p.decode() for p in commit.parents),
        author=name,
        email=email.rstrip(">"),
        when=datetime.fromtimestamp(commit.author_time, zone),
        message=commit.message.decode("utf-8", "replace"),
    )


def commits(root: Path, head: str | None = None) -> list[CommitInfo]:
    """Every commit reachable from ``head`` (HEAD), children before their parents."""
    repo = _open(root)
    try:
        try:
            start = head.encode() if head else repo.head()
        except KeyError:
            return []
        walker = repo.get_walker(include=[_oid(start)], order="topo")
        return [_info(entry.commit) for entry in walker]
    finally:
        repo.close()


def commit_info(root: Path, commit_id: str) -> CommitInfo:
    repo = _open(root)
    try:
        return _info(repo[commit_id.encode()])
    finally:
        repo.close()


def file_changes(root: Path, commit_id: str, parent_id: str | None) -> list[FileChange]:
    """What ``commit_id`` changed relative to ``parent_id`` (the empty tree for ``None``).

    No content-based rename detection: record ids never change, so callers pair a
    deleted and an added file of the same record themselves (an activity whose year
    changed), and two similar records are never mistaken for one.
    """
    from dulwich.diff_tree import tree_changes

    repo = _open(root)
    try:
        store = repo.object_store
        new_tree = repo[commit_id.encode()].tree  # type: ignore[attr-defined]
        old_tree = repo[parent_id.encode()].tree if parent_id else None  # type: ignore[attr-defined]
        out = []
        for change in tree_changes(store, old_tree, new_tree):
            old, new = change.old, change.new
            out.append(
                FileChange(
                    old_path=old.path.decode() if old and old.path else None,
                    new_path=new.path.decode() if new and new.path else None,
                    old_blob=old.sha.decode() if old and old.sha else None,
                    new_blob=new.sha.decode() if new and new.sha else None,
                )
            )
        return out
    finally:
        repo.close()


@dataclass(frozen=True)
class LastVersion:
    """The newest version of a file that HEAD no longer has, and the commit that deleted it."""

    path: str
    data: bytes
    commit: CommitInfo
    """The commit that deleted the file (or, if none is found, the last one that had it)."""


def last_versions(root: Path, paths: Iterable[str]) -> dict[str, LastVersion]:
    """``{path: LastVersion}`` for each of ``paths`` some commit before HEAD had.

    One walk from HEAD, children before parents, until each path has its newest version
    and the commit that deleted it: a commit without the file whose parent had it (a
    merge commit only when no other commit did, as a merge just carries a deletion).
    """
    from dulwich.object_store import tree_lookup_path

    wanted = {p.encode("utf-8", "surrogateescape"): p for p in set(paths)}
    out: dict[str, LastVersion] = {}
    if not wanted or not is_repo(root):
        return out
    repo = _open(root)
    try:
        try:
            start = repo.head()
        except KeyError:
            return out
        store = repo.object_store

        def holds(commit_id: bytes, raw: bytes) -> bytes | None:
            try:
                tree = store[_oid(commit_id)].tree  # type: ignore[attr-defined]
                return tree_lookup_path(store.__getitem__, tree, raw)[1]
            except KeyError:
                return None

        newest: dict[bytes, bytes] = {}
        deleter: dict[bytes, Any] = {}
        merge_deleter: dict[bytes, Any] = {}
        for entry in repo.get_walker(include=[_oid(start)], order="topo"):
            commit = entry.commit
            for raw in wanted:
                if raw in deleter:
                    continue
                sha = holds(commit.id, raw)
                if sha is not None:
                    newest.setdefault(raw, sha)
                    continue
                before = [b for b in (holds(parent, raw) for parent in commit.parents) if b]
                if before:
                    newest.setdefault(raw, before[0])
                    if len(commit.parents) == 1:
                        deleter[raw] = commit
                    else:
                        merge_deleter.setdefault(raw, commit)
            if len(deleter) == len(wanted):
                break
        for raw, rel in wanted.items():
            who = deleter.get(raw) or merge_deleter.get(raw)
            if raw in newest and who is not None:
                data = store[_oid(newest[raw])].as_raw_string()
                out[rel] = LastVersion(rel, data, _info(who))
    finally:
        repo.close()
    return out


# --- calendar feeds: when each record file last changed --------------------------------


@dataclass(frozen=True)
class Revision:
    """When a file last changed and how often: a calendar's LAST-MODIFIED and SEQUENCE.

    ``changes`` counts the commits reachable from HEAD that changed the file, plus one
    when the working copy differs from HEAD; it only grows as history grows, and every
    clone with the same HEAD computes the same value.
    """

    changed: datetime
    changes: int
    committed: bool = True
    """False when the file differs from HEAD (a hand edit not committed, a new file):
    ``changed`` and ``changes`` are then those of its committed history (its file time
    and 0 when it has none), so discarding the edit never takes a revision back."""


def revisions(root: Path, paths: Iterable[str]) -> dict[str, Revision]:
    """``{path: Revision}`` for each of ``paths`` (relative, POSIX) that exists.

    One walk of the history from HEAD, diffing each commit against its first parent (a
    merge counts for what it brought into this branch). ``changed`` is the newest such
    commit's time (UTC). A file that differs from HEAD is marked not ``committed`` and
    keeps its committed revision (its modification time when it has no history); in a
    folder that is no git repository every file is its own first revision, at its
    modification time. An export never depends on the clock.
    """
    from datetime import UTC

    from dulwich.objects import Blob

    wanted = {p.encode("utf-8", "surrogateescape"): p for p in set(paths)}
    newest, counts, head_blobs = _path_history(root, set(wanted)) if wanted else ({}, {}, {})
    history = has_history(root)
    out: dict[str, Revision] = {}
    for raw, rel in wanted.items():
        full = root / rel
        try:
            data = full.read_bytes()
            mtime = int(full.stat().st_mtime)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        count = counts.get(raw, 0)
        if not history:
            out[rel] = Revision(datetime.fromtimestamp(mtime, UTC), 1)
        elif raw in head_blobs and Blob.from_string(data).id == head_blobs[raw]:
            out[rel] = Revision(datetime.fromtimestamp(newest[raw], UTC), count)
        else:
            at = newest.get(raw, mtime)
            out[rel] = Revision(datetime.fromtimestamp(at, UTC), count, committed=False)
    return out


def has_history(root: Path) -> bool:
    """Whether ``root`` is a git repository with at least one commit."""
    return is_repo(root) and head(root) is not None


def read_at_head(root: Path, paths: Iterable[str]) -> dict[str, bytes]:
    """The committed bytes (at HEAD) of each of ``paths`` that HEAD has."""
    from dulwich.object_store import tree_lookup_path

    repo = _open(root)
    try:
        try:
            tree = repo[repo.head()].tree  # type: ignore[attr-defined]
        except KeyError:
            return {}
        store = repo.object_store
        out = {}
        for rel in paths:
            try:
                _, sha = tree_lookup_path(
                    store.__getitem__, tree, rel.encode("utf-8", "surrogateescape")
                )
            except KeyError:
                continue
            out[rel] = store[sha].as_raw_string()
        return out
    finally:
        repo.close()


def _path_history(
    root: Path, wanted: set[bytes]
) -> tuple[dict[bytes, int], dict[bytes, int], dict[bytes, bytes]]:
    """``(newest commit time, commit count, blob at HEAD)`` per wanted path, in one walk."""
    from dulwich.diff_tree import tree_changes
    from dulwich.object_store import iter_tree_contents

    newest: dict[bytes, int] = {}
    counts: dict[bytes, int] = {}
    head_blobs: dict[bytes, bytes] = {}
    if not is_repo(root):
        return newest, counts, head_blobs
    repo = _open(root)
    try:
        try:
            start = repo.head()
        except KeyError:
            return newest, counts, head_blobs
        store = repo.object_store
        for entry in repo.get_walker(include=[start]):
            commit = entry.commit
            parent = store[commit.parents[0]].tree if commit.parents else None  # type: ignore[attr-defined]
            touched = {
                side.path
                for change in tree_changes(store, parent, commit.tree)
                for side in (change.old, change.new)
                if side is not None and side.path in wanted
            }
            for path in touched:
                counts[path] = counts.get(path, 0) + 1
                newest[path] = max(newest.get(path, 0), commit.commit_time)
        tree = store[start].tree  # type: ignore[attr-defined]
        for item in iter_tree_contents(store, tree):  # one walk, not a lookup per path
            if item.path in wanted:
                head_blobs[item.path] = item.sha
    finally:
        repo.close()
    return newest, counts, head_blobs


# --- who changed a file on one side of a merge ------------------------------------------


def last_change(
    root: Path,
    head: str,
    exclude: Iterable[str],
    path: str,
    changed: Callable[[bytes | None, bytes | None], bool],
) -> CommitInfo | None:
    """The newest commit reachable from ``head`` but not from ``exclude`` (a merge base)
    whose change to ``path`` (against its first parent) passes ``changed(old, new)``
    (the file's bytes, ``None`` when absent): who made one side of a merge. A merge
    brings the other side's change in, so merges count for what they changed too."""
    from dulwich.object_store import tree_lookup_path

    repo = _open(root)
    try:
        store = repo.object_store
        raw = path.encode("utf-8", "surrogateescape")

        def blob(tree: bytes | None) -> bytes | None:
            if tree is None:
                return None
            try:
                _, sha = tree_lookup_path(store.__getitem__, _oid(tree), raw)
            except KeyError:
                return None
            return sha

        walker = repo.get_walker(
            include=[_oid(head.encode())], exclude=[_oid(e.encode()) for e in exclude], order="topo"
        )
        for entry in walker:
            commit = entry.commit
            parent = store[commit.parents[0]].tree if commit.parents else None  # type: ignore[attr-defined]
            old, new = blob(parent), blob(commit.tree)
            if old == new:
                continue
            before = store[_oid(old)].as_raw_string() if old else None
            after = store[_oid(new)].as_raw_string() if new else None
            if changed(before, after):
                return _info(commit)
        return None
    finally:
        repo.close()


def past_versions(root: Path, rel: str, limit: int = 500) -> list[bytes]:
    """The committed versions of one file, newest first (at most ``limit``), through the
    ``git`` CLI (its path-limited log walks a long history in C); without a usable
    ``git``, only the version at HEAD."""
    import shutil
    import subprocess

    if not is_repo(root) or head(root) is None:
        return []
    if shutil.which("git") is None:
        return list(read_at_head(root, [rel]).values())
    base = ["git", "-C", str(root), "-c", "core.quotepath=off"]
    try:
        listed = subprocess.run(
            [*base, "log", f"-n{limit}", "--format=%H", "--no-renames", "HEAD", "--", rel],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.split()
        if not listed:
            return []
        wanted = b"".join(sha + b":" + rel.encode() + b"\n" for sha in listed)
        batch = subprocess.run(
            [*base, "cat-file", "--batch"], input=wanted, capture_output=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return list(read_at_head(root, [rel]).values())
    out: list[bytes] = []
    at = 0
    while at < len(batch):
        end = batch.index(b"\n", at)
        header = batch[at:end].split()
        at = end + 1
        if len(header) != 3:  # "<name> missing": deleted in that commit
            continue
        size = int(header[2])
        out.append(batch[at : at + size])
        at += size + 1
    return out
