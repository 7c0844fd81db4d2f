"""Atomic file writes: a reader (or a calendar app polling a file) never sees half a file."""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

BATCH_FLUSH = 64
"""From this many files on, one ``sync()`` makes them durable instead of a fsync each."""


def read_limited(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of ``path``: enough to tell a file over ``limit`` from
    one within it, without ever holding a huge file (a record is untrusted input)."""
    with open(path, "rb") as handle:
        return handle.read(limit + 1)


def atomic_write(
    path: Path, data: bytes, tmp_dir: Path | None = None, mode: int | None = None
) -> None:
    """Write ``data`` to ``path`` via a temp file, fsync and rename.

    A process killed at any point leaves either the old file or the new one. The temp file
    lives in ``tmp_dir`` (same file system) so a stray one never shows up as a record.
    ``mode`` sets the new file's permissions; without it they follow the umask, as the
    files git checks out do (0644 with the usual umask 022).
    """
    directory = tmp_dir or path.parent
    directory.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp, fd = _new_temp(directory, path.name)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def _new_temp(directory: Path, name: str) -> tuple[str, int]:
    """A temp file created here as ``mkstemp`` does (never an existing file or a link),
    but with the umask's permissions (``mkstemp`` makes it 0600, whatever the umask)."""
    for _ in range(100):
        # the pid: a dead writer's temp files are found (remove_stale_temps)
        tmp = os.path.join(directory, f".{name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
        try:
            return tmp, os.open(tmp, _NEW_FILE, _BY_UMASK)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    raise FileExistsError(f"no free temp file name in {directory}")  # pragma: no cover


_BY_UMASK = 0o666
"""What a new file asks for; the umask takes its bits off (0644 with umask 022)."""


def atomic_write_many(items: Sequence[tuple[Path, bytes]], tmp_dir: Path | None = None) -> None:
    """Write many files, each atomically as ``atomic_write`` does, with one flush for all.

    Every file goes to a temp file; one flush makes all their data durable (on Linux one
    ``sync()`` instead of a ``fsync`` per file, which dominates a 10,000-file import);
    then each is renamed into place and each directory touched is synced once. A process
    killed at any point leaves every file either as it was or as written.
    """
    temps = write_temps(items, tmp_dir)
    try:
        rename_temps(temps)
    except BaseException:
        remove_temps(temps)
        raise


def write_temps(items: Sequence[tuple[Path, bytes]], tmp_dir: Path | None = None) -> list[Temp]:
    """Each ``(path, data)`` written to a temp file (in ``tmp_dir``, else beside ``path``)
    and made durable; nothing visible changes. ``rename_temps`` puts them in place.

    Per file it costs what it must and no more: one ``open`` (a temp name unique to this
    call, holding this process's id, so no retry loop), one ``write``, one ``close``;
    folders are made once each. On failure the temp files written so far are removed.
    """
    temps: list[Temp] = []
    made: set[Path] = set()
    tag = f"{os.getpid()}-{secrets.token_hex(4)}"
    try:
        for n, (path, data) in enumerate(items):
            directory = tmp_dir or path.parent
            for folder in (directory, path.parent):  # a folder that cannot be made fails now
                if folder not in made:
                    folder.mkdir(parents=True, exist_ok=True)
                    made.add(folder)
            tmp = os.path.join(directory, f".{path.name}.{tag}-{n}.tmp")
            fd = os.open(tmp, _NEW_FILE, _BY_UMASK)
            temps.append((tmp, path))
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
        _flush([tmp for tmp, _ in temps])
    except BaseException:
        remove_temps(temps)
        raise
    return temps


Temp = tuple[str, Path]
"""A temp file written by ``write_temps``, and the path it is meant for."""


def rename_temps(temps: Sequence[Temp], after_each: Callable[[int], None] | None = None) -> None:
    """Rename each temp file over its path (making its folder), then sync each folder once.

    ``after_each(n)`` is called after the ``n``-th rename (fault injection in tests)."""
    made: set[Path] = set()
    for n, (tmp, path) in enumerate(temps, 1):
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        os.replace(tmp, path)
        if after_each is not None:
            after_each(n)
    for directory in sorted({path.parent for _, path in temps}):
        fsync_dir(directory)


def remove_temps(temps: Sequence[Temp]) -> None:
    """Remove what is left of ``temps`` (those already renamed are gone)."""
    for tmp, _ in temps:
        with _suppress():
            os.unlink(tmp)


_PID_TAG = re.compile(r"\.(\d+)-[A-Za-z0-9_-]+\.tmp$")
"""The writer's pid in a temp file's name (``.acme.yaml.4242-1a2b3c4d-0.tmp``)."""


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (this one included); a pid of another user's
    process counts as alive."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # pragma: no cover - e.g. Windows without that pid
        return False
    return True


def remove_stale_temps(tmp_dir: Path) -> int:
    """Remove the temp files in ``tmp_dir`` whose writer is dead (killed mid-write); how
    many. A temp file of a live process (a reader saving its state) is left alone."""
    try:
        entries = list(os.scandir(tmp_dir))
    except OSError:
        return 0
    removed = 0
    alive: dict[int, bool] = {}
    for entry in entries:
        match = _PID_TAG.search(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(match.group(1))
        if pid not in alive:
            alive[pid] = pid_alive(pid)
        if not alive[pid]:
            with _suppress():
                os.unlink(entry.path)
                removed += 1
    return removed


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_NEW_FILE |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
"""A temp file as ``mkstemp`` opens one: created here, never an existing file or link."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _flush(paths: Sequence[str]) -> None:
    """Make the data of ``paths`` durable: for many files, Linux's ``sync()`` waits for
    every write in one go; for a few (or elsewhere, where ``sync()`` may return early)
    each file is fsynced."""
    if len(paths) >= BATCH_FLUSH and sys.platform.startswith("linux"):
        os.sync()
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True
