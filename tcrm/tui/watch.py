"""Noticing changes made outside the TUI (another terminal, a ``git pull``), cheaply.

The fingerprint is the git HEAD plus the modification times of the record folders, the
knowledge base and ``tcrm.yaml``. Every tcrm write renames a finished file into its
folder, and a pull moves HEAD, so either shows up without reading a single record.
"""

from __future__ import annotations

import os
from pathlib import Path

from tcrm.model.records import RECORD_TYPES
from tcrm.store.index import read_head
from tcrm.store.workspace import SETTINGS_FILE, Workspace

Fingerprint = tuple[str | None, int]

WATCHED = (*(cls.FOLDER for cls in RECORD_TYPES.values()), "kb")


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def fingerprint(ws: Workspace) -> Fingerprint:
    """``(HEAD, newest mtime)``: equal fingerprints mean nothing worth reloading changed."""
    newest = _mtime(ws.root / SETTINGS_FILE)
    for name in WATCHED:
        folder = ws.root / name
        newest = max(newest, _mtime(folder))
        if name == "activities" and folder.is_dir():  # a folder per year
            for entry in os.scandir(folder):
                if entry.is_dir():
                    newest = max(newest, entry.stat().st_mtime_ns)
    return read_head(ws.root), newest  # read from .git: no dulwich import in the UI's process
