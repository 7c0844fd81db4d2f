"""A table of records grouped under headings (Overdue, Today, Tue 24 Nov...).

Built on ``RowsView``, so it renders only what is on screen however many rows there are;
headings and "none" lines are rows the cursor steps over. Each record row carries a
``Target``: what an action on that row is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tcrm.tui.widgets.rows import Col, Line, RowsView

Column = Col


@dataclass(frozen=True)
class Target:
    """The record a row stands for, and the clients and deals it is about."""

    kind: str
    id: str
    clients: tuple[str, ...] = ()
    deals: tuple[str, ...] = ()
    label: str = ""
    record: Any = field(default=None, compare=False, hash=False, repr=False)
    """The record itself, as loaded (a ``Task``, ``Deal``, ``Client``...)."""

    @property
    def client(self) -> str | None:
        return self.id if self.kind == "client" else (self.clients[0] if self.clients else None)


@dataclass
class Row:
    target: Target
    cells: list[str]
    tone: str | None = None
    """A tone for the whole row (see ``rows.TONES``): ``error`` for overdue..."""


@dataclass
class Section:
    id: str
    title: str
    rows: list[Row] = field(default_factory=list)
    empty: str = "none"
    tone: str | None = None


class SectionTable(RowsView):
    """Headed groups of rows; ``target`` is the record under the cursor (or ``None``)."""

    def __init__(self, columns: list[Col], *, id: str | None = None) -> None:
        super().__init__(columns, id=id)
        self.sections: list[Section] = []
        self.targets: dict[str, Target] = {}
        self.words: list[str] = []
        """The filter (``/``): only rows holding every word are shown (any case)."""

    def set_filter(self, words: list[str]) -> None:
        if words != self.words:
            self.words = words
            self.show(self.sections)

    def _matches(self, row: Row) -> bool:
        text = " ".join([*row.cells, row.target.id]).casefold()
        return all(w in text for w in self.words)

    def _heading(self, text: str) -> list[str]:
        """A heading in the wide column (the others blank), where titles are read."""
        flex = next((i for i, c in enumerate(self.columns) if c.width is None), 0)
        return [text if i == flex else "" for i in range(len(self.columns))]

    def show(self, sections: list[Section]) -> None:
        """Replace the rows, keeping the cursor on the same record when it is still there."""
        keep = self.current.key if self.current else None
        self.sections = sections
        self.targets = {}
        lines: list[Line] = []
        for section in sections:
            rows = [r for r in section.rows if self._matches(r)] if self.words else section.rows
            title = f"{section.title} ({len(rows)})" if rows else section.title
            tone = section.tone or "accent"
            lines.append(Line(f"h:{section.id}", self._heading(title), f"bold {tone}", False))
            if not rows:
                empty = "no match" if section.rows else section.empty
                lines.append(Line(f"e:{section.id}", self._heading(empty), "italic muted", False))
            for row in rows:
                key = f"{section.id}:{row.target.kind}:{row.target.id}"
                self.targets[key] = row.target
                lines.append(Line(key, row.cells, row.tone or ""))
        self.set_lines(lines, keep)

    @property
    def target(self) -> Target | None:
        line = self.current
        return self.targets.get(line.key) if line else None

    def select_target(self, kind: str, record_id: str) -> bool:
        for key, target in self.targets.items():
            if target.kind == kind and target.id == record_id:
                return self.select_key(key)
        return False
