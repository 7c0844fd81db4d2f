"""What every report shares: its inputs, its options, and the shape of its output.

A report is computed from records already loaded (no I/O here) and renders itself three
ways: ``to_json()`` (the documented ``--json``), ``sections()`` (tables for the terminal,
tab-separated, CSV and HTML) and ``charts()`` (bars for the terminal and inline SVG).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tcrm.model.due import aware
from tcrm.model.money import money_text
from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.model.settings import Settings
from tcrm.reports.money import Converter, cents
from tcrm.reports.periods import Period, PeriodKind, local_day, window

NONE = "(none)"
"""The group of records without an owner, a source, a reason..."""


@dataclass(frozen=True)
class Inputs:
    """Everything a report reads: the settings, the records and the moment it runs."""

    settings: Settings
    now: datetime
    deals: Sequence[Deal] = ()
    clients: Sequence[Client] = ()
    tasks: Sequence[Task] = ()
    activities: Sequence[Activity] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @property
    def today(self) -> date:
        return self.day(self.now)

    def day(self, moment: datetime) -> date:
        """The calendar day of ``moment`` in the workspace zone."""
        return local_day(moment, self.zone)

    def aware(self, moment: datetime) -> datetime:
        """``moment``, a naive one read as local to the workspace zone."""
        return aware(moment, self.zone)


@dataclass(frozen=True)
class Options:
    """The command line's choices, already parsed and checked by the service."""

    period: PeriodKind | None = None
    since: date | None = None
    until: date | None = None
    pipeline: str | None = None
    owner: str | None = None
    currency: str | None = None
    abc: tuple[int, int, int] = (80, 15, 5)
    by: str | None = None
    """``--by FIELD``: funnel, forecast, winrate and sources once per value of a custom
    field (``reports.grouped``); nps grouped by a client field."""

    def window(self, inputs: Inputs, default: PeriodKind = "month") -> Period:
        return window(self.period or default, inputs.today, self.since, self.until)

    def converter(self, settings: Settings) -> Converter | None:
        """Under ``--currency X`` every amount becomes X; a missing rate is an error."""
        return Converter(settings, self.currency) if self.currency else None

    def members(self, inputs: Inputs) -> list[str]:
        """The team members a per-member report shows: ``--owner``, else the whole team."""
        if self.owner is not None:
            return [self.owner]
        return [m.id for m in inputs.settings.team]

    def deals(self, inputs: Inputs, pipeline: str | None = None) -> list[Deal]:
        """The deals of ``--pipeline`` (or ``pipeline``) and ``--owner``, in id order."""
        wanted = pipeline or self.pipeline
        return sorted(
            (
                d
                for d in inputs.deals
                if (wanted is None or d.pipeline == wanted)
                and (self.owner is None or d.owner == self.owner)
            ),
            key=lambda d: d.id,
        )


# --- facts about deals every report defines the same way -------------------------------


def created_at(deal: Deal) -> datetime | None:
    """When a deal was created: ``created``, else its first stage history entry."""
    if deal.created is not None:
        return deal.created
    return deal.stage_history[0].at if deal.stage_history else None


def closed_in(deal: Deal, period: Period, status: str | None = None) -> bool:
    """Won or lost (or ``status``) *now*, with its last closing day in ``period``.

    A reopened deal that is open again is neither; one closed again counts at its last
    closing only, because ``closed`` always holds the day of the last one.
    """
    if deal.status == "open" or (status is not None and deal.status != status):
        return False
    return deal.closed is not None and deal.closed in period


def closing_at(deal: Deal) -> datetime | None:
    """The moment of the entry that last closed the deal, when its history has it."""
    for change in reversed(deal.stage_history):
        if change.status in ("won", "lost"):
            return change.at if change.status == deal.status else None
    return None


def source_of(deal: Deal, clients: dict[str, Client]) -> str:
    """Lead source attribution: the deal's own source, else its client's, else (none)."""
    if deal.source:
        return deal.source
    client = clients.get(deal.client)
    return client.source if client is not None and client.source else NONE


def whole_days(start: datetime, end: datetime) -> int:
    """Elapsed whole days (24 hours each), as the deal card and rotting flags count them."""
    return (end - start).days


# --- output shapes -----------------------------------------------------------------------

ColumnKind = Literal["text", "count", "money", "percent", "days"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind = "text"

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


Cell = str | int | float | Decimal | None


@dataclass(frozen=True)
class Section:
    """One table of a report."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    empty: str = "nothing in this period"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    inner: float | None = None
    """A second value drawn inside the bar (the weighted part of a forecast)."""


@dataclass(frozen=True)
class Chart:
    """Horizontal bars; ``progress`` bars are percentages of a goal, drawn against 100."""

    key: str
    title: str
    bars: list[Bar]
    kind: Literal["bar", "progress"] = "bar"
    legend: tuple[str, str] | None = None


def cell_text(value: Cell, kind: ColumnKind = "text", plain: bool = False) -> str:
    """A cell as shown: ``plain`` for CSV and tab-separated output (no thousands commas)."""
    if value is None:
        return "" if plain else "-"
    if isinstance(value, Decimal):
        if kind == "money":
            return format(cents(value), "f") if plain else money_text(value)
        if plain:
            return format(value, "f")
        return f"{value:,.2f}" if value != value.to_integral() else f"{value:,.0f}"
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text if plain or kind != "percent" else f"{text}%"
    return str(value)


@dataclass
class Report:
    """A computed report: its figures plus what was asked for."""

    name: str
    title: str
    inputs: Inputs
    options: Options
    period: Period | None
    notes: list[str] = field(default_factory=list)

    def header(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "title": self.title,
            "generated": self.inputs.now.isoformat(timespec="minutes"),
            "timezone": self.inputs.settings.timezone,
            "period": self.period.to_json() if self.period else None,
            "pipeline": self.options.pipeline,
            "owner": self.options.owner,
            "currency": self.options.currency,
            **({"by": self.options.by} if self.options.by else {}),
        }

    def body(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        return {**self.header(), **self.body(), "notes": list(self.notes)}

    def sections(self) -> list[Section]:
        raise NotImplementedError

    def charts(self) -> list[Chart]:
        return []

    @property
    def subtitle(self) -> str:
        """One line saying what the figures cover."""
        parts = []
        if self.period is not None:
            p = self.period
            parts.append(f"{p.label} ({p.start.isoformat()} to {p.end.isoformat()})")
        for label, value in (
            ("pipeline", self.options.pipeline),
            ("owner", self.options.owner),
            ("in", self.options.currency),
        ):
            if value:
                parts.append(f"{label} {value}")
        parts.append(f"time zone {self.inputs.settings.timezone}")
        return ", ".join(parts)


def without_amount_note(count: int, where: str) -> str | None:
    if not count:
        return None
    deals = "deal has" if count == 1 else "deals have"
    return f"{count} {deals} no amount: counted in {where}, not in the sums"
