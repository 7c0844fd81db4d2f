"""``tcrm report NAME``: funnel, forecast, win rate, velocity, aging, sources, lost, KPI, ABC.

Every figure is defined in docs/reports.md; --json keys in docs/json/reports.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tcrm.cli import completion, render
from tcrm.cli.state import now, workspace
from tcrm.cli.terminal import out
from tcrm.errors import UsageError
from tcrm.model.text import visible

if TYPE_CHECKING:  # the report engine loads when a report runs, not for every command
    from tcrm.reports import Report
    from tcrm.reports.base import Chart, Section

BAR = 36
"""Width of a terminal bar chart, in characters."""


def _names(incomplete: str) -> list[str]:
    from tcrm.reports import NAMES

    return [n for n in NAMES if n.startswith(incomplete)]


def _pipelines(incomplete: str) -> list[str]:
    import os

    from tcrm.store.workspace import Workspace

    try:
        settings = Workspace.open(os.environ.get("TCRM_WORKSPACE")).settings
    except Exception:  # completion must never fail loudly
        return []
    return [p.id for p in settings.pipelines if p.id.startswith(incomplete)]


def report(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            help="funnel, forecast, winrate, velocity, aging, sources, lost, kpi, abc, nps or all.",
            autocompletion=_names,
            metavar="NAME",
            show_default=False,
        ),
    ],
    pipeline: Annotated[
        str | None,
        typer.Option(
            help="Only deals of this pipeline (the funnel: the default pipeline if unset).",
            autocompletion=_pipelines,
        ),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            help="Only this member's deals (kpi: only this member).",
            autocompletion=completion.members,
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="First day of the period, included: 2026-10-01, -30d...")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day of the period, included (default: today).")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="week (ISO, from Monday), month, quarter or year (kpi: also day): the "
            "current one, in the workspace's time zone [default: month; abc: year]. "
            "forecast: the size of its close-date buckets.",
            show_default=False,
        ),
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(help="Convert every amount into this currency with `rates` of tcrm.yaml."),
    ] = None,
    abc: Annotated[
        str | None,
        typer.Option("--abc", help="Shares of classes A,B,C in percent [default: 80,15,5]."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="funnel, forecast, winrate, sources: one report per value of this custom "
            "deal or client field (docs/fields.md); nps: grouped by this client field.",
            metavar="FIELD",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (see docs/json/reports.md).")
    ] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print CSV: each table a block, first column its name.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file instead: .html (one page with charts), .json or .csv.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print a report: every figure is defined in docs/reports.md.

    Periods are calendar weeks (Monday to Sunday), months, quarters or years in the
    workspace's time zone; --since/--until are whole days, both included. Amounts are
    summed per currency unless --currency converts them. `tcrm report all -o report.html`
    writes one page with every report and its charts, readable without a network.
    """
    from tcrm.reports.formats import csv_text, to_json
    from tcrm.services import reports as service

    if as_json and as_csv:
        raise UsageError("--json and --csv exclude each other; choose one")
    options = {
        "pipeline": pipeline,
        "owner": owner,
        "since": since,
        "until": until,
        "period": period,
        "currency": currency,
        "abc": abc,
        "by": by,
    }
    ws = workspace(ctx)
    if output is not None:
        fmt = "json" if as_json else "csv" if as_csv else None
        written = service.write_report(
            ws, name=name, output=output, now=now(ctx), fmt=fmt, **options
        )
        render.message(f"wrote {written.path} ({written.format}, {_count(written.reports)})")
        return
    reports = service.run_report(ws, name=name, now=now(ctx), **options)
    if as_json:
        render.emit_json(to_json(reports, name))
    elif as_csv:
        sys.stdout.write(csv_text(reports))
    elif out.is_terminal:
        for item in reports:
            _show(item)
    else:
        _tab_separated(reports)


def _count(reports: list[Report]) -> str:
    return f"{len(reports)} report{'s' if len(reports) != 1 else ''}"


# --- terminal --------------------------------------------------------------------------


def _show(item: Report) -> None:
    from rich.text import Text

    out.rule(Text(item.title, style="bold"), align="left")  # a title may hold a field's value
    out.print(item.subtitle, style="dim", markup=False, highlight=False)
    for chart in item.charts():
        _chart(chart)
    for section in item.sections():
        _section(section)
    for note in item.notes:
        out.print(f"note: {note}", style="yellow", markup=False, highlight=False)
    out.print("")


def _section(section: Section) -> None:
    """A rich table whose numbers are never cut: numeric columns keep their full width,
    text columns (ids, names) fold when the terminal is narrow."""
    from rich.table import Table
    from rich.text import Text

    from tcrm.reports.base import cell_text

    if not section.rows:
        out.print(f"{section.title}: {section.empty}", style="bold", markup=False)
        return
    rows = [
        [cell_text(v, c.kind) for v, c in zip(row, section.columns, strict=True)]
        for row in section.rows
    ]
    grid = Table(title=Text(section.title), title_justify="left", header_style="bold")
    for i, column in enumerate(section.columns):
        if column.numeric:
            width = max(len(r[i]) for r in rows)
            grid.add_column(column.header, justify="right", no_wrap=True, min_width=width)
        else:
            grid.add_column(column.header, overflow="fold")
    for row in rows:
        grid.add_row(*row)
    out.print(grid)


def _chart(chart: Chart) -> None:
    if not chart.bars:
        return
    out.print(chart.title, style="bold", markup=False, highlight=False)
    width = min(40, max(len(b.label) for b in chart.bars))
    top = max(b.value for b in chart.bars)
    scale = max(100.0, top) if chart.kind == "progress" else (top or 1.0)
    for bar in chart.bars:
        label = bar.label if len(bar.label) <= width else bar.label[: width - 1] + "…"
        filled = round(min(bar.value, scale) / scale * BAR) if bar.value > 0 else 0
        if chart.kind == "progress":
            full = round(100.0 / scale * BAR)
            done = min(filled, full)
            style = "green" if bar.value >= 100 else "cyan"
            body = f"[{style}]{'█' * done}[/{style}][dim]{'░' * (full - done)}[/dim]"
            body += f"[{style}]{'█' * (filled - done)}[/{style}]"
            pad = BAR - max(full, filled)
        elif bar.inner is not None:
            inner = round(min(bar.inner, scale) / scale * BAR) if bar.inner > 0 else 0
            body = f"[cyan]{'█' * inner}[/cyan][blue]{'▒' * (filled - inner)}[/blue]"
            pad = BAR - filled
        else:
            body = f"[cyan]{'█' * filled}[/cyan]"
            pad = BAR - filled
        out.print(
            f"  {_escape(label):<{width}} {body}{' ' * max(pad, 0)} {_escape(bar.text)}",
            highlight=False,
        )
    if chart.legend:
        out.print(
            f"  [cyan]█[/cyan] {chart.legend[1]}  [blue]▒[/blue] rest of {chart.legend[0]}",
            highlight=False,
        )
    out.print("")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# --- piped ---------------------------------------------------------------------------


def _tab_separated(reports: list[Report]) -> None:
    """Tables as tab-separated blocks, apart by a blank line; notes go to stderr."""
    from tcrm.reports.formats import header, plain_rows

    first = True
    for item in reports:
        for section in item.sections():
            if not first:
                print()
            first = False
            print(visible("\t".join(header(section))))
            for row in plain_rows(item, section):
                print(visible("\t".join(v.replace("\t", " ").replace("\n", " ") for v in row)))
        for note in item.notes:
            render.message(f"{item.name}: note: {note}")


def register(root: typer.Typer) -> None:
    root.command("report")(report)
