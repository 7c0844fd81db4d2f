"""Commands for a team: sync, clone, remote, history, undo, docs, conflicts, resolve,
and the git merge driver."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from tcrm.cli import completion, render
from tcrm.cli.state import now, workspace
from tcrm.model.merge import FieldChange
from tcrm.model.text import visible
from tcrm.services import conflicts as conflict_service
from tcrm.services import docs as docs_service
from tcrm.services import history as history_service
from tcrm.services import merging
from tcrm.services import sync as sync_service

remote_app = typer.Typer(help="The git remotes this workspace syncs with.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/json/team.md).")]
CONFLICTS_EXIT = 3
"""``tcrm sync``'s exit code while conflicts remain open (the sync itself succeeded)."""
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="Give up on a remote that stays silent this long; nothing is changed then.",
    ),
]


def _records(incomplete: str) -> list[str]:
    """Any record id: history and resolve take every kind."""
    kinds = (completion.clients, completion.deals, completion.tasks, completion.activities)
    return [i for complete in kinds for i in complete(incomplete)]


def _short(value: Any) -> str:
    return conflict_service.short(value)


def _change_text(change: FieldChange) -> str:
    return history_service.change_text(change)


def _changes_json(changes: list[FieldChange]) -> list[dict[str, Any]]:
    return [{"field": c.field, "old": c.old, "new": c.new} for c in changes]


# --- sync, clone, remote ---------------------------------------------------------------


def sync(
    ctx: typer.Context,
    remote: Annotated[str, typer.Option(help="The remote to sync with.")] = "origin",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fetch and show what would change; change nothing.")
    ] = False,
    timeout: TimeoutOption = sync_service.DEFAULT_TIMEOUT,
    as_json: JsonOption = False,
    after_rewrite: Annotated[
        bool,
        typer.Option(
            "--after-rewrite",
            help="Take the remote's history rewritten by `tcrm forget`, keeping the changes "
            "made here that do not touch erased data (docs/access.md).",
        ),
    ] = False,
) -> None:
    """Fetch, merge record by record and field by field, and push (see docs/sync.md).

    Exits 3 while conflicts remain open in the workspace (see tcrm conflicts).
    """
    ws = workspace(ctx)
    if after_rewrite:
        _after_rewrite(ws, remote, timeout, dry_run)
        return
    report = sync_service.sync(ws, remote=remote, dry_run=dry_run, timeout=timeout)
    still_open = conflict_service.open_conflicts(ws)
    _report_sync(report, still_open, as_json)
    if still_open or report.conflicts:
        raise typer.Exit(CONFLICTS_EXIT)


def _after_rewrite(ws: Any, remote: str, timeout: float, dry_run: bool) -> None:
    from tcrm.errors import UsageError
    from tcrm.services import erasure as erasure_service

    if dry_run:
        raise UsageError("--after-rewrite and --dry-run exclude each other")
    taken = erasure_service.after_rewrite(ws, remote=remote, timeout=timeout)
    where = f"{taken.remote}/{taken.branch}"
    kept = f"; kept {len(taken.kept)} file(s) changed here" if taken.kept else ""
    pushed = " and pushed them" if taken.pushed else ""
    render.message(
        f"Took the rewritten {where} (erasure {', '.join(taken.erasures)}){kept}{pushed}; "
        "old objects pruned here."
    )


def _report_sync(
    report: sync_service.SyncReport,
    still_open: list[conflict_service.OpenConflict],
    as_json: bool,
) -> None:
    if as_json:
        render.emit_json(
            {
                "remote": report.remote,
                "url": report.url,
                "branch": report.branch,
                "action": report.action,
                "incoming": report.incoming,
                "outgoing": report.outgoing,
                "changed": report.changed,
                "renamed": [{"from": a, "to": b} for a, b in report.renames],
                "conflicts": [
                    {
                        "path": c.path,
                        "field": c.field,
                        "mine": conflict_service.masked(c.mine),
                        "theirs": conflict_service.masked(c.theirs),
                        **dict.fromkeys(conflict_service.SIDE_KEYS),
                        **dict(c.sides),
                    }
                    for c in report.conflicts
                ],
                "open_conflicts": len(still_open),
                "notes": report.notes,
                "commit": report.commit,
                "pushed": report.pushed,
                "dry_run": report.dry_run,
            }
        )
        return
    where = f"{report.remote}/{report.branch}"
    would = "would " if report.dry_run else ""
    summary = {
        "up-to-date": f"Up to date with {where}.",
        "pushed": f"{would.capitalize()}{'push' if would else 'Pushed'} {report.outgoing} "
        f"commit(s) to {where}.",
        "fast-forward": f"{would.capitalize()}{'take' if would else 'Took'} {report.incoming} "
        f"commit(s) from {where}: {len(report.changed)} file(s) changed.",
        "merged": f"{would.capitalize()}{'merge' if would else 'Merged'} {report.incoming} "
        f"commit(s) from {where} ({len(report.changed)} file(s))"
        + (f", pushed {report.outgoing + 1} commit(s)." if report.pushed else "."),
    }[report.action]
    render.message(summary)
    for note in report.notes:
        render.message(f"note: {note}")
    for c in report.conflicts:
        ref = merging.id_of(c.path) if c.path != "tcrm.yaml" else "tcrm.yaml"
        text = conflict_service.describe(c.field, c.mine, c.theirs, ref, dict(c.sides))
        render.message(f"conflict: {c.path}: {text}")
    if still_open:
        count = len(still_open)
        render.message(
            f"{count} open conflict{'s' if count > 1 else ''} in this workspace: see "
            "tcrm conflicts, settle each with tcrm resolve REF --take ..."
        )


def clone(
    url: Annotated[
        str, typer.Argument(help="The remote: a path, ssh://, git@host:path or https://")
    ],
    directory: Annotated[
        Path | None, typer.Argument(help="Where to put the workspace (default: from the URL).")
    ] = None,
    timeout: TimeoutOption = sync_service.DEFAULT_TIMEOUT,
) -> None:
    """Get a copy of a team's workspace, ready to sync (the merge driver installed)."""
    ws = sync_service.clone(url=url, directory=directory, cwd=Path.cwd(), timeout=timeout)
    render.message(f"Cloned {url} into {ws.root}")


def remote_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for the remote, e.g. origin.")],
    url: Annotated[str, typer.Argument(help="A path, ssh://, git@host:path or https:// URL.")],
) -> None:
    """Add a git remote to sync with (local configuration: no commit)."""
    sync_service.add_remote(workspace(ctx), name=name, url=url, cwd=Path.cwd())
    render.message(f"Added remote {name} ({url}); run `tcrm sync --remote {name}`")


def remote_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the remotes."""
    remotes = sync_service.list_remotes(workspace(ctx))
    if as_json:
        render.emit_json([{"name": n, "url": u} for n, u in sorted(remotes.items())])
        return
    render.table(["Name", "URL"], sorted(remotes.items()))


# --- history and undo ------------------------------------------------------------------


def _entry_json(entry: history_service.HistoryEntry) -> dict[str, Any]:
    return {
        "commit": entry.commit,
        "date": entry.when.isoformat(timespec="seconds"),
        "author": entry.author,
        "email": entry.email,
        "message": entry.subject,
        "path": entry.path,
        "kind": entry.kind,
        "id": entry.id,
        "action": entry.action,
        "old_path": entry.old_path,
        "changes": _changes_json(entry.changes),
    }


def _entry_text(entry: history_service.HistoryEntry, field: str | None) -> str:
    if entry.action == "add" and not field:
        return "created"
    if entry.action == "delete" and not field:
        return "deleted"
    text = "; ".join(_change_text(c) for c in entry.changes)
    if entry.action == "rename":
        text = f"moved from {entry.old_path}" + (f"; {text}" if text else "")
    return text or entry.action


def history(
    ctx: typer.Context,
    ref: Annotated[
        str | None,
        typer.Argument(
            help="A record (id, prefix, name or file path), or tcrm.yaml; all if unset."
        ),
    ] = None,
    field: Annotated[
        str | None, typer.Option(help="Only changes to this field, e.g. stage.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only changes since this date, e.g. -30d.")
    ] = None,
    author: Annotated[
        str | None, typer.Option(help="Only changes by this author (name or email).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The audit log from git: who changed which field from what to what, newest first."""
    entries = history_service.history(
        workspace(ctx), ref=ref, field=field, since=since, author=author, now=now(ctx)
    )
    if as_json:
        render.emit_json([_entry_json(e) for e in entries])
        return
    rows = [
        [
            e.when.strftime("%Y-%m-%d %H:%M"),
            e.author,
            e.id or e.path,
            _entry_text(e, field),
            e.commit[:8],
        ]
        for e in entries
    ]
    render.table(["Date", "Author", "Record", "Change", "Commit"], rows)


def undo(
    ctx: typer.Context,
    commit: Annotated[
        str | None,
        typer.Argument(help="One of your changes to undo (a commit id from tcrm history)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be undone.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Undo your last change made through tcrm (or COMMIT), as a new commit; teammates'
    later commits stay (history is not rewritten)."""
    result = history_service.undo(workspace(ctx), commit=commit, dry_run=dry_run)
    if as_json:
        render.emit_json(
            {
                "undone": {
                    "commit": result.undone.id,
                    "message": result.undone.subject,
                    "author": result.undone.author,
                    "date": result.undone.when.isoformat(timespec="seconds"),
                },
                "message": result.message.split("\n", 1)[0],
                "commit": result.commit,
                "dry_run": result.dry_run,
                "files": [
                    {"path": e.path, "action": e.action, "changes": _changes_json(e.changes)}
                    for e in result.entries
                ],
            }
        )
        return
    verb = "Would undo" if dry_run else "Undid"
    render.message(f"{verb} {result.undone.id[:8]} {result.undone.subject!r}")
    for entry in result.entries:
        for change in entry.changes:
            render.message(f"  {entry.path}: {_change_text(change)}")


# --- docs ------------------------------------------------------------------------------


def docs(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write one Markdown file per page into this folder."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Markdown describing this workspace's configuration, with a changelog from git."""
    ws = workspace(ctx)
    if output is not None:
        written = docs_service.write_docs(ws, out_dir=output)
        if as_json:
            render.emit_json({"written": [str(p) for p in written]})
        else:
            render.message(f"Wrote {len(written)} page(s) to {output}")
        return
    pages = docs_service.workspace_docs(ws)
    if as_json:
        render.emit_json(
            {"pages": [{"name": p.name, "title": p.title, "markdown": p.markdown} for p in pages]}
        )
        return
    print(visible("\n".join(p.markdown for p in pages)), end="")


# --- conflicts -------------------------------------------------------------------------


def conflicts(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the conflicts a sync recorded (two people changed the same field)."""
    found = conflict_service.list_conflicts(workspace(ctx))
    if as_json:
        render.emit_json([render.conflict_json(c) for c in found])
        return
    rows = [
        [
            f"{c.path}:{c.line or ''}",
            c.field,
            conflict_service.side_text(c.mine, c.mine_by, c.mine_commit),
            f"(deleted: {c.missing})"
            if c.missing
            else conflict_service.side_text(c.theirs, c.theirs_by, c.theirs_commit),
        ]
        for c in found
    ]
    render.table(["File", "Field", "Mine (kept)", "Theirs"], rows)
    for fix in sorted({c.fix for c in found if c.fix}):
        render.message(f"a record refers to a deleted one; restore it: {fix}")
    if any(not c.missing for c in found):
        render.message(f"{len(found)} conflict(s); settle each with tcrm resolve REF --take ...")


def resolve(
    ctx: typer.Context,
    ref: Annotated[
        str,
        typer.Argument(
            help="The record with conflicts (id, name or path).", autocompletion=_records
        ),
    ],
    take: Annotated[
        list[str] | None,
        typer.Option(
            help="mine, theirs, or a person (name, email or commit: the values they made), "
            "for every conflict of the record; FIELD=mine, FIELD=theirs, or FIELD=VALUE; "
            "repeatable.",
            show_default=False,
        ),
    ] = None,
    restore: Annotated[
        bool,
        typer.Option(
            "--restore",
            help="REF is a deleted client or deal that records still refer to: bring back "
            "its last version from history.",
        ),
    ] = False,
) -> None:
    """Settle a record's conflicts in one commit."""
    if restore:
        if take:
            raise typer.BadParameter("--restore takes no --take", param_hint="--take")
        path, version, referrers = conflict_service.restore_deleted(workspace(ctx), ref=ref)
        render.message(
            f"Restored {path} as it was before {version.commit.id[:7]} "
            f"({', '.join(referrers)} refer to it)"
        )
        return
    result = conflict_service.resolve_conflicts(
        workspace(ctx), ref=ref, take=take or [], now=now(ctx)
    )
    names = ", ".join(f"{r.field} ({r.choice})" for r in result.resolved)
    left = f"; still open: {', '.join(result.remaining)}" if result.remaining else ""
    render.message(f"Resolved {names} in {result.path}{left}")


# --- the git merge driver --------------------------------------------------------------


def merge_driver(
    base: Annotated[Path, typer.Argument(help="%O: the common ancestor's version.")],
    current: Annotated[Path, typer.Argument(help="%A: our version; receives the result.")],
    other: Annotated[Path, typer.Argument(help="%B: their version.")],
    path: Annotated[str, typer.Argument(help="%P: the file's path in the workspace.")],
) -> None:
    """Git's merge driver for records (installed by init and clone; see docs/sync.md).

    Exits 0 when the result is written, conflicts included: they are recorded in the
    file, which stays valid YAML. Exits 1 only when the file cannot be merged at all.
    """
    result = merging.run_merge_driver(
        base=base, current=current, other=other, path=path, root=Path.cwd(), environ=os.environ
    )
    if result.note:
        render.message(f"tcrm: {result.note}")
    for c in result.conflicts:
        sides = result.sides.get(c.field, {})
        mine = conflict_service.side_text(c.mine, sides.get("mine_by"), sides.get("mine_commit"))
        theirs = conflict_service.side_text(
            c.theirs, sides.get("theirs_by"), sides.get("theirs_commit")
        )
        render.message(
            f"tcrm: {path}: conflict in {c.field}: mine={mine}, theirs={theirs} "
            "(see tcrm conflicts)"
        )
    if not result.merged:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(sync)
    app.command()(clone)
    remote_app.command("add")(remote_add)
    remote_app.command("list")(remote_list)
    app.add_typer(remote_app, name="remote")
    app.command()(history)
    app.command()(undo)
    app.command()(docs)
    app.command()(conflicts)
    app.command()(resolve)
    app.command("merge-driver")(merge_driver)


__all__ = ["register"]
