"""Shell completion of references: reads file names only, never parses records."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tcrm.model.settings import Settings


def _ids(kind: str, incomplete: str) -> list[str]:
    from tcrm.store.workspace import Workspace

    try:
        ws = Workspace.open(os.environ.get("TCRM_WORKSPACE"))
        return [i for i, _ in ws.files(kind) if i.startswith(incomplete)][:200]
    except Exception:  # completion must never fail loudly
        return []


def clients(incomplete: str) -> list[str]:
    return _ids("client", incomplete)


def deals(incomplete: str) -> list[str]:
    return _ids("deal", incomplete)


def tasks(incomplete: str) -> list[str]:
    return _ids("task", incomplete)


def activities(incomplete: str) -> list[str]:
    return _ids("activity", incomplete)


def clients_and_deals(incomplete: str) -> list[str]:
    """What ``tcrm log`` links to: client ids, then deal ids."""
    return _ids("client", incomplete) + _ids("deal", incomplete)


def _settings_values(incomplete: str, pick: Callable[[Settings], Iterable[str]]) -> list[str]:
    from tcrm.store.workspace import Workspace

    try:
        values = pick(Workspace.open(os.environ.get("TCRM_WORKSPACE")).settings)
        return [v for v in values if v.startswith(incomplete)]
    except Exception:
        return []


def activity_kinds(incomplete: str) -> list[str]:
    return _settings_values(incomplete, lambda s: s.lists.activity_kinds)


def members(incomplete: str) -> list[str]:
    return _settings_values(incomplete, lambda s: [m.id for m in s.team])


def stages(incomplete: str) -> list[str]:
    from tcrm.store.workspace import Workspace

    try:
        settings = Workspace.open(os.environ.get("TCRM_WORKSPACE")).settings
    except Exception:
        return []
    names = {s.id for p in settings.pipelines for s in p.stages}
    return sorted(n for n in names if n.startswith(incomplete))


__all__ = [
    "activities",
    "activity_kinds",
    "clients",
    "clients_and_deals",
    "deals",
    "members",
    "stages",
    "tasks",
]
