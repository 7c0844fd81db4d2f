"""KPI: what each team member did in the period, and how far along their goals are.

Per member: activities they authored, by kind; tasks assigned to them completed in the
period and overdue now; deals they own created and won in the period, and the amount
won; clients they own created in the period. Goals are measured over their own period
(see ``reports.goals``), so a weekly goal shows this week even in a monthly report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tcrm.model.due import is_overdue
from tcrm.reports import goals as goal_progress
from tcrm.reports.base import (
    Bar,
    Cell,
    Chart,
    Column,
    Inputs,
    Options,
    Report,
    Section,
    cell_text,
    closed_in,
    created_at,
)
from tcrm.reports.money import Converter, Money, add, currency_of, money_json, shown


@dataclass
class MemberKpi:
    member: str
    name: str
    activities: dict[str, int] = field(default_factory=dict)
    tasks_completed: int = 0
    tasks_overdue: int = 0
    deals_created: int = 0
    deals_won: int = 0
    won_amount: Money = field(default_factory=dict)
    new_clients: int = 0
    goals: list[goal_progress.Progress] = field(default_factory=list)


@dataclass
class Kpi(Report):
    members: list[MemberKpi] = field(default_factory=list)
    converter: Converter | None = None

    @property
    def kinds(self) -> list[str]:
        return list(self.inputs.settings.lists.activity_kinds)

    def body(self) -> dict[str, Any]:
        return {
            "members": [
                {
                    "id": m.member,
                    "name": m.name,
                    "activities": {**m.activities, "total": sum(m.activities.values())},
                    "tasks_completed": m.tasks_completed,
                    "tasks_overdue": m.tasks_overdue,
                    "deals_created": m.deals_created,
                    "deals_won": m.deals_won,
                    "won_amount": money_json(shown(m.won_amount, self.converter)),
                    "new_clients": m.new_clients,
                    "goals": [g.to_json() for g in m.goals],
                }
                for m in self.members
            ]
        }

    def sections(self) -> list[Section]:
        kinds = self.kinds
        activity_rows: list[list[Cell]] = [
            [m.member, *(m.activities.get(k, 0) for k in kinds), sum(m.activities.values())]
            for m in self.members
        ]
        work_rows: list[list[Cell]] = [
            [
                m.member,
                m.tasks_completed,
                m.tasks_overdue,
                m.deals_created,
                m.deals_won,
                m.new_clients,
            ]
            for m in self.members
        ]
        won_rows: list[list[Any]] = []
        for m in self.members:
            won = shown(m.won_amount, self.converter)
            won_rows += [[m.member, c, won[c]] for c in sorted(won)]
        goal_rows = [
            [
                g.member,
                g.label,
                g.period.label,
                g.shown(g.goal.target),
                g.shown(g.actual),
                g.percent,
            ]
            for m in self.members
            for g in m.goals
        ]
        return [
            Section(
                "activities",
                "Activities by kind (author)",
                [
                    Column("Member"),
                    *(Column(k.capitalize(), "count") for k in kinds),
                    Column("Total", "count"),
                ],
                activity_rows,
                empty="no team members in tcrm.yaml",
            ),
            Section(
                "work",
                "Tasks and deals",
                [
                    Column("Member"),
                    Column("Tasks done", "count"),
                    Column("Overdue now", "count"),
                    Column("Deals created", "count"),
                    Column("Deals won", "count"),
                    Column("New clients", "count"),
                ],
                work_rows,
                empty="no team members in tcrm.yaml",
            ),
            Section(
                "won",
                "Won amount",
                [Column("Member"), Column("Currency"), Column("Won", "money")],
                won_rows,
                empty="nothing won in this period",
            ),
            Section(
                "goals",
                "Goals (each over its own period)",
                [
                    Column("Member"),
                    Column("Goal"),
                    Column("Period"),
                    Column("Target", "money"),
                    Column("Actual", "money"),
                    Column("Progress", "percent"),
                ],
                goal_rows,
                empty="no goals in tcrm.yaml",
            ),
        ]

    def charts(self) -> list[Chart]:
        out = []
        for m in self.members:
            if m.goals:
                out.append(
                    Chart(
                        f"kpi-{m.member}",
                        f"Goals: {m.name}",
                        [
                            Bar(
                                g.label,
                                g.percent or 0.0,
                                f"{cell_text(g.shown(g.actual), 'money')} of "
                                f"{cell_text(g.shown(g.goal.target), 'money')} in "
                                f"{g.period.label} ({g.percent or 0:.1f}%)",
                            )
                            for g in m.goals
                        ],
                        kind="progress",
                    )
                )
        if not out and self.members:
            out.append(
                Chart(
                    "kpi-activities",
                    "Activities",
                    [
                        Bar(
                            m.member,
                            float(sum(m.activities.values())),
                            str(sum(m.activities.values())),
                        )
                        for m in self.members
                    ],
                )
            )
        return out


def kpi(inputs: Inputs, options: Options) -> Kpi:
    settings, day = inputs.settings, inputs.day
    period = options.window(inputs)
    members = options.members(inputs)
    rows = {}
    for member_id in members:
        member = settings.member(member_id)
        rows[member_id] = MemberKpi(
            member_id,
            member.name if member else member_id,
            activities=dict.fromkeys(settings.lists.activity_kinds, 0),
        )
    for activity in inputs.activities:
        row = rows.get(activity.author or "")
        if row is not None and day(activity.at) in period:
            row.activities[activity.kind] = row.activities.get(activity.kind, 0) + 1
    for task in inputs.tasks:
        row = rows.get(task.assignee or "")
        if row is None:
            continue
        if task.status == "done" and task.completed is not None and day(task.completed) in period:
            row.tasks_completed += 1
        row.tasks_overdue += is_overdue(task, settings, inputs.now)
    for deal in options.deals(inputs):
        row = rows.get(deal.owner or "")
        if row is None:
            continue
        created = created_at(deal)
        if created is not None and day(created) in period:
            row.deals_created += 1
        if closed_in(deal, period, "won"):
            row.deals_won += 1
            if deal.amount is not None:
                add(row.won_amount, currency_of(deal, settings), deal.amount)
    for client in inputs.clients:
        row = rows.get(client.owner or "")
        if row is not None and client.created is not None and day(client.created) in period:
            row.new_clients += 1
    anchor = goal_progress.anchor_day(inputs, period)
    for progress in goal_progress.progress(inputs, options, members, anchor):
        rows[progress.member].goals.append(progress)
    converter = options.converter(settings)
    report = Kpi(
        "kpi", "KPI", inputs, options, period, members=list(rows.values()), converter=converter
    )
    for row in report.members:
        shown(row.won_amount, converter)
    if not members:
        report.notes.append("no team members in tcrm.yaml: add them under `team:`")
    report.notes.append(
        f"goals are measured over their own period holding {anchor.isoformat()}; won amounts "
        f"for goals in {settings.currency}"
    )
    return report
