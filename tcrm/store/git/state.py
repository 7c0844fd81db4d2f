"""The state git is in, which a write must respect: an operation waiting for the user, a
detached HEAD, files edited by hand, stale locks."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tcrm.store.git.merges import dirty
from tcrm.store.git.repo import PACK_FROM, _open, _read_object

if TYPE_CHECKING:
    from dulwich.repo import Repo

    from tcrm.store.gitindex import IndexFile


_IN_PROGRESS = (
    ("rebase-merge", "a git rebase", "git rebase --continue", "git rebase --abort"),
    ("rebase-apply/applying", "a git am", "git am --continue", "git am --abort"),
    ("rebase-apply", "a git rebase", "git rebase --continue", "git rebase --abort"),
    ("MERGE_HEAD", "a git merge", "git commit", "git merge --abort"),
    (
        "CHERRY_PICK_HEAD",
        "a git cherry-pick",
        "git cherry-pick --continue",
        "git cherry-pick --abort",
    ),
    ("REVERT_HEAD", "a git revert", "git revert --continue", "git revert --abort"),
    ("BISECT_LOG", "a git bisect", None, "git bisect reset"),
)
"""What git leaves in its folder while an operation waits for the user, and how each ends."""


def control_dir(root: Path) -> Path:
    """The repository's git folder, read from ``.git`` (a folder, or a ``gitdir:`` file in
    a linked work tree) without dulwich."""
    dot_git = root / ".git"
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="replace")
        if text.startswith("gitdir:"):
            return (root / text[len("gitdir:") :].strip()).resolve()
    return dot_git


def in_progress(root: Path) -> str | None:
    """One line saying which git operation waits to be finished, and how to finish or
    abort it; ``None`` when git is not in the middle of one."""
    git = control_dir(root)
    for marker, what, finish, abort in _IN_PROGRESS:
        if (git / marker).exists():
            how = (
                f"finish it with `{finish}` or abort it with `{abort}`"
                if finish
                else (f"end it with `{abort}`")
            )
            return (
                f"{what} is in progress in this workspace; {how}, then run tcrm again "
                "(tcrm does not write in the middle of it)"
            )
    return None


def detached_head(root: Path) -> str | None:
    """The commit a detached HEAD points at, ``None`` on a branch (or an unborn one)."""
    try:
        text = (control_dir(root) / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return None if text.startswith("ref:") else text


def hand_edited(root: Path, current: dict[str, bytes | None]) -> list[str]:
    """Which of ``current`` (``{path: the working file's bytes, None if absent}``) differ
    from HEAD, in the working tree or in the index: edits tcrm did not make.

    A path is clean when HEAD, the index and the working file all hold the same blob (or
    all lack it). Looks up only these paths (HEAD's trees on the way to them, the index
    entries by binary search), so a big import checks its new files quickly.
    """
    from tcrm.store import gitindex, gittree

    if not current:
        return []
    repo = _open(root)
    try:
        if repo.object_format.name != "sha1":
            return _hand_edited_slowly(root, current)
        objects = Path(repo.object_store.path)
        head_tree: bytes | None = None
        try:
            kind, data = _read_object(repo, objects, bytes.fromhex(repo.head().decode()))
        except KeyError:  # no commit yet
            kind, data = b"", b""
        except gitindex.Unsupported:  # HEAD's commit is missing (a shallow clone?)
            return _hand_edited_slowly(root, current)
        if kind == b"commit" and data.startswith(b"tree "):
            head_tree = bytes.fromhex(data[5:45].decode())

        def read_tree(sha: bytes) -> bytes:
            return _read_object(repo, objects, sha)[1]

        parsed: dict[bytes, gittree.Tree] = {}
        editor = gittree.TreeEditor(read_tree, lambda raw: b"", parsed)
        staged = _index_shas(repo, list(current), parsed)
        out = []
        for rel, content in sorted(current.items()):
            name = os.fsencode(rel)
            try:
                found = editor.lookup(head_tree, name) if head_tree is not None else None
            except gitindex.Unsupported:
                return _hand_edited_slowly(root, current)
            in_head = found[1] if found is not None else None
            in_index = staged.get(rel)
            on_disk = None if content is None else gittree.object_id(b"blob", content)
            if not (in_head == in_index == on_disk):
                out.append(rel)
        return out
    finally:
        repo.close()


def _hand_edited_slowly(root: Path, current: dict[str, bytes | None]) -> list[str]:
    """``hand_edited`` through dulwich's status of the whole work tree: for what the fast
    look-ups do not read (sha256 repositories, missing objects)."""
    changed, _ = dirty(root)
    return sorted(set(changed) & set(current))


_warm: tuple[IndexFile, dict[bytes, Any]] | None = None
"""The index and HEAD's trees ``hand_edited`` just parsed, for the commit that follows
(``_take_warm``): parsing a 100,000-entry index and a big folder's tree once, not twice."""


def _take_warm() -> tuple[IndexFile | None, dict[bytes, Any]]:
    global _warm
    warm, _warm = _warm, None
    return (warm[0], warm[1]) if warm is not None else (None, {})


def _index_shas(repo: Repo, paths: list[str], parsed: dict[bytes, Any]) -> dict[str, bytes]:
    """``{path: blob id (20 bytes)}`` of the index's stage-0 entries for ``paths``."""
    global _warm
    from tcrm.store import gitindex

    try:
        index = gitindex.IndexFile(Path(repo.index_path()).read_bytes())
        _warm = (index, parsed)
    except FileNotFoundError:
        return {}
    except gitindex.Unsupported:
        from dulwich.index import IndexEntry

        found = repo.open_index()
        out = {}
        for rel in paths:
            try:
                held = found[rel.encode()]
            except KeyError:
                continue
            if isinstance(held, IndexEntry):  # not a conflicted one
                out[rel] = bytes.fromhex(held.sha.decode())
        return out
    if len(paths) >= PACK_FROM:
        index.load_names()  # many look-ups: decode every name once
    out = {}
    for rel in paths:
        entry = index.get(os.fsencode(rel))
        if entry is not None:
            out[rel] = entry[40:60]
    return out


def stale_locks(root: Path) -> list[Path]:
    """The lock files a git write of tcrm's takes: the index's, HEAD's and its branch's."""
    git = control_dir(root)
    out = [git / "index.lock", git / "HEAD.lock"]
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return out
    if head.startswith("ref: refs/heads/"):
        out.append(git / (head[len("ref: ") :] + ".lock"))
    return out


def reset_paths(root: Path, paths: Iterable[str]) -> None:
    """Stage ``paths`` as the working tree has them (files put back as HEAD has them:
    the index entries then equal HEAD's again), through dulwich."""
    rel = sorted(set(paths))
    if not rel:
        return
    repo = _open(root)
    try:
        repo.get_worktree().stage(rel)
    finally:
        repo.close()


def head_message(root: Path) -> tuple[list[str], str] | None:
    """``(parents, message)`` of HEAD's commit, ``None`` without one."""
    repo = _open(root)
    try:
        try:
            commit = repo[repo.head()]
        except KeyError:
            return None
        return [p.decode() for p in commit.parents], commit.message.decode("utf-8", "replace")  # type: ignore[attr-defined]
    finally:
        repo.close()
