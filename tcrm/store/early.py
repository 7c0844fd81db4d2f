"""Asking git what changed while Python is still starting up.

A read command spends ~0.2 s importing its libraries and, on a big workspace, ~0.12 s
waiting for ``git status`` (see ``tcrm.store.index``). The two need not wait for each
other: ``start`` launches git first thing, on the other core, and the index takes the
answer when it needs it. Only the standard library is imported here, on purpose.
"""

from __future__ import annotations

import atexit
import os

from tcrm.errors import LockedError
from tcrm.store.lock import WorkspaceLock

TYPE_CHECKING = False  # typing costs the early path ~25 ms to import
if TYPE_CHECKING:
    from tcrm.store.lock import StrPath

SETTINGS_FILE = "tcrm.yaml"
RECORD_FOLDERS = ("clients", "deals", "tasks", "activities")


class Pending:
    """A ``git status`` under way for ``root`` (process ``pid``, its output to be read
    from ``out``); ``lock`` is held while it may write git's index (only when no tcrm
    process was changing the workspace)."""

    __slots__ = ("answer", "lock", "out", "pid", "root")

    def __init__(self, root: str, pid: int, out: int, lock: WorkspaceLock | None) -> None:
        self.root = root
        self.pid = pid
        self.out = out
        self.lock = lock
        self.answer: tuple[int, bytes] | None = None

    def settle(self) -> tuple[int, bytes]:
        """Wait for git (its whole output, then its exit), and let go of tcrm's lock."""
        if self.answer is None:
            chunks = []
            try:
                while chunk := os.read(self.out, 1 << 16):
                    chunks.append(chunk)
            finally:
                os.close(self.out)
                _, status = os.waitpid(self.pid, 0)
            # as subprocess's returncode: the exit code, or minus the signal that ended it
            self.answer = (os.waitstatus_to_exitcode(status), b"".join(chunks))
            if self.lock is not None:
                self.lock.__exit__(None, None, None)
                self.lock = None
        return self.answer

    def kill(self) -> None:
        """Stop git (not reaped yet, so the pid is still its own)."""
        import signal

        os.kill(self.pid, signal.SIGKILL)


def spawn(args: list[str], cwd: str) -> tuple[int, int]:
    """``git ARGS`` run in ``cwd`` (``git -C``), stdout to a pipe and stderr to nowhere,
    as ``subprocess.Popen`` would with ``git_env()`` (SIGPIPE and SIGXFSZ back to their
    defaults): ``(pid, the pipe's read end)``. ``os.posix_spawnp`` rather than
    ``subprocess``, which costs the early path ~15 ms to import."""
    import signal  # here: a TAB spawns nothing

    read, write = os.pipe()  # neither inherited: only the dup2'ed copy reaches git
    try:
        pid = os.posix_spawnp(
            args[0],
            [args[0], "-C", cwd, *args[1:]],
            git_env(),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, write, 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),
        )
    except BaseException:
        os.close(read)
        raise
    finally:
        os.close(write)
    return pid, read


_pending: Pending | None = None


def find_root(explicit: str | None) -> str | None:
    """Where ``Workspace.open`` will look, without its checks (it reports problems): the
    resolved path (``os.path``: pathlib costs the early path ~25 ms to import)."""
    given = explicit or os.environ.get("TCRM_WORKSPACE")
    if given:
        return os.path.realpath(os.path.expanduser(given))
    candidate = os.path.realpath(os.getcwd())
    while True:
        if os.path.isfile(os.path.join(candidate, SETTINGS_FILE)):
            return candidate
        parent = os.path.dirname(candidate)
        if parent == candidate:
            return None
        candidate = parent


def git_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)
    env["LC_ALL"] = "C"
    return env


def status_args(optional_locks: bool, untracked: bool = False) -> list[str]:
    """``git status`` over the record folders: HEAD and every tracked path that may differ
    from it; with ``untracked``, the untracked and ignored files too, which costs git a
    walk of every folder (0.21 s instead of 0.12 s on 100,000 files; the index knows
    those files without it, see ``folder_stamps``)."""
    return [
        "git",
        *([] if optional_locks else ["--no-optional-locks"]),  # else it may write .git/index
        "status",
        "--porcelain=v2",
        "-z",
        "--branch",
        *(["--untracked-files=all", "--ignored=matching"] if untracked else ["-uno"]),
        "--no-renames",
        "--",
        *RECORD_FOLDERS,
    ]


GUARDED = (SETTINGS_FILE, *sorted(RECORD_FOLDERS), "kb")
"""What is never read or written through a link (``tcrm.store.links.GUARDED``)."""


def guarded_links(root: str) -> list[str]:
    """The links among what tcrm keeps: ``tcrm.yaml``, the record folders, ``kb/``, and
    each year folder of ``activities/`` and page of ``kb/`` (record files themselves are
    listed as records and refused when read). A read warns of each
    (``tcrm.store.workspace``); ``tcrm check`` reports them."""
    found = [rel for rel in GUARDED if os.path.islink(os.path.join(root, rel))]
    for folder in ("activities", "kb"):  # pages are no records: a linked one is found here
        path = os.path.join(root, folder)
        if os.path.islink(path):
            continue
        try:
            entries = list(os.scandir(path))
        except OSError:
            entries = []
        found.extend(f"{folder}/{e.name}" for e in entries if e.is_symlink())
    return sorted(found)


def folder_stamps(root: StrPath) -> dict[str, int]:
    """The modification time (ns) of every folder record files live in: the four record
    folders and each folder of ``activities/`` (0 for a missing one).

    A file added to a folder, removed from it or renamed in it changes the folder's
    time; a file edited in place does not (git sees those). So equal stamps mean the same
    files in the same folders.
    """
    stamps: dict[str, int] = {}
    for name in RECORD_FOLDERS:
        path = os.path.join(root, name)
        try:
            stamps[name] = os.stat(path).st_mtime_ns
        except OSError:
            stamps[name] = 0
            continue
        if name == "activities":
            try:
                subs = sorted(e.name for e in os.scandir(path) if e.is_dir())
            except OSError:
                continue
            for sub in subs:
                try:
                    stamps[f"{name}/{sub}"] = os.stat(os.path.join(path, sub)).st_mtime_ns
                except OSError:
                    stamps[f"{name}/{sub}"] = 0
    return stamps


def lock_probe(lock_path: StrPath) -> WorkspaceLock | None:
    """tcrm's lock if nobody holds it (git may then refresh its index), else ``None``."""
    probe = WorkspaceLock(lock_path, timeout=0)
    try:
        probe.__enter__()
    except (LockedError, OSError):
        return None
    return probe


def start(explicit_root: str | None) -> None:
    """Launch ``git status`` for the workspace a read command is about to open."""
    global _pending
    root = find_root(explicit_root)
    if root is None:
        return
    local = os.path.join(root, ".tcrm")
    if not os.path.exists(os.path.join(local, "index.sqlite")):
        return  # no index yet: the first build asks git itself
    if os.path.exists(os.path.join(local, "journal.json")):
        return  # an interrupted change is finished first: git's answer would be stale
    lock = lock_probe(os.path.join(local, "lock"))
    try:
        pid, out = spawn(status_args(optional_locks=lock is not None), root)
    except OSError:
        if lock is not None:
            lock.__exit__(None, None, None)
        return
    _pending = Pending(root, pid, out, lock)
    atexit.register(_abandon)


def take(root: StrPath) -> tuple[int, bytes] | None:
    """The answer started for ``root`` (exit code, output), if one was."""
    global _pending
    pending, _pending = _pending, None
    if pending is None:
        return None
    answer = pending.settle()
    return answer if pending.root == os.fspath(root) else None


def settle() -> None:
    """Before this process takes tcrm's lock itself: git must be done with it."""
    if _pending is not None:
        _pending.settle()


def _abandon() -> None:
    """At exit, a command that never read the index: stop git, let go of the lock."""
    global _pending
    pending, _pending = _pending, None
    if pending is not None and pending.answer is None:
        pending.kill()
        pending.settle()


COMMANDS = frozenset({"today", "search", "pipeline", "tui"})
"""Commands that ask the index first thing (``remind`` takes tcrm's lock: not one of
them); the TUI's first screen does, while Textual is still being imported."""
GROUPS = {"client": ("list", "show"), "deal": ("list", "show"), "task": ("list", "show")}
GROUPS |= {"activity": ("list", "show")}


def start_for(args: list[str]) -> None:
    """``start`` when ``tcrm ARGS`` is a read command that will ask the index."""
    words, workspace = [], None
    rest = iter(args)
    for arg in rest:
        if arg in ("-w", "--workspace"):
            workspace = next(rest, None)
        elif arg.startswith("--workspace="):
            workspace = arg.partition("=")[2]
        elif arg.startswith("-"):
            if arg in ("-h", "--help", "--version"):
                return
        else:
            words.append(arg)
            if len(words) == 2:
                break
    if not words:
        return
    if words[0] in COMMANDS or (len(words) == 2 and words[1] in GROUPS.get(words[0], ())):
        start(workspace)
