"""Custom fields as a whole: the per-workspace JSON Schema (``tcrm schema``)."""

from __future__ import annotations

import json
from pathlib import Path

from tcrm.errors import UsageError
from tcrm.model.records import RECORD_TYPES
from tcrm.model.schema import workspace_schema
from tcrm.store import files
from tcrm.store.workspace import Workspace

SCHEMA_KINDS = (*RECORD_TYPES, "settings")


def schema_text(ws: Workspace, kind: str) -> str:
    """The JSON Schema of ``kind``'s files in this workspace, custom fields included."""
    if kind not in SCHEMA_KINDS:
        raise UsageError(f"unknown kind {kind!r} (one of {', '.join(SCHEMA_KINDS)})")
    # ASCII only: choices and labels come from tcrm.yaml (through git) and this may go to
    # a terminal; JSON's escapes keep a control or bidi character from acting there.
    return json.dumps(workspace_schema(ws.settings, kind), indent=2, ensure_ascii=True) + "\n"


def write_schema(ws: Workspace, kind: str, output: Path) -> Path:
    """``tcrm schema KIND -o FILE``: written atomically (an editor may be reading it)."""
    files.atomic_write(output, schema_text(ws, kind).encode("utf-8"))
    return output
