"""The consoles' side of the terminal: every text rich writes is shown, never obeyed.

Text from records may hold escape sequences, carriage returns, NUL or bidi overrides (see
``tcrm.model.text``). :func:`console` makes the rich ``Console`` behind :data:`out` and
:data:`err`, so every command's tables, show pages, messages, warnings and errors pass
through it, and a new command gets it without doing anything: strings are made visible
before rich lays them out (so columns keep their widths), and every segment is checked
again on its way out (for text handed to rich already built, e.g. a ``Text``).
"""

from __future__ import annotations

import functools
import os
import sys

from tcrm.model.text import UNSAFE, visible

TYPE_CHECKING = False  # a piped ``task list`` asks ``out.is_terminal``: no typing
if TYPE_CHECKING:
    from typing import Any

    from rich.console import Console


def console(**options: Any) -> Console:
    """A rich ``Console`` (``options`` as rich takes them) that never writes record text raw."""
    return _safe_console()(**options)


@functools.cache
def _safe_console() -> type[Console]:
    """The class, made on first use: rich is imported only when something is printed."""
    import threading
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


class LazyConsole:
    """A rich ``Console`` made on first use: piped output (tab-separated tables, JSON) and
    ``--version`` never need rich, which costs ~30 ms to import."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = console(**self._options)
        return self._console

    @property
    def is_terminal(self) -> bool:
        """rich's answer, without importing rich when it can only be False: the stream is no
        terminal and neither TTY_COMPATIBLE=1 nor FORCE_COLOR asks for one anyway."""
        if self._console is None and not _forced_terminal():
            stream = sys.stderr if self._options.get("stderr") else sys.stdout
            isatty = getattr(stream, "isatty", None)
            try:
                if isatty is None or not isatty():
                    return False
            except ValueError:
                return False
        return self.console.is_terminal

    def print(self, *objects: Any, markup: bool | None = None, **options: Any) -> None:
        """``Console.print``; plain text to a pipe is written as it is, without rich (which
        would only drop the style, and would turn ``:fire:`` in a title into an emoji)."""
        plain = markup is False or not objects
        if plain and self._console is None and all(type(o) is str for o in objects):
            allowed = {"style", "highlight", "end"}
            if allowed.issuperset(options) and not self.is_terminal:
                stream = sys.stderr if self._options.get("stderr") else sys.stdout
                stream.write(visible(" ".join(objects)) + options.get("end", "\n"))
                return
        self.console.print(*objects, markup=markup, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)

    # rich's Live (progress bars) enters its console as a context manager
    def __enter__(self) -> Console:
        return self.console.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.console.__exit__(*exc)


def _forced_terminal() -> bool:
    return os.environ.get("TTY_COMPATIBLE") == "1" or bool(os.environ.get("FORCE_COLOR"))


out: Console = LazyConsole(soft_wrap=True)  # type: ignore[assignment]
"""Data goes to stdout; rich drops colours and decorations when it is not a terminal."""

err: Console = LazyConsole(stderr=True, soft_wrap=True, highlight=False)  # type: ignore[assignment]


def is_tty() -> bool:
    return sys.stdout.isatty()


def write_bytes(data: bytes) -> None:
    """``data`` to stdout as it is (a calendar's CRLF line ends, a file's encoding), not
    re-encoded by a text layer; a text-only stdout (tests, embedding) gets it decoded."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()
