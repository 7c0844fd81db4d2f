"""What a private field holds on disk: an ASCII-armored age message.

Apart from ``tcrm.model.privacy`` (which reads the settings' pydantic model) because the
early path of ``tcrm search`` (before pydantic is imported) skips private values too.
The standard library only.
"""

from __future__ import annotations

ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = "-----END AGE ENCRYPTED FILE-----"


def is_ciphertext(value: object) -> bool:
    """An ASCII-armored age message (what a private field holds on disk)."""
    return isinstance(value, str) and value.strip().startswith(ARMOR_BEGIN)
