"""``tcrm search``: one text looked up in clients, contact people, deals, tasks, activities
and the knowledge base's pages.

What matches and how it ranks is ``tcrm.services.search_selection``'s (the early path of
a piped ``tcrm search`` ranks with it too); this reads the records and pages asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tcrm.services.kb import list_pages
from tcrm.services.records import candidates
from tcrm.services.search_selection import KINDS as KINDS
from tcrm.services.search_selection import MATCHES as MATCHES
from tcrm.services.search_selection import SELECTABLE as SELECTABLE
from tcrm.services.search_selection import Hit as Hit
from tcrm.services.search_selection import SearchResult as SearchResult
from tcrm.services.search_selection import check_asked, narrowing, ranked, read_kinds
from tcrm.services.search_selection import check_kinds as check_kinds
from tcrm.services.search_selection import search_records as search_records
from tcrm.store.workspace import Workspace


def search(
    ws: Workspace, *, text: str, kinds: Sequence[str] = (), limit: int | None = None
) -> SearchResult:
    """``tcrm search TEXT``: read the kinds asked for, and rank what matches."""
    selected = check_asked(text, kinds, limit)
    where = narrowing(text)
    read = read_kinds(selected)

    def load(kind: str) -> list[Any]:
        return candidates(ws, kind, where) if kind in read else []

    hits = search_records(
        text,
        clients=load("client"),
        deals=load("deal"),
        tasks=load("task"),
        activities=load("activity"),
    )
    return ranked(text, hits, selected, limit, list_pages(ws) if "kb" in selected else ())
