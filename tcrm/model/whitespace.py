"""What the models strip from both ends of a text, for the readers of index rows.

Every record model strips its texts (``str_strip_whitespace``). The early paths
(``tcrm.services.status_counts``, ``tcrm.services.deal_selection``) read texts from the
local index's rows before pydantic is imported, and strip them here the same way. The
standard library only.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no typing at run time: the early paths read texts with these
if TYPE_CHECKING:
    from typing import Any

SPACES = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
"""What the models strip from both ends of a text (``str_strip_whitespace``: Unicode's
White_Space, as Rust's ``trim``): not ``str.strip()``'s, which strips ``\x1c``-``\x1f`` too."""


def optional_text(value: Any) -> str | None:
    """A text field of an index row as the models read it (stripped); ``ValueError``
    for a value that is not a text."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    return value.strip(SPACES)


def required_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(value)
    return value.strip(SPACES)
