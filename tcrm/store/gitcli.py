"""Asking the git program what changed: the local index's fast path.

``git status``, ``git diff`` and ``git log`` answer in C what dulwich would walk in
Python, and a read must not load dulwich at all (tests/test_layers.py). Every answer may
be ``None`` (or ``False``): the git program is optional, and the index then stats every
file instead. Writes, merges and history go through dulwich (``tcrm.store.git``).
"""

from __future__ import annotations

import os

from tcrm.model.value import Value
from tcrm.store import early

TYPE_CHECKING = False  # the early path reads git's answer with parse_status: no typing
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterable
    from pathlib import Path


class GitView(Value):
    """HEAD and the record paths that may differ from it, as git sees the work tree:
    ``dirty`` every path git listed, ``untracked`` those it does not track (untracked
    or ignored), listed only when ``complete``."""

    __match_args__ = ("head", "dirty", "untracked", "complete")
    __slots__ = __match_args__

    def __init__(
        self,
        head: str | None,
        dirty: frozenset[str],
        untracked: frozenset[str] = frozenset(),
        complete: bool = True,
    ) -> None:
        self.head = head
        self.dirty = dirty
        self.untracked = untracked
        self.complete = complete


def git_view(root: Path, lock_path: Path | None = None, untracked: bool = False) -> GitView | None:
    """``git status`` over the record folders; ``None`` when git cannot answer.

    Like a plain ``git status``, it lets git refresh the stat data in its index (else a
    copied work tree is re-hashed on every run) — but only while it holds tcrm's lock,
    so it never takes ``index.lock`` from under a tcrm commit. The answer may already be
    on its way, started with the process (``tcrm.store.early``, tracked files only):
    with ``untracked``, git is asked again for the untracked and ignored files too.
    """
    answer = early.take(root)
    if untracked:
        answer = None
    if answer is None:
        import subprocess  # here: the early path reads git's answer without it

        probe = early.lock_probe(lock_path) if lock_path else None
        try:
            done = subprocess.run(
                early.status_args(optional_locks=probe is not None, untracked=untracked),
                cwd=root,
                capture_output=True,
                check=False,
                env=early.git_env(),
            )
            answer = (done.returncode, done.stdout)
        except OSError:
            return None
        finally:
            if probe is not None:
                probe.__exit__(None, None, None)
    code, out = answer
    return parse_status(out, complete=untracked) if code == 0 else None


def parse_status(out: bytes, complete: bool = True) -> GitView:
    """Parse ``git status --porcelain=v2 -z --branch`` (``complete``: it was asked for
    the untracked and ignored files)."""
    head: str | None = None
    dirty: set[str] = set()
    untracked: set[str] = set()
    for entry in out.split(b"\0"):
        if not entry:
            continue
        kind = entry[:1]
        if kind == b"#":
            if entry.startswith(b"# branch.oid "):
                oid = entry[13:].decode()
                head = None if oid == "(initial)" else oid
            continue
        if kind == b"1":
            path = entry.split(b" ", 8)[8]
        elif kind == b"u":
            path = entry.split(b" ", 10)[10]
        elif kind == b"2":  # pragma: no cover - --no-renames
            path = entry.split(b" ", 9)[9]
        elif kind in (b"?", b"!"):
            path = entry[2:]
            untracked.add(os.fsdecode(path))
        else:
            continue
        dirty.add(os.fsdecode(path))
    return GitView(head, frozenset(dirty), frozenset(untracked), complete)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    import subprocess  # here: the early path reads git's answer without it

    try:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, check=False, env=early.git_env()
        )
    except OSError:
        return None


def changed_between(root: Path, old: str, new: str, folders: Iterable[str]) -> set[str] | None:
    """Paths in ``folders`` that differ between two commits; ``None`` if git cannot tell."""
    done = _git(root, "diff", "--name-only", "-z", "--no-renames", old, new, "--", *folders)
    if done is None or done.returncode != 0:
        return None
    return {os.fsdecode(p) for p in done.stdout.split(b"\0") if p}


def log_changes(root: Path, since: str | None, head: str) -> list[tuple[int, list[str]]] | None:
    """``(commit time, paths it changed)`` for each commit reachable from ``head`` (and
    not from ``since``), each diffed against its first parent, as ``git.revisions``
    counts them; ``None`` if git cannot tell (``since`` gone, no git)."""
    span = f"{since}..{head}" if since else head
    done = _git(
        root,
        *("log", "--no-renames", "--diff-merges=first-parent", "--name-only", "-z"),
        *("--format=%x01%ct", span, "--"),
    )
    if done is None or done.returncode != 0:
        return None
    out = []
    for chunk in done.stdout.split(b"\x01")[1:]:
        header, _, names = chunk.partition(b"\0")
        paths = [os.fsdecode(n) for n in names.lstrip(b"\n").split(b"\0") if n]
        out.append((int(header), paths))
    return out


def tracked_in(root: Path, folders: Iterable[str]) -> set[str] | None:
    """The files git tracks in these folders (``git ls-files``, which reads git's index
    and looks at no file); ``None`` if git cannot tell."""
    done = _git(root, "--literal-pathspecs", "ls-files", "-z", "--", *(f"{f}/" for f in folders))
    if done is None or done.returncode != 0:
        return None
    return {os.fsdecode(p) for p in done.stdout.split(b"\0") if p}


def is_ancestor(root: Path, old: str, new: str) -> bool:
    """Whether ``old`` is ``new`` or one of its ancestors; False also when git cannot tell
    (no git, ``old`` gone after a history rewrite). ``tcrm.store.git.is_ancestor`` is
    dulwich's answer, for writes, which must not need the git program."""
    done = _git(root, "merge-base", "--is-ancestor", old, new)
    return done is not None and done.returncode == 0
