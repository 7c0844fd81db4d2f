"""``tcrm verify``: the access policy enforced on a range of commits (docs/access.md)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from tcrm.cli.state import state
from tcrm.cli.terminal import err, out


def verify(
    ctx: typer.Context,
    commits: Annotated[
        str | None,
        typer.Argument(
            metavar="OLD..NEW",
            help="The commits to judge: OLD..NEW, or one commit. OLD may be all zeros (a "
            "new branch).",
            show_default=False,
        ),
    ] = None,
    pre_receive: Annotated[
        bool,
        typer.Option(
            "--pre-receive",
            help="Read 'OLD NEW REF' lines from stdin, as git's pre-receive hook gets them.",
        ),
    ] = False,
    repo: Annotated[
        Path | None,
        typer.Option(
            help="The git repository, bare or not (default: $GIT_DIR in a hook, else the "
            "workspace).",
            show_default=False,
        ),
    ] = None,
    no_check: Annotated[
        bool,
        typer.Option("--no-check", help="Judge the commits only, not the workspace at NEW."),
    ] = False,
    allowed_signers: Annotated[
        bool,
        typer.Option(
            "--allowed-signers",
            help="Print the allowed-signers file derived from the team list (for git's "
            "gpg.ssh.allowedSignersFile) and exit.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print violations as JSON.")] = False,
) -> None:
    """Check commits against the access policy of tcrm.yaml; one line per violation.

    Each commit is judged by the policy as it stood in its parent, so nobody grants
    themselves a right in the same push; then the workspace at NEW must pass
    `tcrm check`. Prints `COMMIT AUTHOR RECORD: rule` per violation and exits 1.
    """
    from tcrm.errors import UsageError
    from tcrm.services import verify as service

    where = repo or _repository(ctx)
    if allowed_signers:
        out.print(service.allowed_signers_at(where), end="", markup=False, highlight=False)
        return
    if pre_receive:
        report = service.verify_updates(where, sys.stdin.read().splitlines())
    elif commits:
        old, new = service.parse_range(commits)
        report = service.verify_range(where, old, new, check=not no_check)
    else:
        raise UsageError("give a range (OLD..NEW) or --pre-receive")
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": report.ok,
                    "commits": report.commits,
                    "violations": [
                        {"commit": v.commit, "author": v.author, "record": v.record, "rule": v.rule}
                        for v in report.violations
                    ],
                }
            )
        )
    else:
        # a hook's stdout and stderr both reach the pusher as `remote:` lines
        for violation in report.violations:
            out.print(str(violation), markup=False, highlight=False, soft_wrap=True)
        noun = "commit" if report.commits == 1 else "commits"
        if report.ok:
            err.print(f"ok: {report.commits} {noun} verified", markup=False)
        else:
            err.print(
                f"tcrm verify: {len(report.violations)} violation(s) in {report.commits} {noun}; "
                "refused (see docs/access.md)",
                markup=False,
            )
    if not report.ok:
        raise typer.Exit(1)


def _repository(ctx: typer.Context) -> Path:
    """``$GIT_DIR`` (git sets it for hooks), else the workspace found as usual."""
    from tcrm.store.workspace import discover

    git_dir = os.environ.get("GIT_DIR")
    if git_dir:
        return Path(git_dir).resolve()
    return discover(state(ctx).workspace_arg)


def register(app: typer.Typer) -> None:
    app.command()(verify)
