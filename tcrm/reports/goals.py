"""Progress against the goals of ``tcrm.yaml``, shared by the KPI panel and the forecast.

A goal is measured over *its own* period (a weekly goal over a week), the one holding the
anchor day: today, or the report's last day when the report looks at the past. A goal
without ``member`` applies to every team member, each against the full target. Won
amounts are in the workspace currency (targets are): other currencies are converted
with ``rates`` where there is one, and reported apart (``unconverted``) where not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tcrm.model.records import Deal
from tcrm.model.settings import Goal
from tcrm.reports.base import Inputs, Options, created_at
from tcrm.reports.money import Converter, Money, add, cents, currency_of, money_json, percent
from tcrm.reports.periods import Period, period_of


@dataclass(frozen=True)
class Progress:
    goal: Goal
    member: str
    period: Period
    actual: Decimal
    unconverted: Money = field(default_factory=dict)

    @property
    def percent(self) -> float | None:
        return percent(self.actual, self.goal.target)

    @property
    def label(self) -> str:
        what = self.goal.metric.replace("_", " ")
        if self.goal.metric == "activities" and self.goal.kind:
            what = f"{self.goal.kind} activities"
        return f"{what} per {self.goal.period}"

    def shown(self, value: Decimal) -> Decimal | int:
        """A target or an actual as shown: an amount, or a whole count."""
        if is_amount(self.goal) or value != value.to_integral():
            return value
        return int(value)

    def actual_text(self) -> str:
        return format(cents(self.actual), "f") if is_amount(self.goal) else format(self.actual, "f")

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "metric": self.goal.metric,
            "kind": self.goal.kind,
            "period": self.period.to_json(),
            "target": format(self.goal.target, "f"),
            "actual": self.actual_text(),
            "percent": self.percent,
            "unconverted": money_json(self.unconverted),
        }


def is_amount(goal: Goal) -> bool:
    return goal.metric == "won_amount"


def members_for(goal: Goal, members: list[str]) -> list[str]:
    """Who a goal applies to, among the members a report shows."""
    if goal.member is None:
        return list(members)
    return [goal.member] if goal.member in members else []


def anchor_day(inputs: Inputs, period: Period | None) -> date:
    """Today; or the report's last day when the report ends before today."""
    if period is not None and period.end < inputs.today:
        return period.end
    return inputs.today


def won_deals(inputs: Inputs, options: Options, member: str, period: Period) -> list[Deal]:
    return [
        d
        for d in options.deals(inputs)
        if d.owner == member and d.status == "won" and d.closed is not None and d.closed in period
    ]


def measure(goal: Goal, member: str, period: Period, inputs: Inputs, options: Options) -> Progress:
    """What ``member`` achieved of ``goal`` in ``period``."""
    day = inputs.day
    metric = goal.metric
    unconverted: Money = {}
    if metric == "activities":
        actual = Decimal(
            sum(
                1
                for a in inputs.activities
                if a.author == member
                and day(a.at) in period
                and (goal.kind is None or a.kind == goal.kind)
            )
        )
    elif metric == "tasks_completed":
        actual = Decimal(
            sum(
                1
                for t in inputs.tasks
                if t.assignee == member
                and t.status == "done"
                and t.completed is not None
                and day(t.completed) in period
            )
        )
    elif metric == "deals_created":
        actual = Decimal(
            sum(
                1
                for d in options.deals(inputs)
                if d.owner == member and (c := created_at(d)) is not None and day(c) in period
            )
        )
    elif metric == "deals_won":
        actual = Decimal(len(won_deals(inputs, options, member, period)))
    elif metric == "won_amount":
        won: Money = {}
        for deal in won_deals(inputs, options, member, period):
            if deal.amount is not None:
                add(won, currency_of(deal, inputs.settings), deal.amount)
        converter = Converter(inputs.settings, inputs.settings.currency, strict=False)
        actual, unconverted = converter.total(won)
    else:  # new_clients
        actual = Decimal(
            sum(
                1
                for c in inputs.clients
                if c.owner == member and c.created is not None and day(c.created) in period
            )
        )
    return Progress(goal, member, period, actual, unconverted)


def progress(
    inputs: Inputs,
    options: Options,
    members: list[str],
    anchor: date,
    metrics: frozenset[str] | None = None,
) -> list[Progress]:
    """Each goal for each member it applies to, in settings order, then member order."""
    out = []
    for goal in inputs.settings.goals:
        if metrics is not None and goal.metric not in metrics:
            continue
        period = period_of(goal.period, anchor)
        for member in members_for(goal, members):
            out.append(measure(goal, member, period, inputs, options))
    return out
