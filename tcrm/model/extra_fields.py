"""Reading a record's value of a field by name, built-in or custom.

A custom field is a key of the record's file that the model does not declare (pydantic's
``model_extra``). Routing rules and ``report nps --by`` read fields through
:func:`field_value` only, so it is the one place to point at typed custom fields once
tcrm.yaml declares them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def field_value(record: BaseModel, name: str) -> Any:
    """``record``'s value of ``name``: a built-in field, else a custom field (None if unset)."""
    if name in type(record).model_fields:
        return getattr(record, name)
    extra = record.model_extra or {}
    return extra.get(name)
