"""The dashboard (the KPI panel of the TUI): one member's goals, work, deals and forecast.

Nothing is computed here that a command does not print: the figures are the reports of
``tcrm report kpi|forecast|winrate|velocity --owner MEMBER`` (their options checked by
``reports.parse_options`` and computed by ``reports.compute`` over records loaded once),
``tcrm pipeline NAME --owner MEMBER`` and ``tcrm today --assignee MEMBER``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tcrm.errors import Field, UsageError
from tcrm.model.insights import DueContact
from tcrm.model.records import Client
from tcrm.reports import Inputs, Report, compute
from tcrm.reports.forecast import Bucket, Forecast
from tcrm.reports.kpi import Kpi, MemberKpi
from tcrm.reports.performance import Velocity, WinRate
from tcrm.reports.periods import period_of
from tcrm.services.activities import current_member
from tcrm.services.pipeline import PipelineReport, pipeline_report
from tcrm.services.planner import agenda
from tcrm.services.records import local_now
from tcrm.services.reports import load_inputs, parse_options
from tcrm.store.workspace import Workspace

SPANS = ("day", "week", "month")
"""The KPI periods shown side by side (``tcrm report kpi --period day|week|month``)."""
PERIODS = ("week", "month", "quarter", "year")
"""The periods win rate and velocity can be shown for (``tcrm report winrate --period``)."""
TREND_DAYS = 14
"""The activity trend: the member's activities on each of the last days, today last."""


@dataclass(frozen=True)
class Dashboard:
    member: str | None
    """Whose figures (``None``: no team in tcrm.yaml, so everyone's deals)."""
    name: str
    you: bool
    """``member`` is the one this clone's git identity belongs to."""
    period: str
    """Of win rate and velocity."""
    kpis: dict[str, Kpi]
    """``report kpi --period P --owner MEMBER`` for each of ``SPANS``."""
    forecast: Forecast
    winrate: WinRate
    velocity: Velocity
    pipelines: list[PipelineReport]
    """``pipeline NAME --owner MEMBER`` for every pipeline, in tcrm.yaml's order."""
    overdue_tasks: int
    clients_due: list[DueContact[Client]]
    trend: list[tuple[date, int]] = field(default_factory=list)

    def kpi(self, span: str) -> MemberKpi | None:
        """The member's row of the KPI report over ``span`` (none without a team)."""
        members = self.kpis[span].members
        return members[0] if members else None

    def forecast_month(self, offset: int) -> Bucket | None:
        """The forecast's bucket of this month (0) or the next (1); ``None``: no bucket
        because no open deal closes then or later."""
        current = self.forecast.current
        assert current is not None
        start = current.start if offset == 0 else current.end + timedelta(days=1)
        label = period_of("month", start).label
        return next((b for b in self.forecast.buckets if b.key == label), None)


def team_ids(ws: Workspace) -> list[str]:
    return [m.id for m in ws.settings.team]


def default_member(ws: Workspace) -> str | None:
    """This clone's member (by git identity), else the team's first; ``None``: no team."""
    ids = team_ids(ws)
    you = current_member(ws)
    if you in ids:
        return you
    return ids[0] if ids else None


def dashboard(
    ws: Workspace, *, now: datetime, member: str | None = None, period: str = "month"
) -> Dashboard:
    """The figures of ``member`` (default: ``default_member``) as of ``now``; win rate and
    velocity over the current ``period``."""
    now = local_now(ws, now)
    if period not in PERIODS:
        raise UsageError(Field("period"), f" {period!r} is not one of {', '.join(PERIODS)}")
    if member is None:
        member = default_member(ws)
    inputs = load_inputs(ws, now, "all")

    def report(name: str, span: str | None, data: Inputs = inputs, **days: str) -> Report:
        options = parse_options(
            ws,
            now=now,
            name=name,
            pipeline=None,
            owner=member,
            since=days.get("since"),
            until=days.get("until"),
            period=span,
            currency=None,
            abc=None,
        )
        return compute(name, data, options)[0]

    kpis = {span: k for span in SPANS if isinstance(k := report("kpi", span), Kpi)}
    forecast, winrate, velocity = (
        report("forecast", None),
        report("winrate", period),
        report("velocity", period),
    )
    assert isinstance(forecast, Forecast) and isinstance(winrate, WinRate)
    assert isinstance(velocity, Velocity)
    found = ws.settings.member(member) if member else None
    row = kpis["day"].members[0] if kpis["day"].members else None
    plan = agenda(ws, now=now, assignee=member)
    return Dashboard(
        member=member,
        name=found.name if found else "everyone",
        you=member is not None and member == current_member(ws),
        period=period,
        kpis=kpis,
        forecast=forecast,
        winrate=winrate,
        velocity=velocity,
        pipelines=[
            pipeline_report(ws, now=now, name=p.id, owner=member) for p in ws.settings.pipelines
        ],
        overdue_tasks=row.tasks_overdue if row else len(plan.overdue),
        clients_due=plan.clients_to_contact,
        trend=_trend(inputs, report, member),
    )


def _trend(
    inputs: Inputs, report: Callable[..., Report], member: str | None
) -> list[tuple[date, int]]:
    """The member's activities on each of the last ``TREND_DAYS`` days: the KPI report of
    each single day (``--since D --until D``), over the member's activities alone (the
    only records its activity count reads)."""
    if member is None:
        return []
    mine = Inputs(
        settings=inputs.settings,
        now=inputs.now,
        activities=[a for a in inputs.activities if a.author == member],
    )
    out = []
    for back in range(TREND_DAYS - 1, -1, -1):
        day = inputs.today - timedelta(days=back)
        kpi = report("kpi", None, mine, since=day.isoformat(), until=day.isoformat())
        assert isinstance(kpi, Kpi)
        out.append((day, sum(kpi.members[0].activities.values()) if kpi.members else 0))
    return out
