"""Reports: check the options, load what a report reads, compute it, write it to a file.

The figures themselves are pure functions in ``tcrm.reports`` (defined in
docs/reports.md); this module is the only place a report touches the disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tcrm.errors import Field, UsageError
from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.model.settings import Settings
from tcrm.model.types import check_currency
from tcrm.reports import NAMES, NEEDS, Inputs, Options, Report, compute, names_of
from tcrm.reports.formats import csv_text, json_text
from tcrm.reports.grouped import GROUPABLE
from tcrm.reports.html import page
from tcrm.reports.money import missing_rate
from tcrm.reports.periods import GRANULARITIES
from tcrm.services.records import all_records, local_now, option_day
from tcrm.store import files
from tcrm.store.workspace import Workspace

FORMATS = ("html", "json", "csv")
SUFFIXES = {".html": "html", ".htm": "html", ".json": "json", ".csv": "csv"}


@dataclass(frozen=True)
class Written:
    path: Path
    format: str
    reports: list[Report]


def run_report(
    ws: Workspace,
    *,
    name: str,
    now: datetime,
    pipeline: str | None = None,
    owner: str | None = None,
    since: str | None = None,
    until: str | None = None,
    period: str | None = None,
    currency: str | None = None,
    abc: str | None = None,
    by: str | None = None,
) -> list[Report]:
    """Report ``name`` (or ``all``) over the workspace as it is now."""
    now = local_now(ws, now)
    options = parse_options(
        ws,
        now=now,
        name=name,
        pipeline=pipeline,
        owner=owner,
        since=since,
        until=until,
        period=period,
        currency=currency,
        abc=abc,
        by=by,
    )
    return compute(name, load_inputs(ws, now, name, by is not None), options)


def write_report(
    ws: Workspace,
    *,
    name: str,
    output: Path,
    now: datetime,
    fmt: str | None = None,
    **options: Any,
) -> Written:
    """Report ``name`` into the file ``output`` (HTML, JSON or CSV), written atomically:
    a reader (or a browser reloading it) never sees half a file."""
    if output.is_dir():
        raise UsageError(f"-o {output}: is a directory; give a file name, e.g. report.html")
    fmt = output_format(output, fmt)
    reports = run_report(ws, name=name, now=now, **options)
    if fmt == "html":
        text = page(reports, ws.settings.name)
    elif fmt == "json":
        text = json_text(reports, name)
    else:
        text = csv_text(reports)
    try:
        files.atomic_write(output, text.encode("utf-8"))
        output.chmod(0o666 & ~_umask())  # a page to share, not a private temp file
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    return Written(output, fmt, reports)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def output_format(output: Path, fmt: str | None) -> str:
    """The file format: the one asked for, else the file's suffix."""
    if fmt is not None:
        return fmt
    found = SUFFIXES.get(output.suffix.lower())
    if found is None:
        suffix = repr(output.suffix) if output.suffix else "a name without a suffix"
        raise UsageError(
            f"-o {output}: cannot tell the format from {suffix}; "
            "name the file .html, .json or .csv, or add ",
            Field("json"),
            " or ",
            Field("csv"),
        )
    return found


def parse_options(
    ws: Workspace,
    *,
    now: datetime,
    name: str,
    pipeline: str | None,
    owner: str | None,
    since: str | None,
    until: str | None,
    period: str | None,
    currency: str | None,
    abc: str | None,
    by: str | None = None,
) -> Options:
    """Every option checked before anything is computed, each error naming its option."""
    settings = ws.settings
    if name not in NAMES:
        raise UsageError(f"unknown report {name!r} (reports: {', '.join(NAMES)})")
    allowed = ("day", *GRANULARITIES) if name == "kpi" else GRANULARITIES  # today's KPIs
    if period is not None and period not in allowed:
        raise UsageError(Field("period"), f" {period!r} is not one of {', '.join(allowed)}")
    if pipeline is not None and settings.pipeline(pipeline) is None:
        names = ", ".join(p.id for p in settings.pipelines)
        raise UsageError(Field("pipeline"), f" {pipeline!r} is not a pipeline ({names})")
    if owner is not None and settings.team and settings.member(owner) is None:
        ids = ", ".join(m.id for m in settings.team)
        raise UsageError(Field("owner"), f" {owner!r} is not a team member ({ids})")
    if by is not None and not by.strip():
        raise UsageError(Field("by"), " needs a client field, e.g. ", Field("by"), " region")
    order = settings.date_order
    first, last = option_day("since", since, now, order), option_day("until", until, now, order)
    if first is not None and last is not None and first > last:
        raise UsageError(Field("since"), f" {first} is after ", Field("until"), f" {last}")
    code = None
    if currency is not None:
        try:
            code = check_currency(currency)
        except ValueError as exc:
            raise UsageError(str(exc), field="currency") from None
        if code != settings.currency and (settings.rates or {}).get(code) is None:
            raise UsageError(missing_rate(settings, code, code))
    if by is not None:
        _check_by(settings, name, by)
    return Options(
        period=period,  # type: ignore[arg-type]
        since=first,
        until=last,
        pipeline=pipeline,
        owner=owner,
        currency=code,
        abc=parse_abc(abc),
        by=by.strip() if by else None,
    )


def _check_by(settings: Settings, name: str, by: str) -> None:
    if name == "nps":  # groups its answers by a client field, built-in or custom
        return
    if name not in GROUPABLE:
        raise UsageError(
            Field("by"), f" groups only the {', '.join((*GROUPABLE, 'nps'))} reports, not {name}"
        )
    if by not in settings.fields.deal and by not in settings.fields.client:
        known = [*settings.fields.deal, *settings.fields.client]
        listed = ", ".join(known) or "none declared in tcrm.yaml fields.deal or fields.client"
        raise UsageError(Field("by"), f" {by!r} is not a custom deal or client field ({listed})")


def parse_abc(text: str | None) -> tuple[int, int, int]:
    """``--abc 70,20,10``: the shares of classes A, B and C in percent, adding up to 100."""
    if text is None:
        return (80, 15, 5)
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 3 or any(v < 0 for v in values) or sum(values) != 100 or not values[0]:
        raise UsageError(
            Field("abc"),
            f" {text!r}: give three whole percentages for A, B and C that add up to 100, e.g. ",
            Field("abc"),
            " 80,15,5",
        )
    return (values[0], values[1], values[2])


def load_inputs(ws: Workspace, now: datetime, name: str, by_field: bool = False) -> Inputs:
    """The records the report(s) read. A file that cannot be read is left out, with a
    warning, so ``tcrm check`` can tell what is wrong with it. Grouping by a field
    (``by_field``) may read it on the deals' clients."""
    kinds = set().union(*(NEEDS[n] for n in names_of(name)))
    if by_field:
        kinds.add("client")
    loaded: dict[str, list[Any]] = {
        kind: all_records(ws, kind) if kind in kinds else [] for kind in NEEDS_KINDS
    }
    return Inputs(
        settings=ws.settings,
        now=now,
        deals=[r for r in loaded["deal"] if isinstance(r, Deal)],
        clients=[r for r in loaded["client"] if isinstance(r, Client)],
        tasks=[r for r in loaded["task"] if isinstance(r, Task)],
        activities=[r for r in loaded["activity"] if isinstance(r, Activity)],
    )


NEEDS_KINDS = ("deal", "client", "task", "activity")
