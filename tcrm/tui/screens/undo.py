"""Undo and redo in the app (``u``, ``U``): the field-by-field diff first, then the same
``history.undo`` as ``tcrm undo``, one commit.

Redo undoes the undo (``history.undo`` of the undo's commit), so it is a commit too and
``tcrm history`` tells the whole story. The app remembers the undos it made for ``U``.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tcrm.services.history import UndoResult, change_text


def diff_lines(result: UndoResult) -> list[str]:
    """``clients/acme.yaml: status: lead → active``, one line per field the undo changes."""
    lines = []
    for entry in result.entries:
        if not entry.changes:
            lines.append(f"{entry.path}: {entry.action}")
        for change in entry.changes:
            lines.append(f"{entry.path}: {change_text(change, '→')}")
    return lines or ["(no field changes)"]


class UndoDialog(ModalScreen[bool]):
    """What an undo (or redo) would change; ``y`` or Enter makes it, ``n``/Esc/``q`` not."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "confirm", "Yes"),
        Binding("n,escape,q", "cancel", "No"),
        Binding("question_mark", "app.help", "Keys", key_display="?"),
    ]

    def __init__(self, verb: str, result: UndoResult) -> None:
        super().__init__()
        self.verb = verb
        self.result = result
        self.lines = diff_lines(result)

    def compose(self) -> ComposeResult:
        undone = self.result.undone
        with Vertical(classes="dialog", id="undo-dialog"):
            yield Static(
                f"{self.verb} {undone.id[:8]} {undone.subject!r} ({undone.author})?",
                classes="dialog-title",
                markup=False,
            )
            with VerticalScroll(id="undo-diff"):
                yield Static("\n".join(self.lines), id="undo-lines", markup=False)
            yield Static("y / Enter: yes · n / Esc: no", classes="dialog-hint", markup=False)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
