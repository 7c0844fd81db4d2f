"""Ids for imported records: existing records found by key, new ids allocated from names
without clashing with the workspace or the file."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from tcrm.model.records import Deal, Record
from tcrm.model.types import ID_RE, slugify
from tcrm.services.bulk import Match, key_reason, record_key
from tcrm.services.records import label
from tcrm.store.workspace import Workspace


def _id_name(record: Record) -> str:
    if isinstance(record, Deal):
        slug, client = slugify(record.title), record.client
        first = client.split("-")[0]
        own = (slug + "-").startswith(client + "-") or (
            len(first) >= 4 and (slug + "-").startswith(first + "-")
        )
        return record.title if own else f"{client} {record.title}"
    return label(record)


class KeyIndex:
    """Deals, tasks and activities by ``record_key``."""

    def __init__(self) -> None:
        self.keys: dict[Any, Hashable] = {}

    def add(self, ref: Hashable, record: Record) -> None:
        self.keys.setdefault(record_key(record), ref)

    def find(self, record: Record) -> Any:
        ref = self.keys.get(record_key(record))
        if ref is None:
            return None
        return Match(ref, key_reason(record), 1.0)


class IdAllocator:
    """Fresh ids for many new records: one directory listing, then a set, never a stat
    per candidate; ``acme``, ``acme-2``... continue from the last suffix used."""

    def __init__(self, ws: Workspace, kind: str, taken: set[str]) -> None:
        self.ws = ws
        self.kind = kind
        self.taken = taken | {record_id for record_id, _ in ws.files(kind)}
        self.next_suffix: dict[str, int] = {}

    def take(self, wanted: str | None, name: str) -> str:
        if wanted and ID_RE.match(wanted) and ".." not in wanted and wanted not in self.taken:
            self.taken.add(wanted)
            return wanted
        base = slugify(name)
        if self.kind in ("task", "activity") or not base:
            new = self.ws.new_id(self.kind, "", taken=self.taken)
        elif base not in self.taken:
            new = base
        else:
            n = self.next_suffix.get(base, 2)
            while f"{base}-{n}" in self.taken:
                n += 1
            self.next_suffix[base] = n + 1
            new = f"{base}-{n}"
        self.taken.add(new)
        return new
