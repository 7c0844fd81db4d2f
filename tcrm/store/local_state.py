"""Small JSON state files in a workspace's local, git-ignored ``.tcrm/`` folder.

State that belongs to this clone only (e.g. which reminders ``tcrm remind`` already
printed here) lives there, never in git, so clones never fight over it.
"""

from __future__ import annotations

import json
from typing import Any

from tcrm.store import files
from tcrm.store.workspace import Workspace


def read_state(ws: Workspace, name: str) -> dict[str, Any] | None:
    """The state saved under ``name``, or ``None`` when there is none yet.

    A file that cannot be read as a JSON object counts as missing (with a warning), so
    a damaged state file never stops a cron job; the next write replaces it.
    """
    path = ws.local_dir / f"{name}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        ws.warnings.append(f"{ws.rel(path)} is damaged; starting it afresh")
        return None
    return data


def write_state(ws: Workspace, name: str, data: dict[str, Any]) -> None:
    """Save ``data`` under ``name`` atomically (a reader sees the old or the new file)."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    files.atomic_write(ws.local_dir / f"{name}.json", text.encode("utf-8"), ws.local_dir / "tmp")
