"""The client card: details and contacts, deals, open tasks, and one timeline that mixes
the logged activities with the git history of the client's file (who changed what, when).

The card comes from ``clients.client_card``; the history from ``history.history`` (the
audit log of ``tcrm history``), read in its own worker because it walks every commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Static
from textual.worker import get_current_worker

from tcrm.errors import TcrmError
from tcrm.model.due import aware, is_overdue
from tcrm.model.money import money_text
from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.model.words import plural
from tcrm.services import clients, history
from tcrm.services.history import HistoryEntry, change_text
from tcrm.services.mail_threads import arrow
from tcrm.tui.format import clip, moment
from tcrm.tui.format import due as due_text
from tcrm.tui.keys import bind
from tcrm.tui.screens.actions import RecordActions
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.screens.forms import (
    ActivityEditForm,
    ActivityForm,
    ClientEditForm,
    DealEditForm,
    DealForm,
    TaskEditForm,
    TaskForm,
)
from tcrm.tui.widgets.filter_bar import FilterBar
from tcrm.tui.widgets.footer import KeyFooter
from tcrm.tui.widgets.nav import NavBar
from tcrm.tui.widgets.rows import RowsView
from tcrm.tui.widgets.section_table import Column, Row, Section, SectionTable, Target

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class CardData:
    now: datetime
    card: clients.ClientCard


def _changes(entry: HistoryEntry) -> str:
    names = list(dict.fromkeys(c.field.split(".")[0].split("[")[0] for c in entry.changes))
    if entry.action == "add":
        return "created"
    if not names:
        return entry.action
    return ", ".join(names[:4]) + (" …" if len(names) > 4 else "")


def details(client: Client) -> str:
    lines = [f"{client.type} · {client.status or 'no status'} · owner {client.owner or '-'}"]
    for label, value in (
        ("web", client.website),
        ("email", ", ".join(client.emails)),
        ("phone", ", ".join(client.phones)),
        ("address", client.address),
        ("source", " · ".join(v for v in (client.source, client.region) if v)),
        ("tags", ", ".join(client.tags)),
        (
            "cadence",
            f"every {plural(client.cadence_days, 'day', grouped=False)}"
            if client.cadence_days
            else "",
        ),
    ):
        if value:
            lines.append(f"{label}: {value}")
    if client.notes:
        lines.append("notes: " + " ".join(client.notes.split()))
    return "\n".join(lines)


def contacts(client: Client) -> str:
    if not client.contacts:
        return "Contacts: none yet (e: add one)"
    lines = ["Contacts"]
    for person in client.contacts:
        role = f", {person.role}" if person.role else ""
        reach = ", ".join([*person.emails, *person.phones])
        lines.append(f"• {person.name}{role}" + (f" · {reach}" if reach else ""))
    return "\n".join(lines)


COLUMNS = [Column("When", 16), Column("What"), Column("Who", 12, least=6, give=1)]


class ClientCardScreen(RecordActions, DataScreen):
    """One client, everything linked to it; Escape goes back to where it was opened."""

    CSS_PATH = "client_card.tcss"
    MODE = "clients"
    AUTO_FOCUS = "#card-table"
    PALETTE_NAME = "Client"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("edit", "Edit client"),
        bind("log-call"),
        bind("new", "New task"),
        bind("new-deal"),
        bind("filter"),
        bind("done", show=False),
        bind("snooze", show=False),
        bind("reschedule", show=False),
    ]

    def __init__(self, client_id: str, *, origin: str = "clients") -> None:
        super().__init__()
        self.client_id = client_id
        self.origin = origin
        """The mode the card was opened from: Escape returns there."""
        self.data: CardData | None = None
        self.history: list[HistoryEntry] | None = None

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="card-title", markup=False)
        with Horizontal(id="card-top"):
            yield Static("", id="card-details", markup=False)
            yield Static("", id="card-contacts", markup=False)
        yield SectionTable(COLUMNS, id="card-table")
        yield FilterBar(id="card-filter")
        yield NavBar(self.MODE)
        yield KeyFooter(compact=True)

    def fetch(self) -> CardData:
        ws, now = self.tcrm.ws, self.tcrm.now()
        return CardData(now, clients.client_card(ws, ref=self.client_id, now=now))

    def show(self, data: CardData) -> None:
        self.data = data
        self.repaint()
        self._load_history()

    @work(thread=True, exclusive=True, group="history")
    def _load_history(self) -> None:
        """The git history of the client's file (slow on a long history: a worker)."""
        ws, now = self.tcrm.ws, self.tcrm.now()
        try:
            entries = history.history(ws, ref=f"clients/{self.client_id}.yaml", now=now)
        except TcrmError:
            entries = []
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._history_loaded, entries[:HISTORY_LIMIT])

    def _history_loaded(self, entries: list[HistoryEntry]) -> None:
        self.history = entries
        self.repaint()

    def failed(self, error: TcrmError) -> None:
        self.query_one("#card-title", Static).update(str(error))

    def repaint(self) -> None:
        if self.data is None:
            return
        card, now = self.data.card, self.data.now
        client = card.client
        contact = (
            f"last contact {card.days_since_contact}d ago"
            if card.days_since_contact is not None
            else "never contacted"
        )
        due = " · due for a call" if card.contact_due else ""
        self.query_one("#card-title", Static).update(
            f"{client.name} ({client.id}) · {contact}{due}"
        )
        self.query_one("#card-details", Static).update(details(client))
        self.query_one("#card-contacts", Static).update(contacts(client))
        self.query_one(SectionTable).show(
            [
                Section(
                    "deals",
                    "Open deals",
                    [self._deal_row(d) for d in card.open_deals],
                    "no open deal (D: new deal)",
                ),
                Section(
                    "tasks",
                    "Open tasks",
                    [self._task_row(t, now) for t in card.tasks],
                    "nothing to do (n: new task)",
                ),
                Section(
                    "timeline",
                    "Timeline",
                    self._timeline(card, now),
                    "nothing logged yet (c: log a call)",
                ),
                *self._mail_section(card),
                Section(
                    "closed", "Closed deals", [self._deal_row(d) for d in card.closed_deals], "none"
                ),
            ]
        )

    def _deal_row(self, deal: Deal) -> Row:
        currency = deal.currency or self.tcrm.ws.settings.currency
        amount = money_text(deal.amount, currency) if deal.amount is not None else ""
        state = deal.stage if deal.status == "open" else f"{deal.status} {deal.closed or ''}"
        when = f"close {deal.close_date}" if deal.close_date and deal.status == "open" else ""
        what = " · ".join(v for v in (deal.title, state, amount) if v)
        return Row(
            Target("deal", deal.id, (deal.client,), (deal.id,), deal.title, deal),
            [when, what, deal.owner or ""],
        )

    def _mail_section(self, card: clients.ClientCard) -> list[Section]:
        """The card's mail threads; no section at all for a client with no filed mail."""
        if not card.mail_threads:
            return []
        return [Section("mail", "Mail threads", self._mail_rows(card), "")]

    def _mail_rows(self, card: clients.ClientCard) -> list[Row]:
        """One row per message, grouped by thread: its first message by subject, the
        replies indented under it, the most recently active thread first."""
        rows = []
        for thread in card.mail_threads:
            for position, activity in enumerate(thread.messages):
                what = f"{arrow(activity)} {activity.summary}"
                what = what if position == 0 else f"  ↳ {what}"
                sender = activity.mail.sender if activity.mail else ""
                rows.append(
                    Row(
                        Target(
                            "activity",
                            activity.id,
                            tuple(activity.clients),
                            tuple(activity.deals),
                            activity.summary,
                            activity,
                        ),
                        [moment(activity.at), what, sender or ""],
                    )
                )
        return rows

    def _task_row(self, task: Task, now: datetime) -> Row:
        overdue = is_overdue(task, self.tcrm.ws.settings, now)
        return Row(
            Target("task", task.id, tuple(task.clients), tuple(task.deals), task.title, task),
            [due_text(task, now.date()), task.title, task.assignee or ""],
            "error" if overdue else None,
        )

    def _timeline(self, card: clients.ClientCard, now: datetime) -> list[Row]:
        items: list[tuple[datetime, Row]] = []
        for activity in card.activities:
            what = f"{activity.kind} {arrow(activity)}".rstrip() + f": {activity.summary}"
            if activity.outcome:
                what += f" → {activity.outcome}"
            items.append(
                (
                    aware(activity.at, now.tzinfo),
                    Row(
                        Target(
                            "activity",
                            activity.id,
                            tuple(activity.clients),
                            tuple(activity.deals),
                            activity.summary,
                            activity,
                        ),
                        [moment(activity.at), what, activity.author or ""],
                    ),
                )
            )
        for entry in self.history or []:
            what = f"⎇ {clip(entry.subject, 60)} ({_changes(entry)})"
            items.append(
                (
                    entry.when,
                    Row(
                        Target("commit", entry.commit, (self.client_id,), (), entry.subject, entry),
                        [moment(entry.when), what, entry.author],
                        "muted",
                    ),
                )
            )
        items.sort(key=lambda item: item[0], reverse=True)
        return [row for _, row in items]

    # --- actions ------------------------------------------------------------------

    def action_edit(self) -> None:
        if self.data is not None:
            self.app.push_screen(ClientEditForm(self.data.card.client))

    def action_log_call(self) -> None:
        target = self.target()
        about = list(target.deals) if target is not None and target.deals else [self.client_id]
        self.app.push_screen(ActivityForm(about=about, kind="call"))

    def action_new(self) -> None:
        self.app.push_screen(TaskForm(client=self.client_id))

    def action_new_deal(self) -> None:
        self.app.push_screen(DealForm(client=self.client_id))

    @on(RowsView.Selected)
    def _selected(self, event: RowsView.Selected) -> None:
        event.stop()
        target = self.target()
        record: Any = target.record if target else None
        if isinstance(record, Task):
            self.app.push_screen(TaskEditForm(record))
        elif isinstance(record, Deal):
            self.app.push_screen(DealEditForm(record))
        elif isinstance(record, Activity):
            self.app.push_screen(ActivityEditForm(record))
        elif isinstance(record, HistoryEntry):
            changes = "; ".join(change_text(c, "→") for c in record.changes[:6])
            self.notify(
                changes or record.subject,
                title=f"{record.commit[:8]} {record.author}",
                markup=False,
                timeout=10,
            )

    def on_screen_resume(self) -> None:
        self.query_one(SectionTable).focus()
