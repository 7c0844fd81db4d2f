"""``tcrm export``: records as CSV, Excel, JSON or vCard, to stdout or a file."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from tcrm.cli import render
from tcrm.cli.io_options import _SETTINGS, Output, TypeOpt, Where, _terms
from tcrm.cli.state import now as cli_now
from tcrm.cli.state import workspace
from tcrm.cli.terminal import write_bytes
from tcrm.errors import UsageError
from tcrm.model.words import plural
from tcrm.services import bulk
from tcrm.services.query import HELP as FILTERS_HELP

export_app = typer.Typer(
    name="export",
    help="Export records as CSV, Excel, JSON or vCard, to stdout or a file.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=_SETTINGS,
)


def _export(
    ctx: typer.Context, kind: str, where: list[str] | None, output: Path | None, encode: Any
) -> None:
    from tcrm.services import exports

    ws = workspace(ctx)
    result = exports.export_records(
        ws, kind=kind, where=_terms(where), encode=encode, output=output, now=cli_now(ctx)
    )
    if output is None:
        write_bytes(result.data)
        return
    render.message(f"Exported {plural(result.count, kind)} to {output}.")


@export_app.command("csv", epilog="\n\n".join(f"\b\n{p}" for p in FILTERS_HELP.split("\n\n")))
def export_csv(
    ctx: typer.Context,
    record_type: TypeOpt = "clients",
    where: Where = None,
    output: Output = None,
    bom: Annotated[
        bool, typer.Option("--bom", help="Start with a UTF-8 byte order mark (for Excel).")
    ] = False,
    delimiter: Annotated[
        str,
        typer.Option(help="Column separator, e.g. ';' for Excel in many locales.", metavar="CHAR"),
    ] = ",",
) -> None:
    """Export records as CSV: one row per record, one column per field.

    Lists are joined with '; ', nested data (contacts, stage history) is JSON; cells a
    spreadsheet would run as formulas (=, +, -, @) start with a ' so they stay text.
    `tcrm import csv` reads the file back.
    """
    from tcrm.io import csvio

    sep = csvio.delimiter_of(delimiter) or ","
    encode = partial(csvio.encode_export, delimiter=sep, bom=bom)
    _export(ctx, bulk.kind_of(record_type), where, output, encode)


@export_app.command("xlsx", epilog="\n\n".join(f"\b\n{p}" for p in FILTERS_HELP.split("\n\n")))
def export_xlsx(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Write the workbook to FILE (atomically).", metavar="FILE"
        ),
    ],
    record_type: TypeOpt = "clients",
    where: Where = None,
) -> None:
    """Export records as an Excel workbook: the columns of `export csv`, header frozen.

    Dates are dates and amounts numbers; every other cell is a text cell, never a
    formula. `tcrm import xlsx` reads the file back.
    """
    from tcrm.io import xlsxio

    _export(ctx, bulk.kind_of(record_type), where, output, xlsxio.encode_export)


@export_app.command("json")
def export_json(
    ctx: typer.Context,
    record_type: TypeOpt = "clients",
    where: Where = None,
    output: Output = None,
) -> None:
    """Export records as a JSON list, each as in its file plus its id."""
    from tcrm.io import jsonio

    _export(ctx, bulk.kind_of(record_type), where, output, jsonio.encode_export)


@export_app.command("vcard")
def export_vcard(
    ctx: typer.Context,
    record_type: TypeOpt = "clients",
    where: Where = None,
    output: Output = None,
    version: Annotated[
        str, typer.Option("--vcard-version", help="3.0 (widest support) or 4.0.", metavar="VERSION")
    ] = "3.0",
) -> None:
    """Export clients as vCards: a card per client, one per contact person (ORG = client)."""
    from tcrm.io import vcardio

    kind = bulk.kind_of(record_type)
    if kind != "client":
        raise UsageError(
            f"vCards hold clients and their contact people, not {bulk.PLURAL[kind]}; "
            "use --type clients (or export csv/json)"
        )
    if version not in vcardio.VERSIONS:
        raise UsageError(f"--vcard-version {version!r}: one of {', '.join(vcardio.VERSIONS)}")
    _export(ctx, kind, where, output, partial(vcardio.encode_clients, version=version))


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
