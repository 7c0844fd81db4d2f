"""Editing a record in ``$EDITOR``, like ``kubectl edit``: invalid saves re-open the file."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from tcrm.errors import UsageError, ValidationError
from tcrm.model.records import Record
from tcrm.services.records import read_for_edit, save_edited_text
from tcrm.store.workspace import Workspace

HEADER = "# tcrm: "


def editor_command() -> list[str]:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(editor)


def run_editor(text: str, name: str) -> str:
    """The text as the person saved it in their editor (a temporary file outside the workspace)."""
    with tempfile.TemporaryDirectory(prefix="tcrm-edit-") as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        try:
            result = subprocess.run([*editor_command(), str(path)], check=False)
        except FileNotFoundError:
            raise UsageError(
                f"editor {editor_command()[0]!r} not found; set $EDITOR (or use --set field=value)"
            ) from None
        if result.returncode != 0:
            raise UsageError(f"the editor exited with status {result.returncode}; nothing changed")
        return path.read_text(encoding="utf-8")


def _strip_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(HEADER):
        lines.pop(0)
    return "".join(lines)


def edit_in_editor(ws: Workspace, kind: str, ref: str) -> Record | None:
    """Open the record's file in the editor until it is saved valid or left unchanged.

    Returns the saved record, or ``None`` when the person changed nothing.
    """
    record, rel, original = read_for_edit(ws, kind, ref)
    text = original
    while True:
        raw = run_editor(text, Path(rel).name)
        edited = _strip_header(raw)
        if raw == text or edited == original or not edited.strip():
            return None  # left as it was (or emptied): cancel, like `git commit`
        try:
            return save_edited_text(
                ws, kind=kind, record_id=record.id, original=original, text=edited
            )
        except ValidationError as exc:
            header = [
                f"{HEADER}the file was not saved: fix the problems below and save again,",
                f"{HEADER}or quit without saving to cancel.",
            ]
            offset = len(header) + len(exc.problems)
            for problem in exc.problems:
                where = f"line {problem.line + offset}: " if problem.line else ""
                header.append(f"{HEADER}{where}{problem.message}")
            text = "\n".join(header) + "\n" + edited


CustomFields = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="A custom field from tcrm.yaml fields: name=value (repeatable).",
        metavar="FIELD=VALUE",
    ),
]
"""``--set`` on ``add`` commands: custom fields only (built-ins have their own options)."""

Assignments = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="field=value, field+=item, field-=item or field= to unset (repeatable). "
        "Without it, the file opens in $EDITOR.",
        metavar="FIELD=VALUE",
    ),
]
"""The ``--set`` option every ``edit`` command shares."""


def edit_command(
    ws: Workspace, kind: str, ref: str, apply: Callable[[], Record | None] | None
) -> None:
    """``tcrm KIND edit``: ``apply`` the options given (``--set``...), or open ``$EDITOR``.

    ``apply`` returns the saved record, or None when nothing changed.
    """
    from tcrm.cli import render

    saved = apply() if apply else edit_in_editor(ws, kind, ref)
    render.message(f"Saved {kind} {saved.id}." if saved else "No changes.")
