"""Small modal questions: when to reschedule a task to, why a deal was lost."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import events, on
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
    """Where to move a task's due: a date as people type them, or a quick choice.

    Typing always goes to the text field (also while the quick choices have the focus),
    and the line under them previews what Enter saves, from the widget that has the focus.
    """

    CSS_PATH = "dialogs.tcss"
    AUTO_FOCUS = "#reschedule-text"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "choices", "Quick choices", show=False),
    ]

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
            yield TextField(
                placeholder="type: fri, 2026-12-01, tomorrow 10:00",
                id="reschedule-text",
                compact=True,
                select_on_focus=False,
            )
            options = []
            for text, label in QUICK:
                try:
                    options.append(Option(f"{label:<13} {self._preview(text)}", id=text))
                except TcrmError:
                    continue
            yield OptionList(*options, id="reschedule-choices")
            yield Static("", id="reschedule-preview", classes="dialog-note", markup=False)

    def _show(self, text: str, error: bool = False) -> None:
        note = self.query_one("#reschedule-preview", Static)
        note.update(text)
        note.set_class(error, "-error")

    def _show_typed(self, value: str) -> None:
        if not value.strip():
            self._show("or ↓ for a quick choice")
            return
        try:
            self._show(f"→ {self._preview(value)}")
        except TcrmError as exc:
            self._show(str(exc).removeprefix("snooze: "), error=True)

    def _show_choice(self) -> None:
        choices = self.query_one("#reschedule-choices", OptionList)
        if choices.highlighted is None:
            self._show("")
            return
        option = choices.get_option_at_index(choices.highlighted)
        label = dict(QUICK).get(option.id or "", "")
        self._show(f"→ {label}: {self._preview(option.id or '')}")

    def on_mount(self) -> None:
        self._show_typed("")

    def on_descendant_focus(self) -> None:
        if self.focused is self.query_one("#reschedule-choices"):
            self._show_choice()
        else:
            self._show_typed(self.query_one("#reschedule-text", Input).value)

    def on_key(self, event: events.Key) -> None:
        """A character typed while the quick choices have the focus goes to the text."""
        field = self.query_one("#reschedule-text", Input)
        if event.is_printable and event.character and self.focused is not field:
            event.stop()
            event.prevent_default()
            field.focus()
            field.insert_text_at_cursor(event.character)

    def action_choices(self) -> None:
        self.query_one("#reschedule-choices", OptionList).focus()

    @on(OptionList.OptionHighlighted, "#reschedule-choices")
    def _highlighted(self) -> None:
        if self.focused is self.query_one("#reschedule-choices"):
            self._show_choice()

    @on(OptionList.OptionSelected, "#reschedule-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Changed, "#reschedule-text")
    def _typed(self, event: Input.Changed) -> None:
        self._show_typed(event.value)

    @on(Input.Submitted, "#reschedule-text")
    def _submitted(self, event: Input.Submitted) -> None:
        if not self.query_one("#reschedule-preview").has_class("-error") and event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class LostReasonDialog(ModalScreen[str | None]):
    """Why a deal was lost: one of the workspace's ``lists.lost_reasons``."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("question_mark", "app.help", "Keys", key_display="?"),
    ]

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
