"""A workspace on disk: where it is, reading its records, and changing them in one commit."""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import pydantic

from tcrm.errors import (
    Field,
    GitError,
    LockedError,
    Problem,
    RuleError,
    TcrmError,
    ValidationError,
    WorkspaceError,
)
from tcrm.model.limits import MAX_RECORD_BYTES
from tcrm.model.records import FOLDERS, RECORD_TYPES, Activity, Record
from tcrm.model.settings import Settings
from tcrm.model.types import check_id, slugify
from tcrm.model.validate import FieldPath, ModelProblems, dotted, findings_of, parse_record
from tcrm.store import agecrypt, early, files, git, journal, links, yamlio
from tcrm.store.early import SETTINGS_FILE as SETTINGS_FILE  # re-exported for callers
from tcrm.store.index import INDEX_FILE, Index, IndexUnavailable, read_head
from tcrm.store.listing import record_files
from tcrm.store.lock import WorkspaceLock

LOCAL_DIR = ".tcrm"
RANDOM_ID_KINDS = frozenset({"task", "activity"})
ALLOW_DETACHED_ENV = "TCRM_ALLOW_DETACHED"
"""``1``: commit on a detached HEAD (as ``--allow-detached`` does)."""
COMMIT_HAND_EDITS_ENV = "TCRM_COMMIT_HAND_EDITS"
"""``1``: commit a hand edit of a file tcrm changes first, on its own (``--commit-hand-edits``)."""
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: easy to read and type

R = TypeVar("R", bound=Record)


def discover(explicit: str | Path | None = None, cwd: Path | None = None) -> Path:
    """The workspace root from ``-w``, then ``$TCRM_WORKSPACE``, then walking up like git."""
    for given, origin in ((explicit, "-w"), (os.environ.get("TCRM_WORKSPACE"), "TCRM_WORKSPACE")):
        if given:
            root = Path(given).expanduser().resolve()
            if not (root / SETTINGS_FILE).is_file():
                raise WorkspaceError(
                    f"{root} ({origin}) is not a tcrm workspace: it has no {SETTINGS_FILE}; "
                    "create one with `tcrm init`"
                )
            return root
    start = (cwd or Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if (candidate / SETTINGS_FILE).is_file():
            return candidate
    raise WorkspaceError(
        f"no tcrm workspace in {start} or any parent directory; "
        "create one with `tcrm init`, or pass -w PATH"
    )


def located(path: str, text: str | None, findings: list[tuple[FieldPath, str]]) -> list[Problem]:
    """Problems for ``findings`` in a file, each on the line of the field it names."""
    out = []
    for loc, message in findings:
        line = yamlio.line_of(text, loc) if text is not None else None
        out.append(Problem(path, line, f"{dotted(loc)}: {message}" if loc else message))
    return out


@dataclass
class Workspace:
    root: Path
    warnings: list[str] = field(default_factory=list)
    skipped: dict[str, Problem] = field(default_factory=dict)
    """Record files a read left out because they cannot be read, by path: the first
    problem of each (``services.records.note_skipped`` fills it, a front end words it)."""
    _settings: Settings | None = field(default=None, repr=False)
    _lock: WorkspaceLock | None = field(default=None, repr=False)
    _index: Any = field(default=None, repr=False)  # Index, or False when unusable
    _links_noted: bool = field(default=False, repr=False)
    index_progress: Any = field(default=None, repr=False)
    """``(total) -> (done, total) callback``: a front end's progress bar for a first index."""
    allow_detached: bool = field(default_factory=lambda: _env_flag(ALLOW_DETACHED_ENV))
    """Commit on a detached HEAD (warned) instead of refusing."""
    commit_hand_edits: bool = field(default_factory=lambda: _env_flag(COMMIT_HAND_EDITS_ENV))
    """Commit uncommitted edits of a file tcrm must change first, as their own commit,
    instead of refusing."""

    @classmethod
    def open(cls, explicit: str | Path | None = None, cwd: Path | None = None) -> Workspace:
        return cls(discover(explicit, cwd))

    # --- paths ---------------------------------------------------------------------

    @property
    def local_dir(self) -> Path:
        return self.root / LOCAL_DIR

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def path_of(self, record: Record) -> Path:
        cls = type(record)
        if isinstance(record, Activity):
            return self.root / cls.FOLDER / f"{record.at.year:04d}" / f"{record.id}.yaml"
        return self.root / cls.FOLDER / f"{record.id}.yaml"

    def find_path(self, kind: str, record_id: str) -> Path | None:
        """The file of a record, or ``None``. A linked record folder raises ``LinkError``
        (``store.links``); a linked record file is returned, and refused when read."""
        cls = RECORD_TYPES[kind]
        check_id(record_id)
        if kind == "activity":
            if links.is_dir(self.root, cls.FOLDER):
                years = os.scandir(self.root / cls.FOLDER)
                for year in sorted(years, key=lambda e: e.name, reverse=True):
                    candidate = Path(year.path) / f"{record_id}.yaml"
                    if year.is_dir(follow_symlinks=False) and _is_file(candidate):
                        return candidate
            return None
        links.refuse(self.root, cls.FOLDER)
        candidate = self.root / cls.FOLDER / f"{record_id}.yaml"
        return candidate if _is_file(candidate) else None

    def exists(self, kind: str, record_id: str) -> bool:
        try:
            return self.find_path(kind, record_id) is not None
        except ValueError:
            return False

    def files(self, kind: str) -> Iterator[tuple[str, Path]]:
        """``(id, path)`` of every record file of a kind, in id order; hidden files skipped."""
        for record_id, rel in self.rel_files(kind):
            yield record_id, self.root / rel

    def read_text(self, rel: str) -> str:
        """A file of the workspace (``rel`` to the root), never read through a link."""
        return links.read_text(self.root, rel)

    def rel_files(self, kind: str) -> list[tuple[str, str]]:
        """``(id, path relative to the root, POSIX)`` of what ``files`` lists, as plain text."""
        self._note_links()
        return record_files(self.root, kind)

    def _note_links(self) -> None:
        """Warn, once, of each linked folder or settings file that reads skip."""
        if self._links_noted:
            return
        self._links_noted = True
        for rel in links.guarded_links(self.root):
            self._warn_link(links.LinkError(rel), None)

    # --- reading -------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self.load_settings()
        return self._settings

    def load_settings(self) -> Settings:
        text = self.read_text(SETTINGS_FILE)
        data = yamlio.load_fast(text, SETTINGS_FILE)
        if not isinstance(data, dict):
            raise ValidationError([Problem(SETTINGS_FILE, 1, "expected a mapping of settings")])
        try:
            return Settings.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ValidationError(located(SETTINGS_FILE, text, findings_of(exc))) from None

    def parse(self, kind: str, record_id: str, path: Path) -> Record:
        """One record from its file; ``ValidationError`` names file, line and field."""
        rel = self.rel(path)
        raw = links.read_bytes(self.root, rel, MAX_RECORD_BYTES)
        if len(raw) > MAX_RECORD_BYTES:
            yamlio.load_fast(raw, rel)  # refuses it, naming the bound
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text
        data = yamlio.load_fast(text, rel)
        try:
            return parse_record(RECORD_TYPES[kind], data, record_id)
        except ModelProblems as exc:
            raise ValidationError(located(rel, text, exc.findings)) from None
        except ValueError as exc:  # the id in the file name itself
            raise ValidationError([Problem(rel, None, str(exc))]) from None

    def get(self, kind: str, record_id: str) -> Record:
        path = self.find_path(kind, record_id)
        if path is None:
            from tcrm.errors import NotFoundError

            raise NotFoundError(f"no {kind} {record_id!r}")
        return self.parse(kind, record_id, path)

    def index(self) -> Index | None:
        """The local index, brought up to date once per workspace object; ``None`` when
        ``$TCRM_INDEX`` is ``off`` or the index cannot be kept here (read-only, no room)."""
        if self._index is None:
            self._index = False
            if os.environ.get("TCRM_INDEX", "").lower() not in ("off", "0", "no"):
                self._note_links()
                try:
                    self.ensure_local_dir()
                    index = Index(self.root, self.local_dir)
                    index.refresh(self.index_progress)
                    self._index = index
                except (IndexUnavailable, OSError, sqlite3.Error):
                    self._index = False
        return self._index or None

    def forget_index(self) -> None:
        """Look at the files again on the next read (a long-running app after a change)."""
        if self._index:
            self._index.close()
        self._index = None

    def load_all(self, kind: str, problems: list[Problem] | None = None) -> list[Record]:
        """Every record of a kind. Bad files raise, or are reported into ``problems``; a
        link (``store.links``) is never read: it is skipped with a warning either way."""
        folder = RECORD_TYPES[kind].FOLDER
        if (self.root / folder).is_symlink():
            self._warn_link(links.LinkError(folder), problems)
            return []
        if kind == "activity":
            for rel in links.guarded_links(self.root):
                if rel.startswith(f"{folder}/"):
                    self._warn_link(links.LinkError(rel), problems)
        index = self.index()
        if index is not None:
            records = index.records(kind)
            for record_id, rel in index.broken(kind):
                self._parsed(kind, record_id, self.root / rel, problems)
            return records
        out = []
        for record_id, path in self.files(kind):
            record = self._parsed(kind, record_id, path, problems)
            if record is not None:
                out.append(record)
        return out

    def _parsed(
        self, kind: str, record_id: str, path: Path, problems: list[Problem] | None
    ) -> Record | None:
        """``parse``; ``None`` for a link (warned) or, with ``problems``, a bad file (its
        problems added there instead of raised)."""
        try:
            return self.parse(kind, record_id, path)
        except links.LinkError as exc:
            self._warn_link(exc, problems)
        except ValidationError as exc:
            if problems is None:
                raise
            problems.extend(exc.problems)
        return None

    def _warn_link(self, exc: links.LinkError, problems: list[Problem] | None) -> None:
        """A link is skipped, whatever the caller does with other bad files: said once."""
        line = f"{exc}; skipped"
        if line not in self.warnings:
            self.warnings.append(line)
        if problems is not None:
            problems.extend(exc.problems)

    # --- ids -----------------------------------------------------------------------

    def new_id(self, kind: str, name: str = "", taken: set[str] | None = None) -> str:
        """A fresh id: a slug of ``name`` for clients and deals, short random otherwise.

        Random ids (8 characters of 31, ~8.5e11 values) do not collide across clones in
        practice; slugs get ``-2``, ``-3``... while the name is taken here.
        """
        taken = taken or set()
        if kind in RANDOM_ID_KINDS or not slugify(name):
            prefix = {"task": "t", "activity": "a", "client": "c", "deal": "d"}[kind]
            while True:
                candidate = prefix + "".join(secrets.choice(_ALPHABET) for _ in range(7))
                if candidate not in taken and not self.exists(kind, candidate):
                    return candidate
        base = slugify(name)
        candidate, n = base, 1
        while candidate in taken or self.exists(kind, candidate):
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    # --- writing -------------------------------------------------------------------

    def lock(self) -> WorkspaceLock:
        """The workspace's lock; re-entrant, so a service can hold it around a transaction.

        Taking it first finishes (or rolls back) a change a killed tcrm left half done."""
        if self._lock is None:
            self.ensure_local_dir()
            self._lock = WorkspaceLock(self.local_dir / "lock", on_acquire=self._recover)
        early.settle()  # a git status started with the process may hold it
        return self._lock

    def recover(self) -> None:
        """Before a command reads or writes: finish an interrupted change (taking the lock
        only when there is one), and remove temp files killed writers left."""
        if journal.pending(self.local_dir):
            lock = self.lock()
            timeout, lock.timeout = lock.timeout, 0
            try:
                with lock:
                    pass
            except LockedError:
                pass  # a live tcrm is making that change: a read need not wait for it
            finally:
                lock.timeout = timeout
        else:
            files.remove_stale_temps(self.local_dir / "tmp")

    def _recover(self) -> None:
        if not git.is_repo(self.root):
            return
        said = journal.recover(self.root, self.local_dir)
        if said is not None:
            self.warnings.append(said)
            self._settings = None  # the change may have touched tcrm.yaml or any record
            self.forget_index()

    def ensure_local_dir(self) -> Path:
        """``.tcrm/``, ignoring itself, so git never sees it even without a .gitignore."""
        local = self.local_dir
        if not (local / ".gitignore").exists():
            local.mkdir(parents=True, exist_ok=True)
            (local / ".gitignore").write_text("*\n", encoding="utf-8")
        return local

    def transaction(self, message: str, when: datetime | None = None) -> Transaction:
        return Transaction(self, message, when)


class Transaction:
    """Changes to several files that land together, as one git commit, or not at all.

    Holds the workspace lock from start to end, so what a service read and validated is
    still true when it writes. Nothing touches the disk until the block ends without an
    exception; if the commit then fails, every file is put back as it was.
    """

    def __init__(self, workspace: Workspace, message: str, when: datetime | None) -> None:
        self.ws = workspace
        self.message = message
        self.when = when
        self._writes: dict[Path, bytes | None] = {}
        self._created: dict[Path, dict[str, Any]] = {}  # new files' data, for the index
        self._lock = workspace.lock()
        self.commit_id: str | None = None

    def __enter__(self) -> Transaction:
        if not git.is_repo(self.ws.root):
            raise GitError(
                f"{self.ws.root} is not a git repository, so tcrm cannot record changes; "
                "run `git init` there (or start with `tcrm init`)"
            )
        self._lock.__enter__()
        try:
            self._check_git_state()
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def _check_git_state(self) -> None:
        """tcrm writes only on a branch, never in the middle of a git operation."""
        busy = git.in_progress(self.ws.root)
        if busy is not None:
            raise GitError(busy)
        detached = git.detached_head(self.ws.root)
        if detached is not None and not self.ws.allow_detached:
            raise GitError(
                f"HEAD is detached at {detached[:7]} (not on a branch), so a commit here would "
                "be lost when you switch; check out a branch (`git switch main`), or pass ",
                Field("allow_detached"),
                " (or set TCRM_ALLOW_DETACHED=1) to commit here anyway",
            )

    def put(self, record: Record, create: bool = False) -> Path:
        """Write ``record`` (validated by its model); keep the file's comments and extras."""
        path = self.ws.path_of(record)
        old_path = path if path in self._writes else self.ws.find_path(record.KIND, record.id)
        if create and old_path is not None:
            raise ValidationError(f"{record.KIND} {record.id!r} already exists")
        existing: bytes | None = None
        if old_path is not None:
            existing = self._writes.get(old_path) if old_path in self._writes else None
            if existing is None and _is_file(old_path):
                existing = links.read_bytes(self.ws.root, self.ws.rel(old_path))
            if old_path != path:  # an activity whose year changed moves folder
                self._writes[old_path] = None
        record = agecrypt.seal(self.ws.settings, record, lambda: _stored(existing, path))
        data = record.to_data()
        self._created.pop(path, None)
        if existing is None:
            text = yamlio.dump_fast(data)
            self._created[path] = data
        else:
            fields = type(record).model_fields
            # declared custom fields are owned too, so ``--set name=`` removes the key
            custom = self.ws.settings.fields.of(record.KIND)
            owned = (frozenset(fields) | frozenset(custom)) - {"id"}
            defaults = {
                name: info.default
                for name, info in fields.items()
                if isinstance(info.default, str | int | bool)
            }
            text = yamlio.edit_text(
                existing.decode("utf-8"), data, owned, self.ws.rel(path), defaults
            )
        self._writes[path] = text.encode("utf-8")
        return path

    def write_text(self, rel_path: str, text: str) -> None:
        """A non-record file of the workspace (settings, kb page, .gitignore)."""
        self._writes[self.ws.root / rel_path] = text.encode("utf-8")
        self._created.pop(self.ws.root / rel_path, None)

    def delete(self, kind: str, record_id: str) -> None:
        path = self.ws.find_path(kind, record_id)
        if path is not None:
            self._writes[path] = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and self._writes:
                self._apply()
        finally:
            self._lock.__exit__(exc_type, exc, tb)

    def _apply(self) -> None:
        for path in self._writes:  # nothing is written or deleted through a link
            links.refuse(self.ws.root, self.ws.rel(path))
        originals: dict[Path, bytes | None] = {
            p: (links.read_bytes(self.ws.root, self.ws.rel(p)) if p.is_file() else None)
            for p in self._writes
        }
        changed = [p for p, data in self._writes.items() if data != originals[p]]
        if not changed:
            return
        root = self.ws.root
        prefix = len(str(root)) + 1
        rels = {p: str(p)[prefix:].replace(os.sep, "/") for p in changed}  # ws.rel, faster
        before = {rels[p]: originals[p] for p in changed}
        self._hand_edits(before)
        who = git.identity(root)
        if not who.configured:
            self.ws.warnings.append(
                f"no git identity configured; committed as {who}. Set yours with "
                "`git config --global user.name NAME` and `... user.email EMAIL`"
            )
        parent = read_head(root)
        writes = {rels[p]: self._writes[p] for p in changed}
        change = journal.Change(self.message, writes, self.when)
        self.commit_id = journal.apply(root, self.ws.local_dir, change, before)
        if parent is not None and git.detached_head(root) is not None:
            self.ws.warnings.append(
                f"committed on a detached HEAD ({parent[:7]} -> {(self.commit_id or '')[:7]}): "
                "no branch holds it; keep it with `git switch -c NAME`"
            )
        self._note_index(changed, parent)

    def _hand_edits(self, before: dict[str, bytes | None]) -> None:
        """Refuse to fold an uncommitted edit of a file this change touches into tcrm's
        commit; with ``commit_hand_edits``, commit those files as they are first."""
        edited = git.hand_edited(self.ws.root, before)
        if not edited:
            return
        if not self.ws.commit_hand_edits:
            more = f" (and {len(edited) - 1} more)" if len(edited) > 1 else ""
            raise RuleError(
                f"{edited[0]}{more} has uncommitted changes (a hand edit?) and this command "
                "must change it; commit or discard them first (git commit / git restore), "
                "or pass ",
                Field("commit_hand_edits"),
                " to commit them on their own before this change",
            )
        shown = ", ".join(edited[:3]) + (f" and {len(edited) - 3} more" if len(edited) > 3 else "")
        git.commit(self.ws.root, edited, f"hand edit: {shown}")

    def _note_index(self, changed: list[Path], parent: str | None) -> None:
        """Tell the local index what was written, so the next read need not look."""
        index_file = self.ws.local_dir / INDEX_FILE
        if not index_file.exists():
            return  # no index yet: the first read builds it
        written = [(self.ws.rel(p), self._created.get(p, self._writes[p])) for p in changed]
        try:
            index = self.ws._index or Index(self.ws.root, self.ws.local_dir)
            index.note_written(written, parent, self.commit_id)
        except (IndexUnavailable, OSError, sqlite3.Error):
            pass  # the next read sees the new HEAD and re-reads these files itself


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "yes", "true", "on")


def _stored(existing: bytes | None, path: Path) -> dict[str, Any]:
    """A record file's data as it is now (empty when new or unreadable): what a private
    placeholder in the record being written keeps."""
    if existing is None:
        return {}
    try:
        data = yamlio.load_fast(existing, str(path))
    except ValidationError:
        return {}
    return data if isinstance(data, dict) else {}


def _is_file(path: Path) -> bool:
    """A file, or a link (to be refused when read): what a record's name may be."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)


def record_from(kind: str, data: dict[str, Any]) -> Record:
    """A record of ``kind`` from plain data, with messages naming each bad field."""
    try:
        return RECORD_TYPES[kind].model_validate(data)
    except pydantic.ValidationError as exc:
        problems = [Problem(dotted(loc) or kind, None, msg) for loc, msg in findings_of(exc)]
        raise ValidationError(problems) from None


__all__ = ["FOLDERS", "TcrmError", "Transaction", "Workspace", "discover", "record_from"]
