"""Win rate and velocity: how often and how fast deals close, and where time goes.

Deals count in the period they were *last* closed (``closed``): a reopened deal that is
open again counts nowhere, one closed again counts once, at its last closing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tcrm.model.records import Client, Deal
from tcrm.reports.base import (
    NONE,
    Bar,
    Chart,
    Column,
    Inputs,
    Options,
    Report,
    Section,
    closed_in,
    closing_at,
    created_at,
    source_of,
    whole_days,
)
from tcrm.reports.money import (
    Converter,
    Money,
    add,
    cents,
    currency_of,
    mean,
    money_json,
    one_decimal,
    percent,
    shown,
)
from tcrm.reports.periods import Period


def days_to_close(deal: Deal, inputs: Inputs) -> int | None:
    """Whole days from creation to the last closing (to ``closed`` when the history lacks
    the closing entry); ``None`` without a creation date."""
    start = created_at(deal)
    if start is None or deal.closed is None:
        return None
    end = closing_at(deal)
    if end is not None:
        return whole_days(inputs.aware(start), inputs.aware(end))
    return (deal.closed - inputs.day(start)).days


@dataclass
class Rate:
    """Closed deals of one group: an owner, a source, or everyone."""

    key: str
    won: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    won_amount: Money = field(default_factory=dict)
    cycles: list[int] = field(default_factory=list)

    def add(self, deal: Deal, inputs: Inputs) -> None:
        if deal.status == "lost":
            self.lost.append(deal.id)
            return
        self.won.append(deal.id)
        if deal.amount is not None:
            add(self.won_amount, currency_of(deal, inputs.settings), deal.amount)
        days = days_to_close(deal, inputs)
        if days is not None:
            self.cycles.append(days)

    @property
    def win_rate(self) -> float | None:
        return percent(len(self.won), len(self.won) + len(self.lost))

    @property
    def avg_days(self) -> Decimal | None:
        return mean(self.cycles)

    def to_json(self, converter: Converter | None) -> dict[str, Any]:
        return {
            "won": len(self.won),
            "lost": len(self.lost),
            "win_rate": self.win_rate,
            "avg_days_to_close": one_decimal(self.avg_days),
            "won_amount": money_json(shown(self.won_amount, converter)),
        }

    def row(self) -> list[Any]:
        return [self.key, len(self.won), len(self.lost), self.win_rate, one_decimal(self.avg_days)]


RATE_COLUMNS = [
    Column("Won", "count"),
    Column("Lost", "count"),
    Column("Win rate", "percent"),
    Column("Avg days to close", "days"),
]


def closed_deals(inputs: Inputs, options: Options, period: Period) -> list[Deal]:
    return [d for d in options.deals(inputs) if closed_in(d, period)]


@dataclass
class WinRate(Report):
    overall: Rate = field(default_factory=lambda: Rate("all"))
    by_owner: list[Rate] = field(default_factory=list)
    by_source: list[Rate] = field(default_factory=list)
    converter: Converter | None = None

    def body(self) -> dict[str, Any]:
        c = self.converter
        return {
            **self.overall.to_json(c),
            "by_owner": [{"owner": r.key, **r.to_json(c)} for r in self.by_owner],
            "by_source": [{"source": r.key, **r.to_json(c)} for r in self.by_source],
        }

    def sections(self) -> list[Section]:
        return [
            Section("overall", "Win rate", [Column("Deals"), *RATE_COLUMNS], [self.overall.row()]),
            Section(
                "by_owner",
                "By owner",
                [Column("Owner"), *RATE_COLUMNS],
                [r.row() for r in self.by_owner],
            ),
            Section(
                "by_source",
                "By source",
                [Column("Source"), *RATE_COLUMNS],
                [r.row() for r in self.by_source],
            ),
        ]

    def charts(self) -> list[Chart]:
        return [
            Chart(
                f"winrate-{name}",
                f"Win rate by {name}",
                [Bar(r.key, r.win_rate or 0.0, _rate_text(r)) for r in rates if r.won or r.lost],
                kind="progress",
            )
            for name, rates in (("owner", self.by_owner), ("source", self.by_source))
        ]


def _rate_text(rate: Rate) -> str:
    value = "-" if rate.win_rate is None else f"{rate.win_rate:.1f}%"
    return f"{value} ({len(rate.won)} of {len(rate.won) + len(rate.lost)})"


def _group_order(keys: list[str], known: list[str]) -> list[str]:
    """Known values in their configured order, then others alphabetically, (none) last."""
    rest = sorted(k for k in keys if k not in known and k != NONE)
    return [k for k in known if k in keys] + rest + ([NONE] if NONE in keys else [])


def winrate(inputs: Inputs, options: Options) -> WinRate:
    period = options.window(inputs)
    clients: dict[str, Client] = {c.id: c for c in inputs.clients}
    report = WinRate(
        "winrate", "Win rate", inputs, options, period, converter=options.converter(inputs.settings)
    )
    owners: dict[str, Rate] = {}
    sources: dict[str, Rate] = {}
    for deal in closed_deals(inputs, options, period):
        report.overall.add(deal, inputs)
        owner = deal.owner or NONE
        owners.setdefault(owner, Rate(owner)).add(deal, inputs)
        source = source_of(deal, clients)
        sources.setdefault(source, Rate(source)).add(deal, inputs)
    team = [m.id for m in inputs.settings.team]
    report.by_owner = [owners[k] for k in _group_order(list(owners), team)]
    report.by_source = [
        sources[k] for k in _group_order(list(sources), inputs.settings.lists.sources)
    ]
    shown(report.overall.won_amount, report.converter)
    if not report.overall.won and not report.overall.lost:
        report.notes.append("no deal was won or lost in this period")
    return report


# --- velocity -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stay:
    """A stretch of time a deal spent open in one stage."""

    pipeline: str
    stage: str
    start: datetime
    end: datetime
    ended: bool
    """False for the current stage of an open deal (measured until now)."""

    def days(self) -> int:
        return whole_days(self.start, self.end)


def stays(deal: Deal, inputs: Inputs) -> list[Stay]:
    """The deal's stays in stages, from consecutive history entries.

    A stay runs from an entry to the next one; the time after a won/lost entry (until a
    reopen) is no stay. Consecutive entries of the same stage make one stay. The current
    stage of an open deal runs until now (``ended`` False).
    """
    entries = deal.stage_history
    out: list[Stay] = []
    for i, entry in enumerate(entries):
        if entry.status in ("won", "lost"):
            continue
        if i + 1 < len(entries):
            end, ended = entries[i + 1].at, True
        elif deal.status == "open":
            end, ended = inputs.now, False
        else:
            continue
        stay = Stay(deal.pipeline, entry.stage, inputs.aware(entry.at), inputs.aware(end), ended)
        last = out[-1] if out else None
        if last is not None and last.stage == stay.stage and last.end == stay.start:
            stay = Stay(deal.pipeline, stay.stage, last.start, stay.end, stay.ended)
            out[-1] = stay
        else:
            out.append(stay)
    return out


@dataclass
class StageTime:
    pipeline: str
    stage: str
    name: str
    days: list[int] = field(default_factory=list)

    @property
    def average(self) -> Decimal | None:
        return mean(self.days)


@dataclass(frozen=True)
class VelocityRow:
    currency: str
    open_deals: int
    won_deals: int
    avg_won_amount: Decimal | None
    per_day: Decimal | None


@dataclass
class Velocity(Report):
    overall: Rate = field(default_factory=lambda: Rate("all"))
    stages: list[StageTime] = field(default_factory=list)
    rows: list[VelocityRow] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            "won": len(self.overall.won),
            "lost": len(self.overall.lost),
            "win_rate": self.overall.win_rate,
            "avg_days_to_close": one_decimal(self.overall.avg_days),
            "velocity": [
                {
                    "currency": r.currency,
                    "open_deals": r.open_deals,
                    "won_deals": r.won_deals,
                    "avg_won_amount": _dec(r.avg_won_amount),
                    "per_day": _dec(r.per_day),
                }
                for r in self.rows
            ],
            "stages": [
                {
                    "pipeline": s.pipeline,
                    "stage": s.stage,
                    "name": s.name,
                    "stays": len(s.days),
                    "avg_days": one_decimal(s.average),
                }
                for s in self.stages
            ],
        }

    def sections(self) -> list[Section]:
        return [
            Section(
                "velocity",
                "Sales velocity (open deals x win rate x average won amount / days to close)",
                [
                    Column("Currency"),
                    Column("Open deals", "count"),
                    Column("Win rate", "percent"),
                    Column("Won deals", "count"),
                    Column("Avg won amount", "money"),
                    Column("Avg days to close", "days"),
                    Column("Per day", "money"),
                ],
                [
                    [
                        r.currency,
                        r.open_deals,
                        self.overall.win_rate,
                        r.won_deals,
                        r.avg_won_amount,
                        one_decimal(self.overall.avg_days),
                        r.per_day,
                    ]
                    for r in self.rows
                ],
                empty="no open deals",
            ),
            Section(
                "stages",
                "Average days in each stage (stays that ended in the period)",
                [
                    Column("Pipeline"),
                    Column("Stage"),
                    Column("Stays", "count"),
                    Column("Avg days", "days"),
                ],
                [[s.pipeline, s.name, len(s.days), one_decimal(s.average)] for s in self.stages],
            ),
        ]

    def charts(self) -> list[Chart]:
        bars = [
            Bar(f"{s.pipeline}: {s.name}", float(s.average or 0), f"{one_decimal(s.average)} days")
            for s in self.stages
            if s.days
        ]
        return [Chart("stage-days", "Average days in stage", bars)] if bars else []


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(cents(value), "f")


def velocity(inputs: Inputs, options: Options) -> Velocity:
    settings = inputs.settings
    period = options.window(inputs)
    converter = options.converter(settings)
    report = Velocity("velocity", "Velocity", inputs, options, period)
    won_by_currency: dict[str, list[Decimal]] = defaultdict(list)
    for deal in closed_deals(inputs, options, period):
        report.overall.add(deal, inputs)
        if deal.status == "won" and deal.amount is not None:
            currency, amount = currency_of(deal, settings), deal.amount
            if converter is not None:
                converted = converter.convert(amount, currency)
                assert converted is not None  # strict: a missing rate raised
                currency, amount = converter.target, converted
            won_by_currency[currency].append(amount)
    open_by_currency: dict[str, int] = defaultdict(int)
    deals = options.deals(inputs)
    for deal in deals:
        if deal.status == "open":
            currency = converter.target if converter else currency_of(deal, settings)
            open_by_currency[currency] += 1
    won, closed = len(report.overall.won), len(report.overall.won) + len(report.overall.lost)
    cycle = report.overall.avg_days
    for currency in sorted(set(open_by_currency) | set(won_by_currency)):
        sizes = won_by_currency.get(currency, [])
        size = mean(sizes)
        per_day = None
        if size is not None and closed and cycle:
            per_day = open_by_currency[currency] * Decimal(won) / closed * size / cycle
        report.rows.append(
            VelocityRow(currency, open_by_currency[currency], len(sizes), size, per_day)
        )
    report.stages = _stage_times(deals, inputs, options, period)
    if not report.overall.won:
        report.notes.append("no deal was won in this period: no velocity to compute")
    return report


def _stage_times(
    deals: list[Deal], inputs: Inputs, options: Options, period: Period
) -> list[StageTime]:
    pipelines = [p for p in inputs.settings.pipelines if options.pipeline in (None, p.id)]
    times = {(p.id, s.id): StageTime(p.id, s.id, s.name) for p in pipelines for s in p.stages}
    for deal in deals:
        for stay in stays(deal, inputs):
            key = (stay.pipeline, stay.stage)
            if stay.ended and key in times and inputs.day(stay.end) in period:
                times[key].days.append(stay.days())
    return list(times.values())
