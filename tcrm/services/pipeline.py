"""The pipeline view: what is open in each stage, what it is worth, and what is rotting.

Amounts are summed per currency and never across currencies: adding EUR to USD needs an
exchange rate, which is a report's decision, not this view's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tcrm.errors import UsageError
from tcrm.model import insights
from tcrm.model.records import Activity, Deal
from tcrm.model.settings import Settings, Stage
from tcrm.services.records import all_records, local_now
from tcrm.services.tasks import check_member
from tcrm.store.workspace import Workspace

Money = dict[str, Decimal]
"""Currency code -> amount."""


@dataclass
class Bucket:
    """Some deals counted, with their amounts and weighted amounts per currency."""

    count: int = 0
    total: Money = field(default_factory=dict)
    weighted: Money = field(default_factory=dict)
    deals: list[str] = field(default_factory=list)

    def add(self, deal: Deal, settings: Settings) -> None:
        self.count += 1
        self.deals.append(deal.id)
        if deal.amount is None:
            return
        currency = deal.currency or settings.currency
        self.total[currency] = self.total.get(currency, Decimal(0)) + deal.amount
        weight = insights.weighted(deal, settings)
        self.weighted[currency] = self.weighted.get(currency, Decimal(0)) + weight


@dataclass(frozen=True)
class StageSummary:
    stage: Stage
    open: Bucket


@dataclass(frozen=True)
class PipelineReport:
    pipeline_id: str
    name: str
    stages: list[StageSummary]
    open: Bucket
    won: Bucket
    lost: Bucket
    rotting: list[insights.Rotting]
    owner: str | None = None


def pipeline_report(
    ws: Workspace, *, now: datetime, name: str | None = None, owner: str | None = None
) -> PipelineReport:
    """Each stage's open deals, won and lost totals, and the rotting deals of a pipeline
    (with ``owner``: only the deals that member owns, as the dashboard shows them)."""
    now = local_now(ws, now)
    settings = ws.settings
    owner = check_member(ws, owner, "owner")
    flow = settings.pipeline(name)
    if flow is None:
        names = ", ".join(p.id for p in settings.pipelines)
        raise UsageError(f"unknown pipeline {name!r} (pipelines: {names})")
    deals = [
        d
        for d in all_records(ws, "deal")
        if isinstance(d, Deal) and d.pipeline == flow.id and (owner is None or d.owner == owner)
    ]
    by_stage: dict[str, Bucket] = defaultdict(Bucket)
    total, won, lost = Bucket(), Bucket(), Bucket()
    for deal in sorted(deals, key=lambda d: d.id):
        if deal.status == "won":
            won.add(deal, settings)
        elif deal.status == "lost":
            lost.add(deal, settings)
        elif flow.stage(deal.stage) is not None:  # a deal in a removed stage: `tcrm check`
            by_stage[deal.stage].add(deal, settings)
            total.add(deal, settings)
    activities = [a for a in all_records(ws, "activity") if isinstance(a, Activity)]
    return PipelineReport(
        pipeline_id=flow.id,
        name=flow.name,
        owner=owner,
        stages=[StageSummary(s, by_stage[s.id]) for s in flow.stages],
        open=total,
        won=won,
        lost=lost,
        rotting=insights.rotting_deals(deals, activities, settings, now),
    )
