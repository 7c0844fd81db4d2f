"""Sources: where leads and deals come from, and which sources win.

Lead source attribution: a deal's source is its own ``source``, else its client's, else
(none). Leads are clients created in the period (by their ``source``); deals are deals
created in the period; won, lost and won amount count deals last closed in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tcrm.model.records import Client
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
    created_at,
    source_of,
)
from tcrm.reports.money import Converter, Money, add, currency_of, money_json, percent, shown


@dataclass
class SourceRow:
    source: str
    leads: int = 0
    deals: int = 0
    won: int = 0
    lost: int = 0
    won_amount: Money = field(default_factory=dict)

    @property
    def win_rate(self) -> float | None:
        return percent(self.won, self.won + self.lost)


@dataclass
class Sources(Report):
    rows: list[SourceRow] = field(default_factory=list)
    converter: Converter | None = None

    def body(self) -> dict[str, Any]:
        return {
            "sources": [
                {
                    "source": r.source,
                    "leads": r.leads,
                    "deals": r.deals,
                    "won": r.won,
                    "lost": r.lost,
                    "win_rate": r.win_rate,
                    "won_amount": money_json(shown(r.won_amount, self.converter)),
                }
                for r in self.rows
            ]
        }

    def sections(self) -> list[Section]:
        rows: list[list[Any]] = []
        for r in self.rows:
            won = shown(r.won_amount, self.converter)
            currencies = sorted(won) or [""]
            for i, currency in enumerate(currencies):
                first = i == 0
                rows.append(
                    [
                        r.source,
                        r.leads if first else None,
                        r.deals if first else None,
                        r.won if first else None,
                        r.lost if first else None,
                        r.win_rate if first else None,
                        currency,
                        won.get(currency),
                    ]
                )
        return [
            Section(
                "sources",
                "By source",
                [
                    Column("Source"),
                    Column("Leads", "count"),
                    Column("Deals", "count"),
                    Column("Won", "count"),
                    Column("Lost", "count"),
                    Column("Win rate", "percent"),
                    Column("Currency"),
                    Column("Won amount", "money"),
                ],
                rows,
            )
        ]

    def charts(self) -> list[Chart]:
        return [
            Chart(
                "sources-deals",
                "New deals by source",
                [Bar(r.source, float(r.deals), str(r.deals)) for r in self.rows],
            )
        ]


def sources(inputs: Inputs, options: Options) -> Sources:
    period = options.window(inputs)
    clients: dict[str, Client] = {c.id: c for c in inputs.clients}
    rows: dict[str, SourceRow] = {s: SourceRow(s) for s in inputs.settings.lists.sources}

    def row(source: str) -> SourceRow:
        return rows.setdefault(source, SourceRow(source))

    for client in inputs.clients:
        if options.owner is not None and client.owner != options.owner:
            continue
        if client.created is not None and inputs.day(client.created) in period:
            row(client.source or NONE).leads += 1
    for deal in options.deals(inputs):
        source = source_of(deal, clients)
        created = created_at(deal)
        if created is not None and inputs.day(created) in period:
            row(source).deals += 1
        if closed_in(deal, period, "won"):
            row(source).won += 1
            if deal.amount is not None:
                add(row(source).won_amount, currency_of(deal, inputs.settings), deal.amount)
        elif closed_in(deal, period, "lost"):
            row(source).lost += 1
    known = inputs.settings.lists.sources
    order = known + sorted(k for k in rows if k not in known and k != NONE)
    order += [NONE] if NONE in rows else []
    converter = options.converter(inputs.settings)
    report = Sources(
        "sources",
        "Sources",
        inputs,
        options,
        period,
        rows=[rows[k] for k in order],
        converter=converter,
    )
    for r in report.rows:
        shown(r.won_amount, converter)
    return report
