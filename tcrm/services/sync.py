"""Team sync over git: fetch, merge (``tcrm.services.merging``: record by record and field
by field), push; remotes and clones."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tcrm.errors import Field, GitError, RuleError, TcrmError, UsageError, WorkspaceError
from tcrm.model.records import Record
from tcrm.services import hooks
from tcrm.services.merging import (
    RENAMED_PREFIX,
    RESTORED_PREFIX,
    SETTINGS_KIND,
    FileConflict,
    TreeMerge,
    conflict_sides,
    id_of,
    install_merge_driver,
    kind_of,
    merge_trees,
)
from tcrm.store import git, journal, links
from tcrm.store.workspace import LOCAL_DIR, SETTINGS_FILE, Workspace

PUSH_ATTEMPTS = 3

DEFAULT_TIMEOUT = git.DEFAULT_TIMEOUT
"""Seconds a sync waits for a remote before it gives up (``--timeout``)."""


# --- sync --------------------------------------------------------------------------------


@dataclass
class SyncReport:
    remote: str
    url: str
    branch: str
    action: str = "up-to-date"
    """up-to-date, pushed, fast-forward or merged."""
    incoming: int = 0
    outgoing: int = 0
    changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    conflicts: list[FileConflict] = field(default_factory=list)
    renames: list[tuple[str, str]] = field(default_factory=list)
    commit: str | None = None
    pushed: bool = False
    dry_run: bool = False
    timeout: float = git.DEFAULT_TIMEOUT


def remote_url(ws: Workspace, remote: str) -> str:
    known = git.remotes(ws.root)
    if remote not in known:
        hint = f" (remotes: {', '.join(sorted(known))})" if known else ""
        raise UsageError(f"no remote {remote!r}{hint}; add one with `tcrm remote add {remote} URL`")
    return known[remote]


def _refuse_uncommitted(ws: Workspace, what: str) -> list[str]:
    changed, untracked = git.dirty(ws.root)
    changed = [p for p in changed if not p.startswith(f"{LOCAL_DIR}/")]
    if changed:
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise RuleError(
            f"{changed[0]}{more} has uncommitted changes; commit them (git commit) or "
            f"discard them (git restore) before {what}"
        )
    return untracked


def _refuse_overwrite(paths: list[str], untracked: list[str]) -> None:
    clash = sorted(set(paths) & set(untracked))
    if clash:
        raise RuleError(
            f"{clash[0]} is not committed and the sync would overwrite it; commit it or "
            "move it away, then sync again"
        )


def _refuse_links(ws: Workspace, commit: str, where: str) -> None:
    """A symbolic link in their record folders or settings is never brought in: tcrm
    would have to follow it, or write git's link as a file (``store.links``)."""
    found = [rel for rel in git.tree_links(ws.root, commit) if links.is_guarded(rel)]
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise RuleError(
            f"{links.problem(found[0])} (in {where}){more}; nothing was synced: replace the "
            f"link with a real file or folder on that branch (git rm {found[0]}), then sync "
            "again"
        )


def _merge_message(remote: str, branch: str, merged: TreeMerge) -> str:
    """``sync: merge origin/main``, with a body line per rename, conflict and note; history
    reads the ``Renamed:`` lines to follow a record to its new id."""
    subject = f"sync: merge {remote}/{branch}"
    body = [f"{RENAMED_PREFIX}{old} -> {new}" for old, new in merged.renames]
    body += [
        f"{RESTORED_PREFIX}{path} ({referrer} refers to it)" for path, referrer in merged.restored
    ]
    body += [f"Conflict: {c.path} {c.field}" for c in merged.conflicts]
    body += [f"Note: {n}" for n in merged.notes]
    return f"{subject}\n\n" + "\n".join(body) + "\n" if body else subject


Steps = Callable[[str], None]
"""Told each step of a sync as it starts: ``fetching``, ``merging``, ``pushing`` (the
TUI's status line)."""


def check_timeout(timeout: float) -> float:
    if not timeout > 0:
        raise UsageError(
            Field("timeout"), f" must be a positive number of seconds, not {timeout:g}"
        )
    return timeout


def sync(
    ws: Workspace,
    *,
    remote: str = "origin",
    dry_run: bool = False,
    timeout: float = git.DEFAULT_TIMEOUT,
    steps: Steps | None = None,
) -> SyncReport:
    """``tcrm sync``: fetch, merge theirs into ours field by field, push.

    Refuses to start with uncommitted changes (they would be mixed into the merge).
    An unreachable remote, or one silent for ``timeout`` seconds, changes nothing. If
    someone pushes while we merge, we fetch and merge again (a few times) before pushing.
    ``steps`` is told each step as it starts.
    """
    check_timeout(timeout)
    with ws.lock():
        url = remote_url(ws, remote)
        busy = git.in_progress(ws.root)
        if busy is not None:
            raise GitError(busy)
        branch = git.current_branch(ws.root)
        untracked = _refuse_uncommitted(ws, "syncing")
        if not dry_run:
            install_merge_driver(ws.root)
        report = SyncReport(remote=remote, url=url, branch=branch, dry_run=dry_run, timeout=timeout)
        for _ in range(PUSH_ATTEMPTS):
            try:
                _sync_once(ws, report, untracked, steps or _quiet)
                break
            except git.PushRejected:
                continue
        else:
            raise GitError(f"{remote}/{branch} kept changing while syncing; run `tcrm sync` again")
    if report.action in ("merged", "fast-forward") and not dry_run:
        if SETTINGS_FILE in report.changed:
            ws._settings = None  # the hooks as merged, not as they were before the sync
        try:
            hooks.fire(ws, "sync.merged", _changed_records(ws, report.changed))
        except TcrmError as exc:  # the sync is done: a broken tcrm.yaml is for `tcrm check`
            ws.warnings.append(f"sync.merged hooks not run: {exc}")
    return report


def _changed_records(ws: Workspace, paths: list[str]) -> list[Record]:
    """The records a sync brought in or changed that still exist, for ``sync.merged``."""
    out: list[Record] = []
    for path in paths:
        kind = kind_of(path)
        if kind is None or kind == SETTINGS_KIND or not ws.exists(kind, id_of(path)):
            continue
        try:
            out.append(ws.get(kind, id_of(path)))
        except TcrmError:
            continue  # unreadable: `tcrm check` names it; the hook gets the others
    return out


def _quiet(_step: str) -> None:
    pass


def _sync_once(ws: Workspace, report: SyncReport, untracked: list[str], steps: Steps) -> None:
    root, remote, branch = ws.root, report.remote, report.branch
    steps("fetching")
    heads = git.fetch(
        root, remote, report.url, update_refs=not report.dry_run, timeout=report.timeout
    )
    theirs, ours = heads.get(branch), git.head(root)
    if ours is None:
        raise WorkspaceError("this workspace has no commit yet; create one with `tcrm init`")
    if theirs == ours:
        return
    if theirs is None or git.is_ancestor(root, theirs, ours):
        report.outgoing = git.count_commits(root, ours, theirs)
        report.action = "pushed"
        steps("pushing")
        _push(ws, report, theirs)
        return
    if not git.is_ancestor(root, ours, theirs):
        from tcrm.services.erasure import refuse_rewritten

        refuse_rewritten(ws, ours, theirs, remote, branch)
    _refuse_links(ws, theirs, f"{remote}/{branch}")
    report.incoming += git.count_commits(root, theirs, ours)
    if git.is_ancestor(root, ours, theirs):
        steps("merging")
        _fast_forward(ws, report, ours, theirs, untracked)
        return
    bases = git.merge_bases(root, ours, theirs)
    if not bases:
        raise RuleError(
            f"{remote}/{branch} shares no history with this workspace; to work on that "
            "workspace, clone it with `tcrm clone URL`"
        )
    report.outgoing = git.count_commits(root, ours, theirs)
    steps("merging")
    trees = [git.tree_files(root, c) for c in (bases[0], ours, theirs)]
    blobs: dict[str, bytes] = {}

    def read(blob: str) -> bytes:
        if blob not in blobs:
            blobs.update(git.read_blobs(root, [blob]))
        return blobs[blob]

    def sides(path: str, fields: list[str]) -> dict[str, dict[str, str]]:
        return conflict_sides(root, bases[0], ours, theirs, path, fields)

    base_tree, our_tree, their_tree = trees
    merged = merge_trees(base_tree, our_tree, their_tree, read, sides)
    _refuse_overwrite(list(merged.writes), untracked)
    report.action = "merged"  # a retry after a push race adds to what the first merge did
    report.changed = sorted({*report.changed, *merged.writes})
    report.notes += merged.notes
    report.conflicts += merged.conflicts
    report.renames += merged.renames
    if report.dry_run:
        return
    message = _merge_message(remote, branch, merged)
    executable = (git.tree_executables(root, theirs) | git.tree_executables(root, ours)) & set(
        merged.writes
    )
    change = journal.Change(
        message, merged.writes, merge_head=theirs, executable=frozenset(executable)
    )
    report.commit = journal.apply(root, ws.ensure_local_dir(), change)
    steps("pushing")
    _push(ws, report, theirs)


def _fast_forward(
    ws: Workspace, report: SyncReport, ours: str, theirs: str, untracked: list[str]
) -> None:
    root = ws.root
    before, after = git.tree_files(root, ours), git.tree_files(root, theirs)
    paths = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    _refuse_overwrite(paths, untracked)
    report.action = "fast-forward"
    report.changed = paths
    if report.dry_run:
        return
    blobs = git.read_blobs(root, [after[p] for p in paths if p in after])
    writes = {p: blobs[after[p]] if p in after else None for p in paths}
    executable = git.tree_executables(root, theirs) & set(writes)
    change = journal.Change(
        f"sync: fast-forward to {theirs}", writes, fast_forward=theirs, executable=executable
    )
    journal.apply(root, ws.ensure_local_dir(), change)
    report.commit = theirs


def _push(ws: Workspace, report: SyncReport, expected: str | None) -> None:
    if report.dry_run:
        return
    if ws.settings.access is not None:  # what the server's tcrm verify would refuse
        from tcrm.services.verify import refuse_outgoing

        refuse_outgoing(ws.root, expected, report.commit is not None)
    try:
        git.push(ws.root, report.remote, report.url, report.branch, expected, report.timeout)
    except git.RemoteError as exc:
        if report.commit is None:
            raise
        raise git.RemoteError(
            f"{exc}; their changes are merged and committed here: run `tcrm sync` again to push"
        ) from None
    if git.get_config(ws.root, ("branch", report.branch), "remote") is None:
        git.set_upstream(ws.root, report.branch, report.remote)
    report.pushed = True
    before = git.point_remote_head(report.url, report.branch)
    if before is not None:
        report.notes.append(
            f"the remote's HEAD named {before}, a branch it does not have; HEAD now names "
            f"{report.branch}, so a plain `git clone` checks out the workspace"
        )


# --- remotes and clones ------------------------------------------------------------------

_REMOTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def absolute_url(url: str, cwd: Path) -> str:
    """A local path as an absolute one (so the remote works from any folder); URLs
    (``scheme://``, ``user@host:path``) as given."""
    url = url.strip()
    if "://" in url or re.match(r"^[^/\\]+:", url):
        return url
    path = (cwd / url).expanduser()
    return str(path.resolve()) if path.exists() else url


def add_remote(ws: Workspace, *, name: str, url: str, cwd: Path | None = None) -> None:
    """``tcrm remote add NAME URL``: local configuration, so no commit."""
    if not _REMOTE_NAME.match(name):
        raise UsageError(f"{name!r} is not a remote name (letters, digits, '.', '_', '-')")
    if not url.strip():
        raise UsageError("empty remote URL")
    with ws.lock():
        if name in git.remotes(ws.root):
            raise UsageError(f"remote {name!r} already exists ({git.remotes(ws.root)[name]})")
        git.add_remote(ws.root, name, absolute_url(url, cwd or Path.cwd()))
        install_merge_driver(ws.root)


def list_remotes(ws: Workspace) -> dict[str, str]:
    return git.remotes(ws.root)


def clone_target(url: str, directory: Path | None, cwd: Path) -> Path:
    if directory is not None:
        return (cwd / directory).expanduser().resolve()
    name = re.sub(r"\.git$", "", url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    if not name or name in (".", ".."):
        raise UsageError(f"cannot name a folder after {url!r}; give one: tcrm clone URL DIR")
    return (cwd / name).resolve()


def clone(
    *,
    url: str,
    directory: Path | None = None,
    cwd: Path,
    timeout: float = git.DEFAULT_TIMEOUT,
) -> Workspace:
    """``tcrm clone URL [DIR]``: a teammate's copy, with the merge driver installed. A
    remote silent for ``timeout`` seconds leaves nothing behind."""
    import shutil

    check_timeout(timeout)
    url = absolute_url(url, cwd)
    target = clone_target(url, directory, cwd)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise WorkspaceError(f"{target} already exists and is not empty; nothing was changed")
    created = not target.exists()
    try:
        git.clone(url, target, timeout)
        if git.head(target) is None:
            raise WorkspaceError(
                f"{url} is empty; push a workspace to it first (`tcrm init`, "
                "`tcrm remote add origin URL`, `tcrm sync`); nothing was kept"
            )
        if not (target / SETTINGS_FILE).is_file():
            raise WorkspaceError(
                f"{url} is not a tcrm workspace (it has no {SETTINGS_FILE}); nothing was kept"
            )
        install_merge_driver(target)
        branch = git.current_branch(target)
        git.set_upstream(target, branch, "origin")
    except BaseException:
        if created:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for child in target.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    return Workspace(target)


__all__ = ["SyncReport", "add_remote", "clone", "sync"]
