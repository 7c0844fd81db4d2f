"""What a record file gives the local index: its kind and id from its path, and its row
(the query columns, the records it names, its text for search), read from its bytes.

Pure functions of a file (no SQLite): ``tcrm.store.index`` keeps the rows they make.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

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
from tcrm.store import early, links, yamlio
from tcrm.store.listing import KIND_OF_FOLDER
from tcrm.store.where import COLUMN_ORDER

RACY_NS = 2_000_000_000
"""A file modified this recently may change again within the same timestamp tick
without its size or mtime moving; such a file is parsed again next time (git's "racy
clean" rule, with the coarsest file-system clock in mind)."""


assert {cls.FOLDER: kind for kind, cls in RECORD_TYPES.items()} == KIND_OF_FOLDER


FOLDERS = tuple(KIND_OF_FOLDER)


assert set(FOLDERS) == set(early.RECORD_FOLDERS)


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


COLUMNS: tuple[str, ...] = tuple(c for c in COLUMN_ORDER if c != "id")
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
