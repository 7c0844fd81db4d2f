"""``tcrm hooks``: the automation hooks of tcrm.yaml, and trusting them in this clone."""

from __future__ import annotations

from typing import Annotated

import typer

from tcrm.cli import render
from tcrm.cli.state import workspace
from tcrm.services import hooks as service

hooks_app = typer.Typer(
    help="Automation hooks: scripts tcrm.yaml runs on events, once trusted here "
    "(see docs/hooks.md).",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/hooks.md).")]


def hooks_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the declared hooks: event, script, and whether it may run here (trusted,
    untrusted, changed since trusted, missing)."""
    states = service.hook_states(workspace(ctx))
    if as_json:
        render.emit_json(
            [
                {
                    "on": s.hook.on,
                    "run": s.hook.run,
                    "timeout": s.hook.timeout,
                    "blocking": s.hook.blocking,
                    "status": s.status,
                    "sha256": s.sha256,
                    "problem": s.problem,
                }
                for s in states
            ]
        )
        return
    render.table(
        ["Event", "Script", "Timeout", "Blocking", "Status"],
        [
            [
                s.hook.on,
                s.hook.run,
                f"{s.hook.timeout:g}s",
                "yes" if s.hook.blocking else "",
                f"{s.status}: {s.problem}" if s.problem else s.status,
            ]
            for s in states
        ],
    )


def hooks_trust(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="PATH...", help="Scripts to trust (default: every declared one)."),
    ] = None,
) -> None:
    """Trust the hooks' scripts as they are now, in this clone only: read them first.

    tcrm runs a hook only once trusted; its sha256 is kept in .tcrm/hooks-trust.json
    (never committed), and a script changed since (by a pull, say) is untrusted again.
    """
    done = service.trust(workspace(ctx), paths=paths or [])
    for state in done:
        sha = state.sha256 or ""
        render.message(f"trusted {state.hook.run} (sha256 {sha[:12]})")
    if not done:
        render.message("no hooks declared in tcrm.yaml")


def register(app: typer.Typer) -> None:
    hooks_app.command("list")(hooks_list)
    hooks_app.command("trust")(hooks_trust)
    app.add_typer(hooks_app, name="hooks")


__all__ = ["register"]
