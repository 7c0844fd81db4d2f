"""The tasks agenda: this week's tasks day by day (``tcrm task list --week``), overdue
first, filtered by assignee; add and edit with a form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Select, Static

from tcrm.model.due import TaskItem, due_day
from tcrm.services import tasks
from tcrm.tui.format import day
from tcrm.tui.format import due as due_text
from tcrm.tui.keys import bind
from tcrm.tui.screens.actions import RecordActions
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.screens.forms import TaskForm
from tcrm.tui.screens.today import task_target
from tcrm.tui.widgets.filter_bar import FilterBar
from tcrm.tui.widgets.footer import KeyFooter
from tcrm.tui.widgets.nav import NavBar
from tcrm.tui.widgets.rows import RowsView
from tcrm.tui.widgets.section_table import Column, Row, Section, SectionTable

ALL = "all"


@dataclass(frozen=True)
class AgendaData:
    now: datetime
    assignee: str | None
    items: list[TaskItem]


COLUMNS = [
    Column("Due", 16),
    Column("Task"),
    Column("Client", 40, least=10, give=1),
    Column("Who", 6),
    Column("Prio", 6),
]


class TasksScreen(RecordActions, DataScreen):
    """Seven days of tasks; ``a`` cycles the assignee filter."""

    CSS_PATH = "tasks.tcss"
    MODE = "tasks"
    AUTO_FOCUS = "#tasks-table"
    PALETTE_NAME = "Tasks"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("done"),
        bind("snooze"),
        bind("reschedule"),
        bind("new", "New task"),
        bind("edit"),
        bind("assignee"),
        bind("filter"),
        bind("open-client", show=False),
        bind("log-call", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.assignee: str | None = None
        self.data: AgendaData | None = None

    def compose(self) -> ComposeResult:
        team = self.tcrm.ws.settings.team
        with Horizontal(id="tasks-filter"):
            yield Static("Assignee", id="tasks-filter-label")
            yield Select(
                [("everyone", ALL), *[(f"{m.name} ({m.id})", m.id) for m in team]],
                value=ALL,
                allow_blank=False,
                id="tasks-assignee",
                compact=True,
            )
            yield Static("", id="tasks-summary", markup=False)
        yield SectionTable(COLUMNS, id="tasks-table")
        yield FilterBar(id="tasks-filter-bar")
        yield NavBar(self.MODE)
        yield KeyFooter(compact=True)

    def fetch(self) -> AgendaData:
        ws, now = self.tcrm.ws, self.tcrm.now()
        items = tasks.list_tasks(ws, now=now, week=True, assignee=self.assignee)
        return AgendaData(now, self.assignee, items)

    def show(self, data: AgendaData) -> None:
        self.data = data
        self.repaint()

    def repaint(self) -> None:
        if self.data is None:
            return
        settings = self.tcrm.ws.settings
        now = self.data.now
        today = now.date()
        overdue: list[Row] = []
        by_day: dict[Any, list[Row]] = {today + timedelta(days=n): [] for n in range(8)}
        for entry in self.data.items:
            task = entry.task
            row_day = due_day(task, settings)
            if entry.state == "overdue":
                when = due_text(task)
            else:
                when = (
                    due_text(task, task.due.date()) if isinstance(task.due, datetime) else "all day"
                )
            row = Row(
                task_target(task),
                [
                    when,
                    task.title,
                    ", ".join(task.clients),
                    task.assignee or "",
                    task.priority or "",
                ],
                "error" if entry.state == "overdue" else None,
            )
            if entry.state == "overdue":
                overdue.append(row)
            elif row_day in by_day:
                by_day[row_day].append(row)
            else:  # a day beyond the week in the assignee's zone: the last day shown
                by_day[max(by_day)].append(row)
        sections = [Section("overdue", "Overdue", overdue, "nothing overdue", tone="error")]
        for when, rows in by_day.items():
            label = day(when) + (" · today" if when == today else "")
            sections.append(Section(when.isoformat(), label, rows, "—"))
        self.query_one(SectionTable).show(sections)
        who = self.data.assignee or "everyone"
        self.query_one("#tasks-summary", Static).update(
            f"{len(self.data.items)} open tasks this week for {who}"
        )

    def _set_assignee(self, assignee: str | None) -> None:
        if assignee == self.assignee:
            return
        self.assignee = assignee
        select = self.query_one("#tasks-assignee", Select)
        if select.value != (assignee or ALL):
            select.value = assignee or ALL
        self.reload()

    @on(Select.Changed, "#tasks-assignee")
    def _assignee_chosen(self, event: Select.Changed) -> None:
        value = event.value
        self._set_assignee(None if value in (ALL, Select.NULL) else str(value))

    def action_next_assignee(self) -> None:
        ids = [None, *[m.id for m in self.tcrm.ws.settings.team]]
        current = ids.index(self.assignee) if self.assignee in ids else 0
        self._set_assignee(ids[(current + 1) % len(ids)])

    def action_new(self) -> None:
        self.app.push_screen(TaskForm(assignee=self.assignee or ""))

    @on(RowsView.Selected)
    def _selected(self, event: RowsView.Selected) -> None:
        event.stop()
        self.action_edit()

    def on_screen_resume(self) -> None:
        self.query_one(SectionTable).focus()
