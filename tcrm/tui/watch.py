"""Noticing changes made outside the TUI (another terminal, a ``git pull``), cheaply.

The fingerprint is the git HEAD plus the modification times of the record folders, the
knowledge base and ``tcrm.yaml``. Every tcrm write renames a finished file into its
folder, and a pull moves HEAD, so either shows up without reading a single record.
"""

from __future__ import annotations

import os
from pathlib import Path

from tcrm.store.early import folder_stamps
from tcrm.store.index import read_head
from tcrm.store.workspace import SETTINGS_FILE, Workspace

Fingerprint = tuple[str | None, int]


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def fingerprint(ws: Workspace) -> Fingerprint:
    """``(HEAD, newest mtime)``: equal fingerprints mean nothing worth reloading changed."""
    newest = max(_mtime(ws.root / SETTINGS_FILE), _mtime(ws.root / "kb"))
    newest = max(newest, *folder_stamps(ws.root).values())
    return read_head(ws.root), newest  # read from .git: no dulwich import in the UI's process
