"""Output: rich tables on a terminal, tab-separated lines when piped, JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tcrm.cli.state import out
from tcrm.model.money import money_text

if TYPE_CHECKING:
    from tcrm.model.records import Record


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def emit_json(data: Any) -> None:
    """JSON on stdout: stable keys (see docs/json.md); fields are added, never renamed."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=_default) + "\n")
    sys.stdout.flush()


def record_json(record: Record) -> dict[str, Any]:
    """A record as in its file, plus its ``id``."""
    return {"id": record.id, **record.to_data()}


@dataclass(frozen=True)
class Column:
    header: str
    justify: str = "left"
    style: str | None = None
    no_wrap: bool = False


def table(
    columns: Sequence[Column | str],
    rows: Iterable[Sequence[Any]],
    title: str | None = None,
    styles: Sequence[str | None] | None = None,
) -> None:
    """A table: boxed and coloured on a terminal, ``\\t``-separated with a header when piped."""
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    if not out.is_terminal:
        print("\t".join(c.header.lower() for c in cols))
        for row in rows:
            print("\t".join(v.replace("\t", " ").replace("\n", " ") for v in row))
        return
    from rich.table import Table  # only on a terminal: piped output never imports rich

    grid = Table(title=title, title_justify="left", header_style="bold", expand=False)
    for col in cols:
        values = [r[len(grid.columns)] for r in rows]
        # ids, dates and amounts are single tokens people copy: keep them whole, wrap text
        token = all(" " not in v or len(v) <= 16 for v in values)
        grid.add_column(
            col.header,
            justify=col.justify,  # type: ignore[arg-type]
            style=col.style,
            no_wrap=col.no_wrap or token,
            overflow="fold" if token else "ellipsis",  # squeezed ids fold, never lose text
        )
    for i, row in enumerate(rows):
        grid.add_row(*row, style=styles[i] if styles else None)
    out.print(grid)


def money(amount: Decimal | None, currency: str | None) -> str:
    """``1,500.50 USD``: rounded as every view rounds (``tcrm.model.money``)."""
    return "" if amount is None else money_text(amount, currency)


def message(text: str) -> None:
    """A confirmation for people (stderr), so stdout stays data only."""
    from tcrm.cli.state import err

    err.print(text, markup=False, highlight=False)
