"""A table that renders only the rows on screen (Textual's line API).

``DataTable`` measures every cell of every row it is given, so refilling it with 10,000
clients on each keystroke of a filter froze the screen for seconds. Here a row is a few
strings and a style until it scrolls into view: filling, filtering and sorting cost what
building the list costs, painting costs what is visible. One widget, whatever the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tcrm.model.text import visible


@dataclass(frozen=True)
class Col:
    """A column; its width comes from its rows, its importance and the screen's width.

    The title column (``width=None``) gets its room first: its text, up to half the
    table. The others then take what their text needs, up to ``width``; on a narrow
    screen they give way down to ``least``, the highest ``give`` first (tags and ids
    before dates). What is left goes to the title column again."""

    label: str
    width: int | None = None
    """At most this many cells; ``None`` for the one column that takes the room."""
    justify: str = "left"
    least: int | None = None
    """The fewest cells it keeps on a narrow screen (cut with an ellipsis); ``None``:
    as many as its text needs, up to ``width`` (it never gives way)."""
    give: int = 0
    """Order of giving way to the title column: higher gives first."""


TITLE_LEAST = 12
"""The title column never narrower than this while another column can still give way."""
MEASURED = 2000
"""Rows measured for the columns' widths (the first ones): enough to size a screen."""


def layout(columns: Sequence[Col], needs: Sequence[int], room: int) -> list[int]:
    """Each column's cells in ``room`` cells (after each column's two spaces of padding),
    given what each column's text needs (``needs``, header included)."""
    room = max(room - 2 * len(columns), 0)
    flex = next((i for i, c in enumerate(columns) if c.width is None), None)
    want = [
        min(need, c.width) if c.width is not None else need
        for c, need in zip(columns, needs, strict=True)
    ]
    floor = [
        min(want[i], c.least) if c.least is not None else want[i] for i, c in enumerate(columns)
    ]
    widths = list(floor)
    if flex is not None:
        widths[flex] = 0
        title_room = min(want[flex], max(room // 2, TITLE_LEAST))
        widths[flex] = max(min(title_room, room - sum(widths)), min(TITLE_LEAST, want[flex]))
    # the others grow back towards what their text needs, the most important first
    for i in sorted(range(len(columns)), key=lambda i: columns[i].give):
        if i != flex:
            widths[i] += max(min(want[i] - widths[i], room - sum(widths)), 0)
    if flex is not None:
        widths[flex] += max(room - sum(widths), 0)
    return widths


@dataclass(frozen=True)
class Line:
    key: str
    cells: Sequence[str]
    style: str = ""
    """The row's style: a tone of the theme (``error``, ``warning``, ``success``,
    ``accent``, ``muted``) and/or ``bold``, ``italic``."""
    selectable: bool = True
    cell_styles: Sequence[str] = ()
    """A style per cell, on top of the row's (``""`` for none)."""


def fit(text: str, width: int, justify: str = "left") -> str:
    """``text`` on one line in exactly ``width`` cells: cut with an ellipsis, or padded."""
    text = " ".join(text.split())
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - cell_len(text))
    return pad + text if justify == "right" else text + pad


TONES = ("error", "warning", "success", "accent", "muted")
"""Colours a row may take, by their meaning: the theme decides what they look like."""


class RowsView(ScrollView, can_focus=True):
    """Rows of cells under a fixed header; the cursor skips rows that are not selectable."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "rows-view--header",
        "rows-view--cursor",
        "rows-view--cursor-blurred",
        *(f"rows-view--{tone}" for tone in TONES),
    }
    DEFAULT_CSS = """
    RowsView {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    RowsView > .rows-view--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    RowsView > .rows-view--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    RowsView > .rows-view--cursor-blurred {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    RowsView > .rows-view--error { color: $error; }
    RowsView > .rows-view--warning { color: $warning; }
    RowsView > .rows-view--success { color: $success; }
    RowsView > .rows-view--accent { color: $accent; }
    RowsView > .rows-view--muted { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(-1)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    cursor: reactive[int] = reactive(0, init=False)

    class Selected(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, view: RowsView, key: str) -> None:
            super().__init__()
            self.view = view
            self.key = key

        @property
        def control(self) -> RowsView:
            return self.view

    class HeaderClicked(Message):
        def __init__(self, view: RowsView, column: int) -> None:
            super().__init__()
            self.view = view
            self.column = column

        @property
        def control(self) -> RowsView:
            return self.view

    def __init__(self, columns: Sequence[Col] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: list[Col] = list(columns)
        self.lines: list[Line] = []
        self._needs: list[int] = []
        """What each column's text needs, header included (``_measure``)."""
        self._widths: tuple[int, list[int]] | None = None
        """The widths last laid out, and for what room."""

    # --- content ----------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.lines)

    def set_columns(self, columns: Sequence[Col]) -> None:
        self.columns = list(columns)
        self._measure()
        self.refresh()

    def _measure(self) -> None:
        """What each column's text needs, from the header and the first rows (a column
        that reaches its ``width`` is not read further)."""
        columns = self.columns
        needs = [cell_len(c.label) for c in columns]
        caps = [c.width if c.width is not None else 1 << 16 for c in columns]
        open_ = [i for i in range(len(columns)) if needs[i] < caps[i]]
        for line in self.lines[:MEASURED]:
            if not line.selectable or not open_:
                continue
            cells = line.cells
            for i in open_:
                if i < len(cells):
                    needs[i] = max(needs[i], cell_len(cells[i]))
            open_ = [i for i in open_ if needs[i] < caps[i]]
        self._needs = needs
        self._widths = None

    def set_lines(self, lines: list[Line], keep: str | None = None) -> None:
        """Show ``lines``; the cursor stays on the row with key ``keep`` if it is there,
        else on the nearest selectable row."""
        self.lines = lines
        self._measure()
        self.virtual_size = Size(self._width(), len(lines) + 1)
        index = next((i for i, ln in enumerate(lines) if ln.key == keep), None) if keep else None
        target = index if index is not None else min(self.cursor, max(len(lines) - 1, 0))
        self._set_cursor(self._nearest(target, 1))
        self.refresh()

    @property
    def current(self) -> Line | None:
        if 0 <= self.cursor < len(self.lines) and self.lines[self.cursor].selectable:
            return self.lines[self.cursor]
        return None

    def select_key(self, key: str) -> bool:
        for index, line in enumerate(self.lines):
            if line.key == key and line.selectable:
                self._set_cursor(index)
                return True
        return False

    # --- geometry and painting ----------------------------------------------------------

    def _width(self) -> int:
        return max(self.scrollable_content_region.width, 1)

    def widths(self) -> list[int]:
        """Each column's cells, by importance (``layout``), for the width shown."""
        if not self.columns:
            return []
        if len(self._needs) != len(self.columns):
            self._measure()
        room = self._width()
        if self._widths is None or self._widths[0] != room:
            self._widths = (room, layout(self.columns, self._needs, room))
        return self._widths[1]

    def on_resize(self) -> None:
        self.virtual_size = Size(self._width(), len(self.lines) + 1)
        self._scroll_to_cursor()

    def _strip(
        self, cells: Sequence[str], style: Style, cell_styles: Sequence[Style | None] = ()
    ) -> Strip:
        segments = []
        for index, (text, width, col) in enumerate(
            zip(cells, self.widths(), self.columns, strict=False)
        ):
            extra = cell_styles[index] if index < len(cell_styles) else None
            cell_style = style + extra if extra else style
            shown = fit(visible(text), width, col.justify)  # escapes laid out as text
            segments.append(Segment(f" {shown} ", cell_style))
        return Strip(segments).crop_extend(0, self._width(), style)

    def render_line(self, y: int) -> Strip:
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("rows-view--header")
            return self._strip([c.label for c in self.columns], header)
        index = int(self.scroll_offset.y) + y - 1
        if not 0 <= index < len(self.lines):
            return Strip.blank(self._width(), base)
        line = self.lines[index]
        style = base + self._style(line.style) if line.style else base
        cell_styles = [self._style(s) if s else None for s in line.cell_styles]
        if index == self.cursor and line.selectable:
            name = "rows-view--cursor" if self.has_focus else "rows-view--cursor-blurred"
            style = style + self.get_component_rich_style(name)
            cell_styles = []  # the cursor's colours win
        return self._strip(line.cells, style, cell_styles)

    def _style(self, text: str) -> Style:
        """``"bold error"`` -> the theme's error colour, bold."""
        style = Style()
        for word in text.split():
            if word in TONES:
                style += self.get_component_rich_style(f"rows-view--{word}", partial=True)
            else:
                style += Style.parse(word)
        return style

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # --- the cursor ---------------------------------------------------------------------

    def _nearest(self, index: int, step: int) -> int:
        """The selectable row nearest ``index``, looking in direction ``step`` first."""
        for direction in (step, -step):
            i = index
            while 0 <= i < len(self.lines):
                if self.lines[i].selectable:
                    return i
                i += direction
        return 0

    def _set_cursor(self, index: int) -> None:
        if index != self.cursor:
            self.cursor = index
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        if not self.lines:
            return
        visible = max(self.scrollable_content_region.height - 1, 1)
        top = int(self.scroll_offset.y)
        first = self.cursor  # with the headings right above it, when they fit
        while (
            first > 0 and not self.lines[first - 1].selectable and self.cursor - first < visible - 1
        ):
            first -= 1
        if first < top:
            self.scroll_to(y=first, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def _move(self, index: int, step: int) -> None:
        index = max(0, min(index, len(self.lines) - 1))
        i = index
        while 0 <= i < len(self.lines) and not self.lines[i].selectable:
            i += step
        if 0 <= i < len(self.lines):
            self._set_cursor(i)
        elif step < 0:  # nothing selectable above: show the headings up there anyway
            self.scroll_to(y=0, animate=False)

    def action_cursor(self, step: int) -> None:
        self._move(self.cursor + step, step)

    def action_page(self, step: int) -> None:
        page = max(self.scrollable_content_region.height - 2, 1)
        self._move(self.cursor + step * page, step)

    def action_edge(self, step: int) -> None:
        self._move(0 if step < 0 else len(self.lines) - 1, -step)

    def action_select(self) -> None:
        line = self.current
        if line is not None:
            self.post_message(self.Selected(self, line.key))

    def watch_cursor(self) -> None:
        self.refresh()

    # --- the mouse ----------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        self.focus()
        if event.y == 0:
            x = 0
            for column, width in enumerate(self.widths()):
                x += width + 2
                if event.x < x:
                    self.post_message(self.HeaderClicked(self, column))
                    return
            return
        index = int(self.scroll_offset.y) + event.y - 1
        if 0 <= index < len(self.lines) and self.lines[index].selectable:
            self._set_cursor(index)
            if event.chain >= 2:
                self.action_select()
