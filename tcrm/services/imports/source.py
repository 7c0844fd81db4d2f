"""What the front end hands over: a format-free ``Source`` of rows, and the error an
import raises when rows cannot be imported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tcrm.errors import Problem, ValidationError
from tcrm.services.import_values import NewValue

Progress = Callable[[int, int], None]
ON_DUPLICATE = ("skip", "update", "create")


# --- what the front end hands over -------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """One row (or vCard) as read: its number as a person would find it, and its cells.

    A cell is text, or a list of texts where the format has several values (vCard EMAIL).
    """

    number: int
    values: Sequence[str | list[str]]


@dataclass
class Source:
    """A parsed input file: what the service needs, and nothing about its syntax."""

    name: str
    headers: list[str]
    rows: list[SourceRow]
    unit: str = "row"
    """How a problem names a row: ``row 7`` (a spreadsheet's row number) or ``card 3``."""
    column_word: str = "column"
    canonical: bool = False
    """Headers are already field names (a vCard reader's output): no recognition."""
    problems: list[tuple[int, str]] = field(default_factory=list)
    """``(row number, message)`` the reader found: a row with more cells than headers."""


class ImportProblems(ValidationError):
    """Rows that cannot be imported: each names its row and column.

    Values outside tcrm.yaml's lists are not among ``problems`` (a line per row would
    bury the rest): ``new_values`` lists each once, with how many rows hold it.
    """

    def __init__(
        self, problems: list[Problem], *, new_values: Sequence[NewValue] = (), rows: int = 0
    ) -> None:
        self.new_values = list(new_values)
        self.rows = rows or len({p.path.split(",")[0] for p in problems})
        super().__init__(problems or [Problem("", None, f"{self.rows:,} invalid rows")])
        self.problems = problems
