"""``report funnel|forecast|winrate|sources --by FIELD``: one report per value of a custom
field (docs/fields.md), each computed exactly as the report alone, over its group's deals.

The field is a custom deal field, or a custom client field read on each deal's client. A
deal without a value is in the group ``(none)``; a ``multi`` value puts the deal in the
group of each of its choices (so groups may add up to more than the whole). Groups come
in the order of the field's choices (choice, multi, bool), else sorted, ``(none)`` last.
The ``sources`` report's leads are the group's clients (for a deal field: the clients of
the group's deals).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tcrm.model.fields import FieldDef, shown_value, typed
from tcrm.model.records import Client, Deal
from tcrm.reports.base import NONE, Chart, Inputs, Options, Report, Section

GROUPABLE = ("funnel", "forecast", "winrate", "sources")


def field_of(inputs: Inputs, by: str) -> tuple[str, FieldDef] | None:
    """``("deal" or "client", definition)`` of the custom field ``by``; deal fields first."""
    for kind in ("deal", "client"):
        definition = inputs.settings.fields.of(kind).get(by)
        if definition is not None:
            return kind, definition
    return None


def _values(definition: FieldDef, raw: Any) -> list[str]:
    value = typed(definition, raw)
    if value is None or value == [] or value == "":
        return [NONE]
    items = value if isinstance(value, list) else [value]
    return [shown_value(v) for v in items]


def _order(definition: FieldDef, found: set[str]) -> list[str]:
    if definition.type in ("choice", "multi"):
        known = [c for c in definition.choices if c in found]
    elif definition.type == "bool":
        known = [v for v in ("yes", "no") if v in found]
    else:
        known = []
    rest = sorted(found - set(known) - {NONE}, key=_sort_key(definition))
    return known + rest + ([NONE] if NONE in found else [])


def _sort_key(definition: FieldDef) -> Callable[[str], Any]:
    if definition.type in ("number", "money"):
        return lambda text: (float(text), text)
    return lambda text: text.casefold()


@dataclass
class Grouped(Report):
    by: str = ""
    groups: list[tuple[str, Report]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "groups": [
                {"value": value, **report.body(), "notes": list(report.notes)}
                for value, report in self.groups
            ],
        }

    def sections(self) -> list[Section]:
        return [
            dataclasses.replace(
                section,
                key=f"{section.key}.{self.by}={value}",
                title=f"{section.title}: {self.by} {value}",
            )
            for value, report in self.groups
            for section in report.sections()
        ]

    def charts(self) -> list[Chart]:
        return [
            dataclasses.replace(
                chart, key=f"{chart.key}-{i}", title=f"{chart.title}: {self.by} {value}"
            )
            for i, (value, report) in enumerate(self.groups)
            for chart in report.charts()
        ]


def grouped(
    name: str, run: Callable[[Inputs, Options], Report], inputs: Inputs, options: Options
) -> Grouped:
    """Report ``name`` once per value of the custom field ``options.by``."""
    by = options.by or ""
    found = field_of(inputs, by)
    assert found is not None, "services.reports checks --by"
    kind, definition = found
    clients = {c.id: c for c in inputs.clients}
    deals: dict[str, list[Deal]] = {}
    for deal in inputs.deals:
        holder = deal if kind == "deal" else clients.get(deal.client)
        raw = (holder.model_extra or {}).get(by) if holder is not None else None
        for value in _values(definition, raw):
            deals.setdefault(value, []).append(deal)
    leads: dict[str, list[Client]] = {}
    if kind == "client":
        for client in inputs.clients:
            for value in _values(definition, (client.model_extra or {}).get(by)):
                leads.setdefault(value, []).append(client)
    else:
        for value, group in deals.items():
            ids = {d.client for d in group}
            leads[value] = [c for c in inputs.clients if c.id in ids]
    groups = []
    for value in _order(definition, set(deals) | (set(leads) if name == "sources" else set())):
        sub = dataclasses.replace(inputs, deals=deals.get(value, []), clients=leads.get(value, []))
        if name != "sources":  # other reports read clients only to look deals' up
            sub = dataclasses.replace(sub, clients=inputs.clients)
        groups.append((value, run(sub, options)))
    first = groups[0][1] if groups else run(dataclasses.replace(inputs, deals=[]), options)
    label = definition.title(by)
    report = Grouped(
        name,
        f"{first.title} by {label}",
        inputs,
        options,
        first.period,
        by=by,
        groups=groups,
    )
    if not groups:
        report.notes.append("no deal to group")
    return report
