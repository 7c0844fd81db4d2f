"""Privacy commands: ``tcrm forget`` (erasure on request) and ``tcrm rekey`` (private
fields encrypted again to their current readers); docs/access.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tcrm.cli import render
from tcrm.cli.state import now, workspace
from tcrm.errors import UsageError
from tcrm.model.text import visible
from tcrm.services import erasure as erasure_service

MEMBERS_MUST = (
    "Every team member must now run `tcrm sync --after-rewrite` in their clone (it keeps "
    "their unpushed changes that do not touch the erased data), or clone the workspace "
    "again. On a self-hosted bare repository, also run `git reflog expire --expire=now "
    "--all && git gc --prune=now` there; on a hosted service, ask it to purge cached "
    "views and pull-request refs."
)


def forget(
    ctx: typer.Context,
    ref: Annotated[
        str,
        typer.Argument(
            metavar="PERSON_OR_CLIENT",
            help="A client's id, name or email, or a contact person's exact name or email.",
            show_default=False,
        ),
    ],
    apply: Annotated[
        bool, typer.Option("--apply", help="Erase, rewrite history and push (else: the plan).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan only; change nothing (the default).")
    ] = False,
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why (kept in the audit entry).")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Erase a person's or client's data from the workspace and from all of history.

    Shows every file that holds their data and what happens to it; with --apply, makes
    one commit, rewrites every commit of history without them, logs the erasure in
    audit/erasures.yaml (without the data) and pushes the rewritten branch.
    """
    if apply and dry_run:
        raise UsageError("--apply and --dry-run exclude each other")
    ws = workspace(ctx)
    if not apply:
        plan = erasure_service.plan_erasure(ws, ref)
        _show_plan(plan, as_json, applied=False)
        return
    result = erasure_service.forget(ws, ref=ref, reason=reason, now=now(ctx))
    _show_plan(result.plan, as_json, applied=True, result=result)


def _show_plan(
    plan: erasure_service.ErasurePlan,
    as_json: bool,
    *,
    applied: bool,
    result: erasure_service.ErasureResult | None = None,
) -> None:
    if as_json:
        data: dict[str, object] = {
            "kind": plan.kind,
            "subject": plan.label,
            "files": [{"path": p.path, "action": p.action, "what": p.what} for p in plan.places],
            "applied": applied,
        }
        if result is not None:
            data |= {
                "erasure": result.entry,
                "commit": result.commit,
                "rewritten_blobs": result.rewritten.blobs,
                "rewritten_messages": result.rewritten.messages,
                "pushed": result.pushed,
            }
        render.emit_json(data)
    else:
        who = "client" if plan.kind == "client" else "contact person"
        print(f"Erase {who} {visible(plan.label)}:")
        for place in plan.places:
            print(f"  {place.action:<6}  {visible(place.path)}  ({place.what})")
        print("  rewrite every commit of history that holds their data or names them")
    if result is None:
        render.message("Nothing was changed; run again with --apply --reason TEXT to erase.")
        return
    pushed = f" and pushed to {result.remote}" if result.pushed else ""
    render.message(
        f"Erased ({result.entry}): {len(plan.places)} file(s) changed, "
        f"{result.rewritten.blobs} file version(s) and {result.rewritten.messages} "
        f"commit message(s) rewritten{pushed}; old objects pruned here."
    )
    render.message(MEMBERS_MUST)


def rekey(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Encrypt every private field value again to its current readers, in one commit.

    Run it after a member joins, leaves or changes keys, or after declaring a field
    private; it needs your age identity (TCRM_AGE_IDENTITY) to read the values.
    """
    from tcrm.services import private

    done = private.rekey(workspace(ctx))
    if as_json:
        render.emit_json(
            {
                "values": done.values,
                "records": done.records,
                "recipients": done.recipients,
                "commit": done.commit,
            }
        )
        return
    render.message(f"Re-encrypted {done.values} private value(s) in {done.records} record(s).")


def export_person(
    ctx: typer.Context,
    ref: Annotated[
        str,
        typer.Argument(
            metavar="EMAIL_OR_REF",
            help="A client's id, name or email, or a contact person's exact name or email.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Writes FILE.json and FILE.md (outside the workspace).",
            show_default=False,
        ),
    ],
) -> None:
    """Everything held about one person (GDPR Art. 15): FILE.json and a readable FILE.md.

    The client or contact entry, their deals, tasks and activities, and every record or
    kb page that names them; private fields decrypted where you may read them.
    """
    from tcrm.services import person_export

    done = person_export.export_person(workspace(ctx), ref=ref, output=output, now=now(ctx))
    render.message(
        f"Wrote {done.json_path} and {done.markdown_path}: {done.records} record(s), "
        f"{done.pages} page(s)."
    )


def register(app: typer.Typer) -> None:
    app.command()(forget)
    app.command()(rekey)
    from tcrm.cli.export_cmds import export_app  # `tcrm export person` joins the export group

    export_app.command("person")(export_person)


__all__ = ["register"]
