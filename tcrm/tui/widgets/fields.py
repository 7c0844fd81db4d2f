"""Inputs that behave in tests and snapshots: no blinking cursor when the app is quiet."""

from __future__ import annotations

from textual.widgets import Input


class TextField(Input):
    """An ``Input`` whose cursor does not blink in a quiet app (tests, snapshots)."""

    def on_mount(self) -> None:
        if getattr(self.app, "quiet", False):
            self.cursor_blink = False
