"""Changing tcrm.yaml from a use case: its round-trip document, and the new text checked.

Every edit goes through the same two steps, so comments and hand-added keys survive and
nothing invalid is ever written: load the document, change it, then ``checked_text``.
"""

from __future__ import annotations

from typing import Any

from tcrm.errors import ValidationError
from tcrm.model.settings import Settings
from tcrm.store import yamlio
from tcrm.store.workspace import SETTINGS_FILE, Workspace


def settings_doc(ws: Workspace) -> Any:
    """tcrm.yaml as a round-trip mapping (never read through a link)."""
    from ruamel.yaml.comments import CommentedMap

    doc = yamlio.load_rt(ws.read_text(SETTINGS_FILE), SETTINGS_FILE)
    if not isinstance(doc, CommentedMap):
        raise ValidationError(f"{SETTINGS_FILE} is not a mapping; see tcrm check")
    return doc


def checked_text(doc: Any) -> str:
    """The new text of tcrm.yaml, refused (nothing written) unless it is valid settings."""
    from pydantic import ValidationError as PydanticError

    new_text = yamlio.dump_rt(doc)
    try:
        Settings.model_validate(yamlio.load_fast(new_text, SETTINGS_FILE))
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationError(f"{SETTINGS_FILE}: {where}: {first['msg']}") from None
    return new_text
