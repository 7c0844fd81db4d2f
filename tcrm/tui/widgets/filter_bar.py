"""The filter of a list, entered with ``/``: letters typed there never reach the list's
one-letter keys. Enter keeps the filter and goes back to the list; Escape clears it."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from tcrm.tui.widgets.fields import TextField


class FilterBar(TextField):
    """Hidden until ``/``; visible while it holds a filter."""

    DEFAULT_CSS = """
    FilterBar { display: none; height: 1; border: none; padding: 0 1; }
    FilterBar.-open { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Clear filter", show=False),
    ]

    def __init__(
        self, *, id: str | None = None, placeholder: str = "Filter (Enter: keep, Esc: clear)"
    ) -> None:
        super().__init__(placeholder=placeholder, id=id, compact=True, select_on_focus=False)

    def start(self) -> None:
        self.add_class("-open")
        self.focus()

    def action_close(self) -> None:
        """Clear the filter and hide (the list gets the focus back through ``Changed``)."""
        self.value = ""
        self.remove_class("-open")
        self.screen.focus_next()

    def words(self) -> list[str]:
        return self.value.casefold().split()
