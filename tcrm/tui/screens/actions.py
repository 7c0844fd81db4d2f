"""Actions on the record under the cursor, shared by the Today and Tasks screens.

Each action is one key and one service call (the same one the CLI makes), so it becomes
the same single commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from tcrm.model.records import Task
from tcrm.services import tasks
from tcrm.tui.format import due as due_text
from tcrm.tui.screens.dialogs import RescheduleDialog
from tcrm.tui.screens.forms import ActivityForm, TaskEditForm, TaskForm
from tcrm.tui.widgets.section_table import SectionTable, Target

if TYPE_CHECKING:
    from tcrm.tui.app import TcrmApp

SNOOZE = "+1d"
"""What ``s`` snoozes a task by: to tomorrow (or a day after its due, if later)."""


class RecordActions:
    """Mixed into a screen with a ``SectionTable``."""

    app: Any

    @property
    def tcrm(self) -> TcrmApp:
        return cast("TcrmApp", self.app)

    def table(self) -> SectionTable:
        return cast(Any, self).query_one(SectionTable)

    def target(self) -> Target | None:
        return self.table().target

    def _picked_task(self) -> Target | None:
        target = self.target()
        if target is None or target.kind != "task":
            self.app.notify("Put the cursor on a task first.", severity="warning")
            return None
        return target

    def action_done(self) -> None:
        target = self._picked_task()
        if target is None:
            return
        ws, now = self.tcrm.ws, self.tcrm.now()

        def said(result: tasks.Completion) -> str:
            text = f"Done: {result.task.title}"
            if result.next is not None:
                text += f" (next on {due_text(result.next)})"
            return text

        self.tcrm.change(lambda: tasks.complete_task(ws, ref=target.id, now=now), success=said)

    def _snooze(self, target: Target, to: str) -> None:
        ws, now = self.tcrm.ws, self.tcrm.now()
        self.tcrm.change(
            lambda: tasks.snooze_task(ws, ref=target.id, to=to, now=now),
            success=lambda task: f"{task.title}: now due {due_text(task)}",
        )

    def action_snooze(self) -> None:
        target = self._picked_task()
        if target is not None:
            self._snooze(target, SNOOZE)

    def action_reschedule(self) -> None:
        target = self._picked_task()
        if target is None or not isinstance(target.record, Task):
            return

        def chosen(to: str | None) -> None:
            if to:
                self._snooze(target, to)

        dialog = RescheduleDialog(target.record, self.tcrm.now(), self.tcrm.ws.settings)
        self.app.push_screen(dialog, chosen)

    def action_log_call(self) -> None:
        target = self.target()
        about: list[str] = []
        if target is not None:
            about = list(target.deals) or list(target.clients)
            if target.kind in ("client", "deal") and not about:
                about = [target.id]
        self.app.push_screen(ActivityForm(about=about, kind="call"))

    def action_open_client(self) -> None:
        target = self.target()
        client = target.client if target else None
        if client is None:
            self.app.notify("No client here to open.", severity="warning")
            return
        self.tcrm.open_client(client)

    def action_new(self) -> None:
        """``n`` on a list of tasks: a new task, about the client under the cursor."""
        target = self.target()
        client = target.client if target else None
        self.app.push_screen(TaskForm(client=client or ""))

    def action_edit(self) -> None:
        target = self._picked_task()
        if target is not None and isinstance(target.record, Task):
            self.app.push_screen(TaskEditForm(target.record))
