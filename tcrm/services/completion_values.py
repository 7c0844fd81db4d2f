"""What shell completion offers from the settings: stages, members, activity kinds.

Worked out here once, from the settings, and kept in the local index with the zones
(``planner.early_summary``), so a TAB answers before Typer and pydantic are imported
(``tcrm.cli.completion``). The standard library only, on purpose.
"""

from __future__ import annotations

TYPE_CHECKING = False  # a TAB answers with this: no typing at run time
if TYPE_CHECKING:
    from typing import Any

    from tcrm.model.settings import Settings

SETTINGS_VALUES = ("stages", "members", "activity_kinds")


def completion_values(settings: Settings) -> dict[str, list[str]]:
    """Each list completion offers, in the order it offers them."""
    return {
        "stages": sorted({s.id for p in settings.pipelines for s in p.stages}),
        "members": [m.id for m in settings.team],
        "activity_kinds": list(settings.lists.activity_kinds),
    }


def kept_values(kept: dict[str, Any], name: str) -> list[str] | None:
    """One of those lists from what the index keeps; ``None`` if it does not hold it."""
    values = kept.get(name)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    return values
