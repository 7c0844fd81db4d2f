"""Reports: pure computations over loaded records (see docs/reports.md for every figure).

``compute(name, inputs, options)`` runs one report; ``services.reports`` loads the inputs
and writes files, the CLI renders. Nothing here reads or writes a file.
"""

from __future__ import annotations

from collections.abc import Callable

from tcrm.reports.abc import abc
from tcrm.reports.aging import aging
from tcrm.reports.base import Inputs, Options, Report
from tcrm.reports.forecast import forecast
from tcrm.reports.funnel import funnel
from tcrm.reports.kpi import kpi
from tcrm.reports.lost import lost
from tcrm.reports.nps import nps
from tcrm.reports.performance import velocity, winrate
from tcrm.reports.sources import sources

REPORTS: dict[str, Callable[[Inputs, Options], Report]] = {
    "funnel": funnel,
    "forecast": forecast,
    "winrate": winrate,
    "velocity": velocity,
    "aging": aging,
    "sources": sources,
    "lost": lost,
    "kpi": kpi,
    "abc": abc,
    "nps": nps,
}
NAMES = (*REPORTS, "all")

NEEDS: dict[str, frozenset[str]] = {
    "funnel": frozenset({"deal"}),
    "forecast": frozenset({"deal"}),
    "winrate": frozenset({"deal", "client"}),
    "velocity": frozenset({"deal"}),
    "aging": frozenset({"deal", "activity"}),
    "sources": frozenset({"deal", "client"}),
    "lost": frozenset({"deal"}),
    "kpi": frozenset({"deal", "client", "task", "activity"}),
    "abc": frozenset({"deal", "client"}),
    "nps": frozenset({"client", "activity"}),
}
"""The kinds of record each report reads, so a report loads no more than it needs."""


def names_of(name: str) -> list[str]:
    return list(REPORTS) if name == "all" else [name]


def compute(name: str, inputs: Inputs, options: Options) -> list[Report]:
    """The report ``name`` (every report for ``all``), in the order of ``REPORTS``."""
    if options.by is not None and name != "nps":  # nps groups by the field itself
        from tcrm.reports.grouped import grouped

        return [grouped(n, REPORTS[n], inputs, options) for n in names_of(name)]
    return [REPORTS[n](inputs, options) for n in names_of(name)]


__all__ = ["NAMES", "NEEDS", "REPORTS", "Inputs", "Options", "Report", "compute", "names_of"]
