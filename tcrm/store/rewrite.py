"""Rewriting history with git's own tools: ``git fast-export | edit | git fast-import``.

Used by erasure (``tcrm forget``): every blob and commit message is passed through a
function, paths can be dropped from every commit, and afterwards reflogs are expired and
unreachable objects pruned, so the old versions are gone from this clone. The stream is
git's documented fast-import format; git writes every object.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from tcrm.errors import GitError

Edit = Callable[[bytes], bytes]
PathEdit = Callable[[str, bytes], bytes]

_TIMEOUT = 600.0
_ENV = {"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}


def _git(root: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            input=data,
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
            env={**os.environ, **_ENV},
        )
    except FileNotFoundError:
        raise GitError("the git command is needed to rewrite history; install git") from None
    except subprocess.TimeoutExpired:
        raise GitError(
            f"git {args[0]} took longer than {_TIMEOUT:g}s; nothing was rewritten"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else done.returncode}")
    return done.stdout


@dataclass
class Rewritten:
    """What a rewrite changed: blobs and messages edited, commits whose files were
    dropped."""

    blobs: int = 0
    messages: int = 0
    dropped: int = 0


def _unquote(path: bytes) -> bytes:
    """A path as fast-export writes it: C-quoted when it holds special characters."""
    if not path.startswith(b'"'):
        return path
    text = path[1:-1].decode("ascii", "backslashreplace")
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1")


def _commands(stream: bytes) -> Iterator[tuple[bytes, bytes | None]]:
    """``(line, data)`` pairs of a fast-export stream: ``data`` is the payload of a
    ``data N`` line (the exact N bytes), else None."""
    pos, end = 0, len(stream)
    while pos < end:
        nl = stream.find(b"\n", pos)
        nl = end if nl < 0 else nl
        line = stream[pos:nl]
        pos = nl + 1
        if line.startswith(b"data "):
            size = int(line[5:])
            yield line, stream[pos : pos + size]
            pos += size
            if stream[pos : pos + 1] == b"\n":
                pos += 1
        else:
            yield line, None


_FILE_LINE = re.compile(rb"^M (\S+) ([0-9a-f]{40}) (.+)$")
_FILE_MODES = (b"100644", b"100755")
_DELETE_LINE = re.compile(rb"^D (.+)$")
_FIRST_MARK = 1 << 40
"""Marks for the edited blobs, far above fast-export's own (one per commit)."""


def read_blobs(root: Path, ids: Collection[str]) -> dict[str, bytes]:
    """``{id: bytes}`` of these blobs, in one ``git cat-file --batch``."""
    if not ids:
        return {}
    order = sorted(ids)
    out = _git(root, "cat-file", "--batch", data="".join(f"{i}\n" for i in order).encode())
    found: dict[str, bytes] = {}
    pos = 0
    for sha in order:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split()
        pos = nl + 1
        if len(header) < 3 or header[1] != b"blob":
            continue
        size = int(header[2])
        found[sha] = out[pos : pos + size]
        pos += size + 1
    return found


def rewrite_history(
    root: Path,
    *,
    blob: PathEdit,
    message: Edit,
    drop: Collection[str] = (),
) -> Rewritten:
    """Pass every file version (with its path) of every commit of every ref through
    ``blob``, every commit and tag message through ``message``; drop the files at
    ``drop`` from every commit. Refs move to the rewritten commits
    (``git fast-import --force``)."""
    stream = _git(
        root,
        "fast-export",
        "--all",
        "--no-data",
        "--signed-tags=strip",
        "--tag-of-filtered-object=rewrite",
        "--reencode=yes",
    )
    commands = list(_commands(stream))
    shas = {
        m.group(2).decode()
        for line, data in commands
        if data is None and (m := _FILE_LINE.match(line)) and m.group(1) in _FILE_MODES
    }
    contents = read_blobs(root, shas)
    dropped = {p.encode() for p in drop}
    edited: dict[tuple[str, bytes], bytes] = {}
    marks: dict[bytes, bytes] = {}
    done = Rewritten()
    out: list[bytes] = []
    kind, commit_at = b"", 0
    for line, data in commands:
        if data is not None:
            new = message(data)
            done.messages += new != data
            out.append(b"data %d\n" % len(new) + new + b"\n")
            continue
        if line == b"blob" or line.startswith((b"commit ", b"tag ", b"reset ")):
            kind = line.split(b" ", 1)[0]
            commit_at = len(out)
        if kind == b"commit" and (m := _FILE_LINE.match(line)):
            mode, sha, path = m.group(1), m.group(2).decode(), _unquote(m.group(3))
            if path in dropped:
                done.dropped += 1
                continue
            if sha in contents and mode in _FILE_MODES:
                key = (sha, path)
                if key not in edited:
                    edited[key] = blob(path.decode("utf-8", "surrogateescape"), contents[sha])
                new = edited[key]
                if new != contents[sha]:
                    digest = hashlib.sha1(new).digest()
                    if digest not in marks:
                        marks[digest] = b":%d" % (_FIRST_MARK + len(marks))
                        out.insert(
                            commit_at,
                            b"blob\nmark %s\ndata %d\n" % (marks[digest], len(new)) + new + b"\n",
                        )
                        commit_at += 1
                        done.blobs += 1
                    line = b"M " + mode + b" " + marks[digest] + b" " + m.group(3)
        elif (
            kind == b"commit"
            and (d := _DELETE_LINE.match(line))
            and _unquote(d.group(1)) in dropped
        ):
            continue
        out.append(line + b"\n")
    _git(root, "fast-import", "--force", "--quiet", data=b"".join(out))
    return done


def prune(root: Path) -> None:
    """Forget the old objects: expire every reflog now and prune what nothing reaches."""
    _git(root, "reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
    _git(root, "gc", "--prune=now", "--quiet")


def resolve_ref(root: Path, ref: str) -> str | None:
    """The commit ``ref`` names here, or None."""
    try:
        out = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        return None
    return out.decode().strip() or None


def commit_keys(root: Path, rev: str) -> list[tuple[str, str]]:
    """``(commit, author and committer with their dates)`` of ``rev``'s history, newest
    first, parents always after their children (``--topo-order``, the same order for a
    history and its rewritten copy): a rewrite keeps the second part, so it pairs a
    commit with its rewritten copy."""
    keyed = "--format=%H%x00%an <%ae> %ad%x00%cn <%ce> %cd"
    out = _git(root, "log", "--topo-order", "--date=raw", keyed, rev)
    keys = []
    for line in out.decode("utf-8", "replace").splitlines():
        sha, _, key = line.partition("\0")
        keys.append((sha, key))
    return keys


def reset_index(root: Path) -> None:
    """Make the index match HEAD again after the refs were moved under it (the files are
    unchanged: the rewrite leaves today's tree as it was)."""
    _git(root, "reset", "--quiet")


__all__ = [
    "PathEdit",
    "Rewritten",
    "commit_keys",
    "prune",
    "read_blobs",
    "reset_index",
    "resolve_ref",
    "rewrite_history",
]
