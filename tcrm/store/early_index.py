"""The local index read before Typer, pydantic or YAML are imported, when it is fresh.

``tcrm status`` (a prompt runs it each time) and shell completion (each TAB) must answer
in a few tens of milliseconds, less than importing Typer takes. They read
``.tcrm/index.sqlite`` with ``sqlite3`` directly, and only when a refresh of the index
would change nothing (``open_fresh``): the same questions ``Index.refresh`` asks (git's
answer, the folders' stamps, each file git lists against its row), answered without
writing. When anything differs, or cannot be told, the caller takes the normal path,
which brings the index up to date. The standard library only, on purpose.

What the settings say is kept in the index too (``remember_settings``), keyed by
``tcrm.yaml``'s stat: reading the YAML would need the libraries this path avoids.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time

from tcrm import __version__
from tcrm.store import early
from tcrm.store.gitcli import parse_status
from tcrm.store.listing import kind_of
from tcrm.store.where import Where

TYPE_CHECKING = False  # no typing at run time: ~25 ms of each prompt's start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    from tcrm.store.lock import StrPath

Connection = sqlite3.Connection
"""The index's connection, for the services' type hints (they import no sqlite3)."""

INDEX_FILE = "index.sqlite"
SCHEMA = 10
"""Bump when the index's tables or the columns' meaning change: an older index is rebuilt."""
RACY_NS = 2_000_000_000
"""A stat this recent may not move on the next change (``tcrm.store.index.RACY_NS``)."""
SETTINGS_KEY = "early_settings"
"""The ``meta`` row holding what the settings say (``remember_settings``)."""
SETTINGS_FORMAT = 3
"""Bump when what ``remember_settings`` keeps changes: a row of another format is
neither read nor kept."""


def version() -> str:
    """What the index's ``meta`` says it was built by; another value: it is rebuilt."""
    return f"{SCHEMA}/{__version__}"


def index_off() -> bool:
    """``$TCRM_INDEX=off``: no index is used (``Workspace.index``)."""
    return os.environ.get("TCRM_INDEX", "").lower() in ("off", "0", "no")


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def open_fresh(root: StrPath) -> sqlite3.Connection | None:
    """A connection to ``root``'s index, inside a read transaction, when the index holds
    exactly what the files hold now; ``None`` when it may not (or it cannot be told).

    Fresh means ``Index.refresh`` would read no file: the same schema, HEAD as git says
    it is, the record folders' stamps unchanged (no file added or removed), and every
    path that may differ from HEAD (what git lists now, and what it listed last time)
    with the stat its row was made from, or gone with no row.
    """
    local = os.path.join(root, ".tcrm")
    path = os.path.join(local, INDEX_FILE)
    if (
        index_off()
        or not os.path.isfile(path)
        or os.path.exists(os.path.join(local, "journal.json"))
    ):
        return None
    stamps = early.folder_stamps(root)  # before git looks, as Index.refresh takes them
    early.start(os.fspath(root))
    answer = early.take(root)
    if answer is None or answer[0] != 0:
        return None
    view = parse_status(answer[1], complete=False)
    try:
        conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN")
        if not _fresh(conn, root, stamps, view.head, view.dirty):
            conn.close()
            return None
    except sqlite3.Error:
        conn.close()
        return None
    return conn


def _fresh(
    conn: sqlite3.Connection,
    root: StrPath,
    stamps: dict[str, int],
    head: str | None,
    dirty: frozenset[str],
) -> bool:
    if _meta(conn, "schema") != version() or _meta(conn, "built") != "1":
        return False
    if _meta(conn, "head") != head:
        return False
    stored = _meta(conn, "folders")
    if stored is None or json.loads(stored) != stamps:  # a racy stamp was kept as -1
        return False
    known = set(json.loads(_meta(conn, "dirty") or "[]"))
    known |= set(json.loads(_meta(conn, "untracked") or "[]"))
    candidates = sorted(p for p in known | dirty if kind_of(p))
    rows: dict[str, tuple[int, ...]] = {}
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT path, mtime, ctime, size, ino FROM records WHERE path IN ({marks})"
        rows.update((p, tuple(stat)) for p, *stat in conn.execute(sql, chunk))
    for rel in candidates:
        try:
            st = os.lstat(os.path.join(root, rel))
        except OSError:
            if rel in rows:
                return False  # gone: its row must go
            continue
        row = rows.get(rel)
        now = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        if row is None or row[0] == -1 or row != now:
            return False
    return True


def settings_stat(root: StrPath) -> list[int] | None:
    """``tcrm.yaml``'s stat as a key: ``None`` if it is missing, or changed so recently
    that another change in the same clock tick would not move it."""
    try:
        st = os.lstat(os.path.join(root, early.SETTINGS_FILE))
    except OSError:
        return None
    if time.time_ns() - st.st_mtime_ns < RACY_NS:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


def read_settings(conn: sqlite3.Connection, root: StrPath) -> dict[str, Any] | None:
    """What ``remember_settings`` kept, if ``tcrm.yaml`` has not changed since."""
    text = _meta(conn, SETTINGS_KEY)
    if text is None:
        return None
    kept = json.loads(text)
    key = settings_stat(root)
    if not isinstance(kept, dict) or key is None or kept.get("stat") != key:
        return None
    if kept.get("format") != SETTINGS_FORMAT:
        return None
    values = kept.get("values")
    return values if isinstance(values, dict) else None


def kept_members(values: Mapping[str, Any]) -> list[str] | None:
    """The team's member ids in what ``read_settings`` returned (the keys of the
    ``member_zones`` the planner keeps); ``None`` when they are not kept that way."""
    members = values.get("member_zones")
    if not isinstance(members, dict) or not all(isinstance(m, str) for m in members):
        return None
    return list(members)


def remember_settings(root: StrPath, summary: Callable[[], dict[str, Any]]) -> None:
    """Keep ``summary()`` (what the settings say, read now from ``tcrm.yaml``) in the
    index, for ``read_settings``; only when the file stood still meanwhile, and quietly
    not at all when the index cannot be written (it is only a cache)."""
    path = os.path.join(root, ".tcrm", INDEX_FILE)
    before = settings_stat(root)
    if before is None or index_off() or not os.path.isfile(path):
        return
    try:
        conn = sqlite3.connect(path, timeout=1, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        text = _meta(conn, SETTINGS_KEY)
        kept = json.loads(text) if text is not None else {}
        if kept.get("stat") == before and kept.get("format") == SETTINGS_FORMAT:
            return  # kept already
        values = summary()
        if settings_stat(root) != before:
            return
        row = {"stat": before, "format": SETTINGS_FORMAT, "values": values}
        text = json.dumps(row, sort_keys=True)
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (SETTINGS_KEY, text))
    except (sqlite3.Error, ValueError, AttributeError):
        return
    finally:
        conn.close()


def holds_conflicts(conn: sqlite3.Connection) -> bool:
    """Whether a record of the index holds merge conflicts."""
    found = conn.execute("SELECT 1 FROM records WHERE conflicts IS NOT NULL LIMIT 1")
    return found.fetchone() is not None


def valid_rows(conn: sqlite3.Connection, kind: str, where: Where | None) -> list[tuple[str, str]]:
    """``(id, data)`` of the valid rows of ``kind`` matching ``where`` (all with
    ``None``), in id order (as ``Index.records`` reads them)."""
    sql = "SELECT id, data FROM records WHERE kind = ? AND ok = 1"
    if where is None:
        return list(conn.execute(sql + " ORDER BY id, path", (kind,)))
    return list(conn.execute(f"{sql} AND {where.sql} ORDER BY id, path", (kind, *where.params)))


def slim_rows(
    conn: sqlite3.Connection, kind: str, fields: Iterable[str], where: Where | None
) -> list[tuple[str, str]]:
    """``valid_rows``, each row's data holding only the top-level ``fields`` it has with
    a value other than null (SQLite picks them out: reading a whole client's JSON in
    Python costs more than the rest of its row). ``ValueError`` when SQLite cannot."""
    picked = ", ".join(f"'{name}', data -> '$.{name}'" for name in fields)
    slim = f"SELECT id, json_patch('{{}}', json_object({picked})) FROM records"
    sql = f"{slim} WHERE kind = ? AND ok = 1"
    cond, params = (f" AND {where.sql}", where.params) if where else ("", ())
    try:
        return list(conn.execute(f"{sql}{cond} ORDER BY id, path", (kind, *params)))
    except sqlite3.Error as exc:
        raise ValueError(str(exc)) from None


def task_rows(conn: sqlite3.Connection, where: Where | None) -> list[tuple[str, str]]:
    """``(id, data)`` of the valid task rows matching ``where`` (all with ``None``), in
    id order."""
    return valid_rows(conn, "task", where)


def holds_broken(conn: sqlite3.Connection, kind: str) -> bool:
    """Whether a file of ``kind`` could not be read into a valid row (a read of that
    kind warns of it, ``tcrm.services.records.note_unreadable``)."""
    found = conn.execute("SELECT 1 FROM records WHERE kind = ? AND ok = 0 LIMIT 1", (kind,))
    return found.fetchone() is not None


def valid_paths(conn: sqlite3.Connection, kind: str, record_id: str) -> list[str]:
    """The paths of the valid rows of ``kind`` with this id."""
    sql = "SELECT path FROM records WHERE kind = ? AND id = ? AND ok = 1"
    return [path for (path,) in conn.execute(sql, (kind, record_id))]


def sole_id(conn: sqlite3.Connection, kind: str, ref: str) -> str | None:
    """``ref`` stripped, when it is the id of exactly one valid row of ``kind``: the
    record ``resolve`` finds first, readable. ``None`` otherwise (a prefix, a name, a
    broken file: ``resolve`` says what it finds)."""
    record_id = ref.strip()
    return record_id if len(valid_paths(conn, kind, record_id)) == 1 else None


def ids_where(conn: sqlite3.Connection, kind: str, where: Where) -> list[str]:
    """The ids of the valid rows of ``kind`` matching ``where``, in id order."""
    sql = f"SELECT id FROM records WHERE kind = ? AND ok = 1 AND {where.sql} ORDER BY id"
    return [record_id for (record_id,) in conn.execute(sql, (kind, *where.params))]


def counts(conn: sqlite3.Connection, kind: str, column: str, where: Where | None) -> dict[str, int]:
    """How many valid records of ``kind`` have each value of a query column (``column``
    one of ``where.COLUMN_NAMES``: the caller's, never a record's)."""
    cond, params = (f" AND {where.sql}", where.params) if where else ("", ())
    sql = (
        f"SELECT {column}, COUNT(*) FROM records WHERE kind = ? AND ok = 1{cond} GROUP BY {column}"
    )
    return dict(conn.execute(sql, (kind, *params)))


def naming(refs: Iterable[str]) -> Where:
    """The records naming any of ``refs`` (``client:acme``, ``deal:x``)."""
    sub = "path IN (SELECT path FROM refs WHERE ref IN (SELECT value FROM json_each(?)))"
    return Where(sub, (json.dumps(sorted(set(refs))),))


def latest_naming(refs: Iterable[str]) -> Where:
    """For each of ``refs``, the valid activity naming it that happened last (the
    ``touched`` table, ``tcrm.store.index``)."""
    sub = "path IN (SELECT t.path FROM json_each(?) q JOIN touched t ON t.ref = q.value)"
    return Where(sub, (json.dumps(sorted(set(refs))),))
