"""Small modal questions: when to reschedule a task to, why a deal was lost."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tcrm.errors import TcrmError
from tcrm.model.records import Task
from tcrm.model.settings import Settings
from tcrm.services import tasks
from tcrm.tui.widgets.fields import TextField

QUICK = (
    ("+1d", "Tomorrow"),
    ("+2d", "In two days"),
    ("mon", "Next Monday"),
    ("+1w", "In a week"),
    ("+1mo", "In a month"),
)


class RescheduleDialog(ModalScreen[str | None]):
    """Where to move a task's due: a quick choice, or a date as people type them."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, task: Task, now: datetime, settings: Settings) -> None:
        super().__init__()
        self.task_record = task
        self.now = now
        self.settings = settings

    def _preview(self, text: str) -> str:
        value, zone = tasks.snoozed_due(self.task_record, text, self.now, self.settings)
        if isinstance(value, datetime):
            shown = f"{value:%a} {value.day} {value:%b %H:%M}"
            return f"{shown} {zone}" if zone else shown
        return f"{value:%a} {value.day} {value:%b %Y}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                f"Reschedule: {self.task_record.title}", classes="dialog-title", markup=False
            )
            options = []
            for text, label in QUICK:
                try:
                    options.append(Option(f"{label:<13} {self._preview(text)}", id=text))
                except TcrmError:
                    continue
            yield OptionList(*options, id="reschedule-choices")
            yield TextField(
                placeholder="or type: fri, 2026-12-01, tomorrow 10:00",
                id="reschedule-text",
                compact=True,
            )
            yield Static("", id="reschedule-preview", classes="dialog-note", markup=False)

    @on(OptionList.OptionSelected, "#reschedule-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Changed, "#reschedule-text")
    def _typed(self, event: Input.Changed) -> None:
        note = self.query_one("#reschedule-preview", Static)
        if not event.value.strip():
            note.update("")
            note.remove_class("-error")
            return
        try:
            note.update(f"→ {self._preview(event.value)}")
            note.remove_class("-error")
        except TcrmError as exc:
            note.update(str(exc).removeprefix("snooze: "))
            note.add_class("-error")

    @on(Input.Submitted, "#reschedule-text")
    def _submitted(self, event: Input.Submitted) -> None:
        if not self.query_one("#reschedule-preview").has_class("-error") and event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class LostReasonDialog(ModalScreen[str | None]):
    """Why a deal was lost: one of the workspace's ``lists.lost_reasons``."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, deal_title: str, reasons: list[str]) -> None:
        super().__init__()
        self.deal_title = deal_title
        self.reasons = reasons

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Lost: {self.deal_title}", classes="dialog-title", markup=False)
            yield Static("Why was it lost?", classes="dialog-note")
            yield OptionList(
                *[Option(Content(r), id=f"reason-{i}") for i, r in enumerate(self.reasons)],
                id="lost-reasons",
            )

    @on(OptionList.OptionSelected, "#lost-reasons")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.reasons[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
