"""A table as it is printed when stdout is not a terminal: ``\\t``-separated, a header.

What ``tcrm.cli.render.table`` prints to a pipe, kept apart from its terminal layout
(which needs rich) so that the early path of ``tcrm task list`` (``tcrm.cli.early_path``)
prints the same bytes without importing rich. The standard library only.
"""

from __future__ import annotations

from tcrm.model.text import visible

TYPE_CHECKING = False  # no typing at run time: a piped ``task list`` prints with this
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any


def cells(rows: Iterable[Sequence[Any]]) -> list[list[str]]:
    """Each value as the table shows it: ``None`` empty, anything else ``str()``."""
    return [["" if v is None else str(v) for v in row] for row in rows]


def write(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """The lower-cased headers, then one line a row; a tab or a line break in a cell is
    a space, and control characters are shown as escapes (``tcrm.model.text.visible``)."""
    print(visible("\t".join(h.lower() for h in headers)))
    for row in rows:
        print(visible("\t".join(v.replace("\t", " ").replace("\n", " ") for v in row)))
