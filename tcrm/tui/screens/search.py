"""Global search (``g``): clients, contact people, deals, tasks, activities and kb pages as
you type, ranked by ``search.search`` (what ``tcrm search`` prints); Enter opens one.

A sub-screen over the screen it was opened from: Escape goes back there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from tcrm.errors import TcrmError
from tcrm.services import search
from tcrm.services.search import Hit
from tcrm.tui.widgets.fields import TextField
from tcrm.tui.widgets.footer import KeyFooter
from tcrm.tui.widgets.rows import Col, Line, RowsView

if TYPE_CHECKING:
    from tcrm.tui.app import TcrmApp

LIMIT = 200
COLUMNS = (Col("Kind", 9), Col("Found"), Col("Where", 40, least=12, give=1))


class SearchScreen(Screen[None]):
    """One field, the ranked hits under it."""

    AUTO_FOCUS = "#search-text"
    PALETTE_NAME = "Search"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "results", "Results", show=False),
    ]
    DEFAULT_CSS = """
    SearchScreen #search-text { height: 1; margin: 0 1; }
    SearchScreen #search-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[Hit] = []
        self.searched = ""
        self._timer: Any = None

    @property
    def tcrm(self) -> TcrmApp:
        return cast("TcrmApp", self.app)

    def compose(self) -> ComposeResult:
        yield TextField(placeholder="Search everything (Enter: results)", id="search-text")
        yield RowsView(list(COLUMNS), id="search-hits")
        yield Static("Type to search", id="search-status", markup=False)
        yield KeyFooter(compact=True)

    @on(Input.Changed, "#search-text")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.15, lambda: self._search(event.value))

    @work(thread=True, exclusive=True, group="search")
    def _search(self, text: str) -> None:
        if not text.strip():
            self.app.call_from_thread(self._show, text, [], 0)
            return
        try:
            result = search.search(self.tcrm.ws, text=text, limit=LIMIT)
        except TcrmError as exc:
            self.app.call_from_thread(self._say, str(exc))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, text, result.hits, result.total)

    def _say(self, text: str) -> None:
        self.query_one("#search-status", Static).update(text)

    def _show(self, text: str, hits: list[Hit], total: int) -> None:
        self.searched = text
        self.hits = hits
        lines = [
            Line(
                str(index),
                [hit.kind, hit.label, f"{hit.field}: {hit.value}" if hit.field else hit.value],
            )
            for index, hit in enumerate(hits)
        ]
        self.query_one(RowsView).set_lines(lines)
        more = f" (first {len(hits)})" if total > len(hits) else ""
        self._say(f"{total} found{more} · Enter opens" if text.strip() else "Type to search")

    @on(Input.Submitted, "#search-text")
    def action_results(self) -> None:
        if self.hits:
            self.query_one(RowsView).focus()

    @on(RowsView.Selected)
    def _chosen(self, event: RowsView.Selected) -> None:
        event.stop()
        line = self.query_one(RowsView).current
        if line is not None:
            self.open_hit(self.hits[int(line.key)])

    def open_hit(self, hit: Hit) -> None:
        """A kb page on the KB screen; anything else on its client's card."""
        if hit.kind == "kb":
            from tcrm.tui.screens.kb import KbScreen

            self.tcrm.action_show("kb")
            kb = self.app.screen
            if isinstance(kb, KbScreen):
                kb.current = hit.id
                kb.open_page(hit.id)
            return
        client = hit.id if hit.kind in ("client", "contact") else next(iter(hit.clients), None)
        if client is None:
            self.notify(f"{hit.label}: not about a client", severity="warning", markup=False)
            return
        self.tcrm.open_client(client)
