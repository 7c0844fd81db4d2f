"""The consoles' side of the terminal: every text rich writes is shown, never obeyed.

Text from records may hold escape sequences, carriage returns, NUL or bidi overrides (see
``tcrm.model.text``). :func:`console` makes the rich ``Console`` behind ``state.out`` and
``state.err``, so every command's tables, show pages, messages, warnings and errors pass
through it, and a new command gets it without doing anything: strings are made visible
before rich lays them out (so columns keep their widths), and every segment is checked
again on its way out (for text handed to rich already built, e.g. a ``Text``).
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from tcrm.model.text import UNSAFE, visible

if TYPE_CHECKING:
    from rich.console import Console


def console(**options: Any) -> Console:
    """A rich ``Console`` (``options`` as rich takes them) that never writes record text raw."""
    return _safe_console()(**options)


@functools.cache
def _safe_console() -> type[Console]:
    """The class, made on first use: rich is imported only when something is printed."""
    from collections.abc import Iterable, Iterator

    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.segment import Segment
    from rich.text import Text

    class SafeConsole(Console):
        _outer = threading.local()
        """Set while the outermost ``render`` runs: rich renders a table's cells (and
        their text) through ``render`` too, and each segment needs checking once."""

        def render_str(self, text: str, **options: Any) -> Text:
            return super().render_str(visible(text), **options)

        def render(
            self, renderable: RenderableType, options: ConsoleOptions | None = None
        ) -> Iterable[Segment]:
            if getattr(self._outer, "active", False):  # a cell of a table, say: as rich does
                return super().render(renderable, options)
            return self._checked(super().render(renderable, options))

        def _checked(self, segments: Iterable[Segment]) -> Iterator[Segment]:
            self._outer.active = True
            try:
                for segment in segments:
                    if segment.control is None and UNSAFE.search(segment.text):
                        yield Segment(visible(segment.text), segment.style)
                    else:
                        yield segment
            finally:
                self._outer.active = False

    return SafeConsole
