"""Aging: how long each open deal has gone without an activity, and sat in its stage.

A snapshot at ``now`` (no period). An activity counts for a deal when it lists the deal.
Rotting follows ``tcrm today``: idle (no stage change, no activity) for longer than the
stage's ``rotting_days``. A stage with a standard time (``max_days``) shows each stay
against it: the standard, and the days over it. All day counts are elapsed whole days
(24 hours) until now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tcrm.model import insights
from tcrm.model.records import Deal, entered_stage_at
from tcrm.reports.base import Bar, Chart, Column, Inputs, Options, Report, Section, whole_days
from tcrm.reports.money import currency_of

BUCKETS: list[tuple[str, int, int | None]] = [
    ("0-7", 0, 7),
    ("8-14", 8, 14),
    ("15-30", 15, 30),
    ("31-60", 31, 60),
    ("61+", 61, None),
]
NEVER = "never"


@dataclass(frozen=True)
class Aged:
    deal: Deal
    currency: str
    last_activity: datetime | None
    days_since_activity: int | None
    days_in_stage: int | None
    idle_days: int | None
    rotting: bool
    rotting_days: int | None
    max_days: int | None = None
    """The stage's standard time (``max_days``), if it has one."""

    @property
    def over_standard(self) -> int | None:
        """Days past the stage's standard time (0 within it); None without one."""
        if self.max_days is None or self.days_in_stage is None:
            return None
        return max(0, self.days_in_stage - self.max_days)

    @property
    def bucket(self) -> str:
        if self.days_since_activity is None:
            return NEVER
        for label, low, high in BUCKETS:
            if self.days_since_activity >= low and (
                high is None or self.days_since_activity <= high
            ):
                return label
        return BUCKETS[0][0]  # a future activity: 0 days

    def to_json(self) -> dict[str, Any]:
        d = self.deal
        return {
            "id": d.id,
            "title": d.title,
            "client": d.client,
            "pipeline": d.pipeline,
            "stage": d.stage,
            "owner": d.owner,
            "amount": None if d.amount is None else format(d.amount, "f"),
            "currency": self.currency,
            "last_activity": None
            if self.last_activity is None
            else self.last_activity.isoformat(timespec="minutes"),
            "days_since_activity": self.days_since_activity,
            "days_in_stage": self.days_in_stage,
            "idle_days": self.idle_days,
            "rotting": self.rotting,
            "rotting_days": self.rotting_days,
            "bucket": self.bucket,
            "max_days": self.max_days,
            "over_standard_days": self.over_standard,
        }


@dataclass
class Aging(Report):
    deals: list[Aged] = field(default_factory=list)

    def buckets(self) -> list[tuple[str, int]]:
        labels = [b[0] for b in BUCKETS] + [NEVER]
        return [(label, sum(1 for a in self.deals if a.bucket == label)) for label in labels]

    def body(self) -> dict[str, Any]:
        return {
            "open": len(self.deals),
            "rotting": sum(1 for a in self.deals if a.rotting),
            "buckets": [{"days": label, "deals": n} for label, n in self.buckets()],
            "deals": [a.to_json() for a in self.deals],
        }

    def sections(self) -> list[Section]:
        return [
            Section(
                "deals",
                "Open deals, rotting first",
                [
                    Column("Deal"),
                    Column("Stage"),
                    Column("Owner"),
                    Column("Amount", "money"),
                    Column("Currency"),
                    Column("Days since activity", "days"),
                    Column("Days in stage", "days"),
                    Column("Standard", "days"),
                    Column("Over by", "days"),
                    Column("Rotting"),
                ],
                [
                    [
                        a.deal.id,
                        a.deal.stage,
                        a.deal.owner,
                        a.deal.amount,
                        a.currency,
                        NEVER if a.days_since_activity is None else a.days_since_activity,
                        a.days_in_stage,
                        a.max_days,
                        a.over_standard or None,
                        f"yes (> {a.rotting_days} days)" if a.rotting else "",
                    ]
                    for a in self.deals
                ],
                empty="no open deals",
            ),
            Section(
                "buckets",
                "Open deals by days since the last activity",
                [Column("Days"), Column("Deals", "count")],
                [[label, n] for label, n in self.buckets()],
            ),
        ]

    def charts(self) -> list[Chart]:
        return [
            Chart(
                "aging",
                "Open deals by days since the last activity",
                [Bar(label, float(n), str(n)) for label, n in self.buckets()],
            )
        ]


def aging(inputs: Inputs, options: Options) -> Aging:
    settings, now = inputs.settings, inputs.now
    deals = [d for d in options.deals(inputs) if d.status == "open"]
    _, last_by_deal = insights.last_activity_by(inputs.activities)
    rotting = {
        r.deal.id: r for r in insights.rotting_deals(deals, inputs.activities, settings, now)
    }
    aged = []
    for deal in deals:
        last = last_by_deal.get(deal.id)
        entered = entered_stage_at(deal)
        touched = insights.last_touch(deal, last_by_deal)
        pipeline = settings.pipeline(deal.pipeline)
        stage = pipeline.stage(deal.stage) if pipeline else None
        aged.append(
            Aged(
                deal,
                currency_of(deal, settings),
                last,
                _days(last, inputs),
                _days(entered, inputs),
                _days(touched, inputs),
                deal.id in rotting,
                stage.rotting_days if stage else None,
                stage.max_days if stage else None,
            )
        )
    aged.sort(key=_order)
    report = Aging("aging", "Aging", inputs, options, None, deals=aged)
    if not aged:
        report.notes.append("no open deals")
    return report


def _days(moment: datetime | None, inputs: Inputs) -> int | None:
    return None if moment is None else max(0, whole_days(inputs.aware(moment), inputs.now))


def _order(a: Aged) -> tuple[Any, ...]:
    never = Decimal("Infinity")
    since = never if a.days_since_activity is None else a.days_since_activity
    return (
        not a.rotting,
        -(a.idle_days or 0) if a.rotting else 0,
        -since,
        -(a.days_in_stage or 0),
        a.deal.id,
    )
