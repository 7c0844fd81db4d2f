"""``tcrm index``: the local index under .tcrm/ (a cache, rebuilt when needed)."""

from __future__ import annotations

from typing import Annotated

import typer

from tcrm.cli import render
from tcrm.cli.progress import index_bar
from tcrm.cli.state import workspace
from tcrm.services.indexing import IndexState, index_status, rebuild_index

app = typer.Typer(
    help="The local index that makes reads fast (kept in .tcrm/, never committed).",
    no_args_is_help=True,
)


def _show(state: IndexState, as_json: bool) -> None:
    if as_json:
        render.emit_json(
            {
                "path": state.path,
                "counts": state.counts,
                "broken": state.broken,
                "head": state.head,
                "reparsed": state.reparsed,
                "size_bytes": state.size_bytes,
            }
        )
        return
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(state.counts.items()))
    render.message(
        f"{state.path}: {counts or 'no records'}; {state.broken} unreadable; "
        f"up to date with {(state.head or 'no commit')[:12]}; "
        f"{state.reparsed} file(s) read again just now; {state.size_bytes // 1024} KiB"
    )


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Bring the index up to date and say what it holds."""
    _show(index_status(workspace(ctx)), as_json)


@app.command()
def rebuild(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Throw the index away and read every record file again."""
    _show(rebuild_index(workspace(ctx), index_bar), as_json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="index")
