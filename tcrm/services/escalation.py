"""Standard times and escalation: a deal that sits in a stage (or a stage task left open)
longer than its ``max_days`` gets one escalation task for the stage's ``escalate_to``.

``tcrm remind`` and ``tcrm today`` call :func:`escalate`. Each escalation task has an id
and content computed only from what every clone shares (the deal, its stage, when the
deal entered it, the settings), never from the clock of the clone that noticed: two
clones that both escalate write the same file, which a sync merges as one. A stay in a
stage is escalated once (a later stay in the same stage starts again); the task is
cancelled like the stage's own tasks when the deal moves on or closes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tcrm.model.records import Deal, Task, entered_stage_at
from tcrm.model.settings import Settings, Stage, TaskTemplate
from tcrm.services import hooks
from tcrm.services.records import all_records, build, local_now
from tcrm.store.workspace import Workspace

PREFIX = "esc-"


@dataclass(frozen=True)
class Overdue:
    """A stay (or a stage task) past its standard time, and who it escalates to."""

    deal: Deal
    stage: Stage
    since: datetime
    """When the clock started: the deal entered the stage, or the stage task was created."""
    max_days: int
    escalate_to: str | None
    task: Task | None = None
    """The stage task left open (``None``: the deal's stay in the stage)."""

    @property
    def deadline(self) -> datetime:
        return self.since + timedelta(days=self.max_days)

    @property
    def task_id(self) -> str:
        """``esc-`` and a hash of deal, stage and the stay's start (or the stage task)."""
        key = f"{self.deal.id}|{self.stage.id}|{self.since.isoformat()}|"
        key += self.task.id if self.task else ""
        return PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _configured(settings: Settings) -> bool:
    return any(
        s.max_days or any(t.max_days for t in s.tasks) for p in settings.pipelines for s in p.stages
    )


def _template(stage: Stage, task: Task) -> TaskTemplate | None:
    for template in stage.tasks:
        if template.title == task.title and template.max_days:
            return template
    return None


def overdue_stays(ws: Workspace, *, now: datetime) -> list[Overdue]:
    """Open deals past their stage's ``max_days`` and open stage tasks past their
    template's, as of ``now`` (escalated or not)."""
    settings = ws.settings
    if not _configured(settings):
        return []
    now = local_now(ws, now)
    deals = {d.id: d for d in all_records(ws, "deal") if isinstance(d, Deal) and d.status == "open"}
    found: list[Overdue] = []
    for deal in deals.values():
        pipeline = settings.pipeline(deal.pipeline)
        stage = pipeline.stage(deal.stage) if pipeline else None
        entered = entered_stage_at(deal)
        if stage is None or stage.max_days is None or entered is None:
            continue
        stay = Overdue(deal, stage, _aware(entered, now), stage.max_days, stage.escalate_to)
        if now > stay.deadline:
            found.append(stay)
    for task in all_records(ws, "task"):
        if not isinstance(task, Task) or task.status != "open" or not task.from_stage:
            continue
        about = deals.get(task.deals[0]) if task.deals else None
        if about is None or about.stage != task.from_stage or task.created is None:
            continue
        pipeline = settings.pipeline(about.pipeline)
        stage = pipeline.stage(about.stage) if pipeline else None
        template = _template(stage, task) if stage else None
        if stage is None or template is None or template.max_days is None:
            continue
        late = Overdue(
            about, stage, _aware(task.created, now), template.max_days, template.escalate_to, task
        )
        if now > late.deadline:
            found.append(late)
    return sorted(found, key=lambda o: (o.deadline, o.task_id))


def _aware(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)


def escalation_task(overdue: Overdue) -> Task:
    """The escalation task for ``overdue``: the same in every clone."""
    deal, stage = overdue.deal, overdue.stage
    if overdue.task is not None:
        title = (
            f"Escalation: task {overdue.task.title!r} for {deal.title} open over "
            f"{overdue.max_days} days"
        )
    else:
        title = f"Escalation: {deal.title} in {stage.name} over {overdue.max_days} days"
    data: dict[str, Any] = {
        "id": overdue.task_id,
        "title": title,
        "due": overdue.deadline.date(),
        "priority": "high",
        "assignee": overdue.escalate_to or deal.owner,
        "deals": [deal.id],
        "clients": [deal.client],
        "from_stage": stage.id,
        "created": overdue.deadline.replace(second=0, microsecond=0),
    }
    task = build("task", {k: v for k, v in data.items() if v is not None})
    assert isinstance(task, Task)
    return task


def escalate(ws: Workspace, *, now: datetime) -> list[Task]:
    """Create the escalation tasks that are due and not there yet, in one commit (none
    when there is nothing to escalate). Returns the tasks created."""
    if not _configured(ws.settings):
        return []
    with ws.lock():
        fresh: list[Task] = []
        for overdue in overdue_stays(ws, now=now):
            if ws.exists("task", overdue.task_id) or any(t.id == overdue.task_id for t in fresh):
                continue
            fresh.append(escalation_task(overdue))
        if fresh:
            with ws.transaction(_message(fresh)) as tx:
                for task in fresh:
                    tx.put(task, create=True)
    hooks.fire(ws, "task.added", fresh)
    return fresh


def _message(tasks: Sequence[Task]) -> str:
    deals = ", ".join(dict.fromkeys(t.deals[0] for t in tasks))
    many = "s" if len(tasks) > 1 else ""
    return f"escalate: task{many} {', '.join(t.id for t in tasks)} ({deals})"
