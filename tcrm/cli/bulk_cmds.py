"""``tcrm dedupe`` and the bulk ``update`` commands.

``update`` is added to the ``client``, ``deal`` and ``task`` groups registered before this
module (``tcrm client update --where source=webinar --add-tag warm``), so it sits beside
``add``, ``edit`` and ``list`` where a person looks for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from tcrm.cli import render
from tcrm.cli.io_options import JSON_DOC, AsJson, Where, _terms
from tcrm.cli.state import now as cli_now
from tcrm.cli.state import workspace
from tcrm.model.words import plural
from tcrm.services import bulk

# --- dedupe ------------------------------------------------------------------------------


def dedupe(
    ctx: typer.Context,
    threshold: Annotated[
        float,
        typer.Option(
            help="How alike names must be (0..1) to count as near-identical.", metavar="N"
        ),
    ] = bulk.NAME_THRESHOLD,
    as_json: Annotated[bool, typer.Option("--json", help=f"Print JSON (see {JSON_DOC}).")] = False,
) -> None:
    """List likely duplicate clients with the reason, a score and which one to keep.

    Merge a pair with `tcrm client merge KEEP DUPLICATE`: the client more deals, tasks and
    activities name is the one to keep (then the one created first).
    """
    pairs = bulk.find_duplicate_clients(workspace(ctx), threshold=threshold)
    if as_json:
        render.emit_json(
            [
                {
                    "first": p.first.id,
                    "first_name": p.first.name,
                    "second": p.second.id,
                    "second_name": p.second.name,
                    "reason": p.reason,
                    "score": p.score,
                    "keep": p.keep.id,
                    "duplicate": p.duplicate.id,
                    "merge": p.merge_command,
                }
                for p in pairs
            ]
        )
        return
    render.table(
        [render.Column("Score", "right"), "Keep", "Duplicate", "Reason"],
        (
            [
                f"{p.score:.2f}",
                f"{p.keep.id} ({p.keep.name})",
                f"{p.duplicate.id} ({p.duplicate.name})",
                p.reason,
            ]
            for p in pairs
        ),
    )
    if pairs:
        render.message(
            f"{len(pairs)} likely duplicate pair(s); merge each with `tcrm client merge KEEP "
            "DUPLICATE` (Keep: the one more deals, tasks and activities name), e.g. "
            f"`{pairs[0].merge_command}`."
        )
    else:
        render.message("No likely duplicates.")


# --- bulk updates ------------------------------------------------------------------------


def _update(
    ctx: typer.Context,
    kind: str,
    where: list[str] | None,
    every: bool,
    add_tags: list[str] | None,
    remove_tags: list[str] | None,
    assignments: list[str] | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    result = bulk.update_records(
        workspace(ctx),
        kind=kind,
        where=_terms(where),
        every=every,
        add_tags=add_tags or [],
        remove_tags=remove_tags or [],
        assignments=assignments or [],
        dry_run=dry_run,
        now=cli_now(ctx),
    )
    if as_json:
        render.emit_json(
            {
                "type": bulk.PLURAL[kind],
                "dry_run": result.dry_run,
                "matched": result.matched,
                "changed": [
                    {
                        "id": c.after.id,
                        "name": bulk.describe(c.after),
                        "fields": {
                            f.field: {"before": f.before, "after": f.after} for f in c.fields
                        },
                    }
                    for c in result.changes
                ],
                "unchanged": result.unchanged,
                "commit": result.commit_id,
                "message": result.message,
            }
        )
        return
    render.table(
        ["Id", "Name", "Field", "Before", "After"],
        (
            [
                c.after.id,
                bulk.describe(c.after),
                f.field,
                bulk.text_of(f.before),
                bulk.text_of(f.after),
            ]
            for c in result.changes
            for f in c.fields
        ),
    )
    n = len(result.changes)
    if result.dry_run:
        render.message(
            f"Dry run: would change {plural(n, kind)} of {result.matched:,} matching; "
            "nothing was written."
        )
    elif n:
        render.message(f"Updated {plural(n, kind)} ({result.matched:,} matched).")
    else:
        render.message(f"No changes ({result.matched:,} matched).")


Every = Annotated[bool, typer.Option("--all", help="Change every record of this type.")]
AddTag = Annotated[
    list[str] | None,
    typer.Option("--add-tag", help="Add a tag from lists.tags (repeatable).", metavar="TAG"),
]
RemoveTag = Annotated[
    list[str] | None, typer.Option("--remove-tag", help="Remove a tag (repeatable).", metavar="TAG")
]
Assignments = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="field=value, field+=item, field-=item or field= to unset (repeatable).",
        metavar="FIELD=VALUE",
    ),
]
UpdateDryRun = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
]


def _update_command(kind: str) -> Callable[..., None]:
    def update(
        ctx: typer.Context,
        where: Where = None,
        every: Every = False,
        add_tag: AddTag = None,
        remove_tag: RemoveTag = None,
        assignments: Assignments = None,
        dry_run: UpdateDryRun = False,
        as_json: AsJson = False,
    ) -> None:
        _update(ctx, kind, where, every, add_tag, remove_tag, assignments, dry_run, as_json)

    example = "--add-tag vip" if kind != "task" else "--set priority=high"
    update.__doc__ = (
        f"Change every {kind} a filter selects, in one commit "
        f"(e.g. `tcrm {kind} update --where source=referral {example} --dry-run`)."
    )
    return update


def _group(app: typer.Typer, name: str) -> typer.Typer:
    """The sub-Typer registered as ``name`` (``client``...), to add a command to it."""
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    raise RuntimeError(f"the {name!r} command group must be registered before bulk_cmds")


def register(app: typer.Typer) -> None:
    app.command("dedupe")(dedupe)
    for kind in ("client", "deal", "task"):
        _group(app, kind).command("update")(_update_command(kind))
