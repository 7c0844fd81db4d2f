"""Reports as text for files and pipes: JSON and CSV (HTML lives in ``reports.html``)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tcrm.reports.base import Report, Section, cell_text


def to_json(reports: list[Report], name: str) -> Any:
    """One report's JSON; for ``all``, an object of every report's JSON by name."""
    if name == "all":
        return {r.name: r.to_json() for r in reports}
    return reports[0].to_json()


def json_text(reports: list[Report], name: str) -> str:
    return json.dumps(to_json(reports, name), indent=2, ensure_ascii=False) + "\n"


def plain_rows(report: Report, section: Section) -> list[list[str]]:
    """A section's rows for CSV and tab-separated output: the first column names the
    section (``funnel.steps``), so each row says which table it belongs to."""
    key = f"{report.name}.{section.key}"
    return [
        [
            key,
            *(cell_text(v, c.kind, plain=True) for v, c in zip(row, section.columns, strict=True)),
        ]
        for row in section.rows
    ]


def header(section: Section) -> list[str]:
    return ["section", *(c.header.lower() for c in section.columns)]


def csv_text(reports: list[Report]) -> str:
    """Every section as a CSV block (header row, then rows), blocks apart by a blank line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    first = True
    for report in reports:
        for section in report.sections():
            if not first:
                buffer.write("\n")
            first = False
            writer.writerow(header(section))
            writer.writerows(plain_rows(report, section))
    return buffer.getvalue()
