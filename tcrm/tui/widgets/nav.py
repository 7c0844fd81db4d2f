"""The bar at the top of every screen: the screens with their keys, and the clock."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.widgets import Static

SCREENS = (
    ("today", "1", "Today"),
    ("pipeline", "2", "Pipeline"),
    ("clients", "3", "Clients"),
    ("tasks", "4", "Tasks"),
    ("kb", "5", "KB"),
    ("dashboard", "6", "Dashboard"),
)
"""(mode, key, label), in the order of the keys."""
BAR_LABELS = {"dashboard": "KPI"}
"""Shorter labels in the bar, so that it and the clock fit 80 columns."""


def nav_content(current: str, now: datetime | None, status: str = "") -> Content:
    """The screens as links (a click switches), the current one highlighted; then the
    clock, or what the app is busy with (a sync) in its place."""
    parts: list[Content] = []
    for mode, key, name in SCREENS:
        label = BAR_LABELS.get(mode, name)
        style = "reverse b" if mode == current else ""
        link = Content.from_markup(
            f"[{style} @click=app.show('{mode}')] {key} {label} [/]"
            if style
            else f"[@click=app.show('{mode}')] [b]{key}[/b] {label} [/]"
        )
        parts.append(link)
    bar = Content("").join(parts)
    if status:
        return bar + Content(" ") + Content.styled(status, "bold $warning")
    if now is not None:
        stamp = f"{now:%a} {now.day} {now:%b %Y %H:%M}"
        bar = bar + Content(" ") + Content.styled(stamp, "$text-muted")
    return bar


class NavBar(Static):
    """Clickable screen names; the screen that composes it says which one is current."""

    DEFAULT_CSS = """
    NavBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text;
    }
    """

    def __init__(self, current: str) -> None:
        super().__init__(id="nav")
        self.current = current

    def on_mount(self) -> None:
        self.refresh_clock()

    def refresh_clock(self) -> None:
        now = getattr(self.app, "now", None)
        status = str(getattr(self.app, "status_line", "") or "")
        self.update(nav_content(self.current, now() if callable(now) else None, status))
