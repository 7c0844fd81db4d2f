"""Reading a pushed range (``tcrm verify``), in a bare repository or a pre-receive
hook's quarantine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tcrm.errors import GitError, UsageError
from tcrm.store.git.repo import ZERO, _oid, _ref

# --- reading a pushed range (tcrm verify) ------------------------------------------------
# git runs a pre-receive hook with the pushed objects in a quarantine directory
# (GIT_OBJECT_DIRECTORY, the repository's own objects as an alternate); dulwich does not
# read those variables, so the quarantine is overlaid on the repository's object store.


@dataclass(frozen=True)
class RangeCommit:
    """A commit of the range: who made it, its parents, and what signature it carries."""

    id: str
    parents: tuple[str, ...]
    author: str
    email: str
    payload: bytes
    """The bytes a signature covers (the commit without its ``gpgsig`` header)."""
    signature: bytes | None


class Repository:
    """A git repository (bare or not) opened for reading commits, trees and blobs."""

    def __init__(self, path: Path) -> None:
        from dulwich.errors import NotGitRepository
        from dulwich.object_store import DiskObjectStore, OverlayObjectStore
        from dulwich.repo import Repo

        try:
            self._repo = Repo(str(path))
        except (NotGitRepository, OSError) as exc:
            raise GitError(f"{path} is not a git repository ({exc})") from None
        store: Any = self._repo.object_store
        quarantine = os.environ.get("GIT_QUARANTINE_PATH") or os.environ.get("GIT_OBJECT_DIRECTORY")
        if quarantine and Path(quarantine).is_dir():
            store = OverlayObjectStore([DiskObjectStore(quarantine), store])
        self._store = store

    def close(self) -> None:
        self._repo.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def resolve(self, rev: str) -> str | None:
        """A commit id for ``rev`` (an id, a branch, a tag, ``HEAD``); None for the all-zero
        id git gives for a branch that does not exist yet."""
        if rev == ZERO:
            return None
        raw = rev.encode()
        candidates = [raw, b"refs/heads/" + raw, b"refs/tags/" + raw, b"refs/remotes/" + raw]
        for name in candidates:
            try:
                sha = self._repo.refs[_ref(name)]
            except (KeyError, ValueError):
                continue
            return self._peel(sha)
        if len(rev) == 40 and all(c in "0123456789abcdef" for c in rev):
            return self._peel(raw)
        from dulwich.objectspec import parse_commit

        try:  # HEAD~2, main^, a short id
            return parse_commit(self._repo, raw).id.decode()
        except (KeyError, ValueError):
            pass
        raise UsageError(f"{rev!r} names no commit of this repository")

    def _peel(self, sha: bytes) -> str:
        from dulwich.objects import Commit, Tag

        try:
            obj = self._store[sha]
            while isinstance(obj, Tag):
                obj = self._store[obj.object[1]]
        except KeyError:
            raise UsageError(f"{sha.decode()} is not in this repository") from None
        if not isinstance(obj, Commit):
            raise UsageError(f"{sha.decode()} is not a commit")
        return obj.id.decode()

    def head(self) -> str | None:
        """The commit the repository's HEAD names, or None (an empty repository)."""
        try:
            return self._peel(self._repo.refs[_ref(b"HEAD")])
        except (KeyError, UsageError):
            return None

    def branch_heads(self) -> list[str]:
        """Every branch and tag tip: what a new branch's push is compared with."""
        out = []
        for name, sha in self._repo.refs.as_dict().items():
            if name.startswith((b"refs/heads/", b"refs/tags/")):
                try:
                    out.append(self._peel(sha))
                except UsageError:
                    continue
        return out

    def walk(self, new: str, exclude: list[str]) -> list[RangeCommit]:
        """Commits reachable from ``new`` and from none of ``exclude``, parents first."""
        from dulwich.walk import Walker

        walker = Walker(
            self._store,
            include=[_oid(new.encode())],
            exclude=[_oid(e.encode()) for e in exclude] or None,
            order="topo",
        )
        commits = [_range_commit(entry.commit) for entry in walker]
        commits.reverse()
        return commits

    def commit(self, commit_id: str) -> RangeCommit:
        return _range_commit(self._store[commit_id.encode()])

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether ``ancestor`` is ``descendant`` or one of its ancestors, quarantine
        included (see ``ancestry``: not dulwich's ``can_fast_forward``)."""
        from dulwich.repo import ParentsProvider

        from tcrm.store.git import ancestry
        from tcrm.store.git.merges import graph_of

        parents, stamp = graph_of(self._store, ParentsProvider(self._store))
        return ancestry.is_ancestor(parents, stamp, ancestor.encode(), descendant.encode())

    def files(self, commit_id: str | None) -> dict[str, str]:
        """``{path: blob id}`` of a commit's regular files (links and submodules left out:
        a record is never a link)."""
        import stat

        from dulwich.object_store import iter_tree_contents

        if commit_id is None:
            return {}
        tree = self._store[commit_id.encode()].tree
        return {
            entry.path.decode("utf-8", "surrogateescape"): entry.sha.decode()
            for entry in iter_tree_contents(self._store, tree)
            if entry.path is not None
            and entry.sha is not None
            and entry.mode is not None
            and stat.S_ISREG(entry.mode)
        }

    def links(self, commit_id: str) -> list[str]:
        """Paths a commit keeps as something other than a regular file (a symbolic link)."""
        import stat

        from dulwich.object_store import iter_tree_contents

        tree = self._store[commit_id.encode()].tree
        return sorted(
            entry.path.decode("utf-8", "surrogateescape")
            for entry in iter_tree_contents(self._store, tree)
            if entry.path is not None and entry.mode is not None and not stat.S_ISREG(entry.mode)
        )

    def blob(self, blob_id: str) -> bytes:
        data: bytes = self._store[blob_id.encode()].as_raw_string()
        return data

    def blobs(self, files: dict[str, str], paths: list[str]) -> Iterator[tuple[str, bytes]]:
        for path in paths:
            yield path, self.blob(files[path])


def _range_commit(commit: Any) -> RangeCommit:
    raw = commit.author.decode("utf-8", "replace")
    name, _, email = raw.partition(" <")
    payload, signature, _kind = commit.extract_signature()
    return RangeCommit(
        id=commit.id.decode(),
        parents=tuple(p.decode() for p in commit.parents),
        author=name,
        email=email.rstrip(">"),
        payload=payload,
        signature=signature,
    )
