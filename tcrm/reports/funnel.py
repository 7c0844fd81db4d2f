"""Funnel: how many deals reached each stage of a pipeline in a period, and converted.

A deal *reached* a stage in the period when its stage history has an entry, dated in the
period, for that stage or any later one (pipeline order): a skipped stage counts as
passed, and a deal counts once per stage however often it went back and forth. The last
step, *won*, counts deals won in the period (their last closing); a won deal has reached
every stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tcrm.errors import UsageError
from tcrm.model.records import Deal
from tcrm.model.settings import Pipeline
from tcrm.reports.base import Bar, Chart, Column, Inputs, Options, Report, Section, closed_in
from tcrm.reports.money import percent
from tcrm.reports.periods import Period


@dataclass(frozen=True)
class Step:
    stage: str
    name: str
    reached: int
    conversion: float | None
    """Percent of the previous step's deals that reached this one; None for the first."""
    of_first: float | None
    deals: list[str]


@dataclass
class Funnel(Report):
    pipeline: Pipeline | None = None
    steps: list[Step] = field(default_factory=list)
    lost: int = 0

    @property
    def overall(self) -> float | None:
        return percent(self.steps[-1].reached, self.steps[0].reached) if self.steps else None

    def body(self) -> dict[str, Any]:
        assert self.pipeline is not None
        return {
            "pipeline": self.pipeline.id,
            "steps": [
                {
                    "stage": s.stage,
                    "name": s.name,
                    "reached": s.reached,
                    "conversion": s.conversion,
                    "of_first": s.of_first,
                    "deals": s.deals,
                }
                for s in self.steps
            ],
            "overall_conversion": self.overall,
            "lost": self.lost,
        }

    def sections(self) -> list[Section]:
        rows: list[list[Any]] = [
            [s.stage, s.name, s.reached, s.conversion, s.of_first] for s in self.steps
        ]
        return [
            Section(
                "steps",
                "Funnel",
                [
                    Column("Stage"),
                    Column("Name"),
                    Column("Reached", "count"),
                    Column("From previous", "percent"),
                    Column("Of first", "percent"),
                ],
                rows,
            )
        ]

    def charts(self) -> list[Chart]:
        bars = [
            Bar(
                s.name,
                float(s.reached),
                f"{s.reached}" + (f" ({s.of_first:.1f}%)" if s.of_first is not None else ""),
            )
            for s in self.steps
        ]
        return [Chart("funnel", f"Funnel: {self.pipeline.name if self.pipeline else ''}", bars)]


def reached_index(deal: Deal, pipeline: Pipeline, period: Period, inputs: Inputs) -> int:
    """The furthest step the deal reached in the period: a stage index, ``len(stages)``
    for won, ``-1`` for none."""
    ids = pipeline.stage_ids()
    if closed_in(deal, period, "won"):
        return len(ids)
    top = -1
    for change in deal.stage_history:
        if change.stage in ids and inputs.day(change.at) in period:
            top = max(top, ids.index(change.stage))
    return top


def funnel(inputs: Inputs, options: Options) -> Funnel:
    settings = inputs.settings
    pipeline = settings.pipeline(options.pipeline)
    if pipeline is None:
        known = ", ".join(p.id for p in settings.pipelines)
        raise UsageError(f"unknown pipeline {options.pipeline!r} (pipelines: {known})")
    period = options.window(inputs)
    names = [(s.id, s.name) for s in pipeline.stages] + [("won", "Won")]
    reached: list[list[str]] = [[] for _ in names]
    lost = 0
    for deal in options.deals(inputs, pipeline.id):
        for i in range(reached_index(deal, pipeline, period, inputs) + 1):
            reached[i].append(deal.id)
        lost += closed_in(deal, period, "lost")
    steps = []
    for i, (stage, name) in enumerate(names):
        count = len(reached[i])
        steps.append(
            Step(
                stage,
                name,
                count,
                percent(count, len(reached[i - 1])) if i else None,
                percent(count, len(reached[0])),
                reached[i],
            )
        )
    report = Funnel(
        "funnel", "Funnel", inputs, options, period, pipeline=pipeline, steps=steps, lost=lost
    )
    if not reached[0]:
        report.notes.append("no deal of this pipeline moved in this period")
    return report
