"""age encryption of private field values, through the ``age`` command line tool.

The identity (secret key) file lives outside the workspace and outside git: named by
``$TCRM_AGE_IDENTITY``, else by ``age_identity:`` in ``$XDG_CONFIG_HOME/tcrm/config.yaml``
(``~/.config/tcrm/config.yaml``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from tcrm.errors import TcrmError, ValidationError, WorkspaceError
from tcrm.model import privacy
from tcrm.model.records import Record
from tcrm.model.settings import Settings

R = TypeVar("R", bound=Record)

IDENTITY_ENV = "TCRM_AGE_IDENTITY"
_TIMEOUT = 30.0


class AgeError(TcrmError):
    """age could not encrypt or decrypt a value."""


class NotARecipient(AgeError):
    """The value is intact but was not encrypted for this identity."""


def _age() -> str:
    found = shutil.which("age")
    if found is None:
        raise WorkspaceError(
            "private fields need the age command (https://age-encryption.org; "
            "Debian/Ubuntu: apt install age)"
        )
    return found


def config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tcrm" / "config.yaml"


def identity_file() -> Path | None:
    """This member's age identity file, if one is configured."""
    named = os.environ.get(IDENTITY_ENV, "").strip()
    if not named:
        config = config_file()
        if not config.is_file():
            return None
        from tcrm.store.yamlio import load_fast

        try:
            data = load_fast(config.read_text(encoding="utf-8"), str(config))
        except (OSError, TcrmError, UnicodeDecodeError):
            raise WorkspaceError(f"{config}: not a readable YAML file") from None
        value = data.get("age_identity") if isinstance(data, dict) else None
        if not value:
            return None
        named = str(value)
    return Path(named).expanduser()


def _run(args: list[str], data: str) -> str:
    try:
        done = subprocess.run(
            [_age(), *args],
            input=data.encode("utf-8"),
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AgeError(f"age took longer than {_TIMEOUT:g}s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        text = next(
            (m for m in message if m.startswith("age: error:")), message[0] if message else ""
        )
        text = text.removeprefix("age: error: ").strip() or f"exit {done.returncode}"
        if "no identity matched" in text:
            raise NotARecipient(text)
        raise AgeError(text)
    return done.stdout.decode("utf-8")


def encrypt(text: str, recipients: list[str]) -> str:
    """``text`` encrypted to every recipient, ASCII-armored."""
    args = ["--encrypt", "--armor"]
    for key in recipients:
        args += ["--recipient", key]
    return _run(args, text).strip() + "\n"


def decrypt(armored: str, identity: Path) -> str:
    """The plaintext of ``armored`` with the identity file ``identity``."""
    if not identity.is_file():
        raise AgeError(f"age identity file {identity} does not exist")
    return _run(["--decrypt", "--identity", str(identity)], armored.strip() + "\n")


def seal(settings: Settings, record: R, stored: Callable[[], Mapping[str, Any]] | None = None) -> R:
    """``record`` with each private field's plaintext encrypted to its readers (what
    every write does); ciphertexts already there are kept as they are.

    ``stored`` gives the file's data as it is on disk, if there is one: a placeholder
    (``«private»``, what a member who may not read the value saw, e.g. in an export they
    import again) then keeps the stored ciphertext, as does a plaintext equal to it (a
    reader's export imported again, a form saved unchanged); with nothing stored to keep,
    a placeholder is refused."""
    declared = privacy.any_declared(settings)
    fields = privacy.private_fields_of(settings, record.KIND) if declared else {}
    updates: dict[str, str] = {}
    old: Mapping[str, Any] | None = None
    for name, who in fields.items():
        value = getattr(record, name, None)
        if not isinstance(value, str) or not value or privacy.is_ciphertext(value):
            continue
        if old is None:
            old = stored() if stored is not None else {}
        kept = old.get(name)
        if isinstance(kept, str) and privacy.is_ciphertext(kept) and _same(value, kept):
            updates[name] = kept
            continue
        if value in (privacy.PRIVATE, privacy.UNREADABLE):
            raise ValidationError(
                f"{name}: {value} is a placeholder, not a value to store (there is no stored "
                "value to keep)"
            )
        updates[name] = encrypt(value, privacy.recipients(settings, who))
    if not updates:
        return record
    copy = record.model_copy(update=updates)
    copy.id = record.id
    return copy


def _same(value: str, ciphertext: str) -> bool:
    """``value`` stands for ``ciphertext``: a placeholder, or its plaintext (when this
    member can decrypt it)."""
    if value in (privacy.PRIVATE, privacy.UNREADABLE):
        return True
    try:
        identity = identity_file()
    except WorkspaceError:
        return False
    if identity is None:
        return False
    try:
        return decrypt(ciphertext, identity) == value
    except AgeError:
        return False


__all__ = [
    "IDENTITY_ENV",
    "AgeError",
    "NotARecipient",
    "config_file",
    "decrypt",
    "encrypt",
    "identity_file",
    "seal",
]
