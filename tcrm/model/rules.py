"""Rules that tie a record to the workspace settings and to the other records.

Pure functions returning ``(field path, message)`` pairs, so ``check`` can report every
problem at once and a service can refuse a change before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from tcrm.model.fields import value_problem
from tcrm.model.records import SURVEY_KIND, Activity, Client, Deal, Record, Task
from tcrm.model.settings import Settings
from tcrm.model.validate import FieldPath

Finding = tuple[FieldPath, str]

Exists = Callable[[str, str], bool]
"""``exists(kind, id)``: whether a record of that kind exists."""


def _in_list(
    out: list[Finding], path: FieldPath, value: str | None, allowed: Collection[str], what: str
) -> None:
    if value is None:
        return
    if value not in allowed:
        choices = ", ".join(allowed) if allowed else f"none configured in tcrm.yaml lists.{what}"
        out.append((path, f"{value!r} is not one of the {what.replace('_', ' ')} ({choices})"))


def _member(out: list[Finding], path: FieldPath, value: str | None, settings: Settings) -> None:
    if value is None or not settings.team:
        return
    if settings.member(value) is None:
        ids = ", ".join(m.id for m in settings.team)
        out.append((path, f"{value!r} is not a team member ({ids})"))


def _refs(out: list[Finding], field: str, kind: str, ids: list[str], exists: Exists | None) -> None:
    if exists is None:
        return
    for i, ref in enumerate(ids):
        if not exists(kind, ref):
            out.append(((field, i), f"unknown {kind} {ref!r}"))


def record_findings(
    record: Record, settings: Settings, exists: Exists | None = None
) -> list[Finding]:
    """Everything about ``record`` that the settings or the other records contradict."""
    out: list[Finding] = []
    lists = settings.lists
    if isinstance(record, Client):
        _in_list(out, ("status",), record.status, lists.client_statuses, "client_statuses")
        _in_list(out, ("source",), record.source, lists.sources, "sources")
        _in_list(out, ("region",), record.region, lists.regions, "regions")
        for i, tag in enumerate(record.tags):
            _in_list(out, ("tags", i), tag, lists.tags, "tags")
        _member(out, ("owner",), record.owner, settings)
    elif isinstance(record, Deal):
        pipeline = settings.pipeline(record.pipeline)
        if pipeline is None:
            names = ", ".join(p.id for p in settings.pipelines)
            out.append((("pipeline",), f"unknown pipeline {record.pipeline!r} ({names})"))
        else:
            if pipeline.stage(record.stage) is None:
                out.append(
                    (
                        ("stage",),
                        f"unknown stage {record.stage!r} in pipeline {pipeline.id!r} "
                        f"({', '.join(pipeline.stage_ids())})",
                    )
                )
            for i, change in enumerate(record.stage_history):
                if pipeline.stage(change.stage) is None:
                    out.append((("stage_history", i, "stage"), f"unknown stage {change.stage!r}"))
        if exists is not None and not exists("client", record.client):
            out.append((("client",), f"unknown client {record.client!r}"))
        _in_list(out, ("source",), record.source, lists.sources, "sources")
        _in_list(out, ("lost_reason",), record.lost_reason, lists.lost_reasons, "lost_reasons")
        for i, tag in enumerate(record.tags):
            _in_list(out, ("tags", i), tag, lists.tags, "tags")
        _member(out, ("owner",), record.owner, settings)
    elif isinstance(record, Task):
        _member(out, ("assignee",), record.assignee, settings)
        _refs(out, "clients", "client", record.clients, exists)
        _refs(out, "deals", "deal", record.deals, exists)
    elif isinstance(record, Activity):
        if record.kind != SURVEY_KIND:  # tcrm survey log's kind, listed or not
            _in_list(out, ("kind",), record.kind, lists.activity_kinds, "activity_kinds")
        _member(out, ("author",), record.author, settings)
        _refs(out, "clients", "client", record.clients, exists)
        _refs(out, "deals", "deal", record.deals, exists)
    _custom(out, record, settings, exists)
    return out


def _custom(out: list[Finding], record: Record, settings: Settings, exists: Exists | None) -> None:
    """Custom field values of the wrong type, outside their choices, or naming nobody."""
    extra = record.model_extra or {}
    for name, definition in settings.fields.of(record.KIND).items():
        value = extra.get(name)
        if value is None:
            continue
        problem = value_problem(definition, value)
        if problem:
            out.append(((name,), f"{definition.type} field: {problem}"))
        elif definition.type == "member":
            _member(out, (name,), str(value), settings)
        elif (
            definition.type == "ref"
            and exists is not None
            and not exists(definition.to, str(value))
        ):
            out.append(((name,), f"unknown {definition.to} {str(value)!r}"))


def missing_required(deal: Deal, settings: Settings, stage_id: str) -> list[str]:
    """The fields a stage requires that ``deal`` has not set."""
    pipeline = settings.pipeline(deal.pipeline)
    stage = pipeline.stage(stage_id) if pipeline else None
    if stage is None:
        return []
    required = list(stage.required)
    for name, definition in settings.fields.deal.items():
        if stage_id in definition.required_in_stages:
            required.append(name)  # a custom field: a key of the file, so getattr finds it
    return [f for f in required if getattr(deal, f, None) in (None, [], "")]
