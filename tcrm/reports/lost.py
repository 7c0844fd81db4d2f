"""Lost deals: why they were lost and at which stage.

Counts deals whose status is lost and whose last closing (``closed``) is in the period;
the stage lost at is the stage the deal closed at (a closed deal keeps its stage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tcrm.model.records import Deal
from tcrm.reports.base import NONE, Bar, Chart, Column, Inputs, Options, Report, Section, closed_in
from tcrm.reports.money import (
    Converter,
    Money,
    add,
    currency_of,
    money_json,
    percent,
    shown,
)


@dataclass
class Group:
    key: str
    name: str = ""
    pipeline: str | None = None
    deals: list[str] = field(default_factory=list)
    amount: Money = field(default_factory=dict)
    without_amount: int = 0


@dataclass
class Lost(Report):
    deals: list[Deal] = field(default_factory=list)
    by_reason: list[Group] = field(default_factory=list)
    by_stage: list[Group] = field(default_factory=list)
    converter: Converter | None = None

    def _group_json(self, g: Group) -> dict[str, Any]:
        return {
            "deals": len(g.deals),
            "share": percent(len(g.deals), len(self.deals)),
            "amount": money_json(shown(g.amount, self.converter)),
            "without_amount": g.without_amount,
            "ids": g.deals,
        }

    def body(self) -> dict[str, Any]:
        settings = self.inputs.settings
        return {
            "lost": len(self.deals),
            "by_reason": [{"reason": g.key, **self._group_json(g)} for g in self.by_reason],
            "by_stage": [
                {"pipeline": g.pipeline, "stage": g.key, "name": g.name, **self._group_json(g)}
                for g in self.by_stage
            ],
            "deals": [
                {
                    "id": d.id,
                    "title": d.title,
                    "client": d.client,
                    "pipeline": d.pipeline,
                    "stage": d.stage,
                    "reason": d.lost_reason,
                    "closed": d.closed.isoformat() if d.closed else None,
                    "owner": d.owner,
                    "amount": None if d.amount is None else format(d.amount, "f"),
                    "currency": currency_of(d, settings),
                }
                for d in self.deals
            ],
        }

    def _rows(self, groups: list[Group], with_pipeline: bool) -> list[list[Any]]:
        rows: list[list[Any]] = []
        for g in groups:
            amount = shown(g.amount, self.converter)
            currencies = sorted(amount) or [""]
            for i, currency in enumerate(currencies):
                first = i == 0
                head = [g.pipeline, g.name] if with_pipeline else [g.key]
                rows.append(
                    [
                        *head,
                        len(g.deals) if first else None,
                        percent(len(g.deals), len(self.deals)) if first else None,
                        currency,
                        amount.get(currency),
                    ]
                )
        return rows

    def sections(self) -> list[Section]:
        tail = [
            Column("Deals", "count"),
            Column("Share", "percent"),
            Column("Currency"),
            Column("Amount", "money"),
        ]
        settings = self.inputs.settings
        return [
            Section(
                "by_reason",
                "Lost by reason",
                [Column("Reason"), *tail],
                self._rows(self.by_reason, False),
            ),
            Section(
                "by_stage",
                "Lost at stage",
                [Column("Pipeline"), Column("Stage"), *tail],
                self._rows(self.by_stage, True),
            ),
            Section(
                "deals",
                "Lost deals",
                [
                    Column("Deal"),
                    Column("Closed"),
                    Column("Stage"),
                    Column("Reason"),
                    Column("Owner"),
                    Column("Amount", "money"),
                    Column("Currency"),
                ],
                [
                    [
                        d.id,
                        d.closed.isoformat() if d.closed else None,
                        d.stage,
                        d.lost_reason,
                        d.owner,
                        d.amount,
                        currency_of(d, settings),
                    ]
                    for d in self.deals
                ],
            ),
        ]

    def charts(self) -> list[Chart]:
        return [
            Chart(
                f"lost-{key}",
                title,
                [Bar(g.name or g.key, float(len(g.deals)), str(len(g.deals))) for g in groups],
            )
            for key, title, groups in (
                ("reason", "Lost by reason", self.by_reason),
                ("stage", "Lost at stage", self.by_stage),
            )
            if any(g.deals for g in groups)
        ]


def lost(inputs: Inputs, options: Options) -> Lost:
    settings = inputs.settings
    period = options.window(inputs)
    deals = [d for d in options.deals(inputs) if closed_in(d, period, "lost")]
    deals.sort(key=lambda d: (d.closed, d.id))
    reasons = {r: Group(r, r) for r in settings.lists.lost_reasons}
    stages = {
        (p.id, s.id): Group(s.id, s.name, p.id)
        for p in settings.pipelines
        if options.pipeline in (None, p.id)
        for s in p.stages
    }
    for deal in deals:
        reason = deal.lost_reason or NONE
        groups = [
            reasons.setdefault(reason, Group(reason, reason)),
            stages.setdefault(
                (deal.pipeline, deal.stage), Group(deal.stage, deal.stage, deal.pipeline)
            ),
        ]
        for group in groups:
            group.deals.append(deal.id)
            if deal.amount is None:
                group.without_amount += 1
            else:
                add(group.amount, currency_of(deal, settings), deal.amount)
    converter = options.converter(settings)
    report = Lost(
        "lost",
        "Lost deals",
        inputs,
        options,
        period,
        deals=deals,
        by_reason=list(reasons.values()),
        by_stage=list(stages.values()),
        converter=converter,
    )
    for g in report.by_reason:
        shown(g.amount, converter)
    missing = sum(1 for d in deals if d.amount is None)
    if missing:
        report.notes.append(
            f"{missing} lost deal{'s have' if missing > 1 else ' has'} no amount: counted, "
            "not in the amounts"
        )
    if not deals:
        report.notes.append("no deal was lost in this period")
    return report
