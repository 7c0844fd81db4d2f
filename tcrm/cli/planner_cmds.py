"""Placeholder until this group is written."""

import typer


def register(app: typer.Typer) -> None:
    """Adds nothing yet."""
