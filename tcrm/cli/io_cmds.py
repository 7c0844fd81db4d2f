"""``tcrm import``: clients, deals, tasks or activities from CSV, Excel, vCard or JSON, in
one commit (``tcrm.services.imports``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tcrm.cli import progress, render
from tcrm.cli.io_options import (
    _SETTINGS,
    AsJson,
    ColumnMap,
    DryRun,
    FileArg,
    ForceStage,
    MapValue,
    NewValues,
    OnDuplicate,
    SaveMapping,
    SkipInvalid,
    TypeOpt,
    UseMapping,
)
from tcrm.cli.state import now as cli_now
from tcrm.cli.state import workspace
from tcrm.cli.terminal import err
from tcrm.errors import UsageError, ValidationError
from tcrm.model.words import plural
from tcrm.services import bulk

if TYPE_CHECKING:  # tcrm.io (vobject...) and the import engine load with their commands
    from tcrm.services import imports


import_app = typer.Typer(
    name="import",
    help="Import clients, deals, tasks or activities from CSV, Excel, vCard or JSON (one commit).",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=_SETTINGS,
)


def _row_label(source_unit: str, number: int | None) -> str:
    return f"{source_unit} {number}" if number is not None else ""


def _import(
    ctx: typer.Context,
    *,
    kind: str,
    source: imports.Source,
    path: Path,
    mappings: dict[str, str | None],
    date_formats: list[str],
    on_duplicate: str,
    skip_invalid: bool,
    dry_run: bool,
    force: bool,
    as_json: bool,
    rejects: Callable[[imports.Source, Any], bytes] | None,
    new_values: str,
    map_value: list[str] | None,
    also_write: dict[str, str] | None = None,
    note: str | None = None,
) -> None:
    from tcrm.services import import_values, imports

    value_maps = import_values.parse_value_maps(map_value or [])
    if new_values not in import_values.MODES:
        raise UsageError(f"--new-values {new_values!r}: one of {', '.join(import_values.MODES)}")
    ws = workspace(ctx)
    reject_target = None
    if rejects is not None:
        reject_target = (imports.rejected_path_for(path), partial(rejects, source))
    try:
        with progress.bar(f"Importing {path.name}") as advance:
            result = imports.import_rows(
                ws,
                kind=kind,
                source=source,
                mappings=mappings,
                date_formats=date_formats,
                on_duplicate=on_duplicate,
                skip_invalid=skip_invalid,
                dry_run=dry_run,
                force=force,
                rejects=reject_target,
                new_values=new_values,
                value_maps=value_maps,
                now=cli_now(ctx),
                progress=advance,
                also_write=also_write,
                note=note,
            )
    except imports.ImportProblems as exc:
        _print_problems(exc.problems, exc.new_values, source.unit)
        raise _refusal(exc.rows, exc.new_values, source, "nothing was imported") from None
    if as_json:
        render.emit_json(_import_json(result, source.unit))
    else:
        _print_import(result, source.unit)
    if result.dry_run and result.rejected and not skip_invalid:
        if not as_json:
            _print_problems(result.problems, [], source.unit)
        refused = [v for v in result.new_values if v.action == "reject"]
        raise _refusal(len(result.rejected), refused, source, "the import would be refused")


_SAVED_OPTIONS = {
    "new_values": ("new_values", "reject"),
    "on_duplicate": ("on_duplicate", "skip"),
    "date_format": ("date_formats", None),
    "delimiter": ("delimiter", None),
    "encoding": ("encoding", None),
    "sheet": ("sheet", None),
    "force": ("force", False),
}
"""Command parameter -> (the saved mapping's key, its default)."""


def _mapping_params(
    ctx: typer.Context, fmt: str, params: dict[str, Any], use: str | None, save: str | None
) -> dict[str, Any]:
    """``params`` with a saved mapping applied (``--mapping``): its maps added under the
    command line's, its options where the command line gave none; and, for
    ``--save-mapping`` or a used mapping, the file to write in the import's commit
    (``also_write``) with the commit message's ``note``."""
    from tcrm.services import import_mappings, records

    out = dict(params, also_write=None, note=None)
    if use is None and save is None:
        return out
    given = {  # given on the command line (or its environment), not defaults
        name
        for name in [*params, "record_type"]
        if getattr(ctx.get_parameter_source(name), "name", "") in ("COMMANDLINE", "ENVIRONMENT")
    }
    ws = workspace(ctx)
    kind = bulk.kind_of(params["record_type"])
    options = import_mappings.Options(
        kind, fmt, list(params.get("mapping") or []), list(params.get("map_value") or [])
    )
    if use is not None:
        saved = import_mappings.load(ws, use)
        if "record_type" not in given:
            kind = import_mappings.KINDS[saved.type]
            options.kind = kind
        options, defaults = import_mappings.merged(saved, options)
        for param, (key, _) in _SAVED_OPTIONS.items():
            if param in params and param not in given and key in defaults:
                out[param] = defaults[key]
    out["record_type"] = kind
    out["mapping"], out["map_value"] = options.maps, options.value_maps
    today = records.local_now(ws, cli_now(ctx)).date()
    name = save or use
    assert name is not None
    rel = import_mappings.rel_path(name)
    if save is not None:
        settings = {
            key: out[param]
            for param, (key, default) in _SAVED_OPTIONS.items()
            if param in out and out[param] not in (default, None, [])
        }
        out["also_write"] = {rel: import_mappings.mapping_text(ws, save, options, settings, today)}
        out["note"] = f"mapping saved to {rel}"
    else:
        out["also_write"] = {rel: import_mappings.touched_text(ws, name, today)}
    return out


def _print_problems(problems: list[Any], new_values: list[Any], unit: str) -> None:
    """Each problem on stderr, then the values outside the lists, a line per list."""
    from tcrm.services import import_values

    for problem in problems:
        err.print(str(problem), markup=False, highlight=False)
    if new_values:
        err.print("Values not in tcrm.yaml's lists:", markup=False, highlight=False)
        for line in import_values.by_list(new_values, unit):
            err.print(f"  {line}", markup=False, highlight=False)
        for v in new_values:
            if v.suggestion:
                err.print(
                    f"  {v.value!r} looks like {v.suggestion!r}: {import_values.map_option(v)}",
                    markup=False,
                    highlight=False,
                )


def _refusal(
    rows: int, new_values: list[Any], source: imports.Source, what: str
) -> ValidationError:
    text = f"{rows:,} invalid {source.unit}{'s' if rows != 1 else ''} in {source.name}; {what}"
    if new_values:
        from tcrm.services import import_values

        first = new_values[0]
        example = f"{import_values.SINGULAR[first.list]}:{first.value}=LISTED"
        return ValidationError(
            f"{text}: {len(new_values):,} value{'s' if len(new_values) != 1 else ''} not in "
            "tcrm.yaml's lists (--new-values add adds them to the lists in the same commit, "
            f'--new-values drop imports without them, --map-value "{example}" maps one; '
            f"--skip-invalid imports the other {source.unit}s)"
        )
    return ValidationError(f"{text} (fix them, or import the valid ones with --skip-invalid)")


def _import_json(result: imports.ImportResult, unit: str) -> dict[str, Any]:
    return {
        "type": bulk.PLURAL[result.kind],
        "source": result.source,
        "vendor": result.vendor,
        "dry_run": result.dry_run,
        "rows": result.rows,
        "created": [render.record_json(r) for r in result.created],
        "updated": [render.record_json(r) for r in result.updated],
        "duplicates": [
            {
                unit: d.row,
                "duplicate_of": d.of_id,
                f"duplicate_of_{unit}": d.of_row,
                "reason": d.reason,
                "score": d.score,
                "action": d.action,
            }
            for d in result.duplicates
        ],
        "rejected": [{unit: r.row.number, "errors": r.errors} for r in result.rejected],
        "rejected_file": str(result.rejected_path) if result.rejected_path else None,
        "columns": [{"column": c.header, "field": c.target, "how": c.how} for c in result.columns],
        "commit": result.commit_id,
        "message": result.message,
        "new_values": [
            {
                "list": v.list,
                "value": v.value,
                unit + "s": v.rows,
                "action": v.action,
                "suggestion": v.suggestion,
            }
            for v in result.new_values
        ],
        "added": result.added,
        "dropped": result.dropped,
        "mapped": result.mapped,
        "problems": [str(p) for p in result.problems],
        "written": result.written,
        "routed": [
            {"id": record_id, "owner": owner, "rule": rule}
            for record_id, (owner, rule) in result.routed.items()
        ],
    }


def _print_import(result: imports.ImportResult, unit: str) -> None:
    from tcrm.services import import_values

    if result.vendor:
        render.message(f"Read as an export of {result.vendor} (see docs/import.md).")
    if result.dry_run:
        render.table(
            ["Column", "Read as"],
            ([c.header, _read_as(c)] for c in result.columns),
            title="Columns",
        )
    if result.dry_run and result.new_values:
        render.table(
            ["List", "New value", render.Column(f"{unit.capitalize()}s", "right"), "Action"],
            (
                [v.list, _visible(v.value), f"{v.rows:,}", _value_action(v, import_values)]
                for v in result.new_values
            ),
            title="Values not in tcrm.yaml's lists",
        )
    if result.dry_run and result.routed:
        render.table(
            ["New", "Owner", "Routing rule"],
            ([i, owner, rule] for i, (owner, rule) in result.routed.items()),
            title="Owners by routing",
        )
    if result.duplicates:
        render.table(
            [
                unit.capitalize(),
                "Action",
                "Duplicate of",
                "Reason",
                render.Column("Score", "right"),
            ],
            (
                [
                    d.row,
                    d.action,
                    d.of_id or _row_label(unit, d.of_row),
                    d.reason,
                    f"{d.score:.2f}",
                ]
                for d in result.duplicates
            ),
            title="Duplicates",
        )
    kind = result.kind
    created, updated = len(result.created), len(result.updated)
    skipped = len(result.skipped)
    parts = []
    if updated:
        parts.append(f"{updated:,} updated")
    if skipped:
        parts.append(f"{skipped:,} duplicate{'s' if skipped != 1 else ''} skipped")
    if result.rejected:
        parts.append(f"{len(result.rejected):,} rejected")
    detail = f" ({', '.join(parts)})" if parts else ""
    verb = "Would import" if result.dry_run else "Imported"
    render.message(f"{verb} {plural(created, kind)} from {result.source}{detail}.")
    if result.added:
        added = "; ".join(
            f"{name}: {', '.join(_visible(v) for v in values)}"
            for name, values in result.added.items()
        )
        verb = "Would add" if result.dry_run else "Added"
        render.message(f"{verb} to tcrm.yaml's lists: {added}.")
    if result.dropped:
        total = sum(result.dropped.values())
        counts = ", ".join(f"{name}: {n:,}" for name, n in result.dropped.items())
        render.message(f"Left out {_values(total)} not in the lists ({counts}).")
    if result.mapped:
        total = sum(result.mapped.values())
        counts = ", ".join(f"{name}: {n:,}" for name, n in result.mapped.items())
        render.message(f"Mapped {_values(total)} to listed ones ({counts}).")
    if result.rejected_path:
        render.message(f"Rejected {unit}s, with an error column: {result.rejected_path}")
    for rel in result.written:
        if rel.startswith("imports/"):
            render.message(f"Import mapping written: {rel}")
    if result.dry_run:
        render.message("Dry run: nothing was written.")


def _visible(text: str) -> str:
    """A value from the file as a terminal shows it safely: characters that are not
    printable (controls, bidi overrides) as escapes."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _values(n: int) -> str:
    return f"{n:,} value{'s' if n != 1 else ''}"


def _value_action(v: Any, import_values: Any) -> str:
    if v.action == "add":
        return "add to the list"
    if v.action == "drop":
        return "leave out"
    if v.action == "map":
        return f"map to {_visible(v.mapped_to or '')}"
    if v.suggestion:
        return f"refused; suggested: {_visible(import_values.map_option(v))}"
    return "refused"


def _read_as(column: imports.Column) -> str:
    if column.how == "ignored":
        return "(left out)"
    if column.how == "extra":
        return f"kept as extra field {column.target}"
    return str(column.target) + (" (--map)" if column.how == "mapped" else "")


# --- import ------------------------------------------------------------------------------


@import_app.command("csv")
def import_csv(
    ctx: typer.Context,
    file: FileArg,
    record_type: TypeOpt = "clients",
    mapping: ColumnMap = None,
    delimiter: Annotated[
        str | None,
        typer.Option(help="Column separator (default: detected; e.g. ';' or tab).", metavar="CHAR"),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Text encoding (default: UTF-8, with or without BOM).", metavar="NAME"),
    ] = None,
    date_format: Annotated[
        list[str] | None,
        typer.Option(
            "--date-format",
            help="How dates are written, as strptime codes, e.g. %m/%d/%Y (repeatable; "
            "default: YYYY-MM-DD, then numeric dates in the workspace's date_order).",
            metavar="FORMAT",
        ),
    ] = None,
    on_duplicate: OnDuplicate = "skip",
    skip_invalid: SkipInvalid = False,
    new_values: NewValues = "reject",
    map_value: MapValue = None,
    force: ForceStage = False,
    use_mapping: UseMapping = None,
    save_mapping: SaveMapping = None,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Import a CSV file exported from a spreadsheet or another CRM; one commit.

    Exports of HubSpot, Pipedrive, Salesforce, Zoho CRM, Google Contacts and Outlook are
    recognised, with their ids kept for the next re-import, and plain spreadsheets'
    headers too (see docs/import.md); other columns are kept as extra fields. Every row is checked
    first: with any invalid row nothing is written and each problem is listed.
    """
    from tcrm.io import csvio
    from tcrm.services import imports

    p = _mapping_params(
        ctx,
        "csv",
        {
            "record_type": record_type,
            "mapping": mapping,
            "delimiter": delimiter,
            "encoding": encoding,
            "date_format": date_format,
            "on_duplicate": on_duplicate,
            "new_values": new_values,
            "map_value": map_value,
            "force": force,
        },
        use_mapping,
        save_mapping,
    )
    kind = bulk.kind_of(p["record_type"])
    sep = csvio.delimiter_of(p["delimiter"])
    custom = workspace(ctx).settings.fields.of(kind)
    mappings = imports.parse_mappings(p["mapping"] or [], kind, custom)
    source, used, bom = csvio.read_table(file, delimiter=sep, encoding=p["encoding"])
    _import(
        ctx,
        kind=kind,
        source=source,
        path=file,
        mappings=mappings,
        date_formats=p["date_format"] or [],
        on_duplicate=p["on_duplicate"],
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        force=p["force"],
        as_json=as_json,
        rejects=partial(_encode_rejected, delimiter=used, bom=bom),
        new_values=p["new_values"],
        map_value=p["map_value"],
        also_write=p["also_write"],
        note=p["note"],
    )


def _encode_rejected(source: imports.Source, rejected: Any, *, delimiter: str, bom: bool) -> bytes:
    from tcrm.io import csvio

    return csvio.encode_rejected(source, rejected, delimiter=delimiter, bom=bom)


@import_app.command("xlsx")
def import_xlsx(
    ctx: typer.Context,
    file: FileArg,
    record_type: TypeOpt = "clients",
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="The sheet to read (default: the first).", metavar="NAME"),
    ] = None,
    mapping: ColumnMap = None,
    date_format: Annotated[
        list[str] | None,
        typer.Option(
            "--date-format",
            help="How dates in text cells are written, as strptime codes, e.g. %m/%d/%Y "
            "(repeatable; cells Excel holds as dates need none).",
            metavar="FORMAT",
        ),
    ] = None,
    on_duplicate: OnDuplicate = "skip",
    skip_invalid: SkipInvalid = False,
    new_values: NewValues = "reject",
    map_value: MapValue = None,
    force: ForceStage = False,
    use_mapping: UseMapping = None,
    save_mapping: SaveMapping = None,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Import one sheet of an Excel workbook (.xlsx), as `import csv` does; one commit.

    Row 1 names the columns; dates and numbers are read as Excel holds them (exact
    decimals), formulas as their saved values. Everything else is as for `import csv`.
    """
    from tcrm.io import xlsxio
    from tcrm.services import imports

    p = _mapping_params(
        ctx,
        "xlsx",
        {
            "record_type": record_type,
            "mapping": mapping,
            "sheet": sheet,
            "date_format": date_format,
            "on_duplicate": on_duplicate,
            "new_values": new_values,
            "map_value": map_value,
            "force": force,
        },
        use_mapping,
        save_mapping,
    )
    kind = bulk.kind_of(p["record_type"])
    custom = workspace(ctx).settings.fields.of(kind)
    mappings = imports.parse_mappings(p["mapping"] or [], kind, custom)
    source = xlsxio.read_sheet(file, p["sheet"], kind)
    _import(
        ctx,
        kind=kind,
        source=source,
        path=file,
        mappings=mappings,
        date_formats=p["date_format"] or [],
        on_duplicate=p["on_duplicate"],
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        force=p["force"],
        as_json=as_json,
        rejects=partial(_encode_rejected, delimiter=",", bom=False),
        new_values=p["new_values"],
        map_value=p["map_value"],
        also_write=p["also_write"],
        note=p["note"],
    )


@import_app.command("mappings")
def import_mappings_list(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List the saved import mappings (imports/*.yaml): name, type, columns, last used.

    Save one with `tcrm import csv FILE ... --save-mapping NAME`; use it with
    `--mapping NAME`. A file that cannot be used is listed with its problem.
    """
    from tcrm.services import import_mappings

    found = import_mappings.list_mappings(workspace(ctx))
    if as_json:
        render.emit_json(
            [
                {
                    "name": m.name,
                    "path": m.path,
                    "type": m.type,
                    "format": m.format,
                    "columns": m.columns,
                    "values": m.values,
                    "last_used": m.last_used.isoformat() if m.last_used else None,
                    "problem": m.problem,
                }
                for m in found
            ]
        )
        return
    if not found:
        render.message("No saved import mappings; save one with --save-mapping NAME.")
        return
    render.table(
        [
            "Name",
            "Type",
            "Format",
            render.Column("Columns", "right"),
            render.Column("Values", "right"),
            "Last used",
        ],
        (
            [
                m.name,
                m.type or "?",
                m.format or "",
                m.columns,
                m.values,
                m.last_used.isoformat() if m.last_used else "",
            ]
            for m in found
        ),
        title="Import mappings",
    )
    for m in found:
        if m.problem:
            err.print(
                f"{m.path}: cannot be used: {_visible(m.problem)}", markup=False, highlight=False
            )


@import_app.command("vcard")
def import_vcard(
    ctx: typer.Context,
    file: FileArg,
    on_duplicate: OnDuplicate = "skip",
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid cards; list the others.")
    ] = False,
    new_values: NewValues = "reject",
    map_value: MapValue = None,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Import contacts from a vCard file (3.0 or 4.0) as clients; one commit.

    People with the same ORG become contact people of one client; company cards give
    the client's own details; CATEGORIES become tags.
    """
    from tcrm.io import vcardio

    source = vcardio.read_cards(file)
    _import(
        ctx,
        kind="client",
        source=source,
        path=file,
        mappings={},
        date_formats=[],
        on_duplicate=on_duplicate,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        force=False,
        as_json=as_json,
        rejects=None,
        new_values=new_values,
        map_value=map_value,
    )


@import_app.command("json")
def import_json(
    ctx: typer.Context,
    file: FileArg,
    record_type: TypeOpt = "clients",
    on_duplicate: OnDuplicate = "skip",
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid objects; list the others.")
    ] = False,
    new_values: NewValues = "reject",
    map_value: MapValue = None,
    force: ForceStage = False,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Import a JSON list of records, as `tcrm export json` writes it; one commit."""
    from tcrm.io import jsonio

    kind = bulk.kind_of(record_type)
    _import(
        ctx,
        kind=kind,
        source=jsonio.read_records(file),
        path=file,
        mappings={},
        date_formats=[],
        on_duplicate=on_duplicate,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        force=force,
        as_json=as_json,
        rejects=None,
        new_values=new_values,
        map_value=map_value,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
