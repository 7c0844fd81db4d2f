"""Today: what needs doing now, as ``tcrm today`` computes it, plus the coming week.

Sections: open merge conflicts (only when a sync left some), overdue (highlighted),
today, upcoming (the next 7 days), reminders that are due, rotting deals, and clients
not contacted for longer than their cadence.

It paints in two steps: the tasks (``tasks.list_tasks --week``: overdue, today and
upcoming) as soon as they are read, then the planner's reminders, rotting deals and
clients to contact (``planner.agenda``), which need every deal, client and activity.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static
from textual.worker import get_current_worker

from tcrm.model.due import TaskItem, assignee_today
from tcrm.model.money import money_text
from tcrm.model.records import Task
from tcrm.model.words import plural
from tcrm.services import planner, tasks
from tcrm.services.conflicts import side_text
from tcrm.tui.format import due as due_text
from tcrm.tui.keys import bind
from tcrm.tui.screens.actions import RecordActions
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.widgets.filter_bar import FilterBar
from tcrm.tui.widgets.footer import KeyFooter
from tcrm.tui.widgets.nav import NavBar
from tcrm.tui.widgets.rows import RowsView
from tcrm.tui.widgets.section_table import Column, Row, Section, SectionTable, Target


@dataclass(frozen=True)
class TodayData:
    now: datetime
    week: list[TaskItem]
    """Open tasks overdue or due within the week, in the planner's order."""
    agenda: planner.Agenda | None
    """``None`` until the planner's sections are read."""

    def state(self, name: str) -> list[TaskItem]:
        return [e for e in self.week if e.state == name]


def task_target(task: Task) -> Target:
    return Target("task", task.id, tuple(task.clients), tuple(task.deals), task.title, task)


def task_row(entry: TaskItem, today: date, tone: str | None = None) -> Row:
    task = entry.task
    return Row(
        task_target(task),
        [due_text(task, today), task.title, ", ".join(task.clients), task.assignee or ""],
        tone,
    )


COLUMNS = [
    Column("When", 16),
    Column("What"),
    Column("Client", 40, least=10, give=1),
    Column("Who", 6),
]
PAINT_WAIT = 2.0
"""Seconds the planner waits for the tasks to be on screen before it starts."""


class TodayScreen(RecordActions, DataScreen):
    """The morning view; each action is one key."""

    CSS_PATH = "today.tcss"
    MODE = "today"
    AUTO_FOCUS = "#today-table"
    PALETTE_NAME = "Today"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("done"),
        bind("snooze"),
        bind("reschedule"),
        bind("log-call"),
        bind("open-client"),
        bind("new", "New task"),
        bind("edit", show=False),
        bind("filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.first_paints = 0
        """Paints of the tasks alone (before the planner's sections); the benchmark's
        "first paint"."""
        self.first_painted_at: tuple[float, float] | None = None
        """``(time.perf_counter(), time.time())`` when the tasks were first on screen: the
        benchmark reads the moment here, since its own polling may wake up later."""
        self._task_sections: tuple[TodayData, list[Section]] | None = None
        """The task sections last built, and from what: the planner's second paint
        shows the same tasks, so their thousands of rows are not built twice."""

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="today-title", markup=False)
        yield SectionTable(COLUMNS, id="today-table")
        yield FilterBar(id="today-filter")
        yield NavBar(self.MODE)
        yield KeyFooter(compact=True)

    def fetch(self) -> TodayData:
        ws, now = self.tcrm.ws, self.tcrm.now()
        week = tasks.list_tasks(ws, now=now, week=True)
        worker = get_current_worker()
        if not worker.is_cancelled:  # the tasks first: they are what the morning is about
            painted = threading.Event()
            self.app.call_from_thread(self._show_tasks, TodayData(now, week, None), painted)
            # the planner's work would hold the GIL while the UI thread draws: wait for it
            painted.wait(timeout=PAINT_WAIT)
        return TodayData(now, week, planner.agenda(ws, now=now))

    def _show_tasks(self, data: TodayData, painted: threading.Event) -> None:
        self.show(data)
        self.call_after_refresh(self._tasks_painted, painted)

    def _tasks_painted(self, painted: threading.Event) -> None:
        if self.first_painted_at is None:
            self.first_painted_at = (time.perf_counter(), time.time())
        self.first_paints += 1
        painted.set()

    def show(self, data: TodayData) -> None:
        self.data = data
        self.repaint()

    def repaint(self) -> None:
        data = self.data
        plan, now = data.agenda, data.now
        settings = self.tcrm.ws.settings
        task_sections = self._tasks(data)
        overdue, due_today = len(task_sections[0].rows), len(task_sections[1].rows)
        self.query_one("#today-title", Static).update(
            f"{settings.name} · {now:%A} {now.day} {now:%B %Y} · "
            f"{overdue} overdue, {due_today} due today"
        )
        waiting = "loading…"
        conflicts = self._conflicts(plan) if plan else []
        sections = [
            *(
                [Section("conflicts", "Open conflicts", conflicts, tone="error")]
                if conflicts
                else []
            ),
            *task_sections,
            Section(
                "reminders",
                "Reminders",
                self._reminders(plan) if plan else [],
                "none due" if plan else waiting,
            ),
            Section(
                "rotting",
                "Rotting deals",
                self._rotting(plan) if plan else [],
                "none" if plan else waiting,
            ),
            Section(
                "contact",
                "Clients to contact",
                self._contacts(plan) if plan else [],
                "everyone is in touch" if plan else waiting,
            ),
        ]
        self.query_one(SectionTable).show(sections)

    def _tasks(self, data: TodayData) -> list[Section]:
        """Overdue, today and the next 7 days, built once per list of tasks read."""
        built = self._task_sections
        if built is not None and built[0].week is data.week and built[0].now == data.now:
            return built[1]
        now, today, settings = data.now, data.now.date(), self.tcrm.ws.settings
        sections = [
            Section(
                "overdue",
                "Overdue",
                [task_row(e, today, "error") for e in data.state("overdue")],
                "nothing overdue",
                tone="error",
            ),
            Section(
                "today", "Today", [task_row(e, today) for e in data.state("today")], "nothing due"
            ),
            Section(
                "upcoming",
                "Next 7 days",
                [
                    task_row(e, assignee_today(e.task, settings, now))
                    for e in data.state("upcoming")
                ],
                "nothing planned",
            ),
        ]
        self._task_sections = (data, sections)
        return sections

    @staticmethod
    def _conflicts(plan: planner.Agenda) -> list[Row]:
        """A sync's open conflicts, first: each row names the field and who made which
        value; ``tcrm resolve`` settles it."""
        rows = []
        for c in plan.conflicts:
            kept = side_text(c.mine, c.mine_by, c.mine_commit)
            other = side_text(c.theirs, c.theirs_by, c.theirs_commit)
            clients = (c.id,) if c.kind == "client" and c.id else ()
            deals = (c.id,) if c.kind == "deal" and c.id else ()
            rows.append(
                Row(
                    Target(c.kind, c.id or c.path, clients, deals, c.ref),
                    ["conflict", f"{c.ref} {c.field}: {kept} / {other}", "", ""],
                    "error",
                )
            )
        return rows

    @staticmethod
    def _reminders(plan: planner.Agenda) -> list[Row]:
        return [
            Row(
                task_target(r.task),
                [
                    f"{r.at:%H:%M}",
                    f"{r.task.title} ({r.offset} before {r.due_at:%H:%M})",
                    ", ".join(r.task.clients),
                    r.task.assignee or "",
                ],
                "warning",
            )
            for r in plan.reminders
        ]

    def _rotting(self, plan: planner.Agenda) -> list[Row]:
        rows = []
        currency = self.tcrm.ws.settings.currency
        for r in plan.rotting_deals:
            deal = r.deal
            shown = money_text(deal.amount, deal.currency or currency)
            amount = f" · {shown}" if deal.amount is not None else ""
            rows.append(
                Row(
                    Target("deal", deal.id, (deal.client,), (deal.id,), deal.title, deal),
                    [
                        f"{r.idle_days}d idle",
                        f"{deal.title} · {deal.stage}{amount}",
                        deal.client,
                        deal.owner or "",
                    ],
                    "warning",
                )
            )
        return rows

    @staticmethod
    def _contacts(plan: planner.Agenda) -> list[Row]:
        return [
            Row(
                Target("client", c.client.id, (c.client.id,), (), c.client.name, c.client),
                [
                    f"{c.days_since}d ago" if c.days_since is not None else "never",
                    f"{c.client.name} (every {plural(c.cadence_days, 'day', grouped=False)})",
                    c.client.id,
                    c.client.owner or "",
                ],
            )
            for c in plan.clients_to_contact
        ]

    @on(RowsView.Selected)
    def _selected(self, event: RowsView.Selected) -> None:
        event.stop()
        self.action_open_client()

    def on_screen_resume(self) -> None:
        self.query_one(SectionTable).focus()
