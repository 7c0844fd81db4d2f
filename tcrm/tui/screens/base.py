"""What every data screen shares: load through services in a thread, show, reload.

A screen never reads files itself: ``fetch`` calls services (in a worker thread, so a big
workspace never freezes the UI) and ``show`` paints what they returned. The app marks
screens stale after a change; a stale screen reloads when it is shown again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from tcrm.errors import Problem, TcrmError, skipped_summary
from tcrm.services.records import skipped_records
from tcrm.tui.widgets.filter_bar import FilterBar
from tcrm.tui.widgets.nav import NavBar
from tcrm.tui.widgets.section_table import SectionTable

if TYPE_CHECKING:
    from tcrm.tui.app import TcrmApp


class SkippedBanner(Static):
    """Records the screen's reads left out because they cannot be read, and where."""

    DEFAULT_CSS = """
    SkippedBanner {
        dock: top;
        height: auto;
        padding: 0 1;
        background: $warning 30%;
        color: $text;
    }
    """


class DataScreen(Screen[None]):
    """A screen whose content comes from services; reloads itself when stale."""

    MODE = ""
    """The app mode this screen is the base of (shown as current in the nav bar)."""

    class Ready(Message):
        """The screen has painted data (first load or reload)."""

        def __init__(self, screen: DataScreen) -> None:
            super().__init__()
            self.data_screen = screen

    def __init__(self) -> None:
        super().__init__()
        self.stale = True
        self.loaded = False
        self.loads = 0
        """How many times data was painted (tests and the benchmark wait on it)."""

    @property
    def tcrm(self) -> TcrmApp:
        return cast("TcrmApp", self.app)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Any) -> None:
        if self.loaded:
            self.repaint()

    def on_screen_resume(self) -> None:
        for nav in self.query(NavBar):
            nav.refresh_clock()
        if self.stale:
            self.reload()

    def reload(self) -> None:
        self.stale = False
        self._load()

    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        worker = get_current_worker()
        try:
            data = self.fetch()
        except TcrmError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self.failed, exc)
            return
        skipped = skipped_records(self.tcrm.ws)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._painted, data, skipped)

    def _painted(self, data: Any, skipped: list[Problem] | None = None) -> None:
        self.show(data)
        self.show_skipped(skipped or [])
        self.loaded = True
        self.loads += 1
        self.post_message(self.Ready(self))

    def show_skipped(self, problems: list[Problem]) -> None:
        """A banner naming the records that could not be read (none: no banner), as the
        CLI warns on stderr: the screen may be missing them."""
        banners = self.query(SkippedBanner)
        if not problems:
            banners.remove()
            return
        text = f"Warning: {skipped_summary(problems)}"
        if banners:
            banners.first().update(text)
        else:
            self.mount(SkippedBanner(text, id="skipped-banner", markup=False))

    # --- the filter (``/``) ----------------------------------------------------------

    def action_filter(self) -> None:
        for bar in self.query(FilterBar):
            bar.start()

    def leave_filter(self) -> bool:
        """Clear an active filter (Escape on the list); ``False`` when there was none."""
        for bar in self.query(FilterBar):
            if bar.value or bar.has_class("-open"):
                bar.action_close()
                return True
        return False

    def filter_changed(self, words: list[str]) -> None:
        """Show only what matches ``words`` (the screen's tables by default)."""
        for table in self.query(SectionTable):
            table.set_filter(words)

    @on(Input.Changed, "FilterBar")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.filter_changed(event.value.casefold().split())

    @on(Input.Submitted, "FilterBar")
    def _filter_kept(self, event: Input.Submitted) -> None:
        bar = event.input
        if not bar.value:
            bar.remove_class("-open")
        self.focus_next()

    def fetch(self) -> Any:
        """Call the services (in a worker thread); return what ``show`` needs."""
        raise NotImplementedError

    def show(self, data: Any) -> None:
        """Paint ``data`` (on the UI thread)."""
        raise NotImplementedError

    def repaint(self) -> None:
        """Paint again from what was last shown (after a theme change)."""

    def failed(self, error: TcrmError) -> None:
        self.notify(str(error), title="Cannot load", severity="error", markup=False)
