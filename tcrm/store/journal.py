"""A write-ahead journal: a change to several files is finished or undone, never left half.

A change (a transaction's files, a sync's merge) goes through these steps; ``TCRM_FAULT``
can kill the process at each (``tcrm.store.faults``):

1. ``temps``: every new file's bytes are written to a temp file in ``.tcrm/tmp`` and
   made durable. Nothing a person or git sees has changed; killed here, the temp files
   are stale (their names hold the dead writer's pid) and the next command removes them.
2. ``journal``: ``.tcrm/journal.json`` is written (durably): HEAD, the commit message,
   and for each file its new content's id (a git blob id; none for a deletion) and its
   temp file. From here on the change can always be finished.
3. ``rename``/``renamed``: the temp files are renamed over the records, deletions made.
4. ``index-lock``/``index``/``committed``: git's index and the commit (``git.commit``).
5. The journal is removed.

The next tcrm command, holding the workspace lock (so the writer is dead: the kernel let
go of its ``flock``), reads a journal left behind and finishes the change: each file that
does not hold its new content yet gets it from its temp file, then the commit is made as
planned. If that cannot be done (a temp file is gone, the commit is refused) the files
are put back as HEAD has them. Either way it says which in one line. ``index.lock`` and
the branch's ``.lock`` made after the journal are the dead writer's and are removed first.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tcrm.errors import TcrmError
from tcrm.store import faults, files, git, gittree, links
from tcrm.store.index import read_head

JOURNAL_FILE = "journal.json"
VERSION = 1


@dataclass
class Change:
    """Files to change and how to commit them: a commit on HEAD (``message``, ``when``), a
    merge commit with ``merge_head`` as second parent, or a fast-forward to
    ``fast_forward`` (the files then already are what that commit holds)."""

    message: str
    writes: Mapping[str, bytes | None]
    """``{path relative to the root, POSIX: new bytes, or None to delete}``."""
    when: datetime | None = None
    merge_head: str | None = None
    fast_forward: str | None = None
    executable: frozenset[str] = frozenset()
    """Paths among ``writes`` to write executable (git's mode 100755)."""


def pending(local_dir: Path) -> bool:
    """Whether a change was interrupted here (one ``stat``: every command asks)."""
    return (local_dir / JOURNAL_FILE).exists()


def blob_of(path: Path) -> str | None:
    """The git blob id of a regular file's bytes; ``None`` when there is no such file."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return gittree.object_id(b"blob", data).hex()


def apply(
    root: Path,
    local_dir: Path,
    change: Change,
    originals: Mapping[str, bytes | None] | None = None,
) -> str | None:
    """Make ``change`` on disk and in git through the journal; the new commit's id.

    ``originals`` (``{path: bytes before, None if absent}``, read here when not given)
    are put back if something fails in this process: a refused commit changes nothing.
    """
    tmp = local_dir / "tmp"
    for rel in change.writes:  # nothing is written or deleted through a link
        links.refuse(root, rel)
    if originals is None:
        originals = {rel: _read(root, rel) for rel in change.writes}
    rels = list(change.writes)
    written = [(rel, data) for rel, data in change.writes.items() if data is not None]
    temps = files.write_temps([(root / rel, data) for rel, data in written], tmp)
    for (rel, _), (temp, _) in zip(written, temps, strict=True):
        if rel in change.executable:  # executable by whoever may read it, as git does
            mode = os.stat(temp).st_mode & 0o777
            os.chmod(temp, mode | (mode & 0o444) >> 2)
    faults.at("temps")
    journal = local_dir / JOURNAL_FILE
    try:
        plan = {
            "version": VERSION,
            "pid": os.getpid(),
            "head": read_head(root),
            "message": change.message,
            "when": change.when.isoformat() if change.when is not None else None,
            "merge_head": change.merge_head,
            "fast_forward": change.fast_forward,
            "files": {
                rel: None if data is None else gittree.object_id(b"blob", data).hex()
                for rel, data in change.writes.items()
            },
            "temps": {  # in the order written: no path arithmetic per file
                rel: os.path.basename(temp)
                for (rel, _), (temp, _) in zip(written, temps, strict=True)
            },
        }
        files.atomic_write(journal, json.dumps(plan).encode("utf-8"), tmp)
        faults.at("journal")
        middle = max(1, len(temps) // 2)
        files.rename_temps(temps, lambda n: faults.at("rename") if n == middle else None)
        for rel, data in change.writes.items():
            if data is None:
                (root / rel).unlink(missing_ok=True)
        faults.at("renamed")
        commit_id = _commit(root, change, rels)
        faults.at("committed")
    except BaseException:
        files.remove_temps(temps)
        _put_back(root, originals, tmp)
        journal.unlink(missing_ok=True)
        raise
    journal.unlink(missing_ok=True)
    return commit_id


def _read(root: Path, rel: str) -> bytes | None:
    try:
        return links.read_bytes(root, rel) if (root / rel).is_file() else None
    except OSError:
        return None


def _commit(root: Path, change: Change, rels: list[str]) -> str | None:
    if change.fast_forward is not None:
        git.fast_forward(root, rels, change.fast_forward)
        return change.fast_forward
    if change.merge_head is not None:
        return git.commit_merge(root, rels, change.message, change.merge_head)
    return git.commit(root, rels, change.message, change.when)


def _put_back(root: Path, originals: Mapping[str, bytes | None], tmp: Path) -> None:
    for rel, data in originals.items():
        path = root / rel
        try:
            if data is None:
                path.unlink(missing_ok=True)
            else:
                files.atomic_write(path, data, tmp)
        except OSError:  # pragma: no cover - best effort while already failing
            pass


# --- the next command: finish or undo ------------------------------------------------------


def recover(root: Path, local_dir: Path) -> str | None:
    """Finish or roll back a change left by a killed tcrm; one line saying which, or
    ``None`` when there was nothing to do. The caller holds the workspace lock."""
    journal = local_dir / JOURNAL_FILE
    tmp = local_dir / "tmp"
    try:
        raw = journal.read_bytes()
        stamp = journal.stat().st_mtime_ns
    except FileNotFoundError:
        files.remove_stale_temps(tmp)
        return None
    plan = _plan_of(raw)
    if plan is None:
        journal.unlink(missing_ok=True)
        files.remove_stale_temps(tmp)
        return (
            f"removed a damaged record of an interrupted change ({local_dir.name}/"
            f"{JOURNAL_FILE}); check `git status` for files it may have left"
        )
    subject = plan["message"].split("\n", 1)[0]
    busy = git.in_progress(root)
    if busy is not None:
        return f"an interrupted change ({subject}) waits to be finished: {busy}"
    for lock in git.stale_locks(root):  # taken after the journal: the dead writer's
        try:
            if lock.stat().st_mtime_ns >= stamp:
                lock.unlink()
        except FileNotFoundError:
            continue
    head = read_head(root)
    if head != plan["head"]:
        outcome = _already_made(root, plan, head, subject)
    else:
        outcome = _finish(root, tmp, plan, subject) or _roll_back(root, tmp, plan, subject)
    journal.unlink(missing_ok=True)
    files.remove_stale_temps(tmp)
    return outcome


def _plan_of(raw: bytes) -> dict[str, Any] | None:
    """The journal's plan, or ``None`` when it is not one this version wrote whole."""
    try:
        plan = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(plan, dict) or plan.get("version") != VERSION:
        return None
    texts = ("message", "head", "when", "merge_head", "fast_forward")
    if not isinstance(plan.get("message"), str) or not all(
        plan.get(k) is None or isinstance(plan.get(k), str) for k in texts
    ):
        return None
    listed, temps = plan.get("files"), plan.get("temps")
    if not isinstance(listed, dict) or not isinstance(temps, dict):
        return None
    for rel, blob in listed.items():
        parts = rel.split("/")
        if (
            rel.startswith("/")
            or ".." in parts
            or ".git" in parts
            or not isinstance(blob, str | None)
        ):
            return None  # never follow a journal out of the work tree or into .git
    for name in temps.values():
        if not isinstance(name, str) or "/" in name or name.startswith(".."):
            return None
    return plan


def _already_made(root: Path, plan: dict[str, Any], head: str | None, subject: str) -> str:
    """HEAD moved since the journal: killed after the commit (it is ours), or someone
    committed since (then the files are theirs to judge)."""
    if plan["fast_forward"] is not None and head == plan["fast_forward"]:
        return f"completed an interrupted change: {subject} (it was already made)"
    made = git.head_message(root) if head is not None else None
    if made is not None and made[0][:1] == [plan["head"]] and made[1].split("\n")[0] == subject:
        return f"completed an interrupted change: {subject} (it was already committed)"
    return (
        f"found an interrupted change ({subject}) but the branch has moved since; "
        "its files were left as they are: check `git status`"
    )


def _finish(root: Path, tmp: Path, plan: dict[str, Any], subject: str) -> str | None:
    """Every file given its new content (from its temp file) and the commit made; the
    line saying so, or ``None`` when it cannot be finished."""
    listed: dict[str, str | None] = plan["files"]
    for rel, want in listed.items():
        target = root / rel
        if blob_of(target) == want:
            continue
        if want is None:
            target.unlink(missing_ok=True)
            continue
        name = plan["temps"].get(rel)
        source = tmp / name if name else None
        if source is None or blob_of(source) != want:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    when = datetime.fromisoformat(plan["when"]) if plan["when"] else None
    change = Change(plan["message"], {}, when, plan["merge_head"], plan["fast_forward"])
    try:
        commit_id = _commit(root, change, sorted(listed))
    except TcrmError:
        return None
    short = f", commit {commit_id[:7]}" if commit_id else ""
    return f"completed an interrupted change: {subject} ({_files(len(listed))}{short})"


def _roll_back(root: Path, tmp: Path, plan: dict[str, Any], subject: str) -> str:
    """Every file of the plan put back as HEAD holds it, and its index entry with it."""
    listed = sorted(plan["files"])
    in_head = git.tree_files(root, plan["head"])
    blobs = git.read_blobs(root, [in_head[rel] for rel in listed if rel in in_head])
    for rel in listed:
        path = root / rel
        if rel in in_head:
            files.atomic_write(path, blobs[in_head[rel]], tmp)
        else:
            path.unlink(missing_ok=True)
    git.reset_paths(root, listed)
    return f"rolled back an interrupted change to HEAD: {subject} ({_files(len(listed))})"


def _files(n: int) -> str:
    return f"{n:,} file" if n == 1 else f"{n:,} files"
