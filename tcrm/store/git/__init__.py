"""The workspace's git repository, through dulwich. The only package that imports dulwich.

Imports are local to the functions so read-only commands never pay for dulwich, and the
names below are loaded on first use: a read imports the one module it asks of (most ask
none), not the commit, merge, history and remote code.

The modules: ``repo`` (opening, identity, config, remotes), ``state`` (what a write must
respect), ``fast`` (the fast commit path), ``committing``, ``remote`` (fetch, push, clone),
``merges``, ``history`` and ``ranges`` (``tcrm verify``)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tcrm.store.git.committing import changed_paths, commit
    from tcrm.store.git.fast import FAST_COMMIT_ENV
    from tcrm.store.git.history import (
        CommitInfo,
        FileChange,
        LastVersion,
        Revision,
        commits,
        file_changes,
        last_change,
        last_versions,
        past_versions,
        read_at_head,
        revisions,
    )
    from tcrm.store.git.merges import (
        commit_merge,
        count_commits,
        dirty,
        fast_forward,
        is_ancestor,
        merge_bases,
        read_blobs,
        tree_executables,
        tree_files,
        tree_links,
    )
    from tcrm.store.git.ranges import RangeCommit, Repository
    from tcrm.store.git.remote import (
        DEFAULT_TIMEOUT,
        PushRejected,
        RemoteError,
        clone,
        fetch,
        point_remote_head,
        push,
    )
    from tcrm.store.git.repo import (
        ZERO,
        add_remote,
        current_branch,
        get_config,
        git_dir,
        head,
        identity,
        init,
        is_repo,
        remotes,
        set_config,
        set_upstream,
    )
    from tcrm.store.git.state import (
        detached_head,
        hand_edited,
        head_message,
        in_progress,
        reset_paths,
        stale_locks,
    )

_FROM = {
    "DEFAULT_TIMEOUT": "remote",
    "FAST_COMMIT_ENV": "fast",
    "ZERO": "repo",
    "add_remote": "repo",
    "changed_paths": "committing",
    "clone": "remote",
    "commit": "committing",
    "commit_merge": "merges",
    "commits": "history",
    "count_commits": "merges",
    "current_branch": "repo",
    "detached_head": "state",
    "dirty": "merges",
    "fast_forward": "merges",
    "fetch": "remote",
    "file_changes": "history",
    "get_config": "repo",
    "git_dir": "repo",
    "hand_edited": "state",
    "head": "repo",
    "head_message": "state",
    "identity": "repo",
    "in_progress": "state",
    "init": "repo",
    "is_ancestor": "merges",
    "is_repo": "repo",
    "last_change": "history",
    "last_versions": "history",
    "merge_bases": "merges",
    "past_versions": "history",
    "point_remote_head": "remote",
    "push": "remote",
    "read_at_head": "history",
    "read_blobs": "merges",
    "remotes": "repo",
    "reset_paths": "state",
    "revisions": "history",
    "set_config": "repo",
    "set_upstream": "repo",
    "stale_locks": "state",
    "tree_executables": "merges",
    "tree_files": "merges",
    "tree_links": "merges",
    "CommitInfo": "history",
    "FileChange": "history",
    "LastVersion": "history",
    "PushRejected": "remote",
    "RangeCommit": "ranges",
    "RemoteError": "remote",
    "Repository": "ranges",
    "Revision": "history",
}

__all__ = [
    "DEFAULT_TIMEOUT",
    "FAST_COMMIT_ENV",
    "ZERO",
    "CommitInfo",
    "FileChange",
    "LastVersion",
    "PushRejected",
    "RangeCommit",
    "RemoteError",
    "Repository",
    "Revision",
    "add_remote",
    "changed_paths",
    "clone",
    "commit",
    "commit_merge",
    "commits",
    "count_commits",
    "current_branch",
    "detached_head",
    "dirty",
    "fast_forward",
    "fetch",
    "file_changes",
    "get_config",
    "git_dir",
    "hand_edited",
    "head",
    "head_message",
    "identity",
    "in_progress",
    "init",
    "is_ancestor",
    "is_repo",
    "last_change",
    "last_versions",
    "merge_bases",
    "past_versions",
    "point_remote_head",
    "push",
    "read_at_head",
    "read_blobs",
    "remotes",
    "reset_paths",
    "revisions",
    "set_config",
    "set_upstream",
    "stale_locks",
    "tree_executables",
    "tree_files",
    "tree_links",
]


def __getattr__(name: str) -> Any:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once: the next use is a plain attribute
    return value
