"""An exclusive lock so two tcrm processes never interleave their writes and commits."""

from __future__ import annotations

import os
import time

from tcrm.errors import LockedError

TYPE_CHECKING = False  # the early path (tcrm.store.early) takes this lock: no typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    StrPath = str | os.PathLike[str]
    """A path as ``os`` takes it: a ``Path``, or its text."""

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class WorkspaceLock:
    """``with WorkspaceLock(path):`` holds ``flock`` on ``path``, waiting up to ``timeout``.

    The kernel releases an ``flock`` when its process dies, so a killed tcrm never leaves
    a stale lock behind.
    """

    def __init__(
        self,
        path: StrPath,
        timeout: float = 10.0,
        on_acquire: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.on_acquire = on_acquire
        """Run each time the lock is taken (not re-entered): finishing what a killed
        holder left half done."""
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> WorkspaceLock:
        self._depth += 1
        if self._depth > 1:
            return self
        parent = os.path.dirname(self.path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                    os.close(fd)
                    self._depth -= 1
                    raise LockedError(
                        f"another tcrm process (pid {holder}) is changing this workspace; "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        if self.on_acquire is not None:
            try:
                self.on_acquire()
            except BaseException:
                self.__exit__(None, None, None)
                raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
