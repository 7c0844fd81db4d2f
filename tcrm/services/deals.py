"""Deals: open one, move it through its pipeline's stages, close it won or lost, reopen it.

Status (open/won/lost) is kept apart from the stage: a closed deal keeps the stage it
closed at. Every move and every change of status is one entry of the stage history, and
one commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tcrm.errors import (
    AmbiguousError,
    Command,
    Field,
    Hint,
    OverridableError,
    Part,
    RuleError,
    UsageError,
)
from tcrm.model import insights
from tcrm.model.due import aware
from tcrm.model.flows import from_settings
from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.model.rules import missing_required
from tcrm.model.settings import Pipeline, Stage
from tcrm.model.types import parse_amount, slugify
from tcrm.services import deal_selection, hooks, routing
from tcrm.services.deal_selection import STATUSES as STATUSES
from tcrm.services.query import apply_filters, named_fields, parse_filters
from tcrm.services.records import (
    all_records,
    build,
    candidates,
    custom_assignments,
    ensure_valid,
    latest_activities,
    linked,
    local_now,
    option_day,
    resolve,
    starts_with,
    updated,
)
from tcrm.store import early_index
from tcrm.store.workspace import Transaction, Workspace

LOSE = Command("tcrm deal lost REF ", Field("reason"), " R")

PROTECTED: dict[str, Hint] = {
    "stage": ("use `tcrm deal move REF STAGE`",),
    "status": ("use `tcrm deal won REF`, `", LOSE, "` or `tcrm deal reopen REF`"),
    "closed": ("it is set by `tcrm deal won`/`lost` and cleared by `tcrm deal reopen`",),
    "lost_reason": ("use `", LOSE, "`"),
    "stage_history": ("it records moves; use `tcrm deal move`, `won`, `lost` or `reopen`",),
}
"""Fields ``deal edit --set`` refuses, with the command that changes them."""

ADD_OPTIONS = ("amount", "close_date", "owner", "source", "contacts", "probability", "tags")
"""The fields a stage may require that ``deal add`` takes itself (the rest by ``--set``)."""

_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


# --- parsing and checks -------------------------------------------------------------


def parse_money(text: str, field: str = "amount") -> Decimal:
    """An exact amount as people type it: ``12000``, ``12000.50``, ``12,000.50``."""
    raw = str(text).strip()
    if "," in raw:
        if not _GROUPED.match(raw):
            raise UsageError(
                Field(field),
                f" {text!r} is not an amount: use ',' only between thousands "
                "(e.g. 12,000.50) or write digits only (12000.50)",
            )
        raw = raw.replace(",", "")
    if not re.fullmatch(r"\d+(\.\d+)?", raw):
        raise UsageError(
            Field(field), f" {text!r} is not an amount (write digits, e.g. 12000 or 12000.50)"
        )
    try:
        return parse_amount(raw)
    except ValueError as exc:
        raise UsageError(str(exc), field=field) from None


def _pipeline(ws: Workspace, pipeline_id: str | None) -> Pipeline:
    found = ws.settings.pipeline(pipeline_id)
    if found is None:
        names = ", ".join(p.id for p in ws.settings.pipelines)
        raise UsageError(f"unknown pipeline {pipeline_id!r} (pipelines: {names})")
    return found


def _stage(pipeline: Pipeline, stage_id: str) -> Stage:
    found = pipeline.stage(stage_id)
    if found is None:
        raise UsageError(
            f"unknown stage {stage_id!r} in pipeline {pipeline.id!r} "
            f"(stages: {', '.join(pipeline.stage_ids())})"
        )
    return found


def _contact_names(client: Client, names: Iterable[str]) -> list[str]:
    """The client's contact people named (by name or email, any case), as the client spells them."""
    out: list[str] = []
    for name in names:
        wanted = name.strip().casefold()
        people = [
            p
            for p in client.contacts
            if p.name.casefold() == wanted or any(e.casefold() == wanted for e in p.emails)
        ] or [p for p in client.contacts if starts_with(p.name, wanted)]
        if len(people) > 1:
            listed = ", ".join(p.name for p in people)
            raise AmbiguousError(
                Field("contacts"),
                f" {name!r} matches several contacts of client {client.id}: {listed}",
            )
        person = people[0] if people else None
        if person is None:
            known = ", ".join(p.name for p in client.contacts) or "none yet"
            raise UsageError(
                Field("contacts"),
                f" {name!r} is not a contact of client {client.id} ({known}); "
                f"add one with `tcrm client edit {client.id}`",
            )
        if person.name not in out:
            out.append(person.name)
    return out


def _missing_message(deal: Deal, stage_id: str, missing: list[str]) -> Hint:
    sets: list[str | Field] = []
    for f in missing:
        sets += [" ", Field("set"), f" {f}=..."]
    them = "it" if len(missing) == 1 else "them"
    return (
        f"deal {deal.id} needs {', '.join(missing)} to enter stage {stage_id}; set {them} with `",
        Command(f"tcrm deal edit {deal.id}", *sets),
        "`",
    )


def _ensure_open(deal: Deal, doing: str) -> None:
    if deal.status != "open":
        raise RuleError(
            f"deal {deal.id} is {deal.status} (closed {deal.closed}); cannot {doing} a closed "
            f"deal: reopen it first with `tcrm deal reopen {deal.id}`"
        )


def _minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _history(deal: Deal, entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [*(c.model_dump(exclude_none=True) for c in deal.stage_history), entry]


def _stage_tasks(
    ws: Workspace, deal: Deal, stage: Stage, now: datetime, taken: set[str]
) -> list[Task]:
    """The tasks a stage's templates call for, for ``deal`` entering it ``now``."""
    tasks: list[Task] = []
    for template in stage.tasks:
        task_id = ws.new_id("task", template.title, taken=taken)
        taken.add(task_id)
        data: dict[str, Any] = {
            "id": task_id,
            "title": template.title,
            "due": now.date() + timedelta(days=template.due_in_days),
            "priority": template.priority,
            "assignee": deal.owner,
            "deals": [deal.id],
            "clients": [deal.client],
            "from_stage": stage.id,
            "created": _minute(now),
        }
        task = build("task", {k: v for k, v in data.items() if v is not None})
        assert isinstance(task, Task)
        tasks.append(task)
    return tasks


def cancel_stage_tasks(
    ws: Workspace, tx: Transaction, *, deal: Deal, stage: str, entered: datetime
) -> list[Task]:
    """Cancel, in ``tx``, the open tasks that ``deal`` entering ``stage`` at ``entered``
    created (a template's title, about the deal, created that minute): a stage move that
    lost a merge conflict takes its tasks with it. Returns the cancelled tasks."""
    flow = ws.settings.pipeline(deal.pipeline)
    step = flow.stage(stage) if flow else None
    titles = {t.title for t in step.tasks} if step else set()
    moment = _minute(entered)
    out: list[Task] = []
    for task in all_records(ws, "task"):
        assert isinstance(task, Task)
        # made by that stage's templates: recorded (from_stage), or, for a task made
        # before tasks recorded it, one of the stage's template titles
        made_there = (
            task.from_stage == stage if task.from_stage is not None else task.title in titles
        )
        if (
            task.status == "open"
            and deal.id in task.deals
            and made_there
            and task.created is not None
            and _minute(task.created) == moment
        ):
            cancelled = updated(task, {"status": "cancelled"})
            assert isinstance(cancelled, Task)
            tx.put(cancelled)
            out.append(cancelled)
    return out


def stage_tasks_to_cancel(ws: Workspace, *, deal: Deal) -> list[Task]:
    """The still-open tasks that a stage's templates created for ``deal`` and that its
    current state leaves stale: every one once it is won or lost, else those of a stage
    other than the one it is in. Each is returned already cancelled, for the caller to
    put in the same transaction as the deal itself (``move``, ``won``, ``lost``, a sync
    that resolves a stage conflict); tasks made by hand (no ``from_stage``) are never
    among them, nor done or cancelled ones."""
    stale: list[Task] = []
    for record in linked(ws, "task", [f"deal:{deal.id}"]):
        task = record
        if not (
            isinstance(task, Task)
            and task.status == "open"
            and task.from_stage is not None
            and task.deals == [deal.id]
            and (deal.status != "open" or task.from_stage != deal.stage)
        ):
            continue
        cancelled = updated(task, {"status": "cancelled"})
        assert isinstance(cancelled, Task)
        stale.append(cancelled)
    return sorted(stale, key=lambda t: t.id)


def cancelled_message(tasks: Sequence[Task]) -> str:
    """What a commit message adds for the stage tasks it cancels: ``; cancel stage task t1``."""
    if not tasks:
        return ""
    many = "s" if len(tasks) > 1 else ""
    return f"; cancel stage task{many} {', '.join(t.id for t in tasks)}"


def _deal_id(ws: Workspace, client: Client, title: str) -> str:
    """``acme-logistics-website`` for "Website" at acme-logistics; a title that already
    names the client ("Acme Logistics shop", "Pixelforge shop" at pixelforge-games) is
    not prefixed twice."""
    slug = slugify(title)
    first = client.id.split("-")[0]
    own = (slug + "-").startswith(client.id + "-") or (
        len(first) >= 4 and (slug + "-").startswith(first + "-")
    )
    return ws.new_id("deal", title if own else f"{client.id} {title}")


# --- use cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A deal after a change, the tasks the change created, and whether anything changed."""

    deal: Deal
    tasks: list[Task] = field(default_factory=list)
    changed: bool = True
    forced: bool = False
    cancelled: list[Task] = field(default_factory=list)
    """Tasks of a stage the deal left (or of any stage, once closed), cancelled with it."""


def add_deal(
    ws: Workspace,
    *,
    title: str,
    client: str,
    now: datetime,
    amount: str | None = None,
    currency: str | None = None,
    pipeline: str | None = None,
    stage: str | None = None,
    close_date: str | None = None,
    owner: str | None = None,
    source: str | None = None,
    tags: Sequence[str] = (),
    probability: int | None = None,
    contacts: Sequence[str] = (),
    force: bool = False,
    assignments: Sequence[str] = (),
) -> Change:
    """Open a deal in its pipeline's first stage (or ``stage``), with that stage's tasks.

    ``assignments`` (``name=value``) set custom fields (tcrm.yaml ``fields.deal``).
    """
    now = local_now(ws, now)
    with ws.lock():
        found = resolve(ws, "client", client)
        assert isinstance(found, Client)
        flow = _pipeline(ws, pipeline)
        target = _stage(flow, stage) if stage else flow.stages[0]
        money = parse_money(amount) if amount is not None else None
        data: dict[str, Any] = {
            "id": _deal_id(ws, found, title),
            "title": title,
            "client": found.id,
            "pipeline": flow.id,
            "stage": target.id,
            "amount": money,
            "currency": currency or ws.settings.currency,
            "probability": probability,
            "close_date": (
                option_day("close_date", close_date, now, ws.settings.date_order)
                if close_date
                else None
            ),
            "owner": owner,
            "source": source,
            "tags": list(dict.fromkeys(tags)),
            "contacts": _contact_names(found, contacts),
            "created": _minute(now),
            **custom_assignments("deal", assignments, ws.settings, now),
        }
        draft = build("deal", {k: v for k, v in data.items() if v is not None})
        assert isinstance(draft, Deal)
        lead = routing.plan(ws, [draft], {found.id: found})
        [draft] = routing.routed([draft], lead)
        assert isinstance(draft, Deal)
        ensure_valid(ws, draft)
        missing = missing_required(draft, ws.settings, target.id)
        if missing and not force:
            options: list[Part] = []
            for f in missing:
                given: list[Part] = (
                    [Field(f), " ..."] if f in ADD_OPTIONS else [Field("assignments"), f" {f}=..."]
                )
                options += [" ", *given] if options else given
            raise OverridableError(f"stage {target.id} needs {', '.join(missing)}: give ", *options)
        forced = bool(missing)
        entry: dict[str, Any] = {"at": _minute(now), "stage": target.id}
        if forced:
            entry["forced"] = True
        deal = updated(draft, {"stage_history": [entry]})
        assert isinstance(deal, Deal)
        tasks = _stage_tasks(ws, deal, target, now, set())
        hooks.check_before(ws, "deal.added", [deal])
        suffix = (" (forced)" if forced else "") + routing.note(lead, deal.id)
        with ws.transaction(f"deal {deal.id}: add{suffix}") as tx:
            tx.put(deal, create=True)
            for task in tasks:
                tx.put(task, create=True)
            if lead.changed:
                tx.write_text(routing.STATE_FILE, lead.state_text())
    hooks.fire(ws, "deal.added", [deal])
    hooks.fire(ws, "task.added", tasks)
    return Change(deal, tasks, forced=forced)


def move_deal(ws: Workspace, *, ref: str, stage: str, now: datetime, force: bool = False) -> Change:
    """Move an open deal to ``stage``: matrix and required fields hold unless ``force``."""
    now = local_now(ws, now)
    with ws.lock():
        deal = _deal(ws, ref)
        _ensure_open(deal, "move")
        flow = _pipeline(ws, deal.pipeline)
        target = _stage(flow, stage)
        if target.id == deal.stage:
            return Change(deal, changed=False)
        overrides: list[Hint] = []
        if not flow.may_move(deal.stage, target.id):
            allowed = ", ".join((flow.transitions or {}).get(deal.stage, [])) or "none"
            overrides.append(
                (
                    f"cannot move from {deal.stage} to {target.id}: allowed from {deal.stage}: "
                    f"{allowed}",
                )
            )
        missing = missing_required(deal, ws.settings, target.id)
        if missing:
            overrides.append(_missing_message(deal, target.id, missing))
        if overrides and not force:
            joined: list[Part] = []
            for override in overrides:
                joined += ["; ", *override] if joined else override
            raise OverridableError(*joined)
        entry: dict[str, Any] = {"at": _minute(now), "stage": target.id}
        if overrides:
            entry["forced"] = True
        new = updated(deal, {"stage": target.id, "stage_history": _history(deal, entry)})
        assert isinstance(new, Deal)
        tasks = _stage_tasks(ws, new, target, now, set())
        stale = stage_tasks_to_cancel(ws, deal=new)
        hooks.check_before(ws, "deal.stage_changed", [new], before={deal.id: deal})
        suffix = " (forced)" if overrides else ""
        message = f"deal {deal.id}: {deal.stage} -> {target.id}{suffix}{cancelled_message(stale)}"
        with ws.transaction(message) as tx:
            tx.put(new)
            for task in stale:
                tx.put(task)
            for task in tasks:
                tx.put(task, create=True)
    hooks.fire(ws, "deal.stage_changed", [new], before={deal.id: deal})
    hooks.fire(ws, "task.added", tasks)
    return Change(new, tasks, forced=bool(overrides), cancelled=stale)


def _note(note: str | None) -> str | None:
    if note is not None and not note.strip():
        raise UsageError(Field("note"), " is empty; leave it out or give some text")
    return note.strip() if note else None


def win_deal(ws: Workspace, *, ref: str, now: datetime, note: str | None = None) -> Change:
    """Close a deal as won today; a won deal needs an amount (reports add it up). A
    ``note`` (why, how) is kept in the stage history entry that closes it."""
    now = local_now(ws, now)
    note = _note(note)
    with ws.lock():
        deal = _deal(ws, ref)
        if deal.status == "won":
            return Change(deal, changed=False)
        _ensure_open(deal, "win")
        if deal.amount is None:
            raise RuleError(
                f"deal {deal.id} has no amount; a won deal needs one: set it with `",
                Command(f"tcrm deal edit {deal.id} ", Field("set"), " amount=..."),
                "`",
            )
        change = _close(ws, deal, "won", None, now, note)
    hooks.fire(ws, "deal.won", [change.deal], before={deal.id: deal})
    return change


def lose_deal(
    ws: Workspace, *, ref: str, reason: str, now: datetime, note: str | None = None
) -> Change:
    """Close a deal as lost today, for a reason from ``lists.lost_reasons``; a ``note``
    (the story behind the reason) is kept in the stage history entry that closes it."""
    now = local_now(ws, now)
    note = _note(note)
    with ws.lock():
        deal = _deal(ws, ref)
        reasons = ws.settings.lists.lost_reasons
        wanted = reason.strip().casefold()
        match = next((r for r in reasons if r.casefold() == wanted), None)
        if match is None:
            choices = ", ".join(reasons) or "none configured in tcrm.yaml lists.lost_reasons"
            raise UsageError(
                Field("reason"), f" {reason!r} is not one of the lost reasons ({choices})"
            )
        if deal.status == "lost" and deal.lost_reason == match:
            return Change(deal, changed=False)
        _ensure_open(deal, "lose")
        change = _close(ws, deal, "lost", match, now, note)
    hooks.fire(ws, "deal.lost", [change.deal], before={deal.id: deal})
    return change


def _close(
    ws: Workspace,
    deal: Deal,
    status: str,
    reason: str | None,
    now: datetime,
    note: str | None = None,
) -> Change:
    entry: dict[str, Any] = {"at": _minute(now), "stage": deal.stage, "status": status}
    if note:
        entry["note"] = note
    new = updated(
        deal,
        {
            "status": status,
            "lost_reason": reason,
            "closed": now.date(),
            "stage_history": _history(deal, entry),
        },
    )
    assert isinstance(new, Deal)
    ensure_valid(ws, new)
    stale = stage_tasks_to_cancel(ws, deal=new)
    hooks.check_before(ws, f"deal.{status}", [new], before={deal.id: deal})
    why = f" ({reason})" if reason else ""
    message = f"deal {deal.id}: {deal.stage} -> {status}{why}{cancelled_message(stale)}"
    with ws.transaction(message) as tx:
        tx.put(new)
        for task in stale:
            tx.put(task)
    return Change(new, cancelled=stale)


def reopen_deal(ws: Workspace, *, ref: str, now: datetime) -> Change:
    """Open a won or lost deal again, at the stage it closed at."""
    now = local_now(ws, now)
    with ws.lock():
        deal = _deal(ws, ref)
        if deal.status == "open":
            return Change(deal, changed=False)
        entry = {"at": _minute(now), "stage": deal.stage, "status": "open"}
        new = updated(
            deal,
            {
                "status": "open",
                "closed": None,
                "lost_reason": None,
                "stage_history": _history(deal, entry),
            },
        )
        assert isinstance(new, Deal)
        with ws.transaction(f"deal {deal.id}: {deal.status} -> {deal.stage} (reopen)") as tx:
            tx.put(new)
        return Change(new)


def _deal(ws: Workspace, ref: str) -> Deal:
    deal = resolve(ws, "deal", ref)
    assert isinstance(deal, Deal)
    return deal


# --- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class DealRow:
    """A deal with what the settings and the activities say about it."""

    deal: Deal
    currency: str
    """The deal's currency, or the workspace's when the deal names none."""
    probability: int
    weighted: Decimal
    rotting: insights.Rotting | None


def list_deals(
    ws: Workspace,
    *,
    now: datetime,
    pipeline: str | None = None,
    stage: str | None = None,
    owner: str | None = None,
    client: str | None = None,
    statuses: Sequence[str] | None = None,
    stale: bool = False,
    filters: Sequence[str] = (),
) -> list[DealRow]:
    """Deals in pipeline and stage order; ``stale`` keeps only the rotting ones.

    ``statuses`` unset means open deals only, unless a filter term names the status
    (``status:won``): then the term alone decides.
    """
    now = local_now(ws, now)
    settings = ws.settings
    flows = from_settings(settings)
    flow = _pipeline(ws, pipeline) if pipeline else None
    if stage:
        deal_selection.check_stage(flows, flow.id if flow else None, stage)
    if deal_selection.unknown_member(owner, [m.id for m in settings.team]):
        raise UsageError(
            Field("owner"),
            f" {owner!r} is not a team member ({', '.join(m.id for m in settings.team)})",
        )
    client_id = resolve(ws, "client", client).id if client else None
    compiled = parse_filters(filters, Deal, now, settings.date_order, settings.fields.of(Deal.KIND))
    statuses = deal_selection.statuses_shown(statuses, "status" in named_fields(compiled))
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise UsageError(f"unknown status {unknown[0]!r} (one of {', '.join(STATUSES)})")
    chosen = deal_selection.Choice(statuses, flow.id if flow else None, stage, owner, client_id)
    found = candidates(ws, "deal", deal_selection.window(chosen))
    deals = deal_selection.select([d for d in found if isinstance(d, Deal)], chosen, flows)
    deals = [d for d in apply_filters(deals, compiled) if isinstance(d, Deal)]
    rot = [f"deal:{d.id}" for d in deals if insights.may_rot(d, settings, now)]
    activities = latest_activities(ws, rot)
    rotting = {r.deal.id: r for r in insights.rotting_deals(deals, activities, settings, now)}
    if ws.index() is not None:  # what the early path of `deal list` reads of the settings
        early_index.remember_settings(ws.root, lambda: _early_summary(ws))
    rows = []
    for d in deals:
        if stale and d.id not in rotting:
            continue
        row = deal_selection.listed(d, flows, settings.currency)
        rows.append(
            DealRow(
                d, row.currency, row.probability, insights.weighted(d, settings), rotting.get(d.id)
            )
        )
    return rows


def _early_summary(ws: Workspace) -> dict[str, object]:
    from tcrm.services.planner import early_summary  # imported once per settings change

    return early_summary(ws)


def _activities(ws: Workspace) -> list[Activity]:
    return [a for a in all_records(ws, "activity") if isinstance(a, Activity)]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    stage: str
    status: str | None
    forced: bool
    days: int | None
    """Whole days until the next entry (or until now, for the last entry of an open deal)."""
    note: str | None = None


@dataclass(frozen=True)
class DealCard:
    """Everything ``deal show`` tells about a deal."""

    deal: Deal
    client: Client | None
    currency: str
    stage_name: str
    probability: int
    weighted: Decimal
    idle_days: int | None
    rotting: insights.Rotting | None
    rotting_days: int | None
    history: list[HistoryEntry]
    tasks: list[Task]
    activities: list[Activity]


def deal_card(ws: Workspace, *, ref: str, now: datetime) -> DealCard:
    """A deal with its history (days in each stage), tasks, activities and rotting state."""
    now = local_now(ws, now)
    deal = _deal(ws, ref)
    settings = ws.settings
    flow = settings.pipeline(deal.pipeline)
    stage = flow.stage(deal.stage) if flow else None
    client = resolve(ws, "client", deal.client) if ws.exists("client", deal.client) else None
    assert client is None or isinstance(client, Client)
    activities = sorted(
        (a for a in _activities(ws) if deal.id in a.deals),
        key=lambda a: aware(a.at, now.tzinfo),
        reverse=True,
    )
    tasks = sorted(
        (t for t in all_records(ws, "task") if isinstance(t, Task) and deal.id in t.deals),
        key=lambda t: (t.status != "open", str(t.due or "9999"), t.id),
    )
    _, by_deal = insights.last_activity_by(activities)
    touched = insights.last_touch(deal, by_deal) if deal.status == "open" else None
    rotting = insights.rotting_deals([deal], activities, settings, now)
    from tcrm.services.private import reveal

    return DealCard(
        deal=reveal(ws, deal),
        client=client,
        currency=deal.currency or settings.currency,
        stage_name=stage.name if stage else deal.stage,
        probability=insights.probability(deal, settings),
        weighted=insights.weighted(deal, settings),
        idle_days=(now - aware(touched, now.tzinfo)).days if touched else None,
        rotting=rotting[0] if rotting else None,
        rotting_days=stage.rotting_days if stage else None,
        history=_history_entries(deal, now),
        tasks=tasks,
        activities=activities,
    )


def _history_entries(deal: Deal, now: datetime) -> list[HistoryEntry]:
    entries = deal.stage_history
    out = []
    for i, change in enumerate(entries):
        at = aware(change.at, now.tzinfo)
        if i + 1 < len(entries):
            days: int | None = (aware(entries[i + 1].at, now.tzinfo) - at).days
        elif deal.status == "open":
            days = (now - at).days
        else:
            days = None  # the entry that closed the deal: no time "in" it
        out.append(
            HistoryEntry(
                change.at, change.stage, change.status, bool(change.forced), days, change.note
            )
        )
    return out


def contact_names(client: Client, names: Iterable[str]) -> list[str]:
    """``deal add --contact`` NAME...: the client's contact people named (by name or
    email, any case), as the client spells them; refuses one the client does not have.
    Forms check what is typed with it before saving."""
    return _contact_names(client, names)
