"""Where the clone's merge driver lives, and a cheap test for a clone that lacks it.

Kept apart from :mod:`tcrm.services.merging` so every command can ask (two small files
read, no import of the models or of dulwich).
"""

from __future__ import annotations

import os

from tcrm.store.early import SETTINGS_FILE

TYPE_CHECKING = False  # the early path asks ``missing``: no pathlib, no typing
if TYPE_CHECKING:
    from tcrm.store.lock import StrPath

ATTRIBUTES_HEADER = "# tcrm: merge records field by field (tcrm merge-driver); see docs/sync.md"
ATTRIBUTES = (
    "/clients/*.yaml merge=tcrm",
    "/deals/*.yaml merge=tcrm",
    "/tasks/*.yaml merge=tcrm",
    "/activities/*/*.yaml merge=tcrm",
    f"/{SETTINGS_FILE} merge=tcrm",
    "/routing.yaml merge=tcrm",
)


def missing(root: StrPath) -> bool:
    """True in a clone (a repository with a remote) whose ``.git`` has no ``merge "tcrm"``
    driver or lacks one of its attribute lines: a plain ``git clone``. A driver configured
    by hand is kept as it is."""
    dot_git = os.path.join(root, ".git")
    if not os.path.isdir(dot_git):
        return False  # a worktree or a submodule: its own clone sets it up
    try:
        with open(os.path.join(dot_git, "config"), encoding="utf-8", errors="replace") as f:
            config = f.read()
    except OSError:
        return False
    if '[remote "' not in config:
        return False
    if '[merge "tcrm"]' not in config:
        return True
    try:
        with open(os.path.join(dot_git, "info", "attributes"), encoding="utf-8") as f:
            attributes = f.read()
    except OSError:
        return True
    present = set(attributes.splitlines())
    return not all(line in present for line in ATTRIBUTES)
