"""How a count reads in English, the same in every message, list and screen."""

from __future__ import annotations

IRREGULAR = {"activity": "activities"}
"""Nouns whose plural is not the noun and an ``s``."""


def plural(n: int, word: str, *, grouped: bool = True) -> str:
    """``1 deal``, ``3 activities``, ``1,200 clients`` (``12000 days`` with ``grouped``
    false, as the TUI and the client summaries write counts)."""
    count = f"{n:,}" if grouped else str(n)
    return f"{count} {word if n == 1 else IRREGULAR.get(word, word + 's')}"
