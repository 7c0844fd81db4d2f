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
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tcrm import __version__
from tcrm.model.records import RECORD_TYPES, Record
from tcrm.model.validate import parse_record
from tcrm.store import early, early_index, links, parallel
from tcrm.store.early_index import SCHEMA
from tcrm.store.gitcli import (
    GitView,
    changed_between,
    git_view,
    is_ancestor,
    log_changes,
    tracked_in,
)
from tcrm.store.index_rows import (  # what a file holds; re-exported for the store's users
    COLUMNS,
    FOLDERS,
    RACY_NS,
    Row,
    _stat_key,
    read_row,
    row_of,
)
from tcrm.store.listing import KIND_OF_FOLDER as KIND_OF_FOLDER
from tcrm.store.listing import kind_of as kind_of
from tcrm.store.listing import record_files as record_files
from tcrm.store.listing import yaml_files
from tcrm.store.where import Where

if TYPE_CHECKING:
    from tcrm.store.git import Revision

INDEX_FILE = "index.sqlite"

Progress = Callable[[int, int], None]
ProgressBar = Callable[[int], AbstractContextManager[Progress | None]]
"""``bar(total)``: a front end's progress bar for a first index, as ``(done, total)``."""


@dataclass(frozen=True)
class IndexSummary:
    """``Index.summary``: record files per kind (broken ones too), the broken ones, HEAD."""

    counts: dict[str, int]
    broken: int
    head: str | None


class IndexUnavailable(Exception):
    """The index cannot be used here (read-only file system, ...): read the files."""


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
    def records(self, kind: str, where: Where | None = None) -> list[Record]:
        """The valid records of ``kind`` (id order) meeting a condition on the columns."""
        cond, params = (f" AND {where.sql}", where.params) if where else ("", ())
        sql = f"SELECT id, data FROM records WHERE kind = ? AND ok = 1{cond}"
        rows = self.conn.execute(sql + " ORDER BY id, path", (kind, *params)).fetchall()
        with _collector_paused():
            return [_record(RECORD_TYPES[kind], record_id, data) for record_id, data in rows]

    def linked(self, kind: str, refs: Iterable[str], where: Where | None = None) -> list[Record]:
        """The valid records of ``kind`` naming any of ``refs`` (``client:acme``, ``deal:x``)."""
        naming = early_index.naming(refs)
        return self.records(kind, naming & where if where else naming)

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
        return self.records("activity", early_index.latest_naming(refs))

    @_serialised
    def revisions(self, paths: Iterable[str]) -> dict[str, Revision] | None:
        """What ``git.revisions`` says of these record paths (existing files only), from
        a per-file history kept here: a new HEAD costs a ``git log`` of the new commits,
        not a walk of every commit. ``None`` when git cannot tell (read the history
        then); call after ``refresh``, whose ``git status`` says which files differ.
        """
        from tcrm.store.git import Revision

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
    def counts(self, kind: str, column: str, where: Where | None = None) -> dict[str, int]:
        """How many valid records of ``kind`` have each value of a query column."""
        assert column in COLUMNS, column
        return early_index.counts(self.conn, kind, column, where)

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
    def summary(self) -> IndexSummary:
        """What the index holds: files per kind, how many are broken, the HEAD it is at."""
        conn = self.conn
        counts = dict(conn.execute("SELECT kind, COUNT(*) FROM records GROUP BY kind"))
        broken = conn.execute("SELECT COUNT(*) FROM records WHERE ok = 0").fetchone()[0]
        return IndexSummary(counts, broken or 0, self._meta(conn, "head") or None)

    @_serialised
    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Raw SQL, for the store and its tests: services ask the typed questions above."""
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    @_serialised
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Raw SQL, for the store and its tests: services ask the typed questions above."""
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
