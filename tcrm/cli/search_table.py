"""The search table's columns, rows and notes (``tcrm search``).

Apart from the Typer command because the early path of ``tcrm search``
(``tcrm.cli.early_path``, before Typer and pydantic are imported) prints the same table
and the same notes from index rows. The standard library only.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no typing at run time: a piped ``search`` prints with this
if TYPE_CHECKING:
    from tcrm.cli.render import Role
    from tcrm.services.search_selection import SearchResult

DEFAULT_LIMIT = 50
"""How many hits ``tcrm search`` shows without ``--limit``."""

SEARCH_COLUMNS = ["Kind", "Id", "Name", "Field", "Match"]
ROLES: dict[str, Role] = {"Field": "extra", "Match": "text"}
"""What a column gives up on a narrow terminal (``tcrm.cli.render.Role``), by header."""


def search_rows(result: SearchResult) -> list[list[str]]:
    """The hits, grouped by kind (the group with the best hit first)."""
    return [
        [hit.kind, hit.id, hit.label, hit.field, hit.value]
        for _, hits in result.groups()
        for hit in hits
    ]


def no_matches(result: SearchResult) -> str:
    return f"No matches for {result.query!r}."


def more_note(result: SearchResult) -> str | None:
    """What the table leaves out, when the limit cut it."""
    if result.total > len(result.hits):
        return f"Showing the best {len(result.hits)} of {result.total}; --limit 0 shows all."
    return None
