"""Private fields: which record fields are encrypted, and for whom (docs/access.md).

Declared in tcrm.yaml, either as a map ``private_fields: {client.notes: [admin, ben]}``
(any top-level field of a record kind: built-in ``notes`` or a custom field), or on a
custom field's definition (``fields: {client: {salary: {type: number, private: [admin]}}}``).
Names are member ids or role names (``access.roles``); the readers' age public keys are
the members' ``age_recipient``. Pure: reads settings, never files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tcrm.errors import ValidationError
from tcrm.model.armor import ARMOR_BEGIN as ARMOR_BEGIN
from tcrm.model.armor import ARMOR_END as ARMOR_END
from tcrm.model.armor import is_ciphertext as is_ciphertext
from tcrm.model.settings import Settings

PRIVATE = "«private»"
"""What a member who may not read a private value sees in its place."""
UNREADABLE = "«private: unreadable»"
"""A ciphertext that is damaged: the rest of the record still shows."""

_RECIPIENT = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")
_KINDS = ("client", "deal", "task", "activity")


def _extra(model: Any, key: str) -> Any:
    return (getattr(model, "model_extra", None) or {}).get(key)


def roles(settings: Settings) -> dict[str, list[str]]:
    """``access.roles`` of tcrm.yaml (the access policy's roles), if any."""
    if settings.access is None:
        return {}
    return {role: list(members) for role, members in settings.access.roles.items()}


def _names(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"tcrm.yaml: {where}: a list of member ids or role names")
    return [str(v) for v in value]


def declared(settings: Settings) -> dict[tuple[str, str], list[str]]:
    """``{(kind, field): [member or role names]}`` of every private field."""
    found: dict[tuple[str, str], list[str]] = {}
    listed = _extra(settings, "private_fields")
    if listed is not None and not isinstance(listed, Mapping):
        raise ValidationError("tcrm.yaml: private_fields: a map of kind.field to readers")
    for key, names in (listed or {}).items():
        kind, _, name = str(key).partition(".")
        if kind not in _KINDS or not name or "." in name:
            raise ValidationError(
                f"tcrm.yaml: private_fields: {key!r} is not KIND.FIELD (kinds: {', '.join(_KINDS)})"
            )
        found[(kind, name)] = _names(names, f"private_fields: {key}")
    for kind in _KINDS:  # ``private:`` on a custom field's definition (an extra key there)
        for name, definition in settings.fields.of(kind).items():
            extra = definition.model_extra or {}
            if "private" in extra:
                where = f"fields: {kind}: {name}: private"
                found[(kind, name)] = _names(extra["private"], where)
    return found


def readers(settings: Settings, names: Iterable[str]) -> list[str]:
    """Member ids of ``names`` (member ids as they are, role names expanded)."""
    members = {m.id for m in settings.team}
    role_map = roles(settings)
    out: list[str] = []
    for name in names:
        if name in members:
            ids = [name]
        elif name in role_map:
            ids = role_map[name]
        else:
            raise ValidationError(
                f"tcrm.yaml: private field reader {name!r} is neither a team member nor a role"
            )
        out += [i for i in ids if i not in out]
    return out


def recipients(settings: Settings, names: Iterable[str]) -> list[str]:
    """The age public keys (``age_recipient``) of the readers: whom a value is for."""
    keys: list[str] = []
    by_id = {m.id: m for m in settings.team}
    for member_id in readers(settings, names):
        member = by_id.get(member_id)
        key = _extra(member, "age_recipient") if member is not None else None
        if not isinstance(key, str) or not _RECIPIENT.match(key.strip()):
            raise ValidationError(
                f"tcrm.yaml: team member {member_id!r} reads private fields but has no valid "
                "age_recipient (an age1... public key from `age-keygen -y`)"
            )
        keys.append(key.strip())
    if not keys:
        raise ValidationError("tcrm.yaml: a private field has no readers")
    return keys


def any_declared(settings: Settings) -> bool:
    """Whether tcrm.yaml declares any private field (cheap: every write asks)."""
    if _extra(settings, "private_fields"):
        return True
    return any(
        "private" in (d.model_extra or {})
        for kind in _KINDS
        for d in settings.fields.of(kind).values()
    )


def private_fields_of(settings: Settings, kind: str) -> dict[str, list[str]]:
    """``{field: reader names}`` for one record kind."""
    return {name: who for (k, name), who in declared(settings).items() if k == kind}


__all__ = [
    "ARMOR_BEGIN",
    "ARMOR_END",
    "PRIVATE",
    "UNREADABLE",
    "any_declared",
    "declared",
    "is_ciphertext",
    "private_fields_of",
    "readers",
    "recipients",
    "roles",
]
