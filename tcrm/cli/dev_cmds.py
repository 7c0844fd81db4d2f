"""``tcrm dev``: hidden tools for developing tcrm itself, such as big generated workspaces.

Hidden from ``tcrm --help``: they make fixtures for benchmarks, not data anyone keeps.
Imports are local to the commands, so registering this group costs every other command
nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

dev_app = typer.Typer(
    help="Tools for developing tcrm: generated workspaces for benchmarks.",
    no_args_is_help=True,
)

PRESET_NAMES = ("1k", "10k", "100k")


def _count(what: str) -> object:
    return typer.Option(
        min=0, metavar="N", help=f"How many {what} (default: the preset's).", show_default=False
    )


def generate(
    directory: Annotated[Path, typer.Argument(help="Where to create it: new or empty.")],
    clients: Annotated[int | None, _count("clients")] = None,
    deals: Annotated[int | None, _count("deals")] = None,
    tasks: Annotated[int | None, _count("tasks")] = None,
    activities: Annotated[int | None, _count("activities")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes and commit id.")] = 1,
    preset: Annotated[
        str,
        typer.Option(
            help="A size by its total of records: 1k (100 clients, 200 deals, 400 tasks, "
            "300 activities), 10k (10x) or 100k (100x).",
            metavar="|".join(PRESET_NAMES),
        ),
    ] = "1k",
) -> None:
    """Write a realistic workspace of any size and commit it once: a benchmark fixture.

    Settings are the sample workspace's; records are made up from a seed, all valid for
    `tcrm check`, dated around 2026-11-23 (run commands on it with
    TCRM_NOW=2026-11-23T09:00:00+01:00).
    """
    import dataclasses
    import time

    from tcrm.cli.terminal import err
    from tcrm.devtools.generate import PRESETS, write_generated_workspace
    from tcrm.errors import UsageError

    if preset not in PRESETS:
        raise UsageError(f"--preset {preset!r}: use one of {', '.join(PRESETS)}")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"{directory} exists and is not an empty directory")
    given = {"clients": clients, "deals": deals, "tasks": tasks, "activities": activities}
    counts = dataclasses.asdict(PRESETS[preset]) | {k: v for k, v in given.items() if v is not None}
    started = time.perf_counter()
    write_generated_workspace(directory, seed=seed, **counts)
    took = time.perf_counter() - started
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    err.print(f"Generated {summary} in {directory} ({took:.1f} s)", markup=False)


def register(app: typer.Typer) -> None:
    dev_app.command()(generate)
    app.add_typer(dev_app, name="dev", hidden=True)
