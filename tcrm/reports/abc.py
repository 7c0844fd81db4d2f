"""ABC: clients ranked by won revenue and split into classes by cumulative share.

Revenue is the amount of a client's deals won in the period (a year by default), in the
workspace currency (or ``--currency``). Without ``--currency`` other currencies are
converted with ``rates`` where there is one and listed apart where not; with it, a
missing rate is an error. Class A is the fewest top clients that together reach the A
share (80% by default), B the next ones up to A+B (95%), C the rest: a client is A when
the clients ranked above it make less than the A share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tcrm.reports.base import Bar, Chart, Column, Inputs, Options, Report, Section, closed_in
from tcrm.reports.money import Converter, Money, add, cents, currency_of, money_json, percent

CLASSES = ("A", "B", "C")


@dataclass(frozen=True)
class Ranked:
    rank: int
    client: str
    name: str
    revenue: Decimal
    share: float | None
    cumulative: float | None
    klass: str
    deals: list[str]


@dataclass
class Abc(Report):
    currency: str = ""
    thresholds: tuple[int, int, int] = (80, 15, 5)
    clients: list[Ranked] = field(default_factory=list)
    total: Decimal = Decimal(0)
    without_revenue: int = 0
    unconverted: list[tuple[str, Money]] = field(default_factory=list)

    def classes(self) -> list[tuple[str, int, Decimal, float | None]]:
        out = []
        for klass in CLASSES:
            members = [c for c in self.clients if c.klass == klass]
            revenue = sum((c.revenue for c in members), Decimal(0))
            out.append((klass, len(members), revenue, percent(revenue, self.total)))
        return out

    def body(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "thresholds": dict(zip(CLASSES, self.thresholds, strict=True)),
            "total": format(cents(self.total), "f"),
            "clients": [
                {
                    "rank": c.rank,
                    "id": c.client,
                    "name": c.name,
                    "revenue": format(cents(c.revenue), "f"),
                    "share": c.share,
                    "cumulative_share": c.cumulative,
                    "class": c.klass,
                    "deals": c.deals,
                }
                for c in self.clients
            ],
            "classes": {
                klass: {"clients": n, "revenue": format(cents(rev), "f"), "share": share}
                for klass, n, rev, share in self.classes()
            },
            "clients_without_revenue": self.without_revenue,
            "unconverted": [
                {"client": client, "amount": money_json(money)}
                for client, money in self.unconverted
            ],
        }

    def sections(self) -> list[Section]:
        return [
            Section(
                "clients",
                f"Clients by won revenue ({self.currency})",
                [
                    Column("Rank", "count"),
                    Column("Client"),
                    Column("Name"),
                    Column("Revenue", "money"),
                    Column("Share", "percent"),
                    Column("Cumulative", "percent"),
                    Column("Class"),
                ],
                [
                    [c.rank, c.client, c.name, c.revenue, c.share, c.cumulative, c.klass]
                    for c in self.clients
                ],
                empty="no won revenue in this period",
            ),
            Section(
                "classes",
                "Classes",
                [
                    Column("Class"),
                    Column("Clients", "count"),
                    Column("Revenue", "money"),
                    Column("Share", "percent"),
                ],
                [list(row) for row in self.classes()],
            ),
        ]

    def charts(self) -> list[Chart]:
        return [
            Chart(
                "abc",
                f"Revenue share by class ({self.currency})",
                [
                    Bar(f"{klass} ({n} clients)", share or 0.0, f"{share or 0:.1f}%")
                    for klass, n, _, share in self.classes()
                ],
                kind="progress",
            )
        ]


def classify(before: Decimal, total: Decimal, thresholds: tuple[int, int, int]) -> str:
    """The class of a client whose higher-ranked clients make ``before`` of ``total``."""
    share = before * 100 / total
    if share < thresholds[0]:
        return "A"
    if share < thresholds[0] + thresholds[1]:
        return "B"
    return "C"


def abc(inputs: Inputs, options: Options) -> Abc:
    settings = inputs.settings
    period = options.window(inputs, "year")
    target = options.currency or settings.currency
    converter = Converter(settings, target, strict=options.currency is not None)
    won: dict[str, Money] = {}
    deals: dict[str, list[str]] = {}
    for deal in options.deals(inputs):
        if closed_in(deal, period, "won") and deal.amount is not None:
            add(won.setdefault(deal.client, {}), currency_of(deal, settings), deal.amount)
            deals.setdefault(deal.client, []).append(deal.id)
    names = {c.id: c.name for c in inputs.clients}
    revenue: dict[str, Decimal] = {}
    unconverted = []
    for client in sorted(won):
        total, left = converter.total(won[client])
        if left:
            unconverted.append((client, left))
        if total > 0:
            revenue[client] = total
    order = sorted(revenue, key=lambda c: (-revenue[c], c))
    grand = sum(revenue.values(), Decimal(0))
    ranked, running = [], Decimal(0)
    for rank, client in enumerate(order, start=1):
        klass = classify(running, grand, options.abc)
        running += revenue[client]
        ranked.append(
            Ranked(
                rank,
                client,
                names.get(client, client),
                revenue[client],
                percent(revenue[client], grand),
                percent(running, grand),
                klass,
                deals[client],
            )
        )
    scope = [c for c in inputs.clients if options.owner is None or c.owner == options.owner]
    report = Abc(
        "abc",
        "ABC clients",
        inputs,
        options,
        period,
        currency=target,
        thresholds=options.abc,
        clients=ranked,
        total=grand,
        without_revenue=sum(1 for c in scope if c.id not in revenue),
        unconverted=unconverted,
    )
    for client, money in unconverted:
        amounts = ", ".join(f"{v} {c}" for c, v in money_json(money).items())
        report.notes.append(
            f"{client}: {amounts} not converted (no rate in tcrm.yaml), not in the ranking"
        )
    if not ranked:
        report.notes.append("no deal was won in this period")
    return report
