"""Output: rich tables on a terminal, tab-separated lines when piped, JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from tcrm.cli import plain_table
from tcrm.cli.terminal import out

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
    """A record as in its file, plus its ``id``: its texts exactly as read (a terminal
    never shows JSON's escapes of control characters raw)."""
    return {"id": record.id, **record.to_data(clean=False)}


Role = Literal["key", "title", "text", "extra"]
"""What a column may give up when a table is too wide for the terminal:

- ``key``: ids, amounts, dates, counts: always shown whole (people copy and compare them);
  a cell listing several (amounts in three currencies) may show one a line;
- ``title``: a title or name: always shown, on one line, shortened (with an ellipsis) to
  no fewer than ``TITLE_MIN`` characters (the id beside it names the record);
- ``text``: narrowed to ``TEXT_MIN`` characters, wrapping onto more lines: never cut;
- ``extra``: dropped first, in ``EXTRA_ORDER`` (tags first), then from the right; while
  shown, it wraps as text does.

In order: text and extras, then titles, narrowed to a comfortable width; extras
dropped; lists of keys one value a line; text and titles narrowed to their minimum.
Room left goes back to titles (to a comfortable width) first. When even that does not
fit, each row is printed as a block instead: the id, the title, then every other field
as ``header: value`` (every column, nothing cut).
"""

ROLES: dict[str, Role] = {
    # keys
    "id": "key",
    "rotting": "key",  # the rotting deals' ids
    "due": "key",
    "when": "key",
    "date": "key",
    "close date": "key",
    "last contact": "key",
    "remind at": "key",
    "amount": "key",
    "total": "key",
    "weighted": "key",
    "deals": "key",
    "open deals": "key",
    "idle days": "key",
    "threshold": "key",
    "days": "key",
    "score": "key",
    "file": "key",
    "commit": "key",
    # titles
    "title": "title",
    "name": "title",
    "summary": "title",
    "match": "title",
    # extras, dropped first
    "tags": "extra",
    "probability": "extra",
    "priority": "extra",
    "status": "extra",
    "cadence": "extra",
    "author": "extra",
    "owner": "extra",
    "assignee": "extra",
    "client": "extra",
    "clients": "extra",
    "links": "extra",
    "stage": "extra",
}
"""The role of a column by its header, for every table of the CLI; any other header is
``text``. A ``Column`` may say otherwise (the pipeline's Stage column is its title)."""

EXTRA_ORDER = ("tags", "probability", "priority", "status", "cadence")
"""Extras dropped before the others (which go from the right)."""

TITLE_MIN = 13
"""A title keeps at least its first 12 characters (and an ellipsis)."""
TITLE_COMFORT = 30
TEXT_MIN = 12
TEXT_COMFORT = 16
GAP = 2
"""Spaces between two columns."""
LIST_SEP = ", "
"""How a cell lists several values (``7,500 GBP, 60,000 USD``)."""


@dataclass(frozen=True)
class Column:
    header: str
    justify: str = "left"
    style: str | None = None
    no_wrap: bool = False
    role: Role | None = None
    """What the column may give up when the table is too wide (default: by header)."""

    @property
    def kind(self) -> Role:
        return self.role or ROLES.get(self.header.lower(), "text")


def layout(cols: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[int] | None:
    """The width of each column in a table ``width`` cells wide (0: dropped), or ``None``
    when it cannot fit without hiding a key or cutting a title below ``TITLE_MIN``."""
    from rich.cells import cell_len

    def longest(i: int, sep: str = "\n") -> int:
        cells = [cols[i].header, *(r[i] for r in rows)]
        return max(cell_len(part) for cell in cells for part in cell.split(sep) or [""])

    n = len(cols)
    natural = [longest(i) for i in range(n)]
    widths = list(natural)
    kinds = [c.kind for c in cols]
    # a key listing several values (amounts in three currencies) may show one per line
    parts = {i: longest(i, LIST_SEP) for i in range(n) if kinds[i] == "key"}

    def excess() -> int:
        shown = [w for w in widths if w]
        return sum(shown) + GAP * (len(shown) - 1) - width

    def shrink(floors: dict[int, int]) -> None:
        over = excess()
        while over > 0:
            room = [i for i, floor in floors.items() if widths[i] > floor]
            if not room:
                return
            widest = max(room, key=lambda i: (widths[i] - floors[i], i))
            widths[widest] -= 1
            over -= 1

    def floors(kind: Role, floor: int) -> dict[int, int]:
        return {i: min(natural[i], floor) for i in range(n) if kinds[i] == kind and widths[i]}

    def drop(kind: Role, order: Sequence[str] = ()) -> None:
        candidates = [i for i in range(n) if kinds[i] == kind and widths[i]]
        first = [i for name in order for i in candidates if cols[i].header.lower() == name]
        rest = sorted(set(candidates) - set(first), reverse=True)
        for i in [*first, *rest]:
            if excess() <= 0:
                return
            widths[i] = 0

    shrink({**floors("text", TEXT_COMFORT), **floors("extra", TEXT_COMFORT)})
    shrink(floors("title", TITLE_COMFORT))
    drop("extra", EXTRA_ORDER)
    for i in sorted(parts, key=lambda i: -widths[i]):  # a whole column one value a line
        if excess() > 0 and widths[i] > parts[i]:
            widths[i] = parts[i]
    shrink(floors("text", TEXT_MIN))
    shrink(floors("title", TITLE_MIN))
    if excess() > 0:
        return None
    # room a dropped column left goes back: titles to a comfortable width, then the rest
    for wanted, cap in (("title", TITLE_COMFORT), ("text", 0), ("extra", 0), ("title", 0)):
        for i in range(n):
            if kinds[i] == wanted and widths[i]:
                limit = min(natural[i], cap) if cap else natural[i]
                widths[i] = max(widths[i], min(limit, widths[i] - excess()))
    return widths


def table(
    columns: Sequence[Column | str],
    rows: Iterable[Sequence[Any]],
    title: str | None = None,
    styles: Sequence[str | None] | None = None,
) -> None:
    """A table: aligned and coloured on a terminal, ``\\t``-separated with a header when
    piped. On a terminal it never hides ids, amounts or dates (see ``Role``)."""
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    rows = plain_table.cells(rows)
    if not out.is_terminal:
        plain_table.write([c.header for c in cols], rows)
        return
    from rich.cells import cell_len  # only on a terminal: piped output never imports rich
    from rich.table import Table
    from rich.text import Text

    widths = layout(cols, rows, out.width)
    if widths is None:
        _blocks(cols, rows, title, styles)
        return
    grid = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=None,
        padding=(0, GAP // 2),
        pad_edge=False,
        show_edge=False,
        expand=False,
    )
    shown = [i for i, w in enumerate(widths) if w]
    for i in shown:
        col = cols[i]
        wraps = col.kind in ("text", "extra")
        grid.add_column(
            col.header,
            justify=col.justify,  # type: ignore[arg-type]
            style=col.style,
            width=widths[i],
            no_wrap=not wraps,
            overflow="fold" if wraps else "ellipsis",
        )

    def cell(i: int, value: str) -> Text:
        if cols[i].kind == "key" and cell_len(value) > widths[i]:
            return Text(value.replace(LIST_SEP, "\n"))  # one value a line, each whole
        return Text(value.replace("\n", " "))

    for r, row in enumerate(rows):
        cells = [cell(i, row[i]) for i in shown]
        grid.add_row(*cells, style=styles[r] if styles else None)
    out.print(grid)


def _blocks(
    cols: Sequence[Column],
    rows: Sequence[Sequence[str]],
    title: str | None,
    styles: Sequence[str | None] | None,
) -> None:
    """Rows as blocks, for a terminal too narrow for the table: the id (else the first
    column) on a line, the titles under it, then every other field as ``header: value``."""
    import textwrap

    from rich.cells import cell_len
    from rich.text import Text

    width = max(out.width, 20)
    keys = [i for i, c in enumerate(cols) if c.kind == "key"]
    head = next((i for i in keys if cols[i].header.lower() in ("id", "rotting")), 0)
    if title:
        out.print(Text(title, style="bold"))
    for r, row in enumerate(rows):
        style = (styles[r] if styles else None) or ""
        out.print(Text(row[head], style=f"bold {style}".strip()), soft_wrap=True)
        fields: list[str] = []
        for i, (col, value) in enumerate(zip(cols, row, strict=True)):
            value = value.replace("\n", " ").strip()
            if i == head or not value:
                continue
            if col.kind == "title":
                for line in textwrap.wrap(value, width - 2, break_on_hyphens=False) or [""]:
                    out.print(Text("  " + line, style=style), soft_wrap=True)
            else:
                fields.append(f"{col.header.lower()}: {value}")
        lines: list[str] = []
        for field in fields:
            joined = f"{lines[-1]} · {field}" if lines else field
            if lines and 2 + cell_len(joined) <= width:
                lines[-1] = joined
            else:
                lines.extend(textwrap.wrap(field, width - 2, break_on_hyphens=False))
        for line in lines:
            out.print(Text("  " + line, style=style), soft_wrap=True)


def message(text: str) -> None:
    """A confirmation for people (stderr), so stdout stays data only."""
    from tcrm.cli.terminal import err

    err.print(text, markup=False, highlight=False)


def conflict_json(c: Any) -> dict[str, Any]:
    """An open conflict (``tcrm.services.conflicts.OpenConflict``) as ``tcrm conflicts
    --json`` shows it."""
    return {
        "path": c.path,
        "line": c.line,
        "kind": c.kind,
        "id": c.id,
        "field": c.field,
        "mine": c.mine,
        "theirs": c.theirs,
        "base": c.base,
        **c.sides,
        "missing": c.missing,
        "fix": c.fix,
    }


def conflict_rows(conflicts: list[Any]) -> list[list[str]]:
    """Record, field, the kept value and who made it, the other and who made it, and the
    command that settles it."""
    from tcrm.services.conflicts import side_text

    return [
        [
            c.ref,
            c.field,
            side_text(c.mine, c.mine_by, c.mine_commit),
            side_text(c.theirs, c.theirs_by, c.theirs_commit),
            f"tcrm resolve {c.ref} --take mine|theirs",
        ]
        for c in conflicts
    ]


def print_conflicts(conflicts: list[Any]) -> None:
    """An ``Open conflicts`` block for a card, when there are some."""
    if not conflicts:
        return
    out.print("", markup=False)
    out.print(f"Open conflicts ({len(conflicts)})", style="bold red", markup=False, highlight=False)
    table(["Record", "Field", "Kept", "Other", "Resolve"], conflict_rows(conflicts))
