"""A survey reply's score: the number from 0 to 10 someone wrote in answer to a question.

Conservative on purpose: a wrong score in a client's card is worse than none (the person
can still log it with ``tcrm survey log``). Only the reply's own new text counts: the
lines above the quoted message (a line starting ``>``, ``On ... wrote:``, an
``-----Original Message-----`` line) and above a ``-- `` signature. In that text:

1. ``N/10`` or ``N out of 10`` anywhere (``10/10``, ``8 out of 10``) is the score (so
   a bare ``3/10`` is read as 3 out of 10, never as the 3rd of October; ``3/10/2026``
   is a date);
2. else the FIRST standalone number is the score if it is 0 to 10, and there is no
   score if it is anything else (``call me on 0612345678`` has none; so has
   ``we are 25 people, 9``: the first number is not a score).

A number is standalone when it is whole digits with no letter, digit or sign glued to
it and is not part of a date, time, decimal, phone number or amount: a digit group
next to another across ``/ . , : -`` or spaces (``12/03``, ``9.5``, ``10:30``,
``06 12 34 56 78``), a leading zero (``06``), a sign or currency (``-3``, ``#2``,
``5%``, ``€5``) all make it not a score (what precedes a number is looked at up to 32
characters back). Only the first 2,000 characters of the new
text are read.
"""

from __future__ import annotations

import re

MAX_SCORE = 10
SCANNED_CHARS = 2000
ANSWER_CHARS = 200
"""The reply's first line, as the survey activity's answer, is cut to this many characters."""

_QUOTE_START = re.compile(
    r"^\s*(>|-{2,}\s*original message\s*-{2,}|on .*wrote:\s*$|-- $)", re.IGNORECASE
)
_SIGNS = r"\-+#€$£%"
_NUMBER = re.compile(r"\d+")
_OUT_OF_TEN = re.compile(
    rf"(?<![\w{_SIGNS}./,:])(\d{{1,2}})\s*(?:/|out\s+of)\s*10(?![\w{_SIGNS}]|[./,:]\d)",
    re.IGNORECASE,
)
_LOOK = 32
"""How far before a number to look for what it is glued to (bounded: a reply of many
numbers must not take quadratic time)."""
_GLUED_BEFORE = re.compile(rf"(?:[\w{_SIGNS}]|\d\s*[./,:\-]\s*|\d\s+)$")
_GLUED_AFTER = re.compile(rf"(?:[\w{_SIGNS}]|\s*[./,:\-]\s*\d|\s+\d)")


def new_text(body: str) -> str:
    """The part of a reply its sender wrote: the lines above the quoted message and the
    signature."""
    lines = []
    for line in body.split("\n"):
        if _QUOTE_START.match(line):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def reply_score(body: str) -> int | None:
    """The score 0-10 a reply's new text gives (module docstring: the rule), or None."""
    text = new_text(body)[:SCANNED_CHARS]
    found = _OUT_OF_TEN.search(text)
    if found is not None:
        value = int(found.group(1))
        return value if value <= MAX_SCORE and _plain(found.group(1)) else None
    for number in _NUMBER.finditer(text):
        start, end = number.span()
        if _GLUED_BEFORE.search(text, max(0, start - _LOOK), start) or _GLUED_AFTER.match(
            text, end
        ):
            continue  # part of a word, date, phone number or amount: not a number on its own
        digits = number.group(0)
        if not _plain(digits):
            return None
        value = int(digits)
        return value if value <= MAX_SCORE else None
    return None


def _plain(digits: str) -> bool:
    return digits == "0" or not digits.startswith("0")


def answer_line(body: str) -> str | None:
    """The reply's first non-empty line of new text, for the survey's answer."""
    for line in new_text(body).split("\n"):
        if line.strip():
            text = " ".join(line.split())
            return text if len(text) <= ANSWER_CHARS else text[: ANSWER_CHARS - 1] + "…"
    return None
