"""NPS: customer satisfaction from the survey answers (``tcrm survey log``) of a period.

Every answer (an activity of kind ``survey``) whose day is in the period counts once: 9
or 10 is a promoter, 7 or 8 a passive, 0 to 6 a detractor. NPS = (promoters -
detractors) / answers x 100, from -100 to 100 (% promoters - % detractors, computed
exactly); it and each share have one decimal, rounded half away from zero. An answer
belongs to its first client: per owner is that client's owner, ``--by FIELD`` that
client's value of FIELD (each value of a list field, such as tags, counts the answer
once). ``--owner`` keeps the answers of that member's clients.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tcrm.model.extra_fields import field_value
from tcrm.model.records import SURVEY_KIND, Activity, Client
from tcrm.reports.base import NONE, Bar, Chart, Column, Inputs, Options, Report, Section
from tcrm.reports.money import percent


def band(score: int) -> str:
    """``promoter`` (9-10), ``passive`` (7-8) or ``detractor`` (0-6)."""
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


@dataclass
class Tally:
    """The answers of one group and their NPS."""

    key: str
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    scores: list[int] = field(default_factory=list)

    def add(self, score: int) -> None:
        kind = band(score)
        if kind == "promoter":
            self.promoters += 1
        elif kind == "passive":
            self.passives += 1
        else:
            self.detractors += 1
        self.scores.append(score)

    @property
    def responses(self) -> int:
        return len(self.scores)

    @property
    def nps(self) -> float | None:
        """(promoters - detractors) / answers x 100, one decimal, half away from zero."""
        return percent(self.promoters - self.detractors, self.responses)

    def shares(self) -> tuple[float | None, float | None, float | None]:
        n = self.responses
        return percent(self.promoters, n), percent(self.passives, n), percent(self.detractors, n)

    def to_json(self) -> dict[str, Any]:
        promoters, passives, detractors = self.shares()
        return {
            "responses": self.responses,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "promoters_percent": promoters,
            "passives_percent": passives,
            "detractors_percent": detractors,
            "nps": self.nps,
        }

    def row(self) -> list[Any]:
        promoters, passives, detractors = self.shares()
        return [self.key, self.responses, promoters, passives, detractors, self.nps]


@dataclass
class Nps(Report):
    total: Tally = field(default_factory=lambda: Tally("all"))
    by_owner: list[Tally] = field(default_factory=list)
    by: str | None = None
    by_field: list[Tally] = field(default_factory=list)
    answers: list[Activity] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            **self.total.to_json(),
            "by_owner": [{"owner": t.key, **t.to_json()} for t in self.by_owner],
            "by": self.by,
            "by_field": [{"value": t.key, **t.to_json()} for t in self.by_field],
            "answers": [
                {
                    "id": a.id,
                    "at": a.at.isoformat(timespec="minutes"),
                    "client": a.clients[0] if a.clients else None,
                    "score": a.score,
                    "band": band(a.score or 0),
                }
                for a in self.answers
            ],
        }

    def sections(self) -> list[Section]:
        columns = [
            Column("Group"),
            Column("Answers", "count"),
            Column("Promoters", "percent"),
            Column("Passives", "percent"),
            Column("Detractors", "percent"),
            Column("NPS"),
        ]
        out = [
            Section("total", "NPS", columns, [self.total.row()] if self.total.responses else []),
            Section("by_owner", "NPS per owner", columns, [t.row() for t in self.by_owner]),
        ]
        if self.by:
            out.append(
                Section("by_field", f"NPS by {self.by}", columns, [t.row() for t in self.by_field])
            )
        return out

    def charts(self) -> list[Chart]:
        return [
            Chart(
                "nps",
                "NPS per owner",
                [Bar(t.key, float(t.nps or 0), str(t.nps)) for t in self.by_owner],
            )
        ]


def _values(value: Any) -> list[str]:
    if value in (None, "", []):
        return [NONE]
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value] or [NONE]
    return [str(value)]


def _tallies(groups: dict[str, Tally]) -> list[Tally]:
    return [groups[k] for k in sorted(groups, key=lambda k: (k == NONE, k))]


def nps(inputs: Inputs, options: Options) -> Nps:
    """The NPS of the period's survey answers, in total, per owner and by ``--by``."""
    by, value = options.by, field_value
    period = options.window(inputs, "quarter")
    clients = {c.id: c for c in inputs.clients}
    answers = sorted(
        (
            a
            for a in _surveys(inputs.activities)
            if inputs.day(inputs.aware(a.at)) in period
            and (options.owner is None or _owner(a, clients) == options.owner)
        ),
        key=lambda a: (inputs.aware(a.at), a.id),
    )
    report = Nps("nps", "Customer satisfaction (NPS)", inputs, options, period, by=by)
    report.answers = answers
    owners: dict[str, Tally] = {}
    fields: dict[str, Tally] = {}
    for answer in answers:
        score = answer.score
        assert score is not None
        report.total.add(score)
        owner = _owner(answer, clients) or NONE
        owners.setdefault(owner, Tally(owner)).add(score)
        client = clients.get(answer.clients[0]) if answer.clients else None
        if by is not None:
            found = value(client, by) if client is not None else None
            for key in _values(found):
                fields.setdefault(key, Tally(key)).add(score)
    report.by_owner = _tallies(owners)
    report.by_field = _tallies(fields)
    if not answers:
        report.notes.append("no survey answers in this period")
    return report


def _surveys(activities: Iterable[Activity]) -> Iterable[Activity]:
    return (a for a in activities if a.kind == SURVEY_KIND and a.score is not None)


def _owner(answer: Activity, clients: dict[str, Client]) -> str | None:
    client = clients.get(answer.clients[0]) if answer.clients else None
    return client.owner if client is not None else None
