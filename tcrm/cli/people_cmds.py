"""``tcrm team``: the members of the team in tcrm.yaml, added, listed and removed."""

from __future__ import annotations

from typing import Annotated

import typer

from tcrm.cli import render
from tcrm.cli.state import workspace
from tcrm.services import team as service

team_app = typer.Typer(
    help="The team: who may own deals and clients, be assigned tasks, log activities.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/json/team.md).")]


def team_add(
    ctx: typer.Context,
    member_id: Annotated[
        str, typer.Argument(metavar="ID", help="A short id records use, e.g. ann.")
    ],
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="The full name.")],
    email: Annotated[
        str | None,
        typer.Option(
            "--email", metavar="EMAIL", help="Their git email: links their commits to them."
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone", metavar="ZONE", help="Where their 'today' is, e.g. America/New_York."
        ),
    ] = None,
) -> None:
    """Add a team member to tcrm.yaml (one commit)."""
    member, strangers = service.add_member(
        workspace(ctx), member_id=member_id, name=name, email=email, timezone=timezone
    )
    render.message(f"Added {member.id} ({member.name}) to the team")
    if strangers:
        render.message(
            f"tcrm: warning: records name {len(strangers)} people not in the team: "
            f"{', '.join(strangers[:8])}; add them with `tcrm team add ID --name NAME` "
            "(tcrm check lists the records)"
        )


def team_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the team members."""
    members = service.list_members(workspace(ctx))
    if as_json:
        render.emit_json([m.model_dump(mode="json", exclude_none=True) for m in members])
        return
    render.table(
        ["Id", "Name", "Email", "Time zone"],
        [[m.id, m.name, m.email or "", m.timezone or ""] for m in members],
    )


def team_rm(
    ctx: typer.Context,
    member_id: Annotated[str, typer.Argument(metavar="ID", help="The member's id.")],
) -> None:
    """Remove a team member no record names any more (one commit)."""
    member = service.remove_member(workspace(ctx), member_id=member_id)
    render.message(f"Removed {member.id} ({member.name}) from the team")


def register(app: typer.Typer) -> None:
    team_app.command("add")(team_add)
    team_app.command("list")(team_list)
    team_app.command("rm")(team_rm)
    app.add_typer(team_app, name="team")


__all__ = ["register"]
