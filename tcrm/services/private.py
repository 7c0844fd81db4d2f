"""Private fields for people: showing them to their readers, and ``tcrm rekey``.

A private value is stored as an age ciphertext (``store.agecrypt`` seals it on every
write); records carry the ciphertext, so merges compare it as one opaque value. Only the
views decrypt: :func:`reveal` gives a copy with the plaintext for a reader, ``«private»``
for anyone else, ``«private: unreadable»`` (and a warning naming the field) for a damaged
ciphertext.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tcrm.errors import RuleError, WorkspaceError
from tcrm.model import privacy
from tcrm.model.records import RECORD_TYPES, Record
from tcrm.store import agecrypt
from tcrm.store.workspace import Workspace

R = TypeVar("R", bound=Record)


def _identity() -> Path | None:
    try:
        return agecrypt.identity_file()
    except WorkspaceError:
        return None


def reveal(ws: Workspace, record: R) -> R:
    """``record`` with its private values readable as far as this member may."""
    fields = privacy.private_fields_of(ws.settings, record.KIND)
    if not fields:
        return record
    identity = _identity()
    where = ws.rel(ws.path_of(record))
    updates: dict[str, str] = {}
    for name in fields:
        value = getattr(record, name, None)
        if isinstance(value, str) and privacy.is_ciphertext(value):
            updates[name] = _shown(ws, value, identity, f"{where}: {name}")
    if not updates:
        return record
    copy = record.model_copy(update=updates)
    copy.id = record.id
    return copy


def reveal_value(ws: Workspace, kind: str, field: str, value: Any, where: str) -> Any:
    """One value of ``kind``'s ``field`` (a conflict's side, say) as :func:`reveal` shows
    it; any other value as it is."""
    if not privacy.is_ciphertext(value) or field not in privacy.private_fields_of(
        ws.settings, kind
    ):
        return value
    return _shown(ws, value, _identity(), f"{where}: {field}")


def _shown(ws: Workspace, value: str, identity: Path | None, where: str) -> str:
    if identity is None:
        return privacy.PRIVATE
    try:
        return agecrypt.decrypt(value, identity)
    except agecrypt.NotARecipient:
        return privacy.PRIVATE
    except agecrypt.AgeError as exc:
        line = f"{where}: cannot decrypt the private value ({exc})"
        if line not in ws.warnings:
            ws.warnings.append(line)
        return privacy.UNREADABLE


@dataclass
class Rekeyed:
    values: int
    records: int
    recipients: dict[str, int]
    commit: str | None


def rekey(ws: Workspace) -> Rekeyed:
    """``tcrm rekey``: every private value encrypted again to its field's current readers
    (and any still in clear encrypted), in one commit. Refused, with nothing changed,
    when this member cannot decrypt one of them."""
    declared = privacy.declared(ws.settings)
    identity = agecrypt.identity_file()
    keys = {
        f"{kind}.{name}": privacy.recipients(ws.settings, who)
        for (kind, name), who in declared.items()
    }
    changed: list[Record] = []
    values = 0
    for kind in RECORD_TYPES:
        fields = [name for (k, name) in declared if k == kind]
        if not fields:
            continue
        for record in ws.load_all(kind):
            updates: dict[str, str] = {}
            for name in fields:
                value = getattr(record, name, None)
                if not isinstance(value, str) or not value:
                    continue
                plain = value
                if privacy.is_ciphertext(value):
                    plain = _decrypt_for_rekey(ws, record, name, value, identity)
                updates[name] = agecrypt.encrypt(plain, keys[f"{kind}.{name}"])
            if updates:
                values += len(updates)
                copy = record.model_copy(update=updates)
                copy.id = record.id
                changed.append(copy)
    commit = None
    if changed:
        message = f"rekey: {values} private value(s) in {len(changed)} record(s)"
        with ws.transaction(message) as tx:
            for record in changed:
                tx.put(record)
        commit = tx.commit_id
    return Rekeyed(values, len(changed), {k: len(v) for k, v in keys.items()}, commit)


def _decrypt_for_rekey(
    ws: Workspace, record: Record, name: str, value: str, identity: Path | None
) -> str:
    where = f"{ws.rel(ws.path_of(record))}: {name}"
    if identity is None:
        raise RuleError(
            f"{where} is private and no age identity is configured (set "
            f"{agecrypt.IDENTITY_ENV} or age_identity in {agecrypt.config_file()}); nothing "
            "was changed"
        )
    try:
        return agecrypt.decrypt(value, identity)
    except agecrypt.AgeError as exc:
        raise RuleError(
            f"{where}: cannot decrypt with your identity ({exc}); a member who can read it "
            "must run `tcrm rekey`; nothing was changed"
        ) from None


__all__ = ["Rekeyed", "rekey", "reveal", "reveal_value"]
