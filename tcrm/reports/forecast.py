"""Forecast: open deals by expected close period, raw and weighted, and won against goals.

Each open deal falls in the period (``--period``, a month by default) holding its
``close_date``; open deals whose close date is before the current period are *overdue*,
those without one *undated*. Weighted = amount x probability (the deal's own, else its
stage's). With ``--since/--until`` only deals closing within those days are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tcrm.model.insights import weighted
from tcrm.model.money import money_text
from tcrm.model.records import Deal
from tcrm.reports import goals as goal_progress
from tcrm.reports.base import (
    Bar,
    Chart,
    Column,
    Inputs,
    Options,
    Report,
    Section,
    closed_in,
    without_amount_note,
)
from tcrm.reports.money import (
    Converter,
    Money,
    add,
    cents,
    currency_of,
    money_json,
    percent,
    shown,
)
from tcrm.reports.periods import Period, period_of, span

OVERDUE, UNDATED = "overdue", "undated"


@dataclass
class Bucket:
    key: str
    period: Period | None
    deals: list[str] = field(default_factory=list)
    without_amount: int = 0
    amount: Money = field(default_factory=dict)
    weighted: Money = field(default_factory=dict)

    def add(self, deal: Deal, inputs: Inputs) -> None:
        self.deals.append(deal.id)
        if deal.amount is None:
            self.without_amount += 1
            return
        currency = currency_of(deal, inputs.settings)
        add(self.amount, currency, deal.amount)
        add(self.weighted, currency, weighted(deal, inputs.settings))


@dataclass(frozen=True)
class GoalForecast:
    progress: goal_progress.Progress
    expected: Decimal
    """Weighted open deals of the member closing within the goal's period."""
    unconverted: Money

    @property
    def projected(self) -> Decimal:
        return self.progress.actual + self.expected

    def to_json(self) -> dict[str, Any]:
        unconverted: Money = dict(self.progress.unconverted)
        for currency, amount in self.unconverted.items():
            add(unconverted, currency, amount)
        return {
            **self.progress.to_json(),
            "won": format(cents(self.progress.actual), "f"),
            "expected": format(cents(self.expected), "f"),
            "projected": format(cents(self.projected), "f"),
            "projected_percent": percent(self.projected, self.progress.goal.target),
            "unconverted": money_json(unconverted),
        }


@dataclass
class Forecast(Report):
    granularity: str = "month"
    current: Period | None = None
    buckets: list[Bucket] = field(default_factory=list)
    won: Money = field(default_factory=dict)
    won_deals: list[str] = field(default_factory=list)
    goals: list[GoalForecast] = field(default_factory=list)
    converter: Converter | None = None

    def _money(self, money: Money) -> Money:
        return shown(money, self.converter)

    def totals(self) -> tuple[Money, Money]:
        amount: Money = {}
        weighted_total: Money = {}
        for bucket in self.buckets:
            for c, v in bucket.amount.items():
                add(amount, c, v)
            for c, v in bucket.weighted.items():
                add(weighted_total, c, v)
        return amount, weighted_total

    def body(self) -> dict[str, Any]:
        amount, weighted_total = self.totals()
        assert self.current is not None
        return {
            "granularity": self.granularity,
            "buckets": [
                {
                    "key": b.key,
                    "start": b.period.start.isoformat() if b.period else None,
                    "end": b.period.end.isoformat() if b.period else None,
                    "deals": len(b.deals),
                    "without_amount": b.without_amount,
                    "amount": money_json(self._money(b.amount)),
                    "weighted": money_json(self._money(b.weighted)),
                    "ids": b.deals,
                }
                for b in self.buckets
            ],
            "total": {
                "deals": sum(len(b.deals) for b in self.buckets),
                "without_amount": sum(b.without_amount for b in self.buckets),
                "amount": money_json(self._money(amount)),
                "weighted": money_json(self._money(weighted_total)),
            },
            "won_so_far": {
                "period": self.current.to_json(),
                "deals": len(self.won_deals),
                "amount": money_json(self._money(self.won)),
                "ids": self.won_deals,
            },
            "goals": [g.to_json() for g in self.goals],
        }

    def _currencies(self) -> list[str]:
        found = {c for b in self.buckets for c in self._money(b.amount)}
        return sorted(found) or [self.options.currency or self.inputs.settings.currency]

    def sections(self) -> list[Section]:
        rows: list[list[Any]] = []
        for b in self.buckets:
            amount, weighted_money = self._money(b.amount), self._money(b.weighted)
            currencies = sorted(amount) or [""]
            for i, currency in enumerate(currencies):
                rows.append(
                    [
                        b.key,
                        len(b.deals) if i == 0 else None,
                        b.without_amount if i == 0 else None,
                        currency,
                        amount.get(currency),
                        weighted_money.get(currency),
                    ]
                )
        assert self.current is not None
        won = self._money(self.won)
        goal_rows: list[list[Any]] = [
            [
                g.progress.member,
                g.progress.period.label,
                g.progress.goal.target,
                g.progress.actual,
                g.expected,
                g.projected,
                g.progress.percent,
            ]
            for g in self.goals
        ]
        return [
            Section(
                "buckets",
                f"Open deals by expected close {self.granularity}",
                [
                    Column("Close"),
                    Column("Deals", "count"),
                    Column("No amount", "count"),
                    Column("Currency"),
                    Column("Amount", "money"),
                    Column("Weighted", "money"),
                ],
                rows,
                empty="no open deals",
            ),
            Section(
                "won",
                f"Won so far in {self.current.label}",
                [Column("Currency"), Column("Deals", "count"), Column("Won", "money")],
                [[c, len(self.won_deals), won[c]] for c in sorted(won)]
                or [[self.inputs.settings.currency, len(self.won_deals), Decimal(0)]],
            ),
            Section(
                "goals",
                f"Won amount against goals ({self.inputs.settings.currency})",
                [
                    Column("Member"),
                    Column("Period"),
                    Column("Target", "money"),
                    Column("Won", "money"),
                    Column("Expected", "money"),
                    Column("Projected", "money"),
                    Column("Won %", "percent"),
                ],
                goal_rows,
                empty="no won_amount goal in tcrm.yaml",
            ),
        ]

    def charts(self) -> list[Chart]:
        out = []
        for currency in self._currencies():
            bars = []
            for b in self.buckets:
                raw = self._money(b.amount).get(currency, Decimal(0))
                part = self._money(b.weighted).get(currency, Decimal(0))
                text = f"{money_text(raw)} / {money_text(part)} weighted"
                bars.append(Bar(b.key, float(raw), text, inner=float(part)))
            out.append(
                Chart(
                    f"forecast-{currency}",
                    f"Forecast in {currency}",
                    bars,
                    legend=("amount", "weighted"),
                )
            )
        if self.goals:
            out.append(
                Chart(
                    "forecast-goals",
                    "Won against goals",
                    [
                        Bar(
                            f"{g.progress.member} {g.progress.period.label}",
                            g.progress.percent or 0.0,
                            f"{g.progress.percent or 0:.1f}% (projected "
                            f"{percent(g.projected, g.progress.goal.target) or 0:.1f}%)",
                            inner=None,
                        )
                        for g in self.goals
                    ],
                    kind="progress",
                )
            )
        return out


def _bucket_key(close: date | None, overdue_before: date | None, granularity: str) -> str:
    if close is None:
        return UNDATED
    if overdue_before is not None and close < overdue_before:
        return OVERDUE
    return period_of(granularity, close).label  # type: ignore[arg-type]


def forecast(inputs: Inputs, options: Options) -> Forecast:
    granularity = options.period or "month"
    today = inputs.today
    current = period_of(granularity, today)
    explicit = options.since is not None or options.until is not None
    rng = options.window(inputs, granularity) if explicit else None
    open_deals = [d for d in options.deals(inputs) if d.status == "open"]
    deals = open_deals
    if rng is not None:
        deals = [d for d in deals if d.close_date is not None and d.close_date in rng]
    dated = [d.close_date for d in deals if d.close_date is not None]
    periods: list[Period] = []
    if rng is not None:
        periods = span(granularity, rng.start, rng.end)
    elif dated and max(dated) >= current.start:
        periods = span(granularity, current.start, max(dated))
    buckets = {p.label: Bucket(p.label, p) for p in periods}
    early, undated = Bucket(OVERDUE, None), Bucket(UNDATED, None)
    for deal in deals:
        key = _bucket_key(deal.close_date, None if rng else current.start, granularity)
        target = early if key == OVERDUE else undated if key == UNDATED else buckets[key]
        target.add(deal, inputs)
    ordered = ([early] if early.deals else []) + list(buckets.values())
    ordered += [undated] if undated.deals else []
    won: Money = {}
    won_ids = []
    to_date = Period(current.kind, current.start, today)
    for deal in options.deals(inputs):
        if closed_in(deal, to_date, "won"):
            won_ids.append(deal.id)
            if deal.amount is not None:
                add(won, currency_of(deal, inputs.settings), deal.amount)
    converter = options.converter(inputs.settings)
    report = Forecast(
        "forecast",
        "Forecast",
        inputs,
        options,
        rng,
        granularity=granularity,
        current=current,
        buckets=ordered,
        won=won,
        won_deals=won_ids,
        converter=converter,
    )
    report.goals = _goal_forecasts(inputs, options, open_deals)
    shown(won, converter)  # a missing rate is an error now, not half-way through output
    for b in ordered:
        shown(b.amount, converter)
    note = without_amount_note(sum(b.without_amount for b in ordered), "the deal counts")
    if note:
        report.notes.append(note)
    if not deals:
        report.notes.append("no open deals")
    return report


def _goal_forecasts(inputs: Inputs, options: Options, open_deals: list[Deal]) -> list[GoalForecast]:
    members = options.members(inputs)
    rows = goal_progress.progress(inputs, options, members, inputs.today, frozenset({"won_amount"}))
    converter = Converter(inputs.settings, inputs.settings.currency, strict=False)
    out = []
    for row in rows:
        expected: Money = {}
        for deal in open_deals:
            if deal.owner == row.member and deal.close_date and deal.close_date in row.period:
                add(expected, currency_of(deal, inputs.settings), weighted(deal, inputs.settings))
        total, left = converter.total(expected)
        out.append(GoalForecast(row, total, left))
    return out
