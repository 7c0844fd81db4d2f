"""The key bar under every screen: Textual's ``Footer``, rebuilt only when what it shows
changes.

Textual's footer throws its keys away and builds them again on every signal that the
screen's bindings may have changed (each focus move, each screen shown): a few dozen
widgets mounted and styled each time, most often to show the very same keys. This one
remembers what it last built from and skips the rebuild when that is unchanged.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """A ``Footer`` that rebuilds its keys only when the keys it would show differ."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built_from: tuple[Any, ...] | None = None

    def shown_keys(self, screen: Screen[Any]) -> tuple[Any, ...]:
        """Everything the footer's keys are built from: each active binding (key,
        description, action, group...), whether it is enabled, its tooltip, how its key
        is displayed, and the command palette's key."""
        app = screen.app
        return (
            tuple(
                (key, binding, enabled, tooltip, app.get_key_display(binding))
                for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
            ),
            self.show_command_palette,
            app.ENABLE_COMMAND_PALETTE,
            app.COMMAND_PALETTE_BINDING,
        )

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # no rebuild: nothing to remember
            return
        shown = self.shown_keys(screen)
        if shown == self._built_from:
            return
        self._built_from = shown
        super().bindings_changed(screen)
