"""Clients: one virtualised table (10,000 rows are rows, not widgets); type to filter.

The rows come from ``clients.list_clients`` once per load; filtering and sorting then
happen in memory, so typing stays instant on a big workspace.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Input, Static

from tcrm.services import clients
from tcrm.services.clients import ClientSummary
from tcrm.tui.keys import bind
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.screens.forms import ActivityForm, ClientEditForm, ClientForm
from tcrm.tui.widgets.fields import TextField
from tcrm.tui.widgets.footer import KeyFooter
from tcrm.tui.widgets.nav import NavBar
from tcrm.tui.widgets.rows import Col, Line, RowsView


def _words(value: Any) -> str:
    """Every value in plain data, space-separated (a loop: it runs for every client)."""
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(str(item))
    return " ".join(out)


def _folded(name: str) -> str:
    """A sort key where É sorts with E: accents off, any case."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    ).casefold()


@dataclass(frozen=True)
class Entry:
    summary: ClientSummary
    haystack: str
    """Everything in the client's file, folded: what the filter searches."""
    folded: str
    """The name as it sorts (see ``_folded``)."""


def _by_name(line: Entry) -> tuple[str, str]:
    return (line.folded, line.summary.client.id)


def _by_contact(line: Entry) -> tuple[bool, float, str]:
    """Most recently contacted first; never contacted last."""
    last = line.summary.last_contact
    return (last is None, -last.timestamp() if last else 0.0, line.summary.client.id)


def _by_deals(line: Entry) -> tuple[int, str]:
    return (-line.summary.open_deals, line.folded)


def _by_status(line: Entry) -> tuple[str, str]:
    return (line.summary.client.status or "~", line.summary.client.id)


SORTS: dict[str, tuple[str, Callable[[Entry], Any]]] = {
    "name": ("name", _by_name),
    "contact": ("last contact", _by_contact),
    "deals": ("open deals", _by_deals),
    "status": ("status", _by_status),
}
COLUMNS = (
    ("name", Col("Name")),
    ("status", Col("Status", 12, least=8, give=1)),
    ("owner", Col("Owner", 6)),
    ("deals", Col("Deals", 5, "right")),
    ("contact", Col("Last contact", 12)),
    ("tags", Col("Tags", 30, least=4, give=3)),
    ("id", Col("Id", 40, least=8, give=2)),
)
WIDE = 120
"""From this width on, the id column is shown too."""
COLUMN_SORT = {"name": "name", "status": "status", "deals": "deals", "contact": "contact"}


class ClientsScreen(DataScreen):
    """Every client; Enter opens its card."""

    CSS_PATH = "clients.tcss"
    MODE = "clients"
    AUTO_FOCUS = "#clients-table"
    PALETTE_NAME = "Clients"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("filter"),
        bind("sort"),
        bind("new", "New client"),
        bind("edit"),
        bind("log-call"),
        bind("open-client", "Card", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.shown: list[Entry] = []
        self.column_keys: list[str] = [key for key, _ in COLUMNS if key != "id"]
        self.sort_key = "name"
        self.follow: str | None = None
        """A client to put the cursor on once it is shown (one just added)."""
        self._filter_timer: Any = None
        self._lines: dict[str, Line] = {}
        """Each client's row, built once per load (filtering only picks rows)."""

    def compose(self) -> ComposeResult:
        yield TextField(
            placeholder="/ to filter (name, email, tag, contact…)",
            id="client-filter",
            compact=True,
            select_on_focus=False,
        )
        yield RowsView(id="clients-table")
        yield Static("", id="clients-status", markup=False)
        yield NavBar(self.MODE)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self._layout()

    def table(self) -> RowsView:
        return self.query_one("#clients-table", RowsView)

    def _layout(self) -> None:
        """The name takes what the other columns leave; the id only on a wide screen."""
        width = self.table().size.width or self.app.size.width
        keys = [key for key, _ in COLUMNS if key != "id" or width >= WIDE]
        if keys == self.column_keys and self.table().columns:
            return
        self.column_keys = keys
        self._lines = {}  # rows built for other columns
        self.table().set_columns([col for key, col in COLUMNS if key in keys])
        if self.entries:
            self.apply()

    def on_resize(self) -> None:
        self._layout()

    # --- data ---------------------------------------------------------------------

    def fetch(self) -> list[Entry]:
        ws, now = self.tcrm.ws, self.tcrm.now()
        return [
            Entry(
                s,
                # the file's values as written (to_data's clean-up changes nothing searched)
                _words(s.client.model_dump(mode="json", exclude_none=True)).casefold()
                + " "
                + s.client.id,
                _folded(s.client.name),
            )
            for s in clients.list_clients(ws, now=now)
        ]

    def show(self, data: list[Entry]) -> None:
        self.entries = data
        self._lines = {}
        self.apply()

    def repaint(self) -> None:
        self.apply()

    def apply(self) -> None:
        """Filter, sort and show, keeping the cursor on the same client."""
        needle = self.query_one("#client-filter", Input).value.strip().casefold()
        words = needle.split()
        shown = [e for e in self.entries if all(w in e.haystack for w in words)]
        shown.sort(key=SORTS[self.sort_key][1])
        self.shown = shown
        keep, self.follow = self.follow or self.current_id(), None
        keys = self.column_keys
        lines = self._lines
        for entry in shown:
            if entry.summary.client.id not in lines:
                lines[entry.summary.client.id] = self._line(entry, keys)
        self.table().set_lines([lines[e.summary.client.id] for e in shown], keep)
        total = len(self.entries)
        label = SORTS[self.sort_key][0]
        what = f"{len(shown)} of {total} clients" if needle else f"{total} clients"
        self.query_one("#clients-status", Static).update(
            f"{what} · sorted by {label} · / filter · Enter: card"
        )

    @staticmethod
    def _line(entry: Entry, keys: list[str]) -> Line:
        s = entry.summary
        client = s.client
        last = f"{s.last_contact:%Y-%m-%d}" if s.last_contact else "never"
        cells = {
            "name": client.name,
            "status": client.status or "",
            "owner": client.owner or "",
            "deals": str(s.open_deals) if s.open_deals else "",
            "contact": last + ("!" if s.contact_due else ""),  # due for a call
            "tags": ", ".join(client.tags),
            "id": client.id,
        }
        styles = {"contact": "warning"} if s.contact_due else {}
        return Line(
            client.id,
            [cells[k] for k in keys],
            cell_styles=[styles.get(k, "") for k in keys],
        )

    def current_id(self) -> str | None:
        line = self.table().current
        return line.key if line else None

    # --- filtering ----------------------------------------------------------------

    @on(Input.Changed, "#client-filter")
    def _filter_changed(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        delay = 0.0 if len(self.entries) < 2000 else 0.1  # debounce on a big workspace
        self._filter_timer = self.set_timer(delay, self.apply) if delay else None
        if not delay:
            self.apply()

    @on(Input.Submitted, "#client-filter")
    def _filter_done(self) -> None:
        self.table().focus()

    def action_filter(self) -> None:
        self.query_one("#client-filter", Input).focus()

    def leave_filter(self) -> bool:
        """Escape in the filter or over a filtered list: clear the filter."""
        field = self.query_one("#client-filter", Input)
        if not field.value and self.focused is not field:
            return False
        field.value = ""
        self.table().focus()
        return True

    def action_sort(self) -> None:
        keys = list(SORTS)
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.apply()

    @on(RowsView.HeaderClicked, "#clients-table")
    def _header(self, event: RowsView.HeaderClicked) -> None:
        key = COLUMN_SORT.get(self.column_keys[event.column])
        if key:
            self.sort_key = key
            self.apply()

    # --- actions ------------------------------------------------------------------

    @on(RowsView.Selected, "#clients-table")
    def _selected(self, event: RowsView.Selected) -> None:
        event.stop()
        self.action_open_client()

    def action_open_client(self) -> None:
        client_id = self.current_id()
        if client_id:
            self.tcrm.open_client(client_id)

    def action_new(self) -> None:
        def added(client: Any) -> None:
            if client is not None:
                self.follow = client.id

        self.app.push_screen(ClientForm(), added)

    def action_edit(self) -> None:
        client_id = self.current_id()
        entry = next((e for e in self.entries if e.summary.client.id == client_id), None)
        if entry is not None:
            self.app.push_screen(ClientEditForm(entry.summary.client))

    def action_log_call(self) -> None:
        client_id = self.current_id()
        self.app.push_screen(ActivityForm(about=[client_id] if client_id else [], kind="call"))
