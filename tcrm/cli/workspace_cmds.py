"""Commands about the workspace as a whole: ``init``, ``check`` and ``schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from tcrm.cli.state import workspace
from tcrm.cli.terminal import err, out
from tcrm.model.words import plural
from tcrm.services import setup
from tcrm.services.check import CheckReport, check_workspace
from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace


def init(
    path: Annotated[Path, typer.Argument(help="Where to create the workspace.")] = Path("."),
    name: Annotated[str | None, typer.Option(help="The company's name.")] = None,
    from_: Annotated[
        Path | None,
        typer.Option("--from", help="Copy settings, records and kb pages of this workspace."),
    ] = None,
) -> None:
    """Create a workspace: settings, a git repository and a first commit."""
    ws = init_workspace(path, name=name, template=from_)
    err.print(f"Created tcrm workspace in {ws.root}", markup=False)
    err.print(_next_steps(ws), markup=False, highlight=False)


def _next_steps(ws: Workspace) -> str:
    """The next three commands for a new workspace: who you are, a client, a deal."""
    import shlex

    steps = []
    if not ws.settings.team:
        member_id, name, email = setup.first_member(ws)
        mail = f" --email {shlex.quote(email)}" if email else " --email you@example.com"
        steps.append(f"tcrm team add {member_id} --name {shlex.quote(name)}{mail}")
    steps.append('tcrm client add "Acme GmbH" --email info@acme.example')
    steps.append('tcrm deal add "Website relaunch" --client acme-gmbh --amount 12000')
    if len(steps) < 3:
        steps.append("tcrm today")
    where = shlex.quote(str(ws.root))
    return f"Next, in {where}:\n" + "\n".join(f"  {step}" for step in steps)


def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
) -> None:
    """Validate every file and every reference; print `path:line: message` per problem."""
    report = check_workspace(workspace(ctx))
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": report.ok,
                    "counts": dict(report.counts),
                    "problems": [
                        {"path": p.path, "line": p.line, "message": p.message}
                        for p in report.problems
                    ],
                    "warnings": [
                        {"path": p.path, "line": p.line, "message": p.message}
                        for p in report.warnings
                    ],
                }
            )
        )
    else:
        for warning in report.warnings:  # valid, so the exit code stays 0 for them alone
            err.print(f"tcrm: warning: {warning}", markup=False)
        _summary(report)
    if not report.ok:
        raise typer.Exit(1)


def _summary(report: CheckReport) -> None:
    """``ok: ...`` on stderr, or each problem on stdout and how many there are."""
    if report.ok:
        counts = ", ".join(
            plural(n, kind, grouped=False) for kind, n in sorted(report.counts.items())
        )
        err.print(f"ok: {counts or 'no records'}", markup=False)
    else:
        for problem in report.problems:
            out.print(str(problem), markup=False, highlight=False)
        err.print(f"{len(report.problems)} problem(s)", markup=False)


def schema(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(help="client, deal, task, activity, or settings (tcrm.yaml)."),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE instead of stdout.", metavar="FILE"),
    ] = None,
) -> None:
    """JSON Schema of KIND's files with this workspace's custom fields, for editors
    (yaml-language-server); see docs/fields.md."""
    from tcrm.services import fields

    ws = workspace(ctx)
    if output is None:
        sys.stdout.write(fields.schema_text(ws, kind))
        return
    fields.write_schema(ws, kind, output)
    err.print(f"wrote {output}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(check)
    app.command()(schema)
