"""The client table's columns and cells (``tcrm client list``).

Apart from the Typer command because the early path of ``tcrm client list``
(``tcrm.cli.early_path``, before Typer and pydantic are imported) prints the same table
from index rows: the cells read only what every row of the list has
(``tcrm.services.client_selection.Summary``). The standard library only.
"""

from __future__ import annotations

from tcrm.model.moments import day_of

TYPE_CHECKING = False  # no typing at run time: a piped ``client list`` prints with this
if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from typing import Any, TypeVar

    from tcrm.model.satisfaction import Satisfaction
    from tcrm.services.client_selection import ListedClient, Summary

    C = TypeVar("C", bound=ListedClient)

CLIENT_COLUMNS = ["Id", "Name", "Status", "Owner", "Tags", "Open deals", "Last contact", "NPS"]
RIGHT = frozenset({"Open deals"})
"""The columns aligned right on a terminal (numbers)."""
TRENDS = {"up": "↑", "down": "↓", "same": "=", "new": ""}


def client_rows(rows: Iterable[Summary[C]], zone: str) -> list[list[Any]]:
    """The cells of each row, days in the workspace's time zone ``zone``."""
    return [
        [
            row.client.id,
            row.client.name,
            row.client.status,
            row.client.owner,
            ", ".join(row.client.tags),
            row.open_deals,
            day(row.last_contact, zone) + (" (due)" if row.contact_due else ""),
            score(row.satisfaction),
        ]
        for row in rows
    ]


def score(found: Satisfaction | None) -> str:
    """``9 ↑``: the latest survey score and its trend; empty when never surveyed."""
    return f"{found.score} {TRENDS[found.trend]}".strip() if found else ""


def day(moment: datetime | None, zone: str) -> str:
    """The calendar day of ``moment`` in ``zone`` (ISO); empty for none."""
    return day_of(moment, zone).isoformat() if moment else ""
