"""No symbolic links inside the workspace: records are read and written only as what they
are, never through a link.

Records arrive from teammates through git, and git commits a symbolic link as readily as a
file: ``tasks -> ../outside`` would make tcrm write outside the workspace, and
``clients/cfg.yaml -> ~/.ssh/config`` would make it print (and commit) a file that is not
the team's. So every path tcrm reads or writes below the workspace root is opened one
component at a time with ``O_NOFOLLOW`` (reads), or checked component by component with
``lstat`` (writes), and a link anywhere on it is refused as a :class:`LinkError` naming it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from tcrm.errors import Problem, ValidationError
from tcrm.model.records import FOLDERS
from tcrm.store import early

MESSAGE = "is a symbolic link; tcrm does not follow links"

GUARDED = ("tcrm.yaml", *sorted(FOLDERS), "kb")
"""What is never read or written through a link: the settings, the record folders, kb/."""

_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FILE = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_WALK_BY_FD = os.open in os.supports_dir_fd and bool(_NOFOLLOW)


class LinkError(ValidationError):
    """A path inside the workspace goes through a symbolic link (``rel`` is the link)."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        super().__init__([problem(rel)])


def problem(rel: str) -> Problem:
    """What ``tcrm check`` reports for a link: ``tasks: is a symbolic link; ...``."""
    return Problem(rel, None, MESSAGE)


def _parts(rel: str) -> list[str]:
    return [p for p in rel.replace(os.sep, "/").split("/") if p and p != "."]


def link_in(root: Path, rel: str) -> str | None:
    """The first component of ``rel`` (below ``root``) that is a symbolic link, as a path
    relative to ``root``; ``None`` when there is none (missing components included)."""
    path = str(root)
    parts = _parts(rel)
    for depth, part in enumerate(parts, 1):
        path = os.path.join(path, part)
        try:
            mode = os.lstat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(mode):
            return "/".join(parts[:depth])
        if not stat.S_ISDIR(mode):
            return None
    return None


def refuse(root: Path, rel: str) -> None:
    """Raise :class:`LinkError` if writing ``rel`` (below ``root``) would go through a link."""
    found = link_in(root, rel)
    if found is not None:
        raise LinkError(found)


def read_bytes(root: Path, rel: str, limit: int | None = None) -> bytes:
    """The bytes of the file ``rel`` below ``root`` (at most ``limit + 1``), never through
    a link."""
    return read_with_stat(root, rel, limit)[0]


def read_text(root: Path, rel: str) -> str:
    return read_bytes(root, rel).decode("utf-8")


def read_with_stat(root: Path, rel: str, limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """The bytes of ``rel`` (at most ``limit + 1``) and the stat of what was read (one
    open, no link followed).

    Missing files raise ``FileNotFoundError`` as ``open`` does.
    """
    with Reader(root) as reader:
        return reader.read(rel, limit)


class Reader:
    """Reads files below ``root`` without following a link anywhere on their path.

    Each folder is opened once, one component at a time with ``O_NOFOLLOW`` from the
    root, and kept open; each file is then opened relative to its folder with
    ``O_NOFOLLOW``: one ``open`` per file, as a plain ``open(path)`` costs, and a link
    swapped in between a check and the open cannot be followed either.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._folders: dict[tuple[str, ...], int] = {}

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._folders.values():
            os.close(fd)
        self._folders.clear()

    def read(self, rel: str, limit: int | None = None) -> tuple[bytes, os.stat_result]:
        """The bytes of ``rel`` (at most ``limit + 1`` of them: enough to tell a file over
        ``limit`` from one within it) and the stat of what was read."""
        parts = _parts(rel)
        if not parts:
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(self.root))
        if not _WALK_BY_FD:  # pragma: no cover - platforms without openat (Windows)
            refuse(self.root, rel)
            fd = os.open(os.path.join(self.root, *parts), _FILE)
        else:
            fd = self._open(self._folder(parts[:-1]), parts, len(parts), _FILE)
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), rel)
            chunks = []
            left = None if limit is None else limit + 1
            while left is None or left > 0:
                want = max(st.st_size + 1, 65536) if left is None else min(left, 1 << 20)
                chunk = os.read(fd, want)
                if not chunk:
                    break
                chunks.append(chunk)
                if left is not None:
                    left -= len(chunk)
            return b"".join(chunks), st
        finally:
            os.close(fd)

    def _folder(self, parts: list[str]) -> int:
        key = tuple(parts)
        fd = self._folders.get(key)
        if fd is None:
            if parts:
                fd = self._open(self._folder(parts[:-1]), parts, len(parts), _DIR | _NOFOLLOW)
            else:
                fd = os.open(self.root, _DIR)
            self._folders[key] = fd
        return fd

    @staticmethod
    def _open(dir_fd: int, parts: list[str], depth: int, flags: int) -> int:
        name = parts[depth - 1]
        try:
            return os.open(name, flags, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK) and _is_link(name, dir_fd):
                raise LinkError("/".join(parts[:depth])) from None
            raise


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def is_dir(root: Path, rel: str) -> bool:
    """``rel`` is a real folder below ``root`` (raises :class:`LinkError` for a link)."""
    refuse(root, rel)
    return os.path.isdir(os.path.join(root, rel))


def is_guarded(rel: str) -> bool:
    """``rel`` is the settings file, a record folder or ``kb/``, or lies inside one."""
    parts = _parts(rel)
    return bool(parts) and parts[0] in GUARDED


def guarded_links(root: Path) -> list[str]:
    """The links among what tcrm keeps: ``tcrm.yaml``, the record folders, ``kb/``, and
    each year folder of ``activities/`` and page of ``kb/`` (record files themselves are
    listed as records and refused when read): ``tcrm.store.early.guarded_links``, which
    the early path of ``tcrm search`` asks too."""
    return early.guarded_links(os.fspath(root))


__all__ = [
    "MESSAGE",
    "LinkError",
    "Reader",
    "guarded_links",
    "is_dir",
    "is_guarded",
    "link_in",
    "problem",
    "read_bytes",
    "read_text",
    "read_with_stat",
    "refuse",
]
