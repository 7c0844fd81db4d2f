"""The local index: every record parsed once and kept in SQLite under ``.tcrm/``.

A read command on 100,000 records must not parse 100,000 YAML files (~15 s), nor even
stat them (~0.3 s here), on every run. The index keeps each record's parsed data with a
few query columns, and learns what changed since the last run cheaply and correctly:

- git already knows, in C, which tracked files differ from the last commit: ``git
  status -uno`` lists every tracked path whose content may differ from HEAD (modified,
  staged, deleted), with its own stat cache and racy-timestamp checks;
- files git does not track (untracked, ignored) are listed by git once, then followed
  by the index itself: each one is stat-ed on every run, and a new one shows in its
  folder's modification time (``early.folder_stamps``), so only a folder whose time
  moved is listed again, against what git's index tracks there (``git ls-files``).
  That spares git a walk of every folder (0.21 s instead of 0.12 s on 100,000 files).
  A new HEAD, a first index or unknown stamps: git lists all;
- a new HEAD (a pull, a commit made by hand) is diffed against the HEAD the index
  was built on (``git diff --name-only OLD NEW``);
- tcrm's own writes update the index in the same step as the file (``note_written``).

So a path git reports clean holds what HEAD holds, and the index holds that already;
only reported paths are stat-ed, and only those whose size, mtime, ctime or inode moved
are parsed again. Without a usable ``git`` the index falls back to stat-ing every file.
The questions to the git program are ``tcrm.store.gitcli``'s.

The index is invisible: queries return exactly what reading the files would (a test
compares both on a generated workspace); a missing, stale (other schema or tcrm
version) or corrupt index is rebuilt from the files; ``tcrm check`` never uses it.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from tcrm import __version__
from tcrm.errors import ValidationError
from tcrm.model.limits import MAX_RECORD_BYTES
from tcrm.model.privacy import ARMOR_BEGIN
from tcrm.model.records import (
    RECORD_TYPES,
    Activity,
    Client,
    Deal,
    Record,
    Task,
    as_utc,
    entered_stage_at,
)
from tcrm.model.types import parse_offset
from tcrm.model.validate import ModelProblems, parse_record
from tcrm.store import early, links, parallel, yamlio
from tcrm.store.early_index import SCHEMA
from tcrm.store.git import Revision
from tcrm.store.gitcli import (
    GitView,
    changed_between,
    git_view,
    is_ancestor,
    log_changes,
    tracked_in,
)
from tcrm.store.listing import KIND_OF_FOLDER, kind_of, record_files, yaml_files

INDEX_FILE = "index.sqlite"
RACY_NS = 2_000_000_000
"""A file modified this recently may change again within the same timestamp tick
without its size or mtime moving; such a file is parsed again next time (git's "racy
clean" rule, with the coarsest file-system clock in mind)."""
FOLDERS = tuple(KIND_OF_FOLDER)
assert set(FOLDERS) == set(early.RECORD_FOLDERS)
assert {cls.FOLDER: kind for kind, cls in RECORD_TYPES.items()} == KIND_OF_FOLDER

Progress = Callable[[int, int], None]
ProgressBar = Callable[[int], AbstractContextManager[Progress | None]]
"""``bar(total)``: a front end's progress bar for a first index, as ``(done, total)``."""


class IndexUnavailable(Exception):
    """The index cannot be used here (read-only file system, ...): read the files."""


@dataclass(frozen=True)
class Row:
    """What the index keeps of one record file."""

    path: str
    kind: str
    id: str
    stat: tuple[int, int, int, int]  # mtime_ns, ctime_ns, size, inode; mtime -1 = racy
    data: str | None  # the file's YAML as JSON, None when it is not valid YAML
    ok: bool  # the data fits its model
    columns: dict[str, str | None]


COLUMNS = (
    "label",
    "status",
    "stage",
    "pipeline",
    "owner",
    "client",
    "day",
    "alert",
    "moment",
    "cadence",
    "conflicts",
    "text",
    "digits",
)
"""Query columns. ``day``: a task's due date (as written), an activity's date, a deal's
expected close; ``alert``: the earliest day a task's reminders can fire (a day early, for
time zones); ``moment``: an activity's time, or when a deal entered its stage, in UTC
(fixed width, so text order is time order); ``owner``: a task's assignee, an activity's
author; ``cadence``: a client's keep-in-touch days; ``text``: every text in the file (private
values' ciphertexts left out) and the id, case-folded (search); ``digits``: the digits of
each phone number;
``conflicts``: how many unresolved merge conflicts the record holds (NULL for none). Queries on
them only narrow down candidates: services still apply their exact rules to the records
they get back."""

_DDL = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE records (
    path TEXT PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL,
    mtime INTEGER, ctime INTEGER, size INTEGER, ino INTEGER, ok INTEGER NOT NULL,
    {", ".join(f"{c} TEXT" for c in COLUMNS if c != "text")}, data TEXT, text TEXT
);
CREATE INDEX records_kind ON records (kind, id, path);
CREATE INDEX records_day ON records (kind, status, day);
CREATE INDEX records_stage ON records (kind, stage);
CREATE INDEX records_alert ON records (kind, status, alert);
CREATE INDEX records_cadence ON records (kind, cadence);
CREATE INDEX records_client ON records (kind, client);
CREATE INDEX records_conflicts ON records (conflicts) WHERE conflicts IS NOT NULL;
CREATE INDEX records_broken ON records (kind, id, path) WHERE ok = 0;
CREATE TABLE refs (path TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL);
CREATE INDEX refs_ref ON refs (ref, kind);
CREATE INDEX refs_path ON refs (path);
CREATE TABLE touched (ref TEXT PRIMARY KEY, moment TEXT NOT NULL, path TEXT NOT NULL);
CREATE TABLE history (path TEXT PRIMARY KEY, changes INTEGER NOT NULL, newest INTEGER NOT NULL);
"""
_FIELDS = ("path", "kind", "id", "mtime", "ctime", "size", "ino", "data", "ok", *COLUMNS)
_INSERT = (
    f"INSERT OR REPLACE INTO records ({', '.join(_FIELDS)}) "
    f"VALUES ({', '.join('?' * len(_FIELDS))})"
)
"""Query columns come before the data in a row, and the long ``text`` last: a condition on
them reads the start of each row, never the JSON (which often spills to overflow pages)."""

# ``touched``: the latest valid activity naming each record (``ref`` ``client:acme``), its
# moment and file. Kept up to date by every store, so "when was this deal last touched" is
# one lookup, not a join over every activity, for the thousands of deals a planner checks.
_TOUCHED_OF = """
    SELECT ref, moment, path FROM (
        SELECT f.ref, a.moment, a.path, ROW_NUMBER() OVER (
            PARTITION BY f.ref ORDER BY a.moment DESC, a.id, a.path) AS n
        FROM refs f JOIN records a ON a.path = f.path
        WHERE f.kind = 'activity' AND a.ok = 1 AND a.moment IS NOT NULL {only})
    WHERE n = 1"""
"""``(ref, latest moment, the file of that activity)``. Of two at the same moment, the
lower id: the one a scan of the activities in id order keeps (``insights``)."""


# --- conditions services narrow their reads with -------------------------------------


def _last_activity(prefix: str) -> str:
    """The latest activity moment naming the row's record (``prefix``: deal, client)."""
    return f"(SELECT moment FROM touched WHERE ref = '{prefix}:' || records.id)"


def _idle_since(column: str, days: str) -> str:
    """``column`` (a UTC moment) is at least ``days`` - 1 days before the ``?`` moment."""
    return f"julianday(substr({column}, 1, 19)) <= julianday(?) - ({days}) + 1"


def _utc_param(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def may_rot(limits: dict[str, int], now: datetime) -> tuple[str, list[Any]]:
    """Open deals neither moved nor touched by an activity for (almost) their stage's
    rotting days; ``limits`` maps ``pipeline/stage`` to those days."""
    keys = sorted(limits)
    stages = "pipeline || '/' || stage IN (SELECT value FROM json_each(?))"
    lim = f"(CASE pipeline || '/' || stage {'WHEN ? THEN ? ' * len(keys)}END)"
    cases = [value for key in keys for value in (key, limits[key])]
    last = _last_activity("deal")
    sql = (
        f"status = 'open' AND {stages}"
        f" AND (moment IS NULL OR {_idle_since('moment', lim)})"
        f" AND ({last} IS NULL OR {_idle_since(last, lim)})"
    )
    at = _utc_param(now)
    return sql, [json.dumps(keys), at, *cases, at, *cases]


def may_need_contact(now: datetime) -> tuple[str, list[Any]]:
    """Clients with a keep-in-touch cadence and no activity for (almost) that long."""
    last = _last_activity("client")
    idle = _idle_since(last, "CAST(cadence AS INTEGER)")
    sql = f"cadence IS NOT NULL AND ({last} IS NULL OR {idle})"
    return sql, [_utc_param(now)]


# --- what a file holds ---------------------------------------------------------------


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _columns(record: Record) -> tuple[dict[str, str | None], list[str]]:
    """The query columns of a record, and the records it refers to (``client:acme``)."""
    cols: dict[str, str | None] = dict.fromkeys(COLUMNS)
    refs: list[str] = []
    if isinstance(record, Client):
        cols.update(
            label=record.name.casefold(),
            status=record.status,
            owner=record.owner,
            cadence=None if record.cadence_days is None else str(record.cadence_days),
        )
    elif isinstance(record, Deal):
        cols.update(
            label=record.title.casefold(),
            status=record.status,
            stage=record.stage,
            pipeline=record.pipeline,
            owner=record.owner,
            client=record.client,
            day=_day(record.close_date),
            moment=_moment(entered_stage_at(record)),
        )
        refs.append(f"client:{record.client}")
    elif isinstance(record, Task):
        due = _day(record.due)
        alert = due
        if due is not None and record.reminders:
            ahead = max(parse_offset(offset) for offset in record.reminders)
            alert = (date.fromisoformat(due) - timedelta(days=ahead.days + 1)).isoformat()
        cols.update(
            label=record.title.casefold(),
            status=record.status,
            owner=record.assignee,
            day=due,
            alert=alert,
        )
        refs.extend(f"client:{c}" for c in record.clients)
        refs.extend(f"deal:{d}" for d in record.deals)
    elif isinstance(record, Activity):
        cols.update(
            label=record.summary.casefold(),
            owner=record.author,
            day=_day(record.at),
            moment=_moment(record.at),
        )
        refs.extend(f"client:{c}" for c in record.clients)
        refs.extend(f"deal:{d}" for d in record.deals)
    return cols, refs


def read_row(
    root: Path, rel: str, kind: str, record_id: str, reader: links.Reader | None = None
) -> tuple[Row, list[str]] | None:
    """A file as the index keeps it; ``None`` if it is gone. A link is kept as a broken
    row (never read through), so reads skip it and say why. At most one byte more than a
    record may hold is read: enough to refuse a larger file."""
    try:
        if reader is None:
            raw, st = links.read_with_stat(root, rel, MAX_RECORD_BYTES)
        else:
            raw, st = reader.read(rel, MAX_RECORD_BYTES)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except links.LinkError as exc:
        if exc.rel != rel:  # a linked folder: its files are not the workspace's
            return None
        try:
            st = os.lstat(os.path.join(root, rel))
        except OSError:
            return None
        return Row(rel, kind, record_id, _stat_key(st), None, False, dict.fromkeys(COLUMNS)), []
    return row_of(rel, kind, record_id, _stat_key(st), raw)


def row_of(
    rel: str, kind: str, record_id: str, stat: tuple[int, int, int, int], raw: bytes | Any
) -> tuple[Row, list[str]]:
    """A row from a file's bytes (or from data already parsed, for files tcrm wrote)."""
    data: Any
    if isinstance(raw, bytes):
        try:
            data = yamlio.load_fast(raw, rel)
        except ValidationError:
            return Row(rel, kind, record_id, stat, None, False, dict.fromkeys(COLUMNS)), []
    else:
        data = raw
    try:
        record = parse_record(RECORD_TYPES[kind], data, record_id)
    except (ModelProblems, ValueError):
        cols = dict.fromkeys(COLUMNS)
        return Row(rel, kind, record_id, stat, _json(data), False, cols), []
    cols, refs = _columns(record)
    cols["conflicts"] = str(len(record.conflicts)) if record.conflicts else None
    cols["text"] = "\n".join([record_id, *_strings(data)]).casefold()
    if isinstance(record, Client):
        phones = [*record.phones, *(p for c in record.contacts for p in c.phones)]
        cols["digits"] = "\n".join(_NOT_DIGIT.sub("", p) for p in phones) or None
    return Row(rel, kind, record_id, stat, _json(data), True, cols), refs


_NOT_DIGIT = re.compile(r"\D")


def _strings(value: Any) -> list[str]:
    """Every text in parsed YAML, depth first (a loop: this runs for every file indexed)."""
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is str:
            if not item.startswith(ARMOR_BEGIN):  # a private value: nothing to search
                out.append(item)
        elif type(item) is dict:
            stack.extend(reversed(item.values()))
        elif type(item) is list:
            stack.extend(reversed(item))
    return out


def _json(data: Any) -> str | None:
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):  # pragma: no cover - YAML text is always JSON-able
        return None


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    mtime = st.st_mtime_ns
    if time.time_ns() - mtime < RACY_NS:
        mtime = -1  # racy: never trust this stat, parse again next time
    return (mtime, st.st_ctime_ns, st.st_size, st.st_ino)


def _trusted(stamps: dict[str, int], taken: int) -> dict[str, int]:
    """Folder stamps as the index keeps them: one changed within the racy window before
    ``taken`` (when they were read) is -1, since a file made just after, in the same
    clock tick, would leave it as it is; that folder is listed again next time."""
    return {f: (m if taken - m >= RACY_NS else -1) for f, m in stamps.items()}


def _same_stat(st: os.stat_result, stored: tuple[int, int, int, int]) -> bool:
    return stored[0] != -1 and (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino) == stored


def untracked_in(root: Path, folders: Iterable[str]) -> set[str] | None:
    """The record files directly in these folders that git does not track: on disk, and
    not in git's index; ``None`` if git cannot tell."""
    wanted = sorted(f for f in folders if f != "activities")  # its records are a level down
    if not wanted:
        return set()
    tracked = tracked_in(root, wanted)
    if tracked is None:
        return None
    return {rel for folder in wanted for _, rel in yaml_files(root, folder)} - tracked


# --- the index -----------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def _serialised(method: F) -> F:
    """One thread at a time on the index's connection."""

    @functools.wraps(method)
    def wrapper(self: Index, *args: Any, **kwargs: Any) -> Any:
        with self.mutex:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Index:
    """The records of one workspace as SQLite rows; see the module docstring."""

    def __init__(self, root: Path, local_dir: Path, use_git: bool = True) -> None:
        self.root = root
        self.path = local_dir / INDEX_FILE
        self.lock_path = local_dir / "lock"
        self.use_git = use_git
        self.last_reparsed = 0
        self.mutex = threading.RLock()  # a front end's worker threads share the connection
        self.conn = self._connect()

    # --- opening, checking, rebuilding ---

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = self._open_checked()
        except sqlite3.DatabaseError:  # corrupt, or not an index at all
            self._remove()
            try:
                conn = self._open_checked()
            except sqlite3.DatabaseError as exc:
                raise IndexUnavailable(str(exc)) from None
        return conn

    def _open_checked(self) -> sqlite3.Connection:
        fresh = not self.path.exists()
        try:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
        except sqlite3.OperationalError as exc:  # e.g. a read-only .tcrm
            raise IndexUnavailable(str(exc)) from None
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if not fresh and self._meta(conn, "schema") != self._version():
                conn.close()
                self._remove()
                return self._open_checked()
            if fresh or not self._has_tables(conn):
                with _write(conn):
                    if self._has_tables(conn):  # another process made it meanwhile
                        return conn
                    for statement in _DDL.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(
                        "INSERT INTO meta VALUES ('schema', ?), ('built', '0')",
                        (self._version(),),
                    )
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" in str(exc) or "readonly" in str(exc):
                raise IndexUnavailable(str(exc)) from None
            raise sqlite3.DatabaseError(str(exc)) from None
        return conn

    @staticmethod
    def _version() -> str:
        return f"{SCHEMA}/{__version__}"

    @staticmethod
    def _has_tables(conn: sqlite3.Connection) -> bool:
        found = conn.execute("SELECT name FROM sqlite_master WHERE name = 'records'").fetchone()
        return found is not None

    @staticmethod
    def _meta(conn: sqlite3.Connection, key: str) -> str | None:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else None

    def remove(self) -> None:
        """Delete the index (it is only a cache); the next use builds it again."""
        self.conn.close()
        self._remove()

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self.conn.close()

    @property
    def built(self) -> bool:
        return self._meta(self.conn, "built") == "1"

    # --- keeping it fresh ---

    @_serialised
    def refresh(self, progress: ProgressBar | None = None) -> int:
        """Bring the index up to date with the files; how many files were parsed again."""
        try:
            self.last_reparsed = self._refresh(progress)
        except sqlite3.DatabaseError:  # corrupt under our feet: start again from files
            self.conn.close()
            self._remove()
            self.conn = self._connect()
            self.last_reparsed = self._refresh(progress)
        return self.last_reparsed

    def _refresh(self, progress: ProgressBar | None) -> int:
        if not self.use_git:
            return self._sweep() if self.built else self._build(None, progress)
        taken = time.time_ns()
        stamps = early.folder_stamps(self.root)  # before anyone looks: later changes show
        view = git_view(self.root, self.lock_path)
        known_head = self._meta(self.conn, "head")
        stored_stamps = self._meta(self.conn, "folders")
        if view is not None and (
            not self.built or view.head != known_head or stored_stamps is None
        ):  # what git does not track is known only from the last complete answer
            view = git_view(self.root, self.lock_path, untracked=True)
        trusted = _trusted(stamps, taken)
        if not self.built:
            return self._build(view, progress, trusted)
        if view is None:
            return self._sweep()
        candidates = set(json.loads(self._meta(self.conn, "dirty") or "[]"))
        untracked: set[str] = set(view.untracked)
        if not view.complete:  # the untracked files known, and those of moved folders
            old = json.loads(stored_stamps or "{}")
            moved = {f for f, mtime in stamps.items() if old.get(f) != mtime}
            known = set(json.loads(self._meta(self.conn, "untracked") or "[]"))
            found = untracked_in(self.root, moved)
            if found is None:  # git cannot say what it tracks there: ask it for everything
                view = git_view(self.root, self.lock_path, untracked=True)
                if view is None:
                    return self._sweep()
                untracked = set(view.untracked)
            else:
                untracked = {p for p in known if p.rpartition("/")[0] not in moved} | found
            candidates |= known | untracked
        candidates |= view.dirty
        if view.head != known_head:
            between = (
                changed_between(self.root, known_head, view.head, FOLDERS)
                if known_head and view.head
                else None
            )
            if between is None:  # history rewritten beyond recognition: look at every file
                return self._sweep(view, trusted)
            candidates |= between
        return self._update(candidates, view, untracked, trusted, view.head != known_head)

    def _git_meta(
        self, view: GitView, untracked: set[str], stamps: dict[str, int], gone: set[str]
    ) -> dict[str, str]:
        """What the next refresh starts from: HEAD, every path differing from it (what git
        listed, and the files it does not track), and the folders' stamps (``_trusted``)."""
        untracked = {p for p in untracked if kind_of(p) and p not in gone}
        dirty = {p for p in view.dirty if kind_of(p)} | untracked
        return {
            "head": view.head or "",
            "dirty": json.dumps(sorted(dirty)),
            "untracked": json.dumps(sorted(untracked)),
            "folders": json.dumps(stamps, sort_keys=True),
        }

    def _update(
        self,
        candidates: Iterable[str],
        view: GitView,
        untracked: set[str],
        stamps: dict[str, int],
        force: bool,
    ) -> int:
        """Re-read the ``candidates`` whose stat moved (all of them when HEAD moved)."""
        stored = self._stats([p for p in candidates if kind_of(p)])
        rows: list[tuple[Row, list[str]]] = []
        gone: list[str] = []
        missing: set[str] = set()
        with links.Reader(self.root) as reader:
            for rel in sorted(candidates):
                named = kind_of(rel)
                if named is None:
                    continue
                try:
                    st = os.lstat(self.root / rel)
                except OSError:
                    missing.add(rel)
                    if rel in stored:
                        gone.append(rel)
                    continue
                if rel in stored and _same_stat(st, stored[rel]) and not force:
                    continue
                read = read_row(self.root, rel, *named, reader)
                if read is None:
                    gone.append(rel)
                else:
                    rows.append(read)
        with _write(self.conn):
            self._store(rows, gone)
            self._set_meta(**self._git_meta(view, untracked, stamps, missing | set(gone)))
        return len(rows)

    def _stats(self, paths: Sequence[str]) -> dict[str, tuple[int, int, int, int]]:
        out: dict[str, tuple[int, int, int, int]] = {}
        for start in range(0, len(paths), 500):
            chunk = paths[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for path, *stat in self.conn.execute(
                f"SELECT path, mtime, ctime, size, ino FROM records WHERE path IN ({marks})",
                chunk,
            ):
                out[path] = tuple(stat)
        return out

    def _sweep(self, view: GitView | None = None, stamps: dict[str, int] | None = None) -> int:
        """Without git's help: stat every record file, parse the ones that moved."""
        query = "SELECT path, mtime, ctime, size, ino FROM records"
        stored = {path: tuple(stat) for path, *stat in self.conn.execute(query)}
        rows: list[tuple[Row, list[str]]] = []
        seen: set[str] = set()
        with links.Reader(self.root) as reader:
            for rel, kind, record_id in self.walk():
                seen.add(rel)
                try:
                    st = os.lstat(self.root / rel)
                except OSError:
                    continue
                old = stored.get(rel)
                if old is not None and _same_stat(st, old):
                    continue
                read = read_row(self.root, rel, kind, record_id, reader)
                if read is not None:
                    rows.append(read)
        gone = [p for p in stored if p not in seen]
        with _write(self.conn):
            self._store(rows, gone)
            self._set_meta(**self._no_git_meta(view, stamps))
        return len(rows)

    def _no_git_meta(self, view: GitView | None, stamps: dict[str, int] | None) -> dict[str, str]:
        """The git part of the meta after reading every file: from a complete answer of
        git's, or none (the next refresh asks git again, completely)."""
        if view is not None and view.complete and stamps is not None:
            return self._git_meta(view, set(view.untracked), stamps, set())
        return {"head": "", "dirty": "[]", "untracked": "[]"}

    def _build(
        self,
        view: GitView | None,
        progress: ProgressBar | None,
        stamps: dict[str, int] | None = None,
    ) -> int:
        """The first index: every record file parsed once, each chunk stored while the
        next ones are being parsed."""
        found = list(self.walk())
        stored = 0
        bar = progress(len(found)) if progress and len(found) >= 1000 else nullcontext()
        with bar as report, _collector_paused(), _write(self.conn):
            self.conn.execute("DELETE FROM records")
            self.conn.execute("DELETE FROM refs")
            self.conn.execute("DELETE FROM meta WHERE key = 'folders'")
            for done, chunk in _read_all(self.root, found):
                self._insert(chunk)
                stored += len(chunk)
                if report:
                    report(done, len(found))
            self._retouch(None)
            self._set_meta(**self._no_git_meta(view, stamps), built="1")
        self.conn.execute("ANALYZE")  # how selective each column is, for the query planner
        return stored

    def walk(self) -> Iterator[tuple[str, str, str]]:
        """``(path, kind, id)`` of every record file on disk (what ``Workspace.files`` sees)."""
        for kind in KIND_OF_FOLDER.values():
            for record_id, rel in record_files(self.root, kind):
                yield rel, kind, record_id

    def _store(self, rows: Sequence[tuple[Row, list[str]]], gone: Sequence[str]) -> None:
        """Replace the rows of these files, and remove those of ``gone``."""
        conn = self.conn
        paths = [(r.path,) for r, _ in rows] + [(p,) for p in gone]
        touched = {ref for r, refs in rows if r.kind == "activity" for ref in refs}
        for start in range(0, len(paths), 500):
            chunk = [p for (p,) in paths[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            old = f"SELECT ref FROM refs WHERE kind = 'activity' AND path IN ({marks})"
            touched.update(ref for (ref,) in conn.execute(old, chunk))
        conn.executemany("DELETE FROM refs WHERE path = ?", paths)
        conn.executemany("DELETE FROM records WHERE path = ?", [(p,) for p in gone])
        self._insert(rows)
        if touched:
            self._retouch(touched)

    def _insert(self, rows: Sequence[tuple[Row, list[str]]]) -> None:
        self.conn.executemany(
            _INSERT,
            [
                (r.path, r.kind, r.id, *r.stat, r.data, int(r.ok), *r.columns.values())
                for r, _ in rows
            ],
        )
        self.conn.executemany(
            "INSERT INTO refs VALUES (?, ?, ?)",
            [(r.path, r.kind, ref) for r, refs in rows for ref in refs],
        )

    def _retouch(self, refs: set[str] | None) -> None:
        """Work ``touched`` out again for these refs (None: for every record)."""
        if refs is None:
            self.conn.execute("DELETE FROM touched")
            self.conn.execute(f"INSERT INTO touched {_TOUCHED_OF.format(only='')}")
            return
        names = json.dumps(sorted(refs))
        self.conn.execute(
            "DELETE FROM touched WHERE ref IN (SELECT value FROM json_each(?))", (names,)
        )
        only = "AND f.ref IN (SELECT value FROM json_each(?))"
        self.conn.execute(f"INSERT INTO touched {_TOUCHED_OF.format(only=only)}", (names,))

    def _set_meta(self, **values: str) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))

    # --- tcrm's own writes ---

    @_serialised
    def note_written(
        self,
        written: Sequence[tuple[str, Any]],
        parent: str | None,
        commit: str | None,
    ) -> None:
        """Record files tcrm just wrote (``data`` None = deleted) and the commit made.

        When the index was up to date with ``parent``, it is now up to date with
        ``commit``; otherwise the next refresh diffs from where it was, as usual.
        """
        rows: list[tuple[Row, list[str]]] = []
        gone: list[str] = []
        for rel, data in written:
            named = kind_of(rel)
            if named is None:
                continue
            if data is None:
                gone.append(rel)
                continue
            try:
                st = os.lstat(self.root / rel)
            except OSError:
                gone.append(rel)
                continue
            rows.append(row_of(rel, *named, _stat_key(st), data))
        with _write(self.conn):
            self._store(rows, gone)
            if commit and parent and self._meta(self.conn, "head") == parent:
                self._set_meta(head=commit, **self._committed([rel for rel, _ in written]))

    def _committed(self, paths: Sequence[str]) -> dict[str, str]:
        """The meta once these paths are committed: none of them is untracked any more."""
        untracked = set(json.loads(self._meta(self.conn, "untracked") or "[]"))
        if not untracked & set(paths):
            return {}
        dirty = set(json.loads(self._meta(self.conn, "dirty") or "[]"))
        left = untracked - set(paths)
        return {
            "untracked": json.dumps(sorted(left)),
            "dirty": json.dumps(sorted(dirty - (untracked - left))),
        }

    # --- asking ---

    @_serialised
    def records(self, kind: str, where: str = "", params: Sequence[Any] = ()) -> list[Record]:
        """The valid records of ``kind`` (id order) matching an SQL condition on the columns."""
        sql = f"SELECT id, data FROM records WHERE kind = ? AND ok = 1{where and ' AND '}{where}"
        rows = self.conn.execute(sql + " ORDER BY id, path", (kind, *params)).fetchall()
        with _collector_paused():
            return [_record(RECORD_TYPES[kind], record_id, data) for record_id, data in rows]

    def linked(
        self, kind: str, refs: Iterable[str], where: str = "", params: Sequence[Any] = ()
    ) -> list[Record]:
        """The valid records of ``kind`` naming any of ``refs`` (``client:acme``, ``deal:x``)."""
        sub = "path IN (SELECT path FROM refs WHERE ref IN (SELECT value FROM json_each(?)))"
        refs_json = json.dumps(sorted(set(refs)))
        return self.records(kind, f"{sub}{where and ' AND '}{where}", (refs_json, *params))

    def dangling(self) -> list[str]:
        """The paths of records naming a client or deal that no file holds (after a
        ``git pull`` kept a deal whose client the other side deleted): one query."""
        sql = """SELECT DISTINCT r.path FROM refs r LEFT JOIN records x
            ON x.kind = substr(r.ref, 1, instr(r.ref, ':') - 1)
            AND x.id = substr(r.ref, instr(r.ref, ':') + 1)
            WHERE x.path IS NULL ORDER BY r.path"""
        return [path for (path,) in self.conn.execute(sql)]

    def latest_activities(self, refs: Iterable[str]) -> list[Record]:
        """For each of ``refs``, the valid activity naming it that happened last."""
        sub = """path IN (
            SELECT t.path FROM json_each(?) q JOIN touched t ON t.ref = q.value)"""
        return self.records("activity", sub, (json.dumps(sorted(set(refs))),))

    @_serialised
    def revisions(self, paths: Iterable[str]) -> dict[str, Revision] | None:
        """What ``git.revisions`` says of these record paths (existing files only), from
        a per-file history kept here: a new HEAD costs a ``git log`` of the new commits,
        not a walk of every commit. ``None`` when git cannot tell (read the history
        then); call after ``refresh``, whose ``git status`` says which files differ.
        """
        head = self._meta(self.conn, "head") or None
        if not self.use_git or (head and not self._history_at(head)):
            return None
        stored: dict[str, tuple[int, int]] = {}
        wanted = sorted(set(paths))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT path, changes, newest FROM history WHERE path IN ({marks})"
            stored.update((p, (c, n)) for p, c, n in self.conn.execute(sql, chunk))
        dirty = set(json.loads(self._meta(self.conn, "dirty") or "[]"))
        out: dict[str, Revision] = {}
        for rel in wanted:
            try:
                mtime = int(os.stat(self.root / rel).st_mtime)
            except OSError:
                continue
            changes, newest = stored.get(rel, (0, 0))
            if not head:  # no commit yet: every file is its own first revision
                out[rel] = Revision(datetime.fromtimestamp(mtime, UTC), 1)
            elif rel in stored and rel not in dirty:
                out[rel] = Revision(datetime.fromtimestamp(newest, UTC), changes)
            else:  # uncommitted, or changed since HEAD: its committed revision, marked
                at = newest if rel in stored else mtime
                out[rel] = Revision(datetime.fromtimestamp(at, UTC), changes, committed=False)
        return out

    def _history_at(self, head: str) -> bool:
        """Bring the history table up to ``head``; False if git cannot."""
        known = self._meta(self.conn, "history_head")
        if known == head:
            return True
        since = known if known and is_ancestor(self.root, known, head) else None
        commits = log_changes(self.root, since, head)
        if commits is not None:  # the record paths of each commit
            commits = [(when, [p for p in paths if kind_of(p)]) for when, paths in commits]
        if commits is None:
            return False
        with _write(self.conn):
            if since is None:
                self.conn.execute("DELETE FROM history")
            self.conn.executemany(
                "INSERT INTO history VALUES (?, 1, ?) ON CONFLICT (path) DO UPDATE SET "
                "changes = changes + 1, newest = MAX(newest, excluded.newest)",
                [(path, when) for when, changed in commits for path in set(changed)],
            )
            self._set_meta(history_head=head)
        return True

    @_serialised
    def counts(
        self, kind: str, column: str, where: str = "", params: Sequence[Any] = ()
    ) -> dict[str, int]:
        """How many valid records of ``kind`` have each value of a query column."""
        assert column in COLUMNS, column
        sql = (
            f"SELECT {column}, COUNT(*) FROM records WHERE kind = ? AND ok = 1"
            f"{where and ' AND '}{where} GROUP BY {column}"
        )
        return dict(self.conn.execute(sql, (kind, *params)))

    @_serialised
    def broken(self, kind: str) -> list[tuple[str, str]]:
        """``(id, path)`` of the files of ``kind`` that do not parse or fit their model."""
        rows = self.conn.execute(
            "SELECT id, path FROM records WHERE kind = ? AND ok = 0 ORDER BY id, path", (kind,)
        )
        return list(rows)

    @_serialised
    def ids(self, kind: str) -> list[str]:
        rows = self.conn.execute("SELECT id FROM records WHERE kind = ? ORDER BY id", (kind,))
        return [r[0] for r in rows]

    @_serialised
    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    @_serialised
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql, params))


def _read_chunk(root: str, chunk: list[tuple[str, str, str]]) -> list[tuple[Row, list[str]]]:
    out = []
    with _collector_paused(), links.Reader(Path(root)) as reader:
        for rel, kind, record_id in chunk:
            read = read_row(Path(root), rel, kind, record_id, reader)
            if read is not None:
                out.append(read)
    return out


def _read_all(
    root: Path, found: list[tuple[str, str, str]]
) -> Iterator[tuple[int, list[tuple[Row, list[str]]]]]:
    """``(files done, rows)`` chunk by chunk, on every core when it is worth it."""
    chunks = parallel.chunked(found)
    done = 0
    work = functools.partial(_read_chunk, str(root))
    for chunk, rows in zip(chunks, parallel.map_chunks(work, chunks, len(found)), strict=True):
        done += len(chunk)
        yield done, rows


def _record(cls: type[Record], record_id: str, data: str) -> Record:
    """A stored row as its model. The row was valid when stored, so pydantic's JSON parser
    (twice as fast as ``json.loads`` + ``model_validate``) takes it with the id added last
    (the file name wins over an ``id`` key, as in ``parse_record``)."""
    text = f'{data[:-1]}{"," if len(data) > 2 else ""}"id":{json.dumps(record_id)}}}'
    try:
        return cls.model_validate_json(text)
    except ValueError:  # pragma: no cover - only if the model changed under the index
        return parse_record(cls, json.loads(data), record_id)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while thousands of models are made: it would
    otherwise scan them again and again (a third of the time), and they hold no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _write:
    """An immediate SQLite transaction: one writer at a time, all or nothing."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


def read_head(root: Path) -> str | None:
    """The commit HEAD points at, read from ``.git`` directly (no git, no dulwich)."""
    git_dir = root / ".git"
    try:
        if git_dir.is_file():  # a linked work tree: "gitdir: PATH"
            git_dir = (root / git_dir.read_text().split(":", 1)[1].strip()).resolve()
        head = (git_dir / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head or None
        ref = head[5:]
        common = git_dir
        if (git_dir / "commondir").is_file():
            common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
        for base in (git_dir, common):
            loose = base / ref
            if loose.is_file():
                return loose.read_text().strip() or None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return sha
    except OSError:
        return None
    return None
