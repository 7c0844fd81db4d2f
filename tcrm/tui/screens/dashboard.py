"""The dashboard (key 6): one member's KPI panel, as ``tcrm report`` computes it.

Goals against actuals, what was done today, this week and this month, the member's open
deals by stage (weighted, per currency), the forecast for this month and the next, win
rate and velocity of the period, overdue tasks and clients due for contact. Every figure
comes from ``services.dashboard`` (the report functions of ``tcrm report``); this module
only lays them out. ``m`` switches member, ``t`` the period of win rate and velocity.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.widgets import Sparkline, Static

from tcrm.model.money import money_text
from tcrm.tui.format import clip
from tcrm.tui.keys import bind
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.widgets.footer import KeyFooter
from tcrm.tui.widgets.nav import NavBar

if TYPE_CHECKING:  # the report engine loads when the dashboard is first shown
    from tcrm.reports.goals import Progress
    from tcrm.services.dashboard import Dashboard
    from tcrm.services.pipeline import PipelineReport

SPAN_NAMES = {"day": "today", "week": "week", "month": "month"}
PERIOD_SHORT = {"day": "day", "week": "wk", "month": "mo", "quarter": "qtr", "year": "yr"}
METRIC_SHORT = {
    "activities": "activities",
    "tasks_completed": "tasks done",
    "deals_created": "new deals",
    "deals_won": "deals won",
    "won_amount": "won amount",
    "new_clients": "new clients",
}
WORK_ROWS = (
    ("tasks done", "tasks_completed"),
    ("new deals", "deals_created"),
    ("deals won", "deals_won"),
    ("new clients", "new_clients"),
)


def bar(fraction: float, width: int) -> str:
    """A horizontal bar ``width`` cells wide, filled to ``fraction`` (eighths of a cell)."""
    if width <= 0:
        return ""
    eighths = round(max(0.0, min(fraction, 1.0)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
    return text + " " * (width - len(text))


def short(value: Decimal | int) -> str:
    """``12.4k``, ``1.2M``: an amount where a column has no room for cents."""
    amount = Decimal(value)
    for limit, unit, suffix in ((10**6, 10**6, "M"), (10**4, 10**3, "k")):
        if abs(amount) >= limit:
            return f"{amount / unit:.1f}".rstrip("0").rstrip(".") + suffix
    return money_text(amount)


def goal_label(progress: Progress) -> str:
    goal = progress.goal
    what = goal.kind if goal.metric == "activities" and goal.kind else METRIC_SHORT[goal.metric]
    return f"{what}/{PERIOD_SHORT.get(goal.period, goal.period)}"


class DashboardScreen(DataScreen):
    """A member's KPI panel; figures from ``services.dashboard``, read in a worker."""

    CSS_PATH = "dashboard.tcss"
    MODE = "dashboard"
    PALETTE_NAME = "Dashboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("member"),
        bind("period"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.member: str | None = None
        """Whose figures; ``None`` until the first load picks this clone's member."""
        self.period = "month"
        self.data: Dashboard | None = None

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="dash-title", markup=False)
        with VerticalScroll(id="dash-body"), Grid(id="dash-grid"):
            with Vertical(id="dash-goals-panel", classes="panel"):
                yield Static("", id="dash-goals")
                yield Static("", id="dash-trend-title")
                yield Sparkline([], id="dash-trend")
            yield Static("", id="dash-work", classes="panel")
            yield Static("", id="dash-deals", classes="panel")
            yield Static("", id="dash-forecast", classes="panel")
        yield NavBar(self.MODE)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        titles = {
            "#dash-goals-panel": "Goals",
            "#dash-work": "Done",
            "#dash-deals": "My open deals",
            "#dash-forecast": "Forecast · win rate",
        }
        for selector, title in titles.items():
            self.query_one(selector).border_title = title

    # --- data ---------------------------------------------------------------------

    def fetch(self) -> Dashboard:
        from tcrm.services.dashboard import dashboard

        app = self.tcrm
        team = [m.id for m in app.ws.settings.team]
        member = self.member if self.member in team else None  # gone from tcrm.yaml: yours
        return dashboard(app.ws, now=app.now(), member=member, period=self.period)

    def show(self, data: Dashboard) -> None:
        self.data = data
        self.member = data.member
        self.repaint()

    def on_resize(self, _event: Resize) -> None:
        self.repaint()

    # --- keys ---------------------------------------------------------------------

    def action_next_member(self) -> None:
        """The next team member's figures (after the last: the first again)."""
        team = [m.id for m in self.tcrm.ws.settings.team]
        if not team:
            self.notify("No team in tcrm.yaml: the figures are everyone's.", markup=False)
            return
        from tcrm.services.dashboard import default_member

        current = self.member or default_member(self.tcrm.ws)  # pressed before the first load
        at = team.index(current) if current in team else -1
        self.member = team[(at + 1) % len(team)]
        self.reload()

    def action_next_period(self) -> None:
        """Win rate and velocity over the next period: week, month, quarter, year."""
        from tcrm.services.dashboard import PERIODS

        self.period = PERIODS[(PERIODS.index(self.period) + 1) % len(PERIODS)]
        self.reload()

    # --- painting -----------------------------------------------------------------

    def repaint(self) -> None:
        data = self.data
        if data is None:
            return
        who = clip(data.name, 30) + (f" ({data.member})" if data.member else "")
        you = " · you" if data.you else ""
        self.query_one("#dash-title", Static).update(
            f"Dashboard · {who}{you} · win rate and velocity: {self._period_label(data)}"
        )
        self.query_one("#dash-goals", Static).update(self._goals(data))
        self.query_one("#dash-work", Static).update(self._work(data))
        self.query_one("#dash-deals", Static).update(self._deals(data))
        self.query_one("#dash-forecast", Static).update(self._forecast(data))
        trend = [count for _, count in data.trend]
        self.query_one("#dash-trend-title", Static).update(
            Content.assemble((f"activities, last {len(trend)} days", "bold"), f": {sum(trend)}")
        )
        self.query_one("#dash-trend", Sparkline).data = [float(c) for c in trend]

    def _width(self, selector: str) -> int:
        return max(self.query_one(selector).content_size.width, 20)

    @staticmethod
    def _period_label(data: Dashboard) -> str:
        period = data.winrate.period
        return f"{period.label} ({period.kind})" if period else data.period

    def _goals(self, data: Dashboard) -> Content:
        row = data.kpi("month")
        goals = row.goals if row else []
        if not goals:
            return Content.styled("no goals in tcrm.yaml (goals:)", "$text-muted")
        width = self._width("#dash-goals")
        labels = [goal_label(g) for g in goals]
        label_width = min(max(len(x) for x in labels), 16)
        figures = [f"{short(g.shown(g.actual))}/{short(g.shown(g.goal.target))}" for g in goals]
        figure_width = max(len(f) for f in figures)
        bar_width = min(max(width - label_width - figure_width - 10, 4), 30)  # a scrollbar fits
        lines = []
        for goal, label, figure in zip(goals, labels, figures, strict=True):
            done = (goal.percent or 0.0) / 100
            style = "$success" if done >= 1 else "$warning" if done < 0.5 else "$accent"
            lines.append(
                Content.assemble(
                    label[:label_width].ljust(label_width),
                    " ",
                    (filled := bar(done, bar_width).rstrip(), style),
                    ("░" * (bar_width - len(filled)), "$text-muted 40%"),
                    f" {goal.percent or 0:>4.0f}% ",
                    figure.rjust(figure_width),
                )
            )
        return Content("\n").join(lines)

    def _work(self, data: Dashboard) -> Content:
        rows = {span: data.kpi(span) for span in SPAN_NAMES}
        if not any(rows.values()):
            return Content.styled("no team members in tcrm.yaml (team:)", "$text-muted")
        kinds = data.kpis["month"].kinds
        lines = [("", *SPAN_NAMES.values())]
        for kind in kinds:
            lines.append(
                (kind, *(str(r.activities.get(kind, 0)) if r else "-" for r in rows.values()))
            )
        lines.append(
            ("activities", *(str(sum(r.activities.values())) if r else "-" for r in rows.values()))
        )
        for label, name in WORK_ROWS:
            lines.append((label, *(str(getattr(r, name)) if r else "-" for r in rows.values())))
        first = max(len(x[0]) for x in lines) + 1
        out = []
        for i, cells in enumerate(lines):
            text = cells[0].ljust(first) + "".join(c.rjust(7) for c in cells[1:])
            style = "bold" if i == 0 or cells[0] == "activities" else ""
            out.append(Content.styled(text, style) if style else Content(text))
        return Content("\n").join(out)

    def _deals(self, data: Dashboard) -> Content:
        shown = [p for p in data.pipelines if p.open.count]
        if not shown:
            return Content.styled("no open deals", "$text-muted")
        width = self._width("#dash-deals")
        wide = width >= 56
        out: list[Content] = []
        for report in shown:
            out.append(Content.styled(f"{clip(report.name, width - 12)}  weighted", "bold"))
            out.extend(self._stages(report, width, wide))
        return Content("\n").join(out)

    @staticmethod
    def _stages(report: PipelineReport, width: int, wide: bool) -> list[Content]:
        most = max((sum(s.open.weighted.values()) for s in report.stages), default=Decimal(0))
        lines = []
        for summary in report.stages:
            bucket = summary.open
            if not bucket.count:  # room is short: the stages holding deals
                continue
            name = clip(summary.stage.name, 12).ljust(12)
            currencies = sorted(bucket.weighted) or [""]
            for i, currency in enumerate(currencies):
                count = f"{bucket.count:>3}" if i == 0 else "   "
                label = name if i == 0 else " " * 12
                weighted = money_text(bucket.weighted.get(currency), currency) or "-"
                text = f"{label}{count}  {weighted:>15}"
                if wide:
                    total = money_text(bucket.total.get(currency), currency) or "-"
                    text += f"  of {total:>15}"
                room = width - len(text) - 2
                part = bucket.weighted.get(currency, Decimal(0))
                fraction = float(part / most) if most else 0.0
                lines.append(
                    Content.assemble(
                        text, "  ", (bar(fraction, min(room, 24)), "$accent") if room >= 4 else ""
                    )
                )
        return lines

    def _forecast(self, data: Dashboard) -> Content:
        out: list[Content] = []
        for offset, label in ((0, "this month"), (1, "next month")):
            bucket = data.forecast_month(offset)
            weighted = bucket.weighted if bucket else {}
            amounts = sorted(weighted) or [""]
            for i, currency in enumerate(amounts):
                value = money_text(weighted.get(currency), currency) or "0"
                out.append(Content(f"{label if i == 0 else '':<12}{value:>16} weighted"))
        won = data.forecast.won
        won_text = ", ".join(money_text(v, c) for c, v in sorted(won.items())) or "0"
        out.append(Content(f"{'won so far':<12}{won_text:>16}"))
        rate = data.winrate.overall
        closed = len(rate.won) + len(rate.lost)
        rate_text = "-" if rate.win_rate is None else f"{rate.win_rate:.1f}%"
        out.append(Content(f"{'win rate':<12}{rate_text:>16} ({len(rate.won)} of {closed})"))
        days = data.velocity.overall.avg_days
        out.append(Content(f"{'days to close':<12}{'-' if days is None else f'{days:.1f}':>16}"))
        for row in data.velocity.rows or []:
            per_day = money_text(row.per_day, row.currency) if row.per_day else f"- {row.currency}"
            out.append(Content(f"{'velocity':<12}{per_day:>16}/day"))
        tone = "$error" if data.overdue_tasks else ""
        out.append(
            Content.assemble(f"{'overdue':<12}", (f"{data.overdue_tasks:>16}", tone), " tasks")
        )
        due = data.clients_due
        names = ", ".join(clip(d.client.name, 20) for d in due[:2]) + ("…" if len(due) > 2 else "")
        out.append(
            Content.assemble(
                f"{'contact due':<12}",
                (f"{len(due):>16}", "$warning" if due else ""),
                f" {names}" if names else "",
            )
        )
        return Content("\n").join(out)

    def figures(self) -> dict[str, Any]:
        """What the screen shows, as the reports' ``--json`` (tests compare them)."""
        data = self.data
        assert data is not None
        return {
            **{f"kpi-{span}": k.to_json() for span, k in data.kpis.items()},
            "forecast": data.forecast.to_json(),
            "winrate": data.winrate.to_json(),
            "velocity": data.velocity.to_json(),
        }
