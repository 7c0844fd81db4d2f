"""The TUI's side of the terminal: every line Textual paints is shown, never obeyed.

Text from records may hold escape sequences, carriage returns, NUL or bidi overrides (see
``tcrm.model.text``), and Textual writes a widget's text to the terminal as it is (it drops
only BEL, BS, VT, FF and CR). :class:`VisibleText` is a line filter the app applies to
every line of every widget (``TcrmApp.get_line_filters``), so a new screen or widget gets
it without doing anything. Widgets that lay out record text (``RowsView``, ``clip``) make
it visible first too, so their columns keep their widths.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from tcrm.model.text import UNSAFE, visible


class VisibleText(LineFilter):
    """Each unsafe character of a painted line as its escape (``\\x1b``, ``\\u202e``); the
    line keeps the cell length Textual laid it out with (cut if the escapes made it wider)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(s.control is None and UNSAFE.search(s.text) for s in segments):
            return segments
        length = sum(cell_len(s.text) for s in segments if s.control is None)
        shown = [
            Segment(visible(s.text), s.style, s.control) if s.control is None else s
            for s in segments
        ]
        return list(Segment.adjust_line_length(shown, length))
