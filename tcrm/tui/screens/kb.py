"""The knowledge base: the workspace's ``kb/*.md`` pages, browsable and searchable."""

from __future__ import annotations

from contextlib import suppress
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, MarkdownViewer, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from tcrm.services import kb
from tcrm.services.kb import KbHit, KbPage
from tcrm.tui.keys import bind
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.widgets.fields import TextField
from tcrm.tui.widgets.footer import KeyFooter
from tcrm.tui.widgets.nav import NavBar


class KbScreen(DataScreen):
    """Pages on the left (filtered by the search), the page on the right."""

    CSS_PATH = "kb.tcss"
    MODE = "kb"
    AUTO_FOCUS = "#kb-pages"
    PALETTE_NAME = "KB"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("filter", "Search"),
        bind("next-pane", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pages: list[KbPage] = []
        self.hits: list[KbHit] | None = None
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="kb-body"):
            with Vertical(id="kb-side"):
                yield TextField(placeholder="Search (/)", id="kb-search", compact=True)
                yield OptionList(id="kb-pages")
                yield Static("", id="kb-count", markup=False)
            yield MarkdownViewer("", id="kb-page", show_table_of_contents=False)
        yield NavBar(self.MODE)
        yield KeyFooter(compact=True)

    def fetch(self) -> list[KbPage]:
        return kb.list_pages(self.tcrm.ws)

    def show(self, data: list[KbPage]) -> None:
        self.pages = data
        self._search(self.query_one("#kb-search", Input).value)
        if self.current is None and data:
            self.open_page(data[0].name)
        elif self.current is not None:
            self.open_page(self.current)

    def _fill(self) -> None:
        options = self.query_one("#kb-pages", OptionList)
        options.clear_options()
        if self.hits is None:
            options.add_options([Option(Content(p.title), id=p.name) for p in self.pages])
            count = f"{len(self.pages)} pages in kb/"
        else:
            options.add_options(
                [
                    Option(
                        Content.assemble(
                            (h.page.title, "bold"),
                            f" ({h.count})\n",
                            (h.excerpt, "$text-muted"),
                        ),
                        id=h.page.name,
                    )
                    for h in self.hits
                ]
            )
            count = f"{len(self.hits)} of {len(self.pages)} pages match"
        self.query_one("#kb-count", Static).update(count)
        if self.current is not None:
            with suppress(OptionDoesNotExist):  # the open page may not match the search
                options.highlighted = options.get_option_index(self.current)

    def _search(self, text: str) -> None:
        self.hits = kb.search_pages(self.tcrm.ws, text=text) if text.strip() else None
        self._fill()

    def open_page(self, name: str) -> None:
        page = next((p for p in self.pages if p.name == name), None)
        if page is None:
            return
        self.current = name
        viewer = self.query_one("#kb-page", MarkdownViewer)
        viewer.document.update(page.text)
        viewer.scroll_home(animate=False)

    @on(Input.Changed, "#kb-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#kb-search")
    def _search_done(self) -> None:
        options = self.query_one("#kb-pages", OptionList)
        options.focus()
        if options.option_count:
            options.highlighted = 0
            first = options.get_option_at_index(0).id
            if first:
                self.open_page(first)

    @on(OptionList.OptionHighlighted, "#kb-pages")
    @on(OptionList.OptionSelected, "#kb-pages")
    def _page_chosen(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.current:
            self.open_page(event.option.id)

    def action_filter(self) -> None:
        self.query_one("#kb-search", Input).focus()

    def leave_filter(self) -> bool:
        """Escape in the search or over a searched list: clear the search."""
        search = self.query_one("#kb-search", Input)
        if not search.value and self.focused is not search:
            return False
        search.value = ""
        self.query_one("#kb-pages", OptionList).focus()
        return True

    def on_screen_resume(self) -> None:
        if self.focused is None:
            self.query_one("#kb-pages", OptionList).focus()
