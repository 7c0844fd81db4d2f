"""The deal table's columns and cells (``tcrm deal list``).

Apart from the Typer command because the early path of ``tcrm deal list``
(``tcrm.cli.early_path``, before Typer and pydantic are imported) prints the same table
from index rows: the cells read only what every row of the list has
(``tcrm.services.deal_selection.ListedRow``: a deal's fields, its currency, its
probability). The standard library only.
"""

from __future__ import annotations

from tcrm.model.money import money_text

TYPE_CHECKING = False  # no typing at run time: a piped ``deal list`` prints with this
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from tcrm.services.deal_selection import ListedRow

DEAL_COLUMNS = [
    "Id",
    "Title",
    "Client",
    "Stage",
    "Status",
    "Amount",
    "Probability",
    "Close date",
    "Owner",
]
RIGHT = frozenset({"Amount", "Probability"})
"""The columns aligned right on a terminal (numbers)."""


def deal_rows(rows: Iterable[ListedRow]) -> list[list[Any]]:
    return [
        [
            r.deal.id,
            r.deal.title,
            r.deal.client,
            r.deal.stage,
            r.deal.status,
            money_text(r.deal.amount, r.currency),
            f"{r.probability}%",
            r.deal.close_date,
            r.deal.owner,
        ]
        for r in rows
    ]
