"""The task table's columns and cells (``tcrm task list``, ``tcrm today``).

Apart from the Typer commands because the early path of ``tcrm task list``
(``tcrm.cli.early_path``, before Typer and pydantic are imported) prints the same table
from index rows: the cells read only the fields every task row has
(``tcrm.services.task_selection.ListedTask`` and a title). The standard library only.
"""

from __future__ import annotations

from datetime import datetime

TYPE_CHECKING = False  # no typing at run time: a piped ``task list`` prints with this
if TYPE_CHECKING:
    from typing import Any

    from tcrm.model.due import TaskItem
    from tcrm.model.records import Task

TASK_COLUMNS = ["Id", "Due", "Title", "Assignee", "Clients", "Priority", "Status"]


def due_text(task: Task) -> str:
    """A due as people read it: ``2026-11-24``, ``2026-11-24 10:00 America/New_York``."""
    if task.due is None:
        return ""
    if not isinstance(task.due, datetime):
        return task.due.isoformat()
    text = f"{task.due:%Y-%m-%d %H:%M}"
    if task.due.tzinfo is not None:
        return f"{text} {task.due:%z}"
    return f"{text} {task.timezone}" if task.timezone else text


def task_rows(entries: list[TaskItem]) -> list[list[Any]]:
    return [
        [
            e.task.id,
            due_text(e.task),
            e.task.title,
            e.task.assignee,
            ", ".join(e.task.clients),
            e.task.priority,
            e.task.status,
        ]
        for e in entries
    ]
