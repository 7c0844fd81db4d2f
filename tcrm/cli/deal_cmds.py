"""``tcrm deal ...`` and ``tcrm pipeline``: opportunities and the stages they move through."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import typer

from tcrm.cli import completion, render
from tcrm.cli.deal_table import DEAL_COLUMNS, RIGHT, deal_rows
from tcrm.cli.editor import Assignments, CustomFields, edit_command
from tcrm.cli.render import Column
from tcrm.cli.state import now, workspace
from tcrm.cli.terminal import out
from tcrm.model.fields import FieldDef, shown_fields
from tcrm.model.insights import Rotting
from tcrm.model.money import money_text, rounded
from tcrm.model.records import Deal, Record
from tcrm.services import deals as service
from tcrm.services.conflicts import open_conflicts
from tcrm.services.deal_selection import asked_statuses
from tcrm.services.pipeline import Bucket, PipelineReport, pipeline_report
from tcrm.services.query import HELP as FILTER_HELP
from tcrm.services.records import set_fields

app = typer.Typer(
    name="deal",
    help="Deals: open, list, show, move through stages, close won or lost, reopen, edit.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _pipelines(incomplete: str) -> list[str]:
    from tcrm.store.workspace import Workspace

    try:
        settings = Workspace.open(os.environ.get("TCRM_WORKSPACE")).settings
    except Exception:  # completion must never fail loudly
        return []
    return [p.id for p in settings.pipelines if p.id.startswith(incomplete)]


Ref = Annotated[
    str,
    typer.Argument(
        help="Deal id, unique id prefix, title or its unique start.",
        autocompletion=completion.deals,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/json/deals.md).")]


# --- changes ------------------------------------------------------------------------


def _created(change: service.Change) -> None:
    for task in change.cancelled:
        render.message(f"  cancelled task {task.id}: {task.title} (from stage {task.from_stage})")
    for task in change.tasks:
        render.message(f"  task {task.id}: {task.title} (due {task.due})")


@app.command("add")
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What the deal is about, e.g. 'Website'.")],
    client: Annotated[
        str,
        typer.Option(
            help="The client: id, unique prefix, name or its unique start.",
            autocompletion=completion.clients,
        ),
    ],
    amount: Annotated[
        str | None, typer.Option(help="Expected value: 12000, 12000.50 or 12,000.50.")
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="ISO 4217 code; the workspace's currency if unset.")
    ] = None,
    pipeline: Annotated[
        str | None,
        typer.Option(help="Pipeline id; the default pipeline if unset.", autocompletion=_pipelines),
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option(help="Initial stage; the pipeline's first.", autocompletion=completion.stages),
    ] = None,
    close_date: Annotated[
        str | None, typer.Option(help="Expected close date: 2026-12-31, eom, +30d...")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Team member who owns the deal.")] = None,
    source: Annotated[str | None, typer.Option(help="Where it came from (lists.sources).")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A tag (lists.tags); repeatable.")] = None,
    probability: Annotated[
        int | None,
        typer.Option(help="Win chance in percent (0-100); overrides the stage's."),
    ] = None,
    contact: Annotated[
        list[str] | None, typer.Option(help="A contact person of the client; repeatable.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Enter the stage even if it requires fields not given.")
    ] = False,
    custom: CustomFields = None,
) -> None:
    """Open a deal with a client; prints its id. The first stage's tasks are created too."""
    change = service.add_deal(
        workspace(ctx),
        title=title,
        client=client,
        amount=amount,
        currency=currency,
        pipeline=pipeline,
        stage=stage,
        close_date=close_date,
        owner=owner,
        source=source,
        tags=tag or [],
        probability=probability,
        contacts=contact or [],
        force=force,
        now=now(ctx),
        assignments=custom or [],
    )
    deal = change.deal
    forced = " (forced)" if change.forced else ""
    render.message(f"Added deal {deal.id} in {deal.pipeline}/{deal.stage}{forced}")
    _created(change)
    print(deal.id)


@app.command("move")
def move(
    ctx: typer.Context,
    ref: Ref,
    stage: Annotated[
        str, typer.Argument(help="The stage to move to.", autocompletion=completion.stages)
    ],
    force: Annotated[
        bool,
        typer.Option(help="Override the transition matrix and the stage's required fields."),
    ] = False,
) -> None:
    """Move an open deal to another stage of its pipeline, creating the stage's tasks.

    Tasks the old stage's templates created and still open are cancelled in the same
    commit; tasks made by hand are never touched.
    """
    change = service.move_deal(workspace(ctx), ref=ref, stage=stage, force=force, now=now(ctx))
    deal = change.deal
    if not change.changed:
        render.message(f"deal {deal.id} is already in stage {deal.stage}; nothing to do")
        return
    forced = " (forced)" if change.forced else ""
    render.message(f"deal {deal.id}: moved to {deal.stage}{forced}")
    _created(change)


Note = Annotated[
    str | None,
    typer.Option("--note", help="Why or how, kept in the deal's stage history.", metavar="TEXT"),
]


@app.command("won")
def won(ctx: typer.Context, ref: Ref, note: Note = None) -> None:
    """Close a deal as won today; it keeps its stage. The deal needs an amount.

    Still-open tasks created by stage templates are cancelled in the same commit.
    """
    change = service.win_deal(workspace(ctx), ref=ref, now=now(ctx), note=note)
    _closed(change)


@app.command("lost")
def lost(
    ctx: typer.Context,
    ref: Ref,
    reason: Annotated[str, typer.Option(help="Why, from lists.lost_reasons in tcrm.yaml.")],
    note: Note = None,
) -> None:
    """Close a deal as lost today, for a reason from the configured list.

    Still-open tasks created by stage templates are cancelled in the same commit.
    """
    change = service.lose_deal(workspace(ctx), ref=ref, reason=reason, now=now(ctx), note=note)
    _closed(change)


@app.command("reopen")
def reopen(ctx: typer.Context, ref: Ref) -> None:
    """Open a won or lost deal again, at the stage it closed at."""
    change = service.reopen_deal(workspace(ctx), ref=ref, now=now(ctx))
    _closed(change)


def _closed(change: service.Change) -> None:
    deal = change.deal
    if not change.changed:
        render.message(f"deal {deal.id} is already {deal.status}; nothing to do")
        return
    reason = f" ({deal.lost_reason})" if deal.lost_reason else ""
    render.message(f"deal {deal.id}: {deal.status}{reason} at stage {deal.stage}")
    _created(change)


@app.command("edit")
def edit(ctx: typer.Context, ref: Ref, assignments: Assignments = None) -> None:
    """Change a deal's fields; stage and status have their own commands (move, won, ...)."""
    ws = workspace(ctx)

    def apply() -> Record | None:
        items = assignments or []
        return set_fields(
            ws,
            kind="deal",
            ref=ref,
            assignments=items,
            protected=service.PROTECTED,
            now=now(ctx),
        )

    edit_command(ws, "deal", ref, apply if assignments else None)


# --- reading ------------------------------------------------------------------------


def _money_json(money: dict[str, Decimal]) -> dict[str, str]:
    return {currency: format(rounded(amount), "f") for currency, amount in sorted(money.items())}


def _money_text(money: dict[str, Decimal]) -> str:
    return ", ".join(money_text(a, c) for c, a in sorted(money.items())) or "-"


def _rotting_json(rotting: Rotting | None) -> dict[str, Any] | None:
    if rotting is None:
        return None
    return {"idle_days": rotting.idle_days, "threshold": rotting.threshold}


FILTERS_EPILOG = "\n\n".join("\b\n" + part for part in FILTER_HELP.strip().split("\n\n"))
"""The filter language, shown verbatim under ``deal list --help`` (``\\b``: no rewrap)."""


@app.command("list", epilog=FILTERS_EPILOG, context_settings={"max_content_width": 100})
def list_(
    ctx: typer.Context,
    filters: Annotated[
        list[str] | None,
        typer.Argument(
            help="Filter terms, e.g. owner:ann amount.gt:5000 (see below).", show_default=False
        ),
    ] = None,
    pipeline: Annotated[
        str | None, typer.Option(help="Only this pipeline.", autocompletion=_pipelines)
    ] = None,
    stage: Annotated[
        str | None, typer.Option(help="Only this stage.", autocompletion=completion.stages)
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Only deals this member owns.")] = None,
    client: Annotated[
        str | None,
        typer.Option(help="Only this client's deals.", autocompletion=completion.clients),
    ] = None,
    open_: Annotated[
        bool, typer.Option("--open", help="Open deals (the default, unless a term names status).")
    ] = False,
    won_: Annotated[bool, typer.Option("--won", help="Won deals.")] = False,
    lost_: Annotated[bool, typer.Option("--lost", help="Lost deals.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Deals of every status.")] = False,
    stale: Annotated[
        bool,
        typer.Option("--stale", help="Only rotting deals: idle longer than their stage allows."),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """List deals (open ones unless told otherwise), in pipeline and stage order."""
    ws = workspace(ctx)
    rows = service.list_deals(
        ws,
        now=now(ctx),
        pipeline=pipeline,
        stage=stage,
        owner=owner,
        client=client,
        statuses=asked_statuses(open_, won_, lost_, all_),
        stale=stale,
        filters=filters or [],
    )
    if as_json:
        from dataclasses import replace

        from tcrm.services.private import reveal

        rows = [replace(r, deal=reveal(ws, r.deal)) for r in rows]
        render.emit_json([_row_json(r) for r in rows])
        return
    render.table(
        [
            Column(h, justify="right" if h in RIGHT else "left", no_wrap=h == "Id")
            for h in DEAL_COLUMNS
        ],
        deal_rows(rows),
        styles=[_style(r.deal, r.rotting) for r in rows],
    )


def _style(deal: Deal, rotting: Rotting | None) -> str | None:
    if rotting is not None:
        return "red"
    return {"won": "green", "lost": "dim"}.get(deal.status)


def _row_json(row: service.DealRow) -> dict[str, Any]:
    return {
        **render.record_json(row.deal),
        "effective_currency": row.currency,
        "effective_probability": row.probability,
        "weighted_amount": format(rounded(row.weighted), "f")
        if row.deal.amount is not None
        else None,
        "rotting": _rotting_json(row.rotting),
    }


@app.command("show")
def show(ctx: typer.Context, ref: Ref, as_json: AsJson = False) -> None:
    """A deal: its fields, stage history with days per stage, tasks, activities, rotting."""
    ws = workspace(ctx)
    card = service.deal_card(ws, ref=ref, now=now(ctx))
    if as_json:
        render.emit_json(_card_json(card))
        return
    _print_card(card, ws.settings.fields.deal)
    render.print_conflicts(open_conflicts(ws, [("deal", card.deal.id)]))


def _card_json(card: service.DealCard) -> dict[str, Any]:
    deal = card.deal
    return {
        **render.record_json(deal),
        "client_name": card.client.name if card.client else None,
        "stage_name": card.stage_name,
        "effective_currency": card.currency,
        "effective_probability": card.probability,
        "weighted_amount": format(rounded(card.weighted), "f") if deal.amount is not None else None,
        "idle_days": card.idle_days,
        "rotting_days": card.rotting_days,
        "rotting": _rotting_json(card.rotting),
        "history": [
            {
                "at": h.at.isoformat(timespec="minutes"),
                "stage": h.stage,
                "status": h.status,
                "forced": h.forced,
                "days": h.days,
                "note": h.note,
            }
            for h in card.history
        ],
        "tasks": [render.record_json(t) for t in card.tasks],
        "activities": [render.record_json(a) for a in card.activities],
    }


def _print_card(card: service.DealCard, fields: Mapping[str, FieldDef]) -> None:
    deal = card.deal

    def line(text: str = "") -> None:
        out.print(text, markup=False, highlight=False)

    client = f"{card.client.name} ({deal.client})" if card.client else deal.client
    line(f"{deal.title}  [{deal.id}]")
    line(f"client:       {client}")
    line(f"pipeline:     {deal.pipeline}, stage {card.stage_name} ({deal.stage})")
    closed = f" on {deal.closed}" if deal.closed else ""
    reason = f", reason: {deal.lost_reason}" if deal.lost_reason else ""
    line(f"status:       {deal.status}{closed}{reason}")
    line(f"amount:       {money_text(deal.amount, card.currency) or '-'}")
    own = " (deal's own)" if deal.probability is not None and deal.status == "open" else ""
    line(f"probability:  {card.probability}%{own}")
    weighted = money_text(card.weighted, card.currency) if deal.amount is not None else "-"
    line(f"weighted:     {weighted}")
    for label, value in (
        ("close date", deal.close_date),
        ("owner", deal.owner),
        ("source", deal.source),
        ("tags", ", ".join(deal.tags)),
        ("contacts", ", ".join(deal.contacts)),
        *shown_fields(deal, fields),
    ):
        if value:
            line(f"{label + ':':<13} {value}")
    if deal.status == "open":
        threshold = f" (rots after {card.rotting_days})" if card.rotting_days else ""
        state = "ROTTING" if card.rotting else "ok"
        idle = card.idle_days if card.idle_days is not None else "?"
        line(f"rotting:      {state}: idle {idle} days{threshold}")
    if deal.notes:
        line()
        line(deal.notes)
    line()
    line("history:")
    for h in card.history:
        what = h.status if h.status in ("won", "lost") else h.stage
        if h.status == "open":
            what = f"reopened at {h.stage}"
        days = f"  {h.days} days" if h.days is not None else ""
        forced = "  (forced)" if h.forced else ""
        note = f": {h.note}" if h.note else ""
        line(f"  {h.at:%Y-%m-%d %H:%M}  {what}{note}{days}{forced}")
    line()
    line("tasks:" if card.tasks else "tasks: none")
    for t in card.tasks:
        due = f"  due {t.due:%Y-%m-%d %H:%M}" if isinstance(t.due, datetime) else ""
        due = due or (f"  due {t.due}" if t.due else "")
        line(f"  {t.id}  [{t.status}] {t.title}{due}")
    line("activities:" if card.activities else "activities: none")
    for a in card.activities:
        line(f"  {a.at:%Y-%m-%d}  {a.kind}: {a.summary}")


# --- pipeline -----------------------------------------------------------------------


def pipeline(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            help="Pipeline id; the default pipeline if unset.", autocompletion=_pipelines
        ),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(help="Only deals this member owns.", autocompletion=completion.members),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Each stage's open deals with total and weighted amounts per currency, and rotting deals."""
    report = pipeline_report(workspace(ctx), name=name, now=now(ctx), owner=owner)
    if as_json:
        render.emit_json(_report_json(report))
        return
    rows: list[list[Any]] = [
        [
            f"{s.stage.name} ({s.stage.probability}%)",
            s.open.count,
            _money_text(s.open.total),
            _money_text(s.open.weighted),
        ]
        for s in report.stages
    ]
    rows.append(
        [
            "open",
            report.open.count,
            _money_text(report.open.total),
            _money_text(report.open.weighted),
        ]
    )
    rows.append(["won", report.won.count, _money_text(report.won.total), ""])
    rows.append(["lost", report.lost.count, _money_text(report.lost.total), ""])
    render.table(
        [
            Column("Stage", role="title"),
            Column("Deals", justify="right"),
            Column("Total", justify="right"),
            Column("Weighted", justify="right"),
        ],
        rows,
        title=f"Pipeline {report.name} ({report.pipeline_id})"
        + (f", owner {report.owner}" if report.owner else ""),
    )
    if not report.rotting:
        return
    if out.is_terminal:
        out.print()
    render.table(
        [
            "Rotting",
            "Title",
            "Stage",
            Column("Idle days", justify="right"),
            Column("Threshold", justify="right"),
        ],
        [[r.deal.id, r.deal.title, r.deal.stage, r.idle_days, r.threshold] for r in report.rotting],
        title="Rotting deals",
    )


def _bucket_json(bucket: Bucket, weighted: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"count": bucket.count, "total": _money_json(bucket.total)}
    if weighted:
        data["weighted"] = _money_json(bucket.weighted)
    data["deals"] = bucket.deals
    return data


def _report_json(report: PipelineReport) -> dict[str, Any]:
    return {
        "pipeline": report.pipeline_id,
        "name": report.name,
        "owner": report.owner,
        "stages": [
            {
                "id": s.stage.id,
                "name": s.stage.name,
                "probability": s.stage.probability,
                "rotting_days": s.stage.rotting_days,
                **_bucket_json(s.open),
            }
            for s in report.stages
        ],
        "open": _bucket_json(report.open),
        "won": _bucket_json(report.won, weighted=False),
        "lost": _bucket_json(report.lost, weighted=False),
        "rotting": [
            {
                "id": r.deal.id,
                "title": r.deal.title,
                "stage": r.deal.stage,
                "idle_days": r.idle_days,
                "threshold": r.threshold,
            }
            for r in report.rotting
        ],
    }


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="deal")
    root.command("pipeline")(pipeline)
