"""Characters a terminal would obey instead of showing, and how to show them instead.

Records arrive from teammates through git, so their text may hold escape sequences (a
window title, a clear screen, cursor moves), carriage returns, NUL or bidi overrides that
make ``elif.exe`` read as ``exe.file``. Front ends pass every text for people through
:func:`visible` where it reaches a terminal; ``tcrm check`` warns of such characters with
:func:`unsafe_characters`. The data itself is kept as it is (``--json`` carries it exactly).
"""

from __future__ import annotations

import re

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 controls but tab and newline, DEL, C1 controls (``\\x9b`` is an escape on its own on
some terminals), and the bidi embeddings, overrides and isolates (U+202A-202E,
U+2066-2069). Tab and newline only move the cursor as text does."""


def escaped(char: str) -> str:
    """``\\x1b``, ``\\r``, ``\\x00``, ``\\u202e``: Python's own escape for one character."""
    return char.encode("unicode_escape").decode("ascii")


def visible(text: str) -> str:
    """``text`` with every character of :data:`UNSAFE` shown as its escape, so a terminal
    prints it instead of obeying it (the same text when there is none: the usual case)."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(lambda match: escaped(match.group()), text)


def unsafe_characters(text: str) -> list[str]:
    """The distinct characters of :data:`UNSAFE` in ``text``, escaped, in order of first use."""
    return list(dict.fromkeys(escaped(c) for c in UNSAFE.findall(text)))


__all__ = ["UNSAFE", "escaped", "unsafe_characters", "visible"]
