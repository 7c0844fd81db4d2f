"""The options and helpers ``tcrm import``, ``tcrm export``, ``tcrm dedupe`` and the bulk
``update`` commands share (their modules: ``io_cmds``, ``export_cmds``, ``bulk_cmds``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

_SETTINGS = {"help_option_names": ["-h", "--help"]}
JSON_DOC = "docs/json/io.md"

FileArg = Annotated[
    Path,
    typer.Argument(
        help="The file to import.",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        show_default=False,
    ),
]
TypeOpt = Annotated[
    str,
    typer.Option(
        "--type",
        "-t",
        help="What the rows are: clients, deals, tasks or activities.",
        metavar="TYPE",
    ),
]
DryRun = Annotated[
    bool,
    typer.Option("--dry-run", help="Check everything and show what would change; write nothing."),
]
OnDuplicate = Annotated[
    str,
    typer.Option(
        "--on-duplicate",
        help="A row like an existing record or an earlier row: skip it, update (fill empty "
        "fields, add list items) or create it anyway.",
        metavar="skip|update|create",
    ),
]
SkipInvalid = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="Import the valid rows; write the others to FILE.rejected.csv beside FILE.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help=f"Print JSON (see {JSON_DOC}).")]
NewValues = Annotated[
    str,
    typer.Option(
        "--new-values",
        help="Values outside tcrm.yaml's lists (sources, tags, regions, statuses, lost "
        "reasons, activity kinds): reject the rows, add them to the lists (same commit), "
        "drop them, or map them to a listed value differing only in case, spacing or a "
        "plural s (the rest rejected).",
        metavar="reject|add|drop|map",
    ),
]
MapValue = Annotated[
    list[str] | None,
    typer.Option(
        "--map-value",
        help='Read a value as a listed one: "source:Organic search=website" '
        '("LIST:VALUE=" leaves it out); repeatable.',
        metavar="LIST:VALUE=LISTED",
    ),
]
ColumnMap = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help='Read a column as a field: "Company Name=name" ("Col=" leaves it out); repeatable.',
        metavar="HEADER=FIELD",
    ),
]
ForceStage = Annotated[
    bool,
    typer.Option("--force", help="Import deals even when their stage needs fields they lack."),
]
UseMapping = Annotated[
    str | None,
    typer.Option(
        "--mapping",
        help="Read the file as the saved mapping imports/NAME.yaml says (columns, value "
        "maps, options); options given here win. See `tcrm import mappings`.",
        metavar="NAME",
    ),
]
SaveMapping = Annotated[
    str | None,
    typer.Option(
        "--save-mapping",
        help="Save this import's --map, --map-value and options as imports/NAME.yaml, in "
        "the import's commit, for the next run (--mapping NAME).",
        metavar="NAME",
    ),
]
Where = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help='One filter, e.g. source=webinar, amount>5000, tag:vip, "name=Acme GmbH" '
        "(repeatable: all must hold; see `tcrm help filters`).",
        metavar="FILTER",
    ),
]
Output = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write to FILE (atomically) instead of stdout.", metavar="FILE"
    ),
]


def _terms(where: list[str] | None) -> list[str]:
    """Each ``--where`` is one filter, spaces and all: ``--where "name=Acme GmbH"``."""
    return [term for term in (where or []) if term.strip()]
