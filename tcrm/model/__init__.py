"""Pure models of the workspace: settings and records. No I/O, no front-end imports.

The names below are loaded on first use: importing a light module of this package
(``tcrm.model.text``, ``tcrm.model.when``) must not pay for pydantic and every model
(``tcrm --version`` and completion answer without them).
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # every import of tcrm.model.* runs this: no typing at run time
if TYPE_CHECKING:
    from typing import Any

_FROM = {
    "FOLDERS": "records",
    "RECORD_TYPES": "records",
    "Activity": "records",
    "Client": "records",
    "Contact": "records",
    "Deal": "records",
    "Record": "records",
    "StageChange": "records",
    "Task": "records",
    "FORMAT_VERSION": "settings",
    "Member": "settings",
    "Pipeline": "settings",
    "Settings": "settings",
    "Stage": "settings",
}

__all__ = sorted(_FROM)


def __getattr__(name: str) -> Any:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"tcrm.model.{module}"), name)
